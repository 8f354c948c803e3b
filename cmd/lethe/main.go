// Command lethe runs the Lethe server and administers its database.
//
//	lethe serve     run the HTTP server
//	lethe migrate   apply database migrations
//	lethe tenant    create | list | rotate-key | scim-token create|list|revoke
//	lethe client    create | list | revoke
//	lethe admin     create | list (admin-console accounts)
//	lethe webhook   create | list | update | delete | deliveries | redeliver
//	lethe trail     verify | checkpoint
//	lethe seed      fill a tenant with a synthetic organisation
//	lethe erasure   show | verify
//	lethe users     bulk ACTION --file CSV
//	lethe jobs      watch | show | cancel
//	lethe audit     dormant
//	lethe bench     run load scenarios
//	lethe version   print the version
//	lethe completion bash|zsh|fish|powershell
//
// `lethe help COMMAND` (or `lethe COMMAND --help`) says more; every flag
// names the environment variable that stands in for it (ADR 0023).
package main

import (
	"context"
	"errors"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	var u usageError
	switch {
	case errors.As(err, &u):
		os.Exit(2)
	case err != nil:
		os.Exit(1)
	}
}

// usageError is a mistake in the command line (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// env is what every subcommand gets: nothing is read from globals.
type env struct {
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
}

// run is the whole program; tests call it directly. Help goes to stdout;
// an error goes to stderr once, with a hint for a usage error, and is
// returned (main turns it into the exit status).
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	e := env{getenv: getenv, stdout: stdout, stderr: stderr}
	root := newRoot(e)
	if args == nil {
		args = []string{} // cobra would read os.Args
	}
	root.SetArgs(longFlags(root, args))
	cmd, err := root.ExecuteContextC(ctx)
	if err != nil {
		reportError(e, cmd, err)
	}
	return err
}

func init() { cobra.EnableCommandSorting = false } // the help lists commands in the order added

// newRoot is the command tree.
func newRoot(e env) *cobra.Command {
	root := &cobra.Command{
		Use:   "lethe",
		Short: "A learning-platform backend that erases people and keeps the records",
		Long: `Lethe: a learning-platform backend that erases people and keeps the records.

Every flag that an environment variable stands in for names it in its help, as [$LETHE_DB]: the
variable is used when the flag is not given. Shell completions: lethe completion --help.`,
		Version:       version,
		Args:          cobra.ArbitraryArgs,
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError{"missing command"}
			}
			return unknownCommand(cmd, args[0])
		},
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error { return applyEnv(cmd, e.getenv) },
	}
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.SetVersionTemplate("lethe {{.Version}}\n")
	root.Flags().BoolP("version", "v", false, "print the version")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err.Error()} })
	root.AddCommand(newServeCmd(e), newMigrateCmd(e), newTenantCmd(e), newClientCmd(e), newAdminCmd(e), newWebhookCmd(e), newTrailCmd(e), newSeedCmd(e),
		newErasureCmd(e), newUsersCmd(e), newJobsCmd(e), newAuditCmd(e), newBenchCmd(e), newVersionCmd(e))
	addCompletion(root)
	return root
}
