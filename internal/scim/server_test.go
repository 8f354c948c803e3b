package scim_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/rest"
	"github.com/lethehq/lethe/internal/scim"
	"github.com/lethehq/lethe/internal/server"
	"github.com/lethehq/lethe/internal/sqldb"
	"github.com/lethehq/lethe/internal/testdb"
)

// TestMain runs the suite on SQLite, and again on PostgreSQL when
// LETHE_TEST_POSTGRES_DSN is set.
func TestMain(m *testing.M) { testdb.Main(m) }

// syncBuffer collects the server's logs.
type syncBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
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

// harness is the real server (the wiring of cmd/lethe/serve.go) on a fresh
// database, over HTTP on loopback, with tenants A and B and a SCIM token
// for each.
type harness struct {
	URL        string
	TokenA     string
	TokenB     string
	Logs       *syncBuffer
	db         *sqldb.DB
	tokens     *sqldb.SCIMTokenService
	users      *sqldb.UserService
	settings   *sqldb.SettingsService
	client     *http.Client
	tenantA    lethe.TenantID
	tenantAKey string
}

func start(t testing.TB) *harness {
	t.Helper()
	ctx := context.Background()
	db, err := sqldb.Open(ctx, testdb.DSN(t))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	tenants, users := sqldb.NewTenantService(db), sqldb.NewUserService(db)
	h := &harness{Logs: logs, db: db, tokens: sqldb.NewSCIMTokenService(db), users: users, settings: sqldb.NewSettingsService(db),
		client: &http.Client{Timeout: 20 * time.Second}}
	srv := server.New(server.Config{
		Logger: logger, Tenants: tenants,
		REST: &rest.Handler{Users: users, Provisioning: sqldb.NewProvisioningService(db), Logger: logger,
			Audiences: sqldb.NewAudienceService(db), Settings: h.settings, Now: func() time.Time { return db.Now() }},
		SCIM: &scim.Handler{SCIM: sqldb.NewSCIMService(db), Tokens: h.tokens, Settings: h.settings, Logger: logger},
	})
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		hs.Close()
		db.Close()
	})
	h.URL = hs.URL
	for _, id := range []string{"tenant-a", "tenant-b"} {
		ten, key, err := tenants.CreateTenant(ctx, lethe.TenantID(id), "Tenant "+id)
		if err != nil {
			t.Fatal(err)
		}
		_, secret, err := h.tokens.CreateSCIMToken(h.as(ten.ID), "idp")
		if err != nil {
			t.Fatal(err)
		}
		if id == "tenant-a" {
			h.TokenA, h.tenantA, h.tenantAKey = secret, ten.ID, key
		} else {
			h.TokenB = secret
		}
	}
	return h
}

func (h *harness) as(tenant lethe.TenantID) context.Context {
	return lethe.WithActor(context.Background(), lethe.Actor{TenantID: tenant, Source: lethe.SourceCLI, Name: "test"})
}

// res is one answer.
type res struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r *res) String() string { return fmt.Sprintf("%d %s", r.Status, r.Body) }

// JSON decodes the body as an object.
func (r *res) JSON(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("body is not JSON (%v): %s", err, r.Body)
	}
	return m
}

