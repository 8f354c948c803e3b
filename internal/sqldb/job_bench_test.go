package sqldb_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lethehq/lethe/internal/seed"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
	"github.com/lethehq/lethe/internal/testdb"
)

// seedHistory seeds n users (seed.Users) and gives each live one about
// perUser activities; it returns the live users' ids.
func seedHistory(tb testing.TB, ctx context.Context, db *sqldb.DB, n, perUser int) []lethe.LearnerID {
	tb.Helper()
	if err := seed.Users(ctx, db, n, 1); err != nil {
		tb.Fatal(err)
	}
	users := sqldb.NewUserService(db)
	var ids []lethe.LearnerID
	for off := 0; ; off += 1000 {
		page, _, err := users.FindUsers(ctx, lethe.UserFilter{Statuses: []lethe.Status{lethe.StatusActive, lethe.StatusNew,
			lethe.StatusExpired, lethe.StatusInactive}, Offset: off, Limit: 1000})
		if err != nil {
			tb.Fatal(err)
		}
		for _, u := range page {
			if !u.Deleted() {
				ids = append(ids, u.ID)
			}
		}
		if len(page) < 1000 {
			break
		}
	}
	if err := db.SeedActivities(ctx, len(ids)*perUser, ids, 365*24*time.Hour, 2); err != nil {
		tb.Fatal(err)
	}
	if testdb.Kind() == "postgres" {
		// PostgreSQL plans from statistics, which autovacuum would gather
		// in time. SQLite has none unless ANALYZE runs, which Lethe never
		// does; with them, SQLite re-plans each statement at every run
		// whose bound values could change its plan.
		if err := db.Analyze(ctx); err != nil {
			tb.Fatal(err)
		}
	}
	if err := db.Scrub(ctx); err != nil { // checkpoint the seeding's WAL
		tb.Fatal(err)
	}
	return ids
}

// BenchmarkBulkService_Delete1000 measures POST /lethe/v1/users/bulk at the
// store: erasing 1,000 users with about 20 records each. Run with
// -benchtime 1x (each run needs fresh users).
func BenchmarkBulkService_Delete1000(b *testing.B) {
	db := MustOpenDB(b)
	ctx := MustTenant(b, db, "bulk")
	ids := seedHistory(b, ctx, db, 1060, 20)[:1000]
	req := lethe.BulkRequest{Action: lethe.ActionDelete}
	for _, id := range ids {
		req.Identifiers = append(req.Identifiers, lethe.Identifier{ID: id})
	}
	svc := sqldb.NewBulkService(db)
	for b.Loop() {
		res, err := svc.BulkUsers(ctx, req)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range res {
			if r.Outcome != lethe.ItemDone {
				b.Fatalf("result %+v", r)
			}
		}
	}
}

// BenchmarkJobService_EraseAll measures a job erasing every user of a
// tenant (LETHE_BENCH_JOB_USERS, default 10,000, each with about 20
// activities), with a reader beside it reading users by id and pages of
// 100: it reports the job's time and the reader's longest wait. Run with
// -benchtime 1x.
func BenchmarkJobService_EraseAll(b *testing.B) {
	db := MustOpenDB(b)
	ctx := MustTenant(b, db, "jobs")
	ids := seedHistory(b, ctx, db, envInt("LETHE_BENCH_JOB_USERS", 10_000), 20)
	jobs, users := sqldb.NewJobService(db), sqldb.NewUserService(db)
	for b.Loop() {
		j, err := jobs.CreateJob(ctx, lethe.NewJob{Action: lethe.ActionDelete,
			Selector: lethe.JobSelector{Query: &lethe.UserQuery{}, ConfirmAll: true}})
		if err != nil {
			b.Fatal(err)
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var reads []time.Duration
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				t0 := time.Now()
				if _, err := users.FindUser(ctx, lethe.ByID(ids[i%len(ids)])); err != nil {
					b.Error(err)
					return
				}
				if _, _, err := users.FindUsers(ctx, lethe.UserFilter{Offset: (i % 50) * 100, Limit: 100}); err != nil {
					b.Error(err)
					return
				}
				reads = append(reads, time.Since(t0))
				time.Sleep(10 * time.Millisecond) // about 100 reads a second
			}
		}()
		start := time.Now()
		if _, err := jobs.RunJobs(ctx); err != nil {
			b.Fatal(err)
		}
		elapsed := time.Since(start)
		close(stop)
		wg.Wait()
		j, err = jobs.FindJob(ctx, j.ID)
		if err != nil || j.State != lethe.JobSucceeded || j.Outcomes[lethe.ItemDone] != len(ids) {
			b.Fatalf("job = %+v, %v", j, err)
		}
		slices.Sort(reads)
		b.ReportMetric(elapsed.Seconds(), "job-s")
		b.ReportMetric(float64(len(ids))/elapsed.Seconds(), "erasures/s")
		b.ReportMetric(float64(reads[len(reads)-1].Microseconds())/1000, "max-read-ms")
		b.ReportMetric(float64(reads[len(reads)*99/100].Microseconds())/1000, "p99-read-ms")
	}
}

// BenchmarkJobService_PreviewDormant measures a dormant-account preview over
// LETHE_BENCH_USERS users (default 100,000).
func BenchmarkJobService_PreviewDormant(b *testing.B) {
	db := MustOpenDB(b)
	ctx := MustTenant(b, db, "dormant")
	if err := seed.Users(ctx, db, envInt("LETHE_BENCH_USERS", 100_000), 1); err != nil {
		b.Fatal(err)
	}
	if testdb.Kind() == "postgres" { // see seedHistory
		if err := db.Analyze(ctx); err != nil {
			b.Fatal(err)
		}
	}
	never, inactive := 365, 180
	jobs := sqldb.NewJobService(db)
	for b.Loop() {
		j, err := jobs.PreviewDormant(ctx, lethe.DormantRules{NeverLoggedInDays: &never, InactiveDays: &inactive, EndDatePassed: true})
		if err != nil || j.Total == 0 {
			b.Fatalf("preview = %+v, %v", j, err)
		}
	}
}
