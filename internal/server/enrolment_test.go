package server_test

import (
	"net/http"
	"testing"
	"time"
)

// enrolmentOf returns the enrolment of user in assignment.
func (s *testServer) enrolmentOf(tb testing.TB, as Tenant, assignment, user string) map[string]any {
	tb.Helper()
	for _, e := range s.MustArray(tb, as, "GET", "/rest/v1/assignments/"+assignment+"/enrolments", "") {
		if m := e.(map[string]any); m["userId"] == user {
			return s.MustOK(tb, as, http.StatusOK, "GET", "/rest/v1/assignments/"+assignment+"/enrolments/"+m["id"].(string), "")
		}
	}
	tb.Fatalf("no enrolment of %s in %s", user, assignment)
	return nil
}

// steps renders an enrolment's history as "type:previous>next@createdAt".
func steps(e map[string]any) []any {
	out := []any{}
	for _, h := range e["history"].([]any) {
		m := h.(map[string]any)
		prev, _ := m["previousStatus"].(string)
		out = append(out, m["type"].(string)+":"+prev+">"+m["nextStatus"].(string)+"@"+m["createdAt"].(string))
	}
	return out
}

func TestEnrolments_Lifecycle(t *testing.T) {
	s := MustStartServer(t)
	f := s.mustComplianceFixture(t, s.A, "ada", "bob")
	ada := f.users["ada"]
	a := MustID(t, s.MustOK(t, s.A, http.StatusCreated, "POST", "/rest/v1/assignments",
		`{"audienceId":"TEAM","contentId":"`+contentA+`","alternativeContentIds":["`+contentB+`"],"completionPeriod":10,"recurrence":30}`))

	e := s.enrolmentOf(t, s.A, a, ada)
	MustKeys(t, e, "id", "userId", "assignmentId", "audienceId", "primaryContentId", "status", "availableDate", "dueDate",
		"lastCompletedAt", "history", "updatedAt")
	if e["status"] != "open" || e["availableDate"] != T0 || e["dueDate"] != "2025-03-11T09:00:00.123Z" || e["audienceId"] != f.aud ||
		e["assignmentId"] != a || e["primaryContentId"] != contentA || e["lastCompletedAt"] != nil {
		t.Fatalf("new enrolment = %v", e)
	}
	MustKeys(t, e["history"].([]any)[0].(map[string]any), "type", "completionId", "previousStatus", "nextStatus", "createdAt", "updatedAt")

	// Overdue with no write at all.
	s.Clock.Set(t0.Add(11 * 24 * time.Hour))
	e = s.enrolmentOf(t, s.A, a, ada)
	if e["status"] != "overdue" {
		t.Fatalf("status after the due date = %v", e["status"])
	}
	// An alternative completes it.
	res := s.MustOK(t, s.A, http.StatusCreated, "POST", "/rest/v1/learning/completions",
		`{"userId":"`+ada+`","contentId":"`+contentB+`","completedAt":"2025-03-12T08:00:00Z"}`)
	stmt := res["statementId"].(string)
	e = s.enrolmentOf(t, s.A, a, ada)
	if e["status"] != "complete" || e["lastCompletedAt"] != "2025-03-12T08:00:00.000Z" {
		t.Fatalf("after completion = %v", e)
	}
	// The recurrence opens a new cycle 30 days after the completion, due 10 days later.
	s.Clock.Set(time.Date(2025, 4, 11, 8, 0, 0, 0, time.UTC))
	e = s.enrolmentOf(t, s.A, a, ada)
	if e["status"] != "open" || e["availableDate"] != "2025-04-11T08:00:00.000Z" || e["dueDate"] != "2025-04-21T08:00:00.000Z" {
		t.Fatalf("new cycle = %v", e)
	}
	// Leaving the audience unassigns; coming back opens it again (still the new cycle).
	s.MustOK(t, s.A, http.StatusOK, "DELETE", "/rest/v1/audiences/TEAM/members/ada", "")
	if got := s.enrolmentOf(t, s.A, a, ada)["status"]; got != "unassigned" {
		t.Fatalf("after leaving = %v", got)
	}
	s.Clock.Set(time.Date(2025, 4, 25, 0, 0, 0, 0, time.UTC))
	s.MustOK(t, s.A, http.StatusOK, "POST", "/rest/v1/audiences/TEAM/members", `["ada"]`)
	e = s.enrolmentOf(t, s.A, a, ada)
	if e["status"] != "overdue" {
		t.Fatalf("after coming back past the new due date = %v", e["status"])
	}
	MustDiff(t, "history", []any{
		"assigned:>open@" + T0,
		"due:open>overdue@2025-03-11T09:00:00.123Z",
		"completed:overdue>complete@2025-03-12T09:00:00.123Z",
		"recurred:complete>open@2025-04-11T08:00:00.000Z",
		"unassigned:open>unassigned@2025-04-11T08:00:00.000Z",
		"assigned:unassigned>overdue@2025-04-25T00:00:00.000Z",
	}, steps(e))
	hist := e["history"].([]any)
	if hist[2].(map[string]any)["completionId"] != stmt {
		t.Errorf("completed event = %v, want completionId %s", hist[2], stmt)
	}
	// Deleting the assignment archives.
	s.MustOK(t, s.A, http.StatusOK, "DELETE", "/rest/v1/assignments/"+a, `{"audienceId":"TEAM"}`)
	if got := s.enrolmentOf(t, s.A, a, ada)["status"]; got != "archived" {
		t.Fatalf("after delete = %v", got)
	}
}

