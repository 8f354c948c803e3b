package sqldb_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
)

func leaf(attr, op string, v any) *lethe.SCIMFilter {
	return &lethe.SCIMFilter{Attr: attr, Op: op, Value: v}
}

func and(l, r *lethe.SCIMFilter) *lethe.SCIMFilter {
	return &lethe.SCIMFilter{Op: "and", Left: l, Right: r}
}
func or(l, r *lethe.SCIMFilter) *lethe.SCIMFilter {
	return &lethe.SCIMFilter{Op: "or", Left: l, Right: r}
}
func not(l *lethe.SCIMFilter) *lethe.SCIMFilter { return &lethe.SCIMFilter{Op: "not", Left: l} }

// mustSCIMUser creates a user through SCIM.
func mustSCIMUser(tb testing.TB, ctx context.Context, scim *sqldb.SCIMService, ref, first, last, email, title, ext string) *lethe.SCIMUser {
	tb.Helper()
	f := lethe.UserFields{FirstName: &first, LastName: &last, Email: &email}
	if title != "" {
		f.JobTitle = &title
	}
	u, err := scim.CreateSCIMUser(ctx, ref, f, ext, true)
	if err != nil {
		tb.Fatalf("create SCIM user %s: %v", ref, err)
	}
	return u
}

func refsOf(users []*lethe.SCIMUser) []string {
	out := make([]string, len(users))
	for i, u := range users {
		out[i] = u.Person.Ref
	}
	return out
}

