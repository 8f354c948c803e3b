package sqldb_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
	"github.com/lethehq/lethe/internal/testdb"
)

// TestMain runs the store tests on SQLite, and on PostgreSQL when
// LETHE_TEST_POSTGRES_DSN is set.
func TestMain(m *testing.M) { testdb.Main(m) }

// MustOpenDB opens a fresh database of the current kind and closes it when
// the test ends.
func MustOpenDB(tb testing.TB) *sqldb.DB {
	tb.Helper()
	return MustOpenDSN(tb, testdb.DSN(tb))
}

// MustOpenDSN opens dsn and closes it when the test ends.
func MustOpenDSN(tb testing.TB, dsn string) *sqldb.DB {
	tb.Helper()
	db, err := sqldb.Open(context.Background(), dsn)
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("close: %v", err)
		}
	})
	return db
}

// MustTenant creates a tenant and returns a context acting for it.
func MustTenant(tb testing.TB, db *sqldb.DB, id lethe.TenantID) context.Context {
	tb.Helper()
	if _, _, err := sqldb.NewTenantService(db).CreateTenant(context.Background(), id, "Tenant "+string(id)); err != nil {
		tb.Fatalf("create tenant: %v", err)
	}
	return lethe.WithActor(context.Background(), lethe.Actor{TenantID: id, Source: lethe.SourceAPI, Name: "test"})
}

func strp(s string) *string { return &s }

// MustCreateUser creates a user with a unique email derived from ref.
func MustCreateUser(tb testing.TB, ctx context.Context, db *sqldb.DB, ref string, f lethe.UserFields) *lethe.User {
	tb.Helper()
	if f.FirstName == nil {
		f.FirstName = strp("First")
	}
	if f.LastName == nil {
		f.LastName = strp("Last")
	}
	if f.Email == nil {
		f.Email = strp(ref + "@example.com")
	}
	u, err := sqldb.NewUserService(db).CreateUser(ctx, ref, f)
	if err != nil {
		tb.Fatalf("create user %s: %v", ref, err)
	}
	return u
}

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// envInt is the positive integer in the environment variable name (a
// benchmark's size), or def.
func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}
