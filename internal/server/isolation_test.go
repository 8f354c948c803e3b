package server_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/lethehq/lethe/internal/rest"
)

// tenantAUsers is what tenant A holds for the isolation test.
type tenantAUsers struct {
	liveRef, liveID           string
	suspendedRef, suspendedID string
	erasedID                  string
	joinedEnvelope            string // an event A has applied
	// Compliance records: a structure and an audience (live user as member
	// and manager), an assignment, the live user's enrolment and completion.
	orgID, audienceID, assignmentID, enrolmentID, completionID string
	cpd                                                        cpdTagsA // see isolation_cpdtags_test.go
	// Content and activity: contentA and an activity of the live user.
	activityID string
	// A finished dry-run job and a dormant-audit preview.
	jobID, auditID string
	scimTokenID    string // a SCIM token of A's
	oauthClientID  string // an OAuth client of A's
	// A webhook subscription (it took the user events of the seed), an
	// event it was sent, and that event's delivery, attempted once.
	subscriptionID, eventID, deliveryID string
}

// seedTenantA gives tenant A a live, a suspended and an erased user, and a
// recorded provisioning event.
func seedTenantA(t *testing.T, s *testServer) tenantAUsers {
	t.Helper()
	var a tenantAUsers
	a.subscriptionID = s.mustSubscribe(t, s.A, `{"url":"https://hooks.example.com/a","types":["user_subscription"],"secret":"a-secret"}`)["id"].(string)
	a.liveRef = "a/live@example.com" // a ref that needs escaping
	a.joinedEnvelope = envelope(t, "evt-a-1", "user_joined", map[string]any{
		"ref": a.liveRef, "email": "alice@example.com", "firstName": "Alice", "lastName": "Anders", "jobTitle": "Dev",
	})
	a.liveID = s.MustEvent(t, s.A, a.joinedEnvelope, "evt-a-1", "user_joined", "created", false)
	s.MustOK(t, s.A, http.StatusOK, "POST", "/lethe/v1/users/"+a.liveID+"/logins", "")

	a.suspendedRef = "a-suspended"
	a.suspendedID = MustID(t, s.MustCreateUser(t, s.A, a.suspendedRef, map[string]any{"endDate": "2026-01-01"}))
	s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v2/users/ref/a-suspended/suspend", `{}`)

	a.erasedID = MustID(t, s.MustCreateUser(t, s.A, "a-erased", nil))
	s.MustOK(t, s.A, http.StatusOK, "DELETE", "/rest/v2/users/ref/a-erased", "")

	s.MustCreateContent(t, s.A, contentA, nil)
	a.orgID = MustID(t, s.MustCreateAudience(t, s.A, map[string]any{"name": "A org", "reference": "A-ORG"}))
	a.audienceID = MustID(t, s.MustCreateAudience(t, s.A, map[string]any{"name": "A team", "reference": "A-TEAM", "parentId": a.orgID}))
	s.MustOK(t, s.A, http.StatusOK, "POST", "/rest/v1/audiences/A-TEAM/members", MustJSON(t, []string{a.liveID}))
	s.MustOK(t, s.A, http.StatusOK, "POST", "/rest/v1/audiences/A-TEAM/managers", MustJSON(t, []map[string]any{{"reference": a.liveID}}))
	a.assignmentID = MustID(t, s.MustOK(t, s.A, http.StatusCreated, "POST", "/rest/v1/assignments",
		`{"audienceId":"A-TEAM","contentId":"`+contentA+`"}`))
	a.completionID = s.MustOK(t, s.A, http.StatusCreated, "POST", "/rest/v1/learning/completions",
		`{"userId":"`+a.liveID+`","contentId":"`+contentA+`","completedAt":"`+T0+`"}`)["statementId"].(string)
	a.enrolmentID = s.enrolmentOf(t, s.A, a.assignmentID, a.liveID)["id"].(string)
	seedTenantACPDTags(t, s, &a)
	s.MustOK(t, s.A, http.StatusOK, "POST", "/lethe/v1/activities", `{"activities":[{"id":"a-act-1","type":"viewed","userId":"`+
		a.liveID+`","date":"`+T0+`","contextType":"content","contextId":"`+contentA+`","name":"Alice viewed"}]}`)
	a.activityID = s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/activities", "")["results"].([]any)[0].(map[string]any)["id"].(string)
	s.MustOK(t, s.A, http.StatusOK, "PATCH", "/lethe/v1/settings", `{"deletion":{"tombstoneDays":90}}`)
	a.jobID = MustID(t, s.MustOK(t, s.A, http.StatusAccepted, "POST", "/lethe/v1/jobs",
		`{"action":"suspend","dryRun":true,"selector":{"csv":"ref\n`+a.suspendedRef+`\n"}}`))
	s.runJobs(t)
	a.auditID = MustID(t, s.MustOK(t, s.A, http.StatusCreated, "POST", "/lethe/v1/audits/dormant", `{"neverLoggedInDays":0}`))
	a.scimTokenID = s.MustOK(t, s.A, http.StatusCreated, "POST", "/lethe/v1/scim/tokens", `{"name":"a-entra"}`)["id"].(string)
	a.oauthClientID = s.MustOK(t, s.A, http.StatusCreated, "POST", "/lethe/v1/oauth/clients",
		`{"name":"a-sync","scopes":["api/read"]}`)["clientId"].(string)
	s.mustAttemptAll(t, 500, "a's receiver")
	got, _ := s.deliveries(t, s.A, "/lethe/v1/webhooks/subscriptions/"+a.subscriptionID+"/deliveries?perPage=1000")
	for _, d := range got {
		if d["attempts"] == 1.0 {
			a.eventID, a.deliveryID = d["eventId"].(string), d["id"].(string)
		}
	}
	if a.deliveryID == "" {
		t.Fatalf("A's deliveries = %v: none attempted", got)
	}
	return a
}

