package sqldb

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// dialect holds everything that differs between the databases Lethe runs on.
type dialect struct {
	name       string // the migrations folder
	driver     string // database/sql driver name
	readConns  int
	writeConns int
	// isUniqueViolation reports whether err is a unique-constraint violation.
	isUniqueViolation func(err error) bool
	// isBusy reports whether err is a lock time-out worth retrying.
	isBusy func(err error) bool
}

var sqliteDialect = dialect{
	name:       "sqlite",
	driver:     "sqlite",
	readConns:  max(4, runtime.NumCPU()),
	writeConns: 1, // SQLite has one writer; a single connection queues writes in Go, not in busy loops
	isUniqueViolation: func(err error) bool {
		var e *sqlite.Error
		if !errors.As(err, &e) {
			return false
		}
		return e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	},
	isBusy: func(err error) bool {
		var e *sqlite.Error
		return errors.As(err, &e) && (e.Code()&0xff == sqlite3.SQLITE_BUSY || e.Code()&0xff == sqlite3.SQLITE_LOCKED)
	},
}

// sqliteDSNs returns the write and read data source names for a database file.
// The folder is created when missing.
//
// WAL lets readers run beside the writer; immediate write transactions take
// the write lock up front so they never fail half-way on a lock upgrade;
// secure_delete overwrites deleted content so erased personal data does not
// linger in free pages.
func sqliteDSNs(path string) (write, read string, err error) {
	path = strings.TrimPrefix(path, "sqlite://")
	path = strings.TrimPrefix(path, "file:")
	if path == "" {
		return "", "", fmt.Errorf("empty SQLite path")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", "", fmt.Errorf("create database folder: %w", err)
		}
	}
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "foreign_keys(1)", "secure_delete(1)", "synchronous(NORMAL)"} {
		q.Add("_pragma", p)
	}
	base := "file:" + path + "?" + q.Encode()
	return base + "&_txlock=immediate", base + "&_pragma=query_only(1)", nil
}

// dialectFor picks the dialect of a --db value.
func dialectFor(dsn string) (dialect, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return dialect{}, fmt.Errorf("PostgreSQL is not supported by this build yet; use a SQLite file path")
	}
	return sqliteDialect, nil
}
