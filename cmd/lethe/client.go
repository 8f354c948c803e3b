package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
	"github.com/spf13/cobra"
)

// lethe client manages a tenant's OAuth clients on the database, as
// POST/GET/DELETE /lethe/v1/oauth/clients do over HTTP.

func newClientCmd(e env) *cobra.Command {
	return group("client", "Create, list and revoke a tenant's OAuth clients (on the database)",
		newClientCreateCmd(e), newClientListCmd(e), newClientRevokeCmd(e))
}

// clientFlags are the flags every client command takes.
type clientFlags struct {
	tenantFlags
	tenant *string
}

func addClientFlags(cmd *cobra.Command) clientFlags {
	return clientFlags{tenantFlags: addTenantFlags(cmd), tenant: cmd.Flags().String("tenant", "", "the tenant id (required)")}
}

// openClients opens the database and the OAuth service in the --tenant
// tenant, after checking it exists.
func (f clientFlags) openClients(ctx context.Context, cmd string) (*sqldb.DB, context.Context, lethe.OAuthService, error) {
	if *f.tenant == "" {
		return nil, nil, nil, usageError{cmd + ": --tenant is required"}
	}
	db, actx, err := f.openInTenant(ctx, cmd, *f.tenant, "client")
	if err != nil {
		return nil, nil, nil, err
	}
	return db, actx, sqldb.NewOAuthService(db), nil
}

func newClientCreateCmd(e env) *cobra.Command {
	var name string
	var scopes []string
	var f clientFlags
	cmd := &cobra.Command{
		Use:   "create --tenant TENANT --scope SCOPE... [--name NAME]",
		Short: "Create an OAuth client and print its secret (shown once)",
		Long: `Create an OAuth 2.0 client (client credentials) of a tenant and print its id and secret: the secret is
shown this once, only a keyed hash of it is kept. Scopes: api/all, api/read, api/write, api/webhooks, scim;
--scope may be repeated or hold several, space-separated. --json prints {"clientId", "clientSecret"}.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 0 {
				return usageError{"client create: takes no arguments"}
			}
			if len(scopes) == 0 {
				return usageError{"client create: give at least one --scope (" + strings.Join(lethe.OAuthScopes, ", ") + ")"}
			}
			db, ctx, svc, err := f.openClients(cmd.Context(), "client create")
			if err != nil {
				return err
			}
			defer db.Close()
			c, secret, err := svc.CreateOAuthClient(ctx, name, scopes)
			if err != nil {
				return usageError{"client create: " + lethe.ErrorMessage(err)}
			}
			if *f.asJSON {
				return json.NewEncoder(e.stdout).Encode(map[string]string{"clientId": c.ID, "clientSecret": secret})
			}
			fmt.Fprintf(e.stdout, "client id:     %s\nclient secret: %s\nscopes:        %s\n"+
				"(the secret is shown once and cannot be shown again; keep it safe)\n"+
				"token: POST https://HOST/oauth2/token/%s with grant_type=client_credentials\n",
				c.ID, secret, strings.Join(c.Scopes, " "), *f.tenant)
			return nil
		},
	}
	f = addClientFlags(cmd)
	cmd.Flags().StringVar(&name, "name", "oauth-client", "a label for the client, such as hr-sync")
	cmd.Flags().StringArrayVar(&scopes, "scope", nil, "a scope to grant (repeatable)")
	return cmd
}

func newClientListCmd(e env) *cobra.Command {
	var f clientFlags
	cmd := &cobra.Command{
		Use:   "list --tenant TENANT",
		Short: "List a tenant's OAuth clients (without secrets)",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 0 {
				return usageError{"client list: takes no arguments"}
			}
			db, ctx, svc, err := f.openClients(cmd.Context(), "client list")
			if err != nil {
				return err
			}
			defer db.Close()
			list, err := svc.FindOAuthClients(ctx)
			if err != nil {
				return fmt.Errorf("client list: %s", lethe.ErrorMessage(err))
			}
			return writeClients(e, list, *f.asJSON)
		},
	}
	f = addClientFlags(cmd)
	return cmd
}

// writeClients prints clients as a table or, asJSON, as GET
// /lethe/v1/oauth/clients answers them.
func writeClients(e env, list []*lethe.OAuthClient, asJSON bool) error {
	if asJSON {
		out := []map[string]any{}
		for _, c := range list {
			var used any
			if c.LastUsedAt != nil {
				used = c.LastUsedAt.UTC().Format(jsonTime)
			}
			out = append(out, map[string]any{"clientId": c.ID, "name": c.Name, "scopes": c.Scopes,
				"createdAt": c.CreatedAt.UTC().Format(jsonTime), "lastUsedAt": used})
		}
		return json.NewEncoder(e.stdout).Encode(out)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CLIENT ID\tNAME\tSCOPES\tCREATED\tLAST USED")
	for _, c := range list {
		used := "never"
		if c.LastUsedAt != nil {
			used = c.LastUsedAt.UTC().Format("2006-01-02 15:04:05Z")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.ID, c.Name, strings.Join(c.Scopes, " "),
			c.CreatedAt.UTC().Format("2006-01-02 15:04:05Z"), used)
	}
	return tw.Flush()
}

func newClientRevokeCmd(e env) *cobra.Command {
	var f clientFlags
	cmd := &cobra.Command{
		Use:   "revoke --tenant TENANT CLIENT_ID",
		Short: "Revoke an OAuth client and its live tokens",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{"client revoke: give exactly one client id"}
			}
			db, ctx, svc, err := f.openClients(cmd.Context(), "client revoke")
			if err != nil {
				return err
			}
			defer db.Close()
			if err := svc.RevokeOAuthClient(ctx, args[0]); err != nil {
				return fmt.Errorf("client revoke: %s", lethe.ErrorMessage(err))
			}
			if *f.asJSON {
				return json.NewEncoder(e.stdout).Encode(map[string]any{"clientId": args[0], "revoked": true})
			}
			fmt.Fprintf(e.stdout, "revoked client %s (running servers refuse its tokens from their next request)\n", args[0])
			return nil
		},
	}
	f = addClientFlags(cmd)
	return cmd
}
