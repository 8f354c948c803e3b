package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/console"
	"github.com/lethehq/lethe/internal/rest"
	"github.com/lethehq/lethe/internal/scim"
	"github.com/lethehq/lethe/internal/server"
	"github.com/lethehq/lethe/internal/sqldb"
	"github.com/lethehq/lethe/internal/testdb"
)

// TestMain runs the whole suite on SQLite, and again on PostgreSQL when
// LETHE_TEST_POSTGRES_DSN is set.
func TestMain(m *testing.M) { testdb.Main(m) }

// The harness runs the real server (the wiring of cmd/lethe/serve.go) on a
// fresh database of the current kind (testdb.DSN), over real HTTP on
// loopback, with a clock the test controls.

// t0 is the clock's start; every response time in these tests derives from it.
var t0 = time.Date(2025, 3, 1, 9, 0, 0, 123e6, time.UTC)

// T0 is t0 in the response format.
const T0 = "2025-03-01T09:00:00.123Z"

// testClock is the injected clock of the database and the REST handler.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// syncBuffer collects the server's logs, written from many goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Tenant is a tenant's Basic credentials.
type Tenant struct{ ID, Key string }

// testServer is one running server with two tenants, A and B.
type testServer struct {
	URL    string
	DSN    string // the database: a SQLite file or a PostgreSQL URL
	Clock  *testClock
	Logs   *syncBuffer
	A, B   Tenant
	client *http.Client

	db        *sqldb.DB
	tenants   *sqldb.TenantService
	http      *httptest.Server
	closeOnce sync.Once
}

// MustStartServer starts a server on a fresh database and creates tenants A
// and B. It is stopped when the test ends.
func MustStartServer(tb testing.TB) *testServer {
	tb.Helper()
	return MustStartServerDSN(tb, testdb.DSN(tb))
}

// MustStartServerDSN is MustStartServer on the database dsn names.
func MustStartServerDSN(tb testing.TB, dsn string) *testServer {
	tb.Helper()
	ctx := context.Background()
	db, err := sqldb.Open(ctx, dsn)
	if err != nil {
		tb.Fatalf("open database: %v", err)
	}
	clock := &testClock{now: t0}
	db.Now = clock.Now
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, nil))
	tenants, users := sqldb.NewTenantService(db), sqldb.NewUserService(db)
	srv := server.New(server.Config{
		Logger:  logger,
		Tenants: tenants,
		REST: &rest.Handler{
			Users: users, Provisioning: sqldb.NewProvisioningService(db), Logger: logger,
			Audiences: sqldb.NewAudienceService(db), Assignments: sqldb.NewAssignmentService(db),
			Enrolments: sqldb.NewEnrolmentService(db), Completions: sqldb.NewCompletionService(db),
			Tags: sqldb.NewTagService(db), CPD: sqldb.NewCPDService(db),
			Settings: sqldb.NewSettingsService(db), SigningKey: db.SigningKey(), Reports: sqldb.NewReportService(db),
			SCIMTokens: sqldb.NewSCIMTokenService(db), OAuth: sqldb.NewOAuthService(db), Webhooks: sqldb.NewWebhookService(db),
			Bulk: sqldb.NewBulkService(db), Jobs: sqldb.NewJobService(db),
			Contents: sqldb.NewContentService(db), Activities: sqldb.NewActivityService(db),
			Now: func() time.Time { return db.Now() },
		},
		SCIM: &scim.Handler{SCIM: sqldb.NewSCIMService(db), Tokens: sqldb.NewSCIMTokenService(db),
			Settings: sqldb.NewSettingsService(db), Logger: logger},
		Console: console.New(console.Config{Logger: logger, Accounts: sqldb.NewConsoleService(db), Users: users, Jobs: sqldb.NewJobService(db), Settings: sqldb.NewSettingsService(db), SigningKey: db.SigningKey(),
			Tenants: tenants, SCIMTokens: sqldb.NewSCIMTokenService(db), OAuth: sqldb.NewOAuthService(db), Webhooks: sqldb.NewWebhookService(db),
			Trail: sqldb.NewTrailService(db), Reports: sqldb.NewReportService(db),
			Completions: sqldb.NewCompletionService(db), CPD: sqldb.NewCPDService(db),
			Now: func() time.Time { return db.Now() }}),
		OAuth: sqldb.NewOAuthService(db),
		Ready: db.Ping,
	})
	hs := httptest.NewServer(srv.Handler())
	s := &testServer{
		URL: hs.URL, DSN: dsn, Clock: clock, Logs: logs, db: db, tenants: tenants, http: hs,
		client: &http.Client{
			Timeout: 20 * time.Second,
			// Redirects are answers under test, never followed.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	tb.Cleanup(s.Close)
	s.A = s.MustCreateTenant(tb, "tenant-a")
	s.B = s.MustCreateTenant(tb, "tenant-b")
	return s
}

// Close stops the HTTP server and closes the database; it may be called twice.
func (s *testServer) Close() {
	s.closeOnce.Do(func() {
		s.http.Close()
		if err := s.db.Close(); err != nil {
			panic(fmt.Sprintf("close database: %v", err))
		}
	})
}

// MustCreateTenant creates a tenant and returns its credentials.
func (s *testServer) MustCreateTenant(tb testing.TB, id string) Tenant {
	tb.Helper()
	t, key, err := s.tenants.CreateTenant(context.Background(), lethe.TenantID(id), "Tenant "+id)
	if err != nil {
		tb.Fatalf("create tenant %s: %v", id, err)
	}
	return Tenant{ID: string(t.ID), Key: key}
}

// response is a read HTTP answer.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r *response) String() string { return fmt.Sprintf("%d %s", r.Status, r.Body) }

// Object decodes the body as a JSON object.
func (r *response) Object(tb testing.TB) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil || m == nil {
		tb.Fatalf("body is not a JSON object (%v): %s", err, r.Body)
	}
	return m
}

