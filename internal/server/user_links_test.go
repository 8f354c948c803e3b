package server_test

import (
	"fmt"
	"net/http"
	"testing"
)

// TestUsers_Links pins ADR 0025: the full User (get by id, search, record
// login) carries the user's audience ids, skills ({tagName, level,
// targetLevel}, as the skills update takes them) and followed tags (names,
// as the tag writes take them), tags ordered by name ignoring case and
// audiences by id; a suspended user keeps them, an erased user shows none,
// and the BasicUser (get by ref) and the v2 answers are unchanged.
func TestUsers_Links(t *testing.T) {
	s := MustStartServer(t)
	f := s.mustComplianceFixture(t, s.A, "ada", "bob")
	ada, bob := f.users["ada"], f.users["bob"]
	other := MustID(t, s.MustCreateAudience(t, s.A, map[string]any{"name": "Other", "parentId": f.org, "reference": "OTHER"}))
	s.MustOK(t, s.A, http.StatusOK, "POST", "/rest/v1/audiences/OTHER/members", `["ada"]`)
	for _, name := range []string{"Leadership", "excel", "Zen"} {
		s.MustOK(t, s.A, http.StatusCreated, "POST", "/lethe/v1/tags", `{"name":"`+name+`"}`)
	}
	s.MustOK(t, s.A, http.StatusOK, "POST", "/rest/v1/users/"+ada+"/tags", `{"tags":["Zen","leadership","Excel"]}`)
	s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v1/users/"+ada+"/skills",
		`{"op":"update","path":"skills","value":[{"tagName":"Zen","level":2,"targetLevel":3},{"tagName":"excel","level":-1},{"tagName":"Leadership"}]}`)
	audiences := []any{f.aud, other}
	if other < f.aud {
		audiences = []any{other, f.aud}
	}
	wantSkills := map[string]any{"skills": []any{
		map[string]any{"tagName": "excel", "level": -1.0, "targetLevel": nil},
		map[string]any{"tagName": "Leadership", "level": nil, "targetLevel": nil},
		map[string]any{"tagName": "Zen", "level": 2.0, "targetLevel": 3.0},
	}}
	wantFollowing := []any{"excel", "Leadership", "Zen"}
	links := func(t *testing.T, u map[string]any, aud []any, skills map[string]any, following []any) {
		t.Helper()
		MustDiff(t, "audiences", aud, u["audiences"])
		MustDiff(t, "tags", skills, u["tags"])
		MustDiff(t, "tagsFollowing", following, u["tagsFollowing"])
	}
	none := map[string]any{"skills": []any{}}
	t.Run("OKGetByID", func(t *testing.T) {
		links(t, s.MustGetUser(t, s.A, ada), audiences, wantSkills, wantFollowing)
		links(t, s.MustGetUser(t, s.A, bob), []any{f.aud}, none, []any{})
	})
	t.Run("OKSearch", func(t *testing.T) {
		page := s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/users", "")["results"].([]any)
		for _, r := range page {
			u := r.(map[string]any)
			switch u["id"] {
			case ada:
				links(t, u, audiences, wantSkills, wantFollowing)
			case bob:
				links(t, u, []any{f.aud}, none, []any{})
			}
		}
	})
	t.Run("OKRecordLogin", func(t *testing.T) {
		links(t, s.MustOK(t, s.A, http.StatusOK, "POST", "/lethe/v1/users/"+ada+"/logins", ""), audiences, wantSkills, wantFollowing)
	})
	t.Run("OKShortAnswersUnchanged", func(t *testing.T) {
		byRef := s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/users/ref/ada", "")
		lifecycle := s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v2/users/ref/ada", `{}`)
		for _, k := range []string{"audiences", "tags", "tagsFollowing"} {
			if _, ok := byRef[k]; ok {
				t.Errorf("BasicUser carries %s", k)
			}
			if _, ok := lifecycle[k]; ok {
				t.Errorf("UserLifecycle carries %s", k)
			}
		}
	})
	t.Run("OKOtherTenantSeesNone", func(t *testing.T) {
		MustError(t, s.Do(t, s.B, "GET", "/rest/v1/user/"+ada, ""), http.StatusNotFound, "not_found")
	})
	t.Run("OKSuspendedKeepsThem", func(t *testing.T) {
		s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v2/users/ref/ada/suspend", `{}`)
		links(t, s.MustGetUser(t, s.A, ada), audiences, wantSkills, wantFollowing)
	})
	t.Run("OKErasedShowsNone", func(t *testing.T) {
		s.MustOK(t, s.A, http.StatusOK, "DELETE", "/rest/v2/users/ref/ada", "")
		u := s.MustGetUser(t, s.A, ada)
		if u["deleted"] != true {
			t.Fatalf("deleted = %v", u["deleted"])
		}
		links(t, u, []any{}, none, []any{})
		for _, r := range s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/users?perPage=1000", "")["results"].([]any) {
			if u := r.(map[string]any); u["id"] == ada {
				links(t, u, []any{}, none, []any{})
			}
		}
	})
}

// TestUsers_LinksFullPage: a page of 1000 users, each with links, answers
// every user's own links (the store reads them in one statement per page;
// internal/sqldb's TestFindUserLinks_Statements and internal/rest's
// TestSearchUsers_LinksOnePerPage count the statements and calls).
func TestUsers_LinksFullPage(t *testing.T) {
	if testing.Short() {
		t.Skip("creates 1000 users")
	}
	s := MustStartServer(t)
	s.mustComplianceFixture(t, s.A)
	s.MustOK(t, s.A, http.StatusCreated, "POST", "/lethe/v1/tags", `{"name":"Go"}`)
	const n = 1000
	refs := make([]string, 0, 100)
	for i := range n {
		ref := fmt.Sprintf("u%04d", i)
		id := MustID(t, s.MustCreateUser(t, s.A, ref, nil))
		if i%10 == 0 {
			s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v1/users/"+id+"/skills", `{"op":"update","path":"skills","value":[{"tagName":"Go","level":`+fmt.Sprint(i%7)+`}]}`)
		}
		if i%2 == 0 {
			refs = append(refs, ref)
		}
		if len(refs) == 100 || (i == n-1 && len(refs) > 0) {
			s.MustOK(t, s.A, http.StatusOK, "POST", "/rest/v1/audiences/TEAM/members", MustJSON(t, refs))
			refs = refs[:0]
		}
	}
	page := s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/users?perPage=1000", "")["results"].([]any)
	if len(page) != n {
		t.Fatalf("%d users, want %d", len(page), n)
	}
	for _, r := range page {
		u := r.(map[string]any)
		var i int
		fmt.Sscanf(u["ref"].(string), "u%04d", &i)
		if got, want := len(u["audiences"].([]any)), 1-i%2; got != want {
			t.Errorf("%s: %d audiences, want %d", u["ref"], got, want)
		}
		skills := u["tags"].(map[string]any)["skills"].([]any)
		if i%10 != 0 {
			if len(skills) != 0 {
				t.Errorf("%s: skills %v", u["ref"], skills)
			}
			continue
		}
		MustDiff(t, fmt.Sprint(u["ref"], " skills"), []any{map[string]any{"tagName": "Go", "level": float64(i % 7), "targetLevel": nil}}, skills)
	}
}
