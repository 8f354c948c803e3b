package sqldb

import (
	"testing"

	"github.com/lethehq/lethe"
)

// SetFailpoint makes every statement that a write transaction executes ask
// f first; an error from f fails that statement (nil f removes the hook).
func (db *DB) SetFailpoint(f func(query string) error) {
	if f == nil {
		db.failpoint.Store(nil)
		return
	}
	db.failpoint.Store(&f)
}

// CursorHits is how many user pages were read from where the previous page
// ended (cursor.go).
func (db *DB) CursorHits() int {
	db.cursors.mu.Lock()
	defer db.cursors.mu.Unlock()
	return db.cursors.hits
}

// Conflicts is how many write transactions PostgreSQL aborted for a
// deadlock or a serialization failure, each run again (rawWriteTx).
func (db *DB) Conflicts() int64 { return db.conflicts.Load() }

// ActivityKey is what activities.client_id holds for a sender's id in
// tenant (activityKey).
func (db *DB) ActivityKey(tenant lethe.TenantID, clientID string) string {
	tx := &Tx{db: db, actor: lethe.Actor{TenantID: tenant}}
	return tx.activityKey(clientID)
}

// StoredActivityKey is the client_id stored for the activity with id.
func (db *DB) StoredActivityKey(t testing.TB, tenant lethe.TenantID, id string) string {
	t.Helper()
	var key string
	if err := db.read.QueryRow(`SELECT client_id FROM activities WHERE tenant_id = $1 AND id = $2`, string(tenant), id).Scan(&key); err != nil {
		t.Fatal(err)
	}
	return key
}
