package sqldb_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
)

// TestJobService_ResultsSweptMidStream: EachJobItem reads a page per read
// transaction; a sweep that removes the job between two pages makes the
// next page empty: EachJobItem must then fail, or the results handler would
// write a whole-looking CSV that lacks every item past the first page
// (the handler cuts the connection only on an error).
func TestJobService_ResultsSweptMidStream(t *testing.T) {
	db := MustOpenDB(t)
	ctx := MustTenant(t, db, "stream")
	var refs []string
	for i := range 2500 {
		refs = append(refs, fmt.Sprintf("nobody-%05d", i)) // unknown users: failed items, no users needed
	}
	now := time.Now()
	db.Now = func() time.Time { return now }
	jobs := sqldb.NewJobService(db)
	jobs.Retention = lethe.Day
	j, err := jobs.CreateJob(ctx, lethe.NewJob{Action: lethe.ActionSuspend, Selector: lethe.JobSelector{CSV: csvOf(refs)}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jobs.RunJobs(ctx); err != nil {
		t.Fatal(err)
	}
	if j, err = jobs.FindJob(ctx, j.ID); err != nil || !j.Finished() {
		t.Fatalf("job = %+v, %v", j, err)
	}
	n := 0
	err = jobs.EachJobItem(ctx, j.ID, func(lethe.ItemResult) error {
		if n++; n == 1 {
			// The retention passes while the client reads slowly.
			now = now.Add(2 * lethe.Day)
			if k, err := jobs.SweepJobs(ctx); err != nil || k != 1 {
				t.Fatalf("sweep = %d, %v", k, err)
			}
		}
		return nil
	})
	if err == nil && n != len(refs) {
		t.Errorf("EachJobItem gave %d of %d items and no error: a truncated result reads as whole", n, len(refs))
	}
}
