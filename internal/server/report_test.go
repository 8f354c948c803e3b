package server_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// days is t0 plus d days.
func days(d int) time.Time { return t0.Add(time.Duration(d) * 24 * time.Hour) }

// mustCSV checks a CSV answer and returns its lines.
func mustCSV(tb testing.TB, res *response) []string {
	tb.Helper()
	if res.Status != http.StatusOK {
		tb.Fatalf("status = %d, want 200; body: %s", res.Status, res.Body)
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		tb.Fatalf("Content-Type = %q, want text/csv; charset=utf-8", ct)
	}
	body := string(res.Body)
	if !strings.HasSuffix(body, "\r\n") {
		tb.Fatalf("CSV does not end its last line with CRLF: %q", body)
	}
	return strings.Split(strings.TrimSuffix(body, "\r\n"), "\r\n")
}

// getCSV sends GET path with Accept: text/csv.
func (s *testServer) getCSV(tb testing.TB, as Tenant, path string) *response {
	tb.Helper()
	req := s.NewRequest(tb, as, "GET", path, "")
	req.Header.Set("Accept", "text/csv")
	return s.Send(tb, req)
}

// TestReports_Headcount builds a lifecycle history at different times (join,
// suspend, reactivate, erase, join late, leave) and counts it as of dates
// around each change.
func TestReports_Headcount(t *testing.T) {
	s := MustStartServer(t)
	ids := map[string]string{}
	for _, ref := range []string{"hc-1", "hc-2", "hc-3", "hc-4"} {
		ids[ref] = MustID(t, s.MustCreateUser(t, s.A, ref, map[string]any{"firstName": "Hedy", "lastName": "Count"}))
	}
	s.MustCreateUser(t, s.B, "hc-b", nil)
	s.MustCreateAudience(t, s.A, map[string]any{"name": "Org", "reference": "ORG"})
	team := MustID(t, s.MustCreateAudience(t, s.A, map[string]any{"name": "Team", "reference": "TEAM", "parentId": "ORG"}))
	s.MustOK(t, s.A, http.StatusOK, "POST", "/rest/v1/audiences/TEAM/members", `["hc-1","hc-3","hc-4"]`)
	s.Clock.Set(days(10)) // 2025-03-11
	s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v2/users/ref/hc-2/suspend", `{}`)
	s.Clock.Set(days(20)) // 2025-03-21
	s.MustOK(t, s.A, http.StatusOK, "POST", "/lethe/v1/users/"+ids["hc-2"]+"/reactivate", "")
	s.Clock.Set(days(30)) // 2025-03-31T09:00:00.123Z
	s.MustOK(t, s.A, http.StatusOK, "DELETE", "/rest/v2/users/ref/hc-3", "")
	s.Clock.Set(days(40)) // 2025-04-10
	s.MustCreateUser(t, s.A, "hc-5", nil)
	s.Clock.Set(days(45)) // 2025-04-15
	s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v2/users/ref/hc-4/suspend", `{}`)
	s.Clock.Set(days(50).Add(time.Hour))

	count := func(asOf string, active, suspended, deleted int) map[string]any {
		return map[string]any{"asOf": asOf, "headcount": float64(active),
			"byState": map[string]any{"active": float64(active), "suspended": float64(suspended), "deleted": float64(deleted)}}
	}
	for _, c := range []struct {
		name, query string
		want        map[string]any
	}{
		{"Now", "", count("2025-04-20T10:00:00.123Z", 3, 1, 1)},
		{"BeforeAnyone", "?asOf=2025-02-28", count("2025-02-28T23:59:59.999Z", 0, 0, 0)},
		{"DateIsTheEndOfTheDay", "?asOf=2025-03-01", count("2025-03-01T23:59:59.999Z", 4, 0, 0)},
		{"JustBeforeTheFirst", "?asOf=2025-03-01T09:00:00.122Z", count("2025-03-01T09:00:00.122Z", 0, 0, 0)},
		{"Suspended", "?asOf=2025-03-15", count("2025-03-15T23:59:59.999Z", 3, 1, 0)},
		{"Reactivated", "?asOf=2025-03-21", count("2025-03-21T23:59:59.999Z", 4, 0, 0)},
		// A leaver is counted up to the moment they leave.
		{"JustBeforeTheErasure", "?asOf=2025-03-31T09:00:00.122Z", count("2025-03-31T09:00:00.122Z", 4, 0, 0)},
		{"AtTheErasure", "?asOf=2025-03-31T09:00:00.123Z", count("2025-03-31T09:00:00.123Z", 3, 0, 1)},
		{"WithAZone", "?asOf=2025-03-31T10:00:00.123%2B01:00", count("2025-03-31T09:00:00.123Z", 3, 0, 1)},
		{"WithoutAZone", "?asOf=2025-04-10T08:00:00", count("2025-04-10T08:00:00.000Z", 3, 0, 1)},
		{"LateJoiner", "?asOf=2025-04-10T09:00:00.123Z", count("2025-04-10T09:00:00.123Z", 4, 0, 1)},
		{"Future", "?asOf=2030-01-01", count("2030-01-01T23:59:59.999Z", 3, 1, 1)},
		{"EmptyMeansNow", "?asOf=&audienceId=", count("2025-04-20T10:00:00.123Z", 3, 1, 1)},
	} {
		t.Run("OK"+c.name, func(t *testing.T) {
			res := s.Do(t, s.A, "GET", "/lethe/v1/reports/headcount"+c.query, "")
			MustStatus(t, res, http.StatusOK)
			MustDiff(t, "headcount", c.want, res.Object(t))
			MustNotContain(t, res, "hc-", "Hedy", "example.com")
		})
	}
	t.Run("OKAudience", func(t *testing.T) {
		// Current members only: the erased hc-3 left the audience with the
		// erasure.
		for q, want := range map[string]map[string]any{
			"?audienceId=TEAM&asOf=2025-03-01":       count("2025-03-01T23:59:59.999Z", 2, 0, 0),
			"?audienceId=" + team:                    count("2025-04-20T10:00:00.123Z", 1, 1, 0),
			"?audienceId=TEAM&asOf=2025-02-01":       count("2025-02-01T23:59:59.999Z", 0, 0, 0),
			"?audienceId=ORG&asOf=2025-03-01":        count("2025-03-01T23:59:59.999Z", 0, 0, 0),
			"?audienceId=%20TEAM%20&asOf=2025-03-01": count("2025-03-01T23:59:59.999Z", 2, 0, 0),
		} {
			res := s.Do(t, s.A, "GET", "/lethe/v1/reports/headcount"+q, "")
			MustStatus(t, res, http.StatusOK)
			if strings.Contains(q, "ORG") {
				want["audienceId"] = s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/audiences/ORG", "")["id"]
			} else {
				want["audienceId"] = team
			}
			MustDiff(t, "headcount "+q, want, res.Object(t))
		}
	})
	t.Run("OKOtherTenant", func(t *testing.T) {
		got := s.MustOK(t, s.B, http.StatusOK, "GET", "/lethe/v1/reports/headcount", "")
		MustDiff(t, "B's headcount", count("2025-04-20T10:00:00.123Z", 1, 0, 0), got)
	})
	t.Run("OKCSV", func(t *testing.T) {
		want := []string{"asOf,headcount,active,suspended,deleted", "2025-03-15T23:59:59.999Z,3,3,1,0"}
		MustDiff(t, "CSV by format", want, mustCSV(t, s.Do(t, s.A, "GET", "/lethe/v1/reports/headcount?asOf=2025-03-15&format=csv", "")))
		MustDiff(t, "CSV by format (upper case)", want, mustCSV(t, s.Do(t, s.A, "GET", "/lethe/v1/reports/headcount?asOf=2025-03-15&format=CSV", "")))
		res := s.getCSV(t, s.A, "/lethe/v1/reports/headcount?asOf=2025-03-15")
		MustDiff(t, "CSV by Accept", want, mustCSV(t, res))
		if res.Header.Get("Vary") != "Accept" {
			t.Errorf("Vary = %q, want Accept", res.Header.Get("Vary"))
		}
		for _, accept := range []string{"text/csv;q=0.9, application/json;q=0.5", "text/csv, */*;q=0.1", "TEXT/CSV"} {
			req := s.NewRequest(t, s.A, "GET", "/lethe/v1/reports/headcount?asOf=2025-03-15", "")
			req.Header.Set("Accept", accept)
			MustDiff(t, "CSV by Accept "+accept, want, mustCSV(t, s.Send(t, req)))
		}
	})
	t.Run("OKJSONUnlessCSVIsPreferred", func(t *testing.T) {
		for _, accept := range []string{"", "*/*", "application/json, text/csv", "text/csv;q=0.1, application/json", "text/*", "text/csv;q=0",
			"text/csv;q=bad"} {
			req := s.NewRequest(t, s.A, "GET", "/lethe/v1/reports/headcount?asOf=2025-03-15", "")
			req.Header.Set("Accept", accept)
			MustStatus(t, s.Send(t, req), http.StatusOK)
		}
		// format wins over Accept.
		res := s.getCSV(t, s.A, "/lethe/v1/reports/headcount?asOf=2025-03-15&format=json")
		MustStatus(t, res, http.StatusOK)
		MustDiff(t, "format=json", count("2025-03-15T23:59:59.999Z", 3, 1, 0), res.Object(t))
	})
	t.Run("ErrBadInput", func(t *testing.T) {
		for _, q := range []string{"asOf=2025-13-01", "asOf=2025-02-30", "asOf=yesterday", "asOf=1741000000", "asOf=2025-03-01T25:00:00Z",
			"asOf=0000-01-01"} {
			MustError(t, s.Do(t, s.A, "GET", "/lethe/v1/reports/headcount?"+q, ""), http.StatusUnprocessableEntity, "invalid", "asOf")
		}
		// NUL is refused on every route before the parameter is read (ADR 0020).
		MustError(t, s.Do(t, s.A, "GET", "/lethe/v1/reports/headcount?asOf=%00", ""), http.StatusBadRequest, "bad_request", "asOf")
		for _, q := range []string{"format=xml", "format=csv2", "format=xml&asOf=bad"} {
			MustError(t, s.Do(t, s.A, "GET", "/lethe/v1/reports/headcount?"+q, ""), http.StatusUnprocessableEntity, "invalid", "format")
		}
		// A CSV request that fails answers the JSON error body.
		MustError(t, s.getCSV(t, s.A, "/lethe/v1/reports/headcount?asOf=never"), http.StatusUnprocessableEntity, "invalid", "asOf")
		for _, aud := range []string{"NOPE", "650000000000000000000999", "hc-1"} {
			MustError(t, s.Do(t, s.A, "GET", "/lethe/v1/reports/headcount?audienceId="+aud, ""), http.StatusNotFound, "not_found", "audienceId")
		}
		// B cannot name A's audience.
		for _, aud := range []string{"TEAM", team} {
			MustError(t, s.Do(t, s.B, "GET", "/lethe/v1/reports/headcount?audienceId="+aud, ""), http.StatusNotFound, "not_found", "audienceId")
		}
	})
}

