package sqldb_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lethehq/lethe/internal/seed"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
)

// TestJobService_SweepKeepsJobQueuedMeanwhile: SweepJobs lists every expired
// job first and removes them one by one. A creation that took over an
// hour (or another process's) queues its job while the sweep is removing an
// earlier one: the sweep must claim each job as still expired before it
// removes it, or it deletes a queued job its client was just given.
func TestJobService_SweepKeepsJobQueuedMeanwhile(t *testing.T) {
	db := MustOpenDB(t)
	oldCtx := MustTenant(t, db, "a-old")
	newCtx := MustTenant(t, db, "b-new")
	for _, ctx := range []context.Context{oldCtx, newCtx} {
		if err := seed.Users(ctx, db, sqldb.PrepareItems+10, 1); err != nil {
			t.Fatal(err)
		}
	}
	var refs []string
	for i := range sqldb.PrepareItems + 10 {
		refs = append(refs, fmt.Sprintf("S%08d", i))
	}
	var mu sync.Mutex
	now := time.Now()
	db.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	jobs := sqldb.NewJobService(db)
	jobs.Retention = time.Hour
	// A finished job, expired once the clock moves on.
	finished, err := jobs.CreateJob(oldCtx, lethe.NewJob{Action: lethe.ActionSuspend, DryRun: true, Selector: lethe.JobSelector{CSV: csvOf(refs[:3])}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jobs.RunJobs(oldCtx); err != nil {
		t.Fatal(err)
	}
	// A job whose creation is slow: preparing after its first chunk.
	creating := sqldb.NewJobService(db)
	preparing, resume := make(chan struct{}), make(chan struct{})
	var once sync.Once
	creating.SetAfterChunk(func(string, int) {
		once.Do(func() {
			close(preparing)
			<-resume
		})
	})
	type result struct {
		j   *lethe.Job
		err error
	}
	created := make(chan result, 1)
	go func() {
		j, err := creating.CreateJob(newCtx, lethe.NewJob{Action: lethe.ActionSuspend, DryRun: true, Selector: lethe.JobSelector{CSV: csvOf(refs)}})
		created <- result{j, err}
	}()
	<-preparing
	mu.Lock()
	now = now.Add(2 * time.Hour)
	mu.Unlock()
	// The sweep's first removal (the finished job) commits; meanwhile the
	// slow creation ends and queues its job.
	var got result
	var first atomic.Bool
	db.ObserveWrite = func(time.Duration) {
		if first.CompareAndSwap(false, true) { // the sweep's first removal, not the creation's writes
			close(resume)
			got = <-created
		}
	}
	if _, err := jobs.SweepJobs(context.Background()); err != nil {
		t.Fatal(err)
	}
	db.ObserveWrite = nil
	if got.err != nil || got.j == nil || got.j.State != lethe.JobQueued {
		t.Fatalf("creation answered %+v, %v; want a queued job", got.j, got.err)
	}
	if _, err := jobs.FindJob(oldCtx, finished.ID); lethe.ErrorCode(err) != lethe.ENotFound {
		t.Errorf("the expired finished job: %v, want removed", err)
	}
	if _, err := jobs.FindJob(newCtx, got.j.ID); err != nil {
		t.Errorf("the job queued while the sweep ran (answered 201 to its client) was removed by the sweep: FindJob = %v", err)
	}
}
