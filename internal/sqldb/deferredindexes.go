package sqldb

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// learnerTables are the tables of learners' data, whose indexes a load may
// defer: every row of them hangs off a learner.
var learnerTables = []string{"learners", "people", "status_history", "audience_members", "learner_keys", "enrolments",
	"enrolment_history", "completions", "cpd_entries", "activities"}

// deferIndexes drops the secondary indexes of learnerTables when the
// dialect defers indexes and every one of those tables is empty (no tenant
// has data yet), and lists them in deferred_indexes, in one transaction; it
// reports whether it did. Building an index once at the end, from a sort,
// costs less than keeping it up to date entry by entry (timings in
// docs/adr/0013). A load that does not reach Loader.Finish leaves them
// listed, and Open builds them (buildDeferredIndexes).
func (db *DB) deferIndexes(ctx context.Context) (bool, error) {
	if !db.dialect.defersIndexes {
		return false, nil
	}
	// No tenant with a learner means the tables are empty.
	tenants, err := NewTenantService(db).FindTenants(ctx)
	if err != nil {
		return false, fmt.Errorf("defer indexes: %w", err)
	}
	for _, t := range tenants {
		var filled int
		if err := db.write.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM learners WHERE tenant_id = $1 LIMIT 1) x`,
			string(t.ID)).Scan(&filled); err != nil {
			return false, fmt.Errorf("defer indexes: %w", err)
		}
		if filled > 0 {
			return false, nil // another tenant's data: its reads keep their indexes
		}
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("defer indexes: %w", err)
	}
	defer tx.Rollback()
	marks := make([]string, len(learnerTables))
	args := make([]any, len(learnerTables))
	for i, t := range learnerTables {
		marks[i], args[i] = "$"+strconv.Itoa(i+1), t
	}
	indexes, err := queryAll(ctx, tx, scanIndex, `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
		AND tbl_name IN (`+strings.Join(marks, ", ")+`) ORDER BY name`, args...)
	if err != nil {
		return false, fmt.Errorf("defer indexes: %w", err)
	}
	for _, ix := range indexes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO deferred_indexes (name, sql) VALUES ($1, $2)`, ix.name, ix.sql); err != nil {
			return false, fmt.Errorf("defer index %s: %w", ix.name, err)
		}
		if _, err := tx.ExecContext(ctx, `DROP INDEX `+ix.name); err != nil {
			return false, fmt.Errorf("defer index %s: %w", ix.name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("defer indexes: %w", err)
	}
	return len(indexes) > 0, nil
}

// namedIndex is an index by name, with the SQL that creates it.
type namedIndex struct{ name, sql string }

func scanIndex(r rowScanner) (ix namedIndex, err error) {
	err = r.Scan(&ix.name, &ix.sql)
	return ix, err
}

// Index builds sort with a small page cache, helper threads and sort files
// on disk. SQLite's sorter writes a sorted run whenever its buffer (the
// page cache's size) fills, and with threads sorts and merges the runs on
// several cores; it uses no threads while temporary files are kept in
// memory, which the write connection otherwise asks for (temp_store, so
// that no file ever holds a copy of a person's row). The indexes deferred
// hold only the load's rows: deferIndexes defers none when any
// tenant has a learner, and Open builds the rest before anything else
// writes (timings in docs/adr/0014).
//
// The page cache is loadCacheKiB for the index builds and for a load
// without indexes, which only appends; a load that keeps the indexes up
// gets indexedLoadCacheKiB (bulkLoadMode).
const (
	loadCacheKiB        = 64 << 10
	indexedLoadCacheKiB = 1 << 20
	indexSortThreads    = 4
)

// buildDeferredIndexes builds the indexes listed in deferred_indexes, each
// in a transaction that also strikes it off the list, and tells progress
// (when set) before the first and after each.
func (db *DB) buildDeferredIndexes(ctx context.Context, progress func(done, total int)) (err error) {
	if !db.dialect.defersIndexes {
		return nil
	}
	indexes, err := queryAll(ctx, db.write, scanIndex, `SELECT name, sql FROM deferred_indexes ORDER BY name`)
	if err != nil {
		return fmt.Errorf("find deferred indexes: %w", err)
	}
	if len(indexes) == 0 {
		return nil
	}
	restore, err := db.writerPragmas(ctx, "cache_size", strconv.Itoa(-loadCacheKiB), "threads", strconv.Itoa(indexSortThreads),
		"temp_store", "FILE")
	if err != nil {
		return fmt.Errorf("build deferred indexes: %w", err)
	}
	defer func() { // a writer left with sort files on disk would sort people's rows there
		if rerr := restore(); rerr != nil && err == nil {
			err = fmt.Errorf("build deferred indexes: %w", rerr)
		}
	}()
	if progress == nil {
		progress = func(int, int) {}
	}
	progress(0, len(indexes))
	for i, ix := range indexes {
		err := func() error {
			tx, err := db.write.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			defer tx.Rollback()
			if _, err := tx.ExecContext(ctx, strings.Replace(ix.sql, "INDEX ", "INDEX IF NOT EXISTS ", 1)); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM deferred_indexes WHERE name = $1`, ix.name); err != nil {
				return err
			}
			return tx.Commit()
		}()
		if err != nil {
			return fmt.Errorf("build index %s: %w", ix.name, err)
		}
		progress(i+1, len(indexes))
	}
	return nil
}

// bulkLoadMode readies the SQLite write connection for a load and returns
// what puts it back: foreign keys off (a load writes consistent rows; each
// check is one more lookup), and a page cache of 1 GiB while the load keeps
// the indexes up (they do not fit the writer's 32 MiB, and a miss costs a
// read). A load whose indexes are deferred only appends, to its tables and
// their primary keys; loadCacheKiB serves it as fast with a third of the
// peak RSS (docs/adr/0014).
func (db *DB) bulkLoadMode(ctx context.Context, indexesDeferred bool) (restore func() error, err error) {
	if !db.dialect.tunesLoads {
		return func() error { return nil }, nil
	}
	cache := indexedLoadCacheKiB
	if indexesDeferred {
		cache = loadCacheKiB
	}
	return db.writerPragmas(ctx, "cache_size", strconv.Itoa(-cache), "foreign_keys", "0")
}

// writerPragmas sets pragmas (name, value, name, value, …) on the SQLite
// write connection and returns what sets them back to what they were, and
// reports the first that it could not.
func (db *DB) writerPragmas(ctx context.Context, nameValues ...string) (restore func() error, err error) {
	var was []string
	restore = func() error {
		var first error
		for i := 0; i < len(was); i += 2 {
			if _, err := db.write.ExecContext(context.Background(), `PRAGMA `+was[i]+` = `+was[i+1]); err != nil && first == nil {
				first = fmt.Errorf("set pragma %s back: %w", was[i], err)
			}
		}
		return first
	}
	for i := 0; i+1 < len(nameValues); i += 2 {
		name, value := nameValues[i], nameValues[i+1]
		var old string
		if err := db.write.QueryRowContext(ctx, `PRAGMA `+name).Scan(&old); err != nil {
			return nil, errors.Join(fmt.Errorf("read pragma %s: %w", name, err), restore())
		}
		if _, err := db.write.ExecContext(ctx, `PRAGMA `+name+` = `+value); err != nil {
			return nil, errors.Join(fmt.Errorf("pragma %s = %s: %w", name, value, err), restore())
		}
		was = append(was, name, old)
	}
	return restore, nil
}
