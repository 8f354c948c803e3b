package main

// End-to-end tests of what differs by database: several `lethe serve`
// processes on one PostgreSQL database, the pool size flag, the periodic
// rewrite of the personal-data tables, and `lethe migrate` on both kinds.

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lethehq/lethe/client"
	"github.com/lethehq/lethe/internal/sqldb"
	"github.com/lethehq/lethe/internal/testdb"
)

// withAppName returns dsn (a PostgreSQL URL from testdb.DSN) with an
// application_name unique to the test, and that name, so the test can find
// the server's own connections in pg_stat_activity.
func withAppName(tb testing.TB, dsn string) (string, string) {
	tb.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		tb.Fatal(err)
	}
	name := "lethe-" + testdb.Schema(tb, dsn)
	q := u.Query()
	q.Set("application_name", name)
	u.RawQuery = q.Encode()
	return u.String(), name
}

// backends counts the open PostgreSQL connections named app.
func backends(tb testing.TB, app string) int {
	tb.Helper()
	var n int
	if err := testdb.Admin(tb).QueryRow(`SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = $1`, app).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// mustNoBackends waits until no PostgreSQL connection named app is open
// (a closed client's backend exits a moment after the client hangs up).
func mustNoBackends(tb testing.TB, app string) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n := backends(tb, app)
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%d connections of the stopped server are still open", n)
		}
		time.Sleep(10 * time.Millisecond) // polling, with a deadline
	}
}

// mustPostgresResidue reports which canaries can still be read in the
// PostgreSQL database dsn (no server may run on it) after doing what a
// server does after erasures: vacuum the personal-data tables (Scrub) and
// rewrite them (RewritePersonalData, as serve --rewrite-interval does).
//
// A vacuum removes only rows that no open transaction of the same database
// can still see; other test packages share the database, so a transaction of
// theirs that is open across the erasure keeps the row for that round. The
// helper then retries until none of erased is found or a deadline passes.
func mustPostgresResidue(tb testing.TB, dsn string, erased []string, canaries ...string) []string {
	tb.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(30 * time.Second)
	for {
		db, err := sqldb.Open(ctx, dsn)
		if err != nil {
			tb.Fatal(err)
		}
		if err := db.Scrub(ctx); err != nil {
			tb.Fatalf("scrub: %v", err)
		}
		if err := db.RewritePersonalData(ctx); err != nil {
			tb.Fatalf("rewrite personal data: %v", err)
		}
		if err := db.Close(); err != nil {
			tb.Fatal(err)
		}
		found := testdb.Residue(tb, dsn, canaries...)
		if !slices.ContainsFunc(found, func(c string) bool { return slices.Contains(erased, c) }) || time.Now().After(deadline) {
			return found
		}
		tb.Logf("erased values still readable after a rewrite (%v); retrying in case another transaction held them back", found)
		time.Sleep(100 * time.Millisecond) // polling, with a deadline
	}
}

// waitForLog waits until the server has logged n records with message msg.
func (s *testServer) waitForLog(tb testing.TB, msg string, n int) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := countLog(tb, s, msg)
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%d %q records in the log after 30s, want %d\nlog:\n%s", got, msg, n, s.logs)
		}
		time.Sleep(10 * time.Millisecond) // polling, with a deadline
	}
}

// countLog counts the server's log records with message msg.
func countLog(tb testing.TB, s *testServer, msg string) int {
	tb.Helper()
	n := 0
	for _, r := range s.logs.records(tb) {
		if r["msg"] == msg {
			n++
		}
	}
	return n
}

func skipUnlessPostgres(tb testing.TB, why string) {
	tb.Helper()
	if testdb.Kind() != "postgres" {
		tb.Skip(why)
	}
}

// MustServePair starts two `lethe serve` processes on one fresh PostgreSQL
// database, as two app servers behind a load balancer, and creates one
// tenant. Both test servers carry an SDK client for the tenant.
func MustServePair(tb testing.TB) (a, b *testServer) {
	tb.Helper()
	dsn := testdb.DSN(tb)
	a, b = mustServe(tb, dsn), mustServe(tb, dsn)
	id, key := MustCreateTenant(tb, dsn, "Shared organisation")
	for _, s := range []*testServer{a, b} {
		s.TenantID, s.APIKey = id, key
		s.Client = s.NewClient(id, key)
	}
	return a, b
}

