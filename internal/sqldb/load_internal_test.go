package sqldb

import (
	"context"
	"errors"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

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

// loadLearners loads n learners of the actor's tenant through a loader.
func loadLearners(ctx context.Context, load *Loader, n int) error {
	actor, _ := lethe.ActorFrom(ctx)
	tenant := string(actor.TenantID)
	return load.Tx(ctx, func(ctx context.Context, tx *LoadTx) error {
		learners := tx.Table("learners", "tenant_id", "id", "state", "role", "login_method", "sso", "end_date",
			"first_login_at", "last_login_at", "created_at", "updated_at", "deleted_at")
		for i := range n {
			id := lethe.NewID(time.UnixMilli(int64(i)))
			if err := learners.Add(ctx, tenant, id, "active", "learner", "email", false, nil, nil, nil, i, i, nil); err != nil {
				return err
			}
		}
		return nil
	})
}

// A load of an empty SQLite database that defers indexes drops the indexes
// of the learners' tables and builds them at Finish: the schema ends as it
// began, and the write connection's pragmas are set back.
func TestLoad_DefersIndexes(t *testing.T) {
	db, ctx := openSeedDB(t, filepath.Join(t.TempDir(), "lethe.db"))
	before := indexSQL(t, db)
	if len(before) < 10 {
		t.Fatalf("only %d indexes on the seed's tables", len(before))
	}
	pragmas := writerPragmaValues(t, db)
	if pragmas["temp_store"] != "2" {
		t.Fatalf("the writer's temp_store is %s, want 2 (MEMORY)", pragmas["temp_store"])
	}
	load, err := db.BeginLoad(ctx, LoadOptions{EmptyTenant: true, DeferIndexes: true})
	if err != nil {
		t.Fatal(err)
	}
	defer load.Close()
	if err := loadLearners(ctx, load, 300); err != nil {
		t.Fatal(err)
	}
	dropped := len(indexSQL(t, db)) == 0
	loading := writerPragmaValues(t, db)
	var building map[string]string
	if err := load.Finish(ctx, func(done, total int) {
		if done < total && building == nil {
			building = writerPragmaValues(t, db)
		}
	}); err != nil {
		t.Fatal(err)
	}
	if err := load.Close(); err != nil {
		t.Fatal(err)
	}
	if !dropped {
		t.Error("the indexes were kept while the load wrote")
	}
	if loading["cache_size"] != strconv.Itoa(-loadCacheKiB) || loading["foreign_keys"] != "0" {
		t.Errorf("pragmas while loading without indexes: %v, want a cache of %d KiB and foreign keys off", loading, loadCacheKiB)
	}
	want := map[string]string{"cache_size": strconv.Itoa(-loadCacheKiB), "threads": strconv.Itoa(indexSortThreads),
		"temp_store": "1", "foreign_keys": "0"}
	if !maps.Equal(building, want) {
		t.Errorf("pragmas while building indexes: %v, want %v", building, want)
	}
	if after := writerPragmaValues(t, db); !maps.Equal(after, pragmas) {
		t.Errorf("pragmas after the load: %v, want them back as they were, %v", after, pragmas)
	}
	if after := indexSQL(t, db); !slices.Equal(before, after) {
		t.Errorf("indexes after the load:\n%q\nwant\n%q", after, before)
	}
	if n := deferredCount(t, db); n != 0 {
		t.Errorf("%d indexes still listed as deferred", n)
	}
	if _, err := db.BeginLoad(ctx, LoadOptions{EmptyTenant: true}); !errors.Is(err, ErrTenantNotEmpty) {
		t.Errorf("a second load of the tenant: %v, want ErrTenantNotEmpty", err)
	}
}

// A load stopped after dropping the indexes leaves them listed; the next
// Open builds them.
func TestLoad_InterruptedIndexesBuiltAtOpen(t *testing.T) {
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
func TestLoad_KeepsIndexesOfFilledDatabase(t *testing.T) {
	db, ctx := openSeedDB(t, filepath.Join(t.TempDir(), "lethe.db"))
	load, err := db.BeginLoad(ctx, LoadOptions{DeferIndexes: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(loadLearners(ctx, load, 10), load.Finish(ctx, nil), load.Close()); err != nil {
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
