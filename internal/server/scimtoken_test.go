package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestSCIMTokens: POST /lethe/v1/scim/tokens shows the secret once, GET
// lists the tokens without it, DELETE revokes, and each tenant sees only
// its own; a revoked token is refused at /scim/v2 at once.
func TestSCIMTokens(t *testing.T) {
	s := MustStartServer(t)
	var entra map[string]any
	t.Run("OKCreate", func(t *testing.T) {
		entra = s.MustOK(t, s.A, http.StatusCreated, "POST", "/lethe/v1/scim/tokens", `{"name":"  entra-prod "}`)
		MustKeys(t, entra, "id", "name", "createdAt", "token")
		if entra["name"] != "entra-prod" || entra["createdAt"] != T0 {
			t.Errorf("token = %v", entra)
		}
		if tok, _ := entra["token"].(string); len(tok) < 32 {
			t.Errorf("secret %q is too short to be a bearer secret", tok)
		}
		if id, _ := entra["id"].(string); id == "" || strings.Contains(entra["token"].(string), id) && len(id) > 8 {
			t.Errorf("id %q is empty, or the secret shows it", id)
		}
	})
	t.Run("OKList", func(t *testing.T) {
		s.Clock.Advance(time.Minute)
		okta := s.MustOK(t, s.A, http.StatusCreated, "POST", "/lethe/v1/scim/tokens", `{"name":"okta"}`)
		res := s.Do(t, s.A, "GET", "/lethe/v1/scim/tokens", "")
		MustStatus(t, res, http.StatusOK)
		MustNotContain(t, res, entra["token"].(string), okta["token"].(string))
		want := []any{
			map[string]any{"id": entra["id"], "name": "entra-prod", "createdAt": T0, "lastUsedAt": nil},
			map[string]any{"id": okta["id"], "name": "okta", "createdAt": "2025-03-01T09:01:00.123Z", "lastUsedAt": nil},
		}
		MustDiff(t, "tokens, oldest first", want, mustArray(t, res))
		// The other tenant has none, and cannot see these.
		res = s.Do(t, s.B, "GET", "/lethe/v1/scim/tokens", "")
		MustStatus(t, res, http.StatusOK)
		MustDiff(t, "tenant B's tokens", []any{}, mustArray(t, res))
	})
	t.Run("OKLastUsed", func(t *testing.T) {
		s.Clock.Advance(time.Minute)
		if got := s.scimStatus(t, entra["token"].(string)); got != http.StatusOK {
			t.Fatalf("GET /scim/v2/Users with a live token: %d", got)
		}
		list := mustArray(t, s.Do(t, s.A, "GET", "/lethe/v1/scim/tokens", ""))
		if used := list[0].(map[string]any)["lastUsedAt"]; used != "2025-03-01T09:02:00.123Z" {
			t.Errorf("lastUsedAt = %v, want the time of the SCIM request", used)
		}
	})
	t.Run("ErrBadInput", func(t *testing.T) {
		for body, field := range map[string]string{
			`{}`: "name", `{"name":""}`: "name", `{"name":"   "}`: "name", `{"name":null}`: "name",
			`{"name":"` + strings.Repeat("n", 101) + `"}`: "name", `{"name":"tab\there"}`: "name",
		} {
			MustError(t, s.Do(t, s.A, "POST", "/lethe/v1/scim/tokens", body), http.StatusUnprocessableEntity, "invalid", field)
		}
		for body, fields := range map[string][]string{
			`{"name":5}`: {"name"}, `{"name":["a"]}`: {"name"}, `["entra"]`: nil, `not json`: nil, ``: nil,
			`{"name":"a","name":"b"}`: {"name"},
		} {
			MustError(t, s.Do(t, s.A, "POST", "/lethe/v1/scim/tokens", body), http.StatusBadRequest, "bad_request", fields...)
		}
		s.MustOK(t, s.A, http.StatusCreated, "POST", "/lethe/v1/scim/tokens", `{"name":"`+strings.Repeat("é", 100)+`"}`)
		// A secret cannot be chosen: other members are ignored.
		if got := s.MustOK(t, s.A, http.StatusCreated, "POST", "/lethe/v1/scim/tokens", `{"name":"x","token":"mine-mine-mine"}`); got["token"] == "mine-mine-mine" {
			t.Error("the client chose the secret")
		}
	})
	t.Run("ErrUnauthenticated", func(t *testing.T) {
		MustError(t, s.Do(t, Tenant{}, "POST", "/lethe/v1/scim/tokens", `{"name":"x"}`), http.StatusUnauthorized, "unauthenticated")
		MustError(t, s.Do(t, Tenant{}, "GET", "/lethe/v1/scim/tokens", ""), http.StatusUnauthorized, "unauthenticated")
		// A SCIM token is no API key.
		MustError(t, s.Do(t, Tenant{ID: s.A.ID, Key: entra["token"].(string)}, "GET", "/lethe/v1/scim/tokens", ""),
			http.StatusUnauthorized, "unauthenticated")
	})
	t.Run("ErrRevokeNotFound", func(t *testing.T) {
		id := entra["id"].(string)
		MustError(t, s.Do(t, s.B, "DELETE", "/lethe/v1/scim/tokens/"+id, ""), http.StatusNotFound, "not_found")
		for _, bad := range []string{"650000000000000000000001", "nope", "%20"} {
			MustError(t, s.Do(t, s.A, "DELETE", "/lethe/v1/scim/tokens/"+bad, ""), http.StatusNotFound, "not_found")
		}
		if got := s.scimStatus(t, entra["token"].(string)); got != http.StatusOK {
			t.Errorf("tenant B's DELETE revoked tenant A's token: %d", got)
		}
	})
	t.Run("OKRevoke", func(t *testing.T) {
		id := entra["id"].(string)
		res := s.Do(t, s.A, "DELETE", "/lethe/v1/scim/tokens/"+id, "")
		if res.Status != http.StatusNoContent || len(res.Body) != 0 {
			t.Fatalf("DELETE = %s, want 204 without a body", res)
		}
		if got := s.scimStatus(t, entra["token"].(string)); got != http.StatusUnauthorized {
			t.Errorf("a revoked token answered %d at /scim/v2, want 401", got)
		}
		MustError(t, s.Do(t, s.A, "DELETE", "/lethe/v1/scim/tokens/"+id, ""), http.StatusNotFound, "not_found")
		for _, tok := range mustArray(t, s.Do(t, s.A, "GET", "/lethe/v1/scim/tokens", "")) {
			if tok.(map[string]any)["id"] == id {
				t.Errorf("the revoked token is still listed")
			}
		}
	})
}

