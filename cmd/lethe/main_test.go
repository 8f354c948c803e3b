package main

// End-to-end tests: they run the real program through run, exactly as main
// does, on 127.0.0.1:0 with a fresh database, and drive the server only
// through the public SDK in client/. The user scenarios are in
// users_test.go. Every test runs on SQLite, and again on PostgreSQL when
// LETHE_TEST_POSTGRES_DSN is set (see internal/testdb); database_test.go
// holds what differs by database (several servers on one PostgreSQL, the
// pool, the rewrite of erased rows, migrations).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lethehq/lethe/client"
	"github.com/lethehq/lethe/internal/testdb"
)

// TestMain runs the end-to-end tests on SQLite, and again on PostgreSQL when
// LETHE_TEST_POSTGRES_DSN is set. With LETHE_TEST_AS_LETHE=1 the test binary
// is the lethe program itself: `lethe bench --db` starts its server by
// running its own executable, which in these tests is this binary.
func TestMain(m *testing.M) {
	if os.Getenv("LETHE_TEST_AS_LETHE") == "1" {
		main()
		os.Exit(0)
	}
	os.Setenv("LETHE_TEST_AS_LETHE", "1") // inherited by the processes bench starts
	testdb.Main(m)
}

// noEnv is the environment of every test run: nothing from the machine's
// LETHE_* variables leaks in.
func noEnv(string) string { return "" }

// logBuffer collects the server's log output (stderr) and reports the
// address of its "listening" record.
type logBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	scanned int // bytes of buf already looked at for the listening record
	addr    chan string
}

func newLogBuffer() *logBuffer { return &logBuffer{addr: make(chan string, 1)} }

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	for {
		rest := b.buf.Bytes()[b.scanned:]
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			break
		}
		b.scanned += i + 1
		var rec struct{ Msg, Addr string }
		if json.Unmarshal(rest[:i], &rec) == nil && rec.Msg == "listening" && rec.Addr != "" {
			select {
			case b.addr <- rec.Addr:
			default:
			}
		}
	}
	return len(p), nil
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// records returns the log's JSON records.
func (b *logBuffer) records(tb testing.TB) []map[string]any {
	tb.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(b.String()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			tb.Errorf("log line is not JSON: %v", err)
			continue
		}
		out = append(out, rec)
	}
	return out
}

// testServer is a running `lethe serve` with one tenant.
type testServer struct {
	URL      string // e.g. http://127.0.0.1:41234
	Addr     string
	DSN      string // the --db value: a SQLite file path or a postgres:// URL
	TenantID string
	APIKey   string
	Client   *client.Client // authenticated as the tenant

	logs   *logBuffer
	stdout *syncWriter // what serve printed
	cancel context.CancelFunc
	done   chan error

	stopOnce sync.Once
	stopErr  error

	mu       sync.Mutex
	personal []string // personal values sent to the server; see remember
}

// MustRunMain starts `lethe serve` on 127.0.0.1:0 with a fresh database of
// the current kind (testdb.DSN), creates a tenant with `lethe tenant create`
// and returns the server with an SDK client for that tenant. When the test
// ends, the server is shut down as on SIGTERM: run must return nil, and the
// log must hold none of the personal values the test registered with
// remember.
func MustRunMain(tb testing.TB) *testServer {
	tb.Helper()
	return MustRunMainOn(tb, testdb.DSN(tb))
}

// MustRunMainOn is MustRunMain on a given database: a fresh one from
// testdb.DSN, possibly with extra connection parameters.
func MustRunMainOn(tb testing.TB, dsn string) *testServer {
	tb.Helper()
	srv := mustServe(tb, dsn)
	srv.TenantID, srv.APIKey = MustCreateTenant(tb, srv.DSN, "Test organisation")
	srv.Client = srv.NewClient(srv.TenantID, srv.APIKey)
	return srv
}

