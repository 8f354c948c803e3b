package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lethehq/lethe/client"
)

// recorded is one request as the fake server saw it.
type recorded struct {
	method, escapedPath, path, query string
	header                           http.Header
	body                             string
}

// fakeServer answers every request with status and body, and records it.
type fakeServer struct {
	mu   sync.Mutex
	reqs []recorded
	srv  *httptest.Server
}

func mustFakeServer(tb testing.TB, answer func(r *http.Request) (int, string)) *fakeServer {
	tb.Helper()
	f := &fakeServer{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.reqs = append(f.reqs, recorded{method: r.Method, escapedPath: r.URL.EscapedPath(), path: r.URL.Path,
			query: r.URL.RawQuery, header: r.Header.Clone(), body: string(b)})
		f.mu.Unlock()
		status, body := answer(r)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	tb.Cleanup(f.srv.Close)
	return f
}

func (f *fakeServer) last(tb testing.TB) recorded {
	tb.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.reqs) == 0 {
		tb.Fatal("no request reached the server")
	}
	return f.reqs[len(f.reqs)-1]
}

func (f *fakeServer) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.reqs)
}

func ok(body string) func(*http.Request) (int, string) {
	return func(*http.Request) (int, string) { return http.StatusOK, body }
}

func TestClient_Headers(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		f := mustFakeServer(t, ok(`{"id":"u1"}`))
		c := client.New(f.srv.URL+"/", "tenant-1", "s3cret")
		if _, err := c.GetUser(context.Background(), "u1"); err != nil {
			t.Fatal(err)
		}
		r := f.last(t)
		req := &http.Request{Header: r.header}
		user, pass, ok := req.BasicAuth()
		if !ok || user != "tenant-1" || pass != "s3cret" {
			t.Errorf("basic auth = %q, %q, %v; want tenant-1, s3cret", user, pass, ok)
		}
		for _, h := range []string{"Accept", "Content-Type"} {
			if got := r.header.Get(h); got != "application/json" {
				t.Errorf("%s = %q, want application/json", h, got)
			}
		}
		if r.escapedPath != "/rest/v1/user/u1" {
			t.Errorf("path = %q (the trailing slash of the base URL must not double)", r.escapedPath)
		}
	})
	t.Run("OKCustomHTTPClient", func(t *testing.T) {
		f := mustFakeServer(t, ok(`{"id":"u1"}`))
		rt := &countingTransport{next: http.DefaultTransport}
		c := client.New(f.srv.URL, "t", "k", client.WithHTTPClient(&http.Client{Transport: rt}))
		if _, err := c.GetUser(context.Background(), "u1"); err != nil {
			t.Fatal(err)
		}
		if rt.n != 1 {
			t.Errorf("custom transport saw %d requests, want 1", rt.n)
		}
	})
}

type countingTransport struct {
	n    int
	next http.RoundTripper
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n++
	return c.next.RoundTrip(r)
}

func TestClient_PathEscaping(t *testing.T) {
	tests := []struct {
		ref, wantEscaped string
	}{
		{"EMP1", "EMP1"},
		{"dept/EMP 7@x", "dept%2FEMP%207@x"},
		{"a?b#c", "a%3Fb%23c"},
		{"100%", "100%25"},
		{"..", "%2E%2E"},
		{".", "%2E"},
		{"a..b", "a..b"},
	}
	for _, tt := range tests {
		t.Run("OK"+tt.ref, func(t *testing.T) {
			f := mustFakeServer(t, ok(`{}`))
			c := client.New(f.srv.URL, "t", "k")
			if _, err := c.GetUserByRef(context.Background(), tt.ref); err != nil {
				t.Fatal(err)
			}
			r := f.last(t)
			if want := "/rest/v1/users/ref/" + tt.wantEscaped; r.escapedPath != want {
				t.Errorf("escaped path = %q, want %q", r.escapedPath, want)
			}
			if want := "/rest/v1/users/ref/" + tt.ref; r.path != want {
				t.Errorf("decoded path = %q, want %q", r.path, want)
			}
		})
	}
	t.Run("ErrEmptyRef", func(t *testing.T) {
		f := mustFakeServer(t, ok(`{}`))
		c := client.New(f.srv.URL, "t", "k")
		ctx := context.Background()
		errs := []error{
			func() error { _, err := c.GetUserByRef(ctx, ""); return err }(),
			func() error { _, err := c.UpdateUser(ctx, "", client.UserFields{}); return err }(),
			func() error { _, err := c.SuspendUser(ctx, "", nil); return err }(),
			c.DeleteUser(ctx, ""),
			func() error { _, err := c.CreateUser(ctx, "", client.UserFields{}); return err }(),
			func() error { _, err := c.GetUser(ctx, ""); return err }(),
		}
		for i, err := range errs {
			if err == nil {
				t.Errorf("call %d: no error for an empty ref or id", i)
			}
		}
		if n := f.count(); n != 0 {
			t.Errorf("%d requests sent, want none", n)
		}
	})
}

