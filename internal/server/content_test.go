package server_test

import (
	"net/http"
	"strings"
	"testing"
)

// MustCreateContent creates content with a chosen id (or a new one when id
// is "") in the catalogue of as; fields default to a video titled by id.
func (s *testServer) MustCreateContent(tb testing.TB, as Tenant, id string, fields map[string]any) map[string]any {
	tb.Helper()
	body := map[string]any{"title": "Content " + id, "type": "video"}
	if id != "" {
		body["id"] = id
	}
	for k, v := range fields {
		body[k] = v
	}
	return s.MustOK(tb, as, http.StatusCreated, "POST", "/lethe/v1/contents", MustJSON(tb, body))
}

func TestContents_AdminAndRead(t *testing.T) {
	s := MustStartServer(t)
	author := MustID(t, s.MustCreateUser(t, s.A, "author", nil))
	created := s.MustOK(t, s.A, http.StatusCreated, "POST", "/lethe/v1/contents", `{"title":" Fire safety ","description":"<p>How</p>",
		"type":"Video","tags":["safety"," fire"],"duration":{"value":15,"unit":"minutes"},"isOfficial":true,"author":"`+strings.ToUpper(author)+`"}`)
	id := MustID(t, created)
	history := []any{map[string]any{"action": "created", "timestamp": T0, "performedBy": map[string]any{"type": "api", "value": "api-key"}}}
	want := map[string]any{"id": id, "title": "Fire safety", "description": "<p>How</p>", "tags": []any{"safety", "fire"},
		"type": "video", "createdAt": T0, "updatedAt": T0, "author": author, "isOfficial": true,
		"duration": map[string]any{"value": 15.0, "unit": "minutes"}, "contentHistory": history}
	MustDiff(t, "created content", want, created)
	MustDiff(t, "get content", want, s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/contents/"+strings.ToUpper(id), ""))

	t.Run("Update", func(t *testing.T) {
		later := s.Clock.Advance(60_000_000_000)
		_ = later
		got := s.MustOK(t, s.A, http.StatusOK, "PATCH", "/lethe/v1/contents/"+id, `{"title":"Fire safety 2","duration":null,"author":null,"tags":[]}`)
		if got["title"] != "Fire safety 2" || got["duration"] != nil || got["author"] != nil || len(got["tags"].([]any)) != 0 ||
			got["updatedAt"] == T0 || got["description"] != "<p>How</p>" {
			t.Errorf("updated = %v", got)
		}
		if h := got["contentHistory"].([]any); len(h) != 2 || h[1].(map[string]any)["action"] != "updated" {
			t.Errorf("history = %v", h)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		for _, c := range []struct{ body, field string }{
			{`{"type":"video"}`, "title"},
			{`{"title":"x"}`, "type"},
			{`{"title":"x","type":"podcast"}`, "type"},
			{`{"title":"x","type":"video","duration":{"value":-1}}`, "duration.value"},
			{`{"title":"x","type":"video","duration":{"value":5,"unit":"hours"}}`, "duration.unit"},
			{`{"title":"x","type":"video","author":"000000000000000000000000"}`, "author"},
			{`{"title":"x","type":"video","id":"nothex"}`, "id"},
			{`{"title":"x","type":"video","tags":[""]}`, "tags[0]"},
		} {
			MustError(t, s.Do(t, s.A, "POST", "/lethe/v1/contents", c.body), http.StatusUnprocessableEntity, "invalid", c.field)
		}
		MustError(t, s.Do(t, s.A, "POST", "/lethe/v1/contents", `{"title":"x","type":"video","tags":"a"}`), http.StatusBadRequest, "bad_request", "tags")
		MustError(t, s.Do(t, s.A, "POST", "/lethe/v1/contents", `{"title":"x","type":"video","id":"`+id+`"}`), http.StatusConflict, "conflict", "id")
		MustError(t, s.Do(t, s.A, "PATCH", "/lethe/v1/contents/"+id, `{"type":"nope"}`), http.StatusUnprocessableEntity, "invalid", "type")
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		for _, p := range []string{"/rest/v1/contents/c00000000000000000000009", "/rest/v1/contents/x"} {
			MustError(t, s.Do(t, s.A, "GET", p, ""), http.StatusNotFound, "not_found")
		}
		MustError(t, s.Do(t, s.A, "PATCH", "/lethe/v1/contents/c00000000000000000000009", `{"title":"x"}`), http.StatusNotFound, "not_found")
		MustError(t, s.Do(t, s.A, "POST", "/lethe/v1/contents/c00000000000000000000009/archive", ""), http.StatusNotFound, "not_found")
	})
	t.Run("QueryAndArchive", func(t *testing.T) {
		for _, typ := range []string{"file", "file", "article"} {
			s.MustCreateContent(t, s.A, "", map[string]any{"type": typ})
		}
		count := func(q string) int {
			got := s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/contents"+q, "")
			n := len(got["results"].([]any))
			if p := got["pagination"].(map[string]any); p["totalResults"] != float64(n) && !strings.Contains(q, "perPage") {
				t.Errorf("%s: totalResults %v, results %d", q, p["totalResults"], n)
			}
			return n
		}
		for q, want := range map[string]int{"": 4, "?types=file": 2, "?types=file%2Carticle": 3, "?omitTypes=file": 2,
			"?types=video&omitTypes=video": 1, "?updatedSince=2099-01-01": 0, "?updatedSince=2000-01-01T00:00:00Z": 4, "?perPage=1&page=2": 1} {
			if got := count(q); got != want {
				t.Errorf("contents%s: %d results, want %d", q, got, want)
			}
		}
		for _, q := range []string{"?types=podcast", "?omitTypes=x", "?perPage=0", "?updatedSince=soon"} {
			res := s.Do(t, s.A, "GET", "/rest/v1/contents"+q, "")
			if res.Status != http.StatusUnprocessableEntity {
				t.Errorf("contents%s: %s", q, res)
			}
		}
		archived := s.MustOK(t, s.A, http.StatusOK, "POST", "/lethe/v1/contents/"+id+"/archive", "")
		again := s.MustOK(t, s.A, http.StatusOK, "POST", "/lethe/v1/contents/"+id+"/archive", "")
		MustDiff(t, "archive twice", archived, again)
		if h := archived["contentHistory"].([]any); h[len(h)-1].(map[string]any)["action"] != "archived" {
			t.Errorf("history = %v", h)
		}
		if got := count(""); got != 3 {
			t.Errorf("after archive: %d contents, want 3", got)
		}
		s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/contents/"+id, "")
	})
}

// Completions and assignments name existing content only.
func TestContents_Referenced(t *testing.T) {
	s := MustStartServer(t)
	f := s.mustComplianceFixture(t, s.A, "ada")
	missing := "c0000000000000000000000f"
	MustError(t, s.Do(t, s.A, "POST", "/rest/v1/assignments", `{"audienceId":"TEAM","contentId":"`+missing+`"}`),
		http.StatusNotFound, "not_found", "contentId")
	MustError(t, s.Do(t, s.A, "POST", "/rest/v1/assignments", `{"audienceId":"TEAM","contentId":"`+contentA+`","alternativeContentIds":["`+contentB+`","`+missing+`"]}`),
		http.StatusNotFound, "not_found", "alternativeContentIds[1]")
	a := MustID(t, s.MustOK(t, s.A, http.StatusCreated, "POST", "/rest/v1/assignments", `{"audienceId":"TEAM","contentId":"`+contentA+`"}`))
	MustError(t, s.Do(t, s.A, "PATCH", "/rest/v1/assignments/"+a, `{"audienceId":"TEAM","contentId":"`+missing+`"}`),
		http.StatusNotFound, "not_found", "contentId")
	MustError(t, s.Do(t, s.A, "POST", "/rest/v1/learning/completions", `{"userId":"`+f.users["ada"]+`","contentId":"`+missing+`","completedAt":"2025-03-01"}`),
		http.StatusNotFound, "not_found", "contentId")
	// Another tenant's content is missing content.
	s.MustCreateContent(t, s.B, "c000000000000000000000bb", nil)
	MustError(t, s.Do(t, s.A, "POST", "/rest/v1/learning/completions", `{"userId":"`+f.users["ada"]+`","contentId":"c000000000000000000000bb","completedAt":"2025-03-01"}`),
		http.StatusNotFound, "not_found", "contentId")
}
