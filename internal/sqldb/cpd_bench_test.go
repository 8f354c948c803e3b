package sqldb_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
	"github.com/lethehq/lethe/internal/testdb"
)

// benchCPDLearners is the number of learners of BenchmarkCPDService, each
// with 100 entries: LETHE_BENCH_CPD_LEARNERS, default 10,000 (1,000,000
// entries).
func benchCPDLearners() int {
	return envInt("LETHE_BENCH_CPD_LEARNERS", 10_000)
}

// BenchmarkCPDService measures the CPD reads over seeded entries, reporting
// p50 and p99 latencies of 200 calls besides ns/op.
func BenchmarkCPDService(b *testing.B) {
	db := MustOpenDSN(b, testdb.DSN(b))
	ctx := MustTenant(b, db, "bench")
	start := time.Now()
	learners, err := db.SeedCPDEntries(ctx, benchCPDLearners(), 100, 1)
	if err != nil {
		b.Fatal(err)
	}
	if err := db.Analyze(ctx); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d entries in %v", len(learners)*100, time.Since(start))
	svc := sqldb.NewCPDService(db)
	day := func(m, d int) time.Time { return time.Date(2025, time.Month(m), d, 0, 0, 0, 0, time.UTC) }
	ptr := func(t time.Time) *time.Time { return &t }
	hundred := learners[len(learners)/2 : len(learners)/2+100]
	for _, c := range []struct {
		name string
		run  func(context.Context) error
	}{
		{"Entries_1DayWindow_Page100", func(ctx context.Context) error {
			_, _, err := svc.FindEntries(ctx, lethe.CPDEntryFilter{EntryFrom: ptr(day(6, 1)), EntryTo: ptr(day(6, 2)), Limit: 100})
			return err
		}},
		{"Entries_31DayWindow_Page100", func(ctx context.Context) error {
			_, _, err := svc.FindEntries(ctx, lethe.CPDEntryFilter{EntryFrom: ptr(day(6, 1)), EntryTo: ptr(day(7, 1)), Limit: 100})
			return err
		}},
		{"Summaries_1Year_100UserIds", func(ctx context.Context) error {
			_, _, err := svc.FindUserSummaries(ctx, lethe.CPDSummaryFilter{From: day(1, 1), To: day(12, 31), LearnerIDs: hundred, Limit: 100})
			return err
		}},
		{"Summaries_31Days_AllUsers_Page100", func(ctx context.Context) error {
			_, _, err := svc.FindUserSummaries(ctx, lethe.CPDSummaryFilter{From: day(6, 1), To: day(7, 1), Limit: 100})
			return err
		}},
		{"Summaries_1Year_AllUsers_Page100", func(ctx context.Context) error {
			_, _, err := svc.FindUserSummaries(ctx, lethe.CPDSummaryFilter{From: day(1, 1), To: day(12, 31), Limit: 100})
			return err
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, 200)
			for range 200 {
				t := time.Now()
				if err := c.run(ctx); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t))
			}
			slices.Sort(lat)
			b.ResetTimer()
			for b.Loop() {
				if err := c.run(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