// rememberBoth registers personal values with both servers, whose logs must
// hold none of them.
func rememberBoth(a, b *testServer, ref string, f client.UserFields) {
	a.rememberFields(ref, f)
	b.rememberFields(ref, f)
}

func TestRun_ServeTwoProcesses(t *testing.T) {
	t.Parallel()
	t.Run("OKAlternatingRequests", func(t *testing.T) {
		t.Parallel()
		skipUnlessPostgres(t, "two processes on one database is a PostgreSQL deployment")
		a, b := MustServePair(t)
		if a.Addr == b.Addr {
			t.Fatalf("both servers listen on %s", a.Addr)
		}
		ctx := t.Context()
		ref := "SHARED-0001"
		f := personFields("Ambrosia", "Twoserver", "ambrosia.twoserver@example.com")
		f.JobTitle = client.Ptr("Cartographer")
		rememberBoth(a, b, ref, f)

		// Create on A, read on B.
		created, err := a.Client.CreateUser(ctx, ref, f)
		if err != nil {
			t.Fatalf("create on A: %v", err)
		}
		byRef, err := b.Client.GetUserByRef(ctx, ref)
		if err != nil {
			t.Fatalf("read on B: %v", err)
		}
		if byRef.ID != created.ID || byRef.Email != *f.Email || byRef.Status != client.StatusNew {
			t.Errorf("B reads %s, want the user A created (%s)", asJSON(byRef), asJSON(created))
		}

		// Update on B, read on A.
		upd := client.UserFields{JobTitle: client.Ptr("Chief Navigator"), Email: client.Ptr("ambrosia.navigator@example.com")}
		rememberBoth(a, b, ref, upd)
		updated, err := b.Client.UpdateUser(ctx, ref, upd)
		if err != nil {
			t.Fatalf("update on B: %v", err)
		}
		got, err := a.Client.GetUser(ctx, created.ID)
		if err != nil {
			t.Fatalf("read on A: %v", err)
		}
		if got.Email != *upd.Email || len(got.Positions) != 1 || got.Positions[0].Title != *upd.JobTitle ||
			!sameTime(got.UpdatedAt, &updated.UpdatedAt) {
			t.Errorf("A reads %s after B's update %s", asJSON(got), asJSON(updated))
		}

		// Suspend on A, search on B.
		if sus, err := a.Client.SuspendUser(ctx, ref, nil); err != nil || sus.Active {
			t.Fatalf("suspend on A: %+v, %v", sus, err)
		}
		page, err := b.Client.SearchUsers(ctx, client.SearchParams{Statuses: []client.Status{client.StatusInactive}})
		if err != nil {
			t.Fatalf("search on B: %v", err)
		}
		if page.Pagination.TotalResults != 1 || len(page.Results) != 1 || page.Results[0].ID != created.ID ||
			page.Results[0].Status != client.StatusInactive {
			t.Errorf("B's search for inactive users = %s, want the user A suspended", asJSON(page))
		}
		page, err = b.Client.SearchUsers(ctx, client.SearchParams{Statuses: []client.Status{client.StatusNew, client.StatusActive}})
		if err != nil || page.Pagination.TotalResults != 0 {
			t.Errorf("B's search for new and active users = %s, %v; want none", asJSON(page), err)
		}

		// Delete on B; A sees the erasure.
		if err := b.Client.DeleteUser(ctx, ref); err != nil {
			t.Fatalf("delete on B: %v", err)
		}
		gone, err := a.Client.GetUser(ctx, created.ID)
		if err != nil {
			t.Fatalf("get by id on A after the delete: %v", err)
		}
		if !gone.Deleted || gone.Status != client.StatusInactive || gone.Email != "" || gone.FirstName != "" || gone.Ref != "" {
			t.Errorf("A reads %s after B's delete, want deleted with no personal field", asJSON(gone))
		}
		if _, err := a.Client.GetUserByRef(ctx, ref); !client.IsNotFound(err) {
			t.Errorf("get by ref on A after the delete: %v, want 404", err)
		}
		if e, err := a.Client.GetErasure(ctx, created.ID); err != nil || e == nil {
			t.Errorf("erasure record on A: %+v, %v", e, err)
		}

		// The ref is free again: re-create it on A, B sees the new person.
		again, err := a.Client.CreateUser(ctx, ref, f)
		if err != nil {
			t.Fatalf("re-create the ref on A: %v", err)
		}
		if again.ID == created.ID {
			t.Errorf("the re-created ref has the erased user's id %s", again.ID)
		}
		if byRef, err := b.Client.GetUserByRef(ctx, ref); err != nil || byRef.ID != again.ID {
			t.Errorf("B reads the ref as %+v, %v; want the new user %s", byRef, err, again.ID)
		}
		// The erased user stays erased, seen from either server.
		for name, s := range map[string]*testServer{"A": a, "B": b} {
			if u, err := s.Client.GetUser(ctx, created.ID); err != nil || !u.Deleted {
				t.Errorf("%s reads the erased user as %+v, %v", name, u, err)
			}
		}
	})
	t.Run("OKConcurrentCreateSameRef", func(t *testing.T) {
		t.Parallel()
		skipUnlessPostgres(t, "two processes on one database is a PostgreSQL deployment")
		a, b := MustServePair(t)
		ctx := t.Context()
		const workers = 20
		// Each server gets a client whose connections are open before the
		// race, and its database pool is warm, so the creates reach the
		// database together instead of queueing behind connection set-up.
		for _, s := range []*testServer{a, b} {
			hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
			t.Cleanup(hc.CloseIdleConnections)
			s.Client = client.New(s.URL, s.TenantID, s.APIKey, client.WithHTTPClient(hc))
			var wg sync.WaitGroup
			for range workers / 2 {
				wg.Go(func() {
					if _, err := s.Client.SearchUsers(ctx, client.SearchParams{}); err != nil {
						t.Errorf("warm-up search: %v", err)
					}
				})
			}
			wg.Wait()
		}
		for round := range 3 {
			ref := fmt.Sprintf("RACE-%d", round)
			a.remember(ref)
			b.remember(ref)
			start := make(chan struct{})
			type result struct {
				id     string
				server string
				err    error
			}
			results := make(chan result, workers)
			var wg sync.WaitGroup
			for i := range workers {
				s, name := a, "A"
				if i%2 == 1 {
					s, name = b, "B"
				}
				f := personFields("Racer", fmt.Sprintf("Number%02d", i), fmt.Sprintf("racer.%d.%02d@example.com", round, i))
				rememberBoth(a, b, ref, f)
				wg.Go(func() {
					<-start
					u, err := s.Client.CreateUser(ctx, ref, f)
					r := result{server: name, err: err}
					if err == nil {
						r.id = u.ID
					}
					results <- r
				})
			}
			close(start)
			wg.Wait()
			close(results)
			var winners []result
			for r := range results {
				switch {
				case r.err == nil:
					winners = append(winners, r)
				case client.IsConflict(r.err) && client.ErrorCode(r.err) == client.CodeConflict:
				default:
					t.Errorf("round %d: create on %s = %v, want success or 409 conflict", round, r.server, r.err)
				}
			}
			if len(winners) != 1 {
				t.Fatalf("round %d: %d creates of one ref succeeded (%+v), want exactly one", round, len(winners), winners)
			}
			// Both servers agree on the winner, and there is one user.
			for name, s := range map[string]*testServer{"A": a, "B": b} {
				if u, err := s.Client.GetUserByRef(ctx, ref); err != nil || u.ID != winners[0].id {
					t.Errorf("round %d: %s reads the ref as %+v, %v; want %s", round, name, u, err, winners[0].id)
				}
			}
		}
		page, err := a.Client.SearchUsers(ctx, client.SearchParams{})
		if err != nil || page.Pagination.TotalResults != 3 {
			t.Errorf("search after the races = %s, %v; want 3 users", asJSON(page), err)
		}
	})
}

