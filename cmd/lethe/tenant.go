package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
	"github.com/spf13/cobra"
)

// lethe tenant administers tenants directly on the database; it works while
// a server runs on the same database.

func newTenantCmd(e env) *cobra.Command {
	return group("tenant", "Create, list and rotate the keys of tenants, and manage their SCIM tokens (on the database)",
		newTenantCreateCmd(e), newTenantListCmd(e), newTenantRotateKeyCmd(e), newSCIMTokenCmd(e))
}

// tenantFlags are the flags every tenant subcommand takes.
type tenantFlags struct {
	dsn    *string
	asJSON *bool
}

func addTenantFlags(cmd *cobra.Command) tenantFlags {
	return tenantFlags{dsn: dbFlag(cmd.Flags()), asJSON: cmd.Flags().Bool("json", false, "print JSON")}
}

// open opens the database and its tenant service; the caller closes db.
func (f tenantFlags) open(ctx context.Context) (*sqldb.DB, *sqldb.TenantService, error) {
	db, err := sqldb.Open(ctx, *f.dsn)
	if err != nil {
		return nil, nil, err
	}
	return db, sqldb.NewTenantService(db), nil
}

func newTenantCreateCmd(e env) *cobra.Command {
	var name, id string
	var f tenantFlags
	cmd := &cobra.Command{
		Use:   "create --name NAME",
		Short: "Create a tenant and print its API key",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if name == "" {
				return usageError{"tenant create: --name is required"}
			}
			ctx := cmd.Context()
			db, svc, err := f.open(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			t, key, err := svc.CreateTenant(ctx, lethe.TenantID(id), name)
			if err != nil {
				return fmt.Errorf("tenant create: %s", lethe.ErrorMessage(err))
			}
			if *f.asJSON {
				return json.NewEncoder(e.stdout).Encode(map[string]string{"tenantId": string(t.ID), "apiKey": key})
			}
			fmt.Fprintf(e.stdout, "tenant id: %s\napi key:   %s\n(the key is shown once; keep it safe)\n", t.ID, key)
			return nil
		},
	}
	f = addTenantFlags(cmd)
	cmd.Flags().StringVar(&name, "name", "", "the tenant's display name (required)")
	cmd.Flags().StringVar(&id, "id", "", "the tenant id (default: generated)")
	return cmd
}

func newTenantListCmd(e env) *cobra.Command {
	var f tenantFlags
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List tenants",
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := noArgs("tenant list", args); err != nil {
				return err
			}
			db, svc, err := f.open(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			ts, err := svc.FindTenants(cmd.Context())
			if err != nil {
				return err
			}
			if *f.asJSON {
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
		},
	}
	f = addTenantFlags(cmd)
	return cmd
}

func newTenantRotateKeyCmd(e env) *cobra.Command {
	var f tenantFlags
	cmd := &cobra.Command{
		Use:   "rotate-key ID",
		Short: "Replace a tenant's API key",
		Long:  "Replace a tenant's API key and print the new one; running servers refuse the old key within a second.",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{"tenant rotate-key: give exactly one tenant id"}
			}
			db, svc, err := f.open(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			key, err := svc.RotateTenantKey(cmd.Context(), lethe.TenantID(args[0]))
			if err != nil {
				return fmt.Errorf("tenant rotate-key: %s", lethe.ErrorMessage(err))
			}
			if *f.asJSON {
				return json.NewEncoder(e.stdout).Encode(map[string]string{"tenantId": args[0], "apiKey": key})
			}
			fmt.Fprintf(e.stdout, "new api key: %s\n(running servers refuse the old key within a second)\n", key)
			return nil
		},
	}
	f = addTenantFlags(cmd)
	return cmd
}