// TestReports_Compliance builds enrolments in every status at different
// times (a completion, a late completion, a joiner, a leaver, an erasure, a
// deleted assignment) and reports them as of dates between the changes.
func TestReports_Compliance(t *testing.T) {
	s := MustStartServer(t)
	f := s.mustComplianceFixture(t, s.A, "cp-a", "cp-b", "cp-c")
	u := f.users
	u["cp-d"] = MustID(t, s.MustCreateUser(t, s.A, "cp-d", map[string]any{"firstName": "Grace", "lastName": "Zuse"}))
	side := MustID(t, s.MustCreateAudience(t, s.A, map[string]any{"name": "Side", "reference": "SIDE", "parentId": "ORG"}))
	s.MustOK(t, s.A, http.StatusOK, "POST", "/rest/v1/audiences/SIDE/members", `["cp-b"]`)
	// A1: the team's, due 14 days after t0 (2025-03-15T09:00:00.123Z).
	a1 := MustID(t, s.MustOK(t, s.A, http.StatusCreated, "POST", "/rest/v1/assignments",
		`{"audienceId":"TEAM","contentId":"`+contentA+`","completionPeriod":14}`))
	s.Clock.Set(days(1))
	a2 := MustID(t, s.MustOK(t, s.A, http.StatusCreated, "POST", "/rest/v1/assignments",
		`{"audienceId":"SIDE","contentId":"`+contentB+`","completionPeriod":30}`))
	complete := func(ref, content, at string) {
		s.MustOK(t, s.A, http.StatusCreated, "POST", "/rest/v1/learning/completions",
			`{"userId":"`+u[ref]+`","contentId":"`+content+`","completedAt":"`+at+`"}`)
	}
	s.Clock.Set(days(3))
	complete("cp-a", contentA, "2025-03-04T09:00:00.123Z")
	s.Clock.Set(days(5)) // cp-d joins: due 2025-03-20T09:00:00.123Z
	s.MustOK(t, s.A, http.StatusOK, "POST", "/rest/v1/audiences/TEAM/members", `["cp-d"]`)
	s.Clock.Set(days(7))
	s.MustOK(t, s.A, http.StatusOK, "DELETE", "/rest/v1/audiences/TEAM/members/cp-c", "")
	s.Clock.Set(days(10))
	s.MustOK(t, s.A, http.StatusOK, "DELETE", "/rest/v1/assignments/"+a2, `{"audienceId":"SIDE"}`)
	s.Clock.Set(days(21)) // cp-b, overdue since the 15th, completes on the 20th
	complete("cp-b", contentA, "2025-03-20")
	s.Clock.Set(days(25))
	s.MustOK(t, s.A, http.StatusOK, "DELETE", "/rest/v2/users/ref/cp-a", "")
	s.Clock.Set(days(60))

	statuses := func(kv ...any) map[string]any {
		m := map[string]any{"archived": 0.0, "complete": 0.0, "open": 0.0, "overdue": 0.0, "scheduled": 0.0, "unassigned": 0.0}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = float64(kv[i+1].(int))
		}
		return m
	}
	person := func(ref, status string, last any) map[string]any {
		return map[string]any{"userId": u[ref], "status": status, "lastCompletedAt": last, "deleted": ref == "cp-a"}
	}
	// people orders the rows by user id, as the report does.
	people := func(rows ...map[string]any) []any {
		slices.SortFunc(rows, func(a, b map[string]any) int { return strings.Compare(a["userId"].(string), b["userId"].(string)) })
		out := []any{}
		for _, r := range rows {
			out = append(out, r)
		}
		return out
	}
	assignment := func(id, audience, content string, by map[string]any, completions int, rows []any) map[string]any {
		return map[string]any{"assignmentId": id, "audienceId": audience, "contentId": content, "enrolments": float64(len(rows)),
			"byStatus": by, "completions": float64(completions), "overdue": by["overdue"], "people": rows}
	}
	archived := assignment(a2, side, contentB, statuses("archived", 1), 0, people(person("cp-b", "archived", nil)))
	midMarch := []any{
		assignment(a1, f.aud, contentA, statuses("complete", 1, "overdue", 1, "unassigned", 1, "open", 1), 1, people(
			person("cp-a", "complete", "2025-03-04T09:00:00.123Z"), person("cp-b", "overdue", nil),
			person("cp-c", "unassigned", nil), person("cp-d", "open", nil))),
		archived,
	}
	endOfMarch := []any{
		assignment(a1, f.aud, contentA, statuses("complete", 1, "overdue", 1, "unassigned", 2), 1, people(
			person("cp-a", "unassigned", "2025-03-04T09:00:00.123Z"), person("cp-b", "complete", "2025-03-20T00:00:00.000Z"),
			person("cp-c", "unassigned", nil), person("cp-d", "overdue", nil))),
		archived,
	}
	for _, c := range []struct {
		name, query string
		want        map[string]any
	}{
		{"MidMarch", "from=2025-03-01&to=2025-03-16", map[string]any{"from": "2025-03-01T00:00:00.000Z", "to": "2025-03-16T23:59:59.999Z",
			"audienceId": nil, "assignments": midMarch}},
		// cp-a was erased on the 26th: unassigned since, and shown by id only.
		{"EndOfMarch", "from=2025-03-17&to=2025-03-31", map[string]any{"from": "2025-03-17T00:00:00.000Z", "to": "2025-03-31T23:59:59.999Z",
			"audienceId": nil, "assignments": endOfMarch}},
		{"BeforeAnyAssignment", "from=2025-01-01&to=2025-03-01T09:00:00.122Z", map[string]any{"from": "2025-01-01T00:00:00.000Z",
			"to": "2025-03-01T09:00:00.122Z", "audienceId": nil, "assignments": []any{}}},
		{"OneDay", "from=2025-03-02&to=2025-03-02", map[string]any{"from": "2025-03-02T00:00:00.000Z", "to": "2025-03-02T23:59:59.999Z",
			"audienceId": nil, "assignments": []any{
				assignment(a1, f.aud, contentA, statuses("open", 3), 0, people(person("cp-a", "open", nil), person("cp-b", "open", nil),
					person("cp-c", "open", nil))),
				assignment(a2, side, contentB, statuses("open", 1), 0, people(person("cp-b", "open", nil)))}}},
		{"AudienceByReference", "from=2025-03-01&to=2025-03-16&audienceId=TEAM", map[string]any{"from": "2025-03-01T00:00:00.000Z",
			"to": "2025-03-16T23:59:59.999Z", "audienceId": f.aud, "assignments": midMarch[:1]}},
		{"AudienceByID", "from=2025-03-17T00:00:00Z&to=2025-03-31T23:59:59.999Z&audienceId=" + side, map[string]any{
			"from": "2025-03-17T00:00:00.000Z", "to": "2025-03-31T23:59:59.999Z", "audienceId": side, "assignments": endOfMarch[1:]}},
	} {
		t.Run("OK"+c.name, func(t *testing.T) {
			res := s.Do(t, s.A, "GET", "/lethe/v1/reports/compliance?"+c.query, "")
			MustStatus(t, res, http.StatusOK)
			MustDiff(t, "report", c.want, res.Object(t))
			MustNotContain(t, res, "cp-", "example.com", "Grace", "Zuse")
		})
	}
	t.Run("OKCSV", func(t *testing.T) {
		want := []string{"assignmentId,audienceId,userId,status,lastCompletedAt,deleted"}
		for _, a := range endOfMarch {
			a := a.(map[string]any)
			for _, p := range a["people"].([]any) {
				p := p.(map[string]any)
				last, _ := p["lastCompletedAt"].(string)
				deleted := "false"
				if p["deleted"] == true {
					deleted = "true"
				}
				want = append(want, strings.Join([]string{a["assignmentId"].(string), a["audienceId"].(string), p["userId"].(string),
					p["status"].(string), last, deleted}, ","))
			}
		}
		if len(want) != 6 {
			t.Fatalf("the expected CSV has %d lines, want 6", len(want))
		}
		res := s.getCSV(t, s.A, "/lethe/v1/reports/compliance?from=2025-03-17&to=2025-03-31")
		MustDiff(t, "CSV by Accept", want, mustCSV(t, res))
		MustNotContain(t, res, "cp-", "example.com", "Grace", "Zuse")
		MustDiff(t, "CSV by format", want, mustCSV(t, s.Do(t, s.A, "GET", "/lethe/v1/reports/compliance?from=2025-03-17&to=2025-03-31&format=csv", "")))
		// No assignment: the header alone.
		MustDiff(t, "empty CSV", want[:1], mustCSV(t, s.getCSV(t, s.A, "/lethe/v1/reports/compliance?from=2025-01-01&to=2025-01-02")))
	})
	t.Run("OKOtherTenant", func(t *testing.T) {
		got := s.MustOK(t, s.B, http.StatusOK, "GET", "/lethe/v1/reports/compliance?from=2025-01-01&to=2030-01-01", "")
		if len(got["assignments"].([]any)) != 0 {
			t.Errorf("B's report = %v", got)
		}
	})
	t.Run("ErrBadInput", func(t *testing.T) {
		for _, c := range []struct{ query, field string }{
			{"to=2025-03-31", "from"},
			{"from=2025-03-01", "to"},
			{"", "from"},
			{"from=&to=2025-03-31", "from"},
			{"from=2025-03-01&to=", "to"},
			{"from=March&to=2025-03-31", "from"},
			{"from=2025-03-01&to=2025-02-30", "to"},
			{"from=2025-03-01&to=2025-03-31T24:30:00Z", "to"},
			{"from=2025-03-02&to=2025-03-01", "to"},
			{"from=2025-03-01T10:00:00Z&to=2025-03-01T09:59:59.999Z", "to"},
			{"from=2025-03-01&to=2025-03-31&format=xlsx", "format"},
		} {
			res := s.Do(t, s.A, "GET", "/lethe/v1/reports/compliance?"+c.query, "")
			MustError(t, res, http.StatusUnprocessableEntity, "invalid", c.field)
		}
		for _, aud := range []string{"NOPE", "650000000000000000000999"} {
			MustError(t, s.Do(t, s.A, "GET", "/lethe/v1/reports/compliance?from=2025-03-01&to=2025-03-31&audienceId="+aud, ""),
				http.StatusNotFound, "not_found", "audienceId")
		}
		for _, aud := range []string{"TEAM", f.aud} {
			MustError(t, s.Do(t, s.B, "GET", "/lethe/v1/reports/compliance?from=2025-03-01&to=2025-03-31&audienceId="+aud, ""),
				http.StatusNotFound, "not_found", "audienceId")
		}
	})
	t.Run("OKSameDayIsOneDay", func(t *testing.T) {
		// from and to on the same instant is a period of one moment.
		got := s.MustOK(t, s.A, http.StatusOK, "GET", "/lethe/v1/reports/compliance?from=2025-03-04T09:00:00.123Z&to=2025-03-04T09:00:00.123Z", "")
		a := got["assignments"].([]any)[0].(map[string]any)
		if a["completions"] != 1.0 || a["byStatus"].(map[string]any)["complete"] != 1.0 {
			t.Errorf("report of the completion's moment = %v", a)
		}
	})
}
