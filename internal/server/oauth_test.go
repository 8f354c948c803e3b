package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
)

// mustClient creates an OAuth client of tenant as, straight in the store.
func (s *testServer) mustClient(tb testing.TB, as Tenant, scopes ...string) (id, secret string) {
	tb.Helper()
	ctx := lethe.WithActor(context.Background(), lethe.Actor{TenantID: lethe.TenantID(as.ID), Source: lethe.SourceCLI, Name: "test"})
	c, secret, err := sqldb.NewOAuthService(s.db).CreateOAuthClient(ctx, "test", scopes)
	if err != nil {
		tb.Fatal(err)
	}
	return c.ID, secret
}

// tokenRequest posts form to the token endpoint of tenant, with Basic
// credentials when basicID is set.
func (s *testServer) tokenRequest(tb testing.TB, tenant, basicID, basicSecret, contentType string, form url.Values) *response {
	tb.Helper()
	req, err := http.NewRequest("POST", s.URL+"/oauth2/token/"+tenant, strings.NewReader(form.Encode()))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if basicID != "" {
		req.SetBasicAuth(url.QueryEscape(basicID), url.QueryEscape(basicSecret))
	}
	return s.Send(tb, req)
}

const formType = "application/x-www-form-urlencoded"

func (s *testServer) mustToken(tb testing.TB, tenant, id, secret, scope string) string {
	tb.Helper()
	form := url.Values{"grant_type": {"client_credentials"}}
	if scope != "" {
		form.Set("scope", scope)
	}
	res := s.tokenRequest(tb, tenant, id, secret, formType, form)
	MustStatus(tb, res, http.StatusOK)
	m := res.Object(tb)
	if m["token_type"] != "Bearer" || m["expires_in"] != float64(3600) || res.Header.Get("Cache-Control") != "no-store" ||
		res.Header.Get("Pragma") != "no-cache" {
		tb.Fatalf("token answer %s %v", res.Body, res.Header)
	}
	return m["access_token"].(string)
}

func (s *testServer) bearer(tb testing.TB, token, method, path, body string) *response {
	tb.Helper()
	req := s.NewRequest(tb, Tenant{}, method, path, body)
	req.Header.Set("Authorization", "Bearer "+token)
	return s.Send(tb, req)
}

func tokenErr(tb testing.TB, res *response, status int, code string) {
	tb.Helper()
	var m map[string]string
	if res.Status != status || json.Unmarshal(res.Body, &m) != nil || m["error"] != code || m["error_description"] == "" {
		tb.Fatalf("got %s, want %d %s", res, status, code)
	}
}