// snapshotA reads everything tenant A can see about its users.
func snapshotA(t *testing.T, s *testServer, a tenantAUsers) map[string]string {
	t.Helper()
	out := map[string]string{}
	get := func(path string) {
		res := s.Do(t, s.A, "GET", path, "")
		if res.Status != http.StatusOK {
			t.Fatalf("GET %s as A: %s", path, res)
		}
		out[path] = string(res.Body)
	}
	get("/rest/v1/users")
	for _, id := range []string{a.liveID, a.suspendedID, a.erasedID} {
		get("/rest/v1/user/" + id)
		get("/lethe/v1/users/" + id + "/status-history")
	}
	get("/rest/v1/users/ref/" + EncodeURIComponent(a.liveRef))
	get("/rest/v1/users/ref/" + a.suspendedRef)
	get("/lethe/v1/erasures/" + a.erasedID)
	get("/lethe/v1/settings")
	get("/lethe/v1/scim/tokens")
	get("/lethe/v1/oauth/clients")
	for _, p := range []string{"/lethe/v1/webhooks/subscriptions", "/lethe/v1/webhooks/subscriptions/" + a.subscriptionID,
		"/lethe/v1/webhooks/subscriptions/" + a.subscriptionID + "/deliveries?perPage=1000",
		"/lethe/v1/webhooks/events/" + a.eventID + "/deliveries", "/lethe/v1/webhooks/deliveries/" + a.deliveryID + "/attempts"} {
		get(p)
	}
	for _, p := range []string{"/lethe/v1/jobs", "/lethe/v1/jobs/" + a.jobID, "/lethe/v1/jobs/" + a.jobID + "/results",
		"/lethe/v1/audits/dormant", "/lethe/v1/audits/dormant/" + a.auditID, "/lethe/v1/jobs/" + a.auditID + "/results"} {
		get(p)
	}
	for _, p := range []string{"/rest/v1/audiences", "/rest/v1/audiences/" + a.orgID, "/rest/v1/audiences/A-TEAM",
		"/rest/v1/audiences/A-TEAM/members", "/rest/v1/audiences/A-TEAM/managers", "/rest/v1/assignments",
		"/rest/v1/assignments/" + a.assignmentID, "/rest/v1/assignments/" + a.assignmentID + "/enrolments",
		"/rest/v1/learning/completions", "/rest/v1/learning/completions/" + a.completionID,
		"/rest/v1/contents", "/rest/v1/contents/" + contentA, "/rest/v1/activities", "/rest/v1/activity/" + a.activityID} {
		get(p)
	}
	for _, p := range cpdTagsPaths(a) {
		get(p)
	}
	get("/lethe/v1/reports/headcount")
	get("/lethe/v1/reports/compliance?from=2000-01-01&to=2030-01-01")
	return out
}

var pathParam = regexp.MustCompile(`\{([^}]*)\}`)

