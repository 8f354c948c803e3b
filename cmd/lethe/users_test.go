package main

// End-to-end tests of the user lifecycle, driven through the SDK against a
// server started by MustRunMain.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lethehq/lethe/client"
)

// personFields returns the required fields of a new user.
func personFields(first, last, email string) client.UserFields {
	return client.UserFields{FirstName: client.Ptr(first), LastName: client.Ptr(last), Email: client.Ptr(email)}
}

// mustCreate creates a user through the SDK and registers its personal values.
func mustCreate(tb testing.TB, srv *testServer, ref string, f client.UserFields) *client.UserLifecycle {
	tb.Helper()
	srv.rememberFields(ref, f)
	u, err := srv.Client.CreateUser(context.Background(), ref, f)
	if err != nil {
		tb.Fatalf("create user: %v", err)
	}
	return u
}

// mustStatusError checks that err is an *client.Error with the status and
// code, and, when field is not empty, that Details names field with problem.
func mustStatusError(tb testing.TB, err error, status int, code, field, problem string) {
	tb.Helper()
	e, ok := err.(*client.Error)
	if !ok {
		tb.Fatalf("err = %v (%T), want *client.Error %d %s", err, err, status, code)
	}
	if e.Status != status || e.Code != code {
		tb.Errorf("error = %d %s (%s), want %d %s", e.Status, e.Code, e.Message, status, code)
	}
	if field != "" && e.Problem(field) != problem {
		tb.Errorf("details = %+v, want %s: %s", e.Details, field, problem)
	}
}

var idPattern = regexp.MustCompile(`^[0-9a-f]{24}$`)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// asJSON renders v for comparisons that print well on failure.
func asJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

func TestClient_CreateUser(t *testing.T) {
	t.Parallel()
	srv := MustRunMain(t)
	ctx := t.Context()
	c := srv.Client
	mgr := mustCreate(t, srv, "MGR-0001", personFields("Gracia", "Hopperton", "gracia.hopperton@example.com"))

	t.Run("OK", func(t *testing.T) {
		before := time.Now().Add(-time.Second)
		start, end := day(2025, 9, 1), day(2031, 8, 31)
		f := personFields("Adalind", "Lovelock", "Adalind.Lovelock@Example.com")
		f.Role, f.JobTitle, f.ManagerRef = client.Ptr(client.RoleLearnerAdmin), client.Ptr("Head of Learning"), client.Ptr("MGR-0001")
		f.StartDate, f.EndDate, f.TimeZone, f.LanguageCode = &start, &end, client.Ptr("Europe/London"), client.Ptr("en-GB")
		f.SSO, f.Domain = client.Ptr(true), client.Ptr("lovelock.example")
		f.AdditionalFields = json.RawMessage(`{"department":"L&D <Ops>","grade":7}`)
		got := mustCreate(t, srv, "EMP-0001", f)

		if !idPattern.MatchString(got.ID) {
			t.Errorf("id %q is not 24 lower-case hex characters", got.ID)
		}
		want := client.UserLifecycle{
			ID: got.ID, LoginMethod: client.LoginEmail, Ref: "EMP-0001", Email: "Adalind.Lovelock@Example.com",
			FirstName: "Adalind", LastName: "Lovelock", Role: client.RoleLearnerAdmin, JobTitle: "Head of Learning",
			ManagerRef: "MGR-0001", TimeZone: "Europe/London", LanguageCode: "en-gb", Active: true, SSO: true,
			Domain: "lovelock.example",
		}
		gotFlat := *got
		gotFlat.StartDate, gotFlat.EndDate, gotFlat.CreatedAt, gotFlat.UpdatedAt, gotFlat.AdditionalFields = nil, nil, time.Time{}, time.Time{}, nil
		if g, w := asJSON(gotFlat), asJSON(want); g != w {
			t.Errorf("created\n got %s\nwant %s", g, w)
		}
		if !sameTime(got.StartDate, &start) || !sameTime(got.EndDate, &end) {
			t.Errorf("dates = %v, %v; want %v, %v", got.StartDate, got.EndDate, start, end)
		}
		if got.CreatedAt.Before(before) || got.CreatedAt.After(time.Now().Add(time.Second)) || !got.UpdatedAt.Equal(got.CreatedAt) {
			t.Errorf("createdAt %v, updatedAt %v: want now, and equal", got.CreatedAt, got.UpdatedAt)
		}
		if fmt.Sprint(got.AdditionalFields) != "map[department:L&D <Ops> grade:7]" {
			t.Errorf("additionalFields = %v", got.AdditionalFields)
		}

		full, err := c.GetUser(ctx, got.ID)
		if err != nil {
			t.Fatal(err)
		}
		if full.Ref != "EMP-0001" || full.Email != "Adalind.Lovelock@Example.com" || full.Status != client.StatusNew ||
			full.Deleted || !full.SingleSignOn || full.FirstLogin != nil || full.Role != client.RoleLearnerAdmin ||
			full.LanguageCode != "en-gb" || full.TimeZone != "Europe/London" {
			t.Errorf("GetUser = %+v", full)
		}
		if len(full.Positions) != 1 {
			t.Fatalf("positions = %+v, want one", full.Positions)
		}
		p := full.Positions[0]
		if p.Title != "Head of Learning" || !p.IsActive || !sameTime(p.StartDate, &start) || !sameTime(p.EndDate, &end) ||
			p.Manager == nil || *p.Manager != (client.Manager{ID: mgr.ID, Name: "Gracia Hopperton", Ref: "MGR-0001"}) {
			t.Errorf("position = %+v (manager %+v)", p, p.Manager)
		}
		if full.Tags == nil || full.UsersFollowing == nil || full.Audiences == nil {
			t.Errorf("tags, usersFollowing and audiences must be present: %+v", full)
		}

		basic, err := c.GetUserByRef(ctx, "EMP-0001")
		if err != nil {
			t.Fatal(err)
		}
		if basic.ID != got.ID || basic.Email != full.Email || basic.Status != client.StatusNew || len(basic.Positions) != 1 ||
			basic.AdditionalFields["department"] != "L&D <Ops>" {
			t.Errorf("GetUserByRef = %+v", basic)
		}
	})
	t.Run("OKLoginByRefWithoutEmail", func(t *testing.T) {
		f := client.UserFields{FirstName: client.Ptr("Refina"), LastName: client.Ptr("Noemail"), LoginMethod: client.Ptr(client.LoginRef)}
		got := mustCreate(t, srv, "EMP-NOMAIL", f)
		if got.Email != "" || got.LoginMethod != client.LoginRef || got.Role != client.RoleLearner {
			t.Errorf("created %+v", got)
		}
		full, err := c.GetUser(ctx, got.ID)
		if err != nil || full.Email != "" || len(full.Positions) != 0 || len(full.AdditionalFields) != 0 {
			t.Errorf("GetUser = %+v, %v", full, err)
		}
	})
	t.Run("ErrDuplicateRef", func(t *testing.T) {
		_, err := c.CreateUser(ctx, "MGR-0001", personFields("Other", "Person", "other.person@example.com"))
		mustStatusError(t, err, http.StatusConflict, client.CodeConflict, "ref", client.ProblemTaken)
		if !client.IsConflict(err) {
			t.Error("IsConflict = false")
		}
	})
	t.Run("ErrDuplicateEmailAnyCase", func(t *testing.T) {
		f := personFields("Grace", "Twin", "GRACIA.Hopperton@EXAMPLE.com")
		srv.rememberFields("EMP-TWIN", f)
		_, err := c.CreateUser(ctx, "EMP-TWIN", f)
		mustStatusError(t, err, http.StatusConflict, client.CodeConflict, "email", client.ProblemTaken)
		if _, err := c.GetUserByRef(ctx, "EMP-TWIN"); !client.IsNotFound(err) {
			t.Errorf("the refused user exists: %v", err)
		}
	})
	t.Run("ErrEmailRequired", func(t *testing.T) {
		_, err := c.CreateUser(ctx, "EMP-X1", client.UserFields{FirstName: client.Ptr("No"), LastName: client.Ptr("Mail")})
		mustStatusError(t, err, http.StatusUnprocessableEntity, client.CodeInvalid, "email", client.ProblemRequired)
	})
	t.Run("ErrInvalidFields", func(t *testing.T) {
		f := personFields("Bad", "Values", "not-an-email")
		f.Role, f.TimeZone, f.LanguageCode, f.ManagerRef = client.Ptr(client.Role("king")), client.Ptr("Mars/Olympus"), client.Ptr("english!"), client.Ptr("EMP-X2")
		_, err := c.CreateUser(ctx, "EMP-X2", f)
		mustStatusError(t, err, http.StatusUnprocessableEntity, client.CodeInvalid, "", "")
		e := err.(*client.Error)
		for _, field := range []string{"email", "role", "timeZone", "languageCode", "managerRef"} {
			if e.Problem(field) != client.ProblemInvalid {
				t.Errorf("details %+v: want %s invalid", e.Details, field)
			}
		}
		if strings.Contains(e.Message, "not-an-email") || strings.Contains(e.Message, "Mars") {
			t.Errorf("message %q repeats the value", e.Message)
		}
	})
	t.Run("ErrMissingNames", func(t *testing.T) {
		_, err := c.CreateUser(ctx, "EMP-X3", client.UserFields{Email: client.Ptr("x3@example.com")})
		mustStatusError(t, err, http.StatusUnprocessableEntity, client.CodeInvalid, "firstName", client.ProblemRequired)
		if err.(*client.Error).Problem("lastName") != client.ProblemRequired {
			t.Errorf("details %+v: want lastName required too", err.(*client.Error).Details)
		}
	})
	t.Run("ErrUnauthenticated", func(t *testing.T) {
		for _, cl := range []*client.Client{srv.NewClient(srv.TenantID, "wrong-key"), srv.NewClient("no-such-tenant", srv.APIKey), srv.NewClient(srv.TenantID, "")} {
			_, err := cl.CreateUser(ctx, "EMP-X4", personFields("Un", "Known", "un.known@example.com"))
			mustStatusError(t, err, http.StatusUnauthorized, client.CodeUnauthenticated, "", "")
		}
		if _, err := c.GetUserByRef(ctx, "EMP-X4"); !client.IsNotFound(err) {
			t.Errorf("an unauthenticated create took effect: %v", err)
		}
	})
}

