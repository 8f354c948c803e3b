package sqldb_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lethehq/lethe/internal/sqldb"
	_ "modernc.org/sqlite"
)

func TestOpen_Migrate(t *testing.T) {
	t.Run("OKReopen", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "lethe.db")
		ctx := context.Background()
		db, err := sqldb.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		tenants := sqldb.NewTenantService(db)
		_, key, err := tenants.CreateTenant(ctx, "acme", "Acme")
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		// Reopening applies nothing twice and keeps the server secret, so
		// the API key still authenticates.
		db, err = sqldb.Open(ctx, path)
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		defer db.Close()
		if _, err := sqldb.NewTenantService(db).Authenticate(ctx, "acme", key); err != nil {
			t.Fatalf("key after reopen: %v", err)
		}
	})
	t.Run("ErrNewerSchema", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "lethe.db")
		db, err := sqldb.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		raw, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := raw.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (9999, 0)`); err != nil {
			t.Fatal(err)
		}
		raw.Close()
		_, err = sqldb.Open(context.Background(), path)
		if err == nil || !strings.Contains(err.Error(), "newer than this binary") {
			t.Fatalf("err = %v, want a refusal of the newer schema", err)
		}
	})
	t.Run("ErrPostgresNotYet", func(t *testing.T) {
		if _, err := sqldb.Open(context.Background(), "postgres://localhost/x"); err == nil {
			t.Fatal("want an error")
		}
	})
}
