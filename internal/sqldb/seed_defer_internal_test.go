package sqldb

import (
	"context"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/lethehq/lethe"
)

// indexSQL lists the secondary indexes of the seed's tables, as SQL.
func indexSQL(t *testing.T, db *DB) []string {
	t.Helper()
	return column[string](t, db.write, `SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
		AND tbl_name IN ('learners', 'people', 'status_history', 'audience_members', 'learner_keys', 'enrolments',
		'enrolment_history', 'completions', 'cpd_entries', 'activities') ORDER BY name`)
}

func deferredCount(t *testing.T, db *DB) int {
	t.Helper()
	var n int
	if err := db.write.QueryRow(`SELECT COUNT(*) FROM deferred_indexes`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// writerPragmaValues reads the pragmas a seed changes on the write
// connection.
func writerPragmaValues(t *testing.T, db *DB) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, name := range []string{"cache_size", "threads", "temp_store", "foreign_keys"} {
		var v string
		if err := db.write.QueryRow(`PRAGMA ` + name).Scan(&v); err != nil {
			t.Fatal(err)
		}
		out[name] = v
	}
	return out
}

func openSeedDB(t *testing.T, path string) (*DB, context.Context) {
	t.Helper()
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, _, err := NewTenantService(db).CreateTenant(context.Background(), "acme", "Acme"); err != nil && lethe.ErrorCode(err) != lethe.EConflict {
		t.Fatal(err)
	}
	return db, lethe.WithActor(context.Background(), lethe.Actor{TenantID: "acme", Source: lethe.SourceCLI, Name: "t"})
}

// A seed of an empty SQLite database drops the indexes of its tables and
// builds them at the end: the schema ends as it began.
func TestSeed_DefersIndexes(t *testing.T) {
	db, ctx := openSeedDB(t, filepath.Join(t.TempDir(), "lethe.db"))
	before := indexSQL(t, db)
	if len(before) < 10 {
		t.Fatalf("only %d indexes on the seed's tables", len(before))
	}
	pragmas := writerPragmaValues(t, db)
	if pragmas["temp_store"] != "2" {
		t.Fatalf("the writer's temp_store is %s, want 2 (MEMORY)", pragmas["temp_store"])
	}
	var dropped bool
	var loading, building map[string]string
	_, err := db.Seed(ctx, SeedOptions{Users: 300, RecordsPerUser: 10, Seed: 1, Progress: func(stage string, done, total int) {
		switch {
		case stage == "activities" || stage == "records":
			dropped = dropped || len(indexSQL(t, db)) == 0
			if loading == nil {
				loading = writerPragmaValues(t, db)
			}
		case stage == "indexes" && done < total && building == nil:
			building = writerPragmaValues(t, db)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !dropped {
		t.Error("the indexes were kept while the seed wrote")
	}
	if loading["cache_size"] != strconv.Itoa(-seedCacheKiB) || loading["foreign_keys"] != "0" {
		t.Errorf("pragmas while loading without indexes: %v, want a cache of %d KiB and foreign keys off", loading, seedCacheKiB)
	}
	want := map[string]string{"cache_size": strconv.Itoa(-seedCacheKiB), "threads": strconv.Itoa(indexSortThreads),
		"temp_store": "1", "foreign_keys": "0"}
	if !maps.Equal(building, want) {
		t.Errorf("pragmas while building indexes: %v, want %v", building, want)
	}
	if after := writerPragmaValues(t, db); !maps.Equal(after, pragmas) {
		t.Errorf("pragmas after the seed: %v, want them back as they were, %v", after, pragmas)
	}
	if after := indexSQL(t, db); !slices.Equal(before, after) {
		t.Errorf("indexes after the seed:\n%q\nwant\n%q", after, before)
	}
	if n := deferredCount(t, db); n != 0 {
		t.Errorf("%d indexes still listed as deferred", n)
	}
}

// A seed stopped after dropping the indexes leaves them listed; the next
// Open builds them.
func TestSeed_InterruptedIndexesBuiltAtOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lethe.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	before := indexSQL(t, db)
	if ok, err := db.deferIndexes(context.Background()); err != nil || !ok {
		t.Fatalf("deferIndexes = %v, %v", ok, err)
	}
	if got := indexSQL(t, db); len(got) != 0 || deferredCount(t, db) != len(before) {
		t.Fatalf("after deferring: %d indexes, %d listed; want 0 and %d", len(got), deferredCount(t, db), len(before))
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	again, _ := openSeedDB(t, path)
	if after := indexSQL(t, again); !slices.Equal(before, after) {
		t.Errorf("indexes after reopening:\n%q\nwant\n%q", after, before)
	}
	if n := deferredCount(t, again); n != 0 {
		t.Errorf("%d indexes still listed", n)
	}
}

// With data already in the seed's tables (another tenant's), nothing is
// dropped: that tenant's reads need the indexes.
func TestSeed_KeepsIndexesOfFilledDatabase(t *testing.T) {
	db, ctx := openSeedDB(t, filepath.Join(t.TempDir(), "lethe.db"))
	if _, err := db.Seed(ctx, SeedOptions{Users: 10, RecordsPerUser: 2, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	before := indexSQL(t, db)
	if ok, err := db.deferIndexes(context.Background()); err != nil || ok {
		t.Fatalf("deferIndexes on a filled database = %v, %v; want false", ok, err)
	}
	if after := indexSQL(t, db); !slices.Equal(before, after) {
		t.Errorf("indexes changed: %q", after)
	}
}
