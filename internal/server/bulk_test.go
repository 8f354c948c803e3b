package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lethehq/lethe/internal/sqldb"
)

// results returns the outcome and reason of each result of a bulk answer.
func results(t *testing.T, got map[string]any) []string {
	t.Helper()
	var out []string
	for _, r := range got["results"].([]any) {
		m := r.(map[string]any)
		s := m["outcome"].(string)
		if m["reason"] != nil {
			s += ": " + m["reason"].(string)
		}
		out = append(out, s)
	}
	return out
}

func TestBulk_Users(t *testing.T) {
	s := MustStartServer(t)
	ids := map[string]string{}
	for _, ref := range []string{"b1", "b2", "b3", "b4", "b5", "b6"} {
		ids[ref] = MustID(t, s.MustCreateUser(t, s.A, ref, nil))
	}
	s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v2/users/ref/b3/suspend", `{}`)
	s.MustOK(t, s.A, http.StatusOK, "DELETE", "/rest/v2/users/ref/b4", "")
	do := func(t *testing.T, status int, body string) map[string]any {
		t.Helper()
		res := s.Do(t, s.A, "POST", "/lethe/v1/users/bulk", body)
		MustStatus(t, res, status)
		return res.Object(t)
	}
	t.Run("OKSuspendPerItem", func(t *testing.T) {
		got := do(t, http.StatusMultiStatus, `{"action":"suspend","endDate":"2026-06-30","identifiers":[{"id":"`+ids["b1"]+`"},{"ref":"b2"},
			{"email":"b3@example.com"},{"id":"`+ids["b4"]+`"},{"ref":"nobody"},{"ref":"b1"},{"id":"not-an-id"}]}`)
		// b3 was suspended already, without an end date: it gets one.
		MustDiff(t, "outcomes", []string{"done", "done", "done", "skipped: erased", "failed: unknown user",
			"skipped: duplicate", "failed: unknown user"}, results(t, got))
		MustDiff(t, "summary", map[string]any{"done": 3.0, "unchanged": 0.0, "skipped": 2.0, "failed": 2.0}, got["summary"])
		again := do(t, http.StatusOK, `{"action":"suspend","endDate":"2026-06-30","identifiers":[{"ref":"b3"}]}`)
		MustDiff(t, "again", []string{"unchanged: already suspended"}, results(t, again))
		first := got["results"].([]any)[1].(map[string]any)
		MustDiff(t, "item", map[string]any{"identifier": map[string]any{"ref": "b2"}, "userId": ids["b2"], "outcome": "done", "reason": nil}, first)
		if u := s.MustGetUser(t, s.A, ids["b2"]); u["status"] != "inactive" {
			t.Errorf("b2 after suspend = %v", u["status"])
		}
	})
	t.Run("OKDryRunChangesNothing", func(t *testing.T) {
		got := do(t, http.StatusOK, `{"action":"delete","dryRun":true,"identifiers":[{"ref":"b5"},{"ref":"b6"}]}`)
		MustDiff(t, "outcomes", []string{"done", "done"}, results(t, got))
		if got["dryRun"] != true {
			t.Errorf("dryRun = %v", got["dryRun"])
		}
		s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/users/ref/b5", "")
		MustError(t, s.Do(t, s.A, "GET", "/lethe/v1/erasures/"+ids["b5"], ""), http.StatusNotFound, "not_found")
	})
	t.Run("OKIdempotencyKey", func(t *testing.T) {
		body := `{"action":"reactivate","identifiers":[{"ref":"b1"},{"ref":"b2"}]}`
		req := func(body string) *response {
			r := s.NewRequest(t, s.A, "POST", "/lethe/v1/users/bulk", body)
			r.Header.Set("Idempotency-Key", "leavers-2026-12-01")
			return s.Send(t, r)
		}
		first := req(body)
		MustStatus(t, first, http.StatusOK)
		MustDiff(t, "first", []string{"done", "done"}, results(t, first.Object(t)))
		again := req(body)
		MustStatus(t, again, http.StatusOK)
		MustDiff(t, "retry answers the first answer", first.Object(t), again.Object(t))
		MustError(t, req(`{"action":"reactivate","identifiers":[{"ref":"b1"}]}`), http.StatusConflict, "conflict", "Idempotency-Key")
		// Without the key the same call finds them reactivated already.
		MustDiff(t, "without key", []string{"unchanged: not suspended", "unchanged: not suspended"},
			results(t, do(t, http.StatusOK, body)))
	})
	t.Run("OKAnonymizeAndPurge", func(t *testing.T) {
		used := MustID(t, s.MustCreateUser(t, s.A, "b-used", nil))
		s.MustOK(t, s.A, http.StatusOK, "POST", "/lethe/v1/users/"+used+"/logins", "")
		s.MustCreateUser(t, s.A, "b-empty", nil)
		got := do(t, http.StatusMultiStatus, `{"action":"purge","identifiers":[{"ref":"b-empty"},{"ref":"b-used"}]}`)
		MustDiff(t, "purge", []string{"done", "failed: has history"}, results(t, got))
		MustError(t, s.Do(t, s.A, "GET", "/rest/v1/users/ref/b-empty", ""), http.StatusNotFound, "not_found")
		got = do(t, http.StatusOK, `{"action":"anonymize","identifiers":[{"id":"`+used+`"}]}`)
		MustDiff(t, "anonymize", []string{"done"}, results(t, got))
		MustDiff(t, "again", []string{"unchanged: anonymized"}, results(t, do(t, http.StatusOK, `{"action":"anonymize","identifiers":[{"id":"`+used+`"}]}`)))
		MustDiff(t, "reactivate", []string{"skipped: anonymized"}, results(t, do(t, http.StatusMultiStatus, `{"action":"reactivate","identifiers":[{"id":"`+used+`"}]}`)))
	})
	t.Run("OKPolicy", func(t *testing.T) {
		s.MustOK(t, s.A, http.StatusOK, "PATCH", "/lethe/v1/settings", `{"deletion":{"mode":"restricted"}}`)
		used := MustID(t, s.MustCreateUser(t, s.A, "b-kept", nil))
		s.MustOK(t, s.A, http.StatusOK, "POST", "/lethe/v1/users/"+used+"/logins", "")
		got := do(t, http.StatusMultiStatus, `{"action":"delete","identifiers":[{"ref":"b-kept"},{"ref":"b5"}]}`)
		MustDiff(t, "restricted", []string{"failed: deletion restricted: has history", "done"}, results(t, got))
		s.MustOK(t, s.A, http.StatusOK, "PATCH", "/lethe/v1/settings", `{"deletion":{"mode":"erase","graceDays":5}}`)
		got = do(t, http.StatusOK, `{"action":"delete","identifiers":[{"ref":"b-kept"}]}`)
		MustDiff(t, "grace", []string{"done: erasure scheduled"}, results(t, got))
		got = do(t, http.StatusOK, `{"action":"delete","identifiers":[{"ref":"b-kept"},{"id":"`+ids["b4"]+`"}]}`)
		MustDiff(t, "again", []string{"unchanged: erasure already scheduled", "unchanged: already erased"}, results(t, got))
	})
	t.Run("ErrBadInput", func(t *testing.T) {
		many := make([]string, 1001)
		for i := range many {
			many[i] = fmt.Sprintf(`{"ref":"r%d"}`, i)
		}
		for body, field := range map[string]string{
			`{"action":"suspend","identifiers":[` + strings.Join(many, ",") + `]}`:   "identifiers",
			`{"action":"suspend","identifiers":[]}`:                                  "identifiers",
			`{"action":"suspend"}`:                                                   "identifiers",
			`{"action":"suspend","identifiers":[{"id":"x","ref":"y"}]}`:              "identifiers[0]",
			`{"action":"suspend","identifiers":[{"ref":"a"},{}]}`:                    "identifiers[1]",
			`{"action":"suspend","identifiers":[{"name":"a"}]}`:                      "identifiers[0]",
			`{"action":"suspend","identifiers":[{"ref":""}]}`:                        "identifiers[0].ref",
			`{"action":"explode","identifiers":[{"ref":"a"}]}`:                       "action",
			`{"identifiers":[{"ref":"a"}]}`:                                          "action",
			`{"action":"delete","endDate":"2026-01-01","identifiers":[{"ref":"a"}]}`: "endDate",
			`{"action":"suspend","identifiers":[{"ref":"a"}],"colour":"red"}`:        "colour",
		} {
			MustError(t, s.Do(t, s.A, "POST", "/lethe/v1/users/bulk", body), http.StatusUnprocessableEntity, "invalid", field)
		}
		MustError(t, s.Do(t, s.A, "POST", "/lethe/v1/users/bulk", `{"action":"suspend","identifiers":"b1"}`), http.StatusBadRequest, "bad_request", "identifiers")
		MustError(t, s.Do(t, s.A, "POST", "/lethe/v1/users/bulk", `{"action":"suspend","identifiers":[{"ref":5}]}`), http.StatusBadRequest, "bad_request", "identifiers[0].ref")
	})
}

