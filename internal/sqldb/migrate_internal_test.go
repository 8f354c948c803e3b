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

// TestMigration_contentTags: migration 5 links the content that exists to
// the tags that exist, by name ignoring case.
func TestMigration_contentTags(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, testdb.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		`DROP TABLE content_tags`,
		`DELETE FROM schema_migrations WHERE version = 5`,
		`INSERT INTO tenants (id, name, api_key_hash, created_at, key_rotated_at) VALUES ('t', 't', '', 0, 0)`,
		`INSERT INTO tags (tenant_id, id, name, name_key, created_at, updated_at) VALUES
			('t', 'a00000000000000000000001', 'Safety', 'safety', 0, 0), ('t', 'a00000000000000000000002', 'Other', 'other', 0, 0)`,
		`INSERT INTO contents (tenant_id, id, title, description, type, tags, is_official, created_at, updated_at) VALUES
			('t', 'c00000000000000000000001', 'x', '', 'video', '["SAFETY", "unknown", "safety"]', false, 0, 0),
			('t', 'c00000000000000000000002', 'y', '', 'video', '[]', false, 0, 0)`,
	} {
		if _, err := db.write.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	all, err := migrations(db.dialect.migrations)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.applyMigration(ctx, all[4], all[len(all)-1].version); err != nil {
		t.Fatalf("apply %s: %v", all[4].name, err)
	}
	rows, err := db.write.QueryContext(ctx, `SELECT tag_id, content_id FROM content_tags WHERE tenant_id = 't'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var tag, content string
		if err := rows.Scan(&tag, &content); err != nil {
			t.Fatal(err)
		}
		got = append(got, tag+" "+content)
	}
	if want := "a00000000000000000000001 c00000000000000000000001"; len(got) != 1 || got[0] != want {
		t.Errorf("links = %q, want [%q]", got, want)
	}
}