// Send sends req and reads the whole answer.
func (s *testServer) Send(tb testing.TB, req *http.Request) *response {
	tb.Helper()
	res, err := s.client.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	return &response{Status: res.StatusCode, Header: res.Header, Body: b}
}

// NewRequest builds a request the way the vendor's clients send it: Basic
// credentials (unless the tenant is zero), Content-Type and Accept JSON on
// every method, and a body only when body is not empty. path is sent as
// written, so percent-encoding in it reaches the server.
func (s *testServer) NewRequest(tb testing.TB, as Tenant, method, path, body string) *http.Request {
	tb.Helper()
	var rd io.Reader = http.NoBody
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		tb.Fatalf("new request: %v", err)
	}
	if as != (Tenant{}) {
		req.SetBasicAuth(as.ID, as.Key)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	return req
}

// Do sends one request as tenant as.
func (s *testServer) Do(tb testing.TB, as Tenant, method, path, body string) *response {
	tb.Helper()
	return s.Send(tb, s.NewRequest(tb, as, method, path, body))
}

// MustJSON encodes v.
func MustJSON(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatalf("encode: %v", err)
	}
	return string(b)
}

// MustStatus fails unless the answer has the given status and a JSON body.
func MustStatus(tb testing.TB, res *response, status int) {
	tb.Helper()
	if res.Status != status {
		tb.Fatalf("status = %d, want %d; body: %s", res.Status, status, res.Body)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		tb.Fatalf("Content-Type = %q, want application/json", ct)
	}
}

// MustError checks an error answer: the status, the vendor body with exactly
// the keys status, error, message, code and details, the code, and the
// fields named in details, in order. It returns the body.
func MustError(tb testing.TB, res *response, status int, code string, fields ...string) map[string]any {
	tb.Helper()
	MustStatus(tb, res, status)
	body := res.Object(tb)
	MustKeys(tb, body, "status", "error", "message", "code", "details")
	if body["status"] != float64(status) || body["error"] != http.StatusText(status) || body["code"] != code {
		tb.Fatalf("error body = %s, want status %d, error %q, code %q", res.Body, status, http.StatusText(status), code)
	}
	if msg, _ := body["message"].(string); msg == "" {
		tb.Fatalf("error body has no message: %s", res.Body)
	}
	details, ok := body["details"].([]any)
	if !ok {
		tb.Fatalf("details is not an array: %s", res.Body)
	}
	got := []string{}
	for _, d := range details {
		m, _ := d.(map[string]any)
		f, _ := m["field"].(string)
		if p, _ := m["problem"].(string); p == "" {
			tb.Fatalf("detail without problem: %s", res.Body)
		}
		got = append(got, f)
	}
	if fields == nil {
		fields = []string{}
	}
	if diff := cmp.Diff(fields, got); diff != "" {
		tb.Fatalf("details fields mismatch (-want +got):\n%s\nbody: %s", diff, res.Body)
	}
	return body
}

