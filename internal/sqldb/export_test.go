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
