package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/seed"
	"github.com/lethehq/lethe/internal/sqldb"
)

// runSeed fills a tenant with a synthetic organisation, directly on the
// database (seed.Organisation), for benchmarks and trials. It creates the
// tenant when it does not exist, and prints its API key then.
func runSeed(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "seed")
	dsn := fs.String("db", envOr(e, "LETHE_DB", defaultDB), "database: a SQLite file path or a postgres:// URL")
	tenant := fs.String("tenant", "", "the tenant to fill (created when missing; required)")
	users := fs.Int("users", 0, "how many users (required, 1 to 10,000,000)")
	records := fs.Int("records-per-user", 20, "learning records per user: enrolments, completions, CPD and activities (0 to 255)")
	seedN := fs.Uint64("seed", 1, "the same seed gives the same organisation")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseFlags(fs, args)
	switch {
	case err != nil:
		return err
	case len(pos) != 0:
		return usageError{"seed: unexpected arguments"}
	case *tenant == "":
		return usageError{"seed: --tenant is required"}
	case *users < 1 || *users > 10_000_000:
		return usageError{"seed: --users must be between 1 and 10000000"}
	case *records < 0 || *records > 255:
		return usageError{"seed: --records-per-user must be between 0 and 255"}
	}
	db, err := sqldb.Open(ctx, *dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	var key string
	_, key, err = sqldb.NewTenantService(db).CreateTenant(ctx, lethe.TenantID(*tenant), "Seeded "+*tenant)
	switch lethe.ErrorCode(err) {
	case "":
	case lethe.EConflict: // it exists: fill it if it is empty, with the key its owner has
	default:
		return fmt.Errorf("seed: %s", lethe.ErrorMessage(err))
	}
	actx := lethe.WithActor(ctx, lethe.Actor{TenantID: lethe.TenantID(*tenant), Source: lethe.SourceCLI, Name: "seed"})
	start := time.Now()
	progress := func(stage string, done, total int) {
		if !*asJSON {
			fmt.Fprintf(e.stderr, "\r%-10s %d/%d (%s)   ", stage, done, total, time.Since(start).Round(time.Second))
			if done == total {
				fmt.Fprintln(e.stderr)
			}
		}
	}
	c, err := seed.Organisation(actx, db, seed.Options{Users: *users, RecordsPerUser: *records, Seed: *seedN, Progress: progress})
	if err != nil {
		return fmt.Errorf("seed: %s", lethe.ErrorMessage(err))
	}
	took := time.Since(start)
	if *asJSON {
		out := struct {
			TenantID string `json:"tenantId"`
			APIKey   string `json:"apiKey,omitempty"`
			seed.Counts
			Records int     `json:"records"`
			Seconds float64 `json:"seconds"`
		}{*tenant, key, c, c.Records(), took.Seconds()}
		return json.NewEncoder(e.stdout).Encode(out)
	}
	fmt.Fprintf(e.stdout, "seeded tenant %s in %s: %d users, %d records (%d enrolments, %d completions, %d CPD entries, %d activities), %d audiences, %d assignments, %d contents\n",
		*tenant, took.Round(time.Millisecond), c.Users, c.Records(), c.Enrolments, c.Completions, c.CPDEntries, c.Activities,
		c.Audiences, c.Assignments, c.Contents)
	if key != "" {
		fmt.Fprintf(e.stdout, "api key: %s\n", key)
	}
	return nil
}
