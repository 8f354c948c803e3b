package main

import (
	"context"
	"fmt"

	"github.com/lethehq/lethe/internal/sqldb"
)

// runTrail: lethe trail verify [--db DB] checks every tenant's audit trail
// and exits non-zero when an entry was changed, removed or inserted.
func runTrail(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || args[0] != "verify" {
		return usageError{"trail: want verify"}
	}
	fs := newFlags(e, "trail verify")
	dsn := fs.String("db", envOr(e, "LETHE_DB", defaultDB), "database: a SQLite file path or a postgres:// URL (env LETHE_DB)")
	pos, err := parseFlags(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usageError{"trail verify: unexpected arguments"}
	}
	db, err := sqldb.Open(ctx, *dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	n, problems, err := db.VerifyTrail(ctx)
	if err != nil {
		return err
	}
	for _, p := range problems {
		fmt.Fprintln(e.stdout, p)
	}
	if len(problems) > 0 {
		return fmt.Errorf("the audit trail is broken: %d problem(s) in %d entries", len(problems), n)
	}
	fmt.Fprintf(e.stdout, "audit trail intact: %d entries\n", n)
	return nil
}
