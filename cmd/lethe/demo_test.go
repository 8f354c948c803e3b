package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
	"github.com/lethehq/lethe/internal/testdb"
)

// TestDemo: `serve --demo` seeds an organisation in which every vendor read
// endpoint answers something meaningful: users of every status and an
// erased one, enrolments in every status, completions, recent activity,
// CPD, tags with content, interests and skills. Starting again changes
// nothing.
func TestDemo(t *testing.T) {
	dsn := testdb.DSN(t)
	srv := mustServe(t, dsn, "--demo")
	get := func(t *testing.T, path string, out any) {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.SetBasicAuth(demoTenantID, demoAPIKey)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s", path, res.Status)
		}
		if err := json.NewDecoder(res.Body).Decode(out); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
	}
	type page struct {
		Results    []map[string]any `json:"results"`
		Pagination struct {
			TotalResults int `json:"totalResults"`
		} `json:"pagination"`
	}
	total := func(t *testing.T, path string) int {
		var p page
		get(t, path, &p)
		return p.Pagination.TotalResults
	}
	t.Run("OKUsers", func(t *testing.T) {
		if n := total(t, "/rest/v1/users"); n < 30 {
			t.Errorf("%d users, want a few dozen", n)
		}
		for _, s := range []string{"active", "new", "inactive", "expired"} {
			if total(t, "/rest/v1/users?status="+s) == 0 {
				t.Errorf("no %s user", s)
			}
		}
		var erased map[string]any
		get(t, "/rest/v1/user/650000000000000000000040", &erased)
		if erased["deleted"] != true || erased["firstName"] != nil {
			t.Errorf("the erased user = %v", erased)
		}
		var completions []map[string]any
		get(t, "/rest/v1/learning/completions?userId=650000000000000000000040", &completions)
		if len(completions) == 0 {
			t.Error("the erased user's completions were not kept")
		}
	})
	t.Run("OKEnrolmentsInEveryStatus", func(t *testing.T) {
		var assignments []map[string]any
		get(t, "/rest/v1/assignments", &assignments)
		seen := map[string]int{}
		for _, a := range assignments {
			var enrolments []map[string]any
			get(t, "/rest/v1/assignments/"+a["id"].(string)+"/enrolments", &enrolments)
			for _, e := range enrolments {
				seen[e["status"].(string)]++
			}
		}
		for _, s := range []string{"archived", "complete", "open", "overdue", "scheduled", "unassigned"} {
			if seen[s] == 0 {
				t.Errorf("no %s enrolment (seen %v)", s, seen)
			}
		}
	})
	t.Run("OKActivityOverNinetyDays", func(t *testing.T) {
		now := time.Now().UTC()
		from := now.Add(-90 * 24 * time.Hour).Format("2006-01-02+15:04:05")
		if n := total(t, "/rest/v1/activities?perPage=1&timestampFrom="+from+"&timestampTo="+now.Format("2006-01-02+15:04:05")); n < 300 {
			t.Errorf("%d activities in the last 90 days", n)
		}
		if total(t, "/rest/v1/activities?perPage=1&timestampTo="+now.Add(-91*24*time.Hour).Format("2006-01-02")) != 0 {
			t.Error("activities older than 90 days")
		}
	})
	t.Run("OKEveryList", func(t *testing.T) {
		for path, min := range map[string]int{
			"/rest/v1/audiences": 6, "/rest/v1/contents": 12, "/rest/v1/contents?types=scorm": 1,
			"/rest/v1/cpdCategories": 3, "/rest/v1/cpdEntries": 10, "/rest/v1/cpdRequirementSummaries": 2,
			"/rest/v1/cpdUserLogSummaries?entryDateFrom=2000-01-01T00:00:00&entryDateTo=2100-01-01T00:00:00": 10,
			"/rest/v1/tags": 10, "/rest/v1/audiences/DEPT-ENG/members": 10,
		} {
			if n := total(t, path); n < min {
				t.Errorf("%s: %d results, want at least %d", path, n, min)
			}
		}
		var tags page
		get(t, "/rest/v1/tags", &tags)
		var content, interests, skills bool
		for _, tag := range tags.Results {
			content = content || len(tag["contents"].([]any)) > 0
			interests = interests || len(tag["interests"].([]any)) > 0
			skills = skills || len(tag["skills"].([]any)) > 0
		}
		if !content || !interests || !skills {
			t.Errorf("tags with content %v, interests %v, skills %v", content, interests, skills)
		}
		var levels, managers []map[string]any
		get(t, "/rest/v1/skills/levels", &levels)
		get(t, "/rest/v1/audiences/DEPT-ENG/managers", &managers)
		if len(levels) == 0 || len(managers) == 0 {
			t.Errorf("skill levels %v, managers %v", levels, managers)
		}
	})
	t.Run("OKSCIMToken", func(t *testing.T) {
		out := srv.stdout.String()
		curl := "curl -H 'Authorization: Bearer " + demoSCIMToken + "' 'http://" + srv.Addr + "/scim/v2/Users?filter=userName%20eq%20%22EMP001%22'"
		if !strings.Contains(out, "  scim token: demo-scim-token\n") || !strings.Contains(out, "  api key:    demo-api-key\n") || !strings.Contains(out, curl) {
			t.Errorf("serve --demo printed:\n%s\nwant the API key, the SCIM token and %s", out, curl)
		}
		// The printed request works: EMP001 is found by its userName.
		req, _ := http.NewRequest("GET", srv.URL+"/scim/v2/Users?filter=userName%20eq%20%22EMP001%22", nil)
		req.Header.Set("Authorization", "Bearer "+demoSCIMToken)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var list struct {
			TotalResults int
			Resources    []struct{ ID, UserName string }
		}
		if err := json.NewDecoder(res.Body).Decode(&list); err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("GET /scim/v2/Users with the demo token: %d, %v", res.StatusCode, err)
		}
		if list.TotalResults != 1 || len(list.Resources) != 1 || list.Resources[0].UserName != "EMP001" ||
			list.Resources[0].ID != string(demoID(1)) {
			t.Errorf("the demo's SCIM lookup of EMP001 = %+v", list)
		}
		// One demo token however often the demo starts (checked after the
		// restart below too).
		mustOneDemoToken(t, srv.URL)
	})
	t.Run("OKConsoleAccount", func(t *testing.T) {
		want := "Console: http://" + srv.Addr + "/admin  (admin@demo.test / demo-admin)\n"
		if out := srv.stdout.String(); !strings.Contains(out, want) {
			t.Errorf("serve --demo printed:\n%s\nwant %q", out, want)
		}
		mustDemoConsoleAccount(t, dsn)
		// Changed here, and set back by the next start (OKIdempotent).
		db, err := sqldb.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		svc := sqldb.NewConsoleService(db)
		actx := lethe.WithActor(context.Background(), lethe.Actor{TenantID: demoTenantID, Source: lethe.SourceCLI, Name: "test"})
		list, err := svc.FindConsoleAccounts(actx)
		if err != nil || len(list) != 1 {
			t.Fatalf("accounts %+v, %v", list, err)
		}
		link, err := svc.NewPasswordLink(actx, list[0].ID)
		if err == nil {
			_, err = svc.SetConsolePassword(context.Background(), link, "a changed password")
		}
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("OKIdempotent", func(t *testing.T) {
		before := total(t, "/rest/v1/activities?perPage=1")
		if err := srv.Stop(); err != nil {
			t.Fatal(err)
		}
		again := mustServe(t, dsn, "--demo")
		req, _ := http.NewRequest("GET", again.URL+"/rest/v1/activities?perPage=1", nil)
		req.SetBasicAuth(demoTenantID, demoAPIKey)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var p page
		if err := json.NewDecoder(res.Body).Decode(&p); err != nil {
			t.Fatal(err)
		}
		if p.Pagination.TotalResults != before {
			t.Errorf("activities after a second start: %d, want %d", p.Pagination.TotalResults, before)
		}
		mustOneDemoToken(t, again.URL)
		if got := scimGet(t, again.URL, demoSCIMToken); got != http.StatusOK {
			t.Errorf("the demo SCIM token after a second start: %d", got)
		}
		mustDemoConsoleAccount(t, dsn)
	})
}

// mustDemoConsoleAccount checks the demo tenant has one console account,
// the documented admin, who signs in with the documented password.
func mustDemoConsoleAccount(t *testing.T, dsn string) {
	t.Helper()
	db, err := sqldb.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	svc := sqldb.NewConsoleService(db)
	actx := lethe.WithActor(context.Background(), lethe.Actor{TenantID: demoTenantID, Source: lethe.SourceCLI, Name: "test"})
	list, err := svc.FindConsoleAccounts(actx)
	if err != nil || len(list) != 1 || list[0].Email != demoConsoleEmail || list[0].Role != lethe.RoleAdmin || !list[0].HasPassword {
		t.Fatalf("the demo's console accounts = %+v, %v; want the one admin", list, err)
	}
	if _, _, err := svc.ConsoleSignIn(context.Background(), demoTenantID, "admin@demo.test", "demo-admin", ""); err != nil {
		t.Errorf("sign in as the demo's console admin: %v", err)
	}
}

// mustOneDemoToken checks the demo tenant holds exactly one SCIM token, the
// demo's.
func mustOneDemoToken(t *testing.T, base string) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/lethe/v1/scim/tokens", nil)
	req.SetBasicAuth(demoTenantID, demoAPIKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var tokens []struct{ Name string }
	if err := json.NewDecoder(res.Body).Decode(&tokens); err != nil || len(tokens) != 1 || tokens[0].Name != demoSCIMTokenName {
		t.Errorf("the demo tenant's SCIM tokens = %+v, %v; want the one demo token", tokens, err)
	}
}
