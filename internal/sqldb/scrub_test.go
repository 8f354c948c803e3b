package sqldb_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
	"github.com/lethehq/lethe/internal/testdb"
)

// TestDB_Scrub checks what the scrub after an erasure leaves on PostgreSQL
// in a table of realistic size. A plain VACUUM skips index vacuuming when
// few of the table's pages have dead rows (PostgreSQL 14 and later, "index
// scan bypassed"): one erasure among thousands of people would then leave
// the erased email and ref as live entries of the people indexes.
func TestDB_Scrub(t *testing.T) {
	t.Run("OKNoIndexEntryAtScale", func(t *testing.T) {
		if testdb.Kind() != "postgres" {
			t.Skip("PostgreSQL only: SQLite's secure_delete overwrites index entries as it deletes them")
		}
		// The seeding transaction is long: in a database of its own, it
		// cannot hold back the vacuums of tests running beside it.
		dsn, raw := mustOwnDatabase(t)
		db := MustOpenDSN(t, dsn)
		ctx := MustTenant(t, db, "scale")
		// Enough people that one erased row is under 2% of the table's pages.
		if err := db.SeedUsers(ctx, 10000, 7); err != nil {
			t.Fatal(err)
		}
		// Someone who manages nobody, so the erasure changes one row of
		// people (erasing a manager also updates their reports' rows).
		var ref, email string
		err := raw.QueryRow(`SELECT ref, email FROM people p WHERE tenant_id = 'scale' AND NOT EXISTS
			(SELECT 1 FROM people r WHERE r.tenant_id = p.tenant_id AND r.manager_ref = p.ref)
			ORDER BY ref DESC LIMIT 1`).Scan(&ref, &email)
		if err != nil {
			t.Fatal(err)
		}
		if n := indexEntriesHolding(t, raw, email); n == 0 {
			t.Fatal("the seeded email is in no index entry before the erasure: the check below proves nothing")
		}
		if _, err := sqldb.NewUserService(db).EraseUser(ctx, lethe.ByRef(ref)); err != nil {
			t.Fatal(err)
		}
		if err := db.Scrub(context.Background()); err != nil {
			t.Fatal(err)
		}
		for _, v := range []string{email, ref} {
			if n := indexEntriesHolding(t, raw, v); n != 0 {
				t.Errorf("after the scrub, %d index entries of people still hold the erased %q", n, v)
			}
		}
	})
}

// mustOwnDatabase creates a PostgreSQL database for the test, dropped when it
// ends, and returns its URL and a plain connection to it.
func mustOwnDatabase(tb testing.TB) (string, *sql.DB) {
	tb.Helper()
	admin := testdb.Admin(tb)
	b := make([]byte, 6)
	rand.Read(b)
	name := "lethe_test_db_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if _, err := admin.Exec("DROP DATABASE " + name + " WITH (FORCE)"); err != nil {
			tb.Errorf("drop database: %v", err)
		}
	})
	u, err := url.Parse(os.Getenv(testdb.EnvDSN))
	if err != nil {
		tb.Fatal(err)
	}
	u.Path = "/" + name
	raw, err := sql.Open("pgx", u.String())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { raw.Close() })
	if _, err := raw.Exec("CREATE EXTENSION IF NOT EXISTS pageinspect"); err != nil {
		tb.Fatal(err)
	}
	return u.String(), raw
}

// indexEntriesHolding counts the entries of the people table's indexes
// (read with pageinspect) whose key holds s.
func indexEntriesHolding(tb testing.TB, db *sql.DB, s string) int {
	tb.Helper()
	rows, err := db.Query(`SELECT c.oid::regclass::text, pg_relation_size(c.oid) / current_setting('block_size')::int
		FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
		WHERE i.indrelid = 'people'::regclass`)
	if err != nil {
		tb.Fatal(err)
	}
	type index struct {
		name  string
		pages int
	}
	var indexes []index
	for rows.Next() {
		var ix index
		if err := rows.Scan(&ix.name, &ix.pages); err != nil {
			tb.Fatal(err)
		}
		indexes = append(indexes, ix)
	}
	rows.Close()
	if len(indexes) < 3 {
		tb.Fatalf("found %d indexes on people, want its primary key, ref, email and manager indexes", len(indexes))
	}
	want := hex.EncodeToString([]byte(s))
	n := 0
	for _, ix := range indexes {
		var count int
		// Page 0 is the metapage; bt_page_items shows the entries of a page.
		err := db.QueryRow(`SELECT COUNT(*) FROM generate_series(1, $2::int - 1) AS p,
			LATERAL bt_page_items($1, p) AS item
			WHERE position($3 IN replace(item.data, ' ', '')) > 0`, ix.name, ix.pages, want).Scan(&count)
		if err != nil {
			tb.Fatalf("read index %s: %v", ix.name, err)
		}
		n += count
	}
	return n
}
