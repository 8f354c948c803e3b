package sqldb_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
	"github.com/lethehq/lethe/internal/testdb"
)

// TestEnrolmentService_StatusFilter checks that the SQL status filters agree
// with lethe.EnrolmentStatusAt for every status, at several moments, with
// no write in between (time-driven statuses are right whenever read).
func TestEnrolmentService_StatusFilter(t *testing.T) {
	db := MustOpenDB(t)
	start := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	clk := &clock{t: start}
	db.Now = clk.now
	ctx := MustTenant(t, db, "acme")
	MustCreateContent(t, ctx, db, "c00000000000000000000001", "c00000000000000000000002")
	audiences, assignments := sqldb.NewAudienceService(db), sqldb.NewAssignmentService(db)
	enrolments, completions := sqldb.NewEnrolmentService(db), sqldb.NewCompletionService(db)
	org, err := audiences.CreateAudience(ctx, lethe.AudienceFields{Name: strp("Org")})
	if err != nil {
		t.Fatal(err)
	}
	aud, err := audiences.CreateAudience(ctx, lethe.AudienceFields{Name: strp("Team"), ParentID: &org.ID})
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	for i := range 40 {
		refs = append(refs, fmt.Sprintf("R%02d", i))
		MustCreateUser(t, ctx, db, refs[i], lethe.UserFields{})
	}
	if _, err := audiences.AddMembers(ctx, aud.ID, refs); err != nil {
		t.Fatal(err)
	}
	content := "c00000000000000000000001"
	period, recurrence := 5, 7
	var ids []string
	for _, rec := range []*int{nil, &recurrence} {
		a, err := assignments.CreateAssignment(ctx, lethe.AssignmentFields{AudienceID: &aud.ID, ContentID: &content,
			CompletionPeriod: &period, Recurrence: rec})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	users, _, err := sqldb.NewUserService(db).FindUsers(ctx, lethe.UserFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for i, u := range users {
		clk.t = start.Add(time.Duration(i) * time.Hour)
		switch rng.IntN(4) {
		case 0:
			done := clk.t.Add(-time.Duration(rng.IntN(48)) * time.Hour)
			if _, _, err := completions.CreateCompletion(ctx, u.ID, content, done); err != nil {
				t.Fatal(err)
			}
		case 1:
			if err := audiences.RemoveMember(ctx, aud.ID, string(u.ID)); err != nil {
				t.Fatal(err)
			}
		}
	}
	b := "c00000000000000000000002"
	archived, err := assignments.CreateAssignment(ctx, lethe.AssignmentFields{AudienceID: &aud.ID, ContentID: &b})
	if err != nil {
		t.Fatal(err)
	}
	if err := assignments.DeleteAssignment(ctx, archived.ID, aud.ID); err != nil {
		t.Fatal(err)
	}
	ids = append(ids, archived.ID)
	seen := map[lethe.EnrolmentStatus]bool{}
	for _, days := range []int{0, 2, 4, 6, 9, 12, 20} {
		clk.t = start.Add(time.Duration(days) * 24 * time.Hour)
		for _, id := range ids {
			all, _, err := enrolments.FindEnrolments(ctx, lethe.EnrolmentFilter{AssignmentID: id, Limit: 100})
			if err != nil || len(all) == 0 || (id != archived.ID && len(all) != 40) {
				t.Fatalf("all enrolments: %d, %v", len(all), err)
			}
			for _, st := range lethe.AllEnrolmentStatuses {
				var want []string
				for _, e := range all {
					if lethe.EnrolmentStatusAt(e, clk.t) == st {
						want = append(want, e.ID)
						seen[st] = true
					}
				}
				got, _, err := enrolments.FindEnrolments(ctx, lethe.EnrolmentFilter{AssignmentID: id, Statuses: []lethe.EnrolmentStatus{st}, Limit: 100})
				if err != nil {
					t.Fatal(err)
				}
				var gotIDs []string
				for _, e := range got {
					gotIDs = append(gotIDs, e.ID)
				}
				if !slices.Equal(gotIDs, want) {
					t.Errorf("day %d assignment %s status %s: SQL finds %d, Go %d", days, id, st, len(gotIDs), len(want))
				}
			}
		}
	}
	for _, st := range []lethe.EnrolmentStatus{lethe.EnrolmentOpen, lethe.EnrolmentOverdue, lethe.EnrolmentComplete,
		lethe.EnrolmentUnassigned, lethe.EnrolmentArchived} {
		if !seen[st] {
			t.Errorf("no enrolment was %s at any moment: the test proves little", st)
		}
	}
}

// TestAssignmentService_ResumeEnrolments: the enrolments of a large audience
// are written in batches after the assignment; a process that stops between
// two batches leaves a cursor, and ResumeEnrolments finishes the work
// without enrolling anyone twice.
func TestAssignmentService_ResumeEnrolments(t *testing.T) {
	dsn := testdb.DSN(t)
	db := MustOpenDSN(t, dsn)
	ctx := MustTenant(t, db, "acme")
	MustCreateContent(t, ctx, db, "c00000000000000000000001", "c00000000000000000000002")
	audiences, enrolments := sqldb.NewAudienceService(db), sqldb.NewEnrolmentService(db)
	assignments := sqldb.NewAssignmentService(db)
	assignments.EnrolBatch = 10
	org, err := audiences.CreateAudience(ctx, lethe.AudienceFields{Name: strp("Org")})
	if err != nil {
		t.Fatal(err)
	}
	aud, err := audiences.CreateAudience(ctx, lethe.AudienceFields{Name: strp("Team"), ParentID: &org.ID})
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	for i := range 35 {
		refs = append(refs, fmt.Sprintf("R%02d", i))
		MustCreateUser(t, ctx, db, refs[i], lethe.UserFields{})
	}
	if _, err := audiences.AddMembers(ctx, aud.ID, refs); err != nil {
		t.Fatal(err)
	}
	content := "c00000000000000000000001"
	a, err := assignments.CreateAssignment(ctx, lethe.AssignmentFields{AudienceID: &aud.ID, ContentID: &content})
	if err != nil {
		t.Fatal(err)
	}
	count := func() int {
		t.Helper()
		got, _, err := enrolments.FindEnrolments(ctx, lethe.EnrolmentFilter{AssignmentID: a.ID, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		ids := map[lethe.LearnerID]bool{}
		for _, e := range got {
			ids[e.LearnerID] = true
		}
		if len(ids) != len(got) {
			t.Fatalf("%d enrolments for %d learners: someone is enrolled twice", len(got), len(ids))
		}
		return len(got)
	}
	if n := count(); n != 35 {
		t.Fatalf("after create: %d enrolments, want 35", n)
	}
	// The state a stop after the second batch leaves: the last 15 members
	// have no enrolment, and the cursor names the 20th.
	raw := rawDB(t, dsn)
	var cursor string
	if err := raw.QueryRow(`SELECT learner_id FROM audience_members WHERE tenant_id = 'acme' AND audience_id = $1
		ORDER BY learner_id LIMIT 1 OFFSET 19`, aud.ID).Scan(&cursor); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`DELETE FROM enrolment_history WHERE tenant_id = 'acme' AND enrolment_id IN
			(SELECT id FROM enrolments WHERE tenant_id = 'acme' AND assignment_id = $1 AND learner_id > $2)`,
		`DELETE FROM enrolments WHERE tenant_id = 'acme' AND assignment_id = $1 AND learner_id > $2`,
		`UPDATE assignments SET enrol_cursor = $2 WHERE tenant_id = 'acme' AND id = $1`,
	} {
		if _, err := raw.Exec(q, a.ID, cursor); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(); n != 20 {
		t.Fatalf("after the simulated stop: %d enrolments, want 20", n)
	}
	resumed, err := assignments.ResumeEnrolments(context.Background())
	if err != nil || resumed != 1 {
		t.Fatalf("ResumeEnrolments = %d, %v; want 1", resumed, err)
	}
	if n := count(); n != 35 {
		t.Fatalf("after resuming: %d enrolments, want 35", n)
	}
	if resumed, err := assignments.ResumeEnrolments(context.Background()); err != nil || resumed != 0 {
		t.Fatalf("second ResumeEnrolments = %d, %v; want 0: the cursor was not cleared", resumed, err)
	}
}
