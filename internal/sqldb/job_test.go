package sqldb_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lethehq/lethe/internal/seed"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
	"github.com/lethehq/lethe/internal/testdb"
)

// csvOf is a CSV of the refs.
func csvOf(refs []string) *string {
	s := "ref\n" + strings.Join(refs, "\n") + "\n"
	return &s
}

// TestJobService_FinishOnce runs every job with two runners on two handles
// of one database (two servers), some jobs cancelled while they run: each
// job ends once, finished or cancelled, and its trail says so once.
func TestJobService_FinishOnce(t *testing.T) {
	dsn := testdb.DSN(t)
	db1, db2 := MustOpenDSN(t, dsn), MustOpenDSN(t, dsn)
	ctx := MustTenant(t, db1, "race")
	var refs []string
	for i := range 60 {
		ref := fmt.Sprintf("r%02d", i)
		MustCreateUser(t, ctx, db1, ref, lethe.UserFields{})
		refs = append(refs, ref)
	}
	jobs1, jobs2 := sqldb.NewJobService(db1), sqldb.NewJobService(db2)
	for round := range 4 {
		var ids []string
		for i := range 4 {
			j, err := jobs1.CreateJob(ctx, lethe.NewJob{Action: lethe.ActionSuspend, DryRun: true,
				Selector: lethe.JobSelector{CSV: csvOf(refs[i*15 : (i+1)*15])}})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, j.ID)
		}
		var wg sync.WaitGroup
		for _, s := range []*sqldb.JobService{jobs1, jobs2, jobs1, jobs2} {
			wg.Go(func() {
				if _, err := s.RunJobs(context.Background()); err != nil {
					t.Error(err)
				}
			})
		}
		if round%2 == 1 { // cancels race the runners' finish
			for i, id := range ids {
				s := []*sqldb.JobService{jobs1, jobs2}[i%2]
				wg.Go(func() {
					if _, err := s.CancelJob(ctx, id); err != nil {
						t.Error(err)
					}
				})
			}
		}
		wg.Wait()
		for _, id := range ids {
			j, err := jobs1.FindJob(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			finished, cancelled := db1.JobTrail(t, "race", "job.finished", id), db1.JobTrail(t, "race", "job.cancelled", id)
			switch {
			case finished+cancelled != 1:
				t.Errorf("round %d: job %s (%s) recorded job.finished %d times and job.cancelled %d times", round, id, j.State, finished, cancelled)
			case cancelled == 1 && j.State != lethe.JobCancelled:
				t.Errorf("round %d: job %s was cancelled, then became %s", round, id, j.State)
			case finished == 1 && j.State != lethe.JobSucceeded:
				t.Errorf("round %d: job %s finished, then became %s", round, id, j.State)
			}
		}
	}
}