// mustServe runs `lethe serve --db dsn`, with any extra flags, until the
// test ends. dsn is a SQLite file path or a postgres:// URL.
func mustServe(tb testing.TB, dsn string, extra ...string) *testServer {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	srv := &testServer{DSN: dsn, logs: newLogBuffer(), stdout: &syncWriter{w: &bytes.Buffer{}}, cancel: cancel, done: make(chan error, 1)}
	go func() {
		args := append([]string{"serve", "--addr", "127.0.0.1:0", "--db", dsn}, extra...)
		srv.done <- run(ctx, args, noEnv, srv.stdout, srv.logs)
	}()
	select {
	case srv.Addr = <-srv.logs.addr:
	case err := <-srv.done:
		cancel()
		tb.Fatalf("serve returned before listening: %v\nlog:\n%s", err, srv.logs)
	case <-time.After(30 * time.Second):
		cancel()
		tb.Fatalf("serve did not log its address within 30s\nlog:\n%s", srv.logs)
	}
	srv.URL = "http://" + srv.Addr
	tb.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			tb.Errorf("serve: %v\nlog:\n%s", err, srv.logs)
		}
		srv.checkLogs(tb)
	})
	return srv
}

// syncWriter serialises writes to w.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.String()
}

// Stop cancels the server's context, as SIGINT or SIGTERM do, and returns
// what run returned. In-flight requests finish first, so every access-log
// record has been written when Stop returns. It may be called many times.
func (s *testServer) Stop() error {
	s.stopOnce.Do(func() {
		s.cancel()
		select {
		case s.stopErr = <-s.done:
		case <-time.After(30 * time.Second):
			s.stopErr = errors.New("run did not return within 30s of cancellation")
		}
	})
	return s.stopErr
}

// NewClient returns an SDK client of the server for the given credentials.
func (s *testServer) NewClient(tenantID, apiKey string) *client.Client {
	return client.New(s.URL, tenantID, apiKey)
}

// remember registers personal values sent to the server. They must never
// reach the log, in any of the forms a careless log line would write them:
// as is, JSON-quoted or URL-escaped. Values shorter than 6 bytes are skipped
// because they could match unrelated log text by chance.
func (s *testServer) remember(values ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range values {
		if len(v) >= 6 {
			s.personal = append(s.personal, v)
		}
	}
}

// rememberFields registers the personal values of f.
func (s *testServer) rememberFields(ref string, f client.UserFields) {
	s.remember(ref)
	for _, p := range []*string{f.FirstName, f.LastName, f.Email, f.JobTitle, f.ManagerRef, f.Domain} {
		if p != nil {
			s.remember(*p)
		}
	}
	if f.FirstName != nil && f.LastName != nil {
		s.remember(*f.FirstName + " " + *f.LastName)
	}
}

// checkLogs fails the test when the log holds a remembered personal value.
func (s *testServer) checkLogs(tb testing.TB) {
	tb.Helper()
	s.mu.Lock()
	personal := slices.Clone(s.personal)
	s.mu.Unlock()
	logs := s.logs.String()
	lower := strings.ToLower(logs)
	for _, v := range personal {
		quoted, _ := json.Marshal(v)
		forms := []string{v, string(quoted[1 : len(quoted)-1]), url.PathEscape(v), url.QueryEscape(v)}
		for _, f := range forms {
			if strings.Contains(lower, strings.ToLower(f)) {
				tb.Errorf("the server log holds personal data %q (as %q)", v, f)
				break
			}
		}
	}
}

// cli runs one command of the program and returns its output.
func cli(tb testing.TB, args ...string) (stdout, stderr string, err error) {
	tb.Helper()
	var out, errOut bytes.Buffer
	err = run(tb.Context(), args, noEnv, &out, &errOut)
	return out.String(), errOut.String(), err
}

