package server_test

import (
	"net/http"
	"testing"
	"time"
)

func TestCPD(t *testing.T) {
	s := MustStartServer(t)
	ada := MustID(t, s.MustCreateUser(t, s.A, "ada", nil))
	bob := MustID(t, s.MustCreateUser(t, s.A, "bob", nil))
	team := MustID(t, s.MustCreateAudience(t, s.A, map[string]any{"name": "Team", "reference": "TEAM"}))
	var cat, req, first string
	t.Run("OKAdmin", func(t *testing.T) {
		got := s.MustOK(t, s.A, http.StatusCreated, "POST", "/lethe/v1/cpd/categories", `{"name":"Ethics"}`)
		cat = got["categoryId"].(string)
		MustDiff(t, "category", map[string]any{"categoryId": cat, "name": "Ethics"}, got)
		MustDiff(t, "get", got, s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/cpdCategories/"+cat, ""))
		got = s.MustOK(t, s.A, http.StatusCreated, "POST", "/lethe/v1/cpd/requirements", `{"audienceId":"TEAM","requiredMinutes":600}`)
		req = got["audienceRequirementId"].(string)
		MustDiff(t, "requirement", map[string]any{"audienceRequirementId": req, "audienceId": team, "requiredMinutes": 600.0,
			"createdAt": T0, "updatedAt": T0}, got)
		MustDiff(t, "get", got, s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/cpdRequirementSummaries/"+req, ""))
		s.MustOK(t, s.A, http.StatusCreated, "POST", "/lethe/v1/cpd/requirements", `{"audienceId":"`+team+`","requiredMinutes":0}`)
	})
	t.Run("OKEntries", func(t *testing.T) {
		got := s.MustOK(t, s.A, http.StatusCreated, "POST", "/lethe/v1/cpd/entries",
			`{"userId":"`+ada+`","categoryId":"`+cat+`","activity":{"type":"course","name":"Ethics 101"},"entryDate":"2025-02-01 10:00:00","durationMinutes":90,"description":"With Bob Smith"}`)
		first = got["logEntryId"].(string)
		MustDiff(t, "entry", map[string]any{"logEntryId": first, "userId": ada, "activity": map[string]any{"type": "course", "name": "Ethics 101"},
			"category": map[string]any{"categoryId": cat, "name": "Ethics"}, "entryDate": "2025-02-01T10:00:00.000Z",
			"durationMinutes": 90.0, "description": "With Bob Smith", "isVerified": false}, got)
		MustDiff(t, "get", got, s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/cpdEntries/"+first, ""))
		got = s.MustOK(t, s.A, http.StatusCreated, "POST", "/lethe/v1/cpd/entries", `{"userId":"`+ada+`","entryDate":"2025-02-03","durationMinutes":30}`)
		if got["category"] != nil || got["description"] != nil || got["activity"].(map[string]any)["type"] != "manual" {
			t.Errorf("plain entry = %v", got)
		}
		s.MustOK(t, s.A, http.StatusCreated, "POST", "/lethe/v1/cpd/entries", `{"userId":"`+bob+`","entryDate":"2025-02-02T23:59:59Z","durationMinutes":45,"isVerified":true}`)
		s.MustOK(t, s.A, http.StatusCreated, "POST", "/lethe/v1/cpd/entries", `{"userId":"`+bob+`","entryDate":"2025-03-01T00:00:00+01:00","durationMinutes":0}`)
	})
	t.Run("OKQueries", func(t *testing.T) {
		count := func(path string) float64 {
			return s.MustOK(t, s.A, http.StatusOK, "GET", path, "")["pagination"].(map[string]any)["totalResults"].(float64)
		}
		for q, want := range map[string]float64{
			"": 4, "?entryDateFrom=2025-02-02": 3, "?entryDateTo=2025-02-02": 2, "?entryDateFrom=2025-02-02+00%3A00%3A00&entryDateTo=2025-02-02+23%3A59%3A59": 1,
			"?entryDateFrom=2025-02-01T10:00:00.001Z": 3, "?entryDateTo=2025-02-28T23:00:00Z": 4, "?entryDateTo=2025-02-28T22:59:59Z": 3,
		} {
			if got := count("/rest/v1/cpdEntries" + q); got != want {
				t.Errorf("entries %s = %v, want %v", q, got, want)
			}
		}
		page := s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/cpdEntries?perPage=3&page=2", "")
		MustDiff(t, "pagination", map[string]any{"totalResults": 4.0, "totalPages": 2.0, "page": 2.0, "perPage": 3.0}, page["pagination"])
		if count("/rest/v1/cpdCategories") != 1 || count("/rest/v1/cpdRequirementSummaries") != 2 || count("/rest/v1/cpdRequirementSummaries?updatedSince=2100-01-01") != 0 {
			t.Error("category or requirement counts")
		}
		sum := func(q string) []any {
			return s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/cpdUserLogSummaries?"+q, "")["results"].([]any)
		}
		want := map[string]float64{ada: 120, bob: 45}
		for _, r := range sum("entryDateFrom=2025-02-01T00:00:00&entryDateTo=2025-02-28T00:00:00") {
			m := r.(map[string]any)
			if want[m["userId"].(string)] != m["durationMinutes"] {
				t.Errorf("summary %v, want %v", m, want)
			}
		}
		for q, want := range map[string]map[string]any{
			"&perPage=1":        {"totalResults": 2.0, "totalPages": 2.0, "page": 1.0, "perPage": 1.0},
			"&perPage=1&page=2": {"totalResults": 2.0, "totalPages": 2.0, "page": 2.0, "perPage": 1.0},
			"&perPage=1&page=9": {"totalResults": 2.0, "totalPages": 2.0, "page": 9.0, "perPage": 1.0},
		} {
			got := s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/cpdUserLogSummaries?entryDateFrom=2025-02-01T00:00:00&entryDateTo=2025-02-28T00:00:00"+q, "")
			MustDiff(t, "summary pagination "+q, want, got["pagination"])
		}
		MustDiff(t, "bob only", []any{map[string]any{"userId": bob, "durationMinutes": 45.0}},
			sum("entryDateFrom=2025-02-01T00:00:00&entryDateTo=2025-02-28T00:00:00&userIds="+bob+",000000000000000000000000"))
		MustDiff(t, "ada in a window", []any{map[string]any{"userId": ada, "durationMinutes": 90.0}},
			sum("entryDateFrom=2025-02-01T00:00:00&entryDateTo=2025-02-01T23:59:59"))
	})
	t.Run("Err", func(t *testing.T) {
		for _, c := range []struct{ path, body, field string }{
			{"/lethe/v1/cpd/categories", `{}`, "name"},
			{"/lethe/v1/cpd/requirements", `{"requiredMinutes":1}`, "audienceId"},
			{"/lethe/v1/cpd/requirements", `{"audienceId":"NOPE","requiredMinutes":1}`, "audienceId"},
			{"/lethe/v1/cpd/requirements", `{"audienceId":"TEAM","requiredMinutes":-1}`, "requiredMinutes"},
			{"/lethe/v1/cpd/requirements", `{"audienceId":"TEAM"}`, "requiredMinutes"},
			{"/lethe/v1/cpd/requirements", `{"audienceId":"TEAM","requiredMinutes":1.5}`, "requiredMinutes"},
			{"/lethe/v1/cpd/entries", `{"entryDate":"2025-02-01","durationMinutes":1}`, "userId"},
			{"/lethe/v1/cpd/entries", `{"userId":"x","entryDate":"2025-02-01","durationMinutes":1}`, "userId"},
			{"/lethe/v1/cpd/entries", `{"userId":"` + ada + `","durationMinutes":1}`, "entryDate"},
			{"/lethe/v1/cpd/entries", `{"userId":"` + ada + `","entryDate":"01/02/2025","durationMinutes":1}`, "entryDate"},
			{"/lethe/v1/cpd/entries", `{"userId":"` + ada + `","entryDate":"2025-02-01","durationMinutes":-5}`, "durationMinutes"},
			{"/lethe/v1/cpd/entries", `{"userId":"` + ada + `","entryDate":"2025-02-01"}`, "durationMinutes"},
			{"/lethe/v1/cpd/entries", `{"userId":"` + ada + `","entryDate":"2025-02-01","durationMinutes":1,"categoryId":"zz"}`, "categoryId"},
			{"/lethe/v1/cpd/entries", `{"userId":"` + ada + `","entryDate":"2025-02-01","durationMinutes":1,"categoryId":"000000000000000000000000"}`, "categoryId"},
		} {
			MustError(t, s.Do(t, s.A, "POST", c.path, c.body), http.StatusUnprocessableEntity, "invalid", c.field)
		}
		MustError(t, s.Do(t, s.A, "POST", "/lethe/v1/cpd/entries", `{"userId":"000000000000000000000000","entryDate":"2025-02-01","durationMinutes":1}`),
			http.StatusNotFound, "not_found")
		MustError(t, s.Do(t, s.A, "POST", "/lethe/v1/cpd/entries", `[]`), http.StatusBadRequest, "bad_request")
		for _, c := range []struct{ q, field string }{
			{"/rest/v1/cpdEntries?entryDateFrom=yesterday", "entryDateFrom"},
			{"/rest/v1/cpdEntries?entryDateTo=2025-13-01", "entryDateTo"},
			{"/rest/v1/cpdUserLogSummaries?entryDateTo=2025-01-01T00:00:00", "entryDateFrom"},
			{"/rest/v1/cpdUserLogSummaries?entryDateFrom=2025-01-01T00:00:00", "entryDateTo"},
			{"/rest/v1/cpdUserLogSummaries?entryDateFrom=2025-01-01T00:00:00&entryDateTo=2024-01-01T00:00:00", "entryDateTo"},
			{"/rest/v1/cpdUserLogSummaries?entryDateFrom=2025-01-32T00:00:00&entryDateTo=2025-02-01T00:00:00", "entryDateFrom"},
			{"/rest/v1/cpdCategories?perPage=0", "perPage"},
			{"/rest/v1/cpdCategories?updatedSince=soon", "updatedSince"},
		} {
			MustError(t, s.Do(t, s.A, "GET", c.q, ""), http.StatusUnprocessableEntity, "invalid", c.field)
		}
		for _, p := range []string{"/rest/v1/cpdCategories/", "/rest/v1/cpdEntries/", "/rest/v1/cpdRequirementSummaries/"} {
			MustError(t, s.Do(t, s.A, "GET", p+"000000000000000000000000", ""), http.StatusNotFound, "not_found")
			MustError(t, s.Do(t, s.A, "GET", p+"nope", ""), http.StatusNotFound, "not_found")
		}
	})
	t.Run("OKErasure", func(t *testing.T) {
		// The entries stay under the learner id; the free text goes.
		s.MustOK(t, s.A, http.StatusOK, "DELETE", "/rest/v2/users/ref/ada", "")
		got := s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/cpdEntries/"+first, "")
		if got["userId"] != ada || got["description"] != nil || got["durationMinutes"] != 90.0 {
			t.Errorf("erased learner's entry = %v", got)
		}
		er := s.MustOK(t, s.A, http.StatusOK, "GET", "/lethe/v1/erasures/"+ada, "")
		if er["erased"].(map[string]any)["cpdText"] != 2.0 || er["kept"].(map[string]any)["cpdEntries"] != 2.0 {
			t.Errorf("erasure = %v", er)
		}
		MustError(t, s.Do(t, s.A, "POST", "/lethe/v1/cpd/entries", `{"userId":"`+ada+`","entryDate":"2025-02-01","durationMinutes":1}`),
			http.StatusConflict, "conflict")
		s.MustOK(t, s.A, http.StatusCreated, "POST", "/lethe/v1/cpd/entries",
			`{"userId":"`+bob+`","entryDate":"2025-02-01","durationMinutes":1,"description":"Live control note"}`)
		// Live entry text is sealed too: the control that shows the search
		// sees stored bytes is a content title, kept in plain text.
		s.MustOK(t, s.A, http.StatusCreated, "POST", "/lethe/v1/contents", `{"title":"Residue-control-title","type":"video"}`)
		MustDiff(t, "residue", []string{"Residue-control-title"},
			MustResidue(t, s, "Residue-control-title", "Live control note", "With Bob Smith"))
	})
}

// TestCPD_FromCompletions: completing content that has a duration credits a
// verified CPD entry of that many minutes, once; content without one does not.
func TestCPD_FromCompletions(t *testing.T) {
	s := MustStartServer(t)
	u := MustID(t, s.MustCreateUser(t, s.A, "cpd-learner", nil))
	timed := MustID(t, s.MustCreateContent(t, s.A, "", map[string]any{"title": "Manual handling",
		"duration": map[string]any{"value": 45, "unit": "minutes"}}))
	untimed := MustID(t, s.MustCreateContent(t, s.A, "", map[string]any{"title": "Untimed"}))
	at := s.Clock.Now().Add(-24 * time.Hour).UTC().Truncate(time.Second)
	complete := func(content string, want int) {
		t.Helper()
		body := `{"userId":"` + u + `","contentId":"` + content + `","completedAt":"` + at.Format(time.RFC3339) + `"}`
		s.MustOK(t, s.A, want, "POST", "/rest/v1/learning/completions", body)
	}
	complete(timed, http.StatusCreated)
	complete(timed, http.StatusOK) // the same completion again: no second entry
	complete(untimed, http.StatusCreated)
	page := s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/cpdEntries", "")
	entries := page["results"].([]any)
	if len(entries) != 1 {
		t.Fatalf("cpd entries = %v, want exactly one", entries)
	}
	e := entries[0].(map[string]any)
	MustDiff(t, "credited entry", map[string]any{"type": "content", "name": "Manual handling"}, e["activity"])
	if e["durationMinutes"] != 45.0 || e["isVerified"] != true || e["userId"] != u ||
		e["entryDate"] != at.Format("2006-01-02T15:04:05.000Z") {
		t.Fatalf("credited entry = %v", e)
	}
}