// TestJobService_CreateInChunks writes a job of a CSV bigger than a chunk:
// no transaction writes more than a chunk of items; while the job is being
// written it is neither seen nor run, and another tenant's write goes
// through; users repeated across chunks are skipped as duplicates; the
// results come back in order, page after page.
func TestJobService_CreateInChunks(t *testing.T) {
	db := MustOpenDB(t)
	ctx := MustTenant(t, db, "big")
	other := MustTenant(t, db, "other")
	const users = 2500
	if err := seed.Users(ctx, db, users, 1); err != nil {
		t.Fatal(err)
	}
	var refs []string
	for i := range users {
		refs = append(refs, fmt.Sprintf("S%08d", i))
	}
	// A user of the first chunk again, and a line naming nobody.
	refs = append(refs, liveRefs(t, ctx, db, 1)[0], "nobody")
	jobs := sqldb.NewJobService(db)
	chunks, most := 0, 0
	jobs.SetAfterChunk(func(job string, items int) {
		chunks++
		most = max(most, items)
		if chunks != 2 {
			return
		}
		if _, total, err := jobs.FindJobs(ctx, lethe.JobFilter{Limit: 10}); err != nil || total != 0 {
			t.Errorf("a job being written is listed: %d jobs (%v)", total, err)
		}
		if _, err := jobs.FindJob(ctx, job); lethe.ErrorCode(err) != lethe.ENotFound {
			t.Errorf("a job being written is found: %v", err)
		}
		if n, err := jobs.RunJobs(ctx); err != nil || n != 0 {
			t.Errorf("a job being written ran %d items (%v)", n, err)
		}
		MustCreateUser(t, other, db, "meanwhile", lethe.UserFields{})
	})
	j, err := jobs.CreateJob(ctx, lethe.NewJob{Action: lethe.ActionSuspend, DryRun: true, Selector: lethe.JobSelector{CSV: csvOf(refs)}})
	if err != nil {
		t.Fatal(err)
	}
	const perTx = 1000 // ADR 0019: a transaction of a job's creation writes at most 1,000 items
	if want := (len(refs) + perTx - 1) / perTx; chunks != want || most > perTx {
		t.Errorf("%d items were written in %d transactions of at most %d, want %d of at most %d", len(refs), chunks, most, want, perTx)
	}
	if j.State != lethe.JobQueued || j.Total != len(refs) || j.Outcomes[lethe.ItemSkipped] != 1 || j.Outcomes[lethe.ItemFailed] < 1 {
		t.Errorf("job = %+v", j)
	}
	// The items in line order, as written (running them is tested
	// elsewhere): a line naming a live user pending, one naming nobody (the
	// seed erased some) failed, the duplicate skipped.
	n := 0
	err = jobs.EachJobItem(ctx, j.ID, func(it lethe.ItemResult) error {
		n++
		ok := it.Index == n+1 && (it.Outcome == "" && it.UserID != "" || it.Outcome == lethe.ItemFailed && it.UserID == "" ||
			it.Outcome == lethe.ItemSkipped)
		switch n {
		case users + 1:
			ok = ok && it.Outcome == lethe.ItemSkipped && it.Reason == lethe.ReasonDuplicate
		case users + 2:
			ok = ok && it.Outcome == lethe.ItemFailed && it.Reason == lethe.ReasonUnknownUser
		}
		if !ok {
			t.Errorf("item %d = %+v", n, it)
			return errors.New("stop")
		}
		return nil
	})
	if err != nil || n != len(refs) {
		t.Errorf("read %d items (%v), want %d", n, err, len(refs))
	}
}

// TestJobService_MaxItems refuses a job naming more users than the limit,
// whatever its selector, and leaves nothing behind.
func TestJobService_MaxItems(t *testing.T) {
	db := MustOpenDB(t)
	ctx := MustTenant(t, db, "max")
	if err := seed.Users(ctx, db, 20, 1); err != nil {
		t.Fatal(err)
	}
	aud, err := sqldb.NewAudienceService(db).CreateAudience(ctx, lethe.AudienceFields{Name: strp("All"), Reference: strp("ALL")})
	if err != nil {
		t.Fatal(err)
	}
	refs := liveRefs(t, ctx, db, 11)
	if _, err := sqldb.NewAudienceService(db).AddMembers(ctx, aud.ID, refs); err != nil { // the suspended ones fail
		t.Fatal(err)
	}
	jobs := sqldb.NewJobService(db)
	jobs.MaxItems = 5
	for field, sel := range map[string]lethe.JobSelector{
		"selector.csv":        {CSV: csvOf(refs[:6])},
		"selector.audienceId": {AudienceID: &aud.ID},
		"selector.query":      {Query: &lethe.UserQuery{CreatedBefore: ptr(time.Now().Add(time.Hour))}, ConfirmAll: true},
	} {
		_, err := jobs.CreateJob(ctx, lethe.NewJob{Action: lethe.ActionSuspend, Selector: sel})
		if lethe.ErrorCode(err) != lethe.EInvalid || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: %v, want 422 naming it", field, err)
		}
	}
	if _, err := jobs.CreateJob(ctx, lethe.NewJob{Action: lethe.ActionSuspend, Selector: lethe.JobSelector{CSV: csvOf(refs[:5])}}); err != nil {
		t.Errorf("5 users: %v", err)
	}
	if n, items := db.JobRows(t, "max"); n != 1 || items != 5 {
		t.Errorf("%d jobs and %d items left, want the one of 5", n, items)
	}
}

