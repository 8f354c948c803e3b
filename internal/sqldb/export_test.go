package sqldb

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