func TestOAuthToken(t *testing.T) {
	s := MustStartServer(t)
	id, secret := s.mustClient(t, s.A, "api/read", "api/write")
	t.Run("OKBasicAndForm", func(t *testing.T) {
		tok := s.mustToken(t, s.A.ID, id, secret, "")
		res := s.tokenRequest(t, s.A.ID, "", "", formType, url.Values{"grant_type": {"client_credentials"},
			"client_id": {id}, "client_secret": {secret}, "scope": {"api/read"}})
		MustStatus(t, res, http.StatusOK)
		if m := res.Object(t); m["scope"] != "api/read" || m["access_token"] == tok {
			t.Fatalf("form token %s", res.Body)
		}
		MustStatus(t, s.bearer(t, tok, "GET", "/rest/v1/users", ""), http.StatusOK)
		MustNotContain(t, &response{Body: []byte(s.Logs.String())}, secret, tok)
	})
	t.Run("ErrCases", func(t *testing.T) {
		cc := url.Values{"grant_type": {"client_credentials"}}
		res := s.tokenRequest(t, s.A.ID, id, secret+"x", formType, cc)
		tokenErr(t, res, 401, "invalid_client")
		if res.Header.Get("WWW-Authenticate") != `Basic realm="lethe"` {
			t.Errorf("WWW-Authenticate = %q", res.Header.Get("WWW-Authenticate"))
		}
		tokenErr(t, s.tokenRequest(t, s.B.ID, id, secret, formType, cc), 401, "invalid_client")
		tokenErr(t, s.tokenRequest(t, s.A.ID, "", "", formType, url.Values{"grant_type": {"client_credentials"},
			"client_id": {id}, "client_secret": {"wrong"}}), 401, "invalid_client")
		tokenErr(t, s.tokenRequest(t, s.A.ID, id, secret, formType, url.Values{"grant_type": {"client_credentials"},
			"client_id": {id}}), 400, "invalid_request")
		tokenErr(t, s.tokenRequest(t, s.A.ID, id, secret, "application/json", cc), 400, "invalid_request")
		tokenErr(t, s.tokenRequest(t, s.A.ID, id, secret, formType, url.Values{"grant_type": {"password"}}), 400, "unsupported_grant_type")
		tokenErr(t, s.tokenRequest(t, s.A.ID, id, secret, formType, url.Values{}), 400, "invalid_request")
		tokenErr(t, s.tokenRequest(t, s.A.ID, id, secret, formType, url.Values{"grant_type": {"client_credentials"},
			"scope": {"api/all"}}), 400, "invalid_scope")
		tokenErr(t, s.tokenRequest(t, s.A.ID, id, secret, formType, url.Values{"grant_type": {"client_credentials"},
			"scope": {"nonsense"}}), 400, "invalid_scope")
	})
	t.Run("ErrRateLimit", func(t *testing.T) {
		id2, secret2 := s.mustClient(t, s.A, "api/read")
		cc := url.Values{"grant_type": {"client_credentials"}}
		for range 10 {
			tokenErr(t, s.tokenRequest(t, s.A.ID, id2, "guess", formType, cc), 401, "invalid_client")
		}
		res := s.tokenRequest(t, s.A.ID, id2, secret2, formType, cc)
		tokenErr(t, res, 429, "slow_down")
		if res.Header.Get("Retry-After") == "" {
			t.Error("no Retry-After")
		}
		s.mustToken(t, s.A.ID, id, secret, "") // another client is not held
	})
	t.Run("ErrScopes", func(t *testing.T) {
		read := s.mustToken(t, s.A.ID, id, secret, "api/read")
		MustStatus(t, s.bearer(t, read, "GET", "/rest/v1/users", ""), http.StatusOK)
		lower := s.NewRequest(t, Tenant{}, "GET", "/rest/v1/users", "")
		lower.Header.Set("Authorization", "bearer "+read) // the scheme ignores case
		MustStatus(t, s.Send(t, lower), http.StatusOK)
		MustError(t, s.bearer(t, read, "POST", "/rest/v1/users/x/tags", `{}`), 403, "forbidden")
		// A refusal never echoes the path: it can carry a ref.
		res := s.bearer(t, read, "DELETE", "/rest/v2/users/ref/canary-ref-4711", "")
		MustError(t, res, 403, "forbidden")
		if strings.Contains(string(res.Body), "canary-ref-4711") {
			t.Errorf("the 403 names the ref: %s", res.Body)
		}
		hid, hsecret := s.mustClient(t, s.A, "api/webhooks")
		hooks := s.mustToken(t, s.A.ID, hid, hsecret, "")
		MustError(t, s.bearer(t, hooks, "GET", "/rest/v1/users", ""), 403, "forbidden")
		if res := s.bearer(t, hooks, "POST", "/rest/v1/webhooks", `{}`); res.Status == 401 || res.Status == 403 {
			t.Errorf("api/webhooks token on POST /rest/v1/webhooks: %s", res)
		}
		MustError(t, s.bearer(t, read, "POST", "/rest/v1/webhooks", `{}`), 403, "forbidden")
		MustError(t, s.bearer(t, "garbage", "GET", "/rest/v1/users", ""), 401, string(lethe.EUnauthenticated))
	})
	t.Run("ErrRevoked", func(t *testing.T) {
		rid, rsecret := s.mustClient(t, s.A, "api/all")
		tok := s.mustToken(t, s.A.ID, rid, rsecret, "")
		MustStatus(t, s.bearer(t, tok, "GET", "/rest/v1/users", ""), http.StatusOK)
		ctx := lethe.WithActor(context.Background(), lethe.Actor{TenantID: lethe.TenantID(s.A.ID), Source: lethe.SourceCLI, Name: "test"})
		if err := sqldb.NewOAuthService(s.db).RevokeOAuthClient(ctx, rid); err != nil {
			t.Fatal(err)
		}
		MustError(t, s.bearer(t, tok, "GET", "/rest/v1/users", ""), 401, string(lethe.EUnauthenticated))
	})
}

func TestOAuthClientsREST(t *testing.T) {
	s := MustStartServer(t)
	res := s.Do(t, s.A, "POST", "/lethe/v1/oauth/clients", `{"name":"hr-sync","scopes":["api/read","api/write"]}`)
	MustStatus(t, res, http.StatusCreated)
	m := res.Object(t)
	MustKeys(t, m, "clientId", "clientSecret", "name", "scopes", "createdAt")
	id, secret := m["clientId"].(string), m["clientSecret"].(string)
	tok := s.mustToken(t, s.A.ID, id, secret, "")
	MustStatus(t, s.bearer(t, tok, "GET", "/rest/v1/users", ""), http.StatusOK)
	// Credential management needs api/all.
	MustError(t, s.bearer(t, tok, "GET", "/lethe/v1/oauth/clients", ""), 403, "forbidden")
	list := s.Do(t, s.A, "GET", "/lethe/v1/oauth/clients", "")
	MustStatus(t, list, http.StatusOK)
	MustNotContain(t, list, secret)
	if arr := mustArray(t, list); len(arr) != 1 {
		t.Fatalf("list = %s", list.Body)
	}
	if arr := mustArray(t, s.Do(t, s.B, "GET", "/lethe/v1/oauth/clients", "")); len(arr) != 0 {
		t.Fatal("tenant B sees A's client")
	}
	for body, f := range map[string]string{
		`{"name":"x","scopes":[]}`:           "scopes",
		`{"name":"x","scopes":["api/nope"]}`: "scopes",
		`{"name":"x","scopes":"api/read"}`:   "scopes",
		`{"name":"x"}`:                       "scopes",
		`{"scopes":["api/read"]}`:            "name",
		`{"name":"` + strings.Repeat("n", 101) + `","scopes":["api/read"]}`: "name",
	} {
		MustError(t, s.Do(t, s.A, "POST", "/lethe/v1/oauth/clients", body), 422, "invalid", f)
	}
	MustError(t, s.Do(t, s.B, "DELETE", "/lethe/v1/oauth/clients/"+id, ""), 404, "not_found")
	if res := s.Do(t, s.A, "DELETE", "/lethe/v1/oauth/clients/"+id, ""); res.Status != http.StatusNoContent {
		t.Fatalf("DELETE = %s", res)
	}
	MustError(t, s.bearer(t, tok, "GET", "/rest/v1/users", ""), 401, "unauthenticated")
	MustError(t, s.Do(t, s.A, "DELETE", "/lethe/v1/oauth/clients/"+id, ""), 404, "not_found")
}
