package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
)

// runTenant administers tenants directly on the database; it works while a
// server runs on the same database.
func runTenant(ctx context.Context, e env, args []string) error {
	if len(args) == 0 {
		return usageError{"tenant: missing subcommand (create, list, rotate-key)"}
	}
	fs := newFlags(e, "tenant "+args[0])
	dsn := fs.String("db", envOr(e, "LETHE_DB", defaultDB), "database: a SQLite file path or a postgres:// URL")
	asJSON := fs.Bool("json", false, "print JSON")
	var name, id *string
	if args[0] == "create" {
		name = fs.String("name", "", "the tenant's display name (required)")
		id = fs.String("id", "", "the tenant id (default: generated)")
	}
	pos, err := parseFlags(fs, args[1:])
	if err != nil {
		return err
	}
	open := func() (*sqldb.DB, *sqldb.TenantService, error) {
		db, err := sqldb.Open(ctx, *dsn)
		if err != nil {
			return nil, nil, err
		}
		return db, sqldb.NewTenantService(db), nil
	}
	switch args[0] {
	case "create":
		if *name == "" {
			return usageError{"tenant create: --name is required"}
		}
		db, svc, err := open()
		if err != nil {
			return err
		}
		defer db.Close()
		t, key, err := svc.CreateTenant(ctx, lethe.TenantID(*id), *name)
		if err != nil {
			return fmt.Errorf("tenant create: %s", lethe.ErrorMessage(err))
		}
		if *asJSON {
			return json.NewEncoder(e.stdout).Encode(map[string]string{"tenantId": string(t.ID), "apiKey": key})
		}
		fmt.Fprintf(e.stdout, "tenant id: %s\napi key:   %s\n(the key is shown once; keep it safe)\n", t.ID, key)
		return nil
	case "list":
		if len(pos) != 0 {
			return usageError{"tenant list: unexpected arguments"}
		}
		db, svc, err := open()
		if err != nil {
			return err
		}
		defer db.Close()
		ts, err := svc.FindTenants(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			out := []map[string]string{}
			for _, t := range ts {
				out = append(out, map[string]string{"tenantId": string(t.ID), "name": t.Name, "createdAt": t.CreatedAt.Format("2006-01-02T15:04:05.000Z")})
			}
			return json.NewEncoder(e.stdout).Encode(out)
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TENANT ID\tNAME\tCREATED")
		for _, t := range ts {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", t.ID, t.Name, t.CreatedAt.Format("2006-01-02 15:04:05Z"))
		}
		return tw.Flush()
	case "rotate-key":
		if len(pos) != 1 {
			return usageError{"tenant rotate-key: give exactly one tenant id"}
		}
		db, svc, err := open()
		if err != nil {
			return err
		}
		defer db.Close()
		key, err := svc.RotateTenantKey(ctx, lethe.TenantID(pos[0]))
		if err != nil {
			return fmt.Errorf("tenant rotate-key: %s", lethe.ErrorMessage(err))
		}
		if *asJSON {
			return json.NewEncoder(e.stdout).Encode(map[string]string{"tenantId": pos[0], "apiKey": key})
		}
		fmt.Fprintf(e.stdout, "new api key: %s\n(running servers refuse the old key within a second)\n", key)
		return nil
	}
	return usageError{fmt.Sprintf("tenant: unknown subcommand %q", args[0])}
}
