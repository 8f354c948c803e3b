package server_test

import (
	"net/http"
	"testing"
	"time"
)

func TestCompletions(t *testing.T) {
	s := MustStartServer(t)
	f := s.mustComplianceFixture(t, s.A, "ada", "bob")
	ada, bob := f.users["ada"], f.users["bob"]
	a := MustID(t, s.MustOK(t, s.A, http.StatusCreated, "POST", "/rest/v1/assignments", `{"audienceId":"TEAM","contentId":"`+contentA+`"}`))
	path := "/rest/v1/learning/completions"
	var first string
	t.Run("OKCreateAndRepeat", func(t *testing.T) {
		body := `{"userId":"` + ada + `","contentId":"` + contentA + `","completedAt":"2025-03-01T10:00:00Z"}`
		s.Clock.Advance(time.Hour)
		got := s.MustOK(t, s.A, http.StatusCreated, "POST", path, body)
		MustKeys(t, got, "statementId")
		first = got["statementId"].(string)
		again := s.MustOK(t, s.A, http.StatusOK, "POST", path, body)
		MustDiff(t, "repeat", got, again)
		MustDiff(t, "completion", map[string]any{"id": first, "userId": ada, "contentId": contentA, "contentVersion": 1.0,
			"skills": []any{}, "completionType": "manual", "hadDueDate": true, "isRPL": false,
			"completedAt": "2025-03-01T10:00:00.000Z", "activeUntil": nil},
			s.MustOK(t, s.A, http.StatusOK, "GET", path+"/"+first, ""))
		// Before the enrolment was available: recorded, but closes nothing.
		s.MustOK(t, s.A, http.StatusCreated, "POST", path, `{"userId":"`+bob+`","contentId":"`+contentA+`","completedAt":"2025-02-01"}`)
		if st := s.enrolmentOf(t, s.A, a, bob)["status"]; st != "open" {
			t.Errorf("bob's enrolment = %v, want open", st)
		}
		s.MustOK(t, s.A, http.StatusCreated, "POST", path, `{"userId":"`+bob+`","contentId":"`+contentB+`","completedAt":"2025-03-01T10:05:00+00:00"}`)
	})
	t.Run("Err", func(t *testing.T) {
		for _, c := range []struct{ body, field string }{
			{`{"contentId":"` + contentA + `","completedAt":"2025-03-01"}`, "userId"},
			{`{"userId":"x","contentId":"` + contentA + `","completedAt":"2025-03-01"}`, "userId"},
			{`{"userId":"` + ada + `","completedAt":"2025-03-01"}`, "contentId"},
			{`{"userId":"` + ada + `","contentId":"abc","completedAt":"2025-03-01"}`, "contentId"},
			{`{"userId":"` + ada + `","contentId":"` + contentA + `"}`, "completedAt"},
			{`{"userId":"` + ada + `","contentId":"` + contentA + `","completedAt":"later"}`, "completedAt"},
			{`{"userId":"` + ada + `","contentId":"` + contentA + `","completedAt":"2025-03-01T10:06:00.200Z"}`, "completedAt"},
		} {
			MustError(t, s.Do(t, s.A, "POST", path, c.body), http.StatusUnprocessableEntity, "invalid", c.field)
		}
		// Within the five minutes of allowed clock skew.
		s.MustOK(t, s.A, http.StatusCreated, "POST", path, `{"userId":"`+ada+`","contentId":"`+contentB+`","completedAt":"2025-03-01T10:04:00Z"}`)
		MustError(t, s.Do(t, s.A, "POST", path, `[]`), http.StatusBadRequest, "bad_request")
		MustError(t, s.Do(t, s.A, "POST", path, `{"userId":5}`), http.StatusBadRequest, "bad_request", "userId")
		MustError(t, s.Do(t, s.A, "POST", path, `{"userId":"000000000000000000000000","contentId":"`+contentA+`","completedAt":"2025-03-01"}`),
			http.StatusNotFound, "not_found")
		MustError(t, s.Do(t, s.A, "GET", path+"/000000000000000000000000", ""), http.StatusNotFound, "not_found")
		MustError(t, s.Do(t, s.A, "GET", path+"/nope", ""), http.StatusNotFound, "not_found")
	})
	t.Run("OKList", func(t *testing.T) {
		ids := func(q string) int { return len(s.MustArray(t, s.A, "GET", path+q, "")) }
		for q, want := range map[string]int{
			"": 4, "?contentId=" + contentA: 2, "?userId=" + ada: 2, "?isRPL=false": 4, "?isRPL=true": 0,
			"?completedDateRangeStart=2025-03-01": 3, "?completedDateRangeEnd=2025-02-01": 1,
			"?completedDateRangeStart=2025-03-01T10:00:00Z&completedDateRangeEnd=2025-03-01T10:00:00Z": 1,
			"?perPage=3&page=2": 1, "?perPage=1000": 4, "?perPage=1001": 4, "?limit=5000": 4,
		} {
			if got := ids(q); got != want {
				t.Errorf("%s: %d completions, want %d", q, got, want)
			}
		}
		for q, field := range map[string]string{"perPage=0": "perPage", "isRPL=maybe": "isRPL", "completedDateRangeStart=x": "completedDateRangeStart"} {
			MustError(t, s.Do(t, s.A, "GET", path+"?"+q, ""), http.StatusUnprocessableEntity, "invalid", field)
		}
	})
	t.Run("OKErasureKeepsRecords", func(t *testing.T) {
		s.MustOK(t, s.A, http.StatusOK, "DELETE", "/rest/v2/users/ref/ada", "")
		e := s.enrolmentOf(t, s.A, a, ada)
		if e["lastCompletedAt"] != "2025-03-01T10:00:00.000Z" || e["status"] != "unassigned" {
			t.Errorf("erased learner's enrolment = %v", e)
		}
		// Compliance for the past period still counts the completion.
		past := s.MustArray(t, s.A, "GET", path+"?completedDateRangeStart=2025-03-01&completedDateRangeEnd=2025-03-01&contentId="+contentA, "")
		if len(past) != 1 || past[0].(map[string]any)["userId"] != ada {
			t.Errorf("past completions = %v", past)
		}
		er := s.MustOK(t, s.A, http.StatusOK, "GET", "/lethe/v1/erasures/"+ada, "")
		MustDiff(t, "kept", map[string]any{"statusHistory": 2.0, "enrolments": 1.0, "completions": 2.0, "activities": 0.0, "cpdEntries": 0.0}, er["kept"])
		for _, m := range s.members(t, s.A, f.aud) {
			if m == ada {
				t.Error("erased learner still a member")
			}
		}
		MustError(t, s.Do(t, s.A, "POST", path, `{"userId":"`+ada+`","contentId":"`+contentA+`","completedAt":"2025-03-01"}`),
			http.StatusConflict, "conflict")
	})
}
