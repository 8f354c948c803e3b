package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"unicode"
	"unicode/utf8"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
	"github.com/spf13/cobra"
)

// lethe tenant scim-token manages a tenant's SCIM tokens on the database,
// as POST/GET/DELETE /lethe/v1/scim/tokens do over HTTP.

// defaultSCIMTokenName labels a token created without --name.
const defaultSCIMTokenName = "scim"

func newSCIMTokenCmd(e env) *cobra.Command {
	return group("scim-token", "Create, list and revoke a tenant's SCIM tokens (on the database)",
		newSCIMTokenCreateCmd(e), newSCIMTokenListCmd(e), newSCIMTokenRevokeCmd(e))
}

// openInTenant opens the database with a context acting in tenant as the
// CLI (the trail's actor is label), after checking the tenant exists.
func (f tenantFlags) openInTenant(ctx context.Context, cmd, tenant, label string) (*sqldb.DB, context.Context, error) {
	db, tenants, err := f.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	ts, err := tenants.FindTenants(ctx)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	for _, t := range ts {
		if string(t.ID) == tenant {
			return db, lethe.WithActor(ctx, lethe.Actor{TenantID: t.ID, Source: lethe.SourceCLI, Name: label}), nil
		}
	}
	db.Close()
	return nil, nil, fmt.Errorf("%s: tenant %q not found", cmd, tenant)
}

// openSCIMTokens opens the database and the token service in tenant.
func (f tenantFlags) openSCIMTokens(ctx context.Context, cmd string, tenant string) (*sqldb.DB, context.Context, lethe.SCIMTokenService, error) {
	db, actx, err := f.openInTenant(ctx, cmd, tenant, "scim-token")
	if err != nil {
		return nil, nil, nil, err
	}
	return db, actx, sqldb.NewSCIMTokenService(db), nil
}

func newSCIMTokenCreateCmd(e env) *cobra.Command {
	var name string
	var f tenantFlags
	cmd := &cobra.Command{
		Use:   "create TENANT [--name NAME]",
		Short: "Create a SCIM token and print it (shown once)",
		Long: `Create a bearer token an identity provider (Okta, Entra ID) signs in to /scim/v2 with, and print it: it
is shown this once, only a keyed hash of it is kept. --json prints {"token", "id", "name", "createdAt",
"tenantId"}.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{"tenant scim-token create: give exactly one tenant id"}
			}
			name = strings.TrimSpace(name)
			if name == "" || utf8.RuneCountInString(name) > lethe.MaxSCIMTokenNameLength || strings.IndexFunc(name, unicode.IsControl) >= 0 {
				return usageError{fmt.Sprintf("tenant scim-token create: --name must be 1 to %d printable characters", lethe.MaxSCIMTokenNameLength)}
			}
			db, ctx, svc, err := f.openSCIMTokens(cmd.Context(), "tenant scim-token create", args[0])
			if err != nil {
				return err
			}
			defer db.Close()
			t, secret, err := svc.CreateSCIMToken(ctx, name)
			if err != nil {
				return fmt.Errorf("tenant scim-token create: %s", lethe.ErrorMessage(err))
			}
			if *f.asJSON {
				return json.NewEncoder(e.stdout).Encode(map[string]string{"token": secret, "id": t.ID, "name": t.Name,
					"createdAt": t.CreatedAt.UTC().Format(jsonTime), "tenantId": args[0]})
			}
			fmt.Fprintf(e.stdout, "scim token: %s\ntoken id:   %s\nname:       %s\n"+
				"(the token is shown once and cannot be shown again; keep it safe)\n"+
				"identity provider set-up: base URL https://HOST/scim/v2, authentication Bearer with this token\n", secret, t.ID, t.Name)
			return nil
		},
	}
	f = addTenantFlags(cmd)
	cmd.Flags().StringVar(&name, "name", defaultSCIMTokenName, "a label for the token, such as entra-prod")
	return cmd
}

// jsonTime is the CLI's JSON time format, the API's.
const jsonTime = "2006-01-02T15:04:05.000Z"

func newSCIMTokenListCmd(e env) *cobra.Command {
	var f tenantFlags
	cmd := &cobra.Command{
		Use:   "list TENANT",
		Short: "List a tenant's SCIM tokens (without secrets)",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{"tenant scim-token list: give exactly one tenant id"}
			}
			db, ctx, svc, err := f.openSCIMTokens(cmd.Context(), "tenant scim-token list", args[0])
			if err != nil {
				return err
			}
			defer db.Close()
			list, err := svc.FindSCIMTokens(ctx)
			if err != nil {
				return fmt.Errorf("tenant scim-token list: %s", lethe.ErrorMessage(err))
			}
			return writeSCIMTokens(e, list, *f.asJSON)
		},
	}
	f = addTenantFlags(cmd)
	return cmd
}

// writeSCIMTokens prints tokens as a table or, asJSON, as GET
// /lethe/v1/scim/tokens answers them.
func writeSCIMTokens(e env, list []*lethe.SCIMToken, asJSON bool) error {
	if asJSON {
		out := []map[string]any{}
		for _, t := range list {
			var used any
			if t.LastUsedAt != nil {
				used = t.LastUsedAt.UTC().Format(jsonTime)
			}
			out = append(out, map[string]any{"id": t.ID, "name": t.Name, "createdAt": t.CreatedAt.UTC().Format(jsonTime), "lastUsedAt": used})
		}
		return json.NewEncoder(e.stdout).Encode(out)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TOKEN ID\tNAME\tCREATED\tLAST USED")
	for _, t := range list {
		used := "never"
		if t.LastUsedAt != nil {
			used = t.LastUsedAt.UTC().Format("2006-01-02 15:04:05Z")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.ID, t.Name, t.CreatedAt.UTC().Format("2006-01-02 15:04:05Z"), used)
	}
	return tw.Flush()
}

func newSCIMTokenRevokeCmd(e env) *cobra.Command {
	var f tenantFlags
	cmd := &cobra.Command{
		Use:   "revoke TENANT ID",
		Short: "Revoke a SCIM token",
		Long:  "Revoke a SCIM token: every running server refuses it from its next request.",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return usageError{"tenant scim-token revoke: give a tenant id and a token id"}
			}
			db, ctx, svc, err := f.openSCIMTokens(cmd.Context(), "tenant scim-token revoke", args[0])
			if err != nil {
				return err
			}
			defer db.Close()
			if err := svc.RevokeSCIMToken(ctx, args[1]); err != nil {
				return fmt.Errorf("tenant scim-token revoke: %s", lethe.ErrorMessage(err))
			}
			if *f.asJSON {
				return json.NewEncoder(e.stdout).Encode(map[string]any{"id": args[1], "revoked": true})
			}
			fmt.Fprintf(e.stdout, "revoked scim token %s (running servers refuse it from their next request)\n", args[1])
			return nil
		},
	}
	f = addTenantFlags(cmd)
	return cmd
}
