package sqldb_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
)

// TestActivityService_IngestActivities_StatementBoundaries pins the answer
// of a batch whose size is at and around the rows per insert statement of
// either database (25 and 50 on SQLite, 500 on PostgreSQL, 1,000 the
// largest batch), replayed in part: the RETURNING rows of every statement,
// full or partial, say which items were new.
func TestActivityService_IngestActivities_StatementBoundaries(t *testing.T) {
	t.Parallel()
	db := MustOpenDB(t)
	ctx := MustTenant(t, db, "acme")
	user := MustCreateUser(t, ctx, db, "BOUND-1", lethe.UserFields{}).ID
	svc := sqldb.NewActivityService(db)
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	item := func(prefix string, i int) lethe.NewActivity {
		return lethe.NewActivity{ClientID: fmt.Sprintf("%s-%d", prefix, i), User: lethe.ByID(user), Type: "viewed",
			Date: base.Add(-time.Duration(i) * time.Second)}
	}
	total := 0
	for _, n := range []int{1, 24, 25, 26, 49, 50, 51, 499, 500, 501, 1000} {
		prefix := fmt.Sprintf("n%d", n)
		// First every odd item of n.
		var first []lethe.NewActivity
		for i := 1; i < n; i += 2 {
			first = append(first, item(prefix, i))
		}
		if len(first) > 0 {
			res, err := svc.IngestActivities(ctx, first)
			if err != nil || res != (lethe.IngestResult{Received: len(first), Stored: len(first)}) {
				t.Fatalf("n=%d first: %+v, %v", n, res, err)
			}
			total += len(first)
		}
		// Then all n: the odd ones are duplicates, the even ones new; the
		// last item repeats the first in the batch.
		batch := make([]lethe.NewActivity, 0, n)
		for i := range n - 1 {
			batch = append(batch, item(prefix, i))
		}
		batch = append(batch, item(prefix, 0))
		if n == 1 {
			batch = []lethe.NewActivity{item(prefix, 0)}
		}
		newOnes := 0
		for i := 0; i < max(n-1, 1); i += 2 {
			newOnes++
		}
		res, err := svc.IngestActivities(ctx, batch)
		want := lethe.IngestResult{Received: len(batch), Stored: newOnes, Duplicates: len(batch) - newOnes}
		if err != nil || res != want {
			t.Errorf("n=%d: %+v, %v; want %+v", n, res, err, want)
		}
		total += newOnes
		// A full replay stores nothing.
		if res, err := svc.IngestActivities(ctx, batch); err != nil || res.Stored != 0 || res.Duplicates != len(batch) {
			t.Errorf("n=%d replay: %+v, %v", n, res, err)
		}
	}
	if _, got, err := svc.FindActivities(ctx, lethe.ActivityFilter{Limit: 1}); err != nil || got != total {
		t.Errorf("stored %d activities, %v; want %d", got, err, total)
	}
}