// expandPaths fills a route pattern with tenant A's ids and refs: one path
// per combination of the values that can be named there. An unknown
// parameter fails the test, so a new route with a new parameter forces an
// update here.
func expandPaths(t *testing.T, pattern string, a tenantAUsers) []string {
	t.Helper()
	out := []string{pattern}
	for _, p := range pathParam.FindAllStringSubmatch(pattern, -1) {
		var values []string
		if v, ok := cpdTagsPathValues(p[1], a); ok {
			values = v
		} else {
			switch name := p[1]; {
			case name == "ref":
				values = []string{EncodeURIComponent(a.liveRef), a.suspendedRef, "a-erased"}
			case name == "id" && strings.HasPrefix(pattern, "/rest/v1/learning/completions/"):
				values = []string{a.completionID}
			case name == "id" && strings.Contains(pattern, "/contents/"):
				values = []string{contentA}
			case name == "id" && strings.HasPrefix(pattern, "/rest/v1/activity/"):
				values = []string{a.activityID}
			case name == "id" && strings.HasPrefix(pattern, "/lethe/v1/scim/tokens/"):
				values = []string{a.scimTokenID}
			case name == "id" && strings.HasPrefix(pattern, "/lethe/v1/oauth/clients/"):
				values = []string{a.oauthClientID}
			case name == "id" && strings.HasPrefix(pattern, "/lethe/v1/webhooks/subscriptions/"):
				values = []string{a.subscriptionID}
			case name == "eventId":
				values = []string{a.eventID}
			case name == "deliveryId":
				values = []string{a.deliveryID}
			case name == "id" && (strings.HasPrefix(pattern, "/lethe/v1/jobs/") || strings.HasPrefix(pattern, "/lethe/v1/audits/")):
				values = []string{a.jobID, a.auditID}
			case name == "id" || name == "userId":
				values = []string{a.liveID, a.suspendedID, a.erasedID}
			case name == "audienceId":
				values = []string{a.audienceID, "A-TEAM", a.orgID}
			case name == "user":
				values = []string{a.liveID, EncodeURIComponent(a.liveRef), "alice%40example.com"}
			case name == "assignmentId":
				values = []string{a.assignmentID}
			case name == "enrolmentId":
				values = []string{a.enrolmentID}
			default:
				t.Fatalf("route %s: unknown path parameter %q; extend expandPaths", pattern, p[0])
			}
		}
		var next []string
		for _, o := range out {
			for _, v := range values {
				next = append(next, strings.Replace(o, p[0], v, 1))
			}
		}
		out = next
	}
	return out
}

