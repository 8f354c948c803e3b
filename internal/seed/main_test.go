package seed_test

import (
	"context"
	"testing"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
	"github.com/lethehq/lethe/internal/testdb"
)

// TestMain runs the seed tests on SQLite, and on PostgreSQL when
// LETHE_TEST_POSTGRES_DSN is set.
func TestMain(m *testing.M) { testdb.Main(m) }

// MustOpenDB opens a fresh database of the current kind and closes it when
// the test ends.
func MustOpenDB(tb testing.TB) *sqldb.DB {
	tb.Helper()
	db, err := sqldb.Open(context.Background(), testdb.DSN(tb))
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
