package sqldb_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

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
