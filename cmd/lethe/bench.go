package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/lethehq/lethe/internal/bench"
	"github.com/spf13/cobra"
)

// benchOptions are the flags of lethe bench.
type benchOptions struct {
	remote
	dsn, names, assignment string
	concurrency, jobUsers  int
	scimUsers              int
	duration               time.Duration
	asJSON, pprof, webhook bool
}

func newBenchCmd(e env) *cobra.Command {
	var o benchOptions
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Run load scenarios and report throughput and latency",
		Long: `Run load scenarios against a server over HTTP, as integrations would, or against a lethe serve that
bench starts on --db (then it reports the server's peak memory too), and report per scenario the
operations, errors, throughput and latency percentiles. Exit 1 when some requests failed. The
scenarios that erase users run only when named.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBench(cmd.Context(), e, o, cmd.Flags().Changed("server"), args)
		},
	}
	fs := cmd.Flags()
	o.remote = remoteFlags(fs)
	fs.StringVar(&o.dsn, "db", "", "start lethe serve on this database (a SQLite path or a postgres:// URL) and measure it; default: measure --server")
	fs.StringVar(&o.names, "scenarios", "", "comma-separated scenarios (default: every one that erases nothing): "+bench.ScenarioNames(false))
	fs.IntVar(&o.concurrency, "concurrency", 8, "workers of the timed scenarios")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "how long each timed scenario runs")
	fs.IntVar(&o.jobUsers, "job-users", 100_000, "erasure-job: at most this many live users")
	fs.IntVar(&o.scimUsers, "scim-users", bench.DefaultSCIMUsers, "scim-sync: provision at most this many users (it also ends after --duration)")
	fs.StringVar(&o.assignment, "assignment", "", "enrolments: the assignment to read (default: the one with the most enrolments)")
	fs.BoolVar(&o.asJSON, "json", false, "print the report as JSON")
	fs.BoolVar(&o.webhook, "webhook", false,
		"subscribe a local receiver to every event type, and wait for the deliveries after each scenario (a --server must run with --webhooks-allow-private)")
	fs.BoolVar(&o.pprof, "pprof", false, "with --db: start the server with --pprof 127.0.0.1:0")
	return cmd
}

// runBench: lethe bench runs the load scenarios of internal/bench against a
// server, or against one it starts on --db, and prints the report.
func runBench(ctx context.Context, e env, o benchOptions, serverGiven bool, pos []string) error {
	switch {
	case len(pos) != 0:
		return usageError{"bench: unexpected arguments"}
	case o.concurrency < 1:
		return usageError{"bench: --concurrency must be at least 1"}
	case o.duration <= 0:
		return usageError{"bench: --duration must be positive"}
	case o.jobUsers < 1:
		return usageError{"bench: --job-users must be at least 1"}
	case o.scimUsers < 1:
		return usageError{"bench: --scim-users must be at least 1"}
	case o.dsn != "" && serverGiven:
		return usageError{"bench: give --server or --db, not both"}
	case o.pprof && o.dsn == "":
		return usageError{"bench: --pprof needs --db (bench passes it to the server it starts)"}
	case *o.tenant == "" || *o.key == "":
		return usageError{"bench: --tenant and --key (or LETHE_TENANT and LETHE_API_KEY) are required"}
	}
	selected, err := bench.SelectScenarios(o.names)
	if err != nil {
		return usageError{err.Error()}
	}
	cfg := bench.Config{Server: *o.server, Tenant: *o.tenant, Key: *o.key, DB: o.dsn, Pprof: o.pprof, Scenarios: selected,
		Concurrency: o.concurrency, Duration: o.duration, JobUsers: o.jobUsers, SCIMUsers: o.scimUsers, Assignment: o.assignment, Webhook: o.webhook, Log: e.stderr}
	if o.dsn != "" {
		// The server is this same executable, run as `lethe serve`.
		if cfg.Executable, err = os.Executable(); err != nil {
			return fmt.Errorf("bench: find the lethe executable: %w", err)
		}
	}
	report, err := bench.Run(ctx, cfg)
	if report == nil {
		return err
	}
	if o.asJSON {
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
