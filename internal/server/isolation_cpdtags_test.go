package server_test

import (
	"net/http"
	"testing"
)

// cpdTagsA is what tenant A holds of CPD and tags for the isolation test.
type cpdTagsA struct{ tagID, categoryID, entryID, requirementID string }

// seedTenantACPDTags gives tenant A a tag held by the live user as interest
// and skill, skill levels, a CPD category, a requirement of A-TEAM and a CPD
// entry of the live user.
func seedTenantACPDTags(t *testing.T, s *testServer, a *tenantAUsers) {
	t.Helper()
	c := &a.cpd
	c.tagID = MustID(t, s.MustOK(t, s.A, http.StatusCreated, "POST", "/lethe/v1/tags", `{"name":"A-tag"}`))
	s.MustOK(t, s.A, http.StatusOK, "POST", "/rest/v1/users/"+a.liveID+"/tags", `{"tags":["A-tag"]}`)
	s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v1/users/"+a.liveID+"/skills", `{"op":"update","path":"skills","value":[{"tagName":"A-tag","level":2}]}`)
	s.MustArray(t, s.A, "PUT", "/lethe/v1/skills/levels", `[{"name":"A-level","value":1}]`)
	c.categoryID = s.MustOK(t, s.A, http.StatusCreated, "POST", "/lethe/v1/cpd/categories", `{"name":"A-cat"}`)["categoryId"].(string)
	c.requirementID = s.MustOK(t, s.A, http.StatusCreated, "POST", "/lethe/v1/cpd/requirements",
		`{"audienceId":"A-TEAM","requiredMinutes":60}`)["audienceRequirementId"].(string)
	c.entryID = s.MustOK(t, s.A, http.StatusCreated, "POST", "/lethe/v1/cpd/entries",
		`{"userId":"`+a.liveID+`","categoryId":"`+c.categoryID+`","entryDate":"2025-02-01","durationMinutes":30,"description":"A's note"}`)["logEntryId"].(string)
}

// cpdTagsPaths are the paths of snapshotA for CPD and tags.
func cpdTagsPaths(a tenantAUsers) []string {
	return []string{"/rest/v1/tags", "/rest/v1/tags/" + a.cpd.tagID, "/rest/v1/skills/levels",
		"/rest/v1/cpdCategories", "/rest/v1/cpdCategories/" + a.cpd.categoryID,
		"/rest/v1/cpdEntries", "/rest/v1/cpdEntries/" + a.cpd.entryID,
		"/rest/v1/cpdRequirementSummaries", "/rest/v1/cpdRequirementSummaries/" + a.cpd.requirementID,
		"/rest/v1/cpdUserLogSummaries?entryDateFrom=2000-01-01T00:00:00&entryDateTo=2100-01-01T00:00:00"}
}

// cpdTagsPathValues fills the path parameters of the CPD and tag routes.
func cpdTagsPathValues(name string, a tenantAUsers) ([]string, bool) {
	switch name {
	case "tagId":
		return []string{a.cpd.tagID}, true
	case "categoryId":
		return []string{a.cpd.categoryID}, true
	case "logEntryId":
		return []string{a.cpd.entryID}, true
	case "audienceRequirementId":
		return []string{a.cpd.requirementID}, true
	}
	return nil, false
}

// emptyPage checks that B sees an empty paged envelope at every query.
func emptyPage(s *testServer, queries ...string) func(t *testing.T, b Tenant, method, path string) {
	return func(t *testing.T, b Tenant, method, path string) {
		t.Helper()
		for _, q := range append([]string{""}, queries...) {
			got := s.MustOK(t, b, http.StatusOK, method, path+q, "")
			if n := len(got["results"].([]any)); n != 0 || got["pagination"].(map[string]any)["totalResults"] != 0.0 {
				t.Errorf("B's %s%s = %v", path, q, got)
			}
		}
	}
}