func TestClient_UpdateUser(t *testing.T) {
	t.Run("OKOnlySetFieldsSent", func(t *testing.T) {
		f := mustFakeServer(t, ok(`{"id":"u1","active":true,"createdAt":"2026-01-02T15:04:05.000Z","updatedAt":"2026-01-02T15:04:05.123Z"}`))
		c := client.New(f.srv.URL, "t", "k")
		start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.FixedZone("X", 3600))
		got, err := c.UpdateUser(context.Background(), "EMP1", client.UserFields{
			JobTitle:         client.Ptr(""),
			Role:             client.Ptr(client.RoleAdministrator),
			SSO:              client.Ptr(false),
			StartDate:        &start,
			EndDate:          &time.Time{},
			AdditionalFields: json.RawMessage(`{"dept":"L&D"}`),
		})
		if err != nil {
			t.Fatal(err)
		}
		r := f.last(t)
		if r.method != "PATCH" {
			t.Errorf("method = %s, want PATCH", r.method)
		}
		var body map[string]any
		if err := json.Unmarshal([]byte(r.body), &body); err != nil {
			t.Fatalf("body %q: %v", r.body, err)
		}
		want := map[string]any{
			"jobTitle": "", "role": "administrator", "sso": false,
			"startDate": "2026-02-28T23:00:00Z", "endDate": "", "additionalFields": map[string]any{"dept": "L&D"},
		}
		if fmt.Sprint(body) != fmt.Sprint(want) {
			t.Errorf("body = %v\nwant   %v", body, want)
		}
		if !strings.Contains(r.body, `"L&D"`) {
			t.Errorf("body %s: custom fields must be sent as given, not HTML-escaped", r.body)
		}
		wantUpdated := time.Date(2026, 1, 2, 15, 4, 5, 123e6, time.UTC)
		if got.ID != "u1" || !got.Active || !got.UpdatedAt.Equal(wantUpdated) {
			t.Errorf("decoded %+v", got)
		}
	})
	t.Run("OKEmpty", func(t *testing.T) {
		f := mustFakeServer(t, ok(`{"id":"u1"}`))
		c := client.New(f.srv.URL, "t", "k")
		if _, err := c.UpdateUser(context.Background(), "EMP1", client.UserFields{}); err != nil {
			t.Fatal(err)
		}
		if b := f.last(t).body; b != "{}" {
			t.Errorf("body = %q, want {}", b)
		}
	})
}

func TestClient_SuspendUser(t *testing.T) {
	t.Run("OKNoEndDate", func(t *testing.T) {
		f := mustFakeServer(t, ok(`{"id":"u1","active":false}`))
		c := client.New(f.srv.URL, "t", "k")
		if _, err := c.SuspendUser(context.Background(), "EMP1", nil); err != nil {
			t.Fatal(err)
		}
		r := f.last(t)
		if r.body != "{}" || r.escapedPath != "/rest/v2/users/ref/EMP1/suspend" {
			t.Errorf("sent %s %s %q", r.method, r.escapedPath, r.body)
		}
	})
	t.Run("OKEndDate", func(t *testing.T) {
		f := mustFakeServer(t, ok(`{"id":"u1","active":false}`))
		c := client.New(f.srv.URL, "t", "k")
		end := time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
		if _, err := c.SuspendUser(context.Background(), "EMP1", &end); err != nil {
			t.Fatal(err)
		}
		if b := f.last(t).body; b != `{"endDate":"2026-06-30T00:00:00Z"}` {
			t.Errorf("body = %s", b)
		}
	})
}

