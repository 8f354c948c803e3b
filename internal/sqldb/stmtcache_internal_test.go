package sqldb

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func openCachingPool(t *testing.T) *sql.DB {
	t.Helper()
	db := sql.OpenDB(stmtCachingConnector{dsn: "file:" + filepath.Join(t.TempDir(), "t.db"), drv: sqliteDriver})
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2), (3)`); err != nil {
		t.Fatal(err)
	}
	return db
}

// keptStatements is the texts the pool's one connection keeps.
func keptStatements(t *testing.T, db *sql.DB) []string {
	t.Helper()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var texts []string
	if err := conn.Raw(func(dc any) error {
		c := dc.(*stmtCachingConn)
		c.mu.Lock()
		defer c.mu.Unlock()
		for q := range c.stmts {
			texts = append(texts, q)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(texts)
	return texts
}

func TestStmtCache(t *testing.T) {
	const q = `SELECT x FROM t WHERE x >= $1 ORDER BY x`
	t.Run("OKKeptAcrossTransactions", func(t *testing.T) {
		db := openCachingPool(t)
		for range 3 {
			tx, err := db.Begin()
			if err != nil {
				t.Fatal(err)
			}
			if got := column[int](t, tx, q, 2); !slices.Equal(got, []int{2, 3}) {
				t.Fatalf("got %v", got)
			}
			tx.Rollback()
		}
		if got := keptStatements(t, db); !slices.Equal(got, []string{q}) {
			t.Fatalf("kept %q, want the one query", got)
		}
	})
	t.Run("OKSameTextWhileOpen", func(t *testing.T) {
		// A second use of a statement whose rows are still open must not
		// reset the first.
		db := openCachingPool(t)
		tx, err := db.Begin()
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		rows, err := tx.Query(q, 1)
		if err != nil {
			t.Fatal(err)
		}
		var outer []int
		for rows.Next() {
			var x int
			if err := rows.Scan(&x); err != nil {
				t.Fatal(err)
			}
			outer = append(outer, x)
			if got := column[int](t, tx, q, x); len(got) != 4-x {
				t.Fatalf("inner query from %d: %v", x, got)
			}
		}
		rows.Close()
		if !slices.Equal(outer, []int{1, 2, 3}) {
			t.Fatalf("outer query: %v", outer)
		}
	})
	t.Run("OKManyParametersNotKept", func(t *testing.T) {
		db := openCachingPool(t)
		marks := make([]string, cachedStmtMaxParams+1)
		args := make([]any, len(marks))
		for i := range marks {
			marks[i], args[i] = "?", i
		}
		long := `SELECT x FROM t WHERE x IN (` + strings.Join(marks, ", ") + `) ORDER BY x`
		if got := column[int](t, db, long, args...); !slices.Equal(got, []int{1, 2, 3}) {
			t.Fatalf("got %v", got)
		}
		if got := keptStatements(t, db); len(got) != 0 {
			t.Fatalf("kept %q", got)
		}
	})
	t.Run("ErrBadStatementNotKept", func(t *testing.T) {
		db := openCachingPool(t)
		if _, err := db.Query(`SELECT nope FROM t`); err == nil {
			t.Fatal("a query of a missing column ran")
		}
		if got := keptStatements(t, db); len(got) != 0 {
			t.Fatalf("kept %q", got)
		}
	})
}
