package sqldb

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/lethehq/lethe"
)

// While a load has the learners' indexes deferred (lethe seed filling an
// empty database that a server also opens), the user resource still
// answers: the links statement must not name an index the load dropped.
func TestFindUserLinks_IndexesDeferred(t *testing.T) {
	db, ctx := openSeedDB(t, filepath.Join(t.TempDir(), "lethe.db"))
	if ok, err := db.deferIndexes(context.Background()); err != nil {
		t.Fatal(err)
	} else if !ok {
		t.Skip("this database defers no indexes")
	}
	ids := []lethe.LearnerID{lethe.LearnerID(lethe.NewID(db.Now())), lethe.LearnerID(lethe.NewID(db.Now()))}
	for _, n := range []int{1, 2} {
		if _, err := NewUserService(db).FindUserLinks(ctx, ids[:n]); err != nil {
			t.Errorf("links of %d users with the indexes deferred: %v", n, err)
		}
	}
}
