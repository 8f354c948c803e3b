package server_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/lethehq/lethe/internal/rest"
)

// TestServer_NoRedirect: a path that is not canonical answers 404 in the
// vendor's body, never a redirect a client would follow to another
// resource.
func TestServer_NoRedirect(t *testing.T) {
	s := MustStartServer(t)
	s.MustCreateAudience(t, s.A, map[string]any{"name": "Company", "reference": "ORG"})
	s.MustCreateAudience(t, s.A, map[string]any{"name": "Team", "reference": "X", "parentId": "ORG"})
	t.Run("ErrDotDotMember", func(t *testing.T) {
		for _, path := range []string{
			"/rest/v1/audiences/X/members/..", "/rest/v1/audiences/X/members/.", "/rest/v1/audiences/X/members/%2e%2e",
			"/rest/v1/audiences/X/members/.%2E", "/rest/v1/audiences/X/members/%2E",
			"/rest/v1/audiences/X/members/../", "/rest/v1/audiences/X/members/../..",
		} {
			res := s.Do(t, s.A, "DELETE", path, "")
			MustError(t, res, http.StatusNotFound, "not_found")
			if loc := res.Header.Get("Location"); loc != "" {
				t.Errorf("DELETE %s: Location %q", path, loc)
			}
		}
		// The audience is still there.
		s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/audiences/X", "")
	})
	t.Run("ErrNotCanonical", func(t *testing.T) {
		for _, path := range []string{
			"/rest/v1//users", "//rest/v1/users", "/rest/v1/./users", "/rest/v1/x/../users", "/rest/v1/users/.",
			"/rest/v1/users/..", "/rest/v1/users/%2e", "/rest/v2/users/ref/abc/./suspend", "/rest/v1/users/ref/%2E%2E",
			"/healthz/.", "/./healthz",
		} {
			for _, method := range []string{"GET", "DELETE", "PATCH", "POST"} {
				res := s.Do(t, s.A, method, path, "")
				MustError(t, res, http.StatusNotFound, "not_found")
				if loc := res.Header.Get("Location"); loc != "" {
					t.Errorf("%s %s: Location %q", method, path, loc)
				}
			}
		}
	})
	t.Run("OKDotsInsideASegment", func(t *testing.T) {
		// Dots that are not a whole segment are data: refs such as "a.b",
		// "..." and an encoded "x/../y" stay reachable.
		for _, ref := range []string{"a.b", "...", ".x", "x/../y"} {
			s.MustCreateUser(t, s.A, ref, map[string]any{"email": nil, "loginMethod": "ref"})
			got := s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/users/ref/"+EncodeURIComponent(ref), "")
			if got["ref"] != ref {
				t.Errorf("ref %q read back as %v", ref, got["ref"])
			}
		}
	})
	t.Run("OKFollowingClient", func(t *testing.T) {
		// A client that follows redirects (as curl -L and Go's default
		// client do) still does not reach the audience.
		req := s.NewRequest(t, s.A, "DELETE", "/rest/v1/audiences/X/members/"+url.PathEscape(".."), "")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("status = %d, want 404", res.StatusCode)
		}
		s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/audiences/X", "")
	})
}

// TestServer_DotIdentifiers: a ref or reference that is exactly "." or ".."
// would be a path segment clients resolve away; it is refused at create and
// update.
func TestServer_DotIdentifiers(t *testing.T) {
	s := MustStartServer(t)
	s.MustCreateAudience(t, s.A, map[string]any{"name": "Company", "reference": "ORG"})
	for _, v := range []string{".", "..", " .. "} {
		MustError(t, s.Do(t, s.A, "POST", "/rest/v2/users",
			MustJSON(t, map[string]any{"ref": v, "firstName": "F", "lastName": "L", "email": "dot@example.com"})),
			http.StatusUnprocessableEntity, "invalid", "ref")
		MustError(t, s.Do(t, s.A, "POST", "/rest/v1/webhooks", MustJSON(t, map[string]any{"id": "ev-" + v, "eventType": "user_joined",
			"content": map[string]any{"user": map[string]any{"ref": v, "firstName": "F", "lastName": "L", "email": "dot@example.com"}}})),
			http.StatusUnprocessableEntity, "invalid", "ref")
		MustError(t, s.Do(t, s.A, "POST", "/rest/v1/audiences", MustJSON(t, map[string]any{"name": "A", "reference": v})),
			http.StatusUnprocessableEntity, "invalid", "reference")
		MustError(t, s.Do(t, s.A, "PATCH", "/rest/v1/audiences/ORG", MustJSON(t, map[string]any{"reference": v})),
			http.StatusUnprocessableEntity, "invalid", "reference")
	}
}

