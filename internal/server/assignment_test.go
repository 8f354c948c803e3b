package server_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

const (
	contentA = "c00000000000000000000001"
	contentB = "c00000000000000000000002"
)

// complianceFixture is a structure, an audience with members, and their ids.
type complianceFixture struct {
	org, aud string
	users    map[string]string // ref -> id
}

func (s *testServer) mustComplianceFixture(tb testing.TB, as Tenant, refs ...string) complianceFixture {
	tb.Helper()
	f := complianceFixture{users: map[string]string{}}
	s.MustCreateContent(tb, as, contentA, nil)
	s.MustCreateContent(tb, as, contentB, nil)
	f.org = MustID(tb, s.MustCreateAudience(tb, as, map[string]any{"name": "Org", "reference": "ORG"}))
	f.aud = MustID(tb, s.MustCreateAudience(tb, as, map[string]any{"name": "Team", "parentId": f.org, "reference": "TEAM"}))
	for _, r := range refs {
		f.users[r] = MustID(tb, s.MustCreateUser(tb, as, r, nil))
	}
	if len(refs) > 0 {
		s.MustOK(tb, as, http.StatusOK, "POST", "/rest/v1/audiences/TEAM/members", MustJSON(tb, refs))
	}
	return f
}

func TestAssignments_Create(t *testing.T) {
	s := MustStartServer(t)
	f := s.mustComplianceFixture(t, s.A, "ada", "bob")
	t.Run("OK", func(t *testing.T) {
		got := s.MustOK(t, s.A, http.StatusCreated, "POST", "/rest/v1/assignments",
			`{"audienceId":"TEAM","contentId":"C00000000000000000000001","alternativeContentIds":["`+contentB+`"],"hideAlternativeContent":true,"recurrence":365}`)
		id := MustID(t, got)
		MustDiff(t, "assignment", map[string]any{
			"id": id, "audienceId": f.aud, "primaryContentId": contentA, "alternativeContentIds": []any{contentB},
			"hideAlternativeContent": true, "completionPeriod": 30.0, "recurrence": 365.0, "isActive": true, "isDeleted": false,
			"createdAt": T0, "deletedAt": nil, "updatedAt": T0,
		}, got)
		MustDiff(t, "get", got, s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/assignments/"+id, ""))
		if n := len(s.MustArray(t, s.A, "GET", "/rest/v1/assignments/"+id+"/enrolments", "")); n != 2 {
			t.Errorf("%d enrolments, want 2", n)
		}
		min := s.MustOK(t, s.A, http.StatusCreated, "POST", "/rest/v1/assignments", `{"audienceId":"`+f.aud+`","contentId":"`+contentB+`","completionPeriod":1,"recurrence":null}`)
		if min["completionPeriod"] != 1.0 || min["recurrence"] != nil || len(min["alternativeContentIds"].([]any)) != 0 {
			t.Errorf("assignment = %v", min)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		alts := make([]string, 21)
		for i := range alts {
			alts[i] = fmt.Sprintf("%024x", i)
		}
		for _, c := range []struct{ body, field string }{
			{`{"contentId":"` + contentA + `"}`, "audienceId"},
			{`{"audienceId":"nope","contentId":"` + contentA + `"}`, "audienceId"},
			{`{"audienceId":"TEAM"}`, "contentId"},
			{`{"audienceId":"TEAM","contentId":"xyz"}`, "contentId"},
			{`{"audienceId":"TEAM","contentId":"` + contentA + `","completionPeriod":0}`, "completionPeriod"},
			{`{"audienceId":"TEAM","contentId":"` + contentA + `","completionPeriod":1.5}`, "completionPeriod"},
			{`{"audienceId":"TEAM","contentId":"` + contentA + `","recurrence":-1}`, "recurrence"},
			{`{"audienceId":"TEAM","contentId":"` + contentA + `","alternativeContentIds":["x"]}`, "alternativeContentIds"},
			{`{"audienceId":"TEAM","contentId":"` + contentA + `","alternativeContentIds":` + MustJSON(t, alts) + `}`, "alternativeContentIds"},
		} {
			MustError(t, s.Do(t, s.A, "POST", "/rest/v1/assignments", c.body), http.StatusUnprocessableEntity, "invalid", c.field)
		}
		for _, c := range []struct{ body, field string }{
			{`[]`, ""}, {``, ""}, {`{"audienceId":5}`, "audienceId"},
			{`{"audienceId":"TEAM","contentId":"` + contentA + `","completionPeriod":"30"}`, "completionPeriod"},
			{`{"audienceId":"TEAM","contentId":"` + contentA + `","alternativeContentIds":"` + contentB + `"}`, "alternativeContentIds"},
		} {
			var fields []string
			if c.field != "" {
				fields = []string{c.field}
			}
			MustError(t, s.Do(t, s.A, "POST", "/rest/v1/assignments", c.body), http.StatusBadRequest, "bad_request", fields...)
		}
	})
}

func TestAssignments_UpdateDeleteList(t *testing.T) {
	s := MustStartServer(t)
	f := s.mustComplianceFixture(t, s.A, "ada")
	other := MustID(t, s.MustCreateAudience(t, s.A, map[string]any{"name": "Other", "parentId": f.org, "reference": "OTHER"}))
	id := MustID(t, s.MustOK(t, s.A, http.StatusCreated, "POST", "/rest/v1/assignments", `{"audienceId":"TEAM","contentId":"`+contentA+`"}`))
	s.Clock.Advance(time.Millisecond) // ids sort by creation time
	id2 := MustID(t, s.MustOK(t, s.A, http.StatusCreated, "POST", "/rest/v1/assignments", `{"audienceId":"OTHER","contentId":"`+contentA+`"}`))
	path := "/rest/v1/assignments/" + id

	t.Run("OKUpdate", func(t *testing.T) {
		s.Clock.Advance(time.Hour)
		got := s.MustOK(t, s.A, http.StatusOK, "PATCH", path, `{"audienceId":"TEAM","contentId":"`+contentB+`","completionPeriod":10,"recurrence":30,"alternativeContentIds":["`+contentA+`"]}`)
		if got["primaryContentId"] != contentB || got["completionPeriod"] != 10.0 || got["recurrence"] != 30.0 || got["updatedAt"] == T0 {
			t.Errorf("updated = %v", got)
		}
		enr := s.MustArray(t, s.A, "GET", path+"/enrolments", "")[0].(map[string]any)
		if enr["dueDate"] != "2025-03-11T09:00:00.123Z" || enr["primaryContentId"] != contentB {
			t.Errorf("enrolment after update = %v", enr)
		}
		got = s.MustOK(t, s.A, http.StatusOK, "PATCH", path, `{"audienceId":"`+f.aud+`","recurrence":null}`)
		if got["recurrence"] != nil {
			t.Errorf("recurrence = %v, want null", got["recurrence"])
		}
	})
	t.Run("ErrUpdate", func(t *testing.T) {
		MustError(t, s.Do(t, s.A, "PATCH", path, `{"contentId":"`+contentB+`"}`), http.StatusUnprocessableEntity, "invalid", "audienceId")
		MustError(t, s.Do(t, s.A, "PATCH", path, `{"audienceId":"OTHER"}`), http.StatusUnprocessableEntity, "invalid", "audienceId")
		MustError(t, s.Do(t, s.A, "PATCH", path, `{"audienceId":"TEAM","completionPeriod":0}`), http.StatusUnprocessableEntity, "invalid", "completionPeriod")
		MustError(t, s.Do(t, s.A, "PATCH", "/rest/v1/assignments/000000000000000000000000", `{"audienceId":"TEAM"}`), http.StatusNotFound, "not_found")
		MustError(t, s.Do(t, s.A, "GET", "/rest/v1/assignments/nope", ""), http.StatusNotFound, "not_found")
	})
	t.Run("ErrDelete", func(t *testing.T) {
		MustError(t, s.Do(t, s.A, "DELETE", path, ""), http.StatusUnprocessableEntity, "invalid", "audienceId")
		MustError(t, s.Do(t, s.A, "DELETE", path, `{}`), http.StatusUnprocessableEntity, "invalid", "audienceId")
		MustError(t, s.Do(t, s.A, "DELETE", path, `{"audienceId":"`+other+`"}`), http.StatusUnprocessableEntity, "invalid", "audienceId")
		MustError(t, s.Do(t, s.A, "DELETE", path, `["TEAM"]`), http.StatusBadRequest, "bad_request")
	})
	t.Run("OKDelete", func(t *testing.T) {
		s.Clock.Advance(time.Hour)
		MustDiff(t, "delete", map[string]any{"success": true}, s.MustOK(t, s.A, http.StatusOK, "DELETE", path, `{"audienceId":"TEAM"}`))
		got := s.MustOK(t, s.A, http.StatusOK, "GET", path, "")
		if got["isDeleted"] != true || got["isActive"] != false || got["deletedAt"] != "2025-03-01T11:00:00.124Z" {
			t.Errorf("deleted = %v", got)
		}
		enr := s.MustArray(t, s.A, "GET", path+"/enrolments?status=archived", "")
		if len(enr) != 1 {
			t.Fatalf("archived enrolments = %v", enr)
		}
		hist := enr[0].(map[string]any)["history"].([]any)
		last := hist[len(hist)-1].(map[string]any)
		if last["type"] != "archived" || last["previousStatus"] != "open" || last["nextStatus"] != "archived" {
			t.Errorf("last event = %v", last)
		}
		MustDiff(t, "delete again", map[string]any{"success": true}, s.MustOK(t, s.A, http.StatusOK, "DELETE", path, `{"audienceId":"TEAM"}`))
	})
	t.Run("OKList", func(t *testing.T) {
		var ids []any
		for _, a := range s.MustArray(t, s.A, "GET", "/rest/v1/assignments", "") {
			ids = append(ids, a.(map[string]any)["id"])
		}
		MustDiff(t, "all, deleted included", []any{id, id2}, ids)
		only := s.MustArray(t, s.A, "GET", "/rest/v1/assignments?audienceId=OTHER&perPage=100", "")
		if len(only) != 1 || only[0].(map[string]any)["id"] != id2 {
			t.Errorf("audienceId=OTHER: %v", only)
		}
		if got := s.MustArray(t, s.A, "GET", "/rest/v1/assignments?audienceId=nope", ""); len(got) != 0 {
			t.Errorf("unknown audience: %v", got)
		}
		if got := s.MustArray(t, s.A, "GET", "/rest/v1/assignments?updatedSince=2025-03-01T10:30:00Z", ""); len(got) != 1 {
			t.Errorf("updatedSince: %v", got)
		}
		if got := s.MustArray(t, s.A, "GET", "/rest/v1/assignments?perPage=1&page=2", ""); len(got) != 1 || got[0].(map[string]any)["id"] != id2 {
			t.Errorf("page 2: %v", got)
		}
		// Above the maximum of 100 reads as 100 (ADR 0025).
		for _, q := range []string{"perPage=101", "limit=101", "perPage=1000", "perPage=99999999999999999999"} {
			if got := s.MustArray(t, s.A, "GET", "/rest/v1/assignments?"+q, ""); len(got) != 2 {
				t.Errorf("%s: %d assignments, want 2", q, len(got))
			}
		}
		for q, field := range map[string]string{"perPage=0": "perPage", "limit=0": "limit", "perPage=-1": "perPage", "updatedSince=x": "updatedSince"} {
			MustError(t, s.Do(t, s.A, "GET", "/rest/v1/assignments?"+q, ""), http.StatusUnprocessableEntity, "invalid", field)
		}
	})
	t.Run("OKAudienceDeleteArchives", func(t *testing.T) {
		MustDiff(t, "delete", map[string]any{"success": true}, s.MustOK(t, s.A, http.StatusOK, "DELETE", "/rest/v1/audiences/OTHER", ""))
		got := s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/assignments/"+id2, "")
		if got["isDeleted"] != true {
			t.Errorf("assignment of a deleted audience = %v", got)
		}
	})
}