func TestEnrolments_ListFilters(t *testing.T) {
	s := MustStartServer(t)
	f := s.mustComplianceFixture(t, s.A, "ada", "bob", "cyd")
	a := MustID(t, s.MustOK(t, s.A, http.StatusCreated, "POST", "/rest/v1/assignments",
		`{"audienceId":"TEAM","contentId":"`+contentA+`","completionPeriod":5}`))
	s.Clock.Advance(time.Hour)
	s.MustOK(t, s.A, http.StatusCreated, "POST", "/rest/v1/learning/completions",
		`{"userId":"`+f.users["ada"]+`","contentId":"`+contentA+`","completedAt":"2025-03-01T09:30:00Z"}`)
	s.MustOK(t, s.A, http.StatusOK, "DELETE", "/rest/v1/audiences/TEAM/members/bob", "")
	path := "/rest/v1/assignments/" + a + "/enrolments"
	users := func(q string) []any {
		out := []any{}
		for _, e := range s.MustArray(t, s.A, "GET", path+q, "") {
			out = append(out, e.(map[string]any)["userId"])
		}
		return out
	}
	MustDiff(t, "complete", []any{f.users["ada"]}, users("?status=complete"))
	MustDiff(t, "unassigned", []any{f.users["bob"]}, users("?status=unassigned"))
	MustDiff(t, "open", []any{f.users["cyd"]}, users("?status=open"))
	MustDiff(t, "overdue", []any{}, users("?status=overdue"))
	s.Clock.Advance(6 * 24 * time.Hour)
	MustDiff(t, "overdue later", []any{f.users["cyd"]}, users("?status=OVERDUE"))
	if got := users("?updatedAtFrom=2025-03-01T09:30:00Z"); len(got) != 2 {
		t.Errorf("updated since the completion: %v", got)
	}
	if got := users("?updatedAtFrom=2025-01-01&updatedAtTo=2025-03-01T09:10:00Z"); len(got) != 1 {
		t.Errorf("updated before the completion: %v", got)
	}
	if got := users("?perPage=2&page=2"); len(got) != 1 {
		t.Errorf("page 2: %v", got)
	}
	for q, field := range map[string]string{"status=late": "status", "updatedAtTo=2025-01-01": "updatedAtTo", "perPage=0": "perPage",
		"updatedAtFrom=x": "updatedAtFrom"} {
		MustError(t, s.Do(t, s.A, "GET", path+"?"+q, ""), http.StatusUnprocessableEntity, "invalid", field)
	}
	MustError(t, s.Do(t, s.A, "GET", "/rest/v1/assignments/000000000000000000000000/enrolments", ""), http.StatusNotFound, "not_found")
	// An enrolment is found through its own assignment only.
	b := MustID(t, s.MustOK(t, s.A, http.StatusCreated, "POST", "/rest/v1/assignments", `{"audienceId":"TEAM","contentId":"`+contentB+`"}`))
	e := s.MustArray(t, s.A, "GET", path, "")[0].(map[string]any)
	MustError(t, s.Do(t, s.A, "GET", "/rest/v1/assignments/"+b+"/enrolments/"+e["id"].(string), ""), http.StatusNotFound, "not_found")
	MustError(t, s.Do(t, s.A, "GET", path+"/nope", ""), http.StatusNotFound, "not_found")
}
