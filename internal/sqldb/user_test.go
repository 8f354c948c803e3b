package sqldb_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/lethehq/lethe/internal/seed"

	"github.com/google/go-cmp/cmp"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
	"github.com/lethehq/lethe/internal/testdb"
)

// TestUserService_FindUsers_StatusFilter checks that the SQL status filters
// agree with lethe.StatusAt for every combination of statuses, at several
// moments, without any write in between (time-driven statuses are right
// whenever read).
func TestUserService_FindUsers_StatusFilter(t *testing.T) {
	db := MustOpenDB(t)
	clk := &clock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	db.Now = clk.now
	ctx := MustTenant(t, db, "acme")
	users := sqldb.NewUserService(db)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 60 {
		f := lethe.UserFields{}
		if rng.IntN(2) == 0 {
			end := clk.t.Add(time.Duration(rng.IntN(10)-3) * 24 * time.Hour)
			f.EndDate = &end
		}
		u := MustCreateUser(t, ctx, db, fmt.Sprintf("R%02d", i), f)
		switch rng.IntN(4) {
		case 0:
			if _, err := users.RecordLogin(ctx, lethe.ByID(u.ID)); err != nil {
				t.Fatal(err)
			}
		case 1:
			if _, err := users.SuspendUser(ctx, lethe.ByID(u.ID), nil); err != nil {
				t.Fatal(err)
			}
		case 2:
			if _, err := users.EraseUser(ctx, lethe.ByID(u.ID)); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, days := range []int{0, 2, 5, 9} {
		clk.t = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC).Add(time.Duration(days) * 24 * time.Hour)
		all, total, err := users.FindUsers(ctx, lethe.UserFilter{Limit: 1000})
		if err != nil || total != 60 || len(all) != 60 {
			t.Fatalf("all users: %d/%d, %v", len(all), total, err)
		}
		// Every subset of the four statuses.
		for mask := 0; mask < 16; mask++ {
			var want []lethe.Status
			for i, st := range lethe.AllStatuses {
				if mask&(1<<i) != 0 {
					want = append(want, st)
				}
			}
			var wantIDs []lethe.LearnerID
			for _, u := range all {
				if slices.Contains(want, lethe.StatusAt(&u.Learner, clk.t)) {
					wantIDs = append(wantIDs, u.ID)
				}
			}
			got, total, err := users.FindUsers(ctx, lethe.UserFilter{Statuses: append([]lethe.Status{}, want...), Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			var gotIDs []lethe.LearnerID
			for _, u := range got {
				gotIDs = append(gotIDs, u.ID)
			}
			if !slices.Equal(gotIDs, wantIDs) || total != len(wantIDs) {
				t.Errorf("day %d statuses %v: got %d users (total %d), want %d", days, want, len(gotIDs), total, len(wantIDs))
			}
		}
	}
}

func TestUserService_EraseUser(t *testing.T) {
	db := MustOpenDB(t)
	ctx := MustTenant(t, db, "acme")
	users := sqldb.NewUserService(db)
	u := MustCreateUser(t, ctx, db, "EMP1", lethe.UserFields{JobTitle: strp("Pilot")})
	if _, err := users.SuspendUser(ctx, lethe.ByRef("EMP1"), nil); err != nil {
		t.Fatal(err)
	}
	e, err := users.EraseUser(ctx, lethe.ByRef("EMP1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("OKRecord", func(t *testing.T) {
		if e.LearnerID != u.ID || e.Erased["person"] != 1 || e.Kept["statusHistory"] != 3 {
			t.Fatalf("erasure = %+v", e)
		}
		got, err := users.FindErasure(ctx, u.ID)
		if err != nil || got.Kept["statusHistory"] != 3 || !got.ErasedAt.Equal(e.ErasedAt) {
			t.Fatalf("FindErasure = %+v, %v", got, err)
		}
	})
	t.Run("OKFoundByIDOnly", func(t *testing.T) {
		got, err := users.FindUser(ctx, lethe.ByID(u.ID))
		if err != nil || !got.Deleted() || got.Person != nil || got.EndDate != nil {
			t.Fatalf("FindUser = %+v, %v", got, err)
		}
		if _, err := users.FindUser(ctx, lethe.ByRef("EMP1")); lethe.ErrorCode(err) != lethe.ENotFound {
			t.Fatalf("by ref: %v, want not_found", err)
		}
	})
	t.Run("OKHistoryKept", func(t *testing.T) {
		h, err := users.FindStatusHistory(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range h {
			got = append(got, fmt.Sprintf("%s>%s:%s", c.From, c.To, c.Reason))
		}
		want := []string{">active:created", "active>suspended:suspended", "suspended>deleted:erased"}
		if !slices.Equal(got, want) {
			t.Fatalf("history = %v, want %v", got, want)
		}
	})
	t.Run("OKRefReused", func(t *testing.T) {
		again := MustCreateUser(t, ctx, db, "EMP1", lethe.UserFields{})
		if again.ID == u.ID {
			t.Fatal("re-created ref reused the erased learner id")
		}
	})
	t.Run("ErrTwice", func(t *testing.T) {
		if _, err := users.EraseUser(ctx, lethe.ByID(u.ID)); lethe.ErrorCode(err) != lethe.EConflict {
			t.Fatalf("err = %v, want conflict", err)
		}
	})
	t.Run("ErrReactivateErased", func(t *testing.T) {
		if _, err := users.ReactivateUser(ctx, lethe.ByID(u.ID), lethe.UserFields{}); lethe.ErrorCode(err) != lethe.EConflict {
			t.Fatalf("err = %v, want conflict", err)
		}
	})
}

func TestUserService_ReactivateUser(t *testing.T) {
	db := MustOpenDB(t)
	clk := &clock{t: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
	db.Now = clk.now
	ctx := MustTenant(t, db, "acme")
	users := sqldb.NewUserService(db)
	end := clk.t.Add(24 * time.Hour)
	u := MustCreateUser(t, ctx, db, "EMP1", lethe.UserFields{})
	if _, err := users.SuspendUser(ctx, lethe.ByID(u.ID), &end); err != nil {
		t.Fatal(err)
	}
	clk.t = clk.t.Add(30 * 24 * time.Hour)
	got, err := users.ReactivateUser(ctx, lethe.ByID(u.ID), lethe.UserFields{JobTitle: strp("Returner")})
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != u.ID || got.State != lethe.StateActive || got.EndDate != nil || got.Person.JobTitle != "Returner" {
		t.Fatalf("reactivated = %+v %+v", got.Learner, got.Person)
	}
	if st := lethe.StatusAt(&got.Learner, clk.t); st != lethe.StatusNew {
		t.Fatalf("status = %s, want new", st)
	}
}

func TestUserService_TenantScope(t *testing.T) {
	db := MustOpenDB(t)
	a := MustTenant(t, db, "a")
	b := MustTenant(t, db, "b")
	users := sqldb.NewUserService(db)
	u := MustCreateUser(t, a, db, "SAME", lethe.UserFields{Email: strp("same@example.com")})
	// The same ref and email are free in another tenant.
	MustCreateUser(t, b, db, "SAME", lethe.UserFields{Email: strp("same@example.com")})
	if _, err := users.FindUser(b, lethe.ByID(u.ID)); lethe.ErrorCode(err) != lethe.ENotFound {
		t.Fatalf("tenant b reads tenant a's user: %v", err)
	}
	if _, err := users.EraseUser(b, lethe.ByID(u.ID)); lethe.ErrorCode(err) != lethe.ENotFound {
		t.Fatalf("tenant b erases tenant a's user: %v", err)
	}
	if _, total, _ := users.FindUsers(b, lethe.UserFilter{Limit: 10}); total != 1 {
		t.Fatalf("tenant b sees %d users, want 1", total)
	}
	if _, err := users.FindUser(t.Context(), lethe.ByID(u.ID)); lethe.ErrorCode(err) != lethe.EUnauthenticated {
		t.Fatalf("no actor: %v, want unauthenticated", err)
	}
}

func TestDB_RewriteDue(t *testing.T) {
	dsn := testdb.DSN(t)
	a, b := MustOpenDSN(t, dsn), MustOpenDSN(t, dsn) // two processes on one database
	clk := &clock{t: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)}
	a.Now, b.Now = clk.now, clk.now
	ctx := MustTenant(t, a, "acme")
	due := func(db *sqldb.DB) bool {
		t.Helper()
		d, err := db.RewriteDue(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if due(a) || due(b) {
		t.Fatal("a rewrite is due before anyone was erased")
	}
	MustCreateUser(t, ctx, a, "EMP1", lethe.UserFields{})
	if _, err := sqldb.NewUserService(a).EraseUser(ctx, lethe.ByRef("EMP1")); err != nil {
		t.Fatal(err)
	}
	if !due(b) {
		t.Fatal("an erasure through one process does not make the rewrite due for another")
	}
	clk.t = clk.t.Add(time.Second)
	if err := b.RewritePersonalData(context.Background()); err != nil {
		t.Fatal(err)
	}
	if due(a) || due(b) {
		t.Fatal("the rewrite is still due after it ran")
	}
}

func TestDB_SeedUsers(t *testing.T) {
	db := MustOpenDB(t)
	ctx := MustTenant(t, db, "acme")
	if err := seed.Users(ctx, db, 1234, 7); err != nil {
		t.Fatal(err)
	}
	users := sqldb.NewUserService(db)
	all, total, err := users.FindUsers(ctx, lethe.UserFilter{Limit: 2000})
	if err != nil || total != 1234 || len(all) != 1234 {
		t.Fatalf("seeded %d users (total %d), %v; want 1234", len(all), total, err)
	}
	// The counts rebuilt after the load agree with the users themselves.
	now := db.Now()
	for _, st := range lethe.AllStatuses {
		want := 0
		for _, u := range all {
			if lethe.StatusAt(&u.Learner, now) == st {
				want++
			}
		}
		if _, got, err := users.FindUsers(ctx, lethe.UserFilter{Statuses: []lethe.Status{st}, Limit: 1}); err != nil || got != want || want == 0 {
			t.Errorf("status %s: total %d (%v), want %d (> 0)", st, got, err, want)
		}
	}
	// The status history agrees with the learners' states.
	byState := map[lethe.State]int{}
	for _, u := range all {
		byState[u.State]++
	}
	hc, err := sqldb.NewReportService(db).FindHeadcount(ctx, lethe.HeadcountFilter{AsOf: now})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(byState, hc.ByState); diff != "" || byState[lethe.StateSuspended] == 0 || byState[lethe.StateDeleted] == 0 {
		t.Errorf("headcount of the seeded history mismatch (-learners +history):\n%s", diff)
	}
}

// TestUserService_FindUsers_PageAfterPage checks that reading a listing page
// after page, which continues from where the previous page ended, gives the
// pages that OFFSET gives, also when the listing changed between two pages.
func TestUserService_FindUsers_PageAfterPage(t *testing.T) {
	db := MustOpenDB(t)
	start := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	clk := &clock{t: start}
	db.Now = clk.now
	ctx := MustTenant(t, db, "acme")
	users := sqldb.NewUserService(db)
	unused := MustCreateUser(t, ctx, db, "UNUSED", lethe.UserFields{})
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 60 {
		clk.t = clk.t.Add(time.Second)
		f := lethe.UserFields{}
		if i%3 == 0 {
			end := start.Add(time.Duration(2+rng.IntN(5)) * 24 * time.Hour)
			if i == 0 {
				end = start.Add(24 * time.Hour)
			}
			f.EndDate = &end
		}
		u := MustCreateUser(t, ctx, db, fmt.Sprintf("R%02d", i), f)
		if i == 0 || rng.IntN(3) > 0 {
			if _, err := users.RecordLogin(ctx, lethe.ByID(u.ID)); err != nil {
				t.Fatal(err)
			}
		}
	}
	since := start.Add(20 * time.Second)
	filters := map[string]lethe.UserFilter{
		"All":          {},
		"Active":       {Statuses: []lethe.Status{lethe.StatusActive}},
		"NewAndActive": {Statuses: []lethe.Status{lethe.StatusNew, lethe.StatusActive}},
		"UpdatedSince": {UpdatedSince: &since},
	}
	// want is the listing under f now, in one page.
	want := func(t *testing.T, f lethe.UserFilter) []lethe.LearnerID {
		f.Offset, f.Limit = 0, 1000
		all, _, err := users.FindUsers(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var ids []lethe.LearnerID
		for _, u := range all {
			ids = append(ids, u.ID)
		}
		return ids
	}
	page := func(t *testing.T, f lethe.UserFilter, n int) []lethe.LearnerID {
		f.Offset, f.Limit = n*7, 7
		got, _, err := users.FindUsers(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var ids []lethe.LearnerID
		for _, u := range got {
			ids = append(ids, u.ID)
		}
		return ids
	}
	for name, f := range filters {
		t.Run("OK"+name, func(t *testing.T) {
			all := want(t, f)
			hits := db.CursorHits()
			var got []lethe.LearnerID
			for n := 0; ; n++ {
				ids := page(t, f, n)
				got = append(got, ids...)
				if len(ids) < 7 {
					break
				}
			}
			if diff := cmp.Diff(all, got); diff != "" || len(all) < 15 {
				t.Fatalf("pages (-one page +page after page), %d users:\n%s", len(all), diff)
			}
			if pages := (len(all) - 1) / 7; db.CursorHits()-hits != pages {
				t.Fatalf("%d pages continued from the one before, want %d", db.CursorHits()-hits, pages)
			}
		})
	}
	// Each change alters the listing between pages 2 and 3 (R00 signed in
	// and ends first, R01 signed in before since): page 3 must be what
	// OFFSET gives, not a page continued from where page 2 ended.
	changes := []struct {
		name   string
		filter lethe.UserFilter
		change func(t *testing.T)
	}{
		{"OKPurgedBefore", lethe.UserFilter{}, func(t *testing.T) {
			if err := users.PurgeUser(ctx, lethe.ByID(unused.ID)); err != nil {
				t.Fatal(err)
			}
		}},
		{"OKEndDatePassed", filters["Active"], func(t *testing.T) {
			clk.t = start.Add(36 * time.Hour)
		}},
		{"OKSuspended", filters["NewAndActive"], func(t *testing.T) {
			clk.t = clk.t.Add(time.Second)
			if _, err := users.SuspendUser(ctx, lethe.ByRef("R05"), nil); err != nil {
				t.Fatal(err)
			}
		}},
		{"OKUpdatedIntoListing", filters["UpdatedSince"], func(t *testing.T) {
			clk.t = clk.t.Add(time.Second)
			if _, err := users.SuspendUser(ctx, lethe.ByRef("R01"), nil); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, c := range changes {
		t.Run(c.name, func(t *testing.T) {
			before := want(t, c.filter)
			page(t, c.filter, 0)
			page(t, c.filter, 1)
			c.change(t)
			after := want(t, c.filter)
			if slices.Equal(before, after) {
				t.Fatal("the change changed nothing in the listing")
			}
			hits := db.CursorHits()
			if got := page(t, c.filter, 2); !slices.Equal(got, after[14:21]) {
				t.Fatalf("page 3 = %v, want %v", got, after[14:21])
			}
			if db.CursorHits() != hits {
				t.Fatal("page 3 continued from a mark taken before the change")
			}
		})
	}
}