// TestServer_ParamText: a query parameter holding NUL or invalid UTF-8
// answers 400 naming it on every route, never reaching the database
// (PostgreSQL refuses such text: a 500); a path value holding them names
// nothing (404).
func TestServer_ParamText(t *testing.T) {
	s := MustStartServer(t)
	user := MustID(t, s.MustCreateUser(t, s.A, "param-user", nil))
	t.Run("ErrCompletionFilters", func(t *testing.T) {
		for _, name := range []string{"userId", "contentId"} {
			for _, v := range []string{"%00", "6500000000000000000000%0001", "%FF"} {
				MustError(t, s.Do(t, s.A, "GET", "/rest/v1/learning/completions?"+name+"="+v, ""),
					http.StatusBadRequest, "bad_request", name)
			}
		}
		MustError(t, s.Do(t, s.A, "GET", "/rest/v1/learning/completions?userId="+user+"&%00=1", ""),
			http.StatusBadRequest, "bad_request", "query")
		got := s.MustArray(t, s.A, "GET", "/rest/v1/learning/completions?userId="+user, "")
		if len(got) != 0 {
			t.Errorf("completions = %v", got)
		}
	})
	t.Run("ErrEveryRoute", func(t *testing.T) {
		for _, rt := range (&rest.Handler{}).Routes() {
			wildcards := regexp.MustCompile(`\{[^}]*\}`).FindAllString(rt.Pattern, -1)
			for i := range wildcards {
				for _, bad := range []string{"a%00b", "a%FFb"} {
					path := rt.Pattern
					for j, other := range wildcards {
						v := "000000000000000000000000"
						if j == i {
							v = bad
						}
						path = strings.Replace(path, other, v, 1)
					}
					// A path value names nothing: 404, or the 4xx of a
					// body refused before any lookup; never a database error.
					res := s.Do(t, s.A, rt.Method, path, "")
					if res.Status != 404 && res.Status != 400 && res.Status != 422 {
						t.Errorf("%s %s: %s", rt.Method, path, res)
					}
					res = s.Do(t, s.A, rt.Method, path, "{}")
					if res.Status != 404 && res.Status != 400 && res.Status != 422 {
						t.Errorf("%s %s with {}: %s", rt.Method, path, res)
					}
				}
			}
			path := rt.Pattern
			for _, w := range wildcards {
				path = strings.Replace(path, w, "000000000000000000000000", 1)
			}
			for _, q := range []string{"audienceId=%00", "audienceId=%C0%AF"} {
				MustError(t, s.Do(t, s.A, rt.Method, path+"?"+q, ""), http.StatusBadRequest, "bad_request", "audienceId")
			}
		}
	})
}

// TestServer_DuplicateKeys: a body naming one member twice, at any depth,
// answers 400 naming it; {"dryRun":true,…,"dryRun":false} does not run.
func TestServer_DuplicateKeys(t *testing.T) {
	s := MustStartServer(t)
	id := MustID(t, s.MustCreateUser(t, s.A, "dup-user", nil))
	MustError(t, s.Do(t, s.A, "POST", "/lethe/v1/users/bulk",
		`{"dryRun":true,"action":"suspend","identifiers":[{"ref":"dup-user"}],"dryRun":false}`),
		http.StatusBadRequest, "bad_request", "dryRun")
	if got := s.MustGetUser(t, s.A, id); got["status"] != "new" {
		t.Errorf("after a refused bulk: %v", got)
	}
	for path, c := range map[string]struct{ method, body, field string }{
		"/rest/v2/users":                  {"POST", `{"ref":"d2","firstName":"F","lastName":"L","email":"d2@example.com","additionalFields":{"a":1,"a":2}}`, "additionalFields.a"},
		"/rest/v2/users/ref/dup-user":     {"PATCH", `{"jobTitle":"A","jobTitle":"B"}`, "jobTitle"},
		"/rest/v1/webhooks":               {"POST", `{"id":"e1","eventType":"user_updated","content":{"user":{"ref":"dup-user","ref":"other"}}}`, "content.user.ref"},
		"/lethe/v1/jobs":                  {"POST", `{"action":"suspend","selector":{"csv":"ref\ndup-user\n"},"dryRun":true,"dryRun":false}`, "dryRun"},
		"/rest/v1/audiences/NOPE/members": {"POST", `[{"x":1,"x":2}]`, "[0].x"},
	} {
		MustError(t, s.Do(t, s.A, c.method, path, c.body), http.StatusBadRequest, "bad_request", c.field)
	}
	if got := s.MustGetUser(t, s.A, id); got["status"] != "new" || got["jobTitle"] != nil {
		t.Errorf("after refused bodies: %v", got)
	}
}