// TestJobService_Sweep: a job a stopped process left half-written is never
// run and is removed after an hour; a finished job is removed after the
// retention, a queued one is not.
func TestJobService_Sweep(t *testing.T) {
	db := MustOpenDB(t)
	ctx := MustTenant(t, db, "sweep")
	if err := seed.Users(ctx, db, sqldb.PrepareItems+10, 1); err != nil {
		t.Fatal(err)
	}
	var refs []string
	for i := range sqldb.PrepareItems + 10 {
		refs = append(refs, fmt.Sprintf("S%08d", i))
	}
	now := time.Now()
	db.Now = func() time.Time { return now }
	crashing := sqldb.NewJobService(db)
	crashing.SetAfterChunk(func(string, int) { panic("the process stops") })
	func() {
		defer func() { recover() }()
		crashing.CreateJob(ctx, lethe.NewJob{Action: lethe.ActionSuspend, Selector: lethe.JobSelector{CSV: csvOf(refs)}})
	}()
	if n, items := db.JobRows(t, "sweep"); n != 1 || items != sqldb.PrepareItems {
		t.Fatalf("after the crash: %d jobs, %d items", n, items)
	}
	jobs := sqldb.NewJobService(db)
	jobs.Retention = 30 * lethe.Day
	if n, err := jobs.RunJobs(ctx); err != nil || n != 0 {
		t.Errorf("a half-written job ran %d items (%v)", n, err)
	}
	finished, err := jobs.CreateJob(ctx, lethe.NewJob{Action: lethe.ActionSuspend, DryRun: true, Selector: lethe.JobSelector{CSV: csvOf(refs[:5])}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jobs.RunJobs(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := jobs.SweepJobs(ctx); err != nil || n != 0 {
		t.Errorf("swept %d jobs at once (%v)", n, err)
	}
	now = now.Add(2 * time.Hour)
	queued, err := jobs.CreateJob(ctx, lethe.NewJob{Action: lethe.ActionSuspend, Selector: lethe.JobSelector{CSV: csvOf(refs[:3])}})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := jobs.SweepJobs(ctx); err != nil || n != 1 {
		t.Errorf("swept %d jobs after 2 hours (%v), want the half-written one", n, err)
	}
	if n, items := db.JobRows(t, "sweep"); n != 2 || items != 8 {
		t.Errorf("after 2 hours: %d jobs, %d items; want 2 and 8", n, items)
	}
	now = now.Add(31 * lethe.Day)
	if n, err := jobs.SweepJobs(ctx); err != nil || n != 1 {
		t.Errorf("swept %d jobs after the retention (%v), want the finished one", n, err)
	}
	if _, err := jobs.FindJob(ctx, finished.ID); lethe.ErrorCode(err) != lethe.ENotFound {
		t.Errorf("finished job after the retention: %v", err)
	}
	if _, err := jobs.FindJob(ctx, queued.ID); err != nil {
		t.Errorf("queued job after the retention: %v", err)
	}
	if n, items := db.JobRows(t, "sweep"); n != 1 || items != 3 {
		t.Errorf("after the retention: %d jobs, %d items; want 1 and 3", n, items)
	}
}

func ptr[T any](v T) *T { return &v }

// liveRefs returns the refs of the first n seeded users not erased.
func liveRefs(t *testing.T, ctx context.Context, db *sqldb.DB, n int) []string {
	t.Helper()
	users := sqldb.NewUserService(db)
	var refs []string
	for i := 0; len(refs) < n; i++ {
		ref := fmt.Sprintf("S%08d", i)
		if u, err := users.FindUser(ctx, lethe.ByRef(ref)); err == nil && !u.Deleted() {
			refs = append(refs, ref)
		} else if i > 10*n {
			t.Fatalf("too few live users among the first %d seeded: %v", i, err)
		}
	}
	return refs
}
