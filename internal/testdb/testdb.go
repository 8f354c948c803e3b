// Package testdb runs one test suite on both databases: SQLite always, and
// PostgreSQL when LETHE_TEST_POSTGRES_DSN is set. It is imported by tests only.
//
// A package opts in with
//
//	func TestMain(m *testing.M) { testdb.Main(m) }
//
// which runs the package's tests once per database; DSN then gives each test
// a fresh database of the current kind (a temporary SQLite file, or a new
// PostgreSQL schema dropped when the test ends), so parallel packages and
// repeated runs never collide. In CI (CI=true) a missing or unreachable
// PostgreSQL fails the run: it is never skipped silently.
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the pgx database/sql driver
)

// EnvDSN names the variable that points the suite at a PostgreSQL server.
const EnvDSN = "LETHE_TEST_POSTGRES_DSN"

var current = "sqlite"

// Kind is the database of the current run: "sqlite" or "postgres".
func Kind() string { return current }

// Main runs the tests of a package on SQLite, then on PostgreSQL when
// LETHE_TEST_POSTGRES_DSN is set, and exits.
func Main(m *testing.M) {
	code := m.Run()
	dsn := os.Getenv(EnvDSN)
	switch {
	case dsn == "" && os.Getenv("CI") == "true":
		fmt.Fprintf(os.Stderr, "testdb: CI=true but %s is not set: PostgreSQL must not be skipped in CI\n", EnvDSN)
		code = 1
	case dsn != "":
		if err := ping(dsn); err != nil {
			fmt.Fprintf(os.Stderr, "testdb: PostgreSQL at %s is unreachable: %v\n", EnvDSN, err)
			os.Exit(1)
		}
		fmt.Println("testdb: running the suite again on PostgreSQL")
		current = "postgres"
		if c := m.Run(); c != 0 {
			code = c
		}
		dropDatabase()
	}
	os.Exit(code)
}

// Each test process makes its own PostgreSQL database (and each test its own
// schema in it), so one package's open transactions never keep another
// package's erased rows from being vacuumed.
var (
	dbOnce sync.Once
	dbName string
	dbErr  error
)

func processDatabase() (string, error) {
	dbOnce.Do(func() {
		b := make([]byte, 6)
		rand.Read(b)
		name := "lethe_test_" + hex.EncodeToString(b)
		admin, err := sql.Open("pgx", os.Getenv(EnvDSN))
		if err != nil {
			dbErr = err
			return
		}
		defer admin.Close()
		if _, dbErr = admin.Exec("CREATE DATABASE " + name); dbErr == nil {
			dbName = name
		}
	})
	return dbName, dbErr
}

func dropDatabase() {
	if dbName == "" {
		return
	}
	admin, err := sql.Open("pgx", os.Getenv(EnvDSN))
	if err != nil {
		return
	}
	defer admin.Close()
	if _, err := admin.Exec("DROP DATABASE " + dbName + " WITH (FORCE)"); err != nil {
		fmt.Fprintf(os.Stderr, "testdb: drop database %s: %v\n", dbName, err)
	}
}

// processDSN is the URL of this process's test database.
func processDSN(tb testing.TB) *url.URL {
	tb.Helper()
	name, err := processDatabase()
	if err != nil {
		tb.Fatalf("testdb: create database: %v", err)
	}
	u, err := url.Parse(os.Getenv(EnvDSN))
	if err != nil {
		tb.Fatalf("testdb: %s: %v", EnvDSN, err)
	}
	u.Path = "/" + name
	return u
}

func ping(dsn string) error {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return db.PingContext(ctx)
}

// DSN returns the data source name of a fresh, empty database of the current
// kind, removed when the test ends.
func DSN(tb testing.TB) string {
	tb.Helper()
	if current == "sqlite" {
		return filepath.Join(tb.TempDir(), "lethe.db")
	}
	admin := Admin(tb)
	b := make([]byte, 6)
	rand.Read(b)
	schema := "lethe_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		tb.Fatalf("testdb: create schema: %v", err)
	}
	tb.Cleanup(func() {
		if _, err := admin.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			tb.Errorf("testdb: drop schema: %v", err)
		}
	})
	u := processDSN(tb)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Schema returns the PostgreSQL schema a DSN from DSN points at.
func Schema(tb testing.TB, dsn string) string {
	tb.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		tb.Fatal(err)
	}
	return u.Query().Get("search_path")
}

// Admin returns a connection to this process's PostgreSQL test database
// outside any test schema, closed when the test ends.
func Admin(tb testing.TB) *sql.DB {
	tb.Helper()
	db, err := sql.Open("pgx", processDSN(tb).String())
	if err != nil {
		tb.Fatalf("testdb: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}