func TestClient_SearchUsers(t *testing.T) {
	t.Run("OKQuery", func(t *testing.T) {
		f := mustFakeServer(t, ok(`{"results":[],"pagination":{"totalResults":0,"totalPages":0,"page":2,"perPage":5}}`))
		c := client.New(f.srv.URL, "t", "k")
		_, err := c.SearchUsers(context.Background(), client.SearchParams{
			Page: 2, PerPage: 5, Statuses: []client.Status{client.StatusActive, client.StatusNew},
			OmitStatuses: []client.Status{client.StatusExpired}, Status: client.StatusActive,
			UpdatedSince: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		})
		if err != nil {
			t.Fatal(err)
		}
		q, _ := url.ParseQuery(f.last(t).query)
		want := url.Values{"page": {"2"}, "perPage": {"5"}, "statuses": {"active,new"}, "omitStatuses": {"expired"},
			"status": {"active"}, "updatedSince": {"2026-01-02T03:04:05Z"}}
		if q.Encode() != want.Encode() {
			t.Errorf("query = %s\nwant    %s", q.Encode(), want.Encode())
		}
	})
	t.Run("OKNoParams", func(t *testing.T) {
		f := mustFakeServer(t, ok(`{"results":[],"pagination":{}}`))
		c := client.New(f.srv.URL, "t", "k")
		if _, err := c.SearchUsers(context.Background(), client.SearchParams{}); err != nil {
			t.Fatal(err)
		}
		if r := f.last(t); r.query != "" || r.body != "" {
			t.Errorf("query %q body %q, want both empty", r.query, r.body)
		}
	})
}

func TestClient_AllUsers(t *testing.T) {
	// pagedAnswer serves total users named u0001... in pages.
	pagedAnswer := func(total int) func(*http.Request) (int, string) {
		return func(r *http.Request) (int, string) {
			page, _ := strconv.Atoi(r.URL.Query().Get("page"))
			per, _ := strconv.Atoi(r.URL.Query().Get("perPage"))
			var results []string
			for i := (page - 1) * per; i < page*per && i < total; i++ {
				results = append(results, fmt.Sprintf(`{"id":"u%04d"}`, i+1))
			}
			return http.StatusOK, fmt.Sprintf(`{"results":[%s],"pagination":{"totalResults":%d,"totalPages":%d,"page":%d,"perPage":%d}}`,
				strings.Join(results, ","), total, (total+per-1)/per, page, per)
		}
	}
	t.Run("OK", func(t *testing.T) {
		f := mustFakeServer(t, pagedAnswer(7))
		c := client.New(f.srv.URL, "t", "k")
		var ids []string
		for u, err := range c.AllUsers(context.Background(), client.SearchParams{PerPage: 3}) {
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, u.ID)
		}
		if got := strings.Join(ids, " "); got != "u0001 u0002 u0003 u0004 u0005 u0006 u0007" {
			t.Errorf("ids = %s", got)
		}
		if n := f.count(); n != 3 {
			t.Errorf("%d requests, want 3", n)
		}
	})
	t.Run("OKStopEarly", func(t *testing.T) {
		f := mustFakeServer(t, pagedAnswer(7))
		c := client.New(f.srv.URL, "t", "k")
		n := 0
		for range c.AllUsers(context.Background(), client.SearchParams{PerPage: 3}) {
			if n++; n == 2 {
				break
			}
		}
		if got := f.count(); got != 1 {
			t.Errorf("%d requests after stopping in the first page, want 1", got)
		}
	})
	t.Run("ErrSecondPage", func(t *testing.T) {
		f := mustFakeServer(t, func(r *http.Request) (int, string) {
			if r.URL.Query().Get("page") == "2" {
				return http.StatusInternalServerError, `{"status":500,"error":"Internal Server Error","message":"An internal error has occurred.","code":"internal","details":[]}`
			}
			return pagedAnswer(7)(r)
		})
		c := client.New(f.srv.URL, "t", "k")
		var n int
		var errs []error
		for _, err := range c.AllUsers(context.Background(), client.SearchParams{PerPage: 3}) {
			if err != nil {
				errs = append(errs, err)
				continue
			}
			n++
		}
		if n != 3 || len(errs) != 1 || client.ErrorCode(errs[0]) != client.CodeInternal {
			t.Errorf("got %d users and errors %v; want 3 users then one internal error", n, errs)
		}
	})
}

