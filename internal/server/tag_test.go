package server_test

import (
	"net/http"
	"testing"
)

func TestTags(t *testing.T) {
	s := MustStartServer(t)
	ada := MustID(t, s.MustCreateUser(t, s.A, "ada", nil))
	bob := MustID(t, s.MustCreateUser(t, s.A, "bob", nil))
	var lead, excel string
	t.Run("OKAdmin", func(t *testing.T) {
		got := s.MustOK(t, s.A, http.StatusCreated, "POST", "/lethe/v1/tags", `{"name":" Leadership "}`)
		lead = MustID(t, got)
		MustDiff(t, "tag", map[string]any{"tag": "Leadership", "id": lead, "contents": []any{}, "campaigns": []any{},
			"interests": []any{}, "skills": []any{}}, got)
		excel = MustID(t, s.MustOK(t, s.A, http.StatusCreated, "POST", "/lethe/v1/tags", `{"name":"Excel"}`))
		s.MustOK(t, s.A, http.StatusCreated, "POST", "/lethe/v1/tags", `{"name":"Spare"}`)
		got = s.MustOK(t, s.A, http.StatusOK, "PATCH", "/lethe/v1/tags/"+excel, `{"name":"Spreadsheets"}`)
		if got["tag"] != "Spreadsheets" {
			t.Errorf("renamed = %v", got)
		}
		// Renaming to its own name in another case is allowed.
		s.MustOK(t, s.A, http.StatusOK, "PATCH", "/lethe/v1/tags/"+excel, `{"name":"spreadsheets"}`)
		s.MustOK(t, s.A, http.StatusOK, "PATCH", "/lethe/v1/tags/"+excel, `{"name":"Spreadsheets"}`)
	})
	t.Run("ErrAdmin", func(t *testing.T) {
		MustError(t, s.Do(t, s.A, "POST", "/lethe/v1/tags", `{"name":"leadership"}`), http.StatusConflict, "conflict", "name")
		MustError(t, s.Do(t, s.A, "PATCH", "/lethe/v1/tags/"+excel, `{"name":"LEADERSHIP"}`), http.StatusConflict, "conflict", "name")
		MustError(t, s.Do(t, s.A, "POST", "/lethe/v1/tags", `{"name":"  "}`), http.StatusUnprocessableEntity, "invalid", "name")
		MustError(t, s.Do(t, s.A, "POST", "/lethe/v1/tags", `{}`), http.StatusUnprocessableEntity, "invalid", "name")
		MustError(t, s.Do(t, s.A, "POST", "/lethe/v1/tags", `{"name":5}`), http.StatusBadRequest, "bad_request", "name")
		MustError(t, s.Do(t, s.A, "PATCH", "/lethe/v1/tags/000000000000000000000000", `{"name":"x"}`), http.StatusNotFound, "not_found")
		MustError(t, s.Do(t, s.A, "GET", "/rest/v1/tags/000000000000000000000000", ""), http.StatusNotFound, "not_found")
		MustError(t, s.Do(t, s.A, "GET", "/rest/v1/tags/nope", ""), http.StatusNotFound, "not_found")
	})
	t.Run("OKLearnerTags", func(t *testing.T) {
		got := s.MustOK(t, s.A, http.StatusOK, "POST", "/rest/v1/users/"+ada+"/tags", `{"tags":["leadership","Spreadsheets"]}`)
		MustDiff(t, "add", map[string]any{"status": 200.0, "message": "2 tag(s) added successfully to the learner."}, got)
		s.MustOK(t, s.A, http.StatusOK, "POST", "/rest/v1/users/"+bob+"/tags", `{"tags":["Leadership"]}`)
		tag := s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/tags/"+lead, "")
		want := []any{ada, bob}
		if bob < ada {
			want = []any{bob, ada}
		}
		MustDiff(t, "interests (by id)", want, tag["interests"])
		got = s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v1/users/"+ada+"/tags", `{"op":"remove","path":"tags","value":["Spreadsheets"]}`)
		MustDiff(t, "remove", map[string]any{"status": 200.0, "message": "1 tag(s) removed successfully from the learner."}, got)
		MustDiff(t, "interests", []any{}, s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/tags/"+excel, "")["interests"])
	})
	t.Run("OKSkills", func(t *testing.T) {
		got := s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v1/users/"+ada+"/skills",
			`{"op":"update","path":"skills","value":[{"tagName":"Leadership","level":1,"targetLevel":3},{"tagName":"spreadsheets","level":-1}]}`)
		MustDiff(t, "skills", map[string]any{"status": 200.0, "message": "2 skill(s) updated successfully for the learner."}, got)
		s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v1/users/"+ada+"/skills", `{"op":"update","path":"skills","value":[{"tagName":"Leadership","level":2}]}`)
		MustDiff(t, "skills", []any{ada}, s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/tags/"+lead, "")["skills"])
	})
	t.Run("ErrLearner", func(t *testing.T) {
		path := "/rest/v1/users/" + ada
		for _, c := range []struct{ method, path, body, field string }{
			{"POST", "/tags", `{"tags":[]}`, "tags"},
			{"POST", "/tags", `{}`, "tags"},
			{"POST", "/tags", `{"tags":["nope"]}`, "tags"},
			{"POST", "/tags", `{"tags":[""]}`, "tags[0]"},
			{"PATCH", "/tags", `{"op":"add","path":"tags","value":["Leadership"]}`, "op"},
			{"PATCH", "/tags", `{"op":"remove","path":"skills","value":["Leadership"]}`, "path"},
			{"PATCH", "/tags", `{"op":"remove","path":"tags","value":["nope"]}`, "value"},
			{"PATCH", "/skills", `{"op":"update","path":"skills","value":[{"tagName":"Leadership","level":-2}]}`, "value[0].level"},
			{"PATCH", "/skills", `{"op":"update","path":"skills","value":[{"tagName":"Leadership","targetLevel":1.5}]}`, "value[0].targetLevel"},
			{"PATCH", "/skills", `{"op":"update","path":"skills","value":[{"level":1}]}`, "value[0].tagName"},
			{"PATCH", "/skills", `{"op":"update","path":"skills","value":[{"tagName":"nope"}]}`, "value"},
		} {
			MustError(t, s.Do(t, s.A, c.method, path+c.path, c.body), http.StatusUnprocessableEntity, "invalid", c.field)
		}
		many := make([]string, 101)
		for i := range many {
			many[i] = "Leadership"
		}
		MustError(t, s.Do(t, s.A, "POST", path+"/tags", MustJSON(t, map[string]any{"tags": many})), http.StatusUnprocessableEntity, "invalid", "tags")
		MustError(t, s.Do(t, s.A, "POST", path+"/tags", `{"tags":"Leadership"}`), http.StatusBadRequest, "bad_request", "tags")
		MustError(t, s.Do(t, s.A, "POST", "/rest/v1/users/000000000000000000000000/tags", `{"tags":["Leadership"]}`), http.StatusNotFound, "not_found")
		MustError(t, s.Do(t, s.A, "POST", "/rest/v1/users/nope/tags", `{"tags":["Leadership"]}`), http.StatusNotFound, "not_found")
	})
	t.Run("OKList", func(t *testing.T) {
		page := s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/tags?perPage=2", "")
		MustDiff(t, "pagination", map[string]any{"totalResults": 3.0, "totalPages": 2.0, "page": 1.0, "perPage": 2.0}, page["pagination"])
		if n := len(page["results"].([]any)); n != 2 {
			t.Errorf("%d results", n)
		}
		page = s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/tags?page=2&perPage=2", "")
		if n := len(page["results"].([]any)); n != 1 {
			t.Errorf("%d results on page 2", n)
		}
		if p := s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/tags", "")["pagination"].(map[string]any); p["perPage"] != 100.0 {
			t.Errorf("default perPage = %v", p["perPage"])
		}
		page = s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/tags?updatedSince=2100-01-01", "")
		MustDiff(t, "none", []any{}, page["results"])
		MustError(t, s.Do(t, s.A, "GET", "/rest/v1/tags?updatedSince=yesterday", ""), http.StatusUnprocessableEntity, "invalid", "updatedSince")
		if p := s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/tags?perPage=1001", "")["pagination"].(map[string]any); p["perPage"] != 1000.0 {
			t.Errorf("perPage=1001 reads as %v, want 1000", p["perPage"])
		}
		MustError(t, s.Do(t, s.A, "GET", "/rest/v1/tags?perPage=0", ""), http.StatusUnprocessableEntity, "invalid", "perPage")
	})
	t.Run("OKSkillLevels", func(t *testing.T) {
		MustDiff(t, "empty", []any{}, s.MustArray(t, s.A, "GET", "/rest/v1/skills/levels", ""))
		got := s.MustArray(t, s.A, "PUT", "/lethe/v1/skills/levels",
			`[{"name":"Expert","value":3},{"name":"Novice","value":1,"isEnabled":true},{"name":"Unused","value":2,"isEnabled":false}]`)
		want := []any{
			map[string]any{"name": "Novice", "isEnabled": true, "value": 1.0},
			map[string]any{"name": "Unused", "isEnabled": false, "value": 2.0},
			map[string]any{"name": "Expert", "isEnabled": true, "value": 3.0},
		}
		MustDiff(t, "put", want, got)
		MustDiff(t, "get", want, s.MustArray(t, s.A, "GET", "/rest/v1/skills/levels", ""))
		MustDiff(t, "B's", []any{}, s.MustArray(t, s.B, "GET", "/rest/v1/skills/levels", ""))
		MustError(t, s.Do(t, s.A, "PUT", "/lethe/v1/skills/levels", `[{"name":"a","value":1},{"name":"b","value":1}]`),
			http.StatusUnprocessableEntity, "invalid", "[1].value")
		MustError(t, s.Do(t, s.A, "PUT", "/lethe/v1/skills/levels", `[{"value":1}]`), http.StatusUnprocessableEntity, "invalid", "[0].name")
		MustError(t, s.Do(t, s.A, "PUT", "/lethe/v1/skills/levels", `{}`), http.StatusBadRequest, "bad_request")
	})
	t.Run("OKContent", func(t *testing.T) {
		// Content names tags ignoring case, creates the ones missing, and
		// follows a rename; a tag lists its live content.
		c := s.MustOK(t, s.A, http.StatusCreated, "POST", "/lethe/v1/contents",
			`{"title":"Leading teams","type":"video","tags":["leadership","Coaching","COACHING"]}`)
		cid := MustID(t, c)
		MustDiff(t, "canonical tags", []any{"Leadership", "Coaching"}, c["tags"])
		MustDiff(t, "contents", []any{cid}, s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/tags/"+lead, "")["contents"])
		var coaching map[string]any
		for _, tag := range s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/tags", "")["results"].([]any) {
			if tag.(map[string]any)["tag"] == "Coaching" {
				coaching = tag.(map[string]any)
			}
		}
		if coaching == nil {
			t.Fatal("tag Coaching was not created by the content")
		}
		MustDiff(t, "Coaching contents", []any{cid}, coaching["contents"])
		s.MustOK(t, s.A, http.StatusOK, "PATCH", "/lethe/v1/tags/"+MustID(t, coaching), `{"name":"Mentoring"}`)
		MustDiff(t, "renamed", []any{"Leadership", "Mentoring"}, s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/contents/"+cid, "")["tags"])
		s.MustOK(t, s.A, http.StatusOK, "PATCH", "/lethe/v1/contents/"+cid, `{"tags":["Mentoring"]}`)
		MustDiff(t, "untagged", []any{}, s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/tags/"+lead, "")["contents"])
		s.MustOK(t, s.A, http.StatusOK, "POST", "/lethe/v1/contents/"+cid+"/archive", "")
		MustDiff(t, "archived", []any{}, s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/tags/"+MustID(t, coaching), "")["contents"])
	})
	t.Run("OKErasure", func(t *testing.T) {
		// Interests and skills describe the person: they go with the erasure.
		s.MustOK(t, s.A, http.StatusOK, "DELETE", "/rest/v2/users/ref/ada", "")
		tag := s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/tags/"+lead, "")
		MustDiff(t, "interests", []any{bob}, tag["interests"])
		MustDiff(t, "skills", []any{}, tag["skills"])
		er := s.MustOK(t, s.A, http.StatusOK, "GET", "/lethe/v1/erasures/"+ada, "")
		if e := er["erased"].(map[string]any); e["tags"] != 1.0 || e["skills"] != 2.0 {
			t.Errorf("erased = %v", e)
		}
		MustError(t, s.Do(t, s.A, "POST", "/rest/v1/users/"+ada+"/tags", `{"tags":["Leadership"]}`), http.StatusConflict, "conflict")
	})
}

// TestTags_Routing: /rest/v1/users/{userId}/tags does not shadow, and is not
// shadowed by, the ref routes.
func TestTags_Routing(t *testing.T) {
	s := MustStartServer(t)
	id := MustID(t, s.MustCreateUser(t, s.A, "tags", nil))
	s.MustOK(t, s.A, http.StatusCreated, "POST", "/lethe/v1/tags", `{"name":"T"}`)
	// A user whose ref is "tags": get-by-ref still answers it.
	if got := s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/users/ref/tags", ""); got["id"] != id {
		t.Errorf("GET users/ref/tags = %v", got)
	}
	// "ref" is no user id.
	MustError(t, s.Do(t, s.A, "POST", "/rest/v1/users/ref/tags", `{"tags":["T"]}`), http.StatusNotFound, "not_found")
	s.MustOK(t, s.A, http.StatusOK, "POST", "/rest/v1/users/"+id+"/tags", `{"tags":["T"]}`)
}

// TestTags_Concurrent: racing creates of one name make one tag; racing
// replaces of the skill scale all succeed and leave one of them whole.
func TestTags_Concurrent(t *testing.T) {
	s := MustStartServer(t)
	id := MustID(t, s.MustCreateUser(t, s.A, "racer", nil))
	var reqs []*http.Request
	for i := range 8 {
		reqs = append(reqs, s.NewRequest(t, s.A, "POST", "/lethe/v1/tags", `{"name":"Race"}`))
		levels := MustJSON(t, []map[string]any{{"name": "L" + string(rune('a'+i)), "value": 1}, {"name": "M", "value": 2}})
		reqs = append(reqs, s.NewRequest(t, s.A, "PUT", "/lethe/v1/skills/levels", levels))
	}
	created := 0
	for i, res := range s.SendAll(t, reqs) {
		switch {
		case i%2 == 1:
			MustStatus(t, res, http.StatusOK)
		case res.Status == http.StatusCreated:
			created++
		default:
			MustError(t, res, http.StatusConflict, "conflict", "name")
		}
	}
	if created != 1 {
		t.Errorf("%d tags created, want 1", created)
	}
	if got := s.MustArray(t, s.A, "GET", "/rest/v1/skills/levels", ""); len(got) != 2 {
		t.Errorf("levels = %v", got)
	}
	// Racing adds of the same tags to one learner.
	reqs = nil
	for range 8 {
		reqs = append(reqs, s.NewRequest(t, s.A, "POST", "/rest/v1/users/"+id+"/tags", `{"tags":["race"]}`))
	}
	for _, res := range s.SendAll(t, reqs) {
		MustStatus(t, res, http.StatusOK)
	}
}
