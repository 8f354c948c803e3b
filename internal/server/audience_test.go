package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// MustCreateAudience creates an audience through POST /rest/v1/audiences.
func (s *testServer) MustCreateAudience(tb testing.TB, as Tenant, body map[string]any) map[string]any {
	tb.Helper()
	got := s.MustOK(tb, as, http.StatusCreated, "POST", "/rest/v1/audiences", MustJSON(tb, body))
	MustID(tb, got)
	return got
}

// MustArray sends a request that must answer status with a bare JSON array.
func (s *testServer) MustArray(tb testing.TB, as Tenant, method, path, body string) []any {
	tb.Helper()
	res := s.Do(tb, as, method, path, body)
	MustStatus(tb, res, http.StatusOK)
	var out []any
	if err := jsonUnmarshal(res.Body, &out); err != nil || out == nil {
		tb.Fatalf("body is not a JSON array (%v): %s", err, res.Body)
	}
	return out
}

func TestAudiences_Create(t *testing.T) {
	s := MustStartServer(t)
	root := s.MustCreateAudience(t, s.A, map[string]any{"name": "Company", "reference": "ORG"})
	rootID := MustID(t, root)
	t.Run("OKStructure", func(t *testing.T) {
		MustDiff(t, "structure", map[string]any{
			"id": rootID, "name": "Company", "reference": "ORG", "apiControlled": true, "category": "structure",
			"type": "manual", "parent": nil, "createdAt": T0, "updatedAt": T0,
		}, root)
		MustDiff(t, "get by id", root, s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/audiences/"+rootID, ""))
		MustDiff(t, "get by reference", root, s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/audiences/ORG", ""))
	})
	t.Run("OKAudienceUnderParentReference", func(t *testing.T) {
		got := s.MustCreateAudience(t, s.A, map[string]any{"name": "Sales", "parentId": "ORG"})
		if got["category"] != "audience" || got["reference"] != nil {
			t.Errorf("category %v reference %v, want audience, null", got["category"], got["reference"])
		}
		MustDiff(t, "parent", map[string]any{"id": rootID, "name": "Company", "reference": "ORG"}, got["parent"])
		sub := s.MustCreateAudience(t, s.A, map[string]any{"name": "EMEA", "parentId": rootID, "category": "structure"})
		if sub["category"] != "structure" {
			t.Errorf("category = %v", sub["category"])
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		aud := s.MustCreateAudience(t, s.A, map[string]any{"name": "Leaf", "parentId": rootID})
		for _, c := range []struct {
			body, field string
		}{
			{`{}`, "name"},
			{`{"name":"  "}`, "name"},
			{`{"name":"` + strings.Repeat("n", 101) + `"}`, "name"},
			{`{"name":"x","reference":"` + strings.Repeat("r", 101) + `"}`, "reference"},
			{`{"name":"x","category":"team"}`, "category"},
			{`{"name":"x","category":"audience"}`, "parentId"},
			{`{"name":"x","parentId":"nope"}`, "parentId"},
			{`{"name":"x","parentId":"` + MustID(t, aud) + `"}`, "parentId"},
		} {
			MustError(t, s.Do(t, s.A, "POST", "/rest/v1/audiences", c.body), http.StatusUnprocessableEntity, "invalid", c.field)
		}
		s.MustCreateAudience(t, s.A, map[string]any{"name": strings.Repeat("é", 100), "reference": strings.Repeat("r", 100)})
	})
	t.Run("ErrBadRequest", func(t *testing.T) {
		for _, body := range []string{``, `[]`, `["x"]`, `{`, `{"name":5}`} {
			MustError(t, s.Do(t, s.A, "POST", "/rest/v1/audiences", body), http.StatusBadRequest, "bad_request", fieldOf(body)...)
		}
	})
	t.Run("ErrReferenceTaken", func(t *testing.T) {
		MustError(t, s.Do(t, s.A, "POST", "/rest/v1/audiences", `{"name":"Other","reference":"ORG"}`),
			http.StatusConflict, "conflict", "reference")
		// Another tenant may use it.
		s.MustCreateAudience(t, s.B, map[string]any{"name": "Other", "reference": "ORG"})
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		for _, id := range []string{"000000000000000000000000", "nope", "%00"} {
			MustError(t, s.Do(t, s.A, "GET", "/rest/v1/audiences/"+id, ""), http.StatusNotFound, "not_found")
		}
	})
}

// fieldOf names the field of a type error in body, if any.
func fieldOf(body string) []string {
	if strings.Contains(body, `"name":5`) {
		return []string{"name"}
	}
	return nil
}

func TestAudiences_UpdateMoveDelete(t *testing.T) {
	s := MustStartServer(t)
	org := MustID(t, s.MustCreateAudience(t, s.A, map[string]any{"name": "Org", "reference": "ORG"}))
	emea := MustID(t, s.MustCreateAudience(t, s.A, map[string]any{"name": "EMEA", "parentId": org, "category": "structure"}))
	uk := MustID(t, s.MustCreateAudience(t, s.A, map[string]any{"name": "UK", "parentId": emea, "reference": "UK"}))

	t.Run("OKRenameAndMove", func(t *testing.T) {
		s.Clock.Advance(time.Minute)
		got := s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v1/audiences/UK", `{"name":"United Kingdom","parentId":"ORG"}`)
		if got["name"] != "United Kingdom" || got["parent"].(map[string]any)["id"] != org || got["updatedAt"] == T0 {
			t.Errorf("updated = %v", got)
		}
		same := s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v1/audiences/"+uk, `{}`)
		MustDiff(t, "empty update", got, same)
	})
	t.Run("ErrCycle", func(t *testing.T) {
		MustError(t, s.Do(t, s.A, "PATCH", "/rest/v1/audiences/"+org, `{"parentId":"`+emea+`"}`),
			http.StatusUnprocessableEntity, "invalid", "parentId")
		MustError(t, s.Do(t, s.A, "PATCH", "/rest/v1/audiences/"+emea, `{"parentId":"`+emea+`"}`),
			http.StatusUnprocessableEntity, "invalid", "parentId")
		MustError(t, s.Do(t, s.A, "PATCH", "/rest/v1/audiences/"+emea, `{"parentId":"`+uk+`"}`),
			http.StatusUnprocessableEntity, "invalid", "parentId")
		MustError(t, s.Do(t, s.A, "PATCH", "/rest/v1/audiences/"+uk, `{"name":""}`),
			http.StatusUnprocessableEntity, "invalid", "name")
		MustError(t, s.Do(t, s.A, "PATCH", "/rest/v1/audiences/"+uk, `[]`), http.StatusBadRequest, "bad_request")
	})
	t.Run("ErrDeleteWithChildren", func(t *testing.T) {
		MustError(t, s.Do(t, s.A, "DELETE", "/rest/v1/audiences/ORG", ""), http.StatusConflict, "conflict")
	})
	t.Run("OKDelete", func(t *testing.T) {
		got := s.MustOK(t, s.A, http.StatusOK, "DELETE", "/rest/v1/audiences/"+emea, "")
		MustDiff(t, "delete", map[string]any{"success": true}, got)
		MustError(t, s.Do(t, s.A, "GET", "/rest/v1/audiences/"+emea, ""), http.StatusNotFound, "not_found")
		MustError(t, s.Do(t, s.A, "DELETE", "/rest/v1/audiences/"+emea, ""), http.StatusNotFound, "not_found")
	})
}

func TestAudiences_List(t *testing.T) {
	s := MustStartServer(t)
	var ids []any
	for i := range 5 {
		ids = append(ids, MustID(t, s.MustCreateAudience(t, s.A, map[string]any{"name": fmt.Sprint("S", i)})))
		s.Clock.Advance(time.Hour)
	}
	page := s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/audiences?perPage=2&page=2", "")
	MustDiff(t, "pagination", map[string]any{"totalResults": 5.0, "totalPages": 3.0, "page": 2.0, "perPage": 2.0}, page["pagination"])
	var got []any
	for _, r := range page["results"].([]any) {
		got = append(got, r.(map[string]any)["id"])
	}
	MustDiff(t, "page 2", ids[2:4], got)
	since := s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/audiences?updatedSince=2025-03-01T12:00:00.123Z&apiControlled=true", "")
	if n := len(since["results"].([]any)); n != 2 {
		t.Errorf("updatedSince: %d results, want 2", n)
	}
	none := s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/audiences?apiControlled=false&limit=5", "")
	if n := len(none["results"].([]any)); n != 0 {
		t.Errorf("apiControlled=false: %d results, want 0", n)
	}
	if p := s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/audiences?perPage=1001", "")["pagination"].(map[string]any); p["perPage"] != 1000.0 {
		t.Errorf("perPage=1001 reads as %v, want 1000", p["perPage"])
	}
	for q, field := range map[string]string{"perPage=0": "perPage", "apiControlled=yes": "apiControlled",
		"updatedSince=soon": "updatedSince", "page=0": "page"} {
		MustError(t, s.Do(t, s.A, "GET", "/rest/v1/audiences?"+q, ""), http.StatusUnprocessableEntity, "invalid", field)
	}
	s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/audiences?perPage=1000", "")
}

// members lists the userIds of an audience's members.
func (s *testServer) members(tb testing.TB, as Tenant, audience string) []any {
	tb.Helper()
	page := s.MustOK(tb, as, http.StatusOK, "GET", "/rest/v1/audiences/"+audience+"/members?perPage=1000", "")
	out := []any{}
	for _, m := range page["results"].([]any) {
		out = append(out, m.(map[string]any)["userId"])
	}
	return out
}

func TestAudiences_Members(t *testing.T) {
	s := MustStartServer(t)
	org := MustID(t, s.MustCreateAudience(t, s.A, map[string]any{"name": "Org"}))
	aud := MustID(t, s.MustCreateAudience(t, s.A, map[string]any{"name": "Team", "parentId": org, "reference": "TEAM"}))
	ada := MustID(t, s.MustCreateUser(t, s.A, "ada", nil))
	bob := MustID(t, s.MustCreateUser(t, s.A, "bob", map[string]any{"email": "Bob@Example.com"}))
	cyd := MustID(t, s.MustCreateUser(t, s.A, "cyd", nil))
	sus := MustID(t, s.MustCreateUser(t, s.A, "sus", nil))
	s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v2/users/ref/sus/suspend", `{}`)
	gone := MustID(t, s.MustCreateUser(t, s.A, "gone", nil))
	s.MustOK(t, s.A, http.StatusOK, "DELETE", "/rest/v2/users/ref/gone", "")
	path := "/rest/v1/audiences/TEAM/members"

	t.Run("OKAdd", func(t *testing.T) {
		got := s.MustOK(t, s.A, http.StatusOK, "POST", path, `["ada", "bob@example.com"]`)
		MustDiff(t, "add", map[string]any{"success": map[string]any{"count": 2.0, "entities": []any{
			map[string]any{"reference": "ada"}, map[string]any{"reference": "bob@example.com"}}}}, got)
		page := s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/audiences/"+aud+"/members?perPage=1", "")
		MustDiff(t, "pagination", map[string]any{"totalResults": 2.0, "totalPages": 2.0, "page": 1.0, "perPage": 1.0}, page["pagination"])
		first := min(ada, bob)
		want := map[string]any{"userId": ada, "reference": "ada", "email": "ada@example.com"}
		if first == bob {
			want = map[string]any{"userId": bob, "reference": "bob", "email": "Bob@Example.com"}
		}
		MustDiff(t, "first member", []any{want}, page["results"])
	})
	t.Run("OKPartial207", func(t *testing.T) {
		res := s.Do(t, s.A, "POST", path, MustJSON(t, []string{"ada", cyd, "nobody", "sus", gone, "cyd", "cyd@example.com"}))
		MustStatus(t, res, http.StatusMultiStatus)
		MustDiff(t, "207", map[string]any{
			"success": map[string]any{"count": 2.0, "entities": []any{map[string]any{"reference": "ada"}, map[string]any{"reference": cyd}}},
			"failure": map[string]any{"count": 5.0, "entities": []any{
				map[string]any{"reason": "unknown user", "reference": "nobody"},
				map[string]any{"reason": "suspended", "reference": "sus"},
				map[string]any{"reason": "deleted", "reference": gone},
				map[string]any{"reason": "duplicate", "reference": "cyd"},
				map[string]any{"reason": "duplicate", "reference": "cyd@example.com"},
			}},
		}, res.Object(t))
		if got := s.members(t, s.A, aud); len(got) != 3 {
			t.Errorf("members = %v, want 3", got)
		}
		_ = sus
	})
	t.Run("OKRemove", func(t *testing.T) {
		MustDiff(t, "remove", map[string]any{"success": true}, s.MustOK(t, s.A, http.StatusOK, "DELETE", path+"/bob@example.com", ""))
		MustError(t, s.Do(t, s.A, "DELETE", path+"/bob", ""), http.StatusNotFound, "not_found")
		MustError(t, s.Do(t, s.A, "DELETE", path+"/nobody", ""), http.StatusNotFound, "not_found")
		MustDiff(t, "remove by id", map[string]any{"success": true}, s.MustOK(t, s.A, http.StatusOK, "DELETE", path+"/"+cyd, ""))
		MustDiff(t, "members", []any{ada}, s.members(t, s.A, aud))
	})
	t.Run("OKReplace", func(t *testing.T) {
		s.MustOK(t, s.A, http.StatusOK, "PATCH", path, `["bob","cyd"]`)
		want := []any{bob, cyd}
		if cyd < bob {
			want = []any{cyd, bob}
		}
		MustDiff(t, "members", want, s.members(t, s.A, aud))
	})
	t.Run("ErrBodies", func(t *testing.T) {
		for _, body := range []string{`{"members":["ada"]}`, `"ada"`, ``, `null`, `[1]`, `[null]`, `[{"reference":"ada"}]`, `[`} {
			for _, m := range []string{"POST", "PATCH"} {
				MustError(t, s.Do(t, s.A, m, path, body), http.StatusBadRequest, "bad_request")
			}
		}
		for _, m := range []string{"POST", "PATCH"} {
			MustError(t, s.Do(t, s.A, m, path, `[]`), http.StatusUnprocessableEntity, "invalid", "members")
			many := make([]string, 101)
			for i := range many {
				many[i] = fmt.Sprint("u", i)
			}
			MustError(t, s.Do(t, s.A, m, path, MustJSON(t, many)), http.StatusUnprocessableEntity, "invalid", "members")
			MustError(t, s.Do(t, s.A, m, "/rest/v1/audiences/nope/members", `["ada"]`), http.StatusNotFound, "not_found")
		}
		MustError(t, s.Do(t, s.A, "GET", "/rest/v1/audiences/nope/members", ""), http.StatusNotFound, "not_found")
		if p := s.MustOK(t, s.A, http.StatusOK, "GET", path+"?perPage=1001", "")["pagination"].(map[string]any); p["perPage"] != 1000.0 {
			t.Errorf("members perPage=1001 reads as %v, want 1000", p["perPage"])
		}
		MustError(t, s.Do(t, s.A, "GET", path+"?perPage=0", ""), http.StatusUnprocessableEntity, "invalid", "perPage")
	})
	t.Run("OKHundred", func(t *testing.T) {
		var refs []string
		for i := range 100 {
			refs = append(refs, fmt.Sprintf("h%03d", i))
			s.MustCreateUser(t, s.A, refs[i], nil)
		}
		got := s.MustOK(t, s.A, http.StatusOK, "POST", path, MustJSON(t, refs))
		if got["success"].(map[string]any)["count"] != 100.0 {
			t.Errorf("count = %v", got["success"])
		}
	})
	t.Run("OKErasedLeaves", func(t *testing.T) {
		s.MustOK(t, s.A, http.StatusOK, "DELETE", "/rest/v2/users/ref/bob", "")
		for _, id := range s.members(t, s.A, aud) {
			if id == bob {
				t.Errorf("erased user still listed")
			}
		}
		e := s.MustOK(t, s.A, http.StatusOK, "GET", "/lethe/v1/erasures/"+bob, "")
		if e["erased"].(map[string]any)["memberships"] != 1.0 {
			t.Errorf("erasure = %v, want memberships 1", e)
		}
	})
}

func TestAudiences_Managers(t *testing.T) {
	s := MustStartServer(t)
	org := MustID(t, s.MustCreateAudience(t, s.A, map[string]any{"name": "Org", "reference": "ORG"}))
	aud := MustID(t, s.MustCreateAudience(t, s.A, map[string]any{"name": "Team", "parentId": org}))
	ada := MustID(t, s.MustCreateUser(t, s.A, "ada", nil))
	bob := MustID(t, s.MustCreateUser(t, s.A, "bob", nil))
	path := "/rest/v1/audiences/" + aud + "/managers"
	none := map[string]any{
		"audienceManager": map[string]any{"manageContent": false, "assignments": false},
		"peopleManager":   map[string]any{"canViewLearnPage": false, "insights": false, "manage": false},
	}
	t.Run("OK", func(t *testing.T) {
		got := s.MustOK(t, s.A, http.StatusOK, "POST", path, `[{"reference":"ada@example.com","permissions":{"audienceManager":{"assignments":true}}}]`)
		MustDiff(t, "add", map[string]any{"success": map[string]any{"count": 1.0, "entities": []any{map[string]any{"reference": "ada@example.com"}}}}, got)
		list := s.MustArray(t, s.A, "GET", path, "")
		want := map[string]any{
			"audienceManager": map[string]any{"manageContent": false, "assignments": true},
			"peopleManager":   map[string]any{"canViewLearnPage": false, "insights": false, "manage": false},
		}
		MustDiff(t, "managers", []any{map[string]any{"userId": ada, "reference": "ada", "email": "ada@example.com", "permissions": want}}, list)
		res := s.Do(t, s.A, "PATCH", path, `[{"reference":"bob"},{"reference":"zed"}]`)
		MustStatus(t, res, http.StatusMultiStatus)
		MustDiff(t, "replaced", []any{map[string]any{"userId": bob, "reference": "bob", "email": "bob@example.com", "permissions": none}},
			s.MustArray(t, s.A, "GET", path, ""))
		MustDiff(t, "remove", map[string]any{"success": true}, s.MustOK(t, s.A, http.StatusOK, "DELETE", path+"/"+bob, ""))
		MustError(t, s.Do(t, s.A, "DELETE", path+"/"+bob, ""), http.StatusNotFound, "not_found")
		MustDiff(t, "empty", []any{}, s.MustArray(t, s.A, "GET", path, ""))
		admin := s.MustOK(t, s.A, http.StatusOK, "POST", "/rest/v1/audiences/ORG/managers",
			`[{"reference":"ada","permissions":{"administrator":{"canAddAudienceManagers":true}}}]`)
		if admin["success"].(map[string]any)["count"] != 1.0 {
			t.Errorf("admin on structure = %v", admin)
		}
		list = s.MustArray(t, s.A, "GET", "/rest/v1/audiences/ORG/managers", "")
		perms := list[0].(map[string]any)["permissions"].(map[string]any)
		MustDiff(t, "administrator", map[string]any{"canAddAudienceManagers": true}, perms["administrator"])
	})
	t.Run("Err", func(t *testing.T) {
		for _, body := range []string{`["ada"]`, `{"reference":"ada"}`, ``, `[{"reference":"ada","permissions":{"peopleManager":{"manage":"yes"}}}]`} {
			MustError(t, s.Do(t, s.A, "POST", path, body), http.StatusBadRequest, "bad_request", fieldsOfManager(body)...)
		}
		MustError(t, s.Do(t, s.A, "POST", path, `[]`), http.StatusUnprocessableEntity, "invalid", "managers")
		MustError(t, s.Do(t, s.A, "PATCH", path, `[]`), http.StatusUnprocessableEntity, "invalid", "managers")
		MustError(t, s.Do(t, s.A, "POST", path, `[{"permissions":{}}]`), http.StatusUnprocessableEntity, "invalid", "reference")
		MustError(t, s.Do(t, s.A, "POST", path, `[{"reference":"ada","permissions":{"administrator":{"canAddAudienceManagers":true}}}]`),
			http.StatusUnprocessableEntity, "invalid", "permissions.administrator")
		MustError(t, s.Do(t, s.A, "GET", "/rest/v1/audiences/nope/managers", ""), http.StatusNotFound, "not_found")
	})
}

func fieldsOfManager(body string) []string {
	if strings.Contains(body, `"yes"`) {
		return []string{"permissions.peopleManager.manage"}
	}
	return nil
}
