package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lethehq/lethe/client"
)

// scenario is one named load. Timed scenarios run --concurrency
// workers for --duration; one-shot ones run once.
type scenario struct {
	name        string
	destructive bool // erases users: runs only when named in --scenarios
	oneShot     bool
	run         func(*runner, context.Context) Result
}

// scenarios is every scenario, in the order they run: the writes that
// add data first, the reads next, the erasures last, so that the reads see
// the whole population and the bounded erasure job runs before bulk-delete,
// which erases for as long as it runs.
var scenarios = []scenario{
	{name: "create-users", run: (*runner).createUsers},
	{name: "scim-sync", run: (*runner).scimSync},
	{name: "get-user", run: (*runner).getUser},
	{name: "scim-lookup", run: (*runner).scimLookup},
	{name: "search-status", run: (*runner).searchStatus},
	{name: "full-sync", oneShot: true, run: (*runner).fullSync},
	{name: "ingest", run: (*runner).ingest},
	{name: "activity-window", run: (*runner).activityWindow},
	{name: "enrolments", run: (*runner).enrolments},
	{name: "erasure-job", destructive: true, oneShot: true, run: (*runner).erasureJob},
	{name: "bulk-delete", destructive: true, run: (*runner).bulkDelete},
}

// ErrFailed is what the command returns (exit status 1) when some request
// of some scenario failed; the report says which and how.
var ErrFailed = errors.New("bench: some scenarios had errors")

// DefaultSCIMUsers is how many users scim-sync provisions at most: the
// issue's full initial sync.
const DefaultSCIMUsers = 100_000

const (
	sampleUsers = 10_000 // user ids sampled for get-user, ingest and the erasure job's reader
	batchSize   = 1_000  // ids per bulk call, activities per ingestion call
	pageUsers   = 1_000  // users per page when discovering ids
)

// runner is one run of lethe bench.
type runner struct {
	log         io.Writer // progress lines
	c           *client.Client
	concurrency int
	duration    time.Duration
	jobUsers    int
	scimUsers   int
	assignment  string
	prefix      string // makes the refs, emails and activity ids of this run unique

	// The server and the tenant's credentials, for the calls the SDK does
	// not make (SCIM and its tokens), over http.
	server, tenant, key string
	http                *http.Client

	pop   *userSample // discovered on first use
	hooks *benchHooks // with --webhook
	scimState
}

// Config is one run of lethe bench: the flags of the command.
type Config struct {
	Server, Tenant, Key string // the server and the tenant's credentials
	// DB, when set, makes Run start `Executable serve --db DB` on a free
	// port, measure it (its peak resident memory too) and stop it.
	DB, Executable string
	Pprof          bool     // with DB: the server serves Go profiles too
	Scenarios      []string // from SelectScenarios
	Concurrency    int
	Duration       time.Duration
	JobUsers       int    // erasure-job: at most this many live users
	SCIMUsers      int    // scim-sync: at most this many users (0: 100,000)
	Assignment     string // enrolments: the assignment to read; default the one with the most enrolments
	// Webhook subscribes a local receiver to every event type first, and
	// waits for the outbox to drain after each scenario. A server bench
	// starts then runs with --webhooks-allow-private; a --server must.
	Webhook bool
	Log     io.Writer
}