// TestServer_TenantIsolation calls every route as tenant B with tenant A's
// ids and refs. B must neither read nor change A's data. Each route runs
// against a fresh tenant B, so one route's writes cannot mask another's.
func TestServer_TenantIsolation(t *testing.T) {
	s := MustStartServer(t)
	a := seedTenantA(t, s)
	before := snapshotA(t, s, a)
	aIDs := map[any]bool{a.liveID: true, a.suspendedID: true, a.erasedID: true}

	// Every route must have a case: the key is "METHOD pattern".
	cases := map[string]func(t *testing.T, b Tenant, method, path string){
		"POST /rest/v2/users": func(t *testing.T, b Tenant, method, path string) {
			// The same ref and email are free in B and make a separate user.
			got := s.MustOK(t, b, http.StatusCreated, method, path,
				`{"ref":"a/live@example.com","email":"alice@example.com","firstName":"Mallory","lastName":"B"}`)
			if aIDs[got["id"]] {
				t.Errorf("B's new user has A's id %v", got["id"])
			}
		},
		"PATCH /rest/v2/users/ref/{ref}": func(t *testing.T, b Tenant, method, path string) {
			res := s.Do(t, b, method, path, `{"firstName":"Mallory","email":"mallory@example.com"}`)
			MustError(t, res, http.StatusNotFound, "not_found")
		},
		"PATCH /rest/v2/users/ref/{ref}/suspend": func(t *testing.T, b Tenant, method, path string) {
			MustError(t, s.Do(t, b, method, path, `{"endDate":"2020-01-01"}`), http.StatusNotFound, "not_found")
		},
		"DELETE /rest/v2/users/ref/{ref}": func(t *testing.T, b Tenant, method, path string) {
			MustError(t, s.Do(t, b, method, path, ""), http.StatusNotFound, "not_found")
		},
		"GET /rest/v1/users": func(t *testing.T, b Tenant, method, path string) {
			for _, q := range []string{"", "?status=inactive", "?statuses=new,active,inactive,expired", "?updatedSince=2000-01-01&perPage=1000"} {
				got := s.MustOK(t, b, http.StatusOK, method, path+q, "")
				MustDiff(t, "B's search "+q, map[string]any{
					"results":    []any{},
					"pagination": map[string]any{"totalResults": 0.0, "totalPages": 0.0, "page": 1.0, "perPage": got["pagination"].(map[string]any)["perPage"]},
				}, got)
			}
		},
		"GET /rest/v1/user/{id}": func(t *testing.T, b Tenant, method, path string) {
			MustError(t, s.Do(t, b, method, path, ""), http.StatusNotFound, "not_found")
		},
		"GET /rest/v1/users/ref/{ref}": func(t *testing.T, b Tenant, method, path string) {
			MustError(t, s.Do(t, b, method, path, ""), http.StatusNotFound, "not_found")
		},
		"POST /rest/v1/webhooks": func(t *testing.T, b Tenant, method, path string) {
			for _, typ := range []string{"user_updated", "user_suspended", "user_deleted"} {
				for _, ref := range []string{a.liveRef, a.suspendedRef, "a-erased"} {
					body := envelope(t, "evt-b-"+typ+ref, typ, map[string]any{"ref": ref, "firstName": "Mallory"})
					MustError(t, s.Do(t, b, method, path, body), http.StatusNotFound, "not_found")
				}
			}
			// A's envelope id means nothing in B: no replay of A's outcome
			// (which would reveal A's user id), no conflict on another body.
			other := envelope(t, "evt-a-1", "user_updated", map[string]any{"ref": a.liveRef, "firstName": "Mallory"})
			MustError(t, s.Do(t, b, method, path, other), http.StatusNotFound, "not_found")
			got := s.MustOK(t, b, http.StatusOK, method, path, a.joinedEnvelope)
			if got["replayed"] != false || got["outcome"] != "created" || aIDs[got["userId"]] {
				t.Errorf("A's envelope in B = %v; want a new user, not a replay", got)
			}
			// user_joined for a ref A suspended creates B's own user.
			joined := envelope(t, "evt-b-join", "user_joined", map[string]any{
				"ref": a.suspendedRef, "firstName": "Mallory", "lastName": "B", "email": "m@example.com",
			})
			got = s.MustOK(t, b, http.StatusOK, method, path, joined)
			if got["outcome"] != "created" || aIDs[got["userId"]] {
				t.Errorf("user_joined in B = %v; want a new user", got)
			}
		},
		"GET /rest/v1/audiences": func(t *testing.T, b Tenant, method, path string) {
			for _, q := range []string{"", "?apiControlled=true", "?updatedSince=2000-01-01&perPage=1000"} {
				got := s.MustOK(t, b, http.StatusOK, method, path+q, "")
				if n := len(got["results"].([]any)); n != 0 || got["pagination"].(map[string]any)["totalResults"] != 0.0 {
					t.Errorf("B's audiences %s = %v", q, got)
				}
			}
		},
		"POST /rest/v1/audiences": func(t *testing.T, b Tenant, method, path string) {
			for _, parent := range []string{a.orgID, "A-ORG"} {
				MustError(t, s.Do(t, b, method, path, `{"name":"x","parentId":"`+parent+`"}`), http.StatusUnprocessableEntity, "invalid", "parentId")
			}
			got := s.MustOK(t, b, http.StatusCreated, method, path, `{"name":"B org","reference":"A-ORG"}`)
			if got["id"] == a.orgID {
				t.Error("B's audience has A's id")
			}
		},
		"GET /rest/v1/audiences/{audienceId}":         notFound(s, ""),
		"PATCH /rest/v1/audiences/{audienceId}":       notFound(s, `{"name":"Mallory","parentId":"A-ORG"}`),
		"DELETE /rest/v1/audiences/{audienceId}":      notFound(s, ""),
		"GET /rest/v1/audiences/{audienceId}/members": notFound(s, ""),
		"POST /rest/v1/audiences/{audienceId}/members": func(t *testing.T, b Tenant, method, path string) {
			notFound(s, MustJSON(t, []string{a.liveID}))(t, b, method, path)
			// A's users are unknown in B's own audience.
			s.MustCreateAudience(t, b, map[string]any{"name": "B", "reference": "B-ORG"})
			res := s.Do(t, b, method, "/rest/v1/audiences/B-ORG/members", MustJSON(t, []string{a.liveID, a.liveRef, "alice@example.com"}))
			MustStatus(t, res, http.StatusMultiStatus)
			if got := res.Object(t)["success"].(map[string]any)["count"]; got != 0.0 {
				t.Errorf("B added A's users: %s", res.Body)
			}
			s.MustOK(t, b, http.StatusOK, "DELETE", "/rest/v1/audiences/B-ORG", "")
		},
		"PATCH /rest/v1/audiences/{audienceId}/members":          notFound(s, MustJSON(t, []string{a.liveID})),
		"DELETE /rest/v1/audiences/{audienceId}/members/{user}":  notFound(s, ""),
		"GET /rest/v1/audiences/{audienceId}/managers":           notFound(s, ""),
		"POST /rest/v1/audiences/{audienceId}/managers":          notFound(s, `[{"reference":"`+a.liveID+`"}]`),
		"PATCH /rest/v1/audiences/{audienceId}/managers":         notFound(s, `[{"reference":"`+a.liveID+`"}]`),
		"DELETE /rest/v1/audiences/{audienceId}/managers/{user}": notFound(s, ""),
		"GET /rest/v1/assignments": func(t *testing.T, b Tenant, method, path string) {
			for _, q := range []string{"", "?audienceId=" + a.audienceID, "?audienceId=A-TEAM", "?updatedSince=2000-01-01"} {
				if got := s.MustArray(t, b, method, path+q, ""); len(got) != 0 {
					t.Errorf("B's assignments %s = %v", q, got)
				}
			}
		},
		"POST /rest/v1/assignments": func(t *testing.T, b Tenant, method, path string) {
			for _, aud := range []string{a.audienceID, "A-TEAM"} {
				MustError(t, s.Do(t, b, method, path, `{"audienceId":"`+aud+`","contentId":"`+contentA+`"}`),
					http.StatusUnprocessableEntity, "invalid", "audienceId")
			}
		},
		"GET /rest/v1/assignments/{assignmentId}":                          notFound(s, ""),
		"PATCH /rest/v1/assignments/{assignmentId}":                        notFound(s, `{"audienceId":"A-TEAM","completionPeriod":1}`),
		"DELETE /rest/v1/assignments/{assignmentId}":                       notFound(s, `{"audienceId":"A-TEAM"}`),
		"GET /rest/v1/assignments/{assignmentId}/enrolments":               notFound(s, ""),
		"GET /rest/v1/assignments/{assignmentId}/enrolments/{enrolmentId}": notFound(s, ""),
		"GET /rest/v1/learning/completions": func(t *testing.T, b Tenant, method, path string) {
			for _, q := range []string{"", "?userId=" + a.liveID, "?contentId=" + contentA} {
				if got := s.MustArray(t, b, method, path+q, ""); len(got) != 0 {
					t.Errorf("B's completions %s = %v", q, got)
				}
			}
		},
		"GET /rest/v1/learning/completions/{id}": notFound(s, ""),
		"POST /rest/v1/learning/completions": func(t *testing.T, b Tenant, method, path string) {
			MustError(t, s.Do(t, b, method, path, `{"userId":"`+a.liveID+`","contentId":"`+contentA+`","completedAt":"`+T0+`"}`),
				http.StatusNotFound, "not_found")
		},
		// Content and activity.
		"GET /rest/v1/contents": func(t *testing.T, b Tenant, method, path string) {
			for _, q := range []string{"", "?types=video,file", "?updatedSince=2000-01-01&perPage=1000"} {
				got := s.MustOK(t, b, http.StatusOK, method, path+q, "")
				if n := len(got["results"].([]any)); n != 0 || got["pagination"].(map[string]any)["totalResults"] != 0.0 {
					t.Errorf("B's contents %s = %v", q, got)
				}
			}
		},
		"GET /rest/v1/contents/{id}":           notFound(s, ""),
		"PATCH /lethe/v1/contents/{id}":        notFound(s, `{"title":"Mallory"}`),
		"POST /lethe/v1/contents/{id}/archive": notFound(s, ""),
		"GET /rest/v1/activity/{id}":           notFound(s, ""),
		"POST /lethe/v1/contents": func(t *testing.T, b Tenant, method, path string) {
			// A's content id is free in B: B's own item, A's stays as it is.
			got := s.MustOK(t, b, http.StatusCreated, method, path, `{"id":"`+contentA+`","title":"Mallory","type":"video"}`)
			if got["title"] != "Mallory" || len(got["contentHistory"].([]any)) != 1 {
				t.Errorf("B's content = %v", got)
			}
		},
		"GET /rest/v1/activities": func(t *testing.T, b Tenant, method, path string) {
			for _, q := range []string{"", "?contentIds=" + contentA, "?timestampFrom=2000-01-01+00%3A00%3A00&perPage=1000"} {
				got := s.MustOK(t, b, http.StatusOK, method, path+q, "")
				if n := len(got["results"].([]any)); n != 0 || got["pagination"].(map[string]any)["totalResults"] != 0.0 {
					t.Errorf("B's activities %s = %v", q, got)
				}
			}
		},
		"POST /lethe/v1/activities": func(t *testing.T, b Tenant, method, path string) {
			for _, user := range []string{`"userId":"` + a.liveID + `"`, `"userRef":"` + a.suspendedRef + `"`} {
				res := s.Do(t, b, method, path, `{"activities":[{"id":"x1","type":"loggedin",`+user+`,"date":"`+T0+`"}]}`)
				MustError(t, res, http.StatusUnprocessableEntity, "invalid", "activities[0]."+strings.SplitN(user[1:], `"`, 2)[0])
			}
			// A's client id is free in B.
			bob := MustID(t, s.MustCreateUser(t, b, "b-bob", nil))
			got := s.MustOK(t, b, http.StatusOK, method, path, `{"activities":[{"id":"a-act-1","type":"viewed","userId":"`+bob+`","date":"`+T0+`"}]}`)
			if got["stored"] != 1.0 {
				t.Errorf("B's ingestion = %v", got)
			}
		},
		"POST /lethe/v1/users/{id}/reactivate": func(t *testing.T, b Tenant, method, path string) {
			MustError(t, s.Do(t, b, method, path, `{"firstName":"Mallory"}`), http.StatusNotFound, "not_found")
		},
		"POST /lethe/v1/users/{id}/logins": func(t *testing.T, b Tenant, method, path string) {
			MustError(t, s.Do(t, b, method, path, ""), http.StatusNotFound, "not_found")
		},
		"GET /lethe/v1/users/{id}/status-history": func(t *testing.T, b Tenant, method, path string) {
			MustError(t, s.Do(t, b, method, path, ""), http.StatusNotFound, "not_found")
		},
		"GET /lethe/v1/erasures/{userId}": func(t *testing.T, b Tenant, method, path string) {
			MustError(t, s.Do(t, b, method, path, ""), http.StatusNotFound, "not_found")
		},
		"DELETE /lethe/v1/users/{id}": func(t *testing.T, b Tenant, method, path string) {
			for _, q := range []string{"", "?mode=erase", "?mode=purge"} {
				MustError(t, s.Do(t, b, method, path+q, ""), http.StatusNotFound, "not_found")
			}
		},
		"POST /lethe/v1/users/{id}/anonymize": notFound(s, ""),
		"GET /lethe/v1/erasures/public-key": func(t *testing.T, b Tenant, method, path string) {
			// The server's key, the same for every tenant: no tenant data.
			if got := s.MustOK(t, b, http.StatusOK, method, path, ""); got["algorithm"] != "Ed25519" {
				t.Errorf("public key = %v", got)
			}
		},
		"GET /lethe/v1/settings": func(t *testing.T, b Tenant, method, path string) {
			got := s.MustOK(t, b, http.StatusOK, method, path, "")
			MustDiff(t, "B's settings", map[string]any{"deletion": map[string]any{"mode": "erase", "graceDays": 0.0, "tombstoneDays": 30.0},
				"audits": map[string]any{"dormant": nil}, "scim": map[string]any{"additionalFields": defaultSCIMMapping()}, "updatedAt": nil}, got)
		},
		// SCIM tokens: B sees, makes and revokes only its own.
		"POST /lethe/v1/scim/tokens": func(t *testing.T, b Tenant, method, path string) {
			id := s.MustOK(t, b, http.StatusCreated, method, path, `{"name":"b-okta"}`)["id"]
			list := mustArray(t, s.Do(t, b, "GET", path, ""))
			if len(list) != 1 || list[0].(map[string]any)["id"] != id {
				t.Errorf("B's tokens = %v, want only B's new one", list)
			}
		},
		"GET /lethe/v1/scim/tokens": func(t *testing.T, b Tenant, method, path string) {
			MustDiff(t, "B's tokens", []any{}, mustArray(t, s.Do(t, b, method, path, "")))
		},
		"DELETE /lethe/v1/scim/tokens/{id}": notFound(s, ""),
		// OAuth clients: B sees, makes and revokes only its own.
		"POST /lethe/v1/oauth/clients": func(t *testing.T, b Tenant, method, path string) {
			id := s.MustOK(t, b, http.StatusCreated, method, path, `{"name":"b-sync","scopes":["api/read"]}`)["clientId"]
			list := mustArray(t, s.Do(t, b, "GET", path, ""))
			if len(list) != 1 || list[0].(map[string]any)["clientId"] != id {
				t.Errorf("B's clients = %v, want only B's new one", list)
			}
		},
		"GET /lethe/v1/oauth/clients": func(t *testing.T, b Tenant, method, path string) {
			MustDiff(t, "B's clients", []any{}, mustArray(t, s.Do(t, b, method, path, "")))
		},
		"DELETE /lethe/v1/oauth/clients/{id}": notFound(s, ""),
		// Webhooks: B sees, makes and changes only its own subscriptions,
		// and sees none of A's deliveries, events or attempts.
		"POST /lethe/v1/webhooks/subscriptions": func(t *testing.T, b Tenant, method, path string) {
			id := s.mustSubscribe(t, b, `{"url":"https://hooks.example.com/a","types":["user_subscription"]}`)["id"]
			list := mustArray(t, s.Do(t, b, "GET", path, ""))
			if len(list) != 1 || list[0].(map[string]any)["id"] != id || id == a.subscriptionID {
				t.Errorf("B's subscriptions = %v, want only B's new one", list)
			}
			// B's own events go to B's subscription only.
			s.MustCreateUser(t, b, "b-hooked", nil)
			got, _ := s.deliveries(t, b, path+"/"+id.(string)+"/deliveries")
			if len(got) != 1 || got[0]["eventId"] == a.eventID {
				t.Errorf("B's deliveries = %v", got)
			}
			MustError(t, s.Do(t, b, "POST", "/lethe/v1/webhooks/events/"+got[0]["eventId"].(string)+"/redeliver?subscriptionId="+
				a.subscriptionID, ""), http.StatusNotFound, "not_found", "subscriptionId")
		},
		"GET /lethe/v1/webhooks/subscriptions": func(t *testing.T, b Tenant, method, path string) {
			MustDiff(t, "B's subscriptions", []any{}, mustArray(t, s.Do(t, b, method, path, "")))
		},
		"GET /lethe/v1/webhooks/subscriptions/{id}": notFound(s, ""),
		"PATCH /lethe/v1/webhooks/subscriptions/{id}": func(t *testing.T, b Tenant, method, path string) {
			for _, body := range []string{`{"enabled":false}`, `{"url":"https://evil.example.com/","secret":""}`, `{"types":["content_subscription"]}`} {
				MustError(t, s.Do(t, b, method, path, body), http.StatusNotFound, "not_found")
			}
		},
		"DELETE /lethe/v1/webhooks/subscriptions/{id}": notFound(s, ""),
		"GET /lethe/v1/webhooks/subscriptions/{id}/deliveries": func(t *testing.T, b Tenant, method, path string) {
			for _, q := range []string{"", "?state=pending", "?state=failed&perPage=1000"} {
				MustError(t, s.Do(t, b, method, path+q, ""), http.StatusNotFound, "not_found")
			}
		},
		"GET /lethe/v1/webhooks/events/{eventId}/deliveries": func(t *testing.T, b Tenant, method, path string) {
			for _, q := range []string{"", "?state=pending", "?state=delivered"} {
				MustError(t, s.Do(t, b, method, path+q, ""), http.StatusNotFound, "not_found")
			}
		},
		"POST /lethe/v1/webhooks/events/{eventId}/redeliver": func(t *testing.T, b Tenant, method, path string) {
			MustError(t, s.Do(t, b, method, path, ""), http.StatusNotFound, "not_found")
			MustError(t, s.Do(t, b, method, path+"?subscriptionId="+a.subscriptionID, ""), http.StatusNotFound, "not_found", "subscriptionId")
			// Not even through a subscription of B's own.
			own := s.mustSubscribe(t, b, `{"url":"https://hooks.example.com/b","types":["user_subscription"]}`)["id"].(string)
			MustError(t, s.Do(t, b, method, path+"?subscriptionId="+own, ""), http.StatusNotFound, "not_found")
		},
		"GET /lethe/v1/webhooks/deliveries/{deliveryId}/attempts": notFound(s, ""),
		"PATCH /lethe/v1/settings": func(t *testing.T, b Tenant, method, path string) {
			s.MustOK(t, b, http.StatusOK, method, path, `{"deletion":{"mode":"restricted","graceDays":3}}`)
		},
		"POST /lethe/v1/users/bulk": func(t *testing.T, b Tenant, method, path string) {
			res := s.Do(t, b, method, path, `{"action":"delete","identifiers":[{"id":"`+a.liveID+`"},{"ref":"`+a.suspendedRef+`"},{"email":"alice@example.com"}]}`)
			MustStatus(t, res, http.StatusMultiStatus)
			MustDiff(t, "B's bulk on A's users", []string{"failed: unknown user", "failed: unknown user", "failed: unknown user"}, results(t, res.Object(t)))
		},
		"POST /lethe/v1/jobs": func(t *testing.T, b Tenant, method, path string) {
			MustError(t, s.Do(t, b, method, path, `{"action":"delete","selector":{"audienceId":"A-TEAM"}}`), http.StatusNotFound, "not_found")
			job := s.MustOK(t, b, http.StatusAccepted, method, path, `{"action":"delete","selector":{"csv":"id\n`+a.liveID+`\n"}}`)
			if job["failed"] != 1.0 {
				t.Errorf("B's job on A's user = %v", job)
			}
			s.runJobs(t)
			job = s.MustOK(t, b, http.StatusAccepted, method, path, `{"action":"delete","confirmAll":true,"selector":{"query":{}}}`)
			if job["total"] != 0.0 {
				t.Errorf("B's query job = %v", job)
			}
		},
		"GET /lethe/v1/jobs": func(t *testing.T, b Tenant, method, path string) {
			MustDiff(t, "B's jobs", []any{}, s.MustOK(t, b, http.StatusOK, method, path, "")["results"])
		},
		"GET /lethe/v1/jobs/{id}":                  notFound(s, ""),
		"POST /lethe/v1/jobs/{id}/cancel":          notFound(s, ""),
		"POST /lethe/v1/jobs/{id}/exclude":         notFound(s, `{"userIds":["`+a.liveID+`","`+a.suspendedID+`"]}`),
		"GET /lethe/v1/jobs/{id}/results":          notFound(s, ""),
		"GET /lethe/v1/audits/dormant/{id}":        notFound(s, ""),
		"POST /lethe/v1/audits/dormant/{id}/apply": notFound(s, ""),
		"POST /lethe/v1/audits/dormant": func(t *testing.T, b Tenant, method, path string) {
			got := s.MustOK(t, b, http.StatusCreated, method, path, `{"neverLoggedInDays":0,"inactiveDays":0,"endDatePassed":true}`)
			if got["total"] != 0.0 {
				t.Errorf("B's audit found A's users: %v", got)
			}
			MustError(t, s.Do(t, b, method, path, `{"endDatePassed":true,"exclude":{"audiences":["A-TEAM"]}}`),
				http.StatusUnprocessableEntity, "invalid", "exclude.audiences[0]")
		},
		"GET /lethe/v1/audits/dormant": func(t *testing.T, b Tenant, method, path string) {
			MustDiff(t, "B's audits", []any{}, s.MustOK(t, b, http.StatusOK, method, path, "")["results"])
		},
		// Reports: B counts nobody, and cannot name A's audiences.
		"GET /lethe/v1/reports/headcount": func(t *testing.T, b Tenant, method, path string) {
			if got := s.MustOK(t, s.A, http.StatusOK, method, path, ""); got["headcount"] == 0.0 {
				t.Fatalf("A's headcount = %v: the case proves nothing", got)
			}
			for _, q := range []string{"", "?asOf=2030-01-01", "?asOf=" + T0} {
				got := s.MustOK(t, b, http.StatusOK, method, path+q, "")
				MustDiff(t, "B's headcount "+q, map[string]any{"asOf": got["asOf"], "headcount": 0.0,
					"byState": map[string]any{"active": 0.0, "suspended": 0.0, "deleted": 0.0}}, got)
			}
			res := s.Do(t, b, method, path+"?format=csv&asOf=2030-01-01", "")
			if res.Status != http.StatusOK || !strings.HasSuffix(string(res.Body), ",0,0,0,0\r\n") {
				t.Errorf("B's CSV headcount = %s", res)
			}
			for _, aud := range []string{a.audienceID, "A-TEAM", a.orgID} {
				MustError(t, s.Do(t, b, method, path+"?audienceId="+aud, ""), http.StatusNotFound, "not_found", "audienceId")
			}
		},
		"GET /lethe/v1/reports/compliance": func(t *testing.T, b Tenant, method, path string) {
			q := "?from=2000-01-01&to=2030-01-01"
			if got := s.MustOK(t, s.A, http.StatusOK, method, path+q, ""); len(got["assignments"].([]any)) == 0 {
				t.Fatalf("A's report = %v: the case proves nothing", got)
			}
			got := s.MustOK(t, b, http.StatusOK, method, path+q, "")
			MustDiff(t, "B's report", map[string]any{"from": "2000-01-01T00:00:00.000Z", "to": "2030-01-01T23:59:59.999Z",
				"audienceId": nil, "assignments": []any{}}, got)
			res := s.Do(t, b, method, path+q+"&format=csv", "")
			if res.Status != http.StatusOK || string(res.Body) != "assignmentId,audienceId,userId,status,lastCompletedAt,deleted\r\n" {
				t.Errorf("B's CSV report = %s", res)
			}
			for _, aud := range []string{a.audienceID, "A-TEAM", a.orgID} {
				MustError(t, s.Do(t, b, method, path+q+"&audienceId="+aud, ""), http.StatusNotFound, "not_found", "audienceId")
			}
		},
	}

	for k, v := range cpdTagsIsolationCases(s, a) {
		cases[k] = v
	}
	routes := (&rest.Handler{}).Routes()
	seen := map[string]bool{}
	for i, rt := range routes {
		key := rt.Method + " " + rt.Pattern
		seen[key] = true
		check, ok := cases[key]
		if !ok {
			t.Errorf("route %s has no tenant-isolation case: add one to TestServer_TenantIsolation", key)
			continue
		}
		t.Run(key, func(t *testing.T) {
			b := s.MustCreateTenant(t, fmt.Sprintf("tenant-b-%02d", i))
			for _, path := range expandPaths(t, rt.Pattern, a) {
				check(t, b, rt.Method, path)
			}
			MustDiff(t, "tenant A after "+key, before, snapshotA(t, s, a))
		})
	}
	for key := range cases {
		if !seen[key] {
			t.Errorf("case %s names no route: remove it", key)
		}
	}
}

// notFound is an isolation case for a route that must answer 404 to B.
func notFound(s *testServer, body string) func(t *testing.T, b Tenant, method, path string) {
	return func(t *testing.T, b Tenant, method, path string) {
		t.Helper()
		MustError(t, s.Do(t, b, method, path, body), http.StatusNotFound, "not_found")
	}
}