// runJobs runs every pending job to its end, as serve's runner does.
func (s *testServer) runJobs(t *testing.T) int {
	t.Helper()
	n, err := sqldb.NewJobService(s.db).RunJobs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// mustJob waits for nothing: it reads the job.
func (s *testServer) mustJob(t *testing.T, id string) map[string]any {
	t.Helper()
	return s.MustOK(t, s.A, http.StatusOK, "GET", "/lethe/v1/jobs/"+id, "")
}

func (s *testServer) mustResults(t *testing.T, id string) []string {
	t.Helper()
	res := s.Do(t, s.A, "GET", "/lethe/v1/jobs/"+id+"/results", "")
	if res.Status != http.StatusOK {
		t.Fatalf("results: %s", res)
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	return strings.Split(strings.TrimSpace(string(res.Body)), "\n")
}

func TestJobs(t *testing.T) {
	s := MustStartServer(t)
	ids := map[string]string{}
	for _, ref := range []string{"j1", "j2", "j3", "j4"} {
		ids[ref] = MustID(t, s.MustCreateUser(t, s.A, ref, nil))
	}
	s.MustOK(t, s.A, http.StatusOK, "POST", "/lethe/v1/users/"+ids["j1"]+"/logins", "")
	t.Run("OKCSV", func(t *testing.T) {
		csv := "\ufeffName;E-mail\r\nOne;j1@example.com\r\nTwo;j2@example.com\r\n\r\nNobody;nobody@example.com\r\nEmpty;\r\nAgain;J1@example.com\r\n"
		job := s.MustOK(t, s.A, http.StatusAccepted, "POST", "/lethe/v1/jobs", MustJSON(t, map[string]any{
			"action": "suspend", "selector": map[string]any{"csv": csv}}))
		id := MustID(t, job)
		if job["state"] != "queued" || job["total"] != 5.0 || job["done"] != 3.0 || job["failed"] != 2.0 {
			t.Errorf("queued job = %v", job)
		}
		MustError(t, s.Do(t, s.A, "GET", "/lethe/v1/jobs/"+id+"/results", ""), http.StatusConflict, "conflict")
		if n := s.runJobs(t); n != 2 {
			t.Errorf("ran %d items, want 2", n)
		}
		job = s.mustJob(t, id)
		if job["state"] != "succeeded" || job["done"] != 5.0 || job["finishedAt"] == nil {
			t.Errorf("finished job = %v", job)
		}
		MustDiff(t, "outcomes", map[string]any{"done": 2.0, "unchanged": 0.0, "skipped": 1.0, "failed": 2.0}, job["outcomes"])
		MustDiff(t, "results", []string{"line,userId,action,outcome,reason",
			"2," + ids["j1"] + ",suspend,done,", "3," + ids["j2"] + ",suspend,done,", "5,,suspend,failed,unknown user",
			"6,,suspend,failed,unknown user", "7," + ids["j1"] + ",suspend,skipped,duplicate"}, s.mustResults(t, id))
		if n := s.runJobs(t); n != 0 {
			t.Errorf("ran %d items again", n)
		}
	})
	t.Run("OKAudienceAndDryRun", func(t *testing.T) {
		s.MustOK(t, s.A, http.StatusCreated, "POST", "/rest/v1/audiences", `{"name":"Org","reference":"ORG"}`)
		s.MustOK(t, s.A, http.StatusOK, "POST", "/rest/v1/audiences/ORG/members", `["j3","j4"]`)
		id := MustID(t, s.MustOK(t, s.A, http.StatusAccepted, "POST", "/lethe/v1/jobs",
			`{"action":"delete","dryRun":true,"selector":{"audienceId":"ORG"}}`))
		s.runJobs(t)
		job := s.mustJob(t, id)
		if job["dryRun"] != true || job["outcomes"].(map[string]any)["done"] != 2.0 {
			t.Errorf("dry-run job = %v", job)
		}
		s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/users/ref/j3", "")
	})
	t.Run("OKQuery", func(t *testing.T) {
		MustError(t, s.Do(t, s.A, "POST", "/lethe/v1/jobs", `{"action":"suspend","selector":{"query":{}}}`),
			http.StatusUnprocessableEntity, "invalid", "selector.confirmAll")
		id := MustID(t, s.MustOK(t, s.A, http.StatusAccepted, "POST", "/lethe/v1/jobs",
			`{"action":"reactivate","selector":{"query":{"statuses":["inactive"],"createdBefore":"2100-01-01"}}}`))
		if job := s.mustJob(t, id); job["total"] != 2.0 {
			t.Errorf("inactive users selected = %v", job["total"])
		}
		s.runJobs(t)
		if u := s.MustGetUser(t, s.A, ids["j2"]); u["status"] != "new" {
			t.Errorf("j2 after reactivation job = %v", u["status"])
		}
		id = MustID(t, s.MustOK(t, s.A, http.StatusAccepted, "POST", "/lethe/v1/jobs",
			`{"action":"suspend","confirmAll":true,"dryRun":true,"selector":{"query":{}}}`))
		if job := s.mustJob(t, id); job["total"] != 4.0 {
			t.Errorf("all users = %v", job["total"])
		}
		id = MustID(t, s.MustOK(t, s.A, http.StatusAccepted, "POST", "/lethe/v1/jobs",
			`{"action":"purge","selector":{"query":{"neverLoggedIn":true,"hasHistory":false}}}`))
		if job := s.mustJob(t, id); job["total"] != 3.0 {
			t.Errorf("never used = %v", job)
		}
		s.MustOK(t, s.A, http.StatusOK, "POST", "/lethe/v1/jobs/"+id+"/cancel", "")
	})
	t.Run("OKCancel", func(t *testing.T) {
		id := MustID(t, s.MustOK(t, s.A, http.StatusAccepted, "POST", "/lethe/v1/jobs", `{"action":"suspend","selector":{"csv":"ref\nj3\nj4\n"}}`))
		job := s.MustOK(t, s.A, http.StatusOK, "POST", "/lethe/v1/jobs/"+id+"/cancel", "")
		if job["state"] != "cancelled" {
			t.Errorf("cancelled job = %v", job)
		}
		s.runJobs(t)
		if job := s.mustJob(t, id); job["done"] != 0.0 {
			t.Errorf("a cancelled job ran: %v", job)
		}
		MustDiff(t, "results", []string{"line,userId,action,outcome,reason", "2," + ids["j3"] + ",suspend,,", "3," + ids["j4"] + ",suspend,,"},
			s.mustResults(t, id))
		list := s.MustOK(t, s.A, http.StatusOK, "GET", "/lethe/v1/jobs?perPage=1000", "")
		found := false
		for _, j := range list["results"].([]any) {
			found = found || j.(map[string]any)["id"] == id
		}
		if list["pagination"].(map[string]any)["totalResults"] != 6.0 || !found {
			t.Errorf("job list = %v", list)
		}
	})
	t.Run("ErrBadInput", func(t *testing.T) {
		for body, field := range map[string]string{
			`{"action":"suspend","selector":{"csv":"Name,Dept\nA,B\n"}}`:           "selector.csv",
			`{"action":"suspend","selector":{"csv":""}}`:                           "selector.csv",
			`{"action":"suspend","selector":{}}`:                                   "selector",
			`{"action":"suspend","selector":{"csv":"ref\n","audienceId":"ORG"}}`:   "selector",
			`{"action":"suspend","selector":{"query":{"statuses":["gone"]}}}`:      "selector.query.statuses[0]",
			`{"action":"suspend","selector":{"query":{"createdBefore":"soon"}}}`:   "selector.query.createdBefore",
			`{"action":"suspend","selector":{"query":{"colour":"red"}}}`:           "selector.query.colour",
			`{"action":"shred","selector":{"csv":"ref\nj1\n"}}`:                    "action",
			`{"selector":{"csv":"ref\nj1\n"}}`:                                     "action",
			`{"action":"suspend"}`:                                                 "selector",
			`{"action":"purge","endDate":"2026-01-01","selector":{"csv":"ref\n"}}`: "endDate",
		} {
			MustError(t, s.Do(t, s.A, "POST", "/lethe/v1/jobs", body), http.StatusUnprocessableEntity, "invalid", field)
		}
		e := MustError(t, s.Do(t, s.A, "POST", "/lethe/v1/jobs", `{"action":"suspend","selector":{"csv":"Name,Dept\nA,B\n"}}`),
			http.StatusUnprocessableEntity, "invalid", "selector.csv")
		if !strings.Contains(e["message"].(string), "Name, Dept") {
			t.Errorf("message %q does not name the header found", e["message"])
		}
		// A stray quote in a data line: a 422 naming the line, not a 500.
		e = MustError(t, s.Do(t, s.A, "POST", "/lethe/v1/jobs", `{"action":"suspend","selector":{"csv":"ref\nab\"c\n"}}`),
			http.StatusUnprocessableEntity, "invalid", "selector.csv")
		if !strings.Contains(e["message"].(string), "line 2") {
			t.Errorf("message %q does not name the line", e["message"])
		}
		MustError(t, s.Do(t, s.A, "POST", "/lethe/v1/jobs", `{"action":"suspend","selector":{"audienceId":"NOPE"}}`), http.StatusNotFound, "not_found")
		MustError(t, s.Do(t, s.A, "GET", "/lethe/v1/jobs/000000000000000000000000", ""), http.StatusNotFound, "not_found")
		MustError(t, s.Do(t, s.A, "GET", "/lethe/v1/jobs/nope", ""), http.StatusNotFound, "not_found")
		MustError(t, s.Do(t, s.A, "GET", "/lethe/v1/jobs?kind=other", ""), http.StatusUnprocessableEntity, "invalid", "kind")
	})
}

func TestDormantAudit(t *testing.T) {
	s := MustStartServer(t)
	day := 24 * time.Hour
	s.Clock.Set(t0.Add(-400 * day))
	ids := map[string]string{}
	mk := func(ref string, fields map[string]any) { ids[ref] = MustID(t, s.MustCreateUser(t, s.A, ref, fields)) }
	mk("never-empty", nil)                                                          // never signed in, no history: purge
	mk("never-enrolled", nil)                                                       // never signed in, enrolled: suspend
	mk("gone-quiet", nil)                                                           // signed in long ago: suspend
	mk("admin-quiet", map[string]any{"role": "administrator"})                      // excluded by role
	mk("board-quiet", nil)                                                          // excluded by audience
	mk("leaver", map[string]any{"endDate": t0.Add(-10 * day).Format("2006-01-02")}) // end date passed: suspend
	mk("comes-back", nil)                                                           // signed in long ago, back before the job runs
	for _, ref := range []string{"gone-quiet", "admin-quiet", "board-quiet", "leaver", "comes-back"} {
		s.MustOK(t, s.A, http.StatusOK, "POST", "/lethe/v1/users/"+ids[ref]+"/logins", "")
	}
	s.MustCreateContent(t, s.A, contentA, nil)
	s.MustOK(t, s.A, http.StatusCreated, "POST", "/rest/v1/audiences", `{"name":"Org","reference":"ORG"}`)
	s.MustOK(t, s.A, http.StatusCreated, "POST", "/rest/v1/audiences", `{"name":"Board","reference":"BOARD","parentId":"ORG"}`)
	s.MustOK(t, s.A, http.StatusCreated, "POST", "/rest/v1/audiences", `{"name":"Staff","reference":"STAFF","parentId":"ORG"}`)
	s.MustOK(t, s.A, http.StatusOK, "POST", "/rest/v1/audiences/BOARD/members", `["board-quiet"]`)
	s.MustOK(t, s.A, http.StatusOK, "POST", "/rest/v1/audiences/STAFF/members", `["never-enrolled"]`)
	s.MustOK(t, s.A, http.StatusCreated, "POST", "/rest/v1/assignments", `{"audienceId":"STAFF","contentId":"`+contentA+`"}`)
	s.Clock.Set(t0)
	mk("recent", nil)
	rules := `{"neverLoggedInDays":365,"inactiveDays":180,"endDatePassed":true,"exclude":{"roles":["administrator"],"audiences":["BOARD"]}}`
	var id string
	t.Run("OKPreview", func(t *testing.T) {
		got := s.MustOK(t, s.A, http.StatusCreated, "POST", "/lethe/v1/audits/dormant", rules)
		id = MustID(t, got)
		if got["state"] != "preview" || got["kind"] != "dormant" || got["total"] != 5.0 {
			t.Errorf("preview = %v", got)
		}
		MustDiff(t, "actions", map[string]any{"purge": 1.0, "suspend": 4.0}, got["actions"])
		if ex := got["rules"].(map[string]any)["exclude"].(map[string]any); len(ex["audiences"].([]any)) != 1 || ex["audiences"].([]any)[0] == "BOARD" {
			t.Errorf("the report keeps the audience's id: %v", ex)
		}
		lines := s.mustResults(t, id)
		if len(lines) != 6 || strings.Count(strings.Join(lines, "\n"), ",purge,") != 1 {
			t.Errorf("preview CSV = %q", lines)
		}
		MustDiff(t, "report", got, s.MustOK(t, s.A, http.StatusOK, "GET", "/lethe/v1/audits/dormant/"+id, ""))
		list := s.MustOK(t, s.A, http.StatusOK, "GET", "/lethe/v1/audits/dormant", "")
		if list["pagination"].(map[string]any)["totalResults"] != 1.0 {
			t.Errorf("reports = %v", list)
		}
		if n := s.runJobs(t); n != 0 {
			t.Errorf("a preview ran %d items", n)
		}
	})
	t.Run("OKApplyChecksAgain", func(t *testing.T) {
		s.MustOK(t, s.A, http.StatusOK, "POST", "/lethe/v1/users/"+ids["comes-back"]+"/logins", "")
		job := s.MustOK(t, s.A, http.StatusAccepted, "POST", "/lethe/v1/audits/dormant/"+id+"/apply", "")
		if job["state"] != "queued" || job["id"] != id {
			t.Errorf("applied = %v", job)
		}
		MustError(t, s.Do(t, s.A, "POST", "/lethe/v1/audits/dormant/"+id+"/apply", ""), http.StatusConflict, "conflict")
		s.runJobs(t)
		job = s.mustJob(t, id)
		MustDiff(t, "outcomes", map[string]any{"done": 4.0, "unchanged": 0.0, "skipped": 1.0, "failed": 0.0, "excluded": 0.0}, job["outcomes"])
		MustError(t, s.Do(t, s.A, "GET", "/rest/v1/user/"+ids["never-empty"], ""), http.StatusNotFound, "not_found")
		for ref, want := range map[string]string{"never-enrolled": "inactive", "gone-quiet": "inactive", "leaver": "inactive",
			"comes-back": "active", "admin-quiet": "active", "board-quiet": "active", "recent": "new"} {
			if got := s.MustGetUser(t, s.A, ids[ref])["status"]; got != want {
				t.Errorf("%s after the audit: %v, want %s", ref, got, want)
			}
		}
	})
	t.Run("ErrBadInput", func(t *testing.T) {
		for body, field := range map[string]string{
			`{}`:                       "rules",
			`{"neverLoggedInDays":-1}`: "neverLoggedInDays",
			`{"inactiveDays":1.5}`:     "inactiveDays",
			`{"endDatePassed":true,"exclude":{"roles":["x"]}}`:        "exclude.roles[0]",
			`{"endDatePassed":true,"exclude":{"audiences":["NOPE"]}}`: "exclude.audiences[0]",
			`{"endDatePassed":true,"exclude":{"teams":[]}}`:           "exclude.teams",
			`{"idleDays":3}`: "idleDays",
		} {
			MustError(t, s.Do(t, s.A, "POST", "/lethe/v1/audits/dormant", body), http.StatusUnprocessableEntity, "invalid", field)
		}
		bulk := MustID(t, s.MustOK(t, s.A, http.StatusAccepted, "POST", "/lethe/v1/jobs", `{"action":"suspend","selector":{"csv":"ref\nrecent\n"}}`))
		MustError(t, s.Do(t, s.A, "GET", "/lethe/v1/audits/dormant/"+bulk, ""), http.StatusNotFound, "not_found")
		MustError(t, s.Do(t, s.A, "POST", "/lethe/v1/audits/dormant/"+bulk+"/apply", ""), http.StatusNotFound, "not_found")
	})
}

// TestDormantAudit_Exclude: a reviewer takes users out of a preview, which
// then leaves them as they are when applied; the route takes only a preview
// of the caller's tenant and a body naming its items.
func TestDormantAudit_Exclude(t *testing.T) {
	s := MustStartServer(t)
	s.Clock.Set(t0.Add(-400 * 24 * time.Hour))
	ids := map[string]string{}
	for _, ref := range []string{"x1", "x2", "x3", "x4"} {
		ids[ref] = MustID(t, s.MustCreateUser(t, s.A, ref, map[string]any{"endDate": t0.Add(-10 * 24 * time.Hour).Format("2006-01-02")}))
	}
	s.Clock.Set(t0)
	before := s.MustGetUser(t, s.A, ids["x1"])["status"]
	id := MustID(t, s.MustOK(t, s.A, http.StatusCreated, "POST", "/lethe/v1/audits/dormant", `{"endDatePassed":true}`))
	path := "/lethe/v1/jobs/" + id + "/exclude"
	two := `{"userIds":["` + ids["x1"] + `","` + ids["x2"] + `","` + ids["x1"] + `"]}`
	t.Run("OK", func(t *testing.T) {
		for range 2 { // the second time changes nothing
			job := s.MustOK(t, s.A, http.StatusOK, "POST", path, two)
			if job["state"] != "preview" || job["total"] != 4.0 || job["done"] != 2.0 {
				t.Errorf("after the exclusion: %v", job)
			}
			MustDiff(t, "outcomes", map[string]any{"done": 0.0, "unchanged": 0.0, "skipped": 0.0, "failed": 0.0, "excluded": 2.0}, job["outcomes"])
		}
		if got := strings.Join(s.mustResults(t, id), "\n"); strings.Count(got, ",excluded,excluded by the reviewer") != 2 {
			t.Errorf("preview CSV = %q", got)
		}
	})
	t.Run("ErrBadInput", func(t *testing.T) {
		many := strings.TrimSuffix(strings.Repeat(`"`+ids["x3"]+`",`, 10_001), ",")
		for body, want := range map[string]int{
			`{}`:                              http.StatusUnprocessableEntity,
			`{"userIds":null}`:                http.StatusUnprocessableEntity,
			`{"userIds":[]}`:                  http.StatusUnprocessableEntity,
			`{"userIds":"` + ids["x3"] + `"}`: http.StatusBadRequest,
			`{"userIds":[1]}`:                 http.StatusBadRequest,
			`{"userIds":["` + ids["x3"] + `","000000000000000000000abc"]}`: http.StatusUnprocessableEntity,
			`{"userIds":[` + many + `]}`:                                   http.StatusUnprocessableEntity,
		} {
			code := map[int]string{http.StatusBadRequest: "bad_request", http.StatusUnprocessableEntity: "invalid"}[want]
			e := MustError(t, s.Do(t, s.A, "POST", path, body), want, code, "userIds")
			if strings.Contains(e["message"].(string), "abc") || strings.Contains(e["message"].(string), ids["x3"]) {
				t.Errorf("the message names an id: %v", e)
			}
		}
		MustError(t, s.Do(t, s.A, "POST", path, `{"ids":["`+ids["x3"]+`"]}`), http.StatusUnprocessableEntity, "invalid", "ids")
		MustError(t, s.Do(t, s.A, "POST", path, `[]`), http.StatusBadRequest, "bad_request")
		MustError(t, s.Do(t, s.A, "POST", "/lethe/v1/jobs/000000000000000000000000/exclude", two), http.StatusNotFound, "not_found")
		// Another tenant's preview is not found, and stays as it was.
		MustError(t, s.Do(t, s.B, "POST", path, `{"userIds":["`+ids["x3"]+`"]}`), http.StatusNotFound, "not_found")
		if job := s.mustJob(t, id); job["outcomes"].(map[string]any)["excluded"] != 2.0 {
			t.Errorf("after B's attempt and the refused ones: %v", job)
		}
	})
	t.Run("OKApply", func(t *testing.T) {
		s.MustOK(t, s.A, http.StatusAccepted, "POST", "/lethe/v1/audits/dormant/"+id+"/apply", "")
		MustError(t, s.Do(t, s.A, "POST", path, `{"userIds":["`+ids["x3"]+`"]}`), http.StatusConflict, "conflict")
		if n := s.runJobs(t); n != 2 {
			t.Errorf("the job processed %d items, want the 2 not excluded", n)
		}
		job := s.mustJob(t, id)
		MustDiff(t, "outcomes", map[string]any{"done": 2.0, "unchanged": 0.0, "skipped": 0.0, "failed": 0.0, "excluded": 2.0}, job["outcomes"])
		if job["state"] != "succeeded" || job["done"] != 4.0 {
			t.Errorf("applied = %v", job)
		}
		for ref, want := range map[string]any{"x1": before, "x2": before, "x3": "inactive", "x4": "inactive"} {
			if got := s.MustGetUser(t, s.A, ids[ref])["status"]; got != want {
				t.Errorf("%s after the audit: %v, want %v", ref, got, want)
			}
		}
		MustError(t, s.Do(t, s.A, "POST", path, two), http.StatusConflict, "conflict")
	})
}

func TestDormantAudit_Schedule(t *testing.T) {
	s := MustStartServer(t)
	jobs := sqldb.NewJobService(s.db)
	run := func(t *testing.T) int {
		t.Helper()
		n, err := jobs.RunScheduledAudits(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	s.MustCreateUser(t, s.A, "sched-1", nil)
	if n := run(t); n != 0 {
		t.Errorf("%d audits without a schedule", n)
	}
	got := s.MustOK(t, s.A, http.StatusOK, "PATCH", "/lethe/v1/settings", `{"audits":{"dormant":{"everyDays":90,"rules":{"neverLoggedInDays":0}}}}`)
	if a := got["audits"].(map[string]any)["dormant"].(map[string]any); a["everyDays"] != 90.0 || a["rules"].(map[string]any)["neverLoggedInDays"] != 0.0 {
		t.Errorf("settings = %v", got)
	}
	if n := run(t); n != 1 {
		t.Fatalf("%d scheduled audits, want 1", n)
	}
	if n := run(t); n != 0 {
		t.Errorf("%d more before the period ended", n)
	}
	s.Clock.Set(t0.Add(91 * 24 * time.Hour))
	if n := run(t); n != 1 {
		t.Errorf("%d after the period, want 1", n)
	}
	list := s.MustOK(t, s.A, http.StatusOK, "GET", "/lethe/v1/audits/dormant", "")["results"].([]any)
	if len(list) != 2 || list[0].(map[string]any)["source"] != "policy" || list[0].(map[string]any)["state"] != "preview" {
		t.Errorf("reports = %v", list)
	}
	got = s.MustOK(t, s.A, http.StatusOK, "PATCH", "/lethe/v1/settings", `{"audits":{"dormant":null}}`)
	if got["audits"].(map[string]any)["dormant"] != nil {
		t.Errorf("after stopping: %v", got)
	}
	for body, field := range map[string]string{
		`{"audits":{"dormant":{"everyDays":0,"rules":{"endDatePassed":true}}}}`:                                   "audits.dormant.everyDays",
		`{"audits":{"dormant":{"everyDays":30,"rules":{}}}}`:                                                      "audits.dormant.rules",
		`{"audits":{"dormant":{"everyDays":30,"rules":{"inactiveDays":-3}}}}`:                                     "audits.dormant.rules.inactiveDays",
		`{"audits":{"weekly":{}}}`:                                                                                "audits.weekly",
		`{"audits":{"dormant":{"everyDays":30,"when":"now"}}}`:                                                    "audits.dormant.when",
		`{"audits":{"dormant":{"everyDays":30,"rules":{"endDatePassed":true,"exclude":{"audiences":["NOPE"]}}}}}`: "audits.dormant.rules.exclude.audiences[0]",
	} {
		MustError(t, s.Do(t, s.A, "PATCH", "/lethe/v1/settings", body), http.StatusUnprocessableEntity, "invalid", field)
	}
}
