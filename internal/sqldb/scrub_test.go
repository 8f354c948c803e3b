package sqldb_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
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
		if err := seed.Users(ctx, db, 10000, 7); err != nil {
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

// TestDB_ScrubUnderReads is the erasure canary test under load: with four
// goroutines reading the tenant through the store without pause, and
// another tenant writing a little, each erased person's names, email and
// ref leave every file of the database's folder (the database and its
// WAL, read while the reads go on) within 10 s of the erasure. The scrub's
// truncating checkpoint answers busy (a result row, not an error) while a
// passive checkpoint runs beside it or readers keep the WAL in use, and
// must be retried; a single erasure meets that now and then, so the test
// erases scrubRounds people one after another.
func TestDB_ScrubUnderReads(t *testing.T) {
	if testdb.Kind() != "sqlite" {
		t.Skip("SQLite only: PostgreSQL keeps no WAL file of page images in a folder this test could read")
	}
	const scrubRounds = 10
	dsn := testdb.DSN(t)
	db := MustOpenDSN(t, dsn)
	ctx := MustTenant(t, db, "load")
	users := sqldb.NewUserService(db)
	kept := []string{"Cnry-LoadKept-REF", "cnry.loadkept@canary.example"}
	MustCreateUser(t, ctx, db, kept[0], lethe.UserFields{Email: &kept[1]})
	people := make([][]string, scrubRounds)
	for round := range people {
		tag := fmt.Sprintf("CnryLoad%d", round)
		p := []string{tag + "-REF", tag + "First", tag + "Last", strings.ToLower(tag) + ".mail@canary.example"}
		MustCreateUser(t, ctx, db, p[0], lethe.UserFields{FirstName: &p[1], LastName: &p[2], Email: &p[3]})
		people[round] = p
	}
	for i := range 50 {
		MustCreateUser(t, ctx, db, fmt.Sprintf("LOAD-%02d", i), lethe.UserFields{})
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var reads atomic.Int64
	readErr := make(chan error, 5)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, _, err := users.FindUsers(ctx, lethe.UserFilter{Limit: 100}); err != nil {
					readErr <- err
					return
				}
				if _, err := users.FindUser(ctx, lethe.ByRef(kept[0])); err != nil {
					readErr <- err
					return
				}
				reads.Add(1)
			}
		}()
	}
	// Another tenant writes meanwhile, so the passive checkpoints that
	// follow commits run beside the scrub, as on a busy server.
	other := MustTenant(t, db, "other")
	MustCreateUser(t, other, db, "OTHER-1", lethe.UserFields{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			title := fmt.Sprintf("Title %d", i)
			if _, err := users.UpdateUser(other, lethe.ByRef("OTHER-1"), lethe.UserFields{JobTitle: &title}); err != nil {
				readErr <- err
				return
			}
			time.Sleep(20 * time.Millisecond) // a steady trickle, not a flood
		}
	}()
	defer func() { close(stop); wg.Wait() }()
	for reads.Load() < 20 {
		time.Sleep(5 * time.Millisecond) // until the readers are running
	}
	var gone []string
	for round, person := range people {
		if _, err := users.EraseUser(ctx, lethe.ByRef(person[0])); err != nil {
			t.Fatal(err)
		}
		gone = append(gone, person...)
		erasedAt := time.Now()
		for {
			found := testdb.Residue(t, dsn, append(kept, gone...)...)
			for _, v := range kept {
				if !slices.Contains(found, v) {
					t.Fatalf("the kept user's %q is not found: the search proves nothing", v)
				}
			}
			left := slices.DeleteFunc(found, func(v string) bool { return slices.Contains(kept, v) })
			if len(left) == 0 {
				t.Logf("round %d: erased values left the folder %v after the erasure, with %d reads so far",
					round, time.Since(erasedAt).Round(time.Millisecond), reads.Load())
				break
			}
			select {
			case err := <-readErr:
				t.Fatalf("read during the erasure: %v", err)
			default:
			}
			if time.Since(erasedAt) > 10*time.Second {
				var wal int64
				if fi, err := os.Stat(dsn + "-wal"); err == nil {
					wal = fi.Size()
				}
				t.Fatalf("round %d: 10 s after the erasure, with the tenant read without pause, %v are still readable in the database's folder (WAL: %d bytes, %d reads)",
					round, left, wal, reads.Load())
			}
			time.Sleep(50 * time.Millisecond) // polling, with a deadline
		}
	}
}