// cpdTagsIsolationCases are the isolation cases of the CPD and tag routes.
func cpdTagsIsolationCases(s *testServer, a tenantAUsers) map[string]func(t *testing.T, b Tenant, method, path string) {
	summaryQ := "?entryDateFrom=2000-01-01T00:00:00&entryDateTo=2100-01-01T00:00:00"
	return map[string]func(t *testing.T, b Tenant, method, path string){
		"GET /rest/v1/cpdCategories":                                   emptyPage(s, "?updatedSince=2000-01-01&perPage=1000"),
		"GET /rest/v1/cpdCategories/{categoryId}":                      notFound(s, ""),
		"GET /rest/v1/cpdEntries":                                      emptyPage(s, "?entryDateFrom=2000-01-01&entryDateTo=2100-01-01"),
		"GET /rest/v1/cpdEntries/{logEntryId}":                         notFound(s, ""),
		"GET /rest/v1/cpdRequirementSummaries":                         emptyPage(s, "?updatedSince=2000-01-01"),
		"GET /rest/v1/cpdRequirementSummaries/{audienceRequirementId}": notFound(s, ""),
		"GET /rest/v1/tags":                                            emptyPage(s, "?updatedSince=2000-01-01&perPage=1000"),
		"GET /rest/v1/tags/{tagId}":                                    notFound(s, ""),
		"PATCH /lethe/v1/tags/{tagId}":                                 notFound(s, `{"name":"Mallory"}`),
		"POST /rest/v1/users/{userId}/tags":                            notFound(s, `{"tags":["A-tag"]}`),
		"PATCH /rest/v1/users/{userId}/tags":                           notFound(s, `{"op":"remove","path":"tags","value":["A-tag"]}`),
		"PATCH /rest/v1/users/{userId}/skills":                         notFound(s, `{"op":"update","path":"skills","value":[{"tagName":"A-tag","level":0}]}`),
		"GET /rest/v1/cpdUserLogSummaries": func(t *testing.T, b Tenant, method, path string) {
			emptyPage(s, "&userIds="+a.liveID)(t, b, method, path+summaryQ)
		},
		"GET /rest/v1/skills/levels": func(t *testing.T, b Tenant, method, path string) {
			if got := s.MustArray(t, b, method, path, ""); len(got) != 0 {
				t.Errorf("B's skill levels = %v", got)
			}
		},
		"PUT /lethe/v1/skills/levels": func(t *testing.T, b Tenant, method, path string) {
			s.MustArray(t, b, method, path, `[{"name":"B-level","value":1}]`)
		},
		"POST /lethe/v1/tags": func(t *testing.T, b Tenant, method, path string) {
			// A's tag name is free in B.
			if got := s.MustOK(t, b, http.StatusCreated, method, path, `{"name":"A-tag"}`); got["id"] == a.cpd.tagID {
				t.Error("B's tag has A's id")
			}
		},
		"POST /lethe/v1/cpd/categories": func(t *testing.T, b Tenant, method, path string) {
			s.MustOK(t, b, http.StatusCreated, method, path, `{"name":"A-cat"}`)
		},
		"POST /lethe/v1/cpd/requirements": func(t *testing.T, b Tenant, method, path string) {
			for _, aud := range []string{a.audienceID, "A-TEAM"} {
				MustError(t, s.Do(t, b, method, path, `{"audienceId":"`+aud+`","requiredMinutes":1}`),
					http.StatusUnprocessableEntity, "invalid", "audienceId")
			}
		},
		"POST /lethe/v1/cpd/entries": func(t *testing.T, b Tenant, method, path string) {
			MustError(t, s.Do(t, b, method, path, `{"userId":"`+a.liveID+`","entryDate":"2025-02-01","durationMinutes":1}`),
				http.StatusNotFound, "not_found")
			bob := MustID(t, s.MustCreateUser(t, b, "b-cpd", nil))
			MustError(t, s.Do(t, b, method, path, `{"userId":"`+bob+`","categoryId":"`+a.cpd.categoryID+`","entryDate":"2025-02-01","durationMinutes":1}`),
				http.StatusUnprocessableEntity, "invalid", "categoryId")
		},
	}
}
