package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/seed"
	"github.com/lethehq/lethe/internal/sqldb"
	"github.com/spf13/cobra"
)

// seedOptions are the flags of lethe seed.
type seedOptions struct {
	dsn, tenant    string
	users, records int
	seed           uint64
	asJSON         bool
}

func newSeedCmd(e env) *cobra.Command {
	var o seedOptions
	cmd := &cobra.Command{
		Use:   "seed --tenant ID --users N",
		Short: "Fill a tenant with a synthetic organisation (for benchmarks)",
		Long: `Fill a tenant with a synthetic organisation, directly on the database, for benchmarks and trials.
The tenant is created when it does not exist, and its API key printed then; a tenant that has users
is not seeded again.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := noArgs("seed", args); err != nil {
				return err
			}
			return runSeed(cmd.Context(), e, o)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.dsn, "db", defaultDB, "database: a SQLite file path or a postgres:// URL")
	bindEnv(fs, "db", "LETHE_DB")
	fs.StringVar(&o.tenant, "tenant", "", "the tenant to fill (created when missing; required)")
	fs.IntVar(&o.users, "users", 0, "how many users (required, 1 to 10,000,000)")
	fs.IntVar(&o.records, "records-per-user", 20, "learning records per user: enrolments, completions, CPD and activities (0 to 255)")
	fs.Uint64Var(&o.seed, "seed", 1, "the same seed gives the same organisation")
	fs.BoolVar(&o.asJSON, "json", false, "print JSON")
	return cmd
}

// runSeed fills a tenant with a synthetic organisation, directly on the
// database (seed.Organisation), for benchmarks and trials. It creates the
// tenant when it does not exist, and prints its API key then.
func runSeed(ctx context.Context, e env, o seedOptions) error {
	switch {
	case o.tenant == "":
		return usageError{"seed: --tenant is required"}
	case o.users < 1 || o.users > 10_000_000:
		return usageError{"seed: --users must be between 1 and 10000000"}
	case o.records < 0 || o.records > 255:
		return usageError{"seed: --records-per-user must be between 0 and 255"}
	}
	db, err := sqldb.Open(ctx, o.dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	var key string
	_, key, err = sqldb.NewTenantService(db).CreateTenant(ctx, lethe.TenantID(o.tenant), "Seeded "+o.tenant)
	switch lethe.ErrorCode(err) {
	case "":
	case lethe.EConflict: // it exists: fill it if it is empty, with the key its owner has
	default:
		return fmt.Errorf("seed: %s", lethe.ErrorMessage(err))
	}
	actx := lethe.WithActor(ctx, lethe.Actor{TenantID: lethe.TenantID(o.tenant), Source: lethe.SourceCLI, Name: "seed"})
	start := time.Now()
	c, err := seed.Organisation(actx, db, seed.Options{Users: o.users, RecordsPerUser: o.records, Seed: o.seed, Progress: seedProgress(e, o.asJSON, start)})
	if err != nil {
		return fmt.Errorf("seed: %s", lethe.ErrorMessage(err))
	}
	took := time.Since(start)
	if o.asJSON {
		out := struct {
			TenantID string `json:"tenantId"`
			APIKey   string `json:"apiKey,omitempty"`
			seed.Counts
			Records int     `json:"records"`
			Seconds float64 `json:"seconds"`
		}{o.tenant, key, c, c.Records(), took.Seconds()}
		return json.NewEncoder(e.stdout).Encode(out)
	}
	fmt.Fprintf(e.stdout, "seeded tenant %s in %s: %d users, %d records (%d enrolments, %d completions, %d CPD entries, %d activities), %d audiences, %d assignments, %d contents\n",
		o.tenant, took.Round(time.Millisecond), c.Users, c.Records(), c.Enrolments, c.Completions, c.CPDEntries, c.Activities,
		c.Audiences, c.Assignments, c.Contents)
	if key != "" {
		fmt.Fprintf(e.stdout, "api key: %s\n", key)
	}
	return nil
}

// seedProgress reports each stage of the seed on standard error: a bar per
// stage on a terminal, elsewhere a line rewritten in place; nothing with
// --json.
func seedProgress(e env, asJSON bool, start time.Time) func(stage string, done, total int) {
	if asJSON {
		return func(string, int, int) {}
	}
	if isTerminal(e.stderr) {
		bar, last := newProgress(e.stderr), ""
		return func(stage string, done, total int) {
			if stage != last {
				bar.finish()
				last = stage
			}
			bar.show(stage, done, total)
			if done == total {
				bar.finish()
			}
		}
	}
	return func(stage string, done, total int) {
		fmt.Fprintf(e.stderr, "\r%-10s %d/%d (%s)   ", stage, done, total, time.Since(start).Round(time.Second))
		if done == total {
			fmt.Fprintln(e.stderr)
		}
	}
}