// TestSCIMSettings: scim.additionalFields on GET and PATCH
// /lethe/v1/settings, with the domain's limits.
func TestSCIMSettings(t *testing.T) {
	s := MustStartServer(t)
	const ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:"
	scim := func(t *testing.T, settings map[string]any) any {
		t.Helper()
		return settings["scim"].(map[string]any)["additionalFields"]
	}
	t.Run("OKDefaults", func(t *testing.T) {
		MustDiff(t, "default mapping", defaultSCIMMapping(), scim(t, s.MustOK(t, s.A, http.StatusOK, "GET", "/lethe/v1/settings", "")))
	})
	t.Run("OKReplace", func(t *testing.T) {
		body := `{"scim":{"additionalFields":{"` + ent + `department":"dept","urn:acme:2.0:User:badge":"badgeNumber"}}}`
		got := s.MustOK(t, s.A, http.StatusOK, "PATCH", "/lethe/v1/settings", body)
		want := map[string]any{ent + "department": "dept", "urn:acme:2.0:User:badge": "badgeNumber"}
		MustDiff(t, "mapping", want, scim(t, got))
		if got["updatedAt"] == nil {
			t.Error("updatedAt not set")
		}
		MustDiff(t, "mapping read back", want, scim(t, s.MustOK(t, s.A, http.StatusOK, "GET", "/lethe/v1/settings", "")))
		// Another change leaves the mapping; tenant B keeps the defaults.
		got = s.MustOK(t, s.A, http.StatusOK, "PATCH", "/lethe/v1/settings", `{"deletion":{"graceDays":7}}`)
		MustDiff(t, "mapping after another change", want, scim(t, got))
		if n := len(scim(t, s.MustOK(t, s.B, http.StatusOK, "GET", "/lethe/v1/settings", "")).(map[string]any)); n != 5 {
			t.Errorf("tenant B's mapping has %d entries, want the 5 defaults", n)
		}
		got = s.MustOK(t, s.A, http.StatusOK, "PATCH", "/lethe/v1/settings", `{"scim":{"additionalFields":{}}}`)
		MustDiff(t, "mapping cleared", map[string]any{}, scim(t, got))
		got = s.MustOK(t, s.A, http.StatusOK, "PATCH", "/lethe/v1/settings", `{"scim":{}}`)
		MustDiff(t, "mapping after an empty scim", map[string]any{}, scim(t, got))
	})
	t.Run("OKUsedBySCIM", func(t *testing.T) {
		// The mapping decides where a SCIM attribute lands in
		// additionalFields, and what SCIM answers from it.
		s.MustOK(t, s.A, http.StatusOK, "PATCH", "/lethe/v1/settings",
			`{"scim":{"additionalFields":{"`+ent+`department":"dept","urn:acme:2.0:User:badge":"badgeNumber"}}}`)
		tok := s.MustOK(t, s.A, http.StatusCreated, "POST", "/lethe/v1/scim/tokens", `{"name":"mapping"}`)["token"].(string)
		body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","` + strings.TrimSuffix(ent, ":") + `"],
			"userName":"mapped-1","emails":[{"value":"mapped-1@example.com","type":"work"}],"name":{"givenName":"M","familyName":"One"},
			"` + strings.TrimSuffix(ent, ":") + `":{"department":"Research","costCenter":"CC-7"}}`
		req := s.NewRequest(t, Tenant{}, "POST", "/scim/v2/Users", body)
		req.Header.Set("Authorization", "Bearer "+tok)
		res := s.Send(t, req)
		if res.Status != http.StatusCreated {
			t.Fatalf("POST /scim/v2/Users = %s", res)
		}
		u := s.MustGetUser(t, s.A, MustID(t, res.Object(t)))
		// costCenter is no longer mapped: it is dropped, not kept under its own name.
		MustDiff(t, "additionalFields", map[string]any{"dept": "Research"}, u["additionalFields"])
	})
	t.Run("ErrBadInput", func(t *testing.T) {
		before := s.MustOK(t, s.A, http.StatusOK, "GET", "/lethe/v1/settings", "")
		var many strings.Builder
		for i := range 51 {
			if i > 0 {
				many.WriteByte(',')
			}
			many.WriteString(`"urn:x:a` + string(rune('A'+i%26)) + string(rune('a'+i/26)) + `":"k` + string(rune('A'+i%26)) + string(rune('a'+i/26)) + `"`)
		}
		for body, field := range map[string]string{
			`{"scim":{"additionalFields":{"a":"k","b":"k"}}}`:                        "scim.additionalFields",
			`{"scim":{"additionalFields":{"":"k"}}}`:                                 "scim.additionalFields",
			`{"scim":{"additionalFields":{"a":" "}}}`:                                "scim.additionalFields",
			`{"scim":{"additionalFields":{"a":null}}}`:                               "scim.additionalFields",
			`{"scim":{"additionalFields":{"a":"` + strings.Repeat("k", 256) + `"}}}`: "scim.additionalFields",
			`{"scim":{"additionalFields":{"a":"line\nbreak"}}}`:                      "scim.additionalFields",
			`{"scim":{"additionalFields":{` + many.String() + `}}}`:                  "scim.additionalFields",
			`{"scim":{"mapping":{}}}`:                                                "scim.mapping",
		} {
			MustError(t, s.Do(t, s.A, "PATCH", "/lethe/v1/settings", body), http.StatusUnprocessableEntity, "invalid", field)
		}
		for body, field := range map[string]string{
			`{"scim":5}`: "scim", `{"scim":null}`: "scim", `{"scim":{"additionalFields":["a"]}}`: "scim.additionalFields",
			`{"scim":{"additionalFields":{"a":5}}}`: "scim.additionalFields", `{"scim":{"additionalFields":null}}`: "scim.additionalFields",
		} {
			MustError(t, s.Do(t, s.A, "PATCH", "/lethe/v1/settings", body), http.StatusBadRequest, "bad_request", field)
		}
		MustDiff(t, "settings after refused changes", before, s.MustOK(t, s.A, http.StatusOK, "GET", "/lethe/v1/settings", ""))
	})
}

// mustArray decodes the body as a JSON array.
func mustArray(tb testing.TB, res *response) []any {
	tb.Helper()
	var out []any
	if err := json.Unmarshal(res.Body, &out); err != nil || out == nil {
		tb.Fatalf("body is not a JSON array (%v): %s", err, res.Body)
	}
	return out
}

// scimStatus is the status of GET /scim/v2/Users with the bearer token.
func (s *testServer) scimStatus(tb testing.TB, token string) int {
	tb.Helper()
	req, err := http.NewRequest("GET", s.URL+"/scim/v2/Users?count=1", nil)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res := s.Send(tb, req)
	if res.Status == http.StatusUnauthorized && !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
		tb.Errorf("401 without WWW-Authenticate: Bearer: %v", res.Header)
	}
	return res.Status
}

// defaultSCIMMapping is a tenant's SCIM mapping until changed: the
// enterprise extension's attributes Lethe has no column for.
func defaultSCIMMapping() map[string]any {
	const ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:"
	return map[string]any{ent + "department": "department", ent + "employeeNumber": "employeeNumber",
		ent + "costCenter": "costCenter", ent + "organization": "organization", ent + "division": "division"}
}