func TestClient_Error(t *testing.T) {
	t.Run("OKVendorBody", func(t *testing.T) {
		f := mustFakeServer(t, func(*http.Request) (int, string) {
			return http.StatusConflict, `{"status":409,"error":"Conflict","message":"A user with this email already exists.","code":"conflict","details":[{"field":"email","problem":"taken"}]}`
		})
		c := client.New(f.srv.URL, "t", "k")
		_, err := c.CreateUser(context.Background(), "EMP1", client.UserFields{})
		var e *client.Error
		if !errors.As(err, &e) {
			t.Fatalf("err = %v (%T), want *client.Error", err, err)
		}
		if e.Status != 409 || e.Code != client.CodeConflict || e.Message != "A user with this email already exists." ||
			e.Problem("email") != client.ProblemTaken || e.Problem("ref") != "" {
			t.Errorf("error = %+v", e)
		}
		if !client.IsConflict(err) || client.IsNotFound(err) {
			t.Errorf("IsConflict/IsNotFound wrong for %v", err)
		}
		if got := err.Error(); got != "lethe: 409 conflict: A user with this email already exists." {
			t.Errorf("Error() = %q", got)
		}
	})
	t.Run("OKNotJSON", func(t *testing.T) {
		f := mustFakeServer(t, func(*http.Request) (int, string) { return http.StatusBadGateway, "<html>bad gateway</html>" })
		c := client.New(f.srv.URL, "t", "k")
		_, err := c.GetUser(context.Background(), "u1")
		var e *client.Error
		if !errors.As(err, &e) || e.Status != 502 || e.Code != "" || e.Message != "Bad Gateway" {
			t.Errorf("err = %#v", err)
		}
	})
	t.Run("OKTransportErrorHidesRef", func(t *testing.T) {
		f := mustFakeServer(t, ok(`{}`))
		base := f.srv.URL
		f.srv.Close()
		c := client.New(base, "t", "k")
		_, err := c.GetUserByRef(context.Background(), "secret.person@example.com")
		if err == nil {
			t.Fatal("no error from a closed server")
		}
		if strings.Contains(err.Error(), "secret.person") || !strings.Contains(err.Error(), "/rest/v1/users/ref/{ref}") {
			t.Errorf("transport error %q must name the route pattern, not the ref", err)
		}
		if client.ErrorCode(err) != "" {
			t.Errorf("ErrorCode(transport error) = %q, want empty", client.ErrorCode(err))
		}
	})
	t.Run("OKContextCanceled", func(t *testing.T) {
		f := mustFakeServer(t, ok(`{}`))
		c := client.New(f.srv.URL, "t", "k")
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := c.GetUser(ctx, "u1")
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})
}

func TestClient_SendProvisioningEvent(t *testing.T) {
	t.Run("OKEnvelope", func(t *testing.T) {
		f := mustFakeServer(t, ok(`{"success":true,"id":"ev1","eventType":"user_joined","outcome":"created","userId":"u1","replayed":false}`))
		c := client.New(f.srv.URL, "t", "k")
		res, err := c.SendProvisioningEvent(context.Background(), client.ProvisioningEvent{
			ID: "ev1", Timestamp: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Type: client.EventUserJoined,
			Ref: "EMP1", Fields: client.UserFields{FirstName: client.Ptr("Ada")},
		})
		if err != nil {
			t.Fatal(err)
		}
		r := f.last(t)
		want := `{"id":"ev1","timestamp":"2026-01-02T03:04:05Z","eventType":"user_joined","content":{"user":{"ref":"EMP1","firstName":"Ada"}}}`
		if r.method != "POST" || r.escapedPath != "/rest/v1/webhooks" || r.body != want {
			t.Errorf("sent %s %s %s\nwant body %s", r.method, r.escapedPath, r.body, want)
		}
		if res.Outcome != client.OutcomeCreated || res.UserID != "u1" || res.Replayed {
			t.Errorf("result = %+v", res)
		}
	})
}
