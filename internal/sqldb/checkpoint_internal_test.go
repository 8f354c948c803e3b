package sqldb

import (
	"bytes"
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lethehq/lethe"
)

// TestCheckpointLoop: a commit reaches the database file soon, while the
// database is open and the WAL is far below the writer's own checkpoint
// size: the checkpoint connection copied it back.
func TestCheckpointLoop(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lethe.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var auto int
	if err := db.write.QueryRow(`PRAGMA wal_autocheckpoint`).Scan(&auto); err != nil || auto != writerCheckpointPages {
		t.Fatalf("writer's wal_autocheckpoint = %d, %v; want %d", auto, err, writerCheckpointPages)
	}
	if _, _, err := NewTenantService(db).CreateTenant(context.Background(), "ck", "Checkpoints"); err != nil {
		t.Fatal(err)
	}
	canary := []byte("checkpoint-canary-5b1f0e")
	err = db.rawWriteTx(context.Background(), lethe.Actor{TenantID: "ck"}, func(tx *Tx) error {
		_, err := tx.ExecContext(context.Background(), `UPDATE tenants SET name = $1 WHERE id = 'ck'`, string(canary))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second) // well before the loop's backstop (checkpointIdle)
	for {
		file, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(file, canary) {
			return // copied back into the database file
		}
		if time.Now().After(deadline) {
			t.Fatal("the commit is still only in the WAL after 2 s: nothing checkpointed it")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestCheckpoint_WALBounded: write transactions back to back, with no
// pause in which a checkpoint beside the writer could let the WAL start
// over, leave a WAL of about the writer's checkpoint size, not of
// everything written.
func TestCheckpoint_WALBounded(t *testing.T) {
	defer func(n int) { writerCheckpointPages = n }(writerCheckpointPages)
	writerCheckpointPages = 200 // 800 KiB of 4 KiB pages
	path := filepath.Join(t.TempDir(), "lethe.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.write.Exec(`CREATE TABLE scratch (x BLOB)`); err != nil {
		t.Fatal(err)
	}
	blob := make([]byte, 1000)
	rand.Read(blob)
	const txs, rows = 400, 50 // 20 MB in all
	var largest int64
	for range txs {
		err := db.rawWriteTx(context.Background(), lethe.Actor{TenantID: "ck"}, func(tx *Tx) error {
			for range rows {
				if _, err := tx.ExecContext(context.Background(), `INSERT INTO scratch (x) VALUES ($1)`, blob); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(path + "-wal"); err == nil {
			largest = max(largest, fi.Size())
		}
	}
	// With the writer's checkpoint off the WAL reaches 26 MB. With it on,
	// the WAL starts over whenever a transaction begins with all of it
	// copied back, which the checkpoint beside the writer can delay: 0.9–
	// 2.2 MB with the cores busy, 8.4 MB once during the whole suite.
	if limit := int64(13 << 20); largest > limit {
		t.Fatalf("the WAL grew to %d bytes while 20 MB were written (limit %d): nothing started it over", largest, limit)
	}
	t.Logf("largest WAL: %d bytes", largest)
}
