package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// activity is one item of an ingestion batch.
func activity(id, typ, user, date string, extra string) string {
	return `{"id":"` + id + `","type":"` + typ + `","userId":"` + user + `","date":"` + date + `"` + extra + `}`
}

func (s *testServer) mustIngest(tb testing.TB, as Tenant, items ...string) map[string]any {
	tb.Helper()
	return s.MustOK(tb, as, http.StatusOK, "POST", "/lethe/v1/activities", `{"activities":[`+strings.Join(items, ",")+`]}`)
}

var airbyteDate = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

func TestActivities_IngestAndRead(t *testing.T) {
	s := MustStartServer(t)
	f := s.mustComplianceFixture(t, s.A, "ada", "bob")
	ada, bob := f.users["ada"], f.users["bob"]
	hexID := "aaaaaaaaaaaaaaaaaaaaaaa1"
	got := s.mustIngest(t, s.A,
		activity(strings.ToUpper(hexID), "viewed", ada, "2025-03-01T08:00:00Z", `,"contextType":"content","contextId":"`+contentA+`","name":"Fire","data":{"source":{"source":"feed"},"duration":"3600"}`),
		activity("lrs-1", "liked", bob, "2025-03-01 08:30:00", `,"with":{"user":"`+ada+`"}`),
		`{"id":"sso-1","type":"loggedin","userRef":"ada","date":"2025-02-28T23:59:59.5+01:00"}`)
	MustDiff(t, "ingest", map[string]any{"received": 3.0, "stored": 3.0, "duplicates": 0.0}, got)

	t.Run("Get", func(t *testing.T) {
		MustDiff(t, "activity", map[string]any{"id": hexID, "user": ada, "type": "viewed", "name": "Fire",
			"date": "2025-03-01T08:00:00.000Z", "contextId": contentA, "contextType": "content",
			"data": map[string]any{"source": map[string]any{"source": "feed"}, "duration": "3600"}, "with": nil},
			s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/activity/"+hexID, ""))
		for _, id := range []string{"aaaaaaaaaaaaaaaaaaaaaaa9", "lrs-1", "x"} {
			MustError(t, s.Do(t, s.A, "GET", "/rest/v1/activity/"+id, ""), http.StatusNotFound, "not_found")
		}
	})
	t.Run("Query", func(t *testing.T) {
		list := func(q string) []map[string]any {
			got := s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/activities"+q, "")
			var out []map[string]any
			for _, r := range got["results"].([]any) {
				out = append(out, r.(map[string]any))
			}
			if p := got["pagination"].(map[string]any); p["totalResults"] != float64(len(out)) {
				t.Errorf("%s: pagination %v, %d results", q, p, len(out))
			}
			return out
		}
		all := list("")
		if len(all) != 3 || all[0]["type"] != "loggedin" || all[0]["date"] != "2025-02-28T22:59:59.500Z" || all[2]["type"] != "liked" {
			t.Fatalf("all = %v", all)
		}
		for _, a := range all {
			if !airbyteDate.MatchString(a["date"].(string)) {
				t.Errorf("date %q does not parse in Airbyte", a["date"])
			}
		}
		for q, want := range map[string]int{
			"?actions=viewed%2Cliked": 2, "?omitActions=viewed": 2, "?actions=viewed&omitActions=viewed": 1,
			"?contentIds=" + strings.ToUpper(contentA): 1, "?contentType=content": 1,
			"?timestampFrom=2025-03-01+00%3A00%3A00": 2, "?timestampFrom=2025-03-01+08%3A00%3A01": 1,
			"?timestampTo=2025-03-01+08%3A00%3A00": 2, "?timestampTo=2025-02-28": 1, "?timestampFrom=2025-03-01": 2,
			"?timestampFrom=2025-03-01T08:00:00Z&timestampTo=2025-03-01T09:00:00%2B01:00": 1,
		} {
			if got := len(list(q)); got != want {
				t.Errorf("activities%s: %d, want %d", q, got, want)
			}
		}
		for _, q := range []string{"?actions=danced", "?omitActions=x", "?timestampFrom=yesterday", "?timestampTo=2025-13-01", "?perPage=0"} {
			if res := s.Do(t, s.A, "GET", "/rest/v1/activities"+q, ""); res.Status != http.StatusUnprocessableEntity {
				t.Errorf("activities%s: %s", q, res)
			}
		}
	})
	t.Run("Idempotent", func(t *testing.T) {
		got := s.mustIngest(t, s.A, activity(hexID, "viewed", ada, "2025-03-01T08:00:00Z", ""),
			activity("lrs-2", "shared", bob, "2025-03-01T08:40:00Z", ""), activity("lrs-2", "shared", bob, "2025-03-01T08:40:00Z", ""))
		MustDiff(t, "replay", map[string]any{"received": 3.0, "stored": 1.0, "duplicates": 2.0}, got)
	})
	t.Run("LoggedIn", func(t *testing.T) {
		u := s.MustGetUser(t, s.A, ada)
		if u["status"] != "active" || u["firstLogin"] != "2025-02-28T22:59:59.500Z" || u["lastLogin"] != "2025-02-28T22:59:59.500Z" {
			t.Errorf("ada after loggedin: status %v, firstLogin %v, lastLogin %v", u["status"], u["firstLogin"], u["lastLogin"])
		}
		s.mustIngest(t, s.A, activity("sso-2", "loggedin", ada, "2025-03-01T08:55:00Z", ""), activity("sso-0", "loggedin", ada, "2025-02-01T00:00:00Z", ""))
		u = s.MustGetUser(t, s.A, ada)
		if u["firstLogin"] != "2025-02-01T00:00:00.000Z" || u["lastLogin"] != "2025-03-01T08:55:00.000Z" {
			t.Errorf("ada after more logins: firstLogin %v, lastLogin %v", u["firstLogin"], u["lastLogin"])
		}
		if u := s.MustGetUser(t, s.A, bob); u["status"] != "new" {
			t.Errorf("bob without login: %v", u["status"])
		}
	})
	t.Run("CompletedOnce", func(t *testing.T) {
		a := MustID(t, s.MustOK(t, s.A, http.StatusCreated, "POST", "/rest/v1/assignments", `{"audienceId":"TEAM","contentId":"`+contentB+`"}`))
		s.Clock.Advance(time.Hour)
		done := activity("xapi-done-1", "completed", bob, "2025-03-01T09:50:00Z", `,"contextType":"content","contextId":"`+contentB+`"`)
		s.mustIngest(t, s.A, done)
		s.mustIngest(t, s.A, done)
		comps := s.MustArray(t, s.A, "GET", "/rest/v1/learning/completions?userId="+bob, "")
		if len(comps) != 1 || comps[0].(map[string]any)["contentId"] != contentB || comps[0].(map[string]any)["completedAt"] != "2025-03-01T09:50:00.000Z" {
			t.Fatalf("bob's completions = %v", comps)
		}
		if e := s.enrolmentOf(t, s.A, a, bob); e["status"] != "complete" {
			t.Errorf("bob's enrolment = %v", e["status"])
		}
	})
	t.Run("ErrBatchAllOrNothing", func(t *testing.T) {
		before := s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/activities?perPage=1000", "")
		ok := activity("new-1", "viewed", ada, "2025-03-01T08:00:00Z", "")
		for _, c := range []struct {
			item, field string
		}{
			{activity("new-2", "danced", ada, "2025-03-01T08:00:00Z", ""), "activities[1].type"},
			{activity("new-2", "viewed", ada, "yesterday", ""), "activities[1].date"},
			{activity("new-2", "viewed", ada, "2099-01-01T00:00:00Z", ""), "activities[1].date"},
			{activity("", "viewed", ada, "2025-03-01T08:00:00Z", ""), "activities[1].id"},
			{activity("new-2", "viewed", "000000000000000000000000", "2025-03-01T08:00:00Z", ""), "activities[1].userId"},
			{activity("new-2", "viewed", "nothex", "2025-03-01T08:00:00Z", ""), "activities[1].userId"},
			{`{"id":"new-2","type":"viewed","userRef":"nobody","date":"2025-03-01T08:00:00Z"}`, "activities[1].userRef"},
			{`{"id":"new-2","type":"viewed","date":"2025-03-01T08:00:00Z"}`, "activities[1].userId"},
			{activity("new-2", "completed", ada, "2025-03-01T08:00:00Z", `,"contextType":"content","contextId":"c0000000000000000000000f"`), "activities[1].contextId"},
		} {
			res := s.Do(t, s.A, "POST", "/lethe/v1/activities", `{"activities":[`+ok+`,`+c.item+`]}`)
			MustError(t, res, http.StatusUnprocessableEntity, "invalid", c.field)
		}
		MustError(t, s.Do(t, s.A, "POST", "/lethe/v1/activities", `{"activities":[`+ok+`,{"id":"x","type":"viewed","userId":"`+ada+`","date":"2025-03-01","data":[1]}]}`),
			http.StatusBadRequest, "bad_request", "activities[1].data")
		MustError(t, s.Do(t, s.A, "POST", "/lethe/v1/activities", `{"activities":[]}`), http.StatusUnprocessableEntity, "invalid", "activities")
		MustError(t, s.Do(t, s.A, "POST", "/lethe/v1/activities", `{}`), http.StatusUnprocessableEntity, "invalid", "activities")
		many := make([]string, 1001)
		for i := range many {
			many[i] = activity(fmt.Sprint("m", i), "viewed", ada, "2025-03-01T08:00:00Z", "")
		}
		MustError(t, s.Do(t, s.A, "POST", "/lethe/v1/activities", `{"activities":[`+strings.Join(many, ",")+`]}`),
			http.StatusUnprocessableEntity, "invalid", "activities")
		MustDiff(t, "activities after refused batches", before, s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/activities?perPage=1000", ""))
	})
	t.Run("ErasureClearsText", func(t *testing.T) {
		s.mustIngest(t, s.A, activity("c-1", "commented", bob, "2025-03-01T08:58:00Z", `,"name":"Bob Bobson on fire","data":{"comment":"I am Bob Bobson"},"with":{"name":"Bob Bobson"}`),
			activity("c-2", "commented", ada, "2025-03-01T08:58:00Z", `,"data":{"comment":"Ada-control"}`))
		s.MustOK(t, s.A, http.StatusOK, "DELETE", "/rest/v2/users/ref/bob", "")
		got := s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/activities?perPage=1000", "")
		n := 0
		for _, r := range got["results"].([]any) {
			a := r.(map[string]any)
			if a["user"] != bob {
				continue
			}
			n++
			if a["name"] != nil || a["with"] != nil || len(a["data"].(map[string]any)) != 0 {
				t.Errorf("bob's activity after erasure = %v", a)
			}
		}
		if n != 4 {
			t.Errorf("bob's activities after erasure: %d, want 4 kept", n)
		}
		res := s.Do(t, s.A, "GET", "/rest/v1/activities?perPage=1000", "")
		MustNotContain(t, res, "Bobson")
		e := s.MustOK(t, s.A, http.StatusOK, "GET", "/lethe/v1/erasures/"+bob, "")
		// The text (if any) of bob's four activities is sealed under his destroyed key.
		if e["erased"].(map[string]any)["activityText"] != 4.0 || e["kept"].(map[string]any)["activities"] != 4.0 {
			t.Errorf("erasure = %v", e)
		}
		MustError(t, s.Do(t, s.A, "POST", "/lethe/v1/activities", `{"activities":[`+activity("after", "viewed", bob, "2025-03-01T08:00:00Z", "")+`]}`),
			http.StatusUnprocessableEntity, "invalid", "activities[0].userId")
		// Replaying what was stored before the erasure is a duplicate.
		MustDiff(t, "replay after erasure", map[string]any{"received": 1.0, "stored": 0.0, "duplicates": 1.0},
			s.mustIngest(t, s.A, activity("c-1", "commented", bob, "2025-03-01T08:58:00Z", `,"name":"x"`)))
		// No byte of the erased text is left where the database keeps data.
		// Live activity text is sealed too, so the control that shows the
		// search sees stored bytes is a content title, kept in plain text.
		s.MustOK(t, s.A, http.StatusCreated, "POST", "/lethe/v1/contents", `{"title":"Residue-control-title","type":"video"}`)
		if found := MustResidue(t, s, "Residue-control-title", "Ada-control", "Bobson"); !slices.Equal(found, []string{"Residue-control-title"}) {
			t.Errorf("residue after erasure = %v, want only the control (live activity text is sealed)", found)
		}
	})
}

// TestActivities_AirbyteLoop reads activities the way the Airbyte connector
// does (§7): page from 1 with perPage=200 until a page has fewer than 200
// records, with timestampFrom and timestampTo as "YYYY-MM-DD HH:MM:SS".
func TestActivities_AirbyteLoop(t *testing.T) {
	s := MustStartServer(t)
	f := s.mustComplianceFixture(t, s.A, "ada")
	ada := f.users["ada"]
	start := t0.Add(-10 * time.Hour)
	const n = 1000 // five full pages and an empty sixth
	want := map[string]bool{}
	for b := 0; b < n; b += 250 {
		var items []string
		for i := b; i < b+250; i++ {
			id := fmt.Sprintf("evt-%04d", i)
			want[id] = true
			// Several activities share each millisecond: paging must still
			// neither skip nor repeat any.
			items = append(items, activity(id, "viewed", ada, start.Add(time.Duration(i/3)*time.Second).Format(time.RFC3339Nano), ""))
		}
		s.mustIngest(t, s.A, items...)
	}
	// One outside the window.
	s.mustIngest(t, s.A, activity("early", "viewed", ada, start.Add(-time.Hour).Format(time.RFC3339), ""))
	q := url.Values{"perPage": {"200"}, "timestampFrom": {start.Format("2006-01-02 15:04:05")}, "timestampTo": {t0.Format("2006-01-02 15:04:05")}}
	seen := map[string]bool{}
	pages := 0
	for page := 1; ; page++ {
		q.Set("page", fmt.Sprint(page))
		got := s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/activities?"+q.Encode(), "")
		results := got["results"].([]any)
		pages++
		for _, r := range results {
			a := r.(map[string]any)
			if !airbyteDate.MatchString(a["date"].(string)) {
				t.Fatalf("date %q does not parse in Airbyte", a["date"])
			}
			if seen[a["id"].(string)] {
				t.Fatalf("activity %s read twice", a["id"])
			}
			seen[a["id"].(string)] = true
		}
		if len(results) < 200 {
			break
		}
		if pages > 10 {
			t.Fatal("the loop does not end")
		}
	}
	if len(seen) != n || pages != 6 {
		t.Errorf("read %d activities in %d pages, want %d in 6", len(seen), pages, n)
	}
}