// Run runs the selected scenarios in their order and returns the report.
// When a scenario could not run, its line says why; a setup failure (the
// first call, the server) or the end of ctx returns no report. An error
// with a report is the started server's unclean stop.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	report := &Report{Server: cfg.Server, Concurrency: cfg.Concurrency, DurationSeconds: cfg.Duration.Seconds(), NotRun: []string{}}
	for _, s := range scenarios {
		if s.destructive && !slices.Contains(cfg.Scenarios, s.name) {
			report.NotRun = append(report.NotRun, s.name)
		}
	}
	var srv *server
	if cfg.DB != "" {
		var err error
		if srv, err = startServer(ctx, cfg.Log, cfg.Executable, cfg.DB, cfg.Pprof, cfg.Webhook); err != nil {
			return nil, err
		}
		defer srv.stop() // on an early return; the normal path stops it below
		report.Server, report.StartedServer, report.Database, report.PprofAddr = srv.url, true, srv.database, srv.pprofAddr()
		if report.PprofAddr != "" {
			fmt.Fprintf(cfg.Log, "bench: server profiles at http://%s/debug/pprof/\n", report.PprofAddr)
		}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = cfg.Concurrency+4, cfg.Concurrency+4
	defer tr.CloseIdleConnections()
	httpc := &http.Client{Transport: tr, Timeout: 5 * time.Minute}
	b := &runner{
		log: cfg.Log, concurrency: cfg.Concurrency, duration: cfg.Duration, jobUsers: cfg.JobUsers, assignment: cfg.Assignment,
		scimUsers: cfg.SCIMUsers, server: report.Server, tenant: cfg.Tenant, key: cfg.Key, http: httpc,
		c:      client.New(report.Server, cfg.Tenant, cfg.Key, client.WithHTTPClient(httpc)),
		prefix: fmt.Sprintf("bench-%s-%08x", strconv.FormatInt(time.Now().Unix(), 36), rand.Uint32()),
	}
	if b.scimUsers <= 0 {
		b.scimUsers = DefaultSCIMUsers
	}
	// One call first, so that a wrong server, tenant or key is one clear
	// error rather than every request of every scenario failing.
	if _, err := b.c.SearchUsers(ctx, client.SearchParams{PerPage: 1}); err != nil {
		return nil, fmt.Errorf("bench: the first call failed: %s", fmtError(toError(err)))
	}
	hooks, err := b.startWebhook(ctx, cfg.Webhook)
	if err != nil {
		return nil, err
	}
	b.hooks = hooks
	err = b.runAll(ctx, cfg.Scenarios, srv, report)
	if hooks != nil {
		hooks.rc.close()
	}
	b.closeSCIM()
	if err != nil {
		return nil, err
	}
	if srv == nil {
		return report, nil
	}
	if report.PprofAddr == "" { // in case the server logged it late
		report.PprofAddr = srv.pprofAddr()
	}
	return report, srv.stop()
}

// runAll runs the selected scenarios in their order into report, with the
// started server's peak memory of each when srv is not nil.
func (b *runner) runAll(ctx context.Context, selected []string, srv *server, report *Report) error {
	perScenario := true
	for _, s := range scenarios {
		if !slices.Contains(selected, s.name) {
			continue
		}
		if s.oneShot {
			fmt.Fprintf(b.log, "bench: %s\n", s.name)
		} else {
			fmt.Fprintf(b.log, "bench: %s: %d workers for %s\n", s.name, b.concurrency, b.duration)
		}
		if srv != nil && !srv.resetPeak() {
			perScenario = false
		}
		var before int64
		if b.hooks != nil {
			before = b.hooks.rc.delivered.Load()
		}
		res := s.run(b, ctx)
		if b.hooks != nil {
			b.drain(ctx, b.hooks.rc, b.hooks.sub, before, &res)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		res.Name = s.name
		if srv != nil {
			res.ServerPeakRSSBytes = srv.peakRSS()
		}
		report.Scenarios = append(report.Scenarios, res)
	}
	if srv != nil {
		report.PeakRSSPerScenario = &perScenario
	}
	return nil
}

// ScenarioNames lists the scenarios, comma-separated, in their order; the
// destructive ones only when asked.
func ScenarioNames(destructive bool) string {
	var out []string
	for _, s := range scenarios {
		if destructive || !s.destructive {
			out = append(out, s.name)
		}
	}
	return strings.Join(out, ",")
}

// SelectScenarios parses --scenarios; empty means every scenario that
// erases nothing. An error names an unknown scenario.
func SelectScenarios(list string) ([]string, error) {
	if strings.TrimSpace(list) == "" {
		return strings.Split(ScenarioNames(false), ","), nil
	}
	var out []string
	for name := range strings.SplitSeq(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if !slices.ContainsFunc(scenarios, func(s scenario) bool { return s.name == name }) {
			return nil, fmt.Errorf("bench: unknown scenario %q: want some of %s", name, ScenarioNames(true))
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("bench: --scenarios names no scenario")
	}
	return out, nil
}