func TestSCIMService_Filter(t *testing.T) {
	db := MustOpenDB(t)
	c := &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	db.Now = c.now
	ctx := MustTenant(t, db, "scim")
	other := MustTenant(t, db, "other")
	scim := sqldb.NewSCIMService(db)
	ann := mustSCIMUser(t, ctx, scim, "Ann.Lee", "Ann", "Lee", "Ann.Lee@Example.com", "Engineer", "ext-ANN")
	c.t = c.t.Add(time.Hour)
	bob := mustSCIMUser(t, ctx, scim, "bob_smith", "Bob", "Smith", "bob@example.com", "", "")
	c.t = c.t.Add(time.Hour)
	mustSCIMUser(t, ctx, scim, "carl%x", "Carl", "Lee", "carl@other.org", "Senior engineer", "ext-carl")
	c.t = c.t.Add(time.Hour)
	mustSCIMUser(t, ctx, scim, "bobXsmith", "Dora", "Smithers", "dora@example.com", "", "EXT-dora")
	mustSCIMUser(t, other, scim, "ann.lee", "Ann", "Lee", "ann.lee@example.com", "Engineer", "ext-ANN")
	if _, err := scim.EditSCIMUser(ctx, bob.ID, func(*lethe.SCIMUser) (*lethe.SCIMUserEdit, error) {
		return &lethe.SCIMUserEdit{Active: new(false)}, nil
	}); err != nil {
		t.Fatal(err)
	}
	t1 := c.t.Add(-time.Hour) // when carl was created
	for _, tc := range []struct {
		name   string
		filter *lethe.SCIMFilter
		want   []string
	}{
		{"userName eq ignores case", leaf("userName", "eq", "ANN.LEE"), []string{"Ann.Lee"}},
		{"attribute names ignore case", leaf("USERNAME", "EQ", "ann.lee"), []string{"Ann.Lee"}},
		{"userName eq random", leaf("userName", "eq", "random"), nil},
		{"userName ne", leaf("userName", "ne", "ann.lee"), []string{"bob_smith", "bobXsmith", "carl%x"}},
		{"userName co", leaf("userName", "co", "SMITH"), []string{"bob_smith", "bobXsmith"}},
		{"underscore is literal", leaf("userName", "co", "b_s"), []string{"bob_smith"}},
		{"percent is literal", leaf("userName", "sw", "carl%"), []string{"carl%x"}},
		{"percent alone is literal", leaf("userName", "co", "%"), []string{"carl%x"}},
		{"userName sw", leaf("userName", "sw", "BOB"), []string{"bob_smith", "bobXsmith"}},
		{"userName ew", leaf("userName", "ew", "LEE"), []string{"Ann.Lee"}},
		{"emails.value eq", leaf("emails.value", "eq", "ANN.LEE@example.COM"), []string{"Ann.Lee"}},
		{"emails.value ew", leaf("emails.value", "ew", "@EXAMPLE.com"), []string{"Ann.Lee", "bob_smith", "bobXsmith"}},
		{"givenName", leaf("name.givenName", "eq", "carl"), []string{"carl%x"}},
		{"familyName sw", leaf("name.familyName", "sw", "smith"), []string{"bob_smith", "bobXsmith"}},
		{"displayName", leaf("displayName", "eq", "ann lee"), []string{"Ann.Lee"}},
		{"title co", leaf("title", "co", "ENGINEER"), []string{"Ann.Lee", "carl%x"}},
		{"title pr", leaf("title", "pr", nil), []string{"Ann.Lee", "carl%x"}},
		{"not title pr", not(leaf("title", "pr", nil)), []string{"bob_smith", "bobXsmith"}},
		{"title ne keeps the missing", leaf("title", "ne", "engineer"), []string{"bob_smith", "bobXsmith", "carl%x"}},
		{"externalId exact", leaf("externalId", "eq", "ext-ANN"), []string{"Ann.Lee"}},
		{"externalId case matters", leaf("externalId", "eq", "ext-ann"), nil},
		{"externalId sw exact", leaf("externalId", "sw", "ext-"), []string{"Ann.Lee", "carl%x"}},
		{"externalId ew exact", leaf("externalId", "ew", "dora"), []string{"bobXsmith"}},
		{"externalId co exact", leaf("externalId", "co", "T-c"), nil},
		{"externalId co", leaf("externalId", "co", "t-c"), []string{"carl%x"}},
		{"externalId pr", leaf("externalId", "pr", nil), []string{"Ann.Lee", "bobXsmith", "carl%x"}},
		{"id eq", leaf("id", "eq", string(ann.ID)), []string{"Ann.Lee"}},
		{"active true", leaf("active", "eq", true), []string{"Ann.Lee", "bobXsmith", "carl%x"}},
		{"active false", leaf("active", "eq", false), []string{"bob_smith"}},
		{"active ne true", leaf("active", "ne", true), []string{"bob_smith"}},
		{"meta.created gt", leaf("meta.created", "gt", t1), []string{"bobXsmith"}},
		{"meta.created ge", leaf("meta.created", "ge", t1), []string{"bobXsmith", "carl%x"}},
		{"meta.created lt", leaf("meta.created", "lt", t1), []string{"Ann.Lee", "bob_smith"}},
		{"meta.created le", leaf("meta.created", "le", t1), []string{"Ann.Lee", "bob_smith", "carl%x"}},
		{"meta.created eq", leaf("meta.created", "eq", t1), []string{"carl%x"}},
		{"meta.lastModified ne", leaf("meta.lastModified", "ne", t1), []string{"Ann.Lee", "bob_smith", "bobXsmith"}},
		{"and", and(leaf("userName", "sw", "bob"), leaf("active", "eq", true)), []string{"bobXsmith"}},
		{"or", or(leaf("userName", "eq", "ann.lee"), leaf("name.givenName", "eq", "dora")), []string{"Ann.Lee", "bobXsmith"}},
		{"not and or", not(or(leaf("name.familyName", "eq", "lee"), and(leaf("active", "eq", false), leaf("title", "pr", nil)))),
			[]string{"bob_smith", "bobXsmith"}},
		{"injection is a value", leaf("userName", "eq", "x' OR '1'='1"), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, total, err := scim.FindSCIMUsers(ctx, lethe.SCIMQuery{Filter: tc.filter, SortBy: "userName", Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			want := slices.Clone(tc.want)
			slices.SortFunc(want, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
			if !slices.Equal(refsOf(got), want) || total != len(want) {
				t.Errorf("got %v (total %d), want %v", refsOf(got), total, want)
			}
		})
	}
	t.Run("ErrUnknown", func(t *testing.T) {
		for _, f := range []*lethe.SCIMFilter{
			leaf("nickName", "eq", "x"), leaf("userName", "xx", "x"), leaf("active", "co", true), leaf("active", "eq", "true"),
			leaf("meta.created", "co", time.Now()), leaf("meta.created", "gt", "2020"), leaf("userName", "eq", 3),
			leaf("userName", "eq", "bad\x00"), and(leaf("userName", "eq", "x"), nil), {Op: "nor"}, leaf("members.value", "eq", "x"),
		} {
			if _, _, err := scim.FindSCIMUsers(ctx, lethe.SCIMQuery{Filter: f, Limit: 10}); lethe.ErrorCode(err) != lethe.EInvalid {
				t.Errorf("filter %+v: %v, want invalid", f, err)
			} else if field, _ := errField(err); field != "filter" {
				t.Errorf("filter %+v: field %q, want filter", f, field)
			}
		}
		if _, _, err := scim.FindSCIMUsers(ctx, lethe.SCIMQuery{SortBy: "nickName", Limit: 10}); lethe.ErrorCode(err) != lethe.EInvalid {
			t.Errorf("sortBy nickName: %v, want invalid", err)
		}
	})
	t.Run("OKSortAndPage", func(t *testing.T) {
		for _, tc := range []struct {
			sortBy string
			desc   bool
			want   []string
		}{
			{"name.familyName", false, []string{"Ann.Lee", "carl%x", "bob_smith", "bobXsmith"}},
			{"meta.created", true, []string{"bobXsmith", "carl%x", "bob_smith", "Ann.Lee"}},
			{"title", false, []string{"Ann.Lee", "carl%x", "bob_smith", "bobXsmith"}}, // missing last, then id
			{"", false, []string{"Ann.Lee", "bob_smith", "carl%x", "bobXsmith"}},      // id: creation order
		} {
			var pages []string
			for offset := 0; offset < 5; offset += 2 {
				got, total, err := scim.FindSCIMUsers(ctx, lethe.SCIMQuery{SortBy: tc.sortBy, Descending: tc.desc, Offset: offset, Limit: 2})
				if err != nil || total != 4 {
					t.Fatalf("sort %s page at %d: total %d, %v", tc.sortBy, offset, total, err)
				}
				pages = append(pages, refsOf(got)...)
			}
			if !slices.Equal(pages, tc.want) {
				t.Errorf("sortBy %q desc %v: %v, want %v", tc.sortBy, tc.desc, pages, tc.want)
			}
		}
		got, total, err := scim.FindSCIMUsers(ctx, lethe.SCIMQuery{Filter: leaf("userName", "sw", "b"), Limit: 0})
		if err != nil || len(got) != 0 || total != 2 {
			t.Errorf("count only: %d users, total %d, %v", len(got), total, err)
		}
		// Look-ups by an indexed equality whose first page is full, or not
		// the first, are counted.
		two := or(leaf("userName", "eq", "ann.lee"), leaf("emails.value", "eq", "BOB@example.com"))
		for _, q := range []lethe.SCIMQuery{{Filter: two, Limit: 1}, {Filter: two, Offset: 1, Limit: 1}, {Filter: two, Limit: 0}} {
			got, total, err := scim.FindSCIMUsers(ctx, q)
			if err != nil || total != 2 || len(got) != min(q.Limit, 1) {
				t.Errorf("query %+v: %v of %d, %v", q, refsOf(got), total, err)
			}
		}
	})
	t.Run("OKManager", func(t *testing.T) {
		r, err := scim.CreateSCIMUser(ctx, "report", lethe.UserFields{FirstName: strp("R"), LastName: strp("R"), Email: strp("r@example.com"),
			ManagerRef: strp("Ann.Lee")}, "", true)
		if err != nil || r.Manager == nil || r.Manager.ID != ann.ID {
			t.Fatalf("created %+v, %v", r, err)
		}
		got, err := scim.FindSCIMUser(ctx, r.ID)
		if err != nil || got.Manager == nil || got.Manager.ID != ann.ID || got.Manager.Name != "Ann Lee" {
			t.Fatalf("FindSCIMUser = %+v, %v", got, err)
		}
		list, _, err := scim.FindSCIMUsers(ctx, lethe.SCIMQuery{Filter: leaf("userName", "eq", "REPORT"), Limit: 5})
		if err != nil || len(list) != 1 || list[0].Manager == nil || list[0].Manager.ID != ann.ID {
			t.Fatalf("FindSCIMUsers = %+v, %v", list, err)
		}
		if err := sqldb.NewUserService(db).PurgeUser(ctx, lethe.ByID(r.ID)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("OKOtherTenantApart", func(t *testing.T) {
		if _, err := scim.FindSCIMUser(other, ann.ID); lethe.ErrorCode(err) != lethe.ENotFound {
			t.Errorf("another tenant's user: %v", err)
		}
		got, err := scim.FindSCIMUser(ctx, ann.ID)
		if err != nil || got.ExternalID != "ext-ANN" || got.Person.Email != "Ann.Lee@Example.com" {
			t.Fatalf("FindSCIMUser = %+v, %v", got, err)
		}
	})
}

func TestSCIMService_UserNameUnique(t *testing.T) {
	db := MustOpenDB(t)
	ctx := MustTenant(t, db, "scim")
	scim := sqldb.NewSCIMService(db)
	mustSCIMUser(t, ctx, scim, "Bob", "Bob", "B", "bob@example.com", "", "")
	_, err := scim.CreateSCIMUser(ctx, " bOB ", lethe.UserFields{FirstName: strp("X"), LastName: strp("Y"), Email: strp("b2@example.com")}, "", true)
	if field, problem := errField(err); lethe.ErrorCode(err) != lethe.EConflict || field != "ref" || problem != "taken" {
		t.Fatalf("bOB after Bob = %v, want a conflict on ref", err)
	}
	if strings.Contains(lethe.ErrorMessage(err), "bOB") {
		t.Errorf("the message names the ref: %q", lethe.ErrorMessage(err))
	}
	// Twenty case variants of one userName at once: exactly one wins. The
	// pool's connections are opened first, so the creates start together.
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := scim.EditSCIMUser(ctx, "none", func(*lethe.SCIMUser) (*lethe.SCIMUserEdit, error) { return nil, nil }); lethe.ErrorCode(err) != lethe.ENotFound {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	errs := make([]error, 20)
	start := make(chan struct{})
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			ref := []byte("alice")
			for b := range ref {
				if i>>b&1 == 1 {
					ref[b] -= 'a' - 'A'
				}
			}
			email := fmt.Sprintf("alice%d@example.com", i)
			_, errs[i] = scim.CreateSCIMUser(ctx, string(ref), lethe.UserFields{FirstName: strp("A"), LastName: strp("L"), Email: &email}, "", true)
		}()
	}
	close(start)
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case lethe.ErrorCode(err) != lethe.EConflict:
			t.Errorf("a losing create: %v, want a conflict", err)
		}
	}
	got, total, err := scim.FindSCIMUsers(ctx, lethe.SCIMQuery{Filter: leaf("userName", "eq", "ALICE"), Limit: 10})
	if won != 1 || total != 1 || err != nil {
		t.Fatalf("%d creates won, %d users hold the name (%v, %v)", won, total, refsOf(got), err)
	}
}

func TestSCIMService_EditUser(t *testing.T) {
	db := MustOpenDB(t)
	ctx := MustTenant(t, db, "scim")
	scim, users := sqldb.NewSCIMService(db), sqldb.NewUserService(db)
	u := mustSCIMUser(t, ctx, scim, "eve", "Eve", "E", "eve@example.com", "Analyst", "ext-eve")
	mustSCIMUser(t, ctx, scim, "taken", "T", "T", "taken@example.com", "", "")
	unchanged := func(t *testing.T) {
		t.Helper()
		got, err := scim.FindSCIMUser(ctx, u.ID)
		if err != nil || got.State != lethe.StateActive || got.Person.JobTitle != "Analyst" || got.ExternalID != "ext-eve" ||
			got.Person.Email != "eve@example.com" || !got.UpdatedAt.Equal(u.UpdatedAt) {
			t.Fatalf("after a refused edit: %+v %+v, %v", got.User, got.Person, err)
		}
	}
	t.Run("ErrEditFails", func(t *testing.T) {
		boom := errors.New("boom")
		_, err := scim.EditSCIMUser(ctx, u.ID, func(su *lethe.SCIMUser) (*lethe.SCIMUserEdit, error) {
			su.Person.JobTitle = "changed in the copy"
			return &lethe.SCIMUserEdit{Active: new(false), ExternalID: strp("x")}, boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v, want the edit's own", err)
		}
		unchanged(t)
	})
	t.Run("ErrInvalidFields", func(t *testing.T) {
		_, err := scim.EditSCIMUser(ctx, u.ID, func(*lethe.SCIMUser) (*lethe.SCIMUserEdit, error) {
			return &lethe.SCIMUserEdit{Active: new(false), ExternalID: strp("new-ext"),
				Fields: lethe.UserFields{JobTitle: strp("Lead"), Email: strp("taken@example.com")}}, nil
		})
		if lethe.ErrorCode(err) != lethe.EConflict {
			t.Fatalf("err = %v, want the email conflict", err)
		}
		_, err = scim.EditSCIMUser(ctx, u.ID, func(*lethe.SCIMUser) (*lethe.SCIMUserEdit, error) {
			return &lethe.SCIMUserEdit{Active: new(false), Fields: lethe.UserFields{Email: strp("not an email")}}, nil
		})
		if lethe.ErrorCode(err) != lethe.EInvalid {
			t.Fatalf("err = %v, want invalid", err)
		}
		unchanged(t)
	})
	t.Run("OKNilEdit", func(t *testing.T) {
		got, err := scim.EditSCIMUser(ctx, u.ID, func(*lethe.SCIMUser) (*lethe.SCIMUserEdit, error) { return nil, nil })
		if err != nil || got.Person.Ref != "eve" {
			t.Fatal(got, err)
		}
		unchanged(t)
	})
	t.Run("OKSuspendReactivate", func(t *testing.T) {
		got, err := scim.EditSCIMUser(ctx, u.ID, func(*lethe.SCIMUser) (*lethe.SCIMUserEdit, error) {
			return &lethe.SCIMUserEdit{Active: new(false), ExternalID: strp("ext-eve-2"), Fields: lethe.UserFields{JobTitle: strp("Lead")}}, nil
		})
		if err != nil || got.State != lethe.StateSuspended || got.ExternalID != "ext-eve-2" || got.Person.JobTitle != "Lead" {
			t.Fatalf("suspend: %+v, %v", got, err)
		}
		got, err = scim.EditSCIMUser(ctx, u.ID, func(su *lethe.SCIMUser) (*lethe.SCIMUserEdit, error) {
			if su.State != lethe.StateSuspended || su.ExternalID != "ext-eve-2" {
				t.Errorf("the edit sees %v %q", su.State, su.ExternalID)
			}
			return &lethe.SCIMUserEdit{Active: new(true)}, nil
		})
		if err != nil || got.State != lethe.StateActive {
			t.Fatalf("reactivate: %+v, %v", got, err)
		}
		h, err := users.FindStatusHistory(ctx, u.ID)
		if err != nil || len(h) != 3 || h[1].To != lethe.StateSuspended || h[2].Reason != lethe.ReasonReactivated {
			t.Errorf("history = %v, %v", h, err)
		}
		stored, _ := scim.FindSCIMUser(ctx, u.ID)
		if stored.ExternalID != "ext-eve-2" || stored.Person.JobTitle != "Lead" {
			t.Errorf("stored = %+v", stored)
		}
		// Clearing the externalId.
		got, err = scim.EditSCIMUser(ctx, u.ID, func(*lethe.SCIMUser) (*lethe.SCIMUserEdit, error) {
			return &lethe.SCIMUserEdit{ExternalID: strp("")}, nil
		})
		if err != nil || got.ExternalID != "" {
			t.Errorf("clear external id: %+v, %v", got, err)
		}
	})
	t.Run("OKConcurrentEditsSerialise", func(t *testing.T) {
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := scim.EditSCIMUser(ctx, u.ID, func(su *lethe.SCIMUser) (*lethe.SCIMUserEdit, error) {
					m := map[string]string{}
					if len(su.Person.AdditionalFields) > 0 {
						if err := json.Unmarshal(su.Person.AdditionalFields, &m); err != nil {
							return nil, err
						}
					}
					m[fmt.Sprint("k", i)] = "v"
					b, _ := json.Marshal(m)
					return &lethe.SCIMUserEdit{Fields: lethe.UserFields{AdditionalFields: b}}, nil
				})
				if err != nil {
					t.Errorf("edit %d: %v", i, err)
				}
			}()
		}
		wg.Wait()
		got, _ := scim.FindSCIMUser(ctx, u.ID)
		m := map[string]string{}
		if err := json.Unmarshal(got.Person.AdditionalFields, &m); err != nil || len(m) != 20 {
			t.Errorf("additionalFields after 20 edits: %s (%v)", got.Person.AdditionalFields, err)
		}
	})
	t.Run("ErrAnonymized", func(t *testing.T) {
		a := mustSCIMUser(t, ctx, scim, "anon", "A", "N", "anon@example.com", "", "")
		if _, err := users.AnonymizeUser(ctx, lethe.ByID(a.ID)); err != nil {
			t.Fatal(err)
		}
		_, err := scim.EditSCIMUser(ctx, a.ID, func(*lethe.SCIMUser) (*lethe.SCIMUserEdit, error) {
			return &lethe.SCIMUserEdit{Active: new(true)}, nil
		})
		if !errors.Is(err, lethe.ErrAnonymized) {
			t.Errorf("edit of an anonymized account = %v", err)
		}
	})
}

func TestSCIMService_PendingErasureHidden(t *testing.T) {
	db := MustOpenDB(t)
	ctx := MustTenant(t, db, "scim")
	scim, users := sqldb.NewSCIMService(db), sqldb.NewUserService(db)
	grace := 7
	if _, err := sqldb.NewSettingsService(db).UpdateSettings(ctx, lethe.SettingsUpdate{GraceDays: &grace}); err != nil {
		t.Fatal(err)
	}
	gone := mustSCIMUser(t, ctx, scim, "leaver", "L", "V", "leaver@example.com", "", "ext-l")
	mustSCIMUser(t, ctx, scim, "stayer", "S", "T", "stayer@example.com", "", "")
	g, err := scim.CreateSCIMGroup(ctx, "Team", "", []lethe.LearnerID{gone.ID})
	if err != nil {
		t.Fatal(err)
	}
	if d, err := users.DeleteUser(ctx, lethe.ByID(gone.ID)); err != nil || d.Outcome != lethe.DeletionScheduled {
		t.Fatal(d, err)
	}
	if _, err := scim.FindSCIMUser(ctx, gone.ID); lethe.ErrorCode(err) != lethe.ENotFound {
		t.Errorf("FindSCIMUser = %v, want not found", err)
	}
	if _, err := scim.EditSCIMUser(ctx, gone.ID, func(*lethe.SCIMUser) (*lethe.SCIMUserEdit, error) {
		t.Error("the edit was called")
		return nil, nil
	}); lethe.ErrorCode(err) != lethe.ENotFound {
		t.Errorf("EditSCIMUser = %v, want not found", err)
	}
	for _, f := range []*lethe.SCIMFilter{nil, leaf("userName", "eq", "leaver")} {
		got, total, err := scim.FindSCIMUsers(ctx, lethe.SCIMQuery{Filter: f, Limit: 10})
		if err != nil || slices.Contains(refsOf(got), "leaver") || total != len(got) {
			t.Errorf("filter %v: %v (total %d), %v", f, refsOf(got), total, err)
		}
	}
	// Its userName stays taken until the erasure runs.
	if _, err := scim.CreateSCIMUser(ctx, "LEAVER", lethe.UserFields{FirstName: strp("N"), LastName: strp("N"),
		Email: strp("n@example.com")}, "", true); lethe.ErrorCode(err) != lethe.EConflict {
		t.Errorf("LEAVER during the grace period = %v, want a conflict", err)
	}
	if got, err := scim.FindSCIMGroup(ctx, g.ID, true); err != nil || len(got.Members) != 0 {
		t.Errorf("group members = %v, %v", got, err)
	}
}

// enrolled returns, for an assignment, whether each learner's enrolment is
// assigned.
func enrolled(tb testing.TB, ctx context.Context, db *sqldb.DB, assignment string) map[lethe.LearnerID]bool {
	tb.Helper()
	es, _, err := sqldb.NewEnrolmentService(db).FindEnrolments(ctx, lethe.EnrolmentFilter{AssignmentID: assignment, Limit: 1000})
	if err != nil {
		tb.Fatal(err)
	}
	out := map[lethe.LearnerID]bool{}
	for _, e := range es {
		out[e.LearnerID] = e.Assigned
	}
	return out
}

func TestSCIMService_Groups(t *testing.T) {
	db := MustOpenDB(t)
	ctx := MustTenant(t, db, "scim")
	other := MustTenant(t, db, "other")
	scim, users, audiences := sqldb.NewSCIMService(db), sqldb.NewUserService(db), sqldb.NewAudienceService(db)
	var u []*lethe.SCIMUser
	for i := range 5 {
		u = append(u, mustSCIMUser(t, ctx, scim, fmt.Sprint("g", i), "G", fmt.Sprint(i), fmt.Sprintf("g%d@example.com", i), "", ""))
	}
	if _, err := users.SuspendUser(ctx, lethe.ByID(u[1].ID), nil); err != nil {
		t.Fatal(err)
	}
	foreign := mustSCIMUser(t, other, scim, "f", "F", "F", "f@example.com", "", "")
	for _, ids := range [][]lethe.LearnerID{{u[0].ID, "000000000000000000000000"}, {foreign.ID}, {"bad\x00"}} {
		_, err := scim.CreateSCIMGroup(ctx, "Bad", "", ids)
		if field, problem := errField(err); lethe.ErrorCode(err) != lethe.EInvalid || field != "members" || problem != "unknown" {
			t.Errorf("members %v: %v, want invalid members", ids, err)
		}
	}
	g, err := scim.CreateSCIMGroup(ctx, " Sales ", "okta-sales", []lethe.LearnerID{u[2].ID, u[0].ID, u[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	if g.Name != "Sales" || g.Reference != "okta-sales" || !g.APIControlled || g.Category != lethe.CategoryStructure || g.Parent != nil ||
		!slices.Equal(g.Members, []lethe.LearnerID{u[0].ID, u[2].ID}) {
		t.Fatalf("created %+v with members %v", g.Audience, g.Members)
	}
	if _, err := scim.CreateSCIMGroup(ctx, "Other", "okta-sales", nil); lethe.ErrorCode(err) != lethe.EConflict {
		t.Errorf("a taken externalId: %v", err)
	}
	vendor, err := audiences.CreateAudience(ctx, lethe.AudienceFields{Name: strp("Sales vendor")})
	if err != nil {
		t.Fatal(err)
	}
	content := strings.Repeat("0", 23) + "1"
	minutes := new(30)
	if _, err := sqldb.NewContentService(db).CreateContent(ctx, content, lethe.ContentFields{Title: strp("Course"), Type: strp("video"),
		DurationMinutes: &minutes}); err != nil {
		t.Fatal(err)
	}
	as, err := sqldb.NewAssignmentService(db).CreateAssignment(ctx, lethe.AssignmentFields{AudienceID: &g.ID, ContentID: &content})
	if err != nil {
		t.Fatal(err)
	}
	if got := enrolled(t, ctx, db, as.ID); len(got) != 2 || !got[u[0].ID] || !got[u[2].ID] {
		t.Fatalf("enrolments = %v", got)
	}
	t.Run("OKFind", func(t *testing.T) {
		for _, tc := range []struct {
			f    *lethe.SCIMFilter
			want int
		}{
			{nil, 1},
			{leaf("displayName", "eq", "SALES"), 1},
			{leaf("displayName", "sw", "sales v"), 0}, // the vendor's audience is no group
			{leaf("externalId", "eq", "okta-sales"), 1},
			{leaf("externalId", "eq", "OKTA-sales"), 0},
			{leaf("members.value", "eq", string(u[2].ID)), 1},
			{leaf("members.value", "eq", string(u[1].ID)), 0},
			{not(leaf("members.value", "eq", string(u[2].ID))), 0},
			{leaf("members.value", "pr", nil), 1},
			{leaf("id", "eq", vendor.ID), 0},
			{leaf("meta.created", "le", g.CreatedAt), 1},
			{leaf("meta.lastModified", "gt", g.UpdatedAt), 0},
		} {
			got, total, err := scim.FindSCIMGroups(ctx, lethe.SCIMQuery{Filter: tc.f, Limit: 10, Members: true})
			if err != nil || total != tc.want || len(got) != tc.want {
				t.Errorf("filter %+v: %d groups of %d, %v", tc.f, len(got), total, err)
			}
			if len(got) == 1 && !slices.Equal(got[0].Members, []lethe.LearnerID{u[0].ID, u[2].ID}) {
				t.Errorf("members = %v", got[0].Members)
			}
		}
		got, _, err := scim.FindSCIMGroups(ctx, lethe.SCIMQuery{Limit: 10})
		if err != nil || len(got) != 1 || got[0].Members != nil {
			t.Errorf("without members: %+v, %v", got, err)
		}
		if _, _, err := scim.FindSCIMGroups(ctx, lethe.SCIMQuery{Filter: leaf("userName", "eq", "x"), Limit: 10}); lethe.ErrorCode(err) != lethe.EInvalid {
			t.Errorf("a user attribute on groups: %v", err)
		}
		if _, err := scim.FindSCIMGroup(ctx, vendor.ID, false); lethe.ErrorCode(err) != lethe.ENotFound {
			t.Errorf("the vendor's audience as a group: %v", err)
		}
		if _, err := scim.FindSCIMGroup(other, g.ID, false); lethe.ErrorCode(err) != lethe.ENotFound {
			t.Errorf("another tenant's group: %v", err)
		}
	})
	t.Run("ErrEditChangesNothing", func(t *testing.T) {
		_, err := scim.EditSCIMGroup(ctx, g.ID, func(sg *lethe.SCIMGroup) (*lethe.SCIMGroupEdit, error) {
			return &lethe.SCIMGroupEdit{Name: strp("Renamed"), Members: &[]lethe.LearnerID{u[3].ID, "000000000000000000000000"}}, nil
		})
		if lethe.ErrorCode(err) != lethe.EInvalid {
			t.Fatalf("unknown member: %v", err)
		}
		got, _ := scim.FindSCIMGroup(ctx, g.ID, true)
		if got.Name != "Sales" || !slices.Equal(got.Members, []lethe.LearnerID{u[0].ID, u[2].ID}) {
			t.Errorf("after a refused edit: %q %v", got.Name, got.Members)
		}
	})
	t.Run("OKEditDiff", func(t *testing.T) {
		got, err := scim.EditSCIMGroup(ctx, g.ID, func(sg *lethe.SCIMGroup) (*lethe.SCIMGroupEdit, error) {
			if !slices.Equal(sg.Members, []lethe.LearnerID{u[0].ID, u[2].ID}) {
				t.Errorf("the edit sees members %v", sg.Members)
			}
			return &lethe.SCIMGroupEdit{Name: strp("Sales EMEA"), ExternalID: strp("okta-emea"),
				Members: &[]lethe.LearnerID{u[0].ID, u[3].ID, u[1].ID}}, nil
		})
		// u[1] is suspended: still a member (TestSCIMService_SuspendedMembers).
		want := slices.Sorted(slices.Values([]lethe.LearnerID{u[0].ID, u[1].ID, u[3].ID}))
		if err != nil || got.Name != "Sales EMEA" || got.Reference != "okta-emea" || !slices.Equal(got.Members, want) ||
			!got.UpdatedAt.After(g.UpdatedAt) && !got.UpdatedAt.Equal(g.UpdatedAt) {
			t.Fatalf("edit = %+v %v, %v", got, got.Members, err)
		}
		e := enrolled(t, ctx, db, as.ID)
		if !e[u[0].ID] || !e[u[1].ID] || e[u[2].ID] || !e[u[3].ID] || len(e) != 4 {
			t.Errorf("enrolments after the diff = %v (u2 unassigned, u1 and u3 enrolled)", e)
		}
		m, _, err := audiences.FindMembers(ctx, lethe.MemberFilter{Audience: g.ID, Limit: 10})
		if err != nil || len(m) != 3 {
			t.Errorf("vendor members = %v, %v", m, err)
		}
	})
	t.Run("OKManyMembers", func(t *testing.T) {
		var ids []lethe.LearnerID
		for i := range lethe.MaxMembersPerRequest + 30 {
			ref := fmt.Sprint("many", i)
			ids = append(ids, MustCreateUser(t, ctx, db, ref, lethe.UserFields{}).ID)
		}
		big, err := scim.CreateSCIMGroup(ctx, "Everyone", "", ids)
		if err != nil || len(big.Members) != len(ids) {
			t.Fatalf("%d members, %v", len(big.Members), err)
		}
		got, err := scim.EditSCIMGroup(ctx, big.ID, func(*lethe.SCIMGroup) (*lethe.SCIMGroupEdit, error) {
			return &lethe.SCIMGroupEdit{Members: &[]lethe.LearnerID{}}, nil
		})
		if err != nil || len(got.Members) != 0 {
			t.Fatalf("emptied: %v, %v", got.Members, err)
		}
	})
	t.Run("OKDelete", func(t *testing.T) {
		if err := scim.DeleteSCIMGroup(ctx, vendor.ID); lethe.ErrorCode(err) != lethe.ENotFound {
			t.Errorf("deleting the vendor's audience as a group: %v", err)
		}
		if err := scim.DeleteSCIMGroup(ctx, g.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := scim.FindSCIMGroup(ctx, g.ID, false); lethe.ErrorCode(err) != lethe.ENotFound {
			t.Errorf("after delete: %v", err)
		}
		if _, err := audiences.FindAudienceByID(ctx, g.ID); lethe.ErrorCode(err) != lethe.ENotFound {
			t.Errorf("the audience after delete: %v", err)
		}
		if got := enrolled(t, ctx, db, as.ID); len(got) != 4 {
			t.Errorf("the members' records after delete: %v", got)
		}
		if _, err := scim.FindSCIMUser(ctx, u[0].ID); err != nil {
			t.Errorf("a member after delete: %v", err)
		}
	})
}

// A rename (a new userName) is checked ignoring case, a change of case
// alone is allowed, and the renamed user's reports keep their manager.
func TestSCIMService_Rename(t *testing.T) {
	db := MustOpenDB(t)
	ctx := MustTenant(t, db, "scim")
	scim, users := sqldb.NewSCIMService(db), sqldb.NewUserService(db)
	boss := mustSCIMUser(t, ctx, scim, "boss", "B", "O", "boss@example.com", "", "")
	mustSCIMUser(t, ctx, scim, "Other", "O", "T", "other@example.com", "", "")
	report, err := users.CreateUser(ctx, "report", lethe.UserFields{FirstName: strp("R"), LastName: strp("P"),
		Email: strp("report@example.com"), ManagerRef: strp("boss")})
	if err != nil {
		t.Fatal(err)
	}
	rename := func(ref string) (*lethe.SCIMUser, error) {
		return scim.EditSCIMUser(ctx, boss.ID, func(*lethe.SCIMUser) (*lethe.SCIMUserEdit, error) {
			return &lethe.SCIMUserEdit{Ref: &ref}, nil
		})
	}
	if _, err := rename("OTHER"); lethe.ErrorCode(err) != lethe.EConflict {
		t.Fatalf("rename onto another user's name in another case = %v, want a conflict", err)
	}
	if _, err := rename(""); lethe.ErrorCode(err) != lethe.EInvalid {
		t.Fatalf("rename to nothing = %v, want invalid", err)
	}
	got, err := rename("Boss")
	if err != nil || got.Person.Ref != "Boss" || got.UpdatedAt.Before(boss.UpdatedAt) {
		t.Fatalf("change of case = %+v, %v", got, err)
	}
	got, err = rename("chief")
	if err != nil || got.Person.Ref != "chief" {
		t.Fatalf("rename = %+v, %v", got, err)
	}
	r, err := users.FindUser(ctx, lethe.ByID(report.ID))
	if err != nil || r.Person.ManagerRef != "chief" || r.Manager == nil || r.Manager.ID != boss.ID {
		t.Fatalf("the report after its manager's rename: %+v manager %+v, %v", r.Person, r.Manager, err)
	}
	if _, err := users.FindUser(ctx, lethe.ByRef("boss")); lethe.ErrorCode(err) != lethe.ENotFound {
		t.Fatalf("the old ref still finds a user: %v", err)
	}
	found, total, err := scim.FindSCIMUsers(ctx, lethe.SCIMQuery{Filter: leaf("userName", "eq", "CHIEF"), Limit: 10})
	if err != nil || total != 1 || found[0].ID != boss.ID {
		t.Fatalf("lookup of the new name: %v %d %v", refsOf(found), total, err)
	}
}

// A user provisioned inactive is created suspended in the one transaction:
// its history says created, then suspended, and a refused create leaves
// nothing behind.
func TestSCIMService_CreateInactive(t *testing.T) {
	db := MustOpenDB(t)
	ctx := MustTenant(t, db, "scim")
	scim, users := sqldb.NewSCIMService(db), sqldb.NewUserService(db)
	u, err := scim.CreateSCIMUser(ctx, "starter", lethe.UserFields{FirstName: strp("S"), LastName: strp("T"),
		Email: strp("starter@example.com")}, "ext-s", false)
	if err != nil || u.State != lethe.StateSuspended {
		t.Fatalf("create inactive = %+v, %v", u, err)
	}
	hist, err := users.FindStatusHistory(ctx, u.ID)
	if err != nil || len(hist) != 2 || hist[0].To != lethe.StateActive || hist[1].To != lethe.StateSuspended {
		t.Fatalf("history = %+v, %v", hist, err)
	}
	if _, err := scim.CreateSCIMUser(ctx, "late", lethe.UserFields{FirstName: strp("L"), LastName: strp("T"),
		Email: strp("STARTER@example.com")}, "", false); lethe.ErrorCode(err) != lethe.EConflict {
		t.Fatalf("a taken email = %v, want a conflict", err)
	}
	if _, err := users.FindUser(ctx, lethe.ByRef("late")); lethe.ErrorCode(err) != lethe.ENotFound {
		t.Fatalf("the refused create left a user: %v", err)
	}
}

// The SCIM surface resolves manager.value to a ref before its write
// transaction. A manager erased in between must not be written as a
// report's managerRef after the erasure cleared the refs to them: their
// ref would outlive them and name whoever takes their userName next. The
// store refuses a managerRef no person SCIM sees holds, naming it.
func TestSCIMService_StaleManagerRef(t *testing.T) {
	db := MustOpenDB(t)
	ctx := MustTenant(t, db, "scim")
	scim, users := sqldb.NewSCIMService(db), sqldb.NewUserService(db)
	boss := mustSCIMUser(t, ctx, scim, "stale-boss", "B", "O", "boss@example.com", "", "")
	rep := mustSCIMUser(t, ctx, scim, "rep", "R", "E", "rep@example.com", "", "")
	if _, err := users.DeleteUser(ctx, lethe.ByID(boss.ID)); err != nil {
		t.Fatal(err)
	}
	stale := "stale-boss"
	_, err := scim.EditSCIMUser(ctx, rep.ID, func(*lethe.SCIMUser) (*lethe.SCIMUserEdit, error) {
		return &lethe.SCIMUserEdit{Fields: lethe.UserFields{ManagerRef: &stale}}, nil
	})
	if lethe.ErrorCode(err) != lethe.EInvalid || !strings.Contains(fmt.Sprint(err), "managerRef") {
		t.Errorf("an edit naming an erased manager's ref = %v, want invalid managerRef", err)
	}
	_, err = scim.CreateSCIMUser(ctx, "rep2", lethe.UserFields{FirstName: &stale, LastName: &stale, ManagerRef: &stale,
		Email: new("rep2@example.com")}, "", true)
	if lethe.ErrorCode(err) != lethe.EInvalid || !strings.Contains(fmt.Sprint(err), "managerRef") {
		t.Errorf("a create naming an erased manager's ref = %v, want invalid managerRef", err)
	}
	u, err := users.FindUser(ctx, lethe.ByID(rep.ID))
	if err != nil || u.Person.ManagerRef != "" {
		t.Errorf("the report names the erased manager: %+v %v", u.Person, err)
	}
	none := ""
	if _, err := scim.EditSCIMUser(ctx, rep.ID, func(*lethe.SCIMUser) (*lethe.SCIMUserEdit, error) {
		return &lethe.SCIMUserEdit{Fields: lethe.UserFields{ManagerRef: &none}}, nil
	}); err != nil {
		t.Errorf("clearing the manager: %v", err)
	}
}

// A suspended user can be a SCIM group member: a pre-hire provisioned
// inactive is put in their groups before they start, and a replace that
// names a member who was suspended since keeps them (a suspension keeps
// every membership). An erased user is left out.
func TestSCIMService_SuspendedMembers(t *testing.T) {
	db := MustOpenDB(t)
	ctx := MustTenant(t, db, "scim")
	scim, users := sqldb.NewSCIMService(db), sqldb.NewUserService(db)
	hire, err := scim.CreateSCIMUser(ctx, "prehire", lethe.UserFields{FirstName: strp("P"), LastName: strp("H"),
		Email: strp("prehire@example.com")}, "", false)
	if err != nil {
		t.Fatal(err)
	}
	staff := mustSCIMUser(t, ctx, scim, "staff", "S", "T", "staff@example.com", "", "")
	gone := mustSCIMUser(t, ctx, scim, "gone", "G", "O", "gone@example.com", "", "")
	if _, err := users.EraseUser(ctx, lethe.ByID(gone.ID)); err != nil {
		t.Fatal(err)
	}
	g, err := scim.CreateSCIMGroup(ctx, "Starters", "", []lethe.LearnerID{hire.ID, staff.ID, gone.ID})
	want := slices.Sorted(slices.Values([]lethe.LearnerID{hire.ID, staff.ID}))
	if err != nil || !slices.Equal(g.Members, want) {
		t.Fatalf("group = %+v, %v; want members %v", g, err, want)
	}
	if _, err := users.SuspendUser(ctx, lethe.ByID(staff.ID), nil); err != nil {
		t.Fatal(err)
	}
	g, err = scim.EditSCIMGroup(ctx, g.ID, func(cur *lethe.SCIMGroup) (*lethe.SCIMGroupEdit, error) {
		members := slices.Clone(cur.Members)
		return &lethe.SCIMGroupEdit{Members: &members}, nil
	})
	if err != nil || !slices.Equal(g.Members, want) {
		t.Fatalf("after a replace naming the suspended member: %v, %v", g.Members, err)
	}
	if _, err := scim.EditSCIMUser(ctx, hire.ID, func(*lethe.SCIMUser) (*lethe.SCIMUserEdit, error) {
		return &lethe.SCIMUserEdit{Active: new(true)}, nil
	}); err != nil {
		t.Fatal(err)
	}
	g, err = scim.FindSCIMGroup(ctx, g.ID, true)
	if err != nil || !slices.Contains(g.Members, hire.ID) {
		t.Fatalf("the hire, activated, is no longer a member: %v, %v", g.Members, err)
	}
}

// DeleteSCIMUser shows check the locked user: a refusal deletes nothing;
// then the vendor's delete runs in the same transaction, and the user is
// gone for SCIM.
func TestSCIMService_DeleteChecked(t *testing.T) {
	db := MustOpenDB(t)
	a, _ := lethe.ActorFrom(MustTenant(t, db, "scim"))
	a.Source = lethe.SourceSCIM
	ctx := lethe.WithActor(context.Background(), a)
	scim := sqldb.NewSCIMService(db)
	u := mustSCIMUser(t, ctx, scim, "leaver", "L", "V", "leaver@example.com", "Clerk", "ext-l")
	stale := errors.New("stale")
	_, err := scim.DeleteSCIMUser(ctx, u.ID, func(got *lethe.SCIMUser) error {
		if got.ID != u.ID || got.ExternalID != "ext-l" || got.Person.JobTitle != "Clerk" {
			t.Errorf("check sees %+v", got)
		}
		return stale
	})
	if !errors.Is(err, stale) {
		t.Fatalf("a refused check = %v, want its error", err)
	}
	if _, err := scim.FindSCIMUser(ctx, u.ID); err != nil {
		t.Fatalf("a refused check deleted the user: %v", err)
	}
	d, err := scim.DeleteSCIMUser(ctx, u.ID, func(*lethe.SCIMUser) error { return nil })
	if err != nil || d.Outcome != lethe.DeletionErased || d.Erasure == nil || d.Erasure.Source != lethe.SourceSCIM {
		t.Fatalf("delete = %+v, %v", d, err)
	}
	if _, err := scim.DeleteSCIMUser(ctx, u.ID, func(*lethe.SCIMUser) error { return nil }); lethe.ErrorCode(err) != lethe.ENotFound {
		t.Fatalf("deleting again = %v, want not found", err)
	}
}
