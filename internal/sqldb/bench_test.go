package sqldb_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lethehq/lethe/internal/seed"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
	"github.com/lethehq/lethe/internal/testdb"
)

// benchUsers is the tenant size of the search benchmarks: LETHE_BENCH_USERS,
// default 10,000 (docs/PERFORMANCE.md uses 1,000,000).
func benchUsers() int {
	return envInt("LETHE_BENCH_USERS", 10_000)
}

var (
	benchOnce sync.Map // database kind -> *benchDB
)

type benchDB struct {
	once sync.Once
	db   *sqldb.DB
	ctx  context.Context
	err  error
}

// benchTenant returns a database seeded once per process and database kind.
func benchTenant(b *testing.B) (*sqldb.DB, context.Context) {
	v, _ := benchOnce.LoadOrStore(testdb.Kind(), &benchDB{})
	bd := v.(*benchDB)
	bd.once.Do(func() {
		// The database lives until the end of the benchmark that seeded it.
		dsn := testdb.DSN(b)
		bd.db, bd.err = sqldb.Open(context.Background(), dsn)
		if bd.err != nil {
			return
		}
		if _, _, bd.err = sqldb.NewTenantService(bd.db).CreateTenant(context.Background(), "bench", "Bench"); bd.err != nil {
			return
		}
		bd.ctx = lethe.WithActor(context.Background(), lethe.Actor{TenantID: "bench", Source: lethe.SourceCLI, Name: "bench"})
		start := time.Now()
		bd.err = seed.Users(bd.ctx, bd.db, benchUsers(), 1)
		b.Logf("seeded %d users on %s in %v", benchUsers(), testdb.Kind(), time.Since(start).Round(time.Millisecond))
		if bd.err == nil {
			bd.err = bd.db.Analyze(context.Background())
		}
	})
	if bd.err != nil {
		b.Fatal(bd.err)
	}
	return bd.db, bd.ctx
}

// BenchmarkUserService_FindUsers measures GET /rest/v1/users at the store: a
// page of 100 with a status filter, totals included. It reports the p99
// latency next to the mean.
func BenchmarkUserService_FindUsers(b *testing.B) {
	// Seeded here, not in a sub-benchmark, whose end would drop the database.
	db, ctx := benchTenant(b)
	for _, c := range []struct {
		name     string
		statuses []lethe.Status
		page     int
	}{
		{"status=active", []lethe.Status{lethe.StatusActive}, 1},
		{"status=new", []lethe.Status{lethe.StatusNew}, 1},
		{"status=inactive", []lethe.Status{lethe.StatusInactive}, 1},
		{"status=expired", []lethe.Status{lethe.StatusExpired}, 1},
		{"statuses=active,new", []lethe.Status{lethe.StatusActive, lethe.StatusNew}, 1},
		{"all", nil, 1},
		{"status=active/page=50", []lethe.Status{lethe.StatusActive}, 50},
	} {
		b.Run(c.name, func(b *testing.B) {
			users := sqldb.NewUserService(db)
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for b.Loop() {
				start := time.Now()
				got, total, err := users.FindUsers(ctx, lethe.UserFilter{Statuses: c.statuses, Offset: (c.page - 1) * 100, Limit: 100})
				lat = append(lat, time.Since(start))
				if err != nil || len(got) != 100 || total < 100 {
					b.Fatalf("FindUsers = %d users of %d, %v", len(got), total, err)
				}
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}

// BenchmarkSCIMUserNameLookup measures GET /scim/v2/Users?filter=userName eq
// "x" at the store, at LETHE_BENCH_USERS users: the identity provider's
// look-up before each create of an initial sync. userName is matched
// ignoring case, through the people_ref_lower index. It reports the p99
// latency next to the mean.
func BenchmarkSCIMUserNameLookup(b *testing.B) {
	db, ctx := benchTenant(b)
	scim := sqldb.NewSCIMService(db)
	n := benchUsers()
	for _, c := range []struct {
		name  string
		found bool
	}{{"found", true}, {"absent", false}} {
		b.Run(c.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			i, hits := 0, 0
			for b.Loop() {
				i++
				name := fmt.Sprintf("s%08d", (i*7919)%n) // the seed's refs, in another case
				if !c.found {
					name = fmt.Sprintf("random-%d", i)
				}
				start := time.Now()
				got, total, err := scim.FindSCIMUsers(ctx, lethe.SCIMQuery{Filter: &lethe.SCIMFilter{Attr: "userName", Op: lethe.SCIMEq, Value: name}, Limit: 100})
				lat = append(lat, time.Since(start))
				// The seed erased some: their refs name no one.
				if err != nil || len(got) != total || total > 1 || !c.found && total != 0 {
					b.Fatalf("userName eq %s: %d users of %d, %v", name, len(got), total, err)
				}
				hits += total
			}
			if c.found && hits == 0 {
				b.Fatal("no look-up found its user: the benchmark measures nothing")
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}

// BenchmarkSCIMCreateUser measures the step of an identity provider's
// initial sync that writes: a look-up by userName (absent), then
// CreateSCIMUser with an externalId, 8 at a time, in a tenant that already
// holds LETHE_BENCH_USERS users. It reports users/s.
func BenchmarkSCIMCreateUser(b *testing.B) {
	// A database of its own (it adds users), seeded here, not in a
	// sub-benchmark, whose end would drop it.
	db := MustOpenDB(b)
	ctx := MustTenant(b, db, "sync")
	if err := seed.Users(ctx, db, benchUsers(), 1); err != nil {
		b.Fatal(err)
	}
	if err := db.Analyze(context.Background()); err != nil {
		b.Fatal(err)
	}
	scim := sqldb.NewSCIMService(db)
	b.Run("parallel=8", func(b *testing.B) {
		var next atomic.Int64
		b.SetParallelism(4) // 8 goroutines on the 2 cores this is measured on
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := next.Add(1)
				name := fmt.Sprintf("Sync.User.%d.%d", start.UnixNano(), i)
				filter := &lethe.SCIMFilter{Attr: "userName", Op: lethe.SCIMEq, Value: name}
				if got, _, err := scim.FindSCIMUsers(ctx, lethe.SCIMQuery{Filter: filter, Limit: 1}); err != nil || len(got) != 0 {
					b.Fatalf("look-up: %v, %v", got, err)
				}
				email := strings.ToLower(name) + "@sync.example"
				if _, err := scim.CreateSCIMUser(ctx, name, lethe.UserFields{FirstName: &name, LastName: &name, Email: &email},
					fmt.Sprint("ext-", i)); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.ReportMetric(float64(next.Load())/time.Since(start).Seconds(), "users/s")
	})
}
