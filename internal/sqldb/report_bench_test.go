package sqldb_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/lethehq/lethe/internal/seed"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
	"github.com/lethehq/lethe/internal/testdb"
)

// benchReportUsers is the tenant size of BenchmarkReportService:
// LETHE_BENCH_REPORT_USERS, default 100,000.
func benchReportUsers() int {
	return envInt("LETHE_BENCH_REPORT_USERS", 100_000)
}

// BenchmarkReportService measures both reports on a tenant of
// benchReportUsers seeded users (seed.Users: 10% suspended and 5% erased,
// each with its status history), an audience of every active user (about
// 85%; DB.SeedMembers), an assignment of that audience (one enrolment each),
// and completions by one user in twenty who is a member, half of them after
// the due date.
func BenchmarkReportService(b *testing.B) {
	db := MustOpenDSN(b, testdb.DSN(b))
	start := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	clk := &clock{t: start}
	db.Now = clk.now
	ctx := MustTenant(b, db, "bench")
	MustCreateContent(b, ctx, db, "c00000000000000000000001")
	n := benchReportUsers()
	began := time.Now()
	if err := seed.Users(ctx, db, n, 1); err != nil {
		b.Fatal(err)
	}
	aud := benchAudience(b, db, ctx)
	members, err := db.SeedMembers(ctx, aud.ID)
	if err != nil {
		b.Fatal(err)
	}
	content, period := "c00000000000000000000001", 30
	if _, err := sqldb.NewAssignmentService(db).CreateAssignment(ctx, lethe.AssignmentFields{AudienceID: &aud.ID,
		ContentID: &content, CompletionPeriod: &period}); err != nil {
		b.Fatal(err)
	}
	completions, users := sqldb.NewCompletionService(db), sqldb.NewUserService(db)
	for i := 0; i < n; i += 20 {
		u, err := users.FindUser(ctx, lethe.ByRef(fmt.Sprintf("S%08d", i)))
		if lethe.ErrorCode(err) == lethe.ENotFound || err == nil && u.State != lethe.StateActive {
			continue // erased or suspended: not a member
		}
		if err != nil {
			b.Fatal(err)
		}
		clk.t = start.Add(time.Duration(i/20%60) * lethe.Day) // days 0-59: after day 30, late
		if _, _, err := completions.CreateCompletion(ctx, u.ID, content, clk.t); err != nil {
			b.Fatal(err)
		}
	}
	clk.t = start.Add(90 * lethe.Day)
	if err := db.Analyze(ctx); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d users, %d members with enrolments, on %s: seeded in %v", n, members, testdb.Kind(),
		time.Since(began).Round(time.Second))
	reports := sqldb.NewReportService(db)
	b.Run("headcount", func(b *testing.B) {
		for b.Loop() {
			if _, err := reports.FindHeadcount(ctx, lethe.HeadcountFilter{AsOf: clk.t}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("headcount/audience", func(b *testing.B) {
		for b.Loop() {
			if _, err := reports.FindHeadcount(ctx, lethe.HeadcountFilter{AsOf: clk.t, AudienceID: aud.ID}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("compliance", func(b *testing.B) {
		var rows int
		for b.Loop() {
			r, err := reports.FindCompliance(ctx, lethe.ComplianceFilter{From: start, To: start.Add(45 * lethe.Day)})
			if err != nil {
				b.Fatal(err)
			}
			rows = len(r.Assignments[0].People)
		}
		b.ReportMetric(float64(rows), "rows")
	})
}
