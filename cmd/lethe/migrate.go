package main

import (
	"context"
	"fmt"

	"github.com/lethehq/lethe/internal/sqldb"
)

// runMigrate applies pending migrations and reports the schema version.
func runMigrate(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "migrate")
	dsn := fs.String("db", envOr(e, "LETHE_DB", defaultDB), "database: a SQLite file path or a postgres:// URL")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usageError{"migrate: unexpected arguments"}
	}
	db, err := sqldb.Open(ctx, *dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Fprintf(e.stdout, "schema at version %d\n", sqldb.SchemaVersion())
	return nil
}
