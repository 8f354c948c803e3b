package sqldb_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
	"github.com/lethehq/lethe/internal/testdb"
)

// mustErr fails unless err is a domain error of code naming field ("" for
// none).
func mustErr(t *testing.T, err error, code lethe.Code, field string) *lethe.Error {
	t.Helper()
	var e *lethe.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("error = %v, want %s", err, code)
	}
	if field != "" && (len(e.Details) != 1 || e.Details[0].Field != field) {
		t.Fatalf("error details = %+v, want field %s", e.Details, field)
	}
	return e
}

// TestJobService_ExcludeJobItems: a preview of five users who never signed
// in (purge), two of them excluded: applying it erases the other three and
// leaves those two as they were, their items marked excluded.
func TestJobService_ExcludeJobItems(t *testing.T) {
	db := MustOpenDB(t)
	c := &clock{t: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	db.Now = c.now
	ctx := MustTenant(t, db, "ex")
	other := MustTenant(t, db, "other")
	var ids []lethe.LearnerID
	for i := range 5 {
		ids = append(ids, MustCreateUser(t, ctx, db, fmt.Sprintf("x%d", i), lethe.UserFields{}).ID)
	}
	c.t = c.t.Add(3 * lethe.Day)
	jobs, users := sqldb.NewJobService(db), sqldb.NewUserService(db)
	p, err := jobs.PreviewDormant(ctx, lethe.DormantRules{NeverLoggedInDays: ptr(1)})
	if err != nil || p.Total != 5 || p.Actions[string(lethe.ActionPurge)] != 5 {
		t.Fatalf("preview = %+v, %v", p, err)
	}
	t.Run("OK", func(t *testing.T) {
		for range 2 { // again, with a repeated id: nothing changes
			j, err := jobs.ExcludeJobItems(ctx, p.ID, []lethe.LearnerID{ids[0], ids[1], ids[0]})
			if err != nil {
				t.Fatal(err)
			}
			if j.State != lethe.JobPreview || j.Total != 5 || j.Processed != 2 || j.Outcomes[lethe.OutcomeExcluded] != 2 || j.Outcomes[lethe.ItemDone] != 0 {
				t.Errorf("after the exclusion: %+v", j)
			}
		}
		if n := db.JobTrail(t, "ex", "job.excluded", p.ID); n != 2 {
			t.Errorf("job.excluded recorded %d times, want once a call", n)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		e := mustErr(t, func() error {
			_, err := jobs.ExcludeJobItems(ctx, p.ID, []lethe.LearnerID{ids[2], "000000000000000000000abc", "nope"})
			return err
		}(), lethe.EInvalid, "userIds")
		if !strings.Contains(e.Message, "2 of the 3") || strings.Contains(e.Message, "abc") || strings.Contains(e.Message, "nope") {
			t.Errorf("message = %q, want the count and no id", e.Message)
		}
		many := make([]lethe.LearnerID, lethe.MaxExcludeIDs+1)
		for i := range many {
			many[i] = ids[2]
		}
		_, err := jobs.ExcludeJobItems(ctx, p.ID, many)
		mustErr(t, err, lethe.EInvalid, "userIds")
		_, err = jobs.ExcludeJobItems(ctx, p.ID, nil)
		mustErr(t, err, lethe.EInvalid, "userIds")
		_, err = jobs.ExcludeJobItems(other, p.ID, ids[2:3])
		mustErr(t, err, lethe.ENotFound, "")
		if j, err := jobs.FindJob(ctx, p.ID); err != nil || j.Outcomes[lethe.OutcomeExcluded] != 2 || j.Processed != 2 {
			t.Errorf("the refused calls excluded some: %+v, %v", j, err)
		}
	})
	t.Run("OKApply", func(t *testing.T) {
		if _, err := jobs.ApplyJob(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
		_, err := jobs.ExcludeJobItems(ctx, p.ID, ids[2:3])
		mustErr(t, err, lethe.EConflict, "")
		if n, err := jobs.RunJobs(context.Background()); err != nil || n != 3 {
			t.Fatalf("RunJobs = %d, %v; want the 3 items not excluded", n, err)
		}
		j, err := jobs.FindJob(ctx, p.ID)
		if err != nil || j.State != lethe.JobSucceeded || j.Processed != 5 || j.Outcomes[lethe.ItemDone] != 3 || j.Outcomes[lethe.OutcomeExcluded] != 2 {
			t.Fatalf("applied job = %+v, %v", j, err)
		}
		for i, id := range ids {
			u, err := users.FindUser(ctx, lethe.ByID(id))
			if kept := err == nil && !u.Deleted(); kept != (i < 2) {
				t.Errorf("user %d: kept = %v (%v), want %v", i, kept, err, i < 2)
			}
		}
		got := map[lethe.LearnerID]string{}
		if err := jobs.EachJobItem(ctx, p.ID, func(it lethe.ItemResult) error {
			got[it.UserID] = it.Outcome + ": " + it.Reason
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		for i, id := range ids {
			want := lethe.ItemDone
			if i < 2 {
				want = lethe.OutcomeExcluded + ": " + lethe.ReasonExcluded
			}
			if !strings.HasPrefix(got[id], want) {
				t.Errorf("item of user %d = %q, want %q", i, got[id], want)
			}
		}
		_, err = jobs.ExcludeJobItems(ctx, p.ID, ids[:1])
		mustErr(t, err, lethe.EConflict, "")
	})
	t.Run("ErrConflictBulk", func(t *testing.T) {
		live := MustCreateUser(t, ctx, db, "bulk", lethe.UserFields{})
		j, err := jobs.CreateJob(ctx, lethe.NewJob{Action: lethe.ActionSuspend, DryRun: true, Selector: lethe.JobSelector{CSV: csvOf([]string{"bulk"})}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = jobs.ExcludeJobItems(ctx, j.ID, []lethe.LearnerID{live.ID})
		if e := mustErr(t, err, lethe.EConflict, ""); !strings.Contains(e.Message, "queued") {
			t.Errorf("message = %q, want the job's state", e.Message)
		}
	})
}

// TestJobService_ExcludeRacesApply applies previews while excluding from
// them, on two handles of one database: an exclusion either comes before the
// apply (and the job keeps it) or is refused, never lands in a queued job.
func TestJobService_ExcludeRacesApply(t *testing.T) {
	dsn := testdb.DSN(t)
	db1, db2 := MustOpenDSN(t, dsn), MustOpenDSN(t, dsn)
	ctx := MustTenant(t, db1, "race")
	var ids []lethe.LearnerID
	for i := range 20 {
		ids = append(ids, MustCreateUser(t, ctx, db1, fmt.Sprintf("r%02d", i), lethe.UserFields{EndDate: ptr(time.Now().Add(-48 * time.Hour))}).ID)
	}
	jobs1, jobs2 := sqldb.NewJobService(db1), sqldb.NewJobService(db2)
	for round := range 20 {
		p, err := jobs1.PreviewDormant(ctx, lethe.DormantRules{EndDatePassed: true})
		if err != nil || p.Total != len(ids) {
			t.Fatalf("preview = %+v, %v", p, err)
		}
		var wg sync.WaitGroup
		var excluded *lethe.Job
		var exErr, apErr error
		wg.Go(func() { excluded, exErr = jobs2.ExcludeJobItems(ctx, p.ID, ids[:10]) })
		wg.Go(func() { _, apErr = jobs1.ApplyJob(ctx, p.ID) })
		wg.Wait()
		if apErr != nil {
			t.Fatalf("round %d: apply: %v", round, apErr)
		}
		j, err := jobs1.FindJob(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case exErr == nil && (excluded.State != lethe.JobPreview || j.Outcomes[lethe.OutcomeExcluded] != 10 || j.Processed != 10):
			t.Errorf("round %d: the exclusion answered %+v; the applied job is %+v", round, excluded, j)
		case exErr != nil && lethe.ErrorCode(exErr) != lethe.EConflict:
			t.Errorf("round %d: exclusion: %v", round, exErr)
		case exErr != nil && (j.Outcomes[lethe.OutcomeExcluded] != 0 || j.Processed != 0):
			t.Errorf("round %d: a refused exclusion left %+v", round, j)
		}
		if _, err := jobs1.CancelJob(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
	}
}
