package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
	"github.com/spf13/cobra"
)

// lethe admin manages a tenant's admin-console accounts on the database.

// defaultConsoleBase is the server address a set-password link names when
// --url is not given: serve's default address.
const defaultConsoleBase = "http://127.0.0.1:8080"

func newAdminCmd(e env) *cobra.Command {
	return group("admin", "Create and list a tenant's admin-console accounts (on the database)",
		newAdminCreateCmd(e), newAdminListCmd(e))
}

// openConsole opens the database and the console service in the --tenant
// tenant, after checking it exists.
func (f clientFlags) openConsole(ctx context.Context, cmd string) (*sqldb.DB, context.Context, *sqldb.ConsoleService, error) {
	if *f.tenant == "" {
		return nil, nil, nil, usageError{cmd + ": --tenant is required"}
	}
	db, actx, err := f.openInTenant(ctx, cmd, *f.tenant, "admin")
	if err != nil {
		return nil, nil, nil, err
	}
	return db, actx, sqldb.NewConsoleService(db), nil
}

// setPasswordURL is the console page a set-password token opens.
func setPasswordURL(base, token string) string {
	return strings.TrimRight(base, "/") + "/admin/password?token=" + url.QueryEscape(token)
}

// checkAdminFlags validates create's --email, --role and --url.
func checkAdminFlags(email, role, base string) error {
	if !lethe.ValidEmail(lethe.CleanEmail(email)) {
		return usageError{"admin create: --email must be a plain address such as name@example.com"}
	}
	if !lethe.ConsoleRole(role).Valid() {
		return usageError{"admin create: --role must be admin, operator or viewer"}
	}
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.RawQuery != "" || u.Fragment != "" {
		return usageError{"admin create: --url must be the server's base URL, such as https://lethe.example.com"}
	}
	return nil
}

func newAdminCreateCmd(e env) *cobra.Command {
	var email, role, base string
	var f clientFlags
	cmd := &cobra.Command{
		Use:   "create --tenant TENANT --email EMAIL --role admin|operator|viewer [--url BASE]",
		Short: "Create a console account and print its one-time set-password link",
		Long: `Create an admin-console account of a tenant and print a link to set its password: it works once,
for 72 hours, and is shown this once (only a keyed hash of its token is kept). Send it to the account's
owner. Roles: admin does everything; operator the lifecycle actions, bulk jobs and audits, not settings
or credentials; viewer only reads. --url is the server's address as the owner's browser reaches it
(default ` + defaultConsoleBase + `). --json prints {"id", "email", "role", "setPasswordUrl"}.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 0 {
				return usageError{"admin create: takes no arguments"}
			}
			if err := checkAdminFlags(email, role, base); err != nil {
				return err
			}
			db, ctx, svc, err := f.openConsole(cmd.Context(), "admin create")
			if err != nil {
				return err
			}
			defer db.Close()
			a, token, err := svc.CreateConsoleAccount(ctx, email, lethe.ConsoleRole(role))
			if lethe.ErrorCode(err) == lethe.EInvalid {
				return usageError{"admin create: " + lethe.ErrorMessage(err)}
			}
			if err != nil {
				return fmt.Errorf("admin create: %s", lethe.ErrorMessage(err))
			}
			link := setPasswordURL(base, token)
			if *f.asJSON {
				return json.NewEncoder(e.stdout).Encode(map[string]string{"id": a.ID, "email": a.Email, "role": string(a.Role),
					"setPasswordUrl": link})
			}
			fmt.Fprintf(e.stdout, "console account: %s\nemail:           %s\nrole:            %s\n"+
				"set-password link (works once, for 72 hours; shown once):\n  %s\n", a.ID, a.Email, a.Role, link)
			return nil
		},
	}
	f = addClientFlags(cmd)
	cmd.Flags().StringVar(&email, "email", "", "the account's email, its sign-in name (required)")
	cmd.Flags().StringVar(&role, "role", "", "admin, operator or viewer (required)")
	cmd.Flags().StringVar(&base, "url", defaultConsoleBase, "the server's base URL, for the link")
	return cmd
}

func newAdminListCmd(e env) *cobra.Command {
	var f clientFlags
	cmd := &cobra.Command{
		Use:   "list --tenant TENANT",
		Short: "List a tenant's console accounts",
		Long: `List a tenant's admin-console accounts, oldest first: id, email, role, whether a password is set and
a TOTP second factor enrolled, when each was created and last signed in. --json prints a list of
{"id", "email", "role", "passwordSet", "totp", "createdAt", "lastLoginAt"}.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 0 {
				return usageError{"admin list: takes no arguments"}
			}
			db, ctx, svc, err := f.openConsole(cmd.Context(), "admin list")
			if err != nil {
				return err
			}
			defer db.Close()
			list, err := svc.FindConsoleAccounts(ctx)
			if err != nil {
				return fmt.Errorf("admin list: %s", lethe.ErrorMessage(err))
			}
			return writeConsoleAccounts(e, list, *f.asJSON)
		},
	}
	f = addClientFlags(cmd)
	return cmd
}

// writeConsoleAccounts prints accounts as a table or, asJSON, as a list.
func writeConsoleAccounts(e env, list []*lethe.ConsoleAccount, asJSON bool) error {
	if asJSON {
		out := []map[string]any{}
		for _, a := range list {
			var login any
			if a.LastLoginAt != nil {
				login = a.LastLoginAt.UTC().Format(jsonTime)
			}
			out = append(out, map[string]any{"id": a.ID, "email": a.Email, "role": a.Role, "passwordSet": a.HasPassword,
				"totp": a.TOTP, "createdAt": a.CreatedAt.UTC().Format(jsonTime), "lastLoginAt": login})
		}
		return json.NewEncoder(e.stdout).Encode(out)
	}
	yesNo := map[bool]string{true: "yes", false: "no"}
	when := func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") }
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tEMAIL\tROLE\tPASSWORD\tTOTP\tCREATED\tLAST SIGN-IN")
	for _, a := range list {
		login := "never"
		if a.LastLoginAt != nil {
			login = when(*a.LastLoginAt)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.ID, a.Email, a.Role, yesNo[a.HasPassword], yesNo[a.TOTP],
			when(a.CreatedAt), login)
	}
	return tw.Flush()
}
