package main

// Tests of lethe bench: it runs in-process through run against a server of
// the test harness (or, with --db, starts its own server process), with a
// short --duration, and the report is checked scenario by scenario.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lethehq/lethe/internal/seed"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/client"
	"github.com/lethehq/lethe/internal/bench"
	"github.com/lethehq/lethe/internal/sqldb"
	"github.com/lethehq/lethe/internal/testdb"
)

var benchDefault = []string{"create-users", "scim-sync", "get-user", "scim-lookup", "search-status", "full-sync", "ingest", "activity-window", "enrolments"}

// benchData is what mustBenchData made.
type benchData struct {
	users      int    // users created, the erased one included
	live       int    // users not erased
	assignment string // the assignment with the most enrolments
	enrolled   int    // its enrolments
}

// mustBenchData gives srv's tenant a little of everything the scenarios
// read: users (half of them signed in, one erased), content, two
// assignments (on audiences of different sizes) and activities of the last
// days.
func mustBenchData(t *testing.T, srv *testServer, users int) benchData {
	t.Helper()
	ctx := t.Context()
	c := srv.Client
	var ids []string
	for i := range users {
		u := mustCreate(t, srv, fmt.Sprintf("BENCH-%03d", i),
			personFields("Benchley", fmt.Sprintf("Loadtester%03d", i), fmt.Sprintf("benchley.loadtester%03d@example.com", i)))
		ids = append(ids, u.ID)
		if i%2 == 0 {
			if _, err := c.RecordLogin(ctx, u.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	content := "c000000000000000000b0001"
	if _, err := c.CreateContent(ctx, client.ContentFields{ID: &content, Title: client.Ptr("Bench course"), Type: client.Ptr("video")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateAudience(ctx, client.AudienceFields{Name: client.Ptr("Organisation"), Reference: client.Ptr("BENCH-ORG")}); err != nil {
		t.Fatal(err)
	}
	var big string
	for _, a := range []struct {
		ref     string
		members []string
	}{{"BENCH-SMALL", ids[:5]}, {"BENCH-ALL", ids[:users-1]}} {
		if _, err := c.CreateAudience(ctx, client.AudienceFields{Name: client.Ptr(a.ref), Reference: &a.ref, ParentID: client.Ptr("BENCH-ORG")}); err != nil {
			t.Fatal(err)
		}
		if res, err := c.AddMembers(ctx, a.ref, a.members); err != nil || res.Failure != nil {
			t.Fatalf("add members = %+v, %v", res, err)
		}
		as, err := c.CreateAssignment(ctx, client.AssignmentFields{AudienceID: a.ref, ContentID: &content})
		if err != nil {
			t.Fatal(err)
		}
		big = as.ID
	}
	var acts []client.NewActivity
	for i := range 50 {
		acts = append(acts, client.NewActivity{ID: fmt.Sprintf("bench-seed-%d", i), Type: "viewed", UserID: ids[i%(users-1)],
			Date: time.Now().Add(-time.Duration(i) * 7 * time.Hour)})
	}
	if _, err := c.IngestActivities(ctx, acts); err != nil {
		t.Fatal(err)
	}
	// The last user is erased: the scenarios that need live users skip it.
	if _, err := c.DeleteUserByID(ctx, ids[users-1]); err != nil {
		t.Fatal(err)
	}
	return benchData{users: users, live: users - 1, assignment: big, enrolled: users - 1}
}

// benchUsers counts the tenant's users and the erased ones among them.
func benchUsers(t *testing.T, c *client.Client) (total, deleted int) {
	t.Helper()
	for u, err := range c.AllUsers(t.Context(), client.SearchParams{PerPage: 1000}) {
		if err != nil {
			t.Fatal(err)
		}
		total++
		if u.Deleted {
			deleted++
		}
	}
	return total, deleted
}

// mustBench runs lethe bench with args and decodes its --json report; the
// run must succeed.
func mustBench(t *testing.T, args ...string) (bench.Report, string) {
	t.Helper()
	stdout, stderr, err := cli(t, append([]string{"bench", "--json"}, args...)...)
	if err != nil {
		t.Fatalf("bench %q: %v\nstdout:\n%s\nstderr:\n%s", args, err, stdout, stderr)
	}
	return mustBenchReport(t, stdout), stderr
}

func mustBenchReport(t *testing.T, stdout string) bench.Report {
	t.Helper()
	var r bench.Report
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("bench --json printed what is not its report (%v):\n%s", err, stdout)
	}
	return r
}

// scenario returns the report's line for name.
func scenario(t *testing.T, r bench.Report, name string) bench.Result {
	t.Helper()
	for _, s := range r.Scenarios {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("the report has no %s line: %+v", name, r.Scenarios)
	return bench.Result{}
}

// mustMeasured checks that a scenario ran, made requests and had no error.
func mustMeasured(t *testing.T, s bench.Result) {
	t.Helper()
	if s.Skipped != "" || s.Operations == 0 || s.Errors != 0 || s.FirstError != nil || s.Seconds <= 0 || s.OpsPerSecond <= 0 {
		t.Errorf("%s: %+v; want operations, no error", s.Name, s)
	}
	if s.Name != "erasure-job" && (s.LatencyMs == nil || s.LatencyMs.P50 <= 0 || s.LatencyMs.P50 > s.LatencyMs.P95 ||
		s.LatencyMs.P95 > s.LatencyMs.P99 || s.LatencyMs.P99 > s.LatencyMs.Max) {
		t.Errorf("%s: latencies %+v, want 0 < p50 <= p95 <= p99 <= max", s.Name, s.LatencyMs)
	}
}

func benchRemote(srv *testServer) []string {
	return []string{"--server", srv.URL, "--tenant", srv.TenantID, "--key", srv.APIKey, "--duration", "300ms", "--concurrency", "2"}
}

// mustNotLeak fails when bench's output holds the test users' personal data.
func mustNotLeak(t *testing.T, outputs ...string) {
	t.Helper()
	for _, out := range outputs {
		if strings.Contains(out, "Benchley") || strings.Contains(out, "Loadtester") || strings.Contains(out, "@example.com") {
			t.Errorf("bench output holds personal data:\n%s", out)
		}
	}
}

func TestRun_Bench(t *testing.T) {
	t.Parallel()
	t.Run("OKDefaultScenarios", func(t *testing.T) {
		t.Parallel()
		srv := MustRunMain(t)
		data := mustBenchData(t, srv, 40)
		r, stderr := mustBench(t, benchRemote(srv)...)
		var names []string
		for _, s := range r.Scenarios {
			names = append(names, s.Name)
			mustMeasured(t, s)
			if s.ServerPeakRSSBytes != nil {
				t.Errorf("%s: server peak RSS %d, want none: bench did not start the server", s.Name, *s.ServerPeakRSSBytes)
			}
		}
		if !slices.Equal(names, benchDefault) {
			t.Errorf("scenarios %v, want the default set %v", names, benchDefault)
		}
		if !slices.Equal(r.NotRun, []string{"erasure-job", "bulk-delete"}) {
			t.Errorf("notRun = %v, want the destructive scenarios", r.NotRun)
		}
		if r.StartedServer || r.Server != srv.URL || r.Concurrency != 2 || r.DurationSeconds != 0.3 || r.PeakRSSPerScenario != nil {
			t.Errorf("report header = %+v", r)
		}
		// Nothing was erased; create-users added its users, and full-sync
		// (which ran after it) read every one of them.
		total, deleted := benchUsers(t, srv.Client)
		if deleted != 1 {
			t.Errorf("%d users erased after the default scenarios, want only the one erased before", deleted)
		}
		created, synced := scenario(t, r, "create-users").Operations, scenario(t, r, "scim-sync")
		if synced.Items == nil || *synced.Items != synced.Operations || synced.ItemUnit != "users" || *synced.ItemsPerSecond <= 0 {
			t.Errorf("scim-sync = %+v, want one user provisioned per operation", synced)
		}
		if int64(total) != int64(data.users)+created+synced.Operations {
			t.Errorf("%d users, want the %d made before plus the %d that create-users and the %d that scim-sync made",
				total, data.users, created, synced.Operations)
		}
		if fs := scenario(t, r, "full-sync"); fs.Items == nil || *fs.Items != int64(total) || fs.ItemUnit != "users" ||
			fs.Operations != int64(total/200+1) || *fs.ItemsPerSecond <= 0 {
			t.Errorf("full-sync = %+v, want %d users in %d pages", fs, total, total/200+1)
		}
		if in := scenario(t, r, "ingest"); in.Items == nil || *in.Items != in.Operations*1000 || in.ItemUnit != "activities" {
			t.Errorf("ingest = %+v, want 1,000 activities stored per call", in)
		}
		if !strings.Contains(stderr, fmt.Sprintf("enrolments: assignment %s, %d enrolments", data.assignment, data.enrolled)) {
			t.Errorf("enrolments did not pick the assignment with the most enrolments (%s, %d):\n%s", data.assignment, data.enrolled, stderr)
		}
		page, err := srv.Client.ListActivities(t.Context(), client.ActivityParams{PerPage: 1})
		if err != nil || page.Pagination.TotalResults != 50+int(*scenario(t, r, "ingest").Items) {
			t.Errorf("activities after ingest: %+v, %v", page, err)
		}

		// The table: one line per scenario, and the memory column says n/a.
		stdout, stderr, err := cli(t, append([]string{"bench", "--scenarios", "full-sync, get-user"}, benchRemote(srv)...)...)
		if err != nil {
			t.Fatalf("bench (table): %v\n%s", err, stderr)
		}
		lines := strings.Split(stdout, "\n")
		if len(lines) < 5 || !strings.HasPrefix(lines[2], "SCENARIO") || !strings.Contains(lines[2], "P99") ||
			!strings.HasPrefix(lines[3], "get-user ") || !strings.HasPrefix(lines[4], "full-sync ") ||
			!strings.HasSuffix(lines[3], "n/a") || !strings.Contains(lines[4], "users/s") {
			t.Errorf("table:\n%s", stdout)
		}
		if !strings.Contains(stdout, "not run (they erase users; name them in --scenarios): erasure-job, bulk-delete") {
			t.Errorf("the table does not say which scenarios did not run:\n%s", stdout)
		}
		mustNotLeak(t, stdout, stderr)
	})
	t.Run("OKDestructiveWhenNamed", func(t *testing.T) {
		t.Parallel()
		srv := MustRunMain(t)
		data := mustBenchData(t, srv, 30)
		r, stderr := mustBench(t, append(benchRemote(srv), "--scenarios", "erasure-job", "--job-users", "20")...)
		job := scenario(t, r, "erasure-job")
		mustMeasured(t, job)
		if len(r.Scenarios) != 1 || job.Operations != 1 || job.Items == nil || *job.Items != 20 || job.ItemUnit != "users" {
			t.Errorf("erasure-job = %+v, want one job erasing 20 users", job)
		}
		if job.Reads == nil || job.Reads.Operations < 1 || job.Reads.Errors != 0 || job.Reads.LatencyMs == nil {
			t.Errorf("erasure-job reads = %+v, want reads beside the job", job.Reads)
		}
		if !slices.Equal(r.NotRun, []string{"bulk-delete"}) {
			t.Errorf("notRun = %v, want bulk-delete", r.NotRun)
		}
		if _, deleted := benchUsers(t, srv.Client); deleted != 1+20 {
			t.Errorf("%d users erased, want the 20 of the job and the one before", deleted)
		}

		r, stderr2 := mustBench(t, append(benchRemote(srv), "--scenarios", "bulk-delete")...)
		bulk := scenario(t, r, "bulk-delete")
		mustMeasured(t, bulk)
		if bulk.Items == nil || *bulk.Items != int64(data.live-20) || bulk.Operations != 1 || bulk.ItemUnit != "users" {
			t.Errorf("bulk-delete = %+v, want one call erasing the %d users left", bulk, data.live-20)
		}
		if total, deleted := benchUsers(t, srv.Client); deleted != total {
			t.Errorf("%d of %d users erased after bulk-delete, want all", deleted, total)
		}
		// Nobody is left to erase: the scenarios say so and fail nothing.
		r, _ = mustBench(t, append(benchRemote(srv), "--scenarios", "bulk-delete,erasure-job")...)
		for _, s := range r.Scenarios {
			if s.Skipped != "the tenant has no live users" || s.Errors != 0 || s.Operations != 0 {
				t.Errorf("%s with nobody left = %+v, want skipped", s.Name, s)
			}
		}
		mustNotLeak(t, stderr, stderr2)
	})
	t.Run("OKSCIM", func(t *testing.T) {
		t.Parallel()
		srv := MustRunMain(t)
		data := mustBenchData(t, srv, 10)
		args := []string{"--server", srv.URL, "--tenant", srv.TenantID, "--key", srv.APIKey, "--duration", "60s", "--concurrency", "8"}
		r, stderr := mustBench(t, append(args, "--scenarios", "scim-lookup,scim-sync", "--scim-users", "40")...)
		if len(r.Scenarios) != 2 || r.Scenarios[0].Name != "scim-sync" || r.Scenarios[1].Name != "scim-lookup" {
			t.Fatalf("scenarios %+v, want scim-sync then scim-lookup", r.Scenarios)
		}
		synced := scenario(t, r, "scim-sync")
		mustMeasured(t, synced)
		if synced.Operations != 40 || synced.Items == nil || *synced.Items != 40 || synced.ItemUnit != "users" || synced.Seconds >= 60 {
			t.Errorf("scim-sync = %+v, want 40 users and an end before --duration", synced)
		}
		mustMeasured(t, scenario(t, r, "scim-lookup"))
		if total, _ := benchUsers(t, srv.Client); total != data.users+40 {
			t.Errorf("%d users after scim-sync, want %d", total, data.users+40)
		}
		// The run's SCIM token was revoked at its end.
		if tokens := apiGet(t, srv, "/lethe/v1/scim/tokens"); strings.TrimSpace(tokens) != "[]" {
			t.Errorf("SCIM tokens after bench: %s, want none left", tokens)
		}
		mustNotLeak(t, stderr)
	})
	t.Run("OKStartsItsOwnServer", func(t *testing.T) {
		t.Parallel()
		dsn := testdb.DSN(t)
		tenant, key := MustCreateTenant(t, dsn, "Bench organisation")
		db, err := sqldb.Open(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		ctx := lethe.WithActor(t.Context(), lethe.Actor{TenantID: lethe.TenantID(tenant), Source: lethe.SourceCLI, Name: "seed"})
		if err := seed.Users(ctx, db, 300, 1); err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		args := []string{"--db", dsn, "--tenant", tenant, "--key", key, "--duration", "300ms", "--concurrency", "2"}
		r, _ := mustBench(t, append(args, "--scenarios", "get-user,search-status,full-sync,erasure-job", "--job-users", "20")...)
		if !r.StartedServer || r.Database != testdb.Kind() || !strings.HasPrefix(r.Server, "http://127.0.0.1:") ||
			r.PeakRSSPerScenario == nil || !*r.PeakRSSPerScenario {
			t.Errorf("report header = %+v, want a server bench started on %s, peaks per scenario", r, testdb.Kind())
		}
		for _, s := range r.Scenarios {
			mustMeasured(t, s)
			if s.ServerPeakRSSBytes == nil || *s.ServerPeakRSSBytes < 1<<20 || *s.ServerPeakRSSBytes > 4<<30 {
				t.Errorf("%s: server peak RSS %v, want a figure in bytes", s.Name, s.ServerPeakRSSBytes)
			}
		}
		if fs := scenario(t, r, "full-sync"); fs.Items == nil || *fs.Items != 300 {
			t.Errorf("full-sync = %+v, want the 300 seeded users", fs)
		}
		if job := scenario(t, r, "erasure-job"); job.Items == nil || *job.Items != 20 {
			t.Errorf("erasure-job = %+v, want 20 users erased", job)
		}
		// bench stopped its server.
		if _, err := http.Get(r.Server + "/healthz"); err == nil {
			t.Errorf("the server bench started still answers after bench returned")
		}
		stdout, stderr, err := cli(t, append([]string{"bench", "--scenarios", "get-user"}, args...)...)
		if err != nil || !strings.Contains(stdout, "(started by bench, "+testdb.Kind()+")") || !strings.Contains(stdout, " MiB") {
			t.Errorf("bench --db (table) = %v:\n%s\n%s", err, stdout, stderr)
		}
	})
	t.Run("ErrScenarioFailed", func(t *testing.T) {
		t.Parallel()
		srv := MustRunMain(t)
		stdout, _, err := cli(t, append([]string{"bench", "--json", "--scenarios", "enrolments", "--assignment", "650000000000000000000fff"},
			benchRemote(srv)...)...)
		if err == nil || isUsageError(err) {
			t.Fatalf("bench on an unknown assignment = %v, want a runtime error (exit 1)", err)
		}
		s := scenario(t, mustBenchReport(t, stdout), "enrolments")
		if s.Errors != 1 || s.FirstError == nil || s.FirstError.Status != 404 || s.FirstError.Message == "" {
			t.Errorf("enrolments of an unknown assignment = %+v, want one 404 error with its message", s)
		}
		_, _, err = cli(t, "bench", "--server", srv.URL, "--tenant", srv.TenantID, "--key", "wrong", "--scenarios", "get-user")
		if err == nil || isUsageError(err) || !strings.Contains(err.Error(), "401") {
			t.Errorf("bench with a wrong key = %v, want a runtime error naming the 401", err)
		}
	})
	t.Run("ErrServerDoesNotStart", func(t *testing.T) {
		t.Parallel()
		file := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(file, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		_, stderr, err := cli(t, "bench", "--db", filepath.Join(file, "lethe.db"), "--tenant", "t", "--key", "k")
		if err == nil || isUsageError(err) || !strings.Contains(err.Error(), "exited before listening") ||
			!strings.Contains(stderr, "the server's last log lines") {
			t.Errorf("bench on a database that cannot open = %v, stderr %q; want a runtime error and the server's log", err, stderr)
		}
	})
	t.Run("ErrUsage", func(t *testing.T) {
		t.Parallel()
		creds := []string{"--tenant", "t", "--key", "k", "--server", "http://127.0.0.1:1"}
		for _, args := range [][]string{
			{"--scenarios", "get-user,frobnicate"},
			{"--scenarios", ","},
			{"--duration", "soon"},
			{"--duration", "0s"},
			{"--concurrency", "0"},
			{"--job-users", "0"},
			{"--scim-users", "0"},
			{"extra"},
			{"--db", "x.db"}, // and --server
			{"--pprof"},      // without --db
			{"--bogus", "1"},
		} {
			_, _, err := cli(t, append(append([]string{"bench"}, creds...), args...)...)
			if !isUsageError(err) {
				t.Errorf("bench %q = %v, want a usage error", args, err)
			}
		}
		if _, _, err := cli(t, "bench", "--server", "http://127.0.0.1:1"); !isUsageError(err) {
			t.Errorf("bench without --tenant and --key = %v, want a usage error", err)
		}
		// The environment stands in for the flags.
		env := map[string]string{"LETHE_TENANT": "t", "LETHE_API_KEY": "k", "LETHE_SERVER": "http://127.0.0.1:1"}
		err := run(context.Background(), []string{"bench", "--scenarios", "get-user"}, func(k string) string { return env[k] }, &strings.Builder{}, &strings.Builder{})
		if err == nil || isUsageError(err) {
			t.Errorf("bench from the environment against a closed port = %v, want a runtime error", err)
		}
	})
}
