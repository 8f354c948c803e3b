package seed_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/lethehq/lethe/internal/seed"

	"github.com/google/go-cmp/cmp"
	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
)

// seedDigest is what two seeds with the same options must agree on: the
// counts, the users, the enrolment statuses and the shape of the history,
// never the random keys and ids.
type seedDigest struct {
	Counts      seed.Counts
	Users       []string // ref, status
	Statuses    map[lethe.EnrolmentStatus]int
	Activities  []string // date, type, of the first page
	CPDMinutes  int
	Completions []time.Time
}

func digestSeed(t *testing.T, ctx context.Context, db *sqldb.DB, c seed.Counts) seedDigest {
	t.Helper()
	d := seedDigest{Counts: c, Statuses: map[lethe.EnrolmentStatus]int{}}
	users, _, err := sqldb.NewUserService(db).FindUsers(ctx, lethe.UserFilter{Limit: 10_000})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		ref := "(erased)"
		if u.Person != nil {
			ref = u.Person.Ref
		}
		d.Users = append(d.Users, ref+" "+string(lethe.StatusAt(&u.Learner, db.Now())))
	}
	assignments, _, err := sqldb.NewAssignmentService(db).FindAssignments(ctx, lethe.AssignmentFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range assignments {
		for _, st := range lethe.AllEnrolmentStatuses {
			_, n, err := sqldb.NewEnrolmentService(db).FindEnrolments(ctx, lethe.EnrolmentFilter{AssignmentID: a.ID,
				Statuses: []lethe.EnrolmentStatus{st}, Limit: 1})
			if err != nil {
				t.Fatal(err)
			}
			d.Statuses[st] += n
		}
	}
	acts, _, err := sqldb.NewActivityService(db).FindActivities(ctx, lethe.ActivityFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range acts {
		d.Activities = append(d.Activities, a.Date.Format(time.RFC3339Nano)+" "+a.Type)
	}
	entries, _, err := sqldb.NewCPDService(db).FindEntries(ctx, lethe.CPDEntryFilter{Limit: 10_000})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		d.CPDMinutes += e.DurationMinutes
	}
	comps, _, err := sqldb.NewCompletionService(db).FindCompletions(ctx, lethe.CompletionFilter{Limit: 10_000})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range comps {
		d.Completions = append(d.Completions, c.CompletedAt)
	}
	slices.SortFunc(d.Completions, func(a, b time.Time) int { return a.Compare(b) })
	return d
}

