package sqldb_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
	"github.com/lethehq/lethe/internal/testdb"
)

// benchActivities is the size of the activity query benchmark:
// LETHE_BENCH_ACTIVITIES, default 100,000 (docs/PERFORMANCE.md records the
// figures at larger sizes).
func benchActivities() int {
	return envInt("LETHE_BENCH_ACTIVITIES", 100_000)
}

func benchActivityTenant(b *testing.B, users int) (*sqldb.DB, context.Context, []lethe.LearnerID) {
	b.Helper()
	db, err := sqldb.Open(context.Background(), testdb.DSN(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if _, _, err := sqldb.NewTenantService(db).CreateTenant(context.Background(), "bench", "Bench"); err != nil {
		b.Fatal(err)
	}
	ctx := lethe.WithActor(context.Background(), lethe.Actor{TenantID: "bench", Source: lethe.SourceCLI, Name: "bench"})
	var ids []lethe.LearnerID
	for i := range users {
		ids = append(ids, MustCreateUser(b, ctx, db, fmt.Sprintf("U%05d", i), lethe.UserFields{}).ID)
	}
	return db, ctx, ids
}

// BenchmarkActivityService_Ingest measures POST /lethe/v1/activities at the
// store: batches of 1,000 new activities (about one in twenty a login,
// which updates the learner) of 100 learners, and of 1,000 (lethe bench's
// ingest scenario sends batches of about a thousand different learners).
func BenchmarkActivityService_Ingest(b *testing.B) {
	db, ctx, all := benchActivityTenant(b, 1000)
	svc := sqldb.NewActivityService(db)
	types := []string{"viewed", "viewed", "started", "progressed", "liked", "shared", "searched", "found", "resumed", "viewed",
		"viewed", "viewed", "started", "progressed", "liked", "shared", "searched", "found", "resumed", "loggedin"}
	rng := rand.New(rand.NewPCG(1, 2))
	base := db.Now().Add(-24 * time.Hour)
	n := 0
	for _, learners := range []int{100, 1000} {
		b.Run(fmt.Sprintf("learners=%d", learners), func(b *testing.B) {
			users, start := all[:learners], n
			for b.Loop() {
				batch := make([]lethe.NewActivity, 1000)
				for i := range batch {
					batch[i] = lethe.NewActivity{ClientID: "bench-" + strconv.Itoa(n), User: lethe.ByID(users[rng.IntN(len(users))]),
						Type: types[n%len(types)], Date: base.Add(time.Duration(n) * time.Millisecond), ContextType: "content",
						ContextID: fmt.Sprintf("c%023x", n%500), Name: "Activity", Data: []byte(`{"source":{"source":"feed"}}`)}
					n++
				}
				res, err := svc.IngestActivities(ctx, batch)
				if err != nil || res.Stored != 1000 {
					b.Fatalf("ingest = %+v, %v", res, err)
				}
			}
			b.ReportMetric(float64(n-start)/b.Elapsed().Seconds(), "activities/s")
		})
	}
}

// BenchmarkActivityService_Window measures GET /rest/v1/activities with a
// 24-hour window (the Airbyte query) over benchActivities() activities
// spread over 365 days: a page of 200, totals included, at the first page
// and deeper in the window. It reports the p99 latency.
func BenchmarkActivityService_Window(b *testing.B) {
	db, ctx, users := benchActivityTenant(b, 1000)
	n := benchActivities()
	start := time.Now()
	if err := db.SeedActivities(ctx, n, users, 365*24*time.Hour, 1); err != nil {
		b.Fatal(err)
	}
	if err := db.Analyze(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d activities on %s in %v", n, testdb.Kind(), time.Since(start).Round(time.Millisecond))
	svc := sqldb.NewActivityService(db)
	now := db.Now()
	for _, page := range []int{1, 10, 50} {
		b.Run(fmt.Sprintf("page=%d", page), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(3, 4))
			lat := make([]time.Duration, 0, 1024)
			for b.Loop() {
				from := now.Add(-time.Duration(2+rng.IntN(360)) * 24 * time.Hour).Truncate(time.Second)
				to := from.Add(24 * time.Hour)
				t0 := time.Now()
				got, total, err := svc.FindActivities(ctx, lethe.ActivityFilter{From: &from, To: &to, Offset: (page - 1) * 200, Limit: 200})
				lat = append(lat, time.Since(t0))
				if err != nil || (total >= page*200 && len(got) != 200) {
					b.Fatalf("FindActivities = %d of %d, %v", len(got), total, err)
				}
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
