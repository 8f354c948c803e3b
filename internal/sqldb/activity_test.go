package sqldb_test

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lethehq/lethe/internal/seed"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
)

func TestActivityService_IngestActivities(t *testing.T) {
	t.Parallel()
	t.Run("OKConcurrentBatchesShareUsers", func(t *testing.T) {
		t.Parallel()
		// Two writers ingest batches of the same users, one naming them in
		// ascending order, the other in descending order: on PostgreSQL,
		// locking the users in the order of the items deadlocked.
		db := MustOpenDB(t)
		ctx := MustTenant(t, db, "acme")
		var users []lethe.LearnerID
		for i := range 20 {
			users = append(users, MustCreateUser(t, ctx, db, fmt.Sprintf("ING-%02d", i), lethe.UserFields{}).ID)
		}
		backwards := slices.Clone(users)
		slices.Reverse(backwards)
		svc := sqldb.NewActivityService(db)
		const batches, size = 10, 100
		errs := make(chan error, 2*batches)
		var wg sync.WaitGroup
		for w, order := range [][]lethe.LearnerID{users, backwards} {
			wg.Go(func() {
				for b := range batches {
					batch := make([]lethe.NewActivity, size)
					for i := range batch {
						batch[i] = lethe.NewActivity{ClientID: fmt.Sprintf("w%d-b%d-%d", w, b, i), User: lethe.ByID(order[i%len(order)]),
							Type: "viewed", Date: time.Now().Add(-time.Duration(i) * time.Second)}
					}
					res, err := svc.IngestActivities(ctx, batch)
					if err == nil && res.Stored != size {
						err = fmt.Errorf("stored %d of %d", res.Stored, size)
					}
					if err != nil {
						errs <- err
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("concurrent ingestion: %v", err)
		}
		if _, total, err := svc.FindActivities(ctx, lethe.ActivityFilter{Limit: 1}); err != nil || total != 2*batches*size {
			t.Errorf("%d activities stored (%v), want %d", total, err, 2*batches*size)
		}
		if n := db.Conflicts(); n != 0 {
			t.Errorf("%d write transactions deadlocked and ran again", n)
		}
	})
	t.Run("OKConcurrentBatchesOfManyUsers", func(t *testing.T) {
		t.Parallel()
		// The same with 1,000 users a batch: they are read 500 a query, and
		// locking each query's users in order was not enough when the
		// queries themselves came in the order of the items.
		db := MustOpenDB(t)
		ctx := MustTenant(t, db, "acme")
		if err := seed.Users(ctx, db, 1100, 1); err != nil {
			t.Fatal(err)
		}
		all, _, err := sqldb.NewUserService(db).FindUsers(ctx, lethe.UserFilter{Limit: 2000})
		if err != nil {
			t.Fatal(err)
		}
		var users []lethe.LearnerID
		for _, u := range all {
			if !u.Deleted() && len(users) < lethe.MaxActivityBatch {
				users = append(users, u.ID)
			}
		}
		if len(users) != lethe.MaxActivityBatch {
			t.Fatalf("%d live seeded users, want %d", len(users), lethe.MaxActivityBatch)
		}
		backwards := slices.Clone(users)
		slices.Reverse(backwards)
		svc := sqldb.NewActivityService(db)
		errs := make(chan error, 6)
		var wg sync.WaitGroup
		for w, order := range [][]lethe.LearnerID{users, backwards} {
			wg.Go(func() {
				for b := range 3 {
					batch := make([]lethe.NewActivity, len(order))
					for i, u := range order {
						batch[i] = lethe.NewActivity{ClientID: fmt.Sprintf("m%d-b%d-%d", w, b, i), User: lethe.ByID(u),
							Type: "viewed", Date: time.Now().Add(-time.Duration(i) * time.Second)}
					}
					if _, err := svc.IngestActivities(ctx, batch); err != nil {
						errs <- err
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("concurrent ingestion: %v", err)
		}
		if n := db.Conflicts(); n != 0 {
			t.Errorf("%d write transactions deadlocked and ran again: the users were locked in different orders", n)
		}
	})
}

// A time window is ordered by date, then, within a millisecond, by the
// keyed hash of the sender's id (ADR 0015), the order the dedup index
// keeps; paging through it neither skips nor repeats.
func TestActivityService_FindActivities_Order(t *testing.T) {
	t.Parallel()
	db := MustOpenDB(t)
	ctx := MustTenant(t, db, "acme")
	ada := MustCreateUser(t, ctx, db, "ADA", lethe.UserFields{}).ID
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	var batch []lethe.NewActivity
	keys := map[string]bool{}
	for i := range 30 { // three dates, ten activities each
		a := lethe.NewActivity{ClientID: fmt.Sprintf("evt-%02d", i), User: lethe.ByID(ada), Type: "viewed",
			Date: base.Add(time.Duration(2-i%3) * time.Second)}
		batch = append(batch, a)
		keys[db.ActivityKey("acme", a.ClientID)] = true
	}
	svc := sqldb.NewActivityService(db)
	if res, err := svc.IngestActivities(ctx, batch); err != nil || res.Stored != len(batch) {
		t.Fatalf("ingest: %+v, %v", res, err)
	}
	from, to := base.Add(-time.Minute), base.Add(time.Minute)
	var got []*lethe.Activity
	for offset := 0; ; offset += 7 { // pages of 7 split the dates
		page, total, err := svc.FindActivities(ctx, lethe.ActivityFilter{From: &from, To: &to, Limit: 7, Offset: offset})
		if err != nil {
			t.Fatal(err)
		}
		if total != len(batch) {
			t.Fatalf("total %d, want %d", total, len(batch))
		}
		got = append(got, page...)
		if len(page) < 7 {
			break
		}
	}
	type key struct {
		date int64
		hash string
	}
	var order []key
	for _, a := range got {
		hash := db.StoredActivityKey(t, "acme", a.ID)
		if !keys[hash] {
			t.Fatalf("activity %s read twice, or not one of the batch", a.ID)
		}
		delete(keys, hash)
		order = append(order, key{a.Date.UnixMilli(), hash})
	}
	if len(keys) != 0 {
		t.Fatalf("%d activities not read", len(keys))
	}
	if !slices.IsSortedFunc(order, func(a, b key) int {
		if a.date != b.date {
			return cmp.Compare(a.date, b.date)
		}
		return strings.Compare(a.hash, b.hash)
	}) {
		t.Errorf("the window is not in (date, keyed client id) order: %v", order)
	}
	byID := slices.IsSortedFunc(got, func(a, b *lethe.Activity) int {
		if c := a.Date.Compare(b.Date); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	if byID {
		t.Error("the window came in (date, id) order too: the fixture does not tell the orders apart")
	}
}