// MustCreateTenant runs `lethe tenant create --json` on the database dsn
// (also while a server runs on it) and returns the new tenant's id and API
// key.
func MustCreateTenant(tb testing.TB, dsn, name string) (id, key string) {
	tb.Helper()
	stdout, stderr, err := cli(tb, "tenant", "create", "--db", dsn, "--name", name, "--json")
	if err != nil {
		tb.Fatalf("tenant create: %v\n%s", err, stderr)
	}
	var out struct{ TenantID, APIKey string }
	if err := json.Unmarshal([]byte(stdout), &out); err != nil || out.TenantID == "" || out.APIKey == "" {
		tb.Fatalf("tenant create printed %q (%v), want {tenantId, apiKey}", stdout, err)
	}
	return out.TenantID, out.APIKey
}

func isUsageError(err error) bool {
	var u usageError
	return errors.As(err, &u)
}

func TestRun_Serve(t *testing.T) {
	t.Parallel()
	t.Run("OKPprofOnItsOwnAddress", func(t *testing.T) {
		t.Parallel()
		srv := mustServe(t, testdb.DSN(t), "--pprof", "127.0.0.1:0")
		var addr string
		for _, r := range srv.logs.records(t) {
			if r["msg"] == "pprof listening" {
				addr, _ = r["addr"].(string)
			}
		}
		if addr == "" || addr == srv.Addr {
			t.Fatalf("pprof address %q (API on %s), want a separate one logged:\n%s", addr, srv.Addr, srv.logs)
		}
		res, err := http.Get("http://" + addr + "/debug/pprof/goroutine?debug=1")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(string(body), "goroutine profile:") {
			t.Errorf("goroutine profile = %d %.200q", res.StatusCode, body)
		}
		// The API's own address serves no profiles.
		if res, err := http.Get(srv.URL + "/debug/pprof/"); err != nil || res.StatusCode == 200 {
			t.Errorf("the API address serves /debug/pprof/: %v %v", res, err)
		} else {
			res.Body.Close()
		}
	})
	t.Run("OKNoPprofByDefault", func(t *testing.T) {
		t.Parallel()
		srv := mustServe(t, testdb.DSN(t))
		for _, r := range srv.logs.records(t) {
			if strings.Contains(fmt.Sprint(r["msg"]), "pprof") {
				t.Errorf("pprof is on without --pprof: %v", r)
			}
		}
	})
	t.Run("ErrPprofAddress", func(t *testing.T) {
		t.Parallel()
		_, _, err := cli(t, "serve", "--db", t.TempDir()+"/x.db", "--addr", "127.0.0.1:0", "--pprof", "256.0.0.1:bad")
		if err == nil || !strings.Contains(err.Error(), "--pprof") {
			t.Errorf("serve with a bad --pprof address = %v, want an error naming --pprof", err)
		}
	})
	t.Run("OKShutdownAndReopen", func(t *testing.T) {
		t.Parallel()
		// On PostgreSQL the server's connections carry an application name,
		// so the test can see that shutdown closes every one of them.
		dsn, app := testdb.DSN(t), ""
		if testdb.Kind() == "postgres" {
			dsn, app = withAppName(t, dsn)
		}
		srv := MustRunMainOn(t, dsn)
		ref := "reopen-EMP-1"
		f := personFields("Reopenia", "Persistent", "reopenia.persistent@example.com")
		srv.rememberFields(ref, f)
		created, err := srv.Client.CreateUser(t.Context(), ref, f)
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.Stop(); err != nil {
			t.Fatalf("run after cancellation = %v, want nil", err)
		}
		if !slices.ContainsFunc(srv.logs.records(t), func(r map[string]any) bool { return r["msg"] == "stopped" }) {
			t.Errorf("no \"stopped\" record in the log:\n%s", srv.logs)
		}
		if _, err := srv.Client.GetUser(t.Context(), created.ID); err == nil {
			t.Error("the server still answers after run returned")
		}
		switch testdb.Kind() {
		case "sqlite":
			// A clean shutdown checkpoints the WAL into the database file.
			if fi, err := os.Stat(srv.DSN + "-wal"); err == nil && fi.Size() != 0 {
				t.Errorf("WAL holds %d bytes after shutdown, want it checkpointed", fi.Size())
			}
		case "postgres":
			// A clean shutdown closes the pool: no connection is left open.
			mustNoBackends(t, app)
		}

		stdout, stderr, err := cli(t, "migrate", "--db", srv.DSN)
		if err != nil || !strings.HasPrefix(stdout, "schema at version ") {
			t.Fatalf("migrate on the reopened database: %v %q %q", err, stdout, stderr)
		}
		again := mustServe(t, srv.DSN)
		got, err := again.NewClient(srv.TenantID, srv.APIKey).GetUserByRef(t.Context(), ref)
		if err != nil {
			t.Fatalf("after restart: %v", err)
		}
		if got.ID != created.ID || got.Email != "reopenia.persistent@example.com" {
			t.Errorf("after restart got %+v, want the user created before", got)
		}
		again.remember(srv.personal...)
	})
	t.Run("OKShutdownUnderLoad", func(t *testing.T) {
		t.Parallel()
		srv := MustRunMain(t)
		var done atomic.Int64
		errs := make(chan error, 4)
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Go(func() {
				for i := 0; ; i++ {
					var err error
					if i%2 == 0 {
						_, err = srv.Client.SearchUsers(context.Background(), client.SearchParams{})
					} else {
						ref := fmt.Sprintf("LOAD-%d-%d", w, i)
						_, err = srv.Client.CreateUser(context.Background(), ref,
							client.UserFields{FirstName: client.Ptr("Load"), LastName: client.Ptr("Tester"), LoginMethod: client.Ptr(client.LoginRef)})
					}
					if err != nil {
						errs <- err
						return
					}
					done.Add(1)
				}
			})
		}
		deadline := time.Now().Add(10 * time.Second)
		for done.Load() < 40 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond) // polling the counter, with a deadline
		}
		if done.Load() < 40 {
			t.Fatalf("only %d requests succeeded within 10s", done.Load())
		}
		if err := srv.Stop(); err != nil {
			t.Fatalf("run after cancellation under load = %v, want nil", err)
		}
		wg.Wait()
		close(errs)
		// Requests in flight at shutdown finish; later ones cannot connect.
		// None may get an error answer from the server.
		for err := range errs {
			var apiErr *client.Error
			if errors.As(err, &apiErr) {
				t.Errorf("a request during shutdown got an error answer: %v", err)
			}
		}
	})
	t.Run("OKLogsHoldNoPersonalData", func(t *testing.T) {
		t.Parallel()
		srv := MustRunMain(t)
		runPrivacyScenario(t, srv)
		if err := srv.Stop(); err != nil {
			t.Fatal(err)
		}
		// The log must be worth checking: one access record per request,
		// labelled by route pattern, never by the raw path.
		var requests int
		routes := map[string]bool{}
		for _, rec := range srv.logs.records(t) {
			if rec["msg"] == "request" {
				requests++
				routes[fmt.Sprint(rec["route"])] = true
			}
		}
		if requests < 20 {
			t.Errorf("%d request records in the log, want one per request (>= 20)", requests)
		}
		for _, want := range []string{"POST /rest/v2/users", "GET /rest/v1/users/ref/{ref}", "PATCH /rest/v2/users/ref/{ref}",
			"DELETE /rest/v2/users/ref/{ref}", "POST /rest/v1/webhooks", "unmatched"} {
			if !routes[want] {
				t.Errorf("no request record with route %q; routes: %v", want, routes)
			}
		}
		// The personal values themselves are checked at cleanup (checkLogs).
	})
	t.Run("OKErasedPersonNotInDatabaseFile", func(t *testing.T) {
		t.Parallel()
		srv := MustRunMain(t)
		ctx := t.Context()
		keep := personFields("Keepsake", "Remaining", "keepsake.remaining@example.com")
		gone := personFields("Vanishia", "Obliviate", "vanishia.obliviate@example.com")
		gone.JobTitle = client.Ptr("Chief Forgetting Officer")
		srv.rememberFields("KEEP-0001", keep)
		srv.rememberFields("GONE-0001", gone)
		mustCreate(t, srv, "KEEP-0001", keep)
		mustCreate(t, srv, "GONE-0001", gone)
		if err := srv.Client.DeleteUser(ctx, "GONE-0001"); err != nil {
			t.Fatal(err)
		}
		if err := srv.Stop(); err != nil {
			t.Fatal(err)
		}
		keptEmail := "keepsake.remaining@example.com"
		erased := []string{"GONE-0001", "Vanishia", "Obliviate", "vanishia.obliviate@example.com", "Chief Forgetting Officer"}
		canaries := append([]string{keptEmail}, erased...)
		var found []string
		switch testdb.Kind() {
		case "sqlite":
			// secure_delete overwrote the row; shutdown checkpointed the WAL.
			found = testdb.Residue(t, srv.DSN, canaries...)
		case "postgres":
			// Erasures are followed by a VACUUM, which may leave bytes in
			// free page space; the periodic rewrite (serve
			// --rewrite-interval, see TestRun_RewriteInterval) removes them.
			found = mustPostgresResidue(t, srv.DSN, erased, canaries...)
		}
		// The kept user proves the search would find text if it were there.
		if !slices.Contains(found, keptEmail) {
			t.Fatal("the kept user's email is not in the database: the check below proves nothing")
		}
		for _, v := range erased {
			if slices.Contains(found, v) {
				t.Errorf("erased value %q is still readable in the database (%s)", v, testdb.Kind())
			}
		}
	})
	t.Run("ErrAddrInUse", func(t *testing.T) {
		t.Parallel()
		srv := MustRunMain(t)
		_, _, err := cli(t, "serve", "--addr", srv.Addr, "--db", testdb.DSN(t))
		if err == nil || isUsageError(err) {
			t.Errorf("serve on a busy address = %v, want a runtime error", err)
		}
	})
	t.Run("ErrUnexpectedArgs", func(t *testing.T) {
		t.Parallel()
		_, _, err := cli(t, "serve", "--db", testdb.DSN(t), "extra")
		if !isUsageError(err) {
			t.Errorf("serve extra = %v, want a usage error", err)
		}
	})
	t.Run("ErrUnknownFlag", func(t *testing.T) {
		t.Parallel()
		_, stderr, err := cli(t, "serve", "--port", "80")
		if !isUsageError(err) || !strings.Contains(stderr, "-addr") {
			t.Errorf("serve --port = %v, stderr %q; want a usage error and the flag list", err, stderr)
		}
	})
}

