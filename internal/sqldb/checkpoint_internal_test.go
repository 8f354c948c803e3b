package sqldb

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lethehq/lethe"
)

// TestCheckpointLoop: the writer does not copy the WAL back itself
// (wal_autocheckpoint 0); the checkpoint connection does, soon after a
// commit, while the database stays open.
func TestCheckpointLoop(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lethe.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var auto int
	if err := db.write.QueryRow(`PRAGMA wal_autocheckpoint`).Scan(&auto); err != nil || auto != 0 {
		t.Fatalf("writer's wal_autocheckpoint = %d, %v; want 0", auto, err)
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
