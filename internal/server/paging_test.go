package server_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestPaging_ClampsEveryList pins ADR 0025: on every list a perPage or limit
// above the list's maximum reads as the maximum (the paged envelope says
// so), as the vendor's read-only connector sends perPage=1000 on every
// stream; zero, negative and non-integer values are still refused.
func TestPaging_ClampsEveryList(t *testing.T) {
	s := MustStartServer(t)
	s.mustComplianceFixture(t, s.A, "ada", "bob")
	a := MustID(t, s.MustOK(t, s.A, http.StatusCreated, "POST", "/rest/v1/assignments", `{"audienceId":"TEAM","contentId":"`+contentA+`"}`))
	lists := []struct {
		path string
		max  float64 // 0: a bare array
		n    int     // how many items the fixture holds
	}{
		{"/rest/v1/users", 1000, 2},
		{"/rest/v1/audiences", 1000, 2},
		{"/rest/v1/audiences/TEAM/members", 1000, 2},
		{"/rest/v1/assignments", 0, 1},
		{"/rest/v1/assignments/" + a + "/enrolments", 0, 2},
		{"/rest/v1/learning/completions", 0, 0},
		{"/rest/v1/contents", 1000, 2},
		{"/rest/v1/activities", 1000, 0},
		{"/rest/v1/cpdCategories", 1000, 0},
		{"/rest/v1/cpdEntries", 1000, 0},
		{"/rest/v1/cpdRequirementSummaries", 1000, 0},
		{"/rest/v1/cpdUserLogSummaries?entryDateFrom=2025-01-01T00:00:00&entryDateTo=2025-02-01T00:00:00", 1000, 0},
		{"/rest/v1/tags", 1000, 0},
		{"/lethe/v1/jobs", 1000, 0},
		{"/lethe/v1/audits/dormant", 1000, 0},
	}
	for _, l := range lists {
		t.Run("OK"+strings.SplitN(l.path, "?", 2)[0], func(t *testing.T) {
			for _, q := range []string{"perPage=1000", "perPage=1001", "limit=5000", "page=1&perPage=99999999999999999999"} {
				q = join(l.path, q)
				if l.max == 0 {
					if got := s.MustArray(t, s.A, "GET", l.path+q, ""); len(got) != l.n {
						t.Errorf("%s%s: %d items, want %d", l.path, q, len(got), l.n)
					}
					continue
				}
				got := s.MustOK(t, s.A, http.StatusOK, "GET", l.path+q, "")
				if p := got["pagination"].(map[string]any); p["perPage"] != l.max || len(got["results"].([]any)) != l.n {
					t.Errorf("%s%s: pagination %v, %d results; want perPage %v, %d results", l.path, q, p, len(got["results"].([]any)), l.max, l.n)
				}
			}
		})
		t.Run("Err"+strings.SplitN(l.path, "?", 2)[0], func(t *testing.T) {
			for q, status := range map[string]int{"perPage=0": http.StatusUnprocessableEntity, "perPage=-1": http.StatusUnprocessableEntity,
				"limit=0": http.StatusUnprocessableEntity, "perPage=ten": http.StatusBadRequest, "perPage=2.5": http.StatusBadRequest} {
				MustStatus(t, s.Do(t, s.A, "GET", l.path+join(l.path, q), ""), status)
			}
		})
	}
}

// join is the separator and query q to append to path.
func join(path, q string) string {
	if strings.Contains(path, "?") {
		return "&" + q
	}
	return "?" + q
}