// do sends one SCIM request with a bearer token (none when token is "").
func (h *harness) do(t testing.TB, token, method, path, body string, headers ...string) *res {
	t.Helper()
	var rd io.Reader = http.NoBody
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, h.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := h.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return &res{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// mustStatus checks the status and that a body is SCIM JSON.
func mustStatus(t *testing.T, r *res, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status = %d, want %d; body: %s", r.Status, status, r.Body)
	}
	if len(r.Body) > 0 && r.Header.Get("Content-Type") != "application/scim+json" {
		t.Fatalf("Content-Type = %q", r.Header.Get("Content-Type"))
	}
}

// mustSCIMError checks a SCIM error answer and its scimType ("" for none).
func mustSCIMError(t *testing.T, r *res, status int, scimType string) map[string]any {
	t.Helper()
	mustStatus(t, r, status)
	m := r.JSON(t)
	schemas, _ := m["schemas"].([]any)
	if len(schemas) != 1 || schemas[0] != "urn:ietf:params:scim:api:messages:2.0:Error" || m["status"] != fmt.Sprint(status) {
		t.Fatalf("not a SCIM error body: %s", r.Body)
	}
	if got, _ := m["scimType"].(string); got != scimType {
		t.Fatalf("scimType = %q, want %q; body: %s", got, scimType, r.Body)
	}
	return m
}

// step is one request of a recorded identity-provider sequence.
type step struct {
	Name    string            `json:"name"`
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
	Status  int               `json:"status"`
	// Expect is a subset of the answer: objects match key by key, arrays
	// element by element (in any order) with the same length; "*" matches any value that
	// is there, "absent" a key that is not.
	Expect map[string]any `json:"expect"`
	// Save names variables to set from the answer's top-level keys.
	Save map[string]string `json:"save"`
}

var placeholder = regexp.MustCompile(`\{\{(\w+)\}\}`)

func expand(s string, vars map[string]string) string {
	return placeholder.ReplaceAllStringFunc(s, func(m string) string {
		if v, ok := vars[m[2:len(m)-2]]; ok {
			return v
		}
		return m
	})
}

// replay runs the steps of a testdata file in order as tenant A.
func (h *harness) replay(t *testing.T, file string, vars map[string]string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var steps []step
	if err := json.Unmarshal(b, &steps); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	for i, s := range steps {
		body := ""
		if len(s.Body) > 0 {
			body = expand(string(s.Body), vars)
		}
		var hdr []string
		for k, v := range s.Headers {
			hdr = append(hdr, k, expand(v, vars))
		}
		r := h.do(t, h.TokenA, s.Method, expand(s.Path, vars), body, hdr...)
		if r.Status != s.Status {
			t.Fatalf("%s step %d (%s): status %d, want %d; body: %s", file, i+1, s.Name, r.Status, s.Status, r.Body)
		}
		if len(s.Expect) == 0 && len(s.Save) == 0 {
			continue
		}
		var got map[string]any
		if err := json.Unmarshal(r.Body, &got); err != nil {
			t.Fatalf("%s step %d (%s): body %s: %v", file, i+1, s.Name, r.Body, err)
		}
		var want map[string]any
		eb, _ := json.Marshal(s.Expect)
		json.Unmarshal([]byte(expand(string(eb), vars)), &want)
		if msg := subset("", want, got); msg != "" {
			t.Fatalf("%s step %d (%s): %s\nbody: %s", file, i+1, s.Name, msg, r.Body)
		}
		for name, key := range s.Save {
			vars[name] = fmt.Sprint(got[key])
		}
	}
}

// subset reports where got differs from want, or "".
func subset(at string, want, got any) string {
	switch w := want.(type) {
	case string:
		if w == "*" && got != nil {
			return ""
		}
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: got %v, want an object", at, got)
		}
		for k, wv := range w {
			gv, ok := g[k]
			if wv == "absent" {
				if ok {
					return fmt.Sprintf("%s.%s: present, want absent", at, k)
				}
				continue
			}
			if !ok {
				return fmt.Sprintf("%s.%s: absent", at, k)
			}
			if msg := subset(at+"."+k, wv, gv); msg != "" {
				return msg
			}
		}
		return ""
	case []any:
		// Elements match in any order: lists come in id order, and ids
		// made in one millisecond sort at random.
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return fmt.Sprintf("%s: got %v, want %d elements", at, got, len(w))
		}
		used := make([]bool, len(g))
	next:
		for i := range w {
			for j := range g {
				if !used[j] && subset("", w[i], g[j]) == "" {
					used[j] = true
					continue next
				}
			}
			return fmt.Sprintf("%s[%d]: no element matches %v", at, i, w[i])
		}
		return ""
	}
	if fmt.Sprint(want) != fmt.Sprint(got) {
		return fmt.Sprintf("%s: got %v, want %v", at, got, want)
	}
	return ""
}