// MustProblem returns the problem of the detail about field.
func MustProblem(tb testing.TB, body map[string]any, field string) string {
	tb.Helper()
	for _, d := range body["details"].([]any) {
		m := d.(map[string]any)
		if m["field"] == field {
			return m["problem"].(string)
		}
	}
	tb.Fatalf("no detail about %s in %v", field, body)
	return ""
}

// MustKeys fails unless obj has exactly the given keys.
func MustKeys(tb testing.TB, obj map[string]any, keys ...string) {
	tb.Helper()
	var got []string
	for k := range obj {
		got = append(got, k)
	}
	want := slices.Clone(keys)
	slices.Sort(got)
	slices.Sort(want)
	if diff := cmp.Diff(want, got); diff != "" {
		tb.Fatalf("keys mismatch (-want +got):\n%s", diff)
	}
}

// MustNotContain fails when any needle occurs in the answer, ignoring case.
func MustNotContain(tb testing.TB, res *response, needles ...string) {
	tb.Helper()
	body := strings.ToLower(string(res.Body))
	for _, n := range needles {
		if strings.Contains(body, strings.ToLower(n)) {
			tb.Fatalf("answer contains the submitted value %q: %s", n, res.Body)
		}
	}
}

// EncodeURIComponent escapes s as JavaScript's encodeURIComponent, as the
// vendor's clients build path segments.
func EncodeURIComponent(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_.!~*'()", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

var idPattern = regexp.MustCompile(`^[0-9a-f]{24}$`)

// MustID returns obj["id"] after checking it is 24 lower-case hex characters.
func MustID(tb testing.TB, obj map[string]any) string {
	tb.Helper()
	id, _ := obj["id"].(string)
	if !idPattern.MatchString(id) {
		tb.Fatalf("id = %q, want 24 lower-case hex characters", obj["id"])
	}
	return id
}

// MustCreateUser creates a user through POST /rest/v2/users and returns the
// answered UserLifecycle. fields are added to ref, firstName, lastName and
// email (a nil value removes a member).
func (s *testServer) MustCreateUser(tb testing.TB, as Tenant, ref string, fields map[string]any) map[string]any {
	tb.Helper()
	body := map[string]any{"ref": ref, "firstName": "First", "lastName": "Last", "email": ref + "@example.com"}
	for k, v := range fields {
		if v == nil {
			delete(body, k)
		} else {
			body[k] = v
		}
	}
	res := s.Do(tb, as, "POST", "/rest/v2/users", MustJSON(tb, body))
	MustStatus(tb, res, http.StatusCreated)
	obj := res.Object(tb)
	MustID(tb, obj)
	return obj
}

// MustGetUser answers GET /rest/v1/user/{id}.
func (s *testServer) MustGetUser(tb testing.TB, as Tenant, id string) map[string]any {
	tb.Helper()
	res := s.Do(tb, as, "GET", "/rest/v1/user/"+id, "")
	MustStatus(tb, res, http.StatusOK)
	return res.Object(tb)
}

// MustOK sends a request that must answer status and returns its object.
func (s *testServer) MustOK(tb testing.TB, as Tenant, status int, method, path, body string) map[string]any {
	tb.Helper()
	res := s.Do(tb, as, method, path, body)
	MustStatus(tb, res, status)
	return res.Object(tb)
}

func TestServer_Health(t *testing.T) {
	s := MustStartServer(t)
	for _, path := range []string{"/healthz", "/readyz"} {
		t.Run("OK"+path, func(t *testing.T) {
			res := s.Do(t, Tenant{}, "GET", path, "")
			MustStatus(t, res, http.StatusOK)
			if diff := cmp.Diff(map[string]any{"status": "ok"}, res.Object(t)); diff != "" {
				t.Errorf("body mismatch (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("OKOpenAPI", func(t *testing.T) {
		res := s.Do(t, Tenant{}, "GET", "/openapi.json", "")
		MustStatus(t, res, http.StatusOK)
		doc := res.Object(t)
		if doc["openapi"] == nil {
			t.Fatalf("not an OpenAPI document: %.100s", res.Body)
		}
		// Every route is documented, /rest and /lethe/v1 alike, and nothing
		// else is; every reference names a component of the document.
		for _, ref := range openAPIRefs(doc) {
			parts := strings.Split(strings.TrimPrefix(ref, "#/"), "/")
			var node any = doc
			for _, p := range parts {
				m, _ := node.(map[string]any)
				node = m[p]
			}
			if len(parts) != 3 || parts[0] != "components" || node == nil {
				t.Errorf("/openapi.json refers to %s, which it does not define", ref)
			}
		}
		paths := doc["paths"].(map[string]any)
		documented := map[string]bool{}
		for p, ops := range paths {
			for m := range ops.(map[string]any) {
				documented[strings.ToUpper(m)+" "+p] = true
			}
		}
		for _, rt := range (&rest.Handler{}).Routes() {
			key := rt.Method + " " + rt.Pattern
			if !documented[key] {
				t.Errorf("route %s is not in /openapi.json", key)
			}
			delete(documented, key)
		}
		for key := range documented {
			t.Errorf("/openapi.json documents %s, which is no route", key)
		}
	})
}

// openAPIRefs returns every "$ref" value in a decoded JSON document.
func openAPIRefs(node any) []string {
	var out []string
	switch n := node.(type) {
	case map[string]any:
		for k, v := range n {
			if s, ok := v.(string); ok && k == "$ref" {
				out = append(out, s)
			}
			out = append(out, openAPIRefs(v)...)
		}
	case []any:
		for _, v := range n {
			out = append(out, openAPIRefs(v)...)
		}
	}
	return out
}

func TestServer_Authenticate(t *testing.T) {
	s := MustStartServer(t)
	cases := []struct {
		name string
		as   Tenant
		edit func(*http.Request)
	}{
		{"ErrMissing", Tenant{}, nil},
		{"ErrWrongKey", Tenant{ID: s.A.ID, Key: s.A.Key + "x"}, nil},
		{"ErrOtherTenantsKey", Tenant{ID: s.A.ID, Key: s.B.Key}, nil},
		{"ErrEmptyKey", Tenant{ID: s.A.ID, Key: ""}, nil},
		{"ErrUnknownTenant", Tenant{ID: "no-such-tenant", Key: s.A.Key}, nil},
		{"ErrEmptyTenant", Tenant{ID: "", Key: s.A.Key}, func(r *http.Request) { r.SetBasicAuth("", s.A.Key) }},
		{"ErrBearer", Tenant{}, func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+s.A.Key) }},
		{"ErrMalformed", Tenant{}, func(r *http.Request) { r.Header.Set("Authorization", "Basic !!!") }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, rt := range []struct{ method, path, body string }{
				{"GET", "/rest/v1/users", ""},
				{"POST", "/rest/v2/users", `{"ref":"x","firstName":"F","lastName":"L","email":"x@example.com"}`},
				{"POST", "/rest/v1/webhooks", `{}`},
				{"GET", "/lethe/v1/users/000000000000000000000000/status-history", ""},
			} {
				req := s.NewRequest(t, c.as, rt.method, rt.path, rt.body)
				if c.edit != nil {
					c.edit(req)
				}
				res := s.Send(t, req)
				MustError(t, res, http.StatusUnauthorized, "unauthenticated")
				if got := res.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Basic ") {
					t.Errorf("%s %s: WWW-Authenticate = %q, want a Basic challenge", rt.method, rt.path, got)
				}
			}
			// Nothing was created by the refused request.
			res := s.Do(t, s.A, "GET", "/rest/v1/users", "")
			MustStatus(t, res, http.StatusOK)
			if n := res.Object(t)["pagination"].(map[string]any)["totalResults"]; n != float64(0) {
				t.Errorf("totalResults = %v after refused requests, want 0", n)
			}
		})
	}
	t.Run("OK", func(t *testing.T) {
		for _, tn := range []Tenant{s.A, s.B} {
			MustStatus(t, s.Do(t, tn, "GET", "/rest/v1/users", ""), http.StatusOK)
		}
	})
}

