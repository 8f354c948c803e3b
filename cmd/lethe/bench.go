package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/lethehq/lethe/client"
)

// lethe bench runs named load scenarios against a server over HTTP, as
// integrations would, and reports per scenario the operations, errors,
// throughput and latency percentiles, and, when it started the server
// itself (--db), the server's peak resident memory. See the "Benchmark
// harness" section of docs/PERFORMANCE.md.

// benchScenario is one named load. Timed scenarios run --concurrency
// workers for --duration; one-shot ones run once.
type benchScenario struct {
	name        string
	destructive bool // erases users: runs only when named in --scenarios
	oneShot     bool
	run         func(*bench, context.Context) benchResult
}

// benchScenarios is every scenario, in the order they run: the writes that
// add data first, the reads next, the erasures last, so that the reads see
// the whole population and the bounded erasure job runs before bulk-delete,
// which erases for as long as it runs.
var benchScenarios = []benchScenario{
	{name: "create-users", run: (*bench).createUsers},
	{name: "get-user", run: (*bench).getUser},
	{name: "search-status", run: (*bench).searchStatus},
	{name: "full-sync", oneShot: true, run: (*bench).fullSync},
	{name: "ingest", run: (*bench).ingest},
	{name: "activity-window", run: (*bench).activityWindow},
	{name: "enrolments", run: (*bench).enrolments},
	{name: "erasure-job", destructive: true, oneShot: true, run: (*bench).erasureJob},
	{name: "bulk-delete", destructive: true, run: (*bench).bulkDelete},
}

// errBenchErrors is returned (exit status 1) when some request of some
// scenario failed; the report says which and how.
var errBenchErrors = errors.New("bench: some scenarios had errors")

const (
	benchSample    = 10_000 // user ids sampled for get-user, ingest and the erasure job's reader
	benchBatch     = 1_000  // ids per bulk call, activities per ingestion call
	benchPageUsers = 1_000  // users per page when discovering ids
)

// bench is one run of lethe bench.
type bench struct {
	e           env
	c           *client.Client
	concurrency int
	duration    time.Duration
	jobUsers    int
	assignment  string
	prefix      string // makes the refs, emails and activity ids of this run unique

	pop *benchPopulation // discovered on first use
}

// benchPopulation is what bench learnt about the tenant's users.
type benchPopulation struct {
	sample []string // ids of up to benchSample users spread over the tenant
	live   []string // the sampled users that are not erased
}

// benchError is the first failure of a scenario: the HTTP status (0 when
// no answer came) and the server's message, which never holds personal
// data.
type benchError struct {
	Status  int    `json:"status"`
	Message string `json:"message"`
}

func (e *benchError) Error() string { return fmt.Sprintf("%d %s", e.Status, e.Message) }

func toBenchError(err error) *benchError {
	var be *benchError
	var ae *client.Error
	switch {
	case errors.As(err, &be):
		return be
	case errors.As(err, &ae):
		return &benchError{Status: ae.Status, Message: ae.Message}
	}
	return &benchError{Message: err.Error()}
}

// benchLatency holds latency percentiles in milliseconds, from the sorted
// samples (nearest rank).
type benchLatency struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// benchReads are the reads made beside the erasure job.
type benchReads struct {
	Operations   int64         `json:"operations"`
	Errors       int64         `json:"errors"`
	FirstError   *benchError   `json:"firstError,omitempty"`
	OpsPerSecond float64       `json:"opsPerSecond"`
	LatencyMs    *benchLatency `json:"latencyMs,omitempty"`
}

// benchResult is one scenario's line of the report.
type benchResult struct {
	Name           string        `json:"name"`
	Skipped        string        `json:"skipped,omitempty"` // why it could not run (no data of its kind)
	Operations     int64         `json:"operations"`
	Errors         int64         `json:"errors"`
	FirstError     *benchError   `json:"firstError,omitempty"`
	Seconds        float64       `json:"seconds"`
	OpsPerSecond   float64       `json:"opsPerSecond"`
	ItemUnit       string        `json:"itemUnit,omitempty"` // users or activities, when the scenario moves many
	Items          *int64        `json:"items,omitempty"`
	ItemsPerSecond *float64      `json:"itemsPerSecond,omitempty"`
	LatencyMs      *benchLatency `json:"latencyMs,omitempty"` // per request; absent when none was made
	Reads          *benchReads   `json:"reads,omitempty"`     // erasure-job only
	// ServerPeakRSSBytes is the server's peak resident memory (VmHWM) while
	// the scenario ran; null when bench did not start the server.
	ServerPeakRSSBytes *int64 `json:"serverPeakRssBytes"`
}

