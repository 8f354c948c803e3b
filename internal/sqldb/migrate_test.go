package sqldb_test

import (
	"context"
	"database/sql"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/lethehq/lethe/internal/sqldb"
	"github.com/lethehq/lethe/internal/testdb"
	_ "modernc.org/sqlite"
)

// rawDB opens dsn with the plain driver, bypassing migrations.
func rawDB(tb testing.TB, dsn string) *sql.DB {
	tb.Helper()
	driver := "sqlite"
	if testdb.Kind() == "postgres" {
		driver = "pgx"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func TestOpen_Migrate(t *testing.T) {
	t.Run("OKReopen", func(t *testing.T) {
		dsn := testdb.DSN(t)
		ctx := context.Background()
		db, err := sqldb.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		_, key, err := sqldb.NewTenantService(db).CreateTenant(ctx, "acme", "Acme")
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		// Reopening applies nothing twice and keeps the server secret, so
		// the API key still authenticates.
		db = MustOpenDSN(t, dsn)
		if _, err := sqldb.NewTenantService(db).Authenticate(ctx, "acme", key); err != nil {
			t.Fatalf("key after reopen: %v", err)
		}
	})
	t.Run("OKConcurrentStart", func(t *testing.T) {
		// Several processes starting at once on one database migrate it once.
		dsn := testdb.DSN(t)
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				db, err := sqldb.Open(context.Background(), dsn)
				if err == nil {
					err = db.Close()
				}
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("concurrent open: %v", err)
			}
		}
		var n int
		if err := rawDB(t, dsn).QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil || n != sqldb.SchemaVersion() {
			t.Fatalf("schema_migrations rows = %d (%v), want %d", n, err, sqldb.SchemaVersion())
		}
	})
	t.Run("ErrNewerSchema", func(t *testing.T) {
		dsn := testdb.DSN(t)
		db, err := sqldb.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		if _, err := rawDB(t, dsn).Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (9999, 0)`); err != nil {
			t.Fatal(err)
		}
		_, err = sqldb.Open(context.Background(), dsn)
		if err == nil || !strings.Contains(err.Error(), "newer than this binary") {
			t.Fatalf("err = %v, want a refusal of the newer schema", err)
		}
	})
}

// TestMigrations_SameVersions checks that both dialects have the same
// migration versions, so a schema version means the same on both.
func TestMigrations_SameVersions(t *testing.T) {
	versions := func(dir string) []string {
		entries, err := os.ReadDir("migrations/" + dir)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range entries {
			num, _, _ := strings.Cut(e.Name(), "_")
			out = append(out, num)
		}
		return out
	}
	sqlite, postgres := versions("sqlite"), versions("postgres")
	if !slices.Equal(sqlite, postgres) || len(sqlite) == 0 {
		t.Fatalf("migration versions differ: sqlite %v, postgres %v", sqlite, postgres)
	}
}