func TestRun_ServeDBPool(t *testing.T) {
	t.Parallel()
	t.Run("OKBoundsConnections", func(t *testing.T) {
		t.Parallel()
		skipUnlessPostgres(t, "--db-pool sizes the PostgreSQL pool; SQLite has one writer")
		dsn := testdb.DSN(t)
		id, key := MustCreateTenant(t, dsn, "Pool organisation")
		named, app := withAppName(t, dsn)
		srv := mustServe(t, named, "--db-pool", "2")
		c := srv.NewClient(id, key)
		var wg sync.WaitGroup
		errs := make(chan error, 40)
		for i := range 40 {
			wg.Go(func() {
				var err error
				if i%2 == 0 {
					_, err = c.CreateUser(t.Context(), fmt.Sprintf("POOL-%02d", i),
						client.UserFields{FirstName: client.Ptr("Pool"), LastName: client.Ptr("Tester"), LoginMethod: client.Ptr(client.LoginRef)})
				} else {
					_, err = c.SearchUsers(t.Context(), client.SearchParams{})
				}
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("request through a pool of 2: %v", err)
			}
		}
		if n := backends(t, app); n < 1 || n > 2 {
			t.Errorf("the server holds %d connections, want 1 or 2 (--db-pool 2)", n)
		}
		if err := srv.Stop(); err != nil {
			t.Fatal(err)
		}
		mustNoBackends(t, app)
	})
	t.Run("ErrZero", func(t *testing.T) {
		t.Parallel()
		for _, v := range []string{"0", "-1"} {
			_, _, err := cli(t, "serve", "--addr", "127.0.0.1:0", "--db", testdb.DSN(t), "--db-pool", v)
			if !isUsageError(err) || !strings.Contains(err.Error(), "--db-pool") {
				t.Errorf("serve --db-pool %s = %v, want a usage error naming --db-pool", v, err)
			}
		}
	})
	t.Run("ErrNotANumber", func(t *testing.T) {
		t.Parallel()
		_, _, err := cli(t, "serve", "--db", testdb.DSN(t), "--db-pool", "many")
		if !isUsageError(err) {
			t.Errorf("serve --db-pool many = %v, want a usage error", err)
		}
	})
}

func TestRun_RewriteInterval(t *testing.T) {
	t.Parallel()
	t.Run("OKErasedBytesGone", func(t *testing.T) {
		t.Parallel()
		skipUnlessPostgres(t, "--rewrite-interval rewrites PostgreSQL tables; on SQLite secure_delete overwrites erased bytes at once")
		dsn := testdb.DSN(t)
		id, key := MustCreateTenant(t, dsn, "Rewrite organisation")
		keptEmail := "keepwell.rewrite@example.com"
		erased := []string{"REWRITE-GONE", "Evanescia", "Rewriteson", "evanescia.rewriteson@example.com"}
		// A vacuum keeps rows that a transaction still open elsewhere on the
		// database can see (other test packages share it). When that
		// happens, another erasure triggers another rewrite.
		deadline := time.Now().Add(30 * time.Second)
		for round := 0; ; round++ {
			srv := mustServe(t, dsn, "--rewrite-interval", "20ms")
			srv.TenantID, srv.APIKey, srv.Client = id, key, srv.NewClient(id, key)
			srv.remember(erased...)
			if round == 0 {
				mustCreate(t, srv, "REWRITE-KEEP", personFields("Keepwell", "Rewritten", keptEmail))
				mustCreate(t, srv, "REWRITE-GONE", personFields("Evanescia", "Rewriteson", "evanescia.rewriteson@example.com"))
				if n := countLog(t, srv, "rewrote personal data"); n != 0 {
					t.Errorf("%d rewrites before any erasure, want none", n)
				}
				if err := srv.Client.DeleteUser(t.Context(), "REWRITE-GONE"); err != nil {
					t.Fatal(err)
				}
			} else {
				filler := fmt.Sprintf("REWRITE-FILLER-%d", round)
				mustCreate(t, srv, filler, client.UserFields{FirstName: client.Ptr("Filbert"), LastName: client.Ptr("Fillerton"), LoginMethod: client.Ptr(client.LoginRef)})
				if err := srv.Client.DeleteUser(t.Context(), filler); err != nil {
					t.Fatal(err)
				}
			}
			srv.waitForLog(t, "rewrote personal data", 1)
			if err := srv.Stop(); err != nil {
				t.Fatal(err)
			}
			found := testdb.Residue(t, dsn, append([]string{keptEmail}, erased...)...)
			if !slices.Contains(found, keptEmail) {
				t.Fatal("the kept user's email is not in the database: the check below proves nothing")
			}
			left := slices.DeleteFunc(found, func(v string) bool { return v == keptEmail })
			if len(left) == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("erased values %q are still readable after the rewrites", left)
			}
			t.Logf("round %d: %q still readable after the rewrite; erasing again to trigger another", round, left)
		}
	})
}

