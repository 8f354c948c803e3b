package sqldb_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
)

func BenchmarkTmpPhases(b *testing.B) {
	db, ctx, users := benchActivityTenant(b, 100)
	svc := sqldb.NewActivityService(db)
	n := 0
	for k := 0; k < 30; k++ {
		typ := "viewed"
		if k >= 15 {
			typ = "loggedin"
		}
		batch := make([]lethe.NewActivity, 1000)
		for i := range batch {
			n++
			batch[i] = lethe.NewActivity{ClientID: fmt.Sprint("x", n), User: lethe.ByID(users[i%100]), Type: typ, Date: db.Now().Add(-time.Hour)}
		}
		start := time.Now()
		if _, err := svc.IngestActivities(ctx, batch); err != nil {
			b.Fatal(err)
		}
		if k%3 == 0 {
			b.Logf("batch %d of %s: %v", k, typ, time.Since(start))
		}
	}
	for b.Loop() {
	}
}