// benchReport is the whole output.
type benchReport struct {
	Server          string  `json:"server"`
	StartedServer   bool    `json:"startedServer"`
	Database        string  `json:"database,omitempty"` // sqlite or postgres, when bench started the server
	PprofAddr       string  `json:"pprofAddr,omitempty"`
	Concurrency     int     `json:"concurrency"`
	DurationSeconds float64 `json:"durationSeconds"`
	// PeakRSSPerScenario, when bench started the server, says whether the
	// server's peak was reset before each scenario (through
	// /proc/PID/clear_refs); when false, each scenario's figure is the peak
	// since the server started.
	PeakRSSPerScenario *bool         `json:"peakRssPerScenario,omitempty"`
	Scenarios          []benchResult `json:"scenarios"`
	NotRun             []string      `json:"notRun"` // destructive scenarios not named in --scenarios
}

// runBench: lethe bench.
func runBench(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "bench")
	r := remoteFlags(fs, e)
	dsn := fs.String("db", "", "start `lethe serve` on this database (a SQLite path or a postgres:// URL) and measure it; default: measure --server")
	names := fs.String("scenarios", "", "comma-separated scenarios (default: every one that erases nothing): "+scenarioNames(false))
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
	selected, err := selectScenarios(*names)
	if err != nil {
		return err
	}

	report := benchReport{Server: *r.server, Concurrency: *concurrency, DurationSeconds: duration.Seconds(), NotRun: []string{}}
	for _, s := range benchScenarios {
		if s.destructive && !slices.Contains(selected, s.name) {
			report.NotRun = append(report.NotRun, s.name)
		}
	}
	var srv *benchServer
	if *dsn != "" {
		if srv, err = startBenchServer(ctx, e, *dsn, *pprof); err != nil {
			return err
		}
		defer srv.stop() // on an early return; the normal path stops it below
		report.Server, report.StartedServer, report.Database, report.PprofAddr = srv.url, true, srv.database, srv.pprofAddr()
		if report.PprofAddr != "" {
			fmt.Fprintf(e.stderr, "bench: server profiles at http://%s/debug/pprof/\n", report.PprofAddr)
		}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = *concurrency+4, *concurrency+4
	defer tr.CloseIdleConnections()
	b := &bench{
		e: e, concurrency: *concurrency, duration: *duration, jobUsers: *jobUsers, assignment: *assignment,
		c:      client.New(report.Server, *r.tenant, *r.key, client.WithHTTPClient(&http.Client{Transport: tr, Timeout: 5 * time.Minute})),
		prefix: fmt.Sprintf("bench-%s-%08x", strconv.FormatInt(time.Now().Unix(), 36), rand.Uint32()),
	}
	// One call first, so that a wrong server, tenant or key is one clear
	// error rather than every request of every scenario failing.
	if _, err := b.c.SearchUsers(ctx, client.SearchParams{PerPage: 1}); err != nil {
		return fmt.Errorf("bench: the first call failed: %s", fmtBenchError(toBenchError(err)))
	}

	perScenario := true
	for _, s := range benchScenarios {
		if !slices.Contains(selected, s.name) {
			continue
		}
		if s.oneShot {
			fmt.Fprintf(e.stderr, "bench: %s\n", s.name)
		} else {
			fmt.Fprintf(e.stderr, "bench: %s: %d workers for %s\n", s.name, b.concurrency, b.duration)
		}
		if srv != nil && !srv.resetPeak() {
			perScenario = false
		}
		res := s.run(b, ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		res.Name = s.name
		if srv != nil {
			res.ServerPeakRSSBytes = srv.peakRSS()
		}
		report.Scenarios = append(report.Scenarios, res)
	}
	var stopErr error
	if srv != nil {
		report.PeakRSSPerScenario = &perScenario
		if report.PprofAddr == "" { // in case the server logged it late
			report.PprofAddr = srv.pprofAddr()
		}
		stopErr = srv.stop()
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(report); err != nil {
			return err
		}
	} else {
		writeBenchTable(e.stdout, report)
	}
	if stopErr != nil {
		return stopErr
	}
	for _, res := range report.Scenarios {
		if res.Errors > 0 || (res.Reads != nil && res.Reads.Errors > 0) {
			return errBenchErrors
		}
	}
	return nil
}

func scenarioNames(destructive bool) string {
	var out []string
	for _, s := range benchScenarios {
		if destructive || !s.destructive {
			out = append(out, s.name)
		}
	}
	return strings.Join(out, ",")
}

// selectScenarios parses --scenarios; empty means every scenario that
// erases nothing.
func selectScenarios(list string) ([]string, error) {
	if strings.TrimSpace(list) == "" {
		return strings.Split(scenarioNames(false), ","), nil
	}
	var out []string
	for name := range strings.SplitSeq(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if !slices.ContainsFunc(benchScenarios, func(s benchScenario) bool { return s.name == name }) {
			return nil, usageError{fmt.Sprintf("bench: unknown scenario %q: want some of %s", name, scenarioNames(true))}
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	if len(out) == 0 {
		return nil, usageError{"bench: --scenarios names no scenario"}
	}
	return out, nil
}

// recorder collects the measurements of one worker.
type recorder struct {
	lat        []time.Duration
	ops, errs  int64
	items      int64
	first      *benchError
	firstAt    time.Time
	rng        *rand.Rand
	worker, op int // for unique names
}

func newRecorder(worker int) *recorder {
	return &recorder{worker: worker, rng: rand.New(rand.NewPCG(rand.Uint64(), uint64(worker)))}
}

// measure times one request: f returns how many items it moved. A request
// cut short because the run is being cancelled is not counted.
func (r *recorder) measure(ctx context.Context, f func() (int, error)) {
	start := time.Now()
	n, err := f()
	d := time.Since(start)
	if err != nil && ctx.Err() != nil {
		return
	}
	r.lat = append(r.lat, d)
	r.ops++
	if err != nil {
		r.fail(start, err)
		return
	}
	r.items += int64(n)
}

func (r *recorder) fail(at time.Time, err error) {
	r.errs++
	if r.first == nil {
		r.first, r.firstAt = toBenchError(err), at
	}
}

// merge adds the recorders' counts into res and computes the latencies.
func merge(res *benchResult, recs ...*recorder) (items int64) {
	var lat []time.Duration
	var firstAt time.Time
	for _, r := range recs {
		lat = append(lat, r.lat...)
		res.Operations += r.ops
		res.Errors += r.errs
		items += r.items
		if r.first != nil && (res.FirstError == nil || r.firstAt.Before(firstAt)) {
			res.FirstError, firstAt = r.first, r.firstAt
		}
	}
	res.LatencyMs = percentiles(lat)
	return items
}

func percentiles(lat []time.Duration) *benchLatency {
	if len(lat) == 0 {
		return nil
	}
	slices.Sort(lat)
	at := func(p float64) float64 {
		// Nearest rank: the ⌈p·n⌉-th sample; the epsilon keeps 0.95·20
		// (19.000000000000004 in floating point) at rank 19.
		rank := int(math.Ceil(p*float64(len(lat)) - 1e-9))
		return ms(lat[max(0, min(rank-1, len(lat)-1))])
	}
	return &benchLatency{P50: at(0.50), P95: at(0.95), P99: at(0.99), Max: ms(lat[len(lat)-1])}
}

func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

// finish fills the rates of res.
func finish(res *benchResult, elapsed time.Duration, unit string, items int64) {
	res.Seconds = elapsed.Seconds()
	if res.Seconds > 0 {
		res.OpsPerSecond = float64(res.Operations) / res.Seconds
	}
	if unit != "" {
		res.ItemUnit, res.Items = unit, &items
		rate := 0.0
		if res.Seconds > 0 {
			rate = float64(items) / res.Seconds
		}
		res.ItemsPerSecond = &rate
	}
}

// setupFailed is the result of a scenario that could not prepare its run.
func setupFailed(err error) benchResult {
	return benchResult{Errors: 1, FirstError: toBenchError(err)}
}

// timed runs op on b.concurrency workers for b.duration, or until op
// returns false (no more work). op times its requests with rec.measure.
func (b *bench) timed(ctx context.Context, unit string, op func(ctx context.Context, rec *recorder) bool) benchResult {
	recs := make([]*recorder, b.concurrency)
	start := time.Now()
	deadline := start.Add(b.duration)
	var wg sync.WaitGroup
	for i := range recs {
		recs[i] = newRecorder(i)
		wg.Go(func() {
			for more := true; more && time.Now().Before(deadline) && ctx.Err() == nil; {
				more = op(ctx, recs[i])
			}
		})
	}
	wg.Wait()
	var res benchResult
	items := merge(&res, recs...)
	finish(&res, time.Since(start), unit, items)
	return res
}

// population samples the tenant's users: up to benchSample ids from pages
// spread evenly over the whole list.
func (b *bench) population(ctx context.Context) (*benchPopulation, error) {
	if b.pop != nil {
		return b.pop, nil
	}
	first, err := b.c.SearchUsers(ctx, client.SearchParams{PerPage: benchPageUsers})
	if err != nil {
		return nil, err
	}
	p := &benchPopulation{}
	add := func(users []client.User) {
		for _, u := range users {
			p.sample = append(p.sample, u.ID)
			if !u.Deleted {
				p.live = append(p.live, u.ID)
			}
		}
	}
	add(first.Results)
	pages, want := first.Pagination.TotalPages, benchSample/benchPageUsers
	for i := 1; i < min(pages, want); i++ {
		page, err := b.c.SearchUsers(ctx, client.SearchParams{PerPage: benchPageUsers, Page: 1 + i*pages/min(pages, want)})
		if err != nil {
			return nil, err
		}
		add(page.Results)
	}
	b.pop = p
	return p, nil
}

func (r *recorder) pick(ids []string) string { return ids[r.rng.IntN(len(ids))] }

// create-users: POST /rest/v2/users with refs and emails unique to the run.
func (b *bench) createUsers(ctx context.Context) benchResult {
	b.pop = nil // the sample should see the new users
	return b.timed(ctx, "", func(ctx context.Context, rec *recorder) bool {
		ref := fmt.Sprintf("%s-%d-%d", b.prefix, rec.worker, rec.op)
		rec.op++
		f := client.UserFields{FirstName: client.Ptr("Bench"), LastName: client.Ptr("User"), Email: client.Ptr(ref + "@bench.example.com")}
		rec.measure(ctx, func() (int, error) {
			_, err := b.c.CreateUser(ctx, ref, f)
			return 1, err
		})
		return true
	})
}

// get-user: GET /rest/v1/user/{id} of random sampled users.
func (b *bench) getUser(ctx context.Context) benchResult {
	p, err := b.population(ctx)
	if err != nil {
		return setupFailed(err)
	}
	if len(p.sample) == 0 {
		return benchResult{Skipped: "the tenant has no users"}
	}
	return b.timed(ctx, "", func(ctx context.Context, rec *recorder) bool {
		id := rec.pick(p.sample)
		rec.measure(ctx, func() (int, error) {
			_, err := b.c.GetUser(ctx, id)
			return 1, err
		})
		return true
	})
}

// searchPageLimit is how deep search-status reads: a search that a person
// or a tool browses. Reading every page is full-sync's scenario; a jump to
// a deep page costs the rows skipped before it (ADR 0012).
const searchPageLimit = 50

// searchPages is the number of pages of GET /rest/v1/users?status=active
// at perPage=100 that search-status reads from: all of them, at most
// searchPageLimit (at least 1).
func (b *bench) searchPages(ctx context.Context) (int, error) {
	page, err := b.c.SearchUsers(ctx, client.SearchParams{Status: client.StatusActive, PerPage: 100})
	if err != nil {
		return 0, err
	}
	return min(searchPageLimit, max(1, page.Pagination.TotalPages)), nil
}

func (b *bench) searchActive(ctx context.Context, rec *recorder, pages int) {
	page := 1 + rec.rng.IntN(pages)
	rec.measure(ctx, func() (int, error) {
		res, err := b.c.SearchUsers(ctx, client.SearchParams{Status: client.StatusActive, PerPage: 100, Page: page})
		if err != nil {
			return 0, err
		}
		return len(res.Results), nil
	})
}

// search-status: GET /rest/v1/users?status=active&perPage=100 at random
// pages among the first searchPageLimit.
func (b *bench) searchStatus(ctx context.Context) benchResult {
	pages, err := b.searchPages(ctx)
	if err != nil {
		return setupFailed(err)
	}
	return b.timed(ctx, "", func(ctx context.Context, rec *recorder) bool {
		b.searchActive(ctx, rec, pages)
		return true
	})
}

// full-sync: one client reads every page at perPage=200 until a short
// page, as the Airbyte connector does.
func (b *bench) fullSync(ctx context.Context) benchResult {
	rec := newRecorder(0)
	start := time.Now()
	for page, more := 1, true; more && ctx.Err() == nil; page++ {
		more = false
		rec.measure(ctx, func() (int, error) {
			res, err := b.c.SearchUsers(ctx, client.SearchParams{PerPage: 200, Page: page})
			if err != nil {
				return 0, err
			}
			more = len(res.Results) == 200
			return len(res.Results), nil
		})
	}
	var res benchResult
	items := merge(&res, rec)
	finish(&res, time.Since(start), "users", items)
	return res
}

var benchActivityTypes = []string{"viewed", "started", "progressed", "liked"}

// ingest: POST /lethe/v1/activities, batches of 1,000 new activities of
// sampled live users, dated within the last hour.
func (b *bench) ingest(ctx context.Context) benchResult {
	p, err := b.population(ctx)
	if err != nil {
		return setupFailed(err)
	}
	if len(p.live) == 0 {
		return benchResult{Skipped: "the tenant has no live users"}
	}
	return b.timed(ctx, "activities", func(ctx context.Context, rec *recorder) bool {
		now := time.Now()
		batch := make([]client.NewActivity, benchBatch)
		for i := range batch {
			batch[i] = client.NewActivity{
				ID:     fmt.Sprintf("%s-a%d-%d", b.prefix, rec.worker, rec.op),
				UserID: rec.pick(p.live), Type: benchActivityTypes[rec.op%len(benchActivityTypes)],
				Date:        now.Add(-time.Duration(rec.rng.Int64N(int64(time.Hour)))),
				ContextType: "content", ContextID: fmt.Sprintf("c%023x", rec.op%500),
				Name: "Activity", Data: json.RawMessage(`{"source":{"source":"feed"}}`),
			}
			rec.op++
		}
		rec.measure(ctx, func() (int, error) {
			res, err := b.c.IngestActivities(ctx, batch)
			if err != nil {
				return 0, err
			}
			return res.Stored, nil
		})
		return true
	})
}

// activity-window: GET /rest/v1/activities for random 24-hour windows of
// the last year, perPage=200.
func (b *bench) activityWindow(ctx context.Context) benchResult {
	return b.timed(ctx, "", func(ctx context.Context, rec *recorder) bool {
		to := time.Now().Add(-time.Duration(rec.rng.Int64N(int64(364 * 24 * time.Hour)))).Truncate(time.Second)
		from := to.Add(-24 * time.Hour)
		rec.measure(ctx, func() (int, error) {
			res, err := b.c.ListActivities(ctx, client.ActivityParams{From: &from, To: &to, PerPage: 200})
			if err != nil {
				return 0, err
			}
			return len(res.Results), nil
		})
		return true
	})
}

// countEnrolments counts an assignment's enrolments with pages of one: a
// doubling search for an empty page, then a bisection, so about 2·log₂(n)
// small requests instead of reading every enrolment.
func (b *bench) countEnrolments(ctx context.Context, id string) (int, error) {
	has := func(k int) (bool, error) {
		list, err := b.c.ListEnrolments(ctx, id, client.EnrolmentParams{Page: k, PerPage: 1})
		return len(list) > 0, err
	}
	ok, err := has(1)
	if err != nil || !ok {
		return 0, err
	}
	lo, hi := 1, 2 // page lo has an enrolment; hi is the next guess
	for {
		if ok, err = has(hi); err != nil {
			return 0, err
		}
		if !ok {
			break
		}
		lo, hi = hi, hi*2
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if ok, err = has(mid); err != nil {
			return 0, err
		}
		if ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo, nil
}

// enrolmentTarget is --assignment, or the assignment with the most
// enrolments, and its number of enrolments.
func (b *bench) enrolmentTarget(ctx context.Context) (string, int, error) {
	if b.assignment != "" {
		n, err := b.countEnrolments(ctx, b.assignment)
		return b.assignment, n, err
	}
	var best string
	most := 0
	for page := 1; ; page++ {
		list, err := b.c.ListAssignments(ctx, client.AssignmentParams{Page: page, PerPage: 100})
		if err != nil {
			return "", 0, err
		}
		for _, a := range list {
			if a.IsDeleted {
				continue
			}
			n, err := b.countEnrolments(ctx, a.ID)
			if err != nil {
				return "", 0, err
			}
			if n > most {
				best, most = a.ID, n
			}
		}
		if len(list) < 100 {
			return best, most, nil
		}
	}
}

// enrolments: GET /rest/v1/assignments/{id}/enrolments at random pages of 100.
func (b *bench) enrolments(ctx context.Context) benchResult {
	id, n, err := b.enrolmentTarget(ctx)
	if err != nil {
		return setupFailed(err)
	}
	if n == 0 {
		return benchResult{Skipped: "no assignment has enrolments"}
	}
	fmt.Fprintf(b.e.stderr, "bench: enrolments: assignment %s, %d enrolments\n", id, n)
	pages := (n + 99) / 100
	return b.timed(ctx, "", func(ctx context.Context, rec *recorder) bool {
		page := 1 + rec.rng.IntN(pages)
		rec.measure(ctx, func() (int, error) {
			list, err := b.c.ListEnrolments(ctx, id, client.EnrolmentParams{Page: page, PerPage: 100})
			return len(list), err
		})
		return true
	})
}

// idFeed hands out the ids of the tenant's live users in chunks, paging
// through the users in id order. Erased users stay in that list, so
// erasing the users already handed out moves no page.
type idFeed struct {
	ch        chan []string
	ready     chan struct{} // closed once the buffer is full or the list has ended
	readyOnce sync.Once
	err       error // the paging error, if any; read it after ch is closed
}

// feedLiveUsers starts an idFeed of up to limit users (0: all) in chunks of
// up to size, buffering up to buffer chunks ahead of their readers. It
// stops at the end of the list, at limit, at the first error or when ctx
// ends.
func (b *bench) feedLiveUsers(ctx context.Context, limit, size, buffer int) *idFeed {
	f := &idFeed{ch: make(chan []string, buffer), ready: make(chan struct{})}
	markReady := func() { f.readyOnce.Do(func() { close(f.ready) }) }
	go func() {
		defer markReady()
		defer close(f.ch)
		var chunk []string
		sent := 0
		send := func() bool {
			if len(chunk) == 0 {
				return true
			}
			select {
			case f.ch <- chunk:
			case <-ctx.Done():
				return false
			}
			sent += len(chunk)
			chunk = nil
			if len(f.ch) == cap(f.ch) {
				markReady()
			}
			return true
		}
		for page := 1; ; page++ {
			res, err := b.c.SearchUsers(ctx, client.SearchParams{PerPage: benchPageUsers, Page: page})
			if err != nil {
				if ctx.Err() == nil {
					f.err = err
				}
				return
			}
			for _, u := range res.Results {
				if u.Deleted {
					continue
				}
				chunk = append(chunk, u.ID)
				if limit > 0 && sent+len(chunk) == limit {
					send()
					return
				}
				if len(chunk) == size && !send() {
					return
				}
			}
			if len(res.Results) < benchPageUsers {
				send()
				return
			}
		}
	}()
	return f
}

// drain waits for the feeder to end and returns its error.
func (f *idFeed) drain() error {
	for range f.ch {
	}
	return f.err
}

// bulk-delete: POST /lethe/v1/users/bulk erasing 1,000 live users a call,
// for --duration or until no live user is left.
func (b *bench) bulkDelete(ctx context.Context) benchResult {
	feedCtx, stop := context.WithCancel(ctx)
	defer stop()
	// Ids are paged in ahead of the workers, two chunks each, so the clock
	// starts with work queued and paging rarely holds a worker up.
	feed := b.feedLiveUsers(feedCtx, 0, benchBatch, 2*b.concurrency)
	select {
	case <-feed.ready:
	case <-ctx.Done():
		return benchResult{}
	}
	res := b.timed(ctx, "users", func(ctx context.Context, rec *recorder) bool {
		ids, ok := <-feed.ch
		if !ok {
			return false
		}
		req := client.BulkRequest{Action: "delete", Identifiers: make([]client.Identifier, len(ids))}
		for i, id := range ids {
			req.Identifiers[i] = client.Identifier{ID: id}
		}
		rec.measure(ctx, func() (int, error) {
			out, err := b.c.BulkUsers(ctx, req, "")
			if err != nil {
				return 0, err
			}
			if n := out.Summary["failed"] + out.Summary["skipped"]; n > 0 {
				return 0, &benchError{Status: out.Status, Message: fmt.Sprintf("%d of %d users were not erased", n, len(ids))}
			}
			return out.Summary["done"], nil
		})
		return true
	})
	stop()
	if err := feed.drain(); err != nil {
		res.Errors++
		if res.FirstError == nil {
			res.FirstError = toBenchError(err)
		}
	}
	if res.Operations == 0 && res.Errors == 0 {
		return benchResult{Skipped: "the tenant has no live users"}
	}
	return res
}

// erasure-job: POST /lethe/v1/jobs deleting up to --job-users live users
// named in a CSV, then GET /lethe/v1/jobs/{id} until it has finished; a
// reader beside it makes get-user and search-status calls about 100 times
// a second.
func (b *bench) erasureJob(ctx context.Context) benchResult {
	p, err := b.population(ctx)
	if err != nil {
		return setupFailed(err)
	}
	pages, err := b.searchPages(ctx)
	if err != nil {
		return setupFailed(err)
	}
	feed := b.feedLiveUsers(ctx, b.jobUsers, b.jobUsers, 1)
	ids := <-feed.ch
	if err := feed.drain(); err != nil {
		return setupFailed(err)
	}
	if len(ids) == 0 {
		return benchResult{Skipped: "the tenant has no live users"}
	}
	fmt.Fprintf(b.e.stderr, "bench: erasure-job: %d users\n", len(ids))
	csv := "id\n" + strings.Join(ids, "\n") + "\n"

	// The reader stops between reads once the job has finished: a read
	// in flight then completes and counts.
	stopReads := make(chan struct{})
	reader := newRecorder(0)
	var reads sync.WaitGroup
	start := time.Now()
	reads.Go(func() {
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ctx.Err() == nil; i++ {
			if i%2 == 0 && len(p.sample) > 0 {
				id := reader.pick(p.sample)
				reader.measure(ctx, func() (int, error) {
					_, err := b.c.GetUser(ctx, id)
					return 1, err
				})
			} else {
				b.searchActive(ctx, reader, pages)
			}
			select {
			case <-stopReads:
				return
			case <-ctx.Done():
			case <-tick.C:
			}
		}
	})
	job, jobErr := b.runJob(ctx, csv, start)
	elapsed := time.Since(start)
	close(stopReads)
	reads.Wait()

	res := benchResult{Operations: 1}
	var processed int64
	switch {
	case jobErr != nil:
		res.Errors, res.FirstError = 1, toBenchError(jobErr)
	case job.State != "succeeded":
		res.Errors, res.FirstError = 1, &benchError{Message: fmt.Sprintf("job %s ended %s", job.ID, job.State)}
	case job.Failed > 0:
		res.Errors, res.FirstError = int64(job.Failed), &benchError{Message: fmt.Sprintf("job %s: %d of %d users failed", job.ID, job.Failed, job.Total)}
	}
	if job != nil {
		processed = int64(job.Done - job.Failed)
	}
	finish(&res, elapsed, "users", processed)
	rr := &benchReads{}
	rres := benchResult{}
	merge(&rres, reader)
	rr.Operations, rr.Errors, rr.FirstError, rr.LatencyMs = rres.Operations, rres.Errors, rres.FirstError, rres.LatencyMs
	if s := elapsed.Seconds(); s > 0 {
		rr.OpsPerSecond = float64(rr.Operations) / s
	}
	res.Reads = rr
	return res
}

// runJob queues the erasure job and polls it until it has finished, every
// twentieth of the time so far (10–250 ms), so the total is measured to
// about 5%.
func (b *bench) runJob(ctx context.Context, csv string, start time.Time) (*client.Job, error) {
	job, err := b.c.CreateJob(ctx, client.NewJob{Action: "delete", Selector: client.JobSelector{CSV: &csv}})
	if err != nil {
		return nil, err
	}
	for !job.Finished() {
		wait := min(250*time.Millisecond, max(10*time.Millisecond, time.Since(start)/20))
		select {
		case <-ctx.Done():
			return job, ctx.Err()
		case <-time.After(wait):
		}
		next, err := b.c.GetJob(ctx, job.ID)
		if err != nil {
			return job, err
		}
		job = next
	}
	return job, nil
}

// writeBenchTable prints the report as a table.
func writeBenchTable(w io.Writer, r benchReport) {
	where := r.Server
	if r.StartedServer {
		where += " (started by bench, " + r.Database + ")"
	}
	fmt.Fprintf(w, "server %s, %d workers, %s per timed scenario\n\n", where, r.Concurrency, time.Duration(r.DurationSeconds*float64(time.Second)))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tOPS\tERRORS\tTIME\tOPS/S\tITEMS/S\tP50\tP95\tP99\tMAX\tSERVER PEAK RSS")
	row := func(name string, ops, errs int64, secs float64, rate float64, items string, lat *benchLatency, rss string) {
		l := [4]string{"-", "-", "-", "-"}
		if lat != nil {
			l = [4]string{fmtMs(lat.P50), fmtMs(lat.P95), fmtMs(lat.P99), fmtMs(lat.Max)}
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", name, ops, errs, fmtSeconds(secs), fmtRate(rate), items, l[0], l[1], l[2], l[3], rss)
	}
	for _, s := range r.Scenarios {
		if s.Skipped != "" {
			fmt.Fprintf(tw, "%s\tskipped: %s\n", s.Name, s.Skipped)
			continue
		}
		items := "-"
		if s.ItemsPerSecond != nil {
			items = fmtRate(*s.ItemsPerSecond) + " " + s.ItemUnit + "/s"
		}
		rss := "n/a"
		if s.ServerPeakRSSBytes != nil {
			rss = fmt.Sprintf("%.1f MiB", float64(*s.ServerPeakRSSBytes)/(1<<20))
		}
		row(s.Name, s.Operations, s.Errors, s.Seconds, s.OpsPerSecond, items, s.LatencyMs, rss)
		if s.Reads != nil {
			row(s.Name+" reads", s.Reads.Operations, s.Reads.Errors, s.Seconds, s.Reads.OpsPerSecond, "-", s.Reads.LatencyMs, "")
		}
	}
	tw.Flush()
	var notes []string
	for _, s := range r.Scenarios {
		if s.Items != nil && s.Skipped == "" {
			notes = append(notes, fmt.Sprintf("%s: %s %s in %s", s.Name, fmtCount(*s.Items), s.ItemUnit, fmtSeconds(s.Seconds)))
		}
		if s.Reads != nil && s.Reads.LatencyMs != nil {
			verdict := "never blocked more than 100 ms"
			if s.Reads.LatencyMs.Max > 100 {
				verdict = "blocked more than 100 ms"
			}
			notes = append(notes, fmt.Sprintf("%s: reads beside the job: p99 %s, max %s (%s)", s.Name, fmtMs(s.Reads.LatencyMs.P99), fmtMs(s.Reads.LatencyMs.Max), verdict))
		}
		if s.FirstError != nil {
			notes = append(notes, fmt.Sprintf("%s: first error: %s", s.Name, fmtBenchError(s.FirstError)))
		}
		if s.Reads != nil && s.Reads.FirstError != nil {
			notes = append(notes, fmt.Sprintf("%s reads: first error: %s", s.Name, fmtBenchError(s.Reads.FirstError)))
		}
	}
	if len(r.NotRun) > 0 {
		notes = append(notes, fmt.Sprintf("not run (they erase users; name them in --scenarios): %s", strings.Join(r.NotRun, ", ")))
	}
	if r.PeakRSSPerScenario != nil && !*r.PeakRSSPerScenario {
		notes = append(notes, "server peak RSS: since the server started (the per-scenario reset was refused)")
	}
	if len(notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range notes {
			fmt.Fprintln(w, n)
		}
	}
}

func fmtBenchError(e *benchError) string {
	if e.Status == 0 {
		return "no answer: " + e.Message
	}
	return fmt.Sprintf("%d %s", e.Status, e.Message)
}

func fmtMs(v float64) string {
	switch {
	case v >= 1000:
		return fmtSeconds(v / 1000)
	case v >= 100:
		return fmt.Sprintf("%.0fms", v)
	case v >= 10:
		return fmt.Sprintf("%.1fms", v)
	}
	return fmt.Sprintf("%.2fms", v)
}

func fmtSeconds(s float64) string {
	if s >= 100 {
		return fmt.Sprintf("%.0fs", s)
	}
	return fmt.Sprintf("%.2fs", s)
}

// fmtRate prints a rate with two decimals below 10, one below 100, and
// whole, grouped by thousands, above.
func fmtRate(v float64) string {
	switch {
	case v < 10:
		return fmt.Sprintf("%.2f", v)
	case v < 100:
		return fmt.Sprintf("%.1f", v)
	}
	return fmtCount(int64(v + 0.5))
}

// fmtCount prints n with its thousands grouped.
func fmtCount(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// benchServer is a `lethe serve` that bench started as a child process of
// the same executable.
type benchServer struct {
	cmd      *exec.Cmd
	url      string
	database string
	done     chan struct{} // closed when the process has exited
	waitErr  error

	mu    sync.Mutex
	tail  [][]byte // the last log lines, shown when the server fails
	pprof string

	stopOnce sync.Once
	stopErr  error
}

// startBenchServer runs `lethe serve --db dsn --addr 127.0.0.1:0` and waits
// for its "listening" log record.
func startBenchServer(ctx context.Context, e env, dsn string, pprof bool) (*benchServer, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("bench: find the lethe executable: %w", err)
	}
	args := []string{"serve", "--db", dsn, "--addr", "127.0.0.1:0"}
	if pprof {
		args = append(args, "--pprof", "127.0.0.1:0")
	}
	s := &benchServer{done: make(chan struct{})}
	s.cmd = exec.CommandContext(ctx, exe, args...)
	s.cmd.Cancel = func() error { return s.cmd.Process.Signal(syscall.SIGTERM) }
	s.cmd.WaitDelay = time.Minute
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: start the server: %w", err)
	}
	listening := make(chan [2]string, 1)
	go func() {
		// The log is read to its end (the server's exit) before Wait,
		// which closes the pipe.
		s.readLog(stderr, listening)
		s.waitErr = s.cmd.Wait()
		close(s.done)
	}()
	select {
	case l := <-listening:
		s.url, s.database = "http://"+l[0], l[1]
		return s, nil
	case <-s.done:
		err = fmt.Errorf("bench: the server exited before listening (%v)", s.waitErr)
		if pprof && s.cmd.ProcessState.ExitCode() == 2 {
			err = fmt.Errorf("%w; does this lethe's serve take --pprof?", err)
		}
	case <-time.After(5 * time.Minute):
		s.stop()
		err = errors.New("bench: the server did not listen within 5 minutes")
	case <-ctx.Done():
		s.stop()
		return nil, ctx.Err()
	}
	s.writeTail(e.stderr)
	return nil, err
}

// readLog reads the server's JSON log lines: it reports the address of the
// "listening" record, notes a pprof address, and keeps the last lines.
// It reads to the end, so the server never blocks on a full pipe.
func (s *benchServer) readLog(r io.Reader, listening chan<- [2]string) {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			s.note(line, listening)
		}
		if err != nil {
			return
		}
	}
}

func (s *benchServer) note(line []byte, listening chan<- [2]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tail = append(s.tail, line)
	if len(s.tail) > 20 {
		s.tail = s.tail[1:]
	}
	// Only the rare records worth parsing are parsed: the server logs a
	// line per request.
	if !bytes.Contains(line, []byte(`"listening"`)) && !bytes.Contains(line, []byte("pprof")) {
		return
	}
	var rec struct{ Msg, Addr, Database string }
	if json.Unmarshal(line, &rec) != nil || rec.Addr == "" {
		return
	}
	switch {
	case rec.Msg == "listening":
		select {
		case listening <- [2]string{rec.Addr, rec.Database}:
		default:
		}
	case strings.Contains(rec.Msg, "pprof"):
		s.pprof = rec.Addr
	}
}

func (s *benchServer) pprofAddr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pprof
}

func (s *benchServer) writeTail(w io.Writer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.tail) > 0 {
		fmt.Fprintln(w, "bench: the server's last log lines:")
		for _, l := range s.tail {
			w.Write(l)
		}
	}
}

// resetPeak resets the server's peak resident memory (Linux: writing 5 to
// /proc/PID/clear_refs); false when that is refused.
func (s *benchServer) resetPeak() bool {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", s.cmd.Process.Pid), []byte("5"), 0) == nil
}

// peakRSS reads VmHWM from /proc/PID/status; nil when it cannot.
func (s *benchServer) peakRSS() *int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return nil
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return nil
			}
			kb *= 1024
			return &kb
		}
	}
	return nil
}

// stop ends the server as SIGTERM does (in-flight requests finish, the
// database is closed) and waits for it; an unclean exit is an error.
func (s *benchServer) stop() error {
	s.stopOnce.Do(func() {
		select {
		case <-s.done:
		default:
			s.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-s.done:
			case <-time.After(time.Minute):
				s.cmd.Process.Kill()
				<-s.done
				s.stopErr = errors.New("bench: the server did not stop within a minute of SIGTERM; killed")
				return
			}
		}
		if s.waitErr != nil {
			s.stopErr = fmt.Errorf("bench: the server exited uncleanly: %v", s.waitErr)
		}
	})
	return s.stopErr
}