// runPrivacyScenario drives every user route, in success and in failure,
// with distinctive personal values, and registers them with srv.remember.
func runPrivacyScenario(t *testing.T, srv *testServer) {
	t.Helper()
	ctx := t.Context()
	c := srv.Client
	mgr := personFields("Managerina", "Overseer", "managerina.overseer@example.com")
	srv.rememberFields("PRIV/MGR@corp", mgr)
	mustCreate(t, srv, "PRIV/MGR@corp", mgr)

	f := personFields("Privatus", "Secretson", "Privatus.Secretson@Example.com")
	f.JobTitle, f.ManagerRef, f.Domain = client.Ptr("Keeper of Secrets"), client.Ptr("PRIV/MGR@corp"), client.Ptr("secretson-domain.example")
	f.AdditionalFields = json.RawMessage(`{"department":"Clandestine Affairs"}`)
	srv.rememberFields("PRIV/EMP 1@corp", f)
	srv.remember("Clandestine Affairs")
	u := mustCreate(t, srv, "PRIV/EMP 1@corp", f)

	expectErr := func(what string, err error) {
		t.Helper()
		if err == nil {
			t.Errorf("%s: no error", what)
		}
	}
	// Conflicts, validation failures and unknown refs carry personal values.
	_, err := c.CreateUser(ctx, "PRIV/EMP 1@corp", f)
	expectErr("duplicate ref", err)
	dup := personFields("Duplicata", "Copyworth", "PRIVATUS.SECRETSON@example.com")
	srv.rememberFields("PRIV/EMP 2@corp", dup)
	_, err = c.CreateUser(ctx, "PRIV/EMP 2@corp", dup)
	expectErr("duplicate email", err)
	bad := personFields("Invalidia", "Brokenmail", "invalidia at nowhere")
	srv.rememberFields("PRIV/EMP 3@corp", bad)
	_, err = c.CreateUser(ctx, "PRIV/EMP 3@corp", bad)
	expectErr("invalid email", err)
	srv.remember("PRIV/NOBODY@corp")
	_, err = c.GetUserByRef(ctx, "PRIV/NOBODY@corp")
	expectErr("unknown ref", err)
	_, err = c.UpdateUser(ctx, "PRIV/NOBODY@corp", client.UserFields{FirstName: client.Ptr("Ghostina")})
	expectErr("update unknown ref", err)
	srv.remember("Ghostina")

	// Successful reads and writes.
	if _, err := c.GetUserByRef(ctx, "PRIV/EMP 1@corp"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	upd := client.UserFields{JobTitle: client.Ptr("Vault Custodian"), Email: client.Ptr("privatus.new@example.com")}
	srv.remember("Vault Custodian", "privatus.new@example.com")
	if _, err := c.UpdateUser(ctx, "PRIV/EMP 1@corp", upd); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SearchUsers(ctx, client.SearchParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SuspendUser(ctx, "PRIV/EMP 1@corp", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReactivateUser(ctx, u.ID, client.UserFields{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.RecordLogin(ctx, u.ID); err != nil {
		t.Fatal(err)
	}

	// Provisioning events, applied, replayed and refused.
	ev := client.ProvisioningEvent{ID: "priv-ev-1", Type: client.EventUserJoined, Ref: "PRIV/EMP 4@corp",
		Fields: personFields("Provisionia", "Hirewell", "provisionia.hirewell@example.com")}
	srv.rememberFields(ev.Ref, ev.Fields)
	for range 2 {
		if _, err := c.SendProvisioningEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	ev.Fields.FirstName = client.Ptr("Tamperina")
	srv.remember("Tamperina")
	_, err = c.SendProvisioningEvent(ctx, ev)
	expectErr("reused event id", err)
	_, err = c.SendProvisioningEvent(ctx, client.ProvisioningEvent{ID: "priv-ev-2", Type: client.EventUserUpdated,
		Ref: "PRIV/NOBODY@corp", Fields: client.UserFields{LastName: client.Ptr("Phantomsby")}})
	expectErr("event for an unknown ref", err)
	srv.remember("Phantomsby")

	// Erasure, and what follows it.
	if err := c.DeleteUser(ctx, "PRIV/EMP 1@corp"); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteUser(ctx, "PRIV/EMP 1@corp"); err != nil { // idempotent
		t.Fatalf("delete twice: %v", err)
	}
	expectErr("delete an unknown ref", c.DeleteUser(ctx, "PRIV/NOBODY 1@corp"))
	if _, err := c.GetErasure(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.StatusHistory(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendProvisioningEvent(ctx, client.ProvisioningEvent{ID: "priv-ev-3", Type: client.EventUserDeleted, Ref: ev.Ref}); err != nil {
		t.Fatal(err)
	}

	// A path that matches no route, with personal values in it, and a
	// tenant id that is really an email address.
	srv.remember("unmatched.person@example.com")
	_, err = client.New(srv.URL+"/unmatched.person@example.com", srv.TenantID, srv.APIKey).GetUserByRef(ctx, "PRIV/EMP 4@corp")
	if !client.IsNotFound(err) || client.ErrorCode(err) != client.CodeNotFound {
		t.Errorf("unrouted path: %v, want 404 not_found", err)
	}
	srv.remember("tenant.as.email@example.com")
	_, err = srv.NewClient("tenant.as.email@example.com", "not-the-key").SearchUsers(ctx, client.SearchParams{})
	if !client.IsUnauthenticated(err) {
		t.Errorf("unknown tenant: %v, want 401", err)
	}
}

func TestRun_Tenant(t *testing.T) {
	t.Parallel()
	t.Run("OKList", func(t *testing.T) {
		t.Parallel()
		srv := MustRunMain(t)
		otherID, _ := MustCreateTenant(t, srv.DSN, "Second Org")
		stdout, stderr, err := cli(t, "tenant", "list", "--db", srv.DSN, "--json")
		if err != nil {
			t.Fatalf("tenant list: %v %s", err, stderr)
		}
		var got []struct{ TenantID, Name, CreatedAt string }
		if err := json.Unmarshal([]byte(stdout), &got); err != nil {
			t.Fatalf("tenant list --json printed %q: %v", stdout, err)
		}
		if len(got) != 2 || got[0].TenantID != srv.TenantID || got[0].Name != "Test organisation" ||
			got[1].TenantID != otherID || got[1].Name != "Second Org" {
			t.Errorf("tenant list = %+v, want both tenants, oldest first", got)
		}
		for _, tn := range got {
			if _, err := time.Parse(time.RFC3339, tn.CreatedAt); err != nil {
				t.Errorf("createdAt %q: %v", tn.CreatedAt, err)
			}
		}
		if strings.Contains(stdout, srv.APIKey) {
			t.Error("tenant list prints the API key")
		}
		table, _, err := cli(t, "tenant", "list", "--db", srv.DSN)
		if err != nil || !strings.HasPrefix(table, "TENANT ID") || !strings.Contains(table, "Second Org") {
			t.Errorf("tenant list (table) = %q, %v", table, err)
		}
	})
	t.Run("OKRotateKey", func(t *testing.T) {
		t.Parallel()
		srv := MustRunMain(t)
		ctx := t.Context()
		if _, err := srv.Client.SearchUsers(ctx, client.SearchParams{}); err != nil {
			t.Fatalf("before rotation: %v", err)
		}
		stdout, stderr, err := cli(t, "tenant", "rotate-key", "--db", srv.DSN, "--json", srv.TenantID)
		if err != nil {
			t.Fatalf("rotate-key: %v %s", err, stderr)
		}
		var out struct{ TenantID, APIKey string }
		if err := json.Unmarshal([]byte(stdout), &out); err != nil || out.TenantID != srv.TenantID || out.APIKey == "" {
			t.Fatalf("rotate-key --json printed %q (%v)", stdout, err)
		}
		if out.APIKey == srv.APIKey {
			t.Fatal("rotate-key returned the old key")
		}
		if _, err := srv.NewClient(srv.TenantID, out.APIKey).SearchUsers(ctx, client.SearchParams{}); err != nil {
			t.Errorf("new key after rotation: %v", err)
		}
		// The server trusts a tenant row it read for a second (the CLI is
		// another process): the old key is refused within that.
		for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			_, err = srv.Client.SearchUsers(ctx, client.SearchParams{})
			if client.IsUnauthenticated(err) && client.ErrorCode(err) == client.CodeUnauthenticated {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("old key 3 s after rotation: %v, want 401 unauthenticated", err)
			}
		}
		text, _, err := cli(t, "tenant", "rotate-key", srv.TenantID, "--db", srv.DSN) // flags may follow the id
		if err != nil || !strings.Contains(text, "new api key: lethe_") {
			t.Errorf("rotate-key (text) = %q, %v", text, err)
		}
	})
	t.Run("OKIsolation", func(t *testing.T) {
		t.Parallel()
		srv := MustRunMain(t)
		ctx := t.Context()
		f := personFields("Isolda", "Tenantova", "isolda.tenantova@example.com")
		srv.rememberFields("ISO-1", f)
		u := mustCreate(t, srv, "ISO-1", f)
		otherID, otherKey := MustCreateTenant(t, srv.DSN, "Other")
		other := srv.NewClient(otherID, otherKey)
		if _, err := other.GetUserByRef(ctx, "ISO-1"); !client.IsNotFound(err) {
			t.Errorf("other tenant, by ref: %v, want 404", err)
		}
		if _, err := other.GetUser(ctx, u.ID); !client.IsNotFound(err) {
			t.Errorf("other tenant, by id: %v, want 404", err)
		}
		if err := other.DeleteUser(ctx, "ISO-1"); !client.IsNotFound(err) {
			t.Errorf("other tenant, delete: %v, want 404", err)
		}
		page, err := other.SearchUsers(ctx, client.SearchParams{})
		if err != nil || page.Pagination.TotalResults != 0 {
			t.Errorf("other tenant, search: %+v, %v; want no users", page, err)
		}
		// The same ref and email are free in the other tenant.
		if _, err := other.CreateUser(ctx, "ISO-1", f); err != nil {
			t.Errorf("same ref in another tenant: %v", err)
		}
		// A tenant's key does not open another tenant.
		if _, err := srv.NewClient(otherID, srv.APIKey).SearchUsers(ctx, client.SearchParams{}); !client.IsUnauthenticated(err) {
			t.Errorf("tenant id with another tenant's key: %v, want 401", err)
		}
	})
	t.Run("ErrRotateUnknownTenant", func(t *testing.T) {
		t.Parallel()
		db := testdb.DSN(t)
		_, _, err := cli(t, "tenant", "rotate-key", "--db", db, "no-such-tenant")
		if err == nil || isUsageError(err) || !strings.Contains(err.Error(), "not found") {
			t.Errorf("rotate-key of an unknown tenant = %v, want a not-found error", err)
		}
	})
	t.Run("ErrCreateWithoutName", func(t *testing.T) {
		t.Parallel()
		_, _, err := cli(t, "tenant", "create", "--db", testdb.DSN(t))
		if !isUsageError(err) {
			t.Errorf("tenant create without --name = %v, want a usage error", err)
		}
	})
	t.Run("ErrCreateDuplicateID", func(t *testing.T) {
		t.Parallel()
		db := testdb.DSN(t)
		if _, _, err := cli(t, "tenant", "create", "--db", db, "--name", "A", "--id", "acme"); err != nil {
			t.Fatal(err)
		}
		_, _, err := cli(t, "tenant", "create", "--db", db, "--name", "B", "--id", "acme")
		if err == nil || isUsageError(err) {
			t.Errorf("second tenant with the same id = %v, want an error", err)
		}
	})
	t.Run("ErrSubcommand", func(t *testing.T) {
		t.Parallel()
		for _, args := range [][]string{{"tenant"}, {"tenant", "frobnicate"}, {"tenant", "rotate-key"}, {"tenant", "list", "extra"}} {
			if _, _, err := cli(t, args...); !isUsageError(err) {
				t.Errorf("%q = %v, want a usage error", args, err)
			}
		}
	})
}

func TestRun_Version(t *testing.T) {
	t.Parallel()
	t.Run("OK", func(t *testing.T) {
		stdout, stderr, err := cli(t, "version")
		if err != nil || stdout != "lethe "+version+"\n" || stderr != "" {
			t.Errorf("version = %q, %q, %v", stdout, stderr, err)
		}
	})
}

func TestRun_Usage(t *testing.T) {
	t.Parallel()
	t.Run("OKHelp", func(t *testing.T) {
		stdout, _, err := cli(t, "help")
		if err != nil || !strings.Contains(stdout, "Usage:") {
			t.Errorf("help = %q, %v", stdout, err)
		}
	})
	t.Run("ErrUnknownCommand", func(t *testing.T) {
		_, stderr, err := cli(t, "frobnicate")
		if !isUsageError(err) || !strings.Contains(err.Error(), "frobnicate") || !strings.Contains(stderr, "Usage:") {
			t.Errorf("unknown command = %v, stderr %q; want a usage error and the usage text", err, stderr)
		}
	})
	t.Run("ErrNoCommand", func(t *testing.T) {
		_, stderr, err := cli(t)
		if !isUsageError(err) || !strings.Contains(stderr, "Usage:") {
			t.Errorf("no command = %v, stderr %q; want a usage error", err, stderr)
		}
	})
}
