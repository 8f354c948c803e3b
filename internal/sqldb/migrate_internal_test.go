package sqldb

import (
	"context"
	"testing"

	"github.com/lethehq/lethe/internal/testdb"
)

// TestDB_applyMigration: whether a migration ran is decided per version, so
// one merged with a lower number than an applied one still runs, once.
func TestDB_applyMigration(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, testdb.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.write.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (50, 0)`); err != nil {
		t.Fatal(err)
	}
	late := migration{version: 45, name: "0045_late.sql", sql: `CREATE TABLE late_probe (a BIGINT)`}
	for range 2 { // the second run must do nothing (the table exists)
		if err := db.applyMigration(ctx, late, 100); err != nil {
			t.Fatalf("apply: %v", err)
		}
	}
	var n int
	if err := db.write.QueryRowContext(ctx, `SELECT COUNT(*) FROM late_probe`).Scan(&n); err != nil {
		t.Fatalf("the late migration did not run: %v", err)
	}
	if err := db.applyMigration(ctx, late, 49); err == nil {
		t.Fatal("a schema newer than the binary was not refused")
	}
}