// TestServer_EmailNFC: an email typed with a precomposed é or with e and a
// combining accent is one address, wherever an email is accepted; one with
// an invisible character is refused.
func TestServer_EmailNFC(t *testing.T) {
	s := MustStartServer(t)
	composed, decomposed := "zo\u00e9@example.com", "Zoe\u0301@Example.com"
	user := func(ref, email string) string {
		return MustJSON(t, map[string]any{"ref": ref, "firstName": "Zo\u00e9", "lastName": "L", "email": email})
	}
	id := MustID(t, s.MustOK(t, s.A, http.StatusCreated, "POST", "/rest/v2/users", user("zoe-1", composed)))
	t.Run("ErrConflict", func(t *testing.T) {
		MustError(t, s.Do(t, s.A, "POST", "/rest/v2/users", user("zoe-2", decomposed)), http.StatusConflict, "conflict", "email")
		other := MustID(t, s.MustOK(t, s.A, http.StatusCreated, "POST", "/rest/v2/users", user("zoe-3", "other@example.com")))
		MustError(t, s.Do(t, s.A, "PATCH", "/rest/v2/users/ref/zoe-3", MustJSON(t, map[string]any{"email": decomposed})),
			http.StatusConflict, "conflict", "email")
		if got := s.MustGetUser(t, s.A, other); got["email"] != "other@example.com" {
			t.Errorf("email = %v", got["email"])
		}
	})
	t.Run("OKStoredInNFC", func(t *testing.T) {
		s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v2/users/ref/zoe-1", MustJSON(t, map[string]any{"email": decomposed}))
		if got := s.MustGetUser(t, s.A, id); got["email"] != "Zo\u00e9@Example.com" {
			t.Errorf("email = %q, want it in NFC", got["email"])
		}
	})
	t.Run("OKLookups", func(t *testing.T) {
		for _, email := range []string{composed, decomposed} {
			res := s.MustOK(t, s.A, http.StatusOK, "POST", "/lethe/v1/users/bulk", MustJSON(t, map[string]any{
				"action": "suspend", "dryRun": true, "identifiers": []any{map[string]any{"email": email}}}))
			if got := res["results"].([]any)[0].(map[string]any)["userId"]; got != id {
				t.Errorf("bulk by %q: userId %v, want %s", email, got, id)
			}
		}
		s.MustCreateAudience(t, s.A, map[string]any{"name": "Company", "reference": "ORG"})
		s.MustCreateAudience(t, s.A, map[string]any{"name": "Team", "reference": "TEAM", "parentId": "ORG"})
		s.MustOK(t, s.A, http.StatusOK, "POST", "/rest/v1/audiences/TEAM/members", MustJSON(t, []string{decomposed}))
		if got := s.members(t, s.A, "TEAM"); len(got) != 1 || got[0] != id {
			t.Errorf("members = %v, want %s", got, id)
		}
		s.MustOK(t, s.A, http.StatusOK, "DELETE", "/rest/v1/audiences/TEAM/members/"+url.PathEscape(composed), "")
		if got := s.members(t, s.A, "TEAM"); len(got) != 0 {
			t.Errorf("members after removal = %v", got)
		}
	})
	t.Run("ErrInvisible", func(t *testing.T) {
		for i, email := range []string{"zo\u200be@example.com", "zo\u00ade@example.com", "\u200fzoe@example.com", "zoe\u0007@example.com"} {
			MustError(t, s.Do(t, s.A, "POST", "/rest/v2/users", user("inv-"+string(rune('a'+i)), email)),
				http.StatusUnprocessableEntity, "invalid", "email")
			MustError(t, s.Do(t, s.A, "PATCH", "/rest/v2/users/ref/zoe-1", MustJSON(t, map[string]any{"email": email})),
				http.StatusUnprocessableEntity, "invalid", "email")
		}
	})
}
