package sqldb

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lethehq/lethe"
)

// pipeTables makes two tables of a test's own: a parent and a child whose
// rows need it, foreign keys on.
func pipeTables(t *testing.T, db *DB) {
	t.Helper()
	for _, q := range []string{
		`CREATE TABLE pipe_parent (k INTEGER NOT NULL UNIQUE)`,
		`CREATE TABLE pipe_child (k INTEGER NOT NULL, parent INTEGER NOT NULL REFERENCES pipe_parent (k))`,
	} {
		if _, err := db.write.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
}

func mustActor(t *testing.T, ctx context.Context) lethe.Actor {
	t.Helper()
	a, err := lethe.ActorFrom(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func pipeColumn(t *testing.T, db *DB, table string) []int {
	t.Helper()
	return column[int](t, db.write, `SELECT k FROM `+table+` ORDER BY rowid`)
}

// A pipeline writes every row its producer adds, in the order added, a
// parent's rows before the children that need them.
func TestPipeline_WritesInOrder(t *testing.T) {
	db, ctx := openSeedDB(t, filepath.Join(t.TempDir(), "lethe.db"))
	pipeTables(t, db)
	const n = 1234 // not a whole number of statements
	err := db.rawWriteTx(ctx, mustActor(t, ctx), func(tx *Tx) error {
		parent := tx.rows(`INSERT INTO pipe_parent (k) VALUES `, 1)
		child := tx.rows(`INSERT INTO pipe_child (k, parent) VALUES `, 2)
		child.after = parent
		defer closeRows([]*rowWriter{parent, child})
		return pipeline(ctx, []*rowWriter{parent, child}, func(ctx context.Context) error {
			for i := range n {
				if err := parent.add(ctx, i); err != nil {
					return err
				}
				if err := child.add(ctx, i, i); err != nil {
					return err
				}
			}
			return flushRows(ctx, []*rowWriter{parent, child})
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"pipe_parent", "pipe_child"} {
		got := pipeColumn(t, db, table)
		if len(got) != n {
			t.Fatalf("%s: %d rows, want %d", table, len(got), n)
		}
		for i, k := range got {
			if k != i {
				t.Fatalf("%s: row %d is %d, want %d", table, i, k, i)
			}
		}
	}
}

// When an insert fails, the producer stops soon after, the error returned
// is the insert's, and the transaction leaves nothing behind.
func TestPipeline_InsertFails(t *testing.T) {
	db, ctx := openSeedDB(t, filepath.Join(t.TempDir(), "lethe.db"))
	pipeTables(t, db)
	const n = 1_000_000
	added := 0
	var stopped error
	err := db.rawWriteTx(ctx, mustActor(t, ctx), func(tx *Tx) error {
		w := tx.rows(`INSERT INTO pipe_parent (k) VALUES `, 1)
		defer w.close()
		return pipeline(ctx, []*rowWriter{w}, func(ctx context.Context) error {
			for i := range n {
				k := i
				if i == 75 { // in the second statement
					k = 3
				}
				if stopped = w.add(ctx, k); stopped != nil {
					return stopped
				}
				added++
			}
			return w.flush(ctx)
		})
	})
	if err == nil || !strings.Contains(err.Error(), "UNIQUE") {
		t.Fatalf("err = %v, want the UNIQUE constraint's", err)
	}
	if stopped == nil || added > 10*pipelineDepth*50 {
		t.Errorf("the producer added %d of %d rows after the failure (stopped: %v)", added, n, stopped)
	}
	if got := pipeColumn(t, db, "pipe_parent"); len(got) != 0 {
		t.Errorf("%d rows left behind", len(got))
	}
}

// A producer's error is returned, and the transaction leaves nothing.
func TestPipeline_ProducerFails(t *testing.T) {
	db, ctx := openSeedDB(t, filepath.Join(t.TempDir(), "lethe.db"))
	pipeTables(t, db)
	boom := errors.New("boom")
	err := db.rawWriteTx(ctx, mustActor(t, ctx), func(tx *Tx) error {
		w := tx.rows(`INSERT INTO pipe_parent (k) VALUES `, 1)
		defer w.close()
		return pipeline(ctx, []*rowWriter{w}, func(ctx context.Context) error {
			for i := range 120 {
				if err := w.add(ctx, i); err != nil {
					return err
				}
			}
			return boom
		})
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want %v", err, boom)
	}
	if got := pipeColumn(t, db, "pipe_parent"); len(got) != 0 {
		t.Errorf("%d rows left behind", len(got))
	}
}
