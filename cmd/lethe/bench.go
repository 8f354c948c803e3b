package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/lethehq/lethe/internal/bench"
)

// runBench: lethe bench runs the load scenarios of internal/bench against a
// server, or against one it starts on --db, and prints the report.
func runBench(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "bench")
	r := remoteFlags(fs, e)
	dsn := fs.String("db", "", "start `lethe serve` on this database (a SQLite path or a postgres:// URL) and measure it; default: measure --server")
	names := fs.String("scenarios", "", "comma-separated scenarios (default: every one that erases nothing): "+bench.ScenarioNames(false))
	concurrency := fs.Int("concurrency", 8, "workers of the timed scenarios")
	duration := fs.Duration("duration", 10*time.Second, "how long each timed scenario runs")
	jobUsers := fs.Int("job-users", 100_000, "erasure-job: at most this many live users")
	assignment := fs.String("assignment", "", "enrolments: the assignment to read (default: the one with the most enrolments)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	pprof := fs.Bool("pprof", false, "with --db: start the server with --pprof 127.0.0.1:0")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case len(pos) != 0:
		return usageError{"bench: unexpected arguments"}
	case *concurrency < 1:
		return usageError{"bench: --concurrency must be at least 1"}
	case *duration <= 0:
		return usageError{"bench: --duration must be positive"}
	case *jobUsers < 1:
		return usageError{"bench: --job-users must be at least 1"}
	case *dsn != "" && set["server"]:
		return usageError{"bench: give --server or --db, not both"}
	case *pprof && *dsn == "":
		return usageError{"bench: --pprof needs --db (bench passes it to the server it starts)"}
	case *r.tenant == "" || *r.key == "":
		return usageError{"bench: --tenant and --key (or LETHE_TENANT and LETHE_API_KEY) are required"}
	}
	selected, err := bench.SelectScenarios(*names)
	if err != nil {
		return usageError{err.Error()}
	}
	cfg := bench.Config{Server: *r.server, Tenant: *r.tenant, Key: *r.key, DB: *dsn, Pprof: *pprof, Scenarios: selected,
		Concurrency: *concurrency, Duration: *duration, JobUsers: *jobUsers, Assignment: *assignment, Log: e.stderr}
	if *dsn != "" {
		// The server is this same executable, run as `lethe serve`.
		if cfg.Executable, err = os.Executable(); err != nil {
			return fmt.Errorf("bench: find the lethe executable: %w", err)
		}
	}
	report, err := bench.Run(ctx, cfg)
	if report == nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(report); err != nil {
			return err
		}
	} else {
		report.WriteTable(e.stdout)
	}
	if err != nil { // the server bench started stopped uncleanly
		return err
	}
	if report.Failed() {
		return bench.ErrFailed
	}
	return nil
}
