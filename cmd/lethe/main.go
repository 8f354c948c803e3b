// Command lethe runs the Lethe server and administers its database.
//
//	lethe serve   [--addr ADDR] [--db DB] [--demo] [--pprof ADDR]
//	lethe tenant  create --name NAME [--id ID] [--json] | list [--json] | rotate-key ID
//	lethe migrate [--db DB]
//	lethe erasure show USER_ID | verify --public-key KEY RECEIPT
//	lethe trail   verify [--db DB] [--anchor FILE]... | checkpoint [--db DB]
//	lethe users   bulk ACTION --file CSV
//	lethe jobs    watch|show|cancel ID
//	lethe audit   dormant [--never-logged-in --created-before 2y] [--inactive 180d] [--end-date-passed] [--apply]
//	lethe seed    --tenant ID --users N [--records-per-user M] [--seed S] [--db DB] [--json]
//	lethe bench   [--server URL | --db DB] [--scenarios a,b] [--concurrency N] [--duration D] [--json]
//	lethe version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "lethe:", err)
		}
		var u usageError
		if errors.As(err, &u) || errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// usageError is a mistake in the command line (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

const usage = `Lethe: a learning-platform backend that erases people and keeps the records.

Usage:
  lethe serve   [--addr ADDR] [--db DB] [--demo] [--pprof ADDR]
                                                     run the HTTP server (--pprof: Go profiles
                                                     on a separate address; off by default)
  lethe tenant  create --name NAME [--json]         create a tenant and print its API key
  lethe tenant  list [--json]                        list tenants
  lethe tenant  rotate-key ID                        replace a tenant's API key
  lethe migrate [--db DB]                            apply database migrations
  lethe erasure show [--server URL --tenant ID --key KEY] USER_ID
                                                     print the signed receipt of an erasure
  lethe erasure verify --public-key KEY RECEIPT      check a receipt offline (exit 1: invalid)
  lethe trail   verify [--db DB] [--anchor FILE]...  check the trail, and that it still reaches each
                                                     kept checkpoint or receipt (exit 1: broken)
  lethe trail   checkpoint [--db DB]                 print a signed checkpoint of every tenant's trail head
  lethe users   bulk ACTION --file CSV [--end-date D] [--dry-run] [--output json|csv]
                                                     suspend, reactivate, delete, anonymize or purge
                                                     the users of a CSV (a job beyond 1,000)
  lethe jobs    watch|show|cancel ID [--output json|csv]
                                                     follow a job to its end
  lethe audit   dormant [--never-logged-in [--created-before 2y]] [--inactive 180d]
                [--end-date-passed] [--exclude-role R] [--exclude-audience A] [--apply]
                                                     preview (and apply) a dormant-account audit
  lethe seed    --tenant ID --users N [--records-per-user 20] [--seed 1] [--json]
                                                     fill a tenant with a synthetic organisation,
                                                     directly on the database (for benchmarks)
  lethe bench   [--server URL | --db DB] [--scenarios a,b,...] [--concurrency 8] [--duration 10s]
                [--job-users N] [--assignment ID] [--json] [--pprof]
                                                     run load scenarios and report throughput and
                                                     latency (exit 1: some requests failed)
  lethe version                                      print the version

Environment: LETHE_ADDR and LETHE_DB are the defaults of --addr and --db;
LETHE_SERVER, LETHE_TENANT and LETHE_API_KEY of --server, --tenant and --key.
`

// env is what every subcommand gets: nothing is read from globals.
type env struct {
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
}

// run is the whole program; tests call it directly.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	e := env{getenv: getenv, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError{"missing command"}
	}
	switch args[0] {
	case "serve":
		return runServe(ctx, e, args[1:])
	case "tenant":
		return runTenant(ctx, e, args[1:])
	case "migrate":
		return runMigrate(ctx, e, args[1:])
	case "erasure":
		return runErasure(ctx, e, args[1:])
	case "trail":
		return runTrail(ctx, e, args[1:])
	case "users":
		return runUsers(ctx, e, args[1:])
	case "jobs":
		return runJobs(ctx, e, args[1:])
	case "audit":
		return runAudit(ctx, e, args[1:])
	case "seed":
		return runSeed(ctx, e, args[1:])
	case "bench":
		return runBench(ctx, e, args[1:])
	case "version":
		fmt.Fprintln(stdout, "lethe", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return usageError{fmt.Sprintf("unknown command %q", args[0])}
}

var version = "dev"

// defaultDB is the SQLite file used when neither --db nor LETHE_DB is set.
const defaultDB = "./lethe-data/lethe.db"

func envOr(e env, name, def string) string {
	if v := e.getenv(name); v != "" {
		return v
	}
	return def
}

// newFlags returns a flag set that reports errors instead of exiting.
func newFlags(e env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

// parseFlags parses args and returns the positional arguments. Flags may
// come before or after them (`tenant rotate-key ID --db X` works too).
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}
