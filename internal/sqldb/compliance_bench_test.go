package sqldb_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/lethehq/lethe/internal/seed"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
	"github.com/lethehq/lethe/internal/testdb"
)

// benchMembers is the audience size of BenchmarkAssignmentService_CreateAssignment:
// LETHE_BENCH_MEMBERS, default 50,000.
func benchMembers() int {
	return envInt("LETHE_BENCH_MEMBERS", 50_000)
}

// longest records the longest write transaction.
type longest struct {
	mu  sync.Mutex
	max time.Duration
}

func (l *longest) observe(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.max = max(l.max, d)
}

// benchAudience creates a structure and an audience in a fresh tenant.
func benchAudience(b *testing.B, db *sqldb.DB, ctx context.Context) *lethe.Audience {
	b.Helper()
	aud := sqldb.NewAudienceService(db)
	org, err := aud.CreateAudience(ctx, lethe.AudienceFields{Name: strp("Org")})
	if err != nil {
		b.Fatal(err)
	}
	a, err := aud.CreateAudience(ctx, lethe.AudienceFields{Name: strp("Team"), ParentID: &org.ID})
	if err != nil {
		b.Fatal(err)
	}
	return a
}

// BenchmarkAudienceService_AddMembers measures POST …/members with 100
// users named by ref, into an audience with two live assignments (so 200
// enrolments are created too), in one transaction.
func BenchmarkAudienceService_AddMembers(b *testing.B) {
	db := MustOpenDSN(b, testdb.DSN(b))
	ctx := MustTenant(b, db, "bench")
	MustCreateContent(b, ctx, db, "c00000000000000000000001", "c00000000000000000000002")
	const seeded = 20_000 // 17,000 can be members
	if err := seed.Users(ctx, db, seeded, 1); err != nil {
		b.Fatal(err)
	}
	// Each audience takes members until the seeded users run out, then the
	// next audience takes them again: every add is of 100 new members.
	newAudience := func() *lethe.Audience {
		a := benchAudience(b, db, ctx)
		for _, c := range []string{"c00000000000000000000001", "c00000000000000000000002"} {
			if _, err := sqldb.NewAssignmentService(db).CreateAssignment(ctx, lethe.AssignmentFields{AudienceID: &a.ID, ContentID: &c}); err != nil {
				b.Fatal(err)
			}
		}
		return a
	}
	a := newAudience()
	aud := sqldb.NewAudienceService(db)
	var l longest
	db.ObserveWrite = l.observe
	next := 0
	b.ResetTimer()
	for b.Loop() {
		if next+100 > seeded {
			b.StopTimer()
			a, next = newAudience(), 0
			b.StartTimer()
		}
		refs := make([]string, 100)
		for i := range refs {
			refs[i] = fmt.Sprintf("S%08d", next)
			next++
		}
		if _, err := aud.AddMembers(ctx, a.ID, refs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(l.max.Microseconds())/1000, "max-tx-ms")
}

// BenchmarkAssignmentService_CreateAssignment measures an assignment to an
// audience of benchMembers members: the enrolments are created in batches,
// and max-tx-ms is the longest write transaction among them.
func BenchmarkAssignmentService_CreateAssignment(b *testing.B) {
	db := MustOpenDSN(b, testdb.DSN(b))
	ctx := MustTenant(b, db, "bench")
	MustCreateContent(b, ctx, db, "c00000000000000000000001", "c00000000000000000000002")
	n := benchMembers()
	// Seeded users: 85% can be members (the rest are suspended or erased).
	seeded := n * 100 / 85
	if err := seed.Users(ctx, db, seeded, 1); err != nil {
		b.Fatal(err)
	}
	a := benchAudience(b, db, ctx)
	aud := sqldb.NewAudienceService(db)
	members := 0
	for i := 0; i < seeded && members < n; i += 100 {
		var refs []string
		for j := i; j < min(i+100, seeded); j++ {
			refs = append(refs, fmt.Sprintf("S%08d", j))
		}
		res, err := aud.AddMembers(ctx, a.ID, refs)
		if err != nil {
			b.Fatal(err)
		}
		members += len(res.Added)
	}
	b.Logf("%d members on %s", members, testdb.Kind())
	assignments := sqldb.NewAssignmentService(db)
	var l longest
	db.ObserveWrite = l.observe
	b.ResetTimer()
	for b.Loop() {
		c := "c00000000000000000000001"
		if _, err := assignments.CreateAssignment(ctx, lethe.AssignmentFields{AudienceID: &a.ID, ContentID: &c}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(members), "members")
	b.ReportMetric(float64(l.max.Microseconds())/1000, "max-tx-ms")
}