func TestServer_Routing(t *testing.T) {
	s := MustStartServer(t)
	t.Run("ErrUnknownRoute", func(t *testing.T) {
		for _, as := range []Tenant{{}, s.A} {
			for _, path := range []string{"/", "/rest/v3/users", "/rest/v1/nope", "/lethe/v1/users"} {
				res := s.Do(t, as, "GET", path, "")
				body := MustError(t, res, http.StatusNotFound, "not_found")
				if body["message"] != "No such endpoint." {
					t.Errorf("GET %s: message = %q", path, body["message"])
				}
			}
		}
	})
	t.Run("ErrWrongMethod", func(t *testing.T) {
		cases := []struct {
			method, path string
			allow        []string
		}{
			{"PUT", "/rest/v2/users", []string{"POST"}},
			{"GET", "/rest/v2/users", []string{"POST"}},
			{"DELETE", "/rest/v1/users", []string{"GET", "HEAD"}},
			{"PUT", "/rest/v2/users/ref/abc", []string{"DELETE", "PATCH"}},
			{"POST", "/rest/v2/users/ref/abc/suspend", []string{"PATCH"}},
			{"GET", "/rest/v1/webhooks", []string{"POST"}},
			{"DELETE", "/rest/v1/user/000000000000000000000000", []string{"GET", "HEAD"}},
			{"GET", "/lethe/v1/users/000000000000000000000000/logins", []string{"POST"}},
		}
		for _, c := range cases {
			for _, as := range []Tenant{{}, s.A} {
				res := s.Do(t, as, c.method, c.path, "")
				MustError(t, res, http.StatusMethodNotAllowed, "method_not_allowed")
				var got []string
				for _, m := range strings.Split(res.Header.Get("Allow"), ",") {
					got = append(got, strings.TrimSpace(m))
				}
				slices.Sort(got)
				if diff := cmp.Diff(c.allow, got); diff != "" {
					t.Errorf("%s %s: Allow mismatch (-want +got):\n%s", c.method, c.path, diff)
				}
			}
		}
	})
	t.Run("OKRequestID", func(t *testing.T) {
		req := s.NewRequest(t, s.A, "GET", "/rest/v1/users", "")
		req.Header.Set("X-Request-Id", "req-123")
		if got := s.Send(t, req).Header.Get("X-Request-Id"); got != "req-123" {
			t.Errorf("X-Request-Id = %q, want the one sent", got)
		}
		req.Header.Set("X-Request-Id", "bad id with spaces")
		if got := s.Send(t, req).Header.Get("X-Request-Id"); got == "" || strings.Contains(got, " ") {
			t.Errorf("X-Request-Id = %q, want a fresh token", got)
		}
	})
}

