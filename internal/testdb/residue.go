package testdb

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// Residue reports which of the canaries can still be read anywhere the
// database keeps data: for SQLite, every file in the folder of the database
// (call it after the database is closed); for PostgreSQL, every raw page
// (free space included) of every table and index of the test schema, read
// through pageinspect after a CHECKPOINT.
func Residue(tb testing.TB, dsn string, canaries ...string) []string {
	tb.Helper()
	var found []string
	if current == "sqlite" {
		dir := filepath.Dir(dsn)
		entries, err := os.ReadDir(dir)
		if err != nil {
			tb.Fatal(err)
		}
		var all []byte
		for _, e := range entries {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				tb.Fatal(err)
			}
			all = append(all, b...)
		}
		for _, c := range canaries {
			if bytes.Contains(all, []byte(c)) {
				found = append(found, c)
			}
		}
		return found
	}
	admin := Admin(tb)
	if _, err := admin.Exec("CREATE EXTENSION IF NOT EXISTS pageinspect"); err != nil {
		// Parallel packages may race to create it; it exists either way.
		if _, err := admin.Exec("CREATE EXTENSION IF NOT EXISTS pageinspect"); err != nil {
			tb.Fatalf("testdb: pageinspect: %v", err)
		}
	}
	if _, err := admin.Exec("CHECKPOINT"); err != nil {
		tb.Fatalf("testdb: checkpoint: %v", err)
	}
	rows, err := admin.Query(`SELECT c.oid::regclass::text, pg_relation_size(c.oid) / current_setting('block_size')::int
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relkind IN ('r', 'i', 't')`, Schema(tb, dsn))
	if err != nil {
		tb.Fatal(err)
	}
	type rel struct {
		name  string
		pages int
	}
	var rels []rel
	for rows.Next() {
		var r rel
		if err := rows.Scan(&r.name, &r.pages); err != nil {
			tb.Fatal(err)
		}
		rels = append(rels, r)
	}
	rows.Close()
	seen := map[string]bool{}
	for _, r := range rels {
		for p := 0; p < r.pages; p++ {
			var page []byte
			if err := admin.QueryRow(`SELECT public.get_raw_page($1, 'main', $2)`, r.name, p).Scan(&page); err != nil {
				tb.Fatalf("testdb: read page %d of %s: %v", p, r.name, err)
			}
			for _, c := range canaries {
				if !seen[c] && bytes.Contains(page, []byte(c)) {
					seen[c] = true
					found = append(found, c)
				}
			}
		}
	}
	return found
}
