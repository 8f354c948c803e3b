package server_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lethehq/lethe/internal/rest"
	"github.com/lethehq/lethe/internal/server"
)

// scimStub stands in for the SCIM handler: it reads the body (413 when the
// server's limit cuts it), answers with the path it got, and panics on
// /panic.
type scimStub struct{}

func (scimStub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(r.URL.Path, "/panic") {
		panic("boom")
	}
	_, err := io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/scim+json")
	if err != nil {
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		return
	}
	w.Write([]byte(`{"path":"` + r.URL.EscapedPath() + `"}`))
}

func (scimStub) Route(r *http.Request) string { return "scim /Stub" }

func TestSCIMMount(t *testing.T) {
	logs := &syncBuffer{}
	srv := server.New(server.Config{Logger: slog.New(slog.NewJSONHandler(logs, nil)), REST: &rest.Handler{}, SCIM: scimStub{}})
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	do := func(method, path, body string) (*http.Response, string) {
		req, _ := http.NewRequest(method, hs.URL+path, strings.NewReader(body))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	// Any case, trailing slashes and paths the REST check refuses reach
	// the SCIM handler, which answers them itself.
	for _, p := range []string{"/scim/v2/Users", "/SCIM/V2/users/", "/Scim/v2/Users//x", "/scim/v2/Users/%2e%2e", "/scim/v2"} {
		res, body := do("GET", p, "")
		if res.StatusCode != 200 || !strings.Contains(body, `"path":"`+p+`"`) {
			t.Errorf("GET %s: %d %s", p, res.StatusCode, body)
		}
	}
	for _, p := range []string{"/scim/v2x/Users", "/scim/v1/Users", "/scim"} {
		if res, body := do("GET", p, ""); res.StatusCode != 404 || strings.Contains(body, `"path"`) {
			t.Errorf("GET %s reached SCIM: %d %s", p, res.StatusCode, body)
		}
	}
	if res, _ := do("POST", "/scim/v2/Users", strings.Repeat("x", 1<<20+1)); res.StatusCode != 413 {
		t.Errorf("a body over 1 MiB: %d", res.StatusCode)
	}
	if res, _ := do("POST", "/scim/v2/Users", strings.Repeat("x", 1<<20)); res.StatusCode != 200 {
		t.Errorf("a body of 1 MiB: %d", res.StatusCode)
	}
	res, body := do("GET", "/scim/v2/panic", "")
	if res.StatusCode != 500 || res.Header.Get("Content-Type") != "application/scim+json" ||
		!strings.Contains(body, `"urn:ietf:params:scim:api:messages:2.0:Error"`) || strings.Contains(body, "boom") {
		t.Errorf("panic: %d %s", res.StatusCode, body)
	}
	if l := logs.String(); !strings.Contains(l, `"route":"scim /Stub"`) || strings.Contains(l, "/scim/v2/Users") || strings.Contains(l, "boom") {
		t.Errorf("logs:\n%s", l)
	}
}
