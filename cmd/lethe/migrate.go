package main

import (
	"fmt"

	"github.com/lethehq/lethe/internal/sqldb"
	"github.com/spf13/cobra"
)

// newMigrateCmd: lethe migrate applies pending migrations and reports the
// schema version.
func newMigrateCmd(e env) *cobra.Command {
	var dsn *string
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply database migrations",
		Long:  "Apply the pending database migrations and print the schema version. serve applies them too, at start.",
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := noArgs("migrate", args); err != nil {
				return err
			}
			db, err := sqldb.Open(cmd.Context(), *dsn)
			if err != nil {
				return err
			}
			defer db.Close()
			fmt.Fprintf(e.stdout, "schema at version %d\n", sqldb.SchemaVersion())
			return nil
		},
	}
	dsn = dbFlag(cmd.Flags())
	return cmd
}