func TestClient_UpdateUser(t *testing.T) {
	t.Parallel()
	srv := MustRunMain(t)
	ctx := t.Context()
	c := srv.Client
	f := personFields("Updina", "Changeling", "updina.changeling@example.com")
	f.JobTitle, f.TimeZone = client.Ptr("Clerk"), client.Ptr("Europe/Paris")
	u := mustCreate(t, srv, "UPD-1", f)
	mustCreate(t, srv, "UPD-2", personFields("Secunda", "Otherly", "secunda.otherly@example.com"))

	t.Run("OKPartial", func(t *testing.T) {
		got, err := c.UpdateUser(ctx, "UPD-1", client.UserFields{JobTitle: client.Ptr("Senior Clerk"), Role: client.Ptr(client.RoleAdministrator)})
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != u.ID || got.JobTitle != "Senior Clerk" || got.Role != client.RoleAdministrator ||
			got.FirstName != "Updina" || got.Email != "updina.changeling@example.com" || got.TimeZone != "Europe/Paris" {
			t.Errorf("updated %+v: only jobTitle and role may change", got)
		}
		if got.UpdatedAt.Before(u.UpdatedAt) || !got.CreatedAt.Equal(u.CreatedAt) {
			t.Errorf("createdAt %v updatedAt %v, created %v", got.CreatedAt, got.UpdatedAt, u.CreatedAt)
		}
	})
	t.Run("OKEmptyBodyChangesNothing", func(t *testing.T) {
		before, err := c.GetUserByRef(ctx, "UPD-1")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.UpdateUser(ctx, "UPD-1", client.UserFields{}); err != nil {
			t.Fatal(err)
		}
		after, err := c.GetUserByRef(ctx, "UPD-1")
		if err != nil {
			t.Fatal(err)
		}
		// Only the update time may move.
		for _, u := range []*client.BasicUser{before, after} {
			for i := range u.Positions {
				u.Positions[i].UpdatedAt = nil
			}
		}
		if asJSON(before) != asJSON(after) {
			t.Errorf("empty update changed the user:\n%s\n%s", asJSON(before), asJSON(after))
		}
	})
	t.Run("OKClearFields", func(t *testing.T) {
		got, err := c.UpdateUser(ctx, "UPD-1", client.UserFields{JobTitle: client.Ptr(""), TimeZone: client.Ptr(""),
			AdditionalFields: json.RawMessage(`null`)})
		if err != nil {
			t.Fatal(err)
		}
		if got.JobTitle != "" || got.TimeZone != "" || len(got.AdditionalFields) != 0 {
			t.Errorf("after clearing: %+v", got)
		}
	})
	t.Run("OKSameEmailOtherCase", func(t *testing.T) {
		got, err := c.UpdateUser(ctx, "UPD-1", client.UserFields{Email: client.Ptr("UPDINA.Changeling@example.com")})
		if err != nil {
			t.Fatalf("a user's own email in another case: %v", err)
		}
		if got.Email != "UPDINA.Changeling@example.com" {
			t.Errorf("email = %q", got.Email)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := c.UpdateUser(ctx, "UPD-404", client.UserFields{JobTitle: client.Ptr("x")})
		mustStatusError(t, err, http.StatusNotFound, client.CodeNotFound, "", "")
	})
	t.Run("ErrEmailTaken", func(t *testing.T) {
		_, err := c.UpdateUser(ctx, "UPD-1", client.UserFields{Email: client.Ptr("Secunda.Otherly@example.com")})
		mustStatusError(t, err, http.StatusConflict, client.CodeConflict, "email", client.ProblemTaken)
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		_, err := c.UpdateUser(ctx, "UPD-1", client.UserFields{FirstName: client.Ptr(""), Email: client.Ptr("broken")})
		mustStatusError(t, err, http.StatusUnprocessableEntity, client.CodeInvalid, "firstName", client.ProblemRequired)
		got, gerr := c.GetUserByRef(ctx, "UPD-1")
		if gerr != nil || got.FirstName != "Updina" {
			t.Errorf("a refused update took effect: %+v, %v", got, gerr)
		}
	})
	t.Run("ErrEndBeforeStart", func(t *testing.T) {
		start, end := day(2026, 5, 1), day(2026, 4, 1)
		_, err := c.UpdateUser(ctx, "UPD-1", client.UserFields{StartDate: &start, EndDate: &end})
		mustStatusError(t, err, http.StatusUnprocessableEntity, client.CodeInvalid, "endDate", client.ProblemInvalid)
	})
}

func TestClient_SuspendUser(t *testing.T) {
	t.Parallel()
	srv := MustRunMain(t)
	ctx := t.Context()
	c := srv.Client
	u := mustCreate(t, srv, "SUS-1", personFields("Suspira", "Leaver", "suspira.leaver@example.com"))

	t.Run("OK", func(t *testing.T) {
		end := day(2030, 1, 31)
		got, err := c.SuspendUser(ctx, "SUS-1", &end)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != u.ID || got.Active || !sameTime(got.EndDate, &end) {
			t.Errorf("suspended %+v: want inactive with the end date", got)
		}
		full, err := c.GetUser(ctx, u.ID)
		if err != nil || full.Status != client.StatusInactive || full.Deleted || full.Ref != "SUS-1" {
			t.Errorf("GetUser after suspension = %+v, %v", full, err)
		}
	})
	t.Run("OKAgainKeepsOneHistoryEntry", func(t *testing.T) {
		got, err := c.SuspendUser(ctx, "SUS-1", nil)
		if err != nil {
			t.Fatal(err)
		}
		if got.Active || got.EndDate == nil {
			t.Errorf("second suspension without a date = %+v: want still inactive, end date kept", got)
		}
		h, err := c.StatusHistory(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if reasons := historyReasons(h); reasons != "created suspended" {
			t.Errorf("history = %s, want created suspended", reasons)
		}
		if h[1].From != "active" || h[1].To != "suspended" || h[1].Source != "api" {
			t.Errorf("suspension entry = %+v", h[1])
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := c.SuspendUser(ctx, "SUS-404", nil)
		mustStatusError(t, err, http.StatusNotFound, client.CodeNotFound, "", "")
	})
}

func historyReasons(h []client.StatusChange) string {
	var rs []string
	for _, c := range h {
		rs = append(rs, c.Reason)
	}
	return strings.Join(rs, " ")
}

func TestClient_ReactivateUser(t *testing.T) {
	t.Parallel()
	srv := MustRunMain(t)
	ctx := t.Context()
	c := srv.Client
	u := mustCreate(t, srv, "REA-1", personFields("Rehira", "Returner", "rehira.returner@example.com"))
	if _, err := c.RecordLogin(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	end := day(2025, 12, 31)
	if _, err := c.SuspendUser(ctx, "REA-1", &end); err != nil {
		t.Fatal(err)
	}

	t.Run("OK", func(t *testing.T) {
		got, err := c.ReactivateUser(ctx, u.ID, client.UserFields{JobTitle: client.Ptr("Returning Analyst")})
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != u.ID || !got.Active || got.EndDate != nil || got.JobTitle != "Returning Analyst" || got.Ref != "REA-1" {
			t.Errorf("reactivated %+v: want the same user, active, end date cleared, job title set", got)
		}
		full, err := c.GetUser(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		// The first login survived the suspension: the user is active, not new.
		if full.Status != client.StatusActive || full.FirstLogin == nil {
			t.Errorf("after reactivation: status %s, firstLogin %v", full.Status, full.FirstLogin)
		}
		h, err := c.StatusHistory(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if reasons := historyReasons(h); reasons != "created suspended reactivated" {
			t.Errorf("history = %s", reasons)
		}
		for i := 1; i < len(h); i++ {
			if h[i].At.Before(h[i-1].At) {
				t.Errorf("history not oldest first: %+v", h)
			}
		}
	})
	t.Run("OKNewEndDate", func(t *testing.T) {
		if _, err := c.SuspendUser(ctx, "REA-1", nil); err != nil {
			t.Fatal(err)
		}
		newEnd := day(2040, 1, 1)
		got, err := c.ReactivateUser(ctx, u.ID, client.UserFields{EndDate: &newEnd})
		if err != nil {
			t.Fatal(err)
		}
		if !got.Active || !sameTime(got.EndDate, &newEnd) {
			t.Errorf("reactivated with a new end date: %+v", got)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		for _, id := range []string{"0123456789abcdef01234567", "not-an-id", "../../rest/v1/users"} {
			_, err := c.ReactivateUser(ctx, id, client.UserFields{})
			mustStatusError(t, err, http.StatusNotFound, client.CodeNotFound, "", "")
		}
	})
	t.Run("ErrDeleted", func(t *testing.T) {
		d := mustCreate(t, srv, "REA-2", personFields("Erasmus", "Goneby", "erasmus.goneby@example.com"))
		if err := c.DeleteUser(ctx, "REA-2"); err != nil {
			t.Fatal(err)
		}
		_, err := c.ReactivateUser(ctx, d.ID, client.UserFields{})
		mustStatusError(t, err, http.StatusConflict, client.CodeConflict, "", "")
	})
}

func TestClient_RecordLogin(t *testing.T) {
	t.Parallel()
	srv := MustRunMain(t)
	ctx := t.Context()
	c := srv.Client
	u := mustCreate(t, srv, "LOG-1", personFields("Loginda", "Signer", "loginda.signer@example.com"))

	t.Run("OK", func(t *testing.T) {
		first, err := c.RecordLogin(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if first.Status != client.StatusActive || first.FirstLogin == nil || !sameTime(first.FirstLogin, first.LastLogin) {
			t.Errorf("after the first login: %+v", first)
		}
		second, err := c.RecordLogin(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !sameTime(second.FirstLogin, first.FirstLogin) || second.LastLogin.Before(*first.LastLogin) {
			t.Errorf("second login: first %v last %v; before: first %v last %v",
				second.FirstLogin, second.LastLogin, first.FirstLogin, first.LastLogin)
		}
	})
	t.Run("ErrSuspended", func(t *testing.T) {
		if _, err := c.SuspendUser(ctx, "LOG-1", nil); err != nil {
			t.Fatal(err)
		}
		_, err := c.RecordLogin(ctx, u.ID)
		mustStatusError(t, err, http.StatusConflict, client.CodeConflict, "", "")
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := c.RecordLogin(ctx, "ffffffffffffffffffffffff")
		mustStatusError(t, err, http.StatusNotFound, client.CodeNotFound, "", "")
	})
}

func TestClient_SearchUsers(t *testing.T) {
	t.Parallel()
	srv := MustRunMain(t)
	ctx := t.Context()
	c := srv.Client
	ids := map[string]string{} // role in the test -> id
	mk := func(name string, f client.UserFields) {
		ids[name] = mustCreate(t, srv, "SEA-"+name, f).ID
	}
	mk("new", personFields("Neva", "Newcomer", "neva.newcomer@example.com"))
	mk("active", personFields("Activa", "Regular", "activa.regular@example.com"))
	mk("inactive", personFields("Inactiva", "Suspendu", "inactiva.suspendu@example.com"))
	expired := personFields("Expira", "Pastdue", "expira.pastdue@example.com")
	expired.EndDate = client.Ptr(day(2024, 12, 31))
	mk("expired", expired)
	mk("deleted", personFields("Deleta", "Erasedottir", "deleta.erasedottir@example.com"))
	if _, err := c.RecordLogin(ctx, ids["active"]); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SuspendUser(ctx, "SEA-inactive", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteUser(ctx, "SEA-deleted"); err != nil {
		t.Fatal(err)
	}

	// names returns the test names of the users in a page, sorted.
	names := func(p *client.Page[client.User]) string {
		var out []string
		for _, u := range p.Results {
			for name, id := range ids {
				if id == u.ID {
					out = append(out, name)
				}
			}
		}
		slices.Sort(out)
		return strings.Join(out, " ")
	}

	t.Run("OKStatusFilters", func(t *testing.T) {
		tests := []struct {
			name string
			p    client.SearchParams
			want string
		}{
			{"none", client.SearchParams{}, "active deleted expired inactive new"},
			{"statuses", client.SearchParams{Statuses: []client.Status{client.StatusActive}}, "active"},
			{"statusesMany", client.SearchParams{Statuses: []client.Status{client.StatusNew, client.StatusExpired}}, "expired new"},
			{"omitStatuses", client.SearchParams{OmitStatuses: []client.Status{client.StatusInactive}}, "active expired new"},
			{"status", client.SearchParams{Status: client.StatusInactive}, "deleted inactive"},
			{"combined", client.SearchParams{Statuses: []client.Status{client.StatusActive, client.StatusInactive},
				OmitStatuses: []client.Status{client.StatusInactive}}, "active"},
			{"updatedSinceFuture", client.SearchParams{UpdatedSince: time.Now().Add(time.Hour)}, ""},
			{"updatedSincePast", client.SearchParams{UpdatedSince: time.Now().Add(-time.Hour)}, "active deleted expired inactive new"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				p, err := c.SearchUsers(ctx, tt.p)
				if err != nil {
					t.Fatal(err)
				}
				if got := names(p); got != tt.want {
					t.Errorf("users = %q, want %q", got, tt.want)
				}
				if p.Pagination.TotalResults != len(p.Results) {
					t.Errorf("totalResults = %d, results %d", p.Pagination.TotalResults, len(p.Results))
				}
			})
		}
	})
	t.Run("OKStatusesInResults", func(t *testing.T) {
		p, err := c.SearchUsers(ctx, client.SearchParams{})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]client.Status{"new": client.StatusNew, "active": client.StatusActive, "inactive": client.StatusInactive,
			"expired": client.StatusExpired, "deleted": client.StatusInactive}
		for _, u := range p.Results {
			for name, id := range ids {
				if id == u.ID && (u.Status != want[name] || u.Deleted != (name == "deleted")) {
					t.Errorf("%s user: status %s deleted %v", name, u.Status, u.Deleted)
				}
			}
		}
		if !slices.IsSortedFunc(p.Results, func(a, b client.User) int { return strings.Compare(a.ID, b.ID) }) {
			t.Error("results are not ordered by id")
		}
	})
	t.Run("OKPaging", func(t *testing.T) {
		var seen []string
		for page := 1; page <= 4; page++ {
			p, err := c.SearchUsers(ctx, client.SearchParams{Page: page, PerPage: 2})
			if err != nil {
				t.Fatal(err)
			}
			want := client.Pagination{TotalResults: 5, TotalPages: 3, Page: page, PerPage: 2}
			if p.Pagination != want {
				t.Errorf("page %d: pagination %+v, want %+v", page, p.Pagination, want)
			}
			if wantLen := []int{2, 2, 1, 0}[page-1]; len(p.Results) != wantLen {
				t.Errorf("page %d: %d results, want %d", page, len(p.Results), wantLen)
			}
			for _, u := range p.Results {
				seen = append(seen, u.ID)
			}
		}
		slices.Sort(seen)
		if len(slices.Compact(seen)) != 5 {
			t.Errorf("pages hold %d distinct users, want 5", len(seen))
		}
	})
	t.Run("OKDefaults", func(t *testing.T) {
		p, err := c.SearchUsers(ctx, client.SearchParams{})
		if err != nil {
			t.Fatal(err)
		}
		if want := (client.Pagination{TotalResults: 5, TotalPages: 1, Page: 1, PerPage: 100}); p.Pagination != want {
			t.Errorf("pagination %+v, want %+v", p.Pagination, want)
		}
	})
	t.Run("ErrInvalidStatus", func(t *testing.T) {
		_, err := c.SearchUsers(ctx, client.SearchParams{Status: "retired"})
		mustStatusError(t, err, http.StatusUnprocessableEntity, client.CodeInvalid, "status", client.ProblemInvalid)
		_, err = c.SearchUsers(ctx, client.SearchParams{OmitStatuses: []client.Status{"active", "gone"}})
		mustStatusError(t, err, http.StatusUnprocessableEntity, client.CodeInvalid, "omitStatuses", client.ProblemInvalid)
	})
	t.Run("OKPerPageTooLargeReadsAsMax", func(t *testing.T) {
		// Above the maximum reads as the maximum (ADR 0025).
		p, err := c.SearchUsers(ctx, client.SearchParams{PerPage: 1001})
		if err != nil || p.Pagination.PerPage != 1000 {
			t.Fatalf("perPage 1001: %+v, %v; want perPage 1000", p, err)
		}
	})
}

// countingTransport counts the requests that pass through it.
type countingTransport struct {
	n    atomic.Int64
	next http.RoundTripper
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

func TestClient_AllUsers(t *testing.T) {
	t.Parallel()
	srv := MustRunMain(t)
	ctx := t.Context()
	const total = 250
	created := make([]string, total)
	// Four writers at once: the server must serialise them without errors.
	var wg sync.WaitGroup
	errs := make(chan error, total)
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < total; i += 4 {
				f := personFields(fmt.Sprintf("Bulkname%03d", i), "Many", fmt.Sprintf("bulk.user%03d@example.com", i))
				srv.rememberFields(fmt.Sprintf("BULK-%03d", i), f)
				u, err := srv.Client.CreateUser(ctx, fmt.Sprintf("BULK-%03d", i), f)
				if err != nil {
					errs <- err
					return
				}
				created[i] = u.ID
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("create: %v", err)
	}
	// Suspend every tenth user, to walk a filtered search too.
	for i := 0; i < total; i += 10 {
		if _, err := srv.Client.SuspendUser(ctx, fmt.Sprintf("BULK-%03d", i), nil); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("OK", func(t *testing.T) {
		rt := &countingTransport{next: http.DefaultTransport}
		c := client.New(srv.URL, srv.TenantID, srv.APIKey, client.WithHTTPClient(&http.Client{Transport: rt}))
		var got []string
		for u, err := range c.AllUsers(ctx, client.SearchParams{PerPage: 100}) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, u.ID)
		}
		if n := rt.n.Load(); n != 3 {
			t.Errorf("%d requests for %d users at 100 per page, want 3", n, total)
		}
		if !slices.IsSorted(got) {
			t.Error("users are not in id order across pages")
		}
		want := slices.Clone(created)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("walked %d users, want the %d created, each once", len(got), len(want))
		}
	})
	t.Run("OKFiltered", func(t *testing.T) {
		var n int
		for u, err := range srv.Client.AllUsers(ctx, client.SearchParams{PerPage: 7, Status: client.StatusInactive}) {
			if err != nil {
				t.Fatal(err)
			}
			if u.Status != client.StatusInactive {
				t.Errorf("user %s has status %s", u.ID, u.Status)
			}
			n++
		}
		if n != total/10 {
			t.Errorf("walked %d inactive users, want %d", n, total/10)
		}
	})
	t.Run("OKFromLaterPage", func(t *testing.T) {
		var n int
		for _, err := range srv.Client.AllUsers(ctx, client.SearchParams{Page: 3, PerPage: 100}) {
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		if n != 50 {
			t.Errorf("from page 3 walked %d users, want 50", n)
		}
	})
	t.Run("OKPerPageAboveMax", func(t *testing.T) {
		// Above the maximum reads as the maximum (ADR 0025): the walk still
		// sees every user once.
		var n int
		for _, err := range srv.Client.AllUsers(ctx, client.SearchParams{PerPage: 5000}) {
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		if n != 250 {
			t.Errorf("perPage 5000 walked %d users, want 250", n)
		}
	})
	t.Run("ErrInvalidParams", func(t *testing.T) {
		var errs []error
		for _, err := range srv.Client.AllUsers(ctx, client.SearchParams{Status: "retired"}) {
			errs = append(errs, err)
		}
		if len(errs) != 1 || client.ErrorCode(errs[0]) != client.CodeInvalid {
			t.Errorf("yielded %v, want one invalid error", errs)
		}
	})
}

func TestClient_DeleteUser(t *testing.T) {
	t.Parallel()
	srv := MustRunMain(t)
	ctx := t.Context()
	c := srv.Client
	f := personFields("Erasia", "Forgotten", "Erasia.Forgotten@example.com")
	f.JobTitle, f.TimeZone, f.LanguageCode = client.Ptr("Archivist"), client.Ptr("Europe/Berlin"), client.Ptr("de-de")
	f.AdditionalFields = json.RawMessage(`{"badge":"X-1"}`)
	f.SSO = client.Ptr(true)
	u := mustCreate(t, srv, "DEL-1", f)
	if _, err := c.RecordLogin(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SuspendUser(ctx, "DEL-1", nil); err != nil {
		t.Fatal(err)
	}

	t.Run("OK", func(t *testing.T) {
		if err := c.DeleteUser(ctx, "DEL-1"); err != nil {
			t.Fatal(err)
		}
		// Gone by ref ...
		_, err := c.GetUserByRef(ctx, "DEL-1")
		mustStatusError(t, err, http.StatusNotFound, client.CodeNotFound, "", "")
		// ... but answered by id, with no personal field.
		got, err := c.GetUser(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Deleted || got.Status != client.StatusInactive || got.ID != u.ID {
			t.Errorf("erased user: deleted %v status %s id %s", got.Deleted, got.Status, got.ID)
		}
		personal := []string{got.Ref, got.FirstName, got.LastName, got.Email, got.LanguageCode, got.TimeZone, got.Summary}
		if slices.ContainsFunc(personal, func(s string) bool { return s != "" }) || got.AdditionalFields != nil ||
			len(got.Positions) != 0 || got.SingleSignOn || got.FirstLogin != nil || got.LastLogin != nil {
			t.Errorf("erased user still has personal data: %+v", got)
		}
		// Search still lists it, flagged deleted.
		page, err := c.SearchUsers(ctx, client.SearchParams{Status: client.StatusInactive})
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(page.Results, func(x client.User) bool { return x.ID == u.ID })
		if i < 0 || !page.Results[i].Deleted || page.Results[i].Email != "" {
			t.Errorf("search after erasure: %+v", page.Results)
		}
		// The status history stays.
		h, err := c.StatusHistory(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if reasons := historyReasons(h); reasons != "created suspended erased" {
			t.Errorf("history = %s, want created suspended erased", reasons)
		}
		if last := h[len(h)-1]; last.From != "suspended" || last.To != "deleted" || last.Source != "api" {
			t.Errorf("erasure entry = %+v", last)
		}
		// The erasure record proves it, with ids and counts only.
		e, err := c.GetErasure(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if e.UserID != u.ID || e.Source != "api" || e.Erased["person"] != 1 || e.Kept["statusHistory"] != len(h) {
			t.Errorf("erasure = %+v (history has %d entries)", e, len(h))
		}
		if e.ErasedAt.IsZero() || e.ErasedAt.Before(u.CreatedAt) {
			t.Errorf("erasedAt = %v", e.ErasedAt)
		}
	})
	t.Run("OKRefIsFreeForANewUser", func(t *testing.T) {
		again := mustCreate(t, srv, "DEL-1", personFields("Erasia", "Forgotten", "erasia.forgotten@example.com"))
		if again.ID == u.ID {
			t.Fatal("re-created user got the erased user's id")
		}
		byRef, err := c.GetUserByRef(ctx, "DEL-1")
		if err != nil || byRef.ID != again.ID || byRef.Status != client.StatusNew {
			t.Errorf("by ref after re-creation = %+v, %v; want the new user, never logged in", byRef, err)
		}
		old, err := c.GetUser(ctx, u.ID)
		if err != nil || !old.Deleted || old.Ref != "" {
			t.Errorf("old user after re-creation = %+v, %v; want still erased", old, err)
		}
		h, err := c.StatusHistory(ctx, again.ID)
		if err != nil || historyReasons(h) != "created" {
			t.Errorf("new user's history = %+v, %v; want only its own creation", h, err)
		}
		if _, err := c.GetErasure(ctx, again.ID); !client.IsNotFound(err) {
			t.Errorf("erasure of the new user: %v, want 404", err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		err := c.DeleteUser(ctx, "DEL-404")
		mustStatusError(t, err, http.StatusNotFound, client.CodeNotFound, "", "")
	})
	t.Run("ErrAlreadyErased", func(t *testing.T) {
		d := mustCreate(t, srv, "DEL-2", personFields("Twicia", "Deleted", "twicia.deleted@example.com"))
		if err := c.DeleteUser(ctx, "DEL-2"); err != nil {
			t.Fatal(err)
		}
		if err := c.DeleteUser(ctx, "DEL-2"); err != nil { // deleting twice is idempotent
			t.Fatalf("delete twice: %v", err)
		}
		mustStatusError(t, c.DeleteUser(ctx, "DEL-NEVER"), http.StatusNotFound, client.CodeNotFound, "", "")
		_, err := c.UpdateUser(ctx, "DEL-2", client.UserFields{FirstName: client.Ptr("Back")})
		mustStatusError(t, err, http.StatusNotFound, client.CodeNotFound, "", "")
		_, err = c.RecordLogin(ctx, d.ID)
		mustStatusError(t, err, http.StatusConflict, client.CodeConflict, "", "")
	})
	t.Run("ErrErasureOfLiveUser", func(t *testing.T) {
		live := mustCreate(t, srv, "DEL-3", personFields("Livia", "Present", "livia.present@example.com"))
		_, err := c.GetErasure(ctx, live.ID)
		mustStatusError(t, err, http.StatusNotFound, client.CodeNotFound, "", "")
	})
}

// TestClient_Refs sends refs that need escaping through every route that
// takes a ref, and checks that each reaches the same user.
func TestClient_Refs(t *testing.T) {
	t.Parallel()
	srv := MustRunMain(t)
	ctx := t.Context()
	c := srv.Client
	refs := []string{
		"dept/EMP 7@x",
		"a+b=c&d;e,f",
		"100% sure",
		"what?#anchor",
		"...",
		"x/../y",
		"lit%2Fslash",
		"ünïcödé/名前",
		"trailing/",
		`quote"back\slash`,
	}
	for i, ref := range refs {
		t.Run("OK"+strings.NewReplacer("/", "_", " ", "_").Replace(ref), func(t *testing.T) {
			email := fmt.Sprintf("ref.user%02d@example.com", i)
			created := mustCreate(t, srv, ref, personFields("Refa", fmt.Sprintf("Escaped%02d", i), email))
			if created.Ref != ref {
				t.Errorf("created ref = %q, want %q", created.Ref, ref)
			}
			got, err := c.GetUserByRef(ctx, ref)
			if err != nil || got.ID != created.ID || got.Ref != ref {
				t.Fatalf("GetUserByRef = %+v, %v", got, err)
			}
			upd, err := c.UpdateUser(ctx, ref, client.UserFields{JobTitle: client.Ptr("Escaper")})
			if err != nil || upd.ID != created.ID || upd.JobTitle != "Escaper" {
				t.Fatalf("UpdateUser = %+v, %v", upd, err)
			}
			sus, err := c.SuspendUser(ctx, ref, nil)
			if err != nil || sus.ID != created.ID || sus.Active {
				t.Fatalf("SuspendUser = %+v, %v", sus, err)
			}
			res, err := c.SendProvisioningEvent(ctx, client.ProvisioningEvent{ID: fmt.Sprintf("ref-join-%d", i),
				Type: client.EventUserJoined, Ref: ref, Fields: client.UserFields{JobTitle: client.Ptr("Rejoined")}})
			if err != nil || res.UserID != created.ID || res.Outcome != client.OutcomeReactivated {
				t.Fatalf("user_joined = %+v, %v", res, err)
			}
			if err := c.DeleteUser(ctx, ref); err != nil {
				t.Fatalf("DeleteUser: %v", err)
			}
			if _, err := c.GetUserByRef(ctx, ref); !client.IsNotFound(err) {
				t.Errorf("after delete: %v, want 404", err)
			}
			if e, err := c.GetErasure(ctx, created.ID); err != nil || e.UserID != created.ID {
				t.Errorf("erasure = %+v, %v", e, err)
			}
		})
	}
	t.Run("ErrDotSegment", func(t *testing.T) {
		// "." and ".." are path segments clients resolve away: refused.
		for _, ref := range []string{".", ".."} {
			if _, err := c.CreateUser(ctx, ref, personFields("Dota", "Ref", "dot.ref@example.com")); err == nil ||
				!strings.Contains(err.Error(), "422") {
				t.Errorf("create %q = %v, want 422", ref, err)
			}
			if _, err := c.GetUserByRef(ctx, ref); !client.IsNotFound(err) {
				t.Errorf("get %q = %v, want 404", ref, err)
			}
		}
	})
	t.Run("ErrSlashIsNotASeparator", func(t *testing.T) {
		// "dept" alone must not match "dept/EMP 7@x" and vice versa.
		mustCreate(t, srv, "dept", personFields("Depta", "Plain", "depta.plain@example.com"))
		if _, err := c.GetUserByRef(ctx, "dept/other"); !client.IsNotFound(err) {
			t.Errorf("dept/other: %v, want 404", err)
		}
		got, err := c.GetUserByRef(ctx, "dept")
		if err != nil || got.Ref != "dept" {
			t.Errorf("dept = %+v, %v", got, err)
		}
	})
}

func TestClient_SendProvisioningEvent(t *testing.T) {
	t.Parallel()
	srv := MustRunMain(t)
	ctx := t.Context()
	c := srv.Client
	ts := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	send := func(t *testing.T, ev client.ProvisioningEvent) *client.ProvisioningResult {
		t.Helper()
		srv.rememberFields(ev.Ref, ev.Fields)
		res, err := c.SendProvisioningEvent(ctx, ev)
		if err != nil {
			t.Fatalf("%s %s: %v", ev.Type, ev.ID, err)
		}
		return res
	}
	joined := client.ProvisioningEvent{ID: "evt-join-1", Timestamp: ts, Type: client.EventUserJoined, Ref: "PRV-1",
		Fields: personFields("Provia", "Joiner", "provia.joiner@example.com")}
	joined.Fields.JobTitle = client.Ptr("Trainee")
	var userID string

	t.Run("OKJoinedCreates", func(t *testing.T) {
		res := send(t, joined)
		if !res.Success || res.ID != "evt-join-1" || res.EventType != client.EventUserJoined ||
			res.Outcome != client.OutcomeCreated || res.Replayed || !idPattern.MatchString(res.UserID) {
			t.Fatalf("result = %+v", res)
		}
		userID = res.UserID
		got, err := c.GetUserByRef(ctx, "PRV-1")
		if err != nil || got.ID != userID || got.FirstName != "Provia" || got.Positions[0].Title != "Trainee" {
			t.Errorf("provisioned user = %+v, %v", got, err)
		}
		h, err := c.StatusHistory(ctx, userID)
		if err != nil || len(h) != 1 || h[0].Source != "provisioning" {
			t.Errorf("history = %+v, %v; want one entry from provisioning", h, err)
		}
	})
	t.Run("OKReplayChangesNothing", func(t *testing.T) {
		// Change the user after the event, then replay the event.
		if _, err := c.UpdateUser(ctx, "PRV-1", client.UserFields{JobTitle: client.Ptr("Analyst")}); err != nil {
			t.Fatal(err)
		}
		before, err := c.GetUser(ctx, userID)
		if err != nil {
			t.Fatal(err)
		}
		res := send(t, joined)
		if !res.Replayed || res.Outcome != client.OutcomeCreated || res.UserID != userID {
			t.Errorf("replay = %+v, want the first outcome with replayed set", res)
		}
		after, err := c.GetUser(ctx, userID)
		if err != nil {
			t.Fatal(err)
		}
		if after.Positions[0].Title != "Analyst" || !sameTime(after.UpdatedAt, before.UpdatedAt) {
			t.Errorf("replay changed the user: title %q updatedAt %v -> %v", after.Positions[0].Title, before.UpdatedAt, after.UpdatedAt)
		}
		page, err := c.SearchUsers(ctx, client.SearchParams{})
		if err != nil || page.Pagination.TotalResults != 1 {
			t.Errorf("users after replay = %+v, %v; want still one", page, err)
		}
	})
	t.Run("OKUpdated", func(t *testing.T) {
		res := send(t, client.ProvisioningEvent{ID: "evt-upd-1", Type: client.EventUserUpdated, Ref: "PRV-1",
			Fields: client.UserFields{LastName: client.Ptr("Joiner-Smith")}})
		if res.Outcome != client.OutcomeUpdated || res.UserID != userID {
			t.Errorf("result = %+v", res)
		}
		got, err := c.GetUserByRef(ctx, "PRV-1")
		if err != nil || got.LastName != "Joiner-Smith" || got.FirstName != "Provia" {
			t.Errorf("after user_updated: %+v, %v", got, err)
		}
	})
	t.Run("OKSuspendedThenJoinedReactivates", func(t *testing.T) {
		end := day(2026, 2, 28)
		res := send(t, client.ProvisioningEvent{ID: "evt-sus-1", Type: client.EventUserSuspended, Ref: "PRV-1",
			Fields: client.UserFields{EndDate: &end}})
		if res.Outcome != client.OutcomeSuspended {
			t.Errorf("result = %+v", res)
		}
		got, err := c.GetUser(ctx, userID)
		if err != nil || got.Status != client.StatusInactive {
			t.Errorf("after user_suspended: %+v, %v", got, err)
		}
		res = send(t, client.ProvisioningEvent{ID: "evt-join-2", Type: client.EventUserJoined, Ref: "PRV-1"})
		if res.Outcome != client.OutcomeReactivated || res.UserID != userID {
			t.Errorf("rejoin = %+v", res)
		}
		got, err = c.GetUser(ctx, userID)
		if err != nil || got.Status != client.StatusNew || len(got.Positions) == 0 || got.Positions[0].EndDate != nil {
			t.Errorf("after rejoin: %+v, %v; want new again with the end date cleared", got, err)
		}
	})
	t.Run("ErrReusedID", func(t *testing.T) {
		ev := client.ProvisioningEvent{ID: "evt-upd-1", Type: client.EventUserUpdated, Ref: "PRV-2",
			Fields: client.UserFields{LastName: client.Ptr("Different")}}
		_, err := c.SendProvisioningEvent(ctx, ev)
		mustStatusError(t, err, http.StatusConflict, client.CodeConflict, "id", "reused")
	})
	t.Run("OKDeletedAndReplayed", func(t *testing.T) {
		del := client.ProvisioningEvent{ID: "evt-del-1", Timestamp: ts, Type: client.EventUserDeleted, Ref: "PRV-1"}
		res := send(t, del)
		if res.Outcome != client.OutcomeErased || res.UserID != userID {
			t.Errorf("result = %+v", res)
		}
		e, err := c.GetErasure(ctx, userID)
		if err != nil || e.Source != "provisioning" {
			t.Errorf("erasure = %+v, %v; want source provisioning", e, err)
		}
		again := send(t, del)
		// A replay after the erasure no longer names the erased user.
		if !again.Replayed || again.Outcome != client.OutcomeErased || again.UserID != "" {
			t.Errorf("replayed deletion = %+v", again)
		}
		// Replaying the first joiner event after erasure must not bring the
		// person back.
		res = send(t, joined)
		if !res.Replayed {
			t.Errorf("replayed join after erasure = %+v, want replayed", res)
		}
		if _, err := c.GetUserByRef(ctx, "PRV-1"); !client.IsNotFound(err) {
			t.Errorf("the erased user is back by ref: %v", err)
		}
		// Nothing derived from the erased person's data is kept, so an
		// event id of theirs can no longer be told apart by body: any
		// reuse answers the recorded outcome and changes nothing.
		res = send(t, client.ProvisioningEvent{ID: "evt-upd-1", Type: client.EventUserJoined, Ref: "PRV-1",
			Fields: personFields("Provia", "Joiner", "provia.joiner@example.com")})
		if !res.Replayed || res.Outcome != client.OutcomeUpdated {
			t.Errorf("reused id of an erased user = %+v, want the recorded outcome, replayed", res)
		}
		if _, err := c.GetUserByRef(ctx, "PRV-1"); !client.IsNotFound(err) {
			t.Errorf("the erased user is back by ref: %v", err)
		}
	})
	t.Run("ErrUnknownRefThenCorrectedRetry", func(t *testing.T) {
		ev := client.ProvisioningEvent{ID: "evt-upd-2", Type: client.EventUserUpdated, Ref: "PRV-404",
			Fields: client.UserFields{JobTitle: client.Ptr("Ghost")}}
		_, err := c.SendProvisioningEvent(ctx, ev)
		mustStatusError(t, err, http.StatusNotFound, client.CodeNotFound, "", "")
		// A failed event is not recorded: the same id can carry the fix.
		mustCreate(t, srv, "PRV-3", personFields("Retria", "Fixed", "retria.fixed@example.com"))
		ev.Ref = "PRV-3"
		res := send(t, ev)
		if res.Outcome != client.OutcomeUpdated || res.Replayed {
			t.Errorf("corrected retry = %+v", res)
		}
	})
	t.Run("ErrInvalidEnvelope", func(t *testing.T) {
		tests := []struct {
			name  string
			ev    client.ProvisioningEvent
			field string
		}{
			{"NoID", client.ProvisioningEvent{Type: client.EventUserDeleted, Ref: "PRV-3"}, "id"},
			{"NoType", client.ProvisioningEvent{ID: "evt-bad-1", Ref: "PRV-3"}, "eventType"},
			{"UnknownType", client.ProvisioningEvent{ID: "evt-bad-2", Type: "user_promoted", Ref: "PRV-3"}, "eventType"},
			{"NoRef", client.ProvisioningEvent{ID: "evt-bad-3", Type: client.EventUserDeleted}, "content.user.ref"},
			{"InvalidField", client.ProvisioningEvent{ID: "evt-bad-4", Type: client.EventUserJoined, Ref: "PRV-5",
				Fields: client.UserFields{FirstName: client.Ptr("A"), LastName: client.Ptr("B"), Email: client.Ptr("nope")}}, "email"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := c.SendProvisioningEvent(ctx, tt.ev)
				mustStatusError(t, err, http.StatusUnprocessableEntity, client.CodeInvalid, "", "")
				if e, ok := err.(*client.Error); ok && e.Problem(tt.field) == "" {
					t.Errorf("details %+v do not name %s", e.Details, tt.field)
				}
			})
		}
		if _, err := c.GetUser(ctx, userID); err != nil {
			t.Errorf("GetUser: %v", err)
		}
	})
}