func TestDB_Seed(t *testing.T) {
	db := MustOpenDB(t)
	ctx := MustTenant(t, db, "acme")
	const users, per = 2_000, 20
	c, err := seed.Organisation(ctx, db, seed.Options{Users: users, RecordsPerUser: per, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	if c.Users != users || c.Records() != users*per {
		t.Fatalf("seeded %+v: %d records, want %d users with %d each", c, c.Records(), users, per)
	}
	if c.Audiences != 5 || c.Assignments != 5 || c.Contents != 40 || c.Enrolments == 0 || c.Completions == 0 ||
		c.CPDEntries == 0 || c.Activities == 0 {
		t.Errorf("seeded %+v: want the organisation of 2,000 (one region, two departments) and every kind of record", c)
	}

	// Enrolments are in every status a live assignment has.
	d := digestSeed(t, ctx, db, c)
	for _, st := range []lethe.EnrolmentStatus{lethe.EnrolmentOpen, lethe.EnrolmentOverdue, lethe.EnrolmentComplete, lethe.EnrolmentUnassigned} {
		if d.Statuses[st] == 0 {
			t.Errorf("no enrolment is %s: %v", st, d.Statuses)
		}
	}
	// Each enrolment's stored events agree with the status derived from it.
	enrolments := sqldb.NewEnrolmentService(db)
	list, _, err := sqldb.NewAssignmentService(db).FindAssignments(ctx, lethe.AssignmentFilter{Limit: 1})
	if err != nil || len(list) == 0 {
		t.Fatalf("assignments: %v", err)
	}
	page, _, err := enrolments.FindEnrolments(ctx, lethe.EnrolmentFilter{AssignmentID: list[0].ID, Limit: 50})
	if err != nil || len(page) == 0 {
		t.Fatalf("enrolments: %d, %v", len(page), err)
	}
	for _, e := range page {
		full, err := enrolments.FindEnrolmentByID(ctx, e.AssignmentID, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		stored := []lethe.EnrolmentEvent{}
		for _, ev := range full.Events {
			if ev.Type == lethe.EventAssigned || ev.Type == lethe.EventCompleted || ev.Type == lethe.EventUnassigned {
				stored = append(stored, ev)
			}
		}
		if len(stored) == 0 || stored[0].Type != lethe.EventAssigned {
			t.Fatalf("enrolment %s: events %+v, want assigned first", e.ID, full.Events)
		}
		for _, ev := range stored {
			if ev.At.After(db.Now()) {
				t.Errorf("enrolment %s: event %+v in the future", e.ID, ev)
			}
		}
	}
	// A compliance report over the seeded history runs and counts them.
	r, err := sqldb.NewReportService(db).FindCompliance(ctx, lethe.ComplianceFilter{From: db.Now().AddDate(-1, 0, 0), To: db.Now()})
	if err != nil || len(r.Assignments) != 5 {
		t.Fatalf("compliance report: %+v, %v", r, err)
	}

	// A learner's records are exactly RecordsPerUser, and erasing a seeded
	// learner keeps them all.
	svc := sqldb.NewUserService(db)
	all, _, err := svc.FindUsers(ctx, lethe.UserFilter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range all[:5] {
		e, err := svc.EraseUser(ctx, lethe.ByID(u.ID))
		if err != nil {
			t.Fatal(err)
		}
		kept := e.Kept["enrolments"] + e.Kept["completions"] + e.Kept["activities"] + e.Kept["cpdEntries"]
		if kept != per {
			t.Errorf("erasing seeded %s kept %v (%d records), want %d", u.ID, e.Kept, kept, per)
		}
	}

	// CPD text is sealed under each learner's key and reads back.
	entries, _, err := sqldb.NewCPDService(db).FindEntries(ctx, lethe.CPDEntryFilter{Limit: 100})
	if err != nil || len(entries) == 0 {
		t.Fatalf("cpd entries: %d, %v", len(entries), err)
	}
	named := 0
	for _, e := range entries {
		if e.ActivityName != "" {
			named++
		}
	}
	if named == 0 {
		t.Error("no seeded CPD entry has a readable activity name")
	}

	// The tenant now has users: a second seed is refused.
	if _, err := seed.Organisation(ctx, db, seed.Options{Users: 1, RecordsPerUser: 1}); lethe.ErrorCode(err) != lethe.EConflict {
		t.Errorf("seeding a tenant with users: %v, want a conflict", err)
	}
}

func TestDB_Seed_Deterministic(t *testing.T) {
	db := MustOpenDB(t)
	seed := func(tenant lethe.TenantID, s uint64) seedDigest {
		ctx := MustTenant(t, db, tenant)
		c, err := seed.Organisation(ctx, db, seed.Options{Users: 300, RecordsPerUser: 12, Seed: s})
		if err != nil {
			t.Fatal(err)
		}
		return digestSeed(t, ctx, db, c)
	}
	clock := db.Now()
	db.Now = func() time.Time { return clock }
	a, b, other := seed("one", 4), seed("two", 4), seed("three", 5)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("two seeds with the same options differ (-one +two):\n%s", diff)
	}
	if cmp.Equal(a, other) {
		t.Error("seeds 4 and 5 gave the same organisation")
	}
}

func TestDB_Seed_FewRecords(t *testing.T) {
	db := MustOpenDB(t)
	for _, per := range []int{0, 1, 3} {
		ctx := MustTenant(t, db, lethe.TenantID("t"+string(rune('a'+per))))
		c, err := seed.Organisation(ctx, db, seed.Options{Users: 200, RecordsPerUser: per, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		if c.Records() != 200*per || (per == 0 && c.Enrolments+c.Activities != 0) {
			t.Errorf("%d records per user: seeded %+v (%d records), want %d", per, c, c.Records(), 200*per)
		}
	}
	ctx := lethe.WithActor(context.Background(), lethe.Actor{TenantID: "none", Source: lethe.SourceCLI, Name: "t"})
	if _, err := seed.Organisation(ctx, db, seed.Options{Users: -1}); err == nil {
		t.Error("a negative number of users was accepted")
	}
}