// rawDB opens dsn with the plain driver of the current kind, bypassing
// Lethe, and closes it when the test ends.
func rawDB(tb testing.TB, dsn string) *sql.DB {
	tb.Helper()
	driver := "sqlite"
	if testdb.Kind() == "postgres" {
		driver = "pgx"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func TestRun_Migrate(t *testing.T) {
	t.Parallel()
	want := fmt.Sprintf("schema at version %d\n", sqldb.SchemaVersion())
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		dsn := testdb.DSN(t)
		for range 2 { // a second run applies nothing
			stdout, stderr, err := cli(t, "migrate", "--db", dsn)
			if err != nil || stdout != want {
				t.Fatalf("migrate --db %s = %q, %q, %v; want %q", testdb.Kind(), stdout, stderr, err, want)
			}
		}
		var n, max int
		if err := rawDB(t, dsn).QueryRow(`SELECT COUNT(*), MAX(version) FROM schema_migrations`).Scan(&n, &max); err != nil {
			t.Fatal(err)
		}
		if n != sqldb.SchemaVersion() || max != sqldb.SchemaVersion() {
			t.Errorf("schema_migrations holds %d versions up to %d, want each of 1..%d once", n, max, sqldb.SchemaVersion())
		}
		// A migrated database serves.
		srv := MustRunMainOn(t, dsn)
		if _, err := srv.Client.SearchUsers(t.Context(), client.SearchParams{}); err != nil {
			t.Errorf("search on the migrated database: %v", err)
		}
	})
	t.Run("OKFromEnv", func(t *testing.T) {
		t.Parallel()
		dsn := testdb.DSN(t)
		getenv := func(name string) string {
			if name == "LETHE_DB" {
				return dsn
			}
			return ""
		}
		var out, errOut strings.Builder
		if err := run(t.Context(), []string{"migrate"}, getenv, &out, &errOut); err != nil || out.String() != want {
			t.Fatalf("LETHE_DB=%s lethe migrate = %q, %q, %v", testdb.Kind(), out.String(), errOut.String(), err)
		}
		var n int
		if err := rawDB(t, dsn).QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil || n != sqldb.SchemaVersion() {
			t.Errorf("schema_migrations rows = %d, %v; want %d", n, err, sqldb.SchemaVersion())
		}
	})
	t.Run("ErrNewerSchema", func(t *testing.T) {
		t.Parallel()
		dsn := testdb.DSN(t)
		if _, _, err := cli(t, "migrate", "--db", dsn); err != nil {
			t.Fatal(err)
		}
		if _, err := rawDB(t, dsn).Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (9999, 0)`); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"migrate", "--db", dsn}, {"serve", "--addr", "127.0.0.1:0", "--db", dsn}} {
			_, _, err := cli(t, args...)
			if err == nil || isUsageError(err) || !strings.Contains(err.Error(), "newer than this binary") {
				t.Errorf("%s on a newer schema = %v, want a refusal naming the newer schema", args[0], err)
			}
		}
	})
	t.Run("ErrUnreachable", func(t *testing.T) {
		t.Parallel()
		skipUnlessPostgres(t, "a SQLite file is never unreachable")
		// Port 1 on the loopback refuses connections at once.
		start := time.Now()
		_, _, err := cli(t, "migrate", "--db", "postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=2")
		if err == nil || isUsageError(err) {
			t.Errorf("migrate on an unreachable PostgreSQL = %v, want a runtime error", err)
		}
		if d := time.Since(start); d > 20*time.Second {
			t.Errorf("migrate on an unreachable PostgreSQL took %v, want a fast failure", d)
		}
	})
}