// TestServer_Bodies covers how request bodies are read, for every route
// that takes one.
func TestServer_Bodies(t *testing.T) {
	s := MustStartServer(t)
	s.MustCreateUser(t, s.A, "body-user", nil)
	id := MustID(t, s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/users/ref/body-user", ""))
	targets := []struct{ name, method, path string }{
		{"Create", "POST", "/rest/v2/users"},
		{"Update", "PATCH", "/rest/v2/users/ref/body-user"},
		{"Suspend", "PATCH", "/rest/v2/users/ref/body-user/suspend"},
		{"Webhook", "POST", "/rest/v1/webhooks"},
		{"Reactivate", "POST", "/lethe/v1/users/" + id + "/reactivate"},
	}
	for _, tg := range targets {
		name := tg.name
		t.Run("ErrMalformedJSON/"+name, func(t *testing.T) {
			for _, body := range []string{`{`, `{"ref":}`, `{"a":1} trailing`, `nul`, "\x00"} {
				MustError(t, s.Do(t, s.A, tg.method, tg.path, body), http.StatusBadRequest, "bad_request")
			}
		})
		t.Run("ErrNotAnObject/"+name, func(t *testing.T) {
			for _, body := range []string{`[]`, `[{"ref":"x"}]`, `"text"`, `5`, `null`, `true`} {
				MustError(t, s.Do(t, s.A, tg.method, tg.path, body), http.StatusBadRequest, "bad_request")
			}
		})
		t.Run("ErrTooLarge/"+name, func(t *testing.T) {
			big := `{"firstName":"` + strings.Repeat("a", rest.MaxBodyBytes) + `"}`
			// With a Content-Length.
			MustError(t, s.Do(t, s.A, tg.method, tg.path, big), http.StatusRequestEntityTooLarge, "too_large")
			// Chunked, without a length.
			req := s.NewRequest(t, s.A, tg.method, tg.path, "")
			req.Body = io.NopCloser(io.MultiReader(strings.NewReader(big)))
			req.ContentLength = -1
			MustError(t, s.Send(t, req), http.StatusRequestEntityTooLarge, "too_large")
		})
	}
	t.Run("ErrWrongType", func(t *testing.T) {
		cases := []struct{ body, field string }{
			{`{"ref":"t1","firstName":5,"lastName":"L","email":"t1@example.com"}`, "firstName"},
			{`{"ref":"t1","firstName":"F","lastName":["L"],"email":"t1@example.com"}`, "lastName"},
			{`{"ref":7,"firstName":"F","lastName":"L","email":"t1@example.com"}`, "ref"},
			{`{"ref":"t1","firstName":"F","lastName":"L","email":"t1@example.com","sso":"yes"}`, "sso"},
			{`{"ref":"t1","firstName":"F","lastName":"L","email":"t1@example.com","startDate":20240101}`, "startDate"},
			{`{"ref":"t1","firstName":"F","lastName":"L","email":"t1@example.com","additionalFields":"dept"}`, "additionalFields"},
			{`{"ref":"t1","firstName":"F","lastName":"L","email":"t1@example.com","additionalFields":[1]}`, "additionalFields"},
			{`{"ref":"t1","firstName":"F","lastName":"L","email":"t1@example.com","role":true}`, "role"},
		}
		for _, c := range cases {
			MustError(t, s.Do(t, s.A, "POST", "/rest/v2/users", c.body), http.StatusBadRequest, "bad_request", c.field)
		}
		MustError(t, s.Do(t, s.A, "PATCH", "/rest/v2/users/ref/body-user", `{"firstName":5}`),
			http.StatusBadRequest, "bad_request", "firstName")
		MustError(t, s.Do(t, s.A, "PATCH", "/rest/v2/users/ref/body-user/suspend", `{"endDate":5}`),
			http.StatusBadRequest, "bad_request", "endDate")
	})
	t.Run("OKExactlyTheLimit", func(t *testing.T) {
		body := `{"ref":"limit-user","firstName":"F","lastName":"L","email":"limit@example.com"}`
		body += strings.Repeat(" ", rest.MaxBodyBytes-len(body))
		MustStatus(t, s.Do(t, s.A, "POST", "/rest/v2/users", body), http.StatusCreated)
	})
	t.Run("OKNoBodyWithContentType", func(t *testing.T) {
		// The vendor's clients send Content-Type: application/json on GET and
		// DELETE too, without a body.
		MustStatus(t, s.Do(t, s.A, "GET", "/rest/v1/users/ref/body-user", ""), http.StatusOK)
		MustStatus(t, s.Do(t, s.A, "GET", "/rest/v1/users", ""), http.StatusOK)
		MustStatus(t, s.Do(t, s.A, "GET", "/rest/v1/user/"+id, ""), http.StatusOK)
		// An update and a suspend without a body count as {}.
		MustStatus(t, s.Do(t, s.A, "PATCH", "/rest/v2/users/ref/body-user", ""), http.StatusOK)
		MustStatus(t, s.Do(t, s.A, "PATCH", "/rest/v2/users/ref/body-user/suspend", ""), http.StatusOK)
		MustStatus(t, s.Do(t, s.A, "POST", "/lethe/v1/users/"+id+"/reactivate", ""), http.StatusOK)
		res := s.Do(t, s.A, "DELETE", "/rest/v2/users/ref/body-user", "")
		MustStatus(t, res, http.StatusOK)
		if diff := cmp.Diff(map[string]any{"success": true}, res.Object(t)); diff != "" {
			t.Errorf("delete body mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("ErrCreateWithoutBody", func(t *testing.T) {
		MustError(t, s.Do(t, s.A, "POST", "/rest/v2/users", ""), http.StatusBadRequest, "bad_request")
		MustError(t, s.Do(t, s.A, "POST", "/rest/v1/webhooks", ""), http.StatusBadRequest, "bad_request")
	})
}

// TestServer_RefPaths checks that refs holding "/" (sent as %2F) and "@"
// (sent as %40) work on every by-ref route.
func TestServer_RefPaths(t *testing.T) {
	s := MustStartServer(t)
	for _, ref := range []string{"dept/sales/0042", "jane.doe@example.com", "a/b@c d+e%f?g#h", "ünïcode/ref"} {
		t.Run("OK/"+ref, func(t *testing.T) {
			created := s.MustCreateUser(t, s.A, ref, map[string]any{"email": nil, "loginMethod": "ref"})
			id := MustID(t, created)
			p := "/rest/v2/users/ref/" + EncodeURIComponent(ref)
			if ref == "jane.doe@example.com" && !strings.Contains(p, "%40") {
				t.Fatalf("path %s does not encode @", p)
			}

			got := s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/users/ref/"+EncodeURIComponent(ref), "")
			if got["id"] != id || got["ref"] != ref {
				t.Fatalf("get by ref = %v, want id %s ref %q", got, id, ref)
			}
			upd := s.MustOK(t, s.A, http.StatusOK, "PATCH", p, `{"jobTitle":"Clerk"}`)
			if upd["id"] != id || upd["jobTitle"] != "Clerk" || upd["ref"] != ref {
				t.Fatalf("update = %v", upd)
			}
			sus := s.MustOK(t, s.A, http.StatusOK, "PATCH", p+"/suspend", `{}`)
			if sus["id"] != id || sus["active"] != false {
				t.Fatalf("suspend = %v", sus)
			}
			del := s.MustOK(t, s.A, http.StatusOK, "DELETE", p, "")
			if del["success"] != true {
				t.Fatalf("delete = %v", del)
			}
			MustError(t, s.Do(t, s.A, "GET", "/rest/v1/users/ref/"+EncodeURIComponent(ref), ""), http.StatusNotFound, "not_found")
		})
	}
	t.Run("ErrSlashNotEncoded", func(t *testing.T) {
		// An unencoded "/" makes a different path, which is not a by-ref route.
		s.MustCreateUser(t, s.A, "x/y", map[string]any{"email": "xy@example.com"})
		MustError(t, s.Do(t, s.A, "GET", "/rest/v1/users/ref/x/y", ""), http.StatusNotFound, "not_found")
	})
}

// MustResidue stops the server and reports which canaries can still be read
// anywhere the database keeps data (testdb.Residue). On SQLite it looks
// after the database is closed (its WAL checkpointed); on PostgreSQL after
// the erased rows were vacuumed (Scrub) and the personal-data tables
// rewritten (RewritePersonalData), which is what an operator runs to leave
// no byte in free page space.
func MustResidue(tb testing.TB, s *testServer, canaries ...string) []string {
	tb.Helper()
	if s.db.Dialect() == "postgres" {
		// A dead row stays while any open transaction of the database may
		// still see it (tests of this package run in parallel), so scrub
		// and rewrite until only the first canary, the callers' live
		// control, is left, or a deadline passes.
		ctx := context.Background()
		for deadline := time.Now().Add(20 * time.Second); ; {
			if err := s.db.Scrub(ctx); err != nil {
				tb.Fatalf("scrub: %v", err)
			}
			if err := s.db.RewritePersonalData(ctx); err != nil {
				tb.Fatalf("rewrite personal data: %v", err)
			}
			if len(testdb.Residue(tb, s.DSN, canaries...)) <= 1 || time.Now().After(deadline) {
				break
			}
			time.Sleep(200 * time.Millisecond) // poll interval
		}
	}
	s.Close()
	return testdb.Residue(tb, s.DSN, canaries...)
}

// SendAll sends every request at once (each from its own goroutine, released
// together) and returns the answers in the order of reqs. A request that
// gets no answer fails the test.
func (s *testServer) SendAll(tb testing.TB, reqs []*http.Request) []*response {
	tb.Helper()
	out := make([]*response, len(reqs))
	errs := make([]error, len(reqs))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, req := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res, err := s.client.Do(req)
			if err != nil {
				errs[i] = err
				return
			}
			defer res.Body.Close()
			b, err := io.ReadAll(res.Body)
			if err != nil {
				errs[i] = err
				return
			}
			out[i] = &response{Status: res.StatusCode, Header: res.Header, Body: b}
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			tb.Fatalf("request %d (%s %s): %v", i, reqs[i].Method, reqs[i].URL, err)
		}
	}
	return out
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
