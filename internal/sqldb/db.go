package sqldb

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/lethehq/lethe"
)

// DB is a Lethe database: a write pool and a read pool over one database.
type DB struct {
	write   *sql.DB
	read    *sql.DB
	dialect dialect
	secret  []byte

	// Now is the clock. Tests replace it; it is read once per transaction.
	Now func() time.Time

	checkpoint chan struct{}
	stop       chan struct{}
	wg         sync.WaitGroup
}

// Open opens the database named by dsn (a SQLite file path), applies pending
// migrations and loads the server secret.
func Open(ctx context.Context, dsn string) (*DB, error) {
	d, err := dialectFor(dsn)
	if err != nil {
		return nil, err
	}
	wdsn, rdsn, err := sqliteDSNs(dsn)
	if err != nil {
		return nil, err
	}
	db := &DB{dialect: d, Now: time.Now, checkpoint: make(chan struct{}, 1), stop: make(chan struct{})}
	if db.write, err = sql.Open(d.driver, wdsn); err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	db.write.SetMaxOpenConns(d.writeConns)
	if db.read, err = sql.Open(d.driver, rdsn); err != nil {
		db.write.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	db.read.SetMaxOpenConns(d.readConns)
	db.read.SetMaxIdleConns(d.readConns)
	if err := db.migrate(ctx); err != nil {
		db.closePools()
		return nil, err
	}
	if err := db.loadSecret(ctx); err != nil {
		db.closePools()
		return nil, err
	}
	db.wg.Add(1)
	go db.checkpointLoop()
	return db, nil
}

// Close waits for background work, checkpoints the WAL and closes the pools.
func (db *DB) Close() error {
	close(db.stop)
	db.wg.Wait()
	_, _ = db.write.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	return db.closePools()
}

func (db *DB) closePools() error {
	return errors.Join(db.read.Close(), db.write.Close())
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.read.PingContext(ctx) }

// loadSecret reads the server's HMAC key, creating it on first use. It keys
// the hashes of API keys and of provisioning event bodies.
func (db *DB) loadSecret(ctx context.Context) error {
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return err
	}
	if _, err := db.write.ExecContext(ctx,
		`INSERT INTO server_secrets (name, value) VALUES ('hmac', $1) ON CONFLICT (name) DO NOTHING`, fresh); err != nil {
		return fmt.Errorf("store server secret: %w", err)
	}
	if err := db.write.QueryRowContext(ctx, `SELECT value FROM server_secrets WHERE name = 'hmac'`).Scan(&db.secret); err != nil {
		return fmt.Errorf("load server secret: %w", err)
	}
	return nil
}

// keyedHash is HMAC-SHA256 under the server secret, with a purpose label so
// hashes made for one purpose never match another.
func (db *DB) keyedHash(purpose string, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, db.secret)
	m.Write([]byte(purpose))
	for _, p := range parts {
		m.Write([]byte{0})
		m.Write(p)
	}
	return m.Sum(nil)
}

// Tx is a write transaction with the time it started.
type Tx struct {
	*sql.Tx
	db    *DB
	now   time.Time
	actor lethe.Actor
	// erased is set when the transaction erased personal data, so the WAL is
	// checkpointed after commit.
	erased bool
}

// writeTx runs fn in a write transaction scoped to the actor of ctx, and
// commits when fn returns nil.
func (db *DB) writeTx(ctx context.Context, fn func(tx *Tx) error) error {
	actor, err := lethe.ActorFrom(ctx)
	if err != nil {
		return err
	}
	return db.rawWriteTx(ctx, actor, fn)
}

func (db *DB) rawWriteTx(ctx context.Context, actor lethe.Actor, fn func(tx *Tx) error) error {
	stx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	tx := &Tx{Tx: stx, db: db, now: db.Now().UTC().Truncate(time.Millisecond), actor: actor}
	if err := fn(tx); err != nil {
		_ = stx.Rollback()
		return err
	}
	if err := stx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	if tx.erased {
		db.scheduleCheckpoint()
	}
	return nil
}

// readTx runs fn in a read-only transaction, so counts and pages agree.
func (db *DB) readTx(ctx context.Context, fn func(tx *Tx) error) error {
	actor, err := lethe.ActorFrom(ctx)
	if err != nil {
		return err
	}
	stx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer stx.Rollback()
	return fn(&Tx{Tx: stx, db: db, now: db.Now().UTC().Truncate(time.Millisecond), actor: actor})
}

func (db *DB) scheduleCheckpoint() {
	select {
	case db.checkpoint <- struct{}{}:
	default:
	}
}

// checkpointLoop copies the WAL back into the database file after erasures,
// so erased rows do not linger in the log. Requests do not wait for it.
func (db *DB) checkpointLoop() {
	defer db.wg.Done()
	for {
		select {
		case <-db.stop:
			return
		case <-db.checkpoint:
			_, _ = db.write.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
		}
	}
}

// Checkpoint forces a WAL checkpoint now.
func (db *DB) Checkpoint(ctx context.Context) error {
	_, err := db.write.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	return err
}

// Time helpers: every time is stored as UTC Unix milliseconds.

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

func nullMS(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMilli()
}

func timePtr(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMS(v.Int64)
	return &t
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}
