package sqldb

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lethehq/lethe"
)

// DB is a Lethe database: a write pool and a read pool over one database
// (one pool serves both on PostgreSQL).
type DB struct {
	write     *sql.DB
	read      *sql.DB
	closePool func()
	dialect   dialect
	secret    []byte
	// signingKey signs erasure receipts (see SigningKey).
	signingKey ed25519.PrivateKey

	// Now is the clock. Tests replace it; it is read once per transaction.
	Now func() time.Time
	// ObserveWrite, when set (by benchmarks, before use), is told how long
	// each committed write transaction ran, from begin to commit: how long
	// it held SQLite's write lock.
	ObserveWrite func(time.Duration)
	// EventsEmitted, when set (before use), is called after each commit
	// that wrote events or queued deliveries: the delivery engine wakes up.
	EventsEmitted func()
	// AllowPrivateWebhooks lets subscriptions name http URLs and private
	// addresses (serve --webhooks-allow-private).
	AllowPrivateWebhooks bool

	scrubSoon chan struct{}
	// checkpointer (SQLite) copies the WAL back after commits, told by
	// checkpointSoon (see checkpointLoop).
	checkpointer   *sql.DB
	checkpointSoon chan struct{}
	logger         *slog.Logger
	// cursors keeps where pages of user listings ended (cursor.go).
	cursors *pageCursors
	// tenants keeps the tenant rows Authenticate read (tenant.go).
	tenants tenantCache
	// conflicts counts write transactions PostgreSQL aborted for a deadlock
	// or a serialization failure (see rawWriteTx).
	conflicts atomic.Int64
	// failpoint, set by tests only (export_test.go), is asked before every
	// statement a write transaction executes and fails it when it returns
	// an error: a crash at that step, rolled back as a crash would be.
	failpoint atomic.Pointer[func(query string) error]
	stop      chan struct{}
	wg        sync.WaitGroup
}

// Open opens the database named by dsn (a postgres:// URL or a SQLite file
// path), applies pending migrations and loads the server secret.
func Open(ctx context.Context, dsn string, opts ...Option) (*DB, error) {
	o := options{maxConns: 10, logger: slog.New(slog.DiscardHandler)}
	for _, opt := range opts {
		opt(&o)
	}
	d := dialectFor(dsn)
	db := &DB{dialect: d, Now: time.Now, scrubSoon: make(chan struct{}, 1), checkpointSoon: make(chan struct{}, 1), cursors: newPageCursors(), stop: make(chan struct{}), logger: o.logger,
		signingKey: o.signingKey}
	p, err := d.open(ctx, dsn, o)
	if err != nil {
		return nil, err
	}
	db.write, db.read, db.checkpointer, db.closePool = p.write, p.read, p.checkpoint, p.close
	if err := db.migrate(ctx); err != nil {
		db.closePools()
		return nil, err
	}
	if err := db.loadSecret(ctx); err != nil {
		db.closePools()
		return nil, err
	}
	if err := db.buildDeferredIndexes(ctx, nil); err != nil { // a seed stopped before its end
		db.closePools()
		return nil, err
	}
	if err := db.normalizeStoredEmails(ctx); err != nil {
		db.closePools()
		return nil, err
	}
	db.wg.Add(1)
	go db.scrubLoop()
	if db.checkpointer != nil {
		db.wg.Add(1)
		go db.checkpointLoop()
	}
	return db, nil
}

// Dialect names the database: "sqlite" or "postgres".
func (db *DB) Dialect() string { return db.dialect.name }

// Close waits for background work, scrubs erased rows once more and closes
// the pools.
func (db *DB) Close() error {
	close(db.stop)
	db.wg.Wait()
	_ = db.Scrub(context.Background())
	return db.closePools()
}

func (db *DB) closePools() error {
	err := db.read.Close()
	if db.write != db.read {
		err = errors.Join(err, db.write.Close())
	}
	if db.checkpointer != nil {
		err = errors.Join(err, db.checkpointer.Close())
	}
	db.closePool()
	return err
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
	if db.signingKey != nil {
		return nil // given by the operator
	}
	// The receipt signing key lives with the data, so every process serving
	// this database signs with the same key.
	seed := make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(seed); err != nil {
		return err
	}
	if _, err := db.write.ExecContext(ctx,
		`INSERT INTO server_secrets (name, value) VALUES ('receipt-signing-key', $1) ON CONFLICT (name) DO NOTHING`, seed); err != nil {
		return fmt.Errorf("store signing key: %w", err)
	}
	if err := db.write.QueryRowContext(ctx, `SELECT value FROM server_secrets WHERE name = 'receipt-signing-key'`).Scan(&seed); err != nil {
		return fmt.Errorf("load signing key: %w", err)
	}
	if len(seed) != ed25519.SeedSize {
		return fmt.Errorf("load signing key: stored key has %d bytes, want %d", len(seed), ed25519.SeedSize)
	}
	db.signingKey = ed25519.NewKeyFromSeed(seed)
	return nil
}

// SigningKey is the Ed25519 key that signs erasure receipts: the one given
// to Open (WithSigningKey), or else one generated on first start and kept
// in the database.
func (db *DB) SigningKey() ed25519.PrivateKey { return db.signingKey }

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
	// write is set in write transactions: rows read to be changed are locked.
	write bool
	// erased is set when the transaction erased personal data, so erased rows
	// are scrubbed after commit.
	erased bool
	// counted is the count key of every learner this transaction has read
	// or written (see recordCount).
	counted map[lethe.LearnerID]countKey
	// stmts are the statements prepared by stmt, by text.
	stmts map[string]*sql.Stmt
	// trailHead and tenantSettings are read once per transaction (see
	// audit and settings); a rollback to a savepoint forgets the head.
	trailHead      *trailHead
	tenantSettings *lethe.Settings
	// events are the events collected by emit, written by flushEvents
	// before the commit (and at an erasure, for its receipt): the first
	// eventsWritten are written. emitted counts the events it wrote.
	events        []pendingEvent
	eventsWritten int
	emitted       int
	// subs are the tenant's enabled subscriptions (see subscriptions).
	subs *[]*lethe.Subscription
}

// ExecContext executes a statement of the transaction.
func (tx *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := tx.failpoint(query); err != nil {
		return nil, err
	}
	if st := tx.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return tx.Tx.ExecContext(ctx, query, args...)
}

// failpoint is the error a test injects into the write query, if any.
func (tx *Tx) failpoint(query string) error {
	if f := tx.db.failpoint.Load(); f != nil {
		return (*f)(query)
	}
	return nil
}

// QueryContext runs a query of the transaction.
func (tx *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := tx.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return tx.Tx.QueryContext(ctx, query, args...)
}

// QueryRowContext runs a query of the transaction that returns one row.
func (tx *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := tx.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return tx.Tx.QueryRowContext(ctx, query, args...)
}

// stmt returns the statement of query prepared once per transaction, on
// SQLite, which spends longer parsing a statement than running most of
// them: a transaction that acts on many users (a bulk chunk, a job) runs
// each statement many times. nil means run it unprepared: PostgreSQL's
// driver keeps its own statement cache, and statements naming many
// parameters (IN lists of varying length) are not worth keeping.
func (tx *Tx) stmt(ctx context.Context, query string) *sql.Stmt {
	if !tx.db.dialect.cachesTxStmts || strings.Count(query, "$") > 40 {
		return nil
	}
	if st := tx.stmts[query]; st != nil {
		return st
	}
	st, err := tx.Tx.PrepareContext(ctx, query)
	if err != nil {
		return nil // running it unprepared reports the error
	}
	if tx.stmts == nil {
		tx.stmts = map[string]*sql.Stmt{}
	}
	tx.stmts[query] = st
	return st
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

// racedError is a write that lost a race: a concurrent transaction committed
// the key (a ref, an email, a provisioning event id) that this transaction's
// own checks had found free. Only PostgreSQL has concurrent writers; SQLite
// serialises its write transactions.
type racedError struct {
	err error // the answer when the second attempt loses a race too
}

func (e *racedError) Error() string { return "lost a race: " + e.err.Error() }
func (e *racedError) Unwrap() error { return e.err }

// rawWriteTx runs fn in a write transaction. A transaction that lost a race
// runs once more: its checks then see the other transaction's row and answer
// as after a sequential request (ref taken, event replayed), on both
// databases alike.
//
// On PostgreSQL, a transaction the database aborted because it deadlocked
// with concurrent ones (bulk calls erasing users who share audiences and
// counts) is rolled back whole, so it runs again, up to conflictAttempts
// times with a short random pause; if it still conflicts the client is told
// to retry (503), as for any transient failure.
func (db *DB) rawWriteTx(ctx context.Context, actor lethe.Actor, fn func(tx *Tx) error) error {
	err := db.writeTxOnce(ctx, actor, fn)
	for attempt := 1; db.dialect.isConflict != nil && db.dialect.isConflict(err); attempt++ {
		db.conflicts.Add(1)
		if attempt == conflictAttempts {
			db.logger.Warn("write transaction conflicted with concurrent ones", "attempts", attempt)
			return errUnavailable
		}
		select {
		case <-time.After(time.Duration(1+mrand.IntN(20*attempt)) * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
		err = db.writeTxOnce(ctx, actor, fn)
	}
	var raced *racedError
	if errors.As(err, &raced) {
		err = db.writeTxOnce(ctx, actor, fn)
		for errors.As(err, &raced) {
			err = raced.err
		}
	}
	return err
}

// conflictAttempts is how many times a write transaction runs when the
// database keeps aborting it for conflicts.
const conflictAttempts = 5

func (db *DB) writeTxOnce(ctx context.Context, actor lethe.Actor, fn func(tx *Tx) error) error {
	start := time.Now()
	stx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return db.classify(fmt.Errorf("begin: %w", err))
	}
	tx := &Tx{Tx: stx, db: db, now: db.Now().UTC().Truncate(time.Millisecond), actor: actor, write: true,
		counted: map[lethe.LearnerID]countKey{}}
	if err := fn(tx); err != nil {
		_ = stx.Rollback()
		return db.classify(err)
	}
	if err := tx.flushEvents(ctx); err != nil {
		_ = stx.Rollback()
		return db.classify(err)
	}
	if err := stx.Commit(); err != nil {
		return db.classify(fmt.Errorf("commit: %w", err))
	}
	if db.ObserveWrite != nil {
		db.ObserveWrite(time.Since(start))
	}
	if db.checkpointer != nil {
		select {
		case db.checkpointSoon <- struct{}{}:
		default:
		}
	}
	if tx.erased {
		db.scheduleScrub()
	}
	if tx.emitted > 0 && db.EventsEmitted != nil {
		db.EventsEmitted()
	}
	return nil
}

// errUnavailable answers when the database cannot be reached: a 503 that
// tells the client to retry, never a hang or a 500.
var errUnavailable = lethe.Errorf(lethe.EUnavailable, "The database is unavailable; retry shortly.")

// classify turns connection failures into errUnavailable and leaves every
// other error as it is.
func (db *DB) classify(err error) error {
	if err == nil || lethe.ErrorCode(err) != lethe.EInternal {
		return err
	}
	if db.dialect.isUnavailable(err) {
		return errUnavailable
	}
	return err
}

// readTx runs fn in a read-only transaction, so counts and pages agree.
func (db *DB) readTx(ctx context.Context, fn func(tx *Tx) error) error {
	actor, err := lethe.ActorFrom(ctx)
	if err != nil {
		return err
	}
	stx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return db.classify(fmt.Errorf("begin: %w", err))
	}
	defer stx.Rollback()
	return db.classify(fn(&Tx{Tx: stx, db: db, now: db.Now().UTC().Truncate(time.Millisecond), actor: actor}))
}

func (db *DB) scheduleScrub() {
	select {
	case db.scrubSoon <- struct{}{}:
	default:
	}
}

// scrubBatch is how long the scrub waits after an erasure for the next
// one, so a burst of erasures (a bulk delete, a job) costs one scrub, not
// one each; every scrubMaxWait of a long burst, the WAL is copied back
// (without truncating it, which would make the writer wait for readers).
const (
	scrubBatch   = 200 * time.Millisecond
	scrubMaxWait = 10 * time.Second
)

// scrubLoop scrubs erased rows in the background after erasures. Requests do
// not wait for it; Close runs it once more.
func (db *DB) scrubLoop() {
	defer db.wg.Done()
	var retry *time.Timer
	defer func() {
		if retry != nil {
			retry.Stop()
		}
	}()
	for {
		select {
		case <-db.stop:
			return
		case <-db.scrubSoon:
		}
		deadline := time.After(scrubMaxWait)
	wait:
		for {
			select {
			case <-db.stop:
				return
			case <-db.scrubSoon: // another erasure: wait for the burst to end
			case <-time.After(scrubBatch):
				break wait
			case <-deadline:
				// A long burst (a job): copy the WAL back without making
				// the writer wait for readers, and truncate it when the
				// burst ends.
				if q := db.dialect.scrubBusy; q != "" {
					if _, err := db.write.ExecContext(context.Background(), q); err != nil {
						db.logger.Error("scrub erased rows", "error", err.Error())
					}
				}
				deadline = time.After(scrubMaxWait)
			}
		}
		if err := db.Scrub(context.Background()); err != nil {
			db.logger.Error("scrub erased rows", "error", err.Error())
			// Erased bytes may still be in the WAL: try again later, even
			// if no other erasure comes (one retry pending at a time).
			if retry != nil {
				retry.Stop()
			}
			retry = time.AfterFunc(scrubRetryAfter, db.scheduleScrub)
		}
	}
}

// scrubRetryAfter is when a scrub that could not finish runs again.
const scrubRetryAfter = 30 * time.Second

// checkpointEvery is the most often the WAL is copied back: commits in
// between share one checkpoint, so a page written by several of them is
// copied once. checkpointIdle is the longest it waits without being told:
// the few writes outside write transactions (tenants, keys, migrations)
// do not tell it.
const (
	checkpointEvery = 100 * time.Millisecond
	checkpointIdle  = 5 * time.Second
)

// checkpointLoop copies SQLite's WAL back into the database file after
// commits, on a connection of its own, so the writer spends its time on
// transactions and the second core on checkpoints. A passive checkpoint
// waits for nobody: it copies what no reader still needs. It does not let
// the WAL start over, which takes a write transaction beginning with all
// of it copied: the writer's own checkpoint does that, when little is left
// to copy (writerCheckpointPages). Scrubs copy the WAL back and truncate it
// on the write connection.
func (db *DB) checkpointLoop() {
	defer db.wg.Done()
	for {
		select {
		case <-db.stop:
			return
		case <-db.checkpointSoon:
		case <-time.After(checkpointIdle):
		}
		if _, err := db.checkpointer.ExecContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
			db.logger.Error("checkpoint", "error", err.Error())
		}
		select {
		case <-db.stop:
			return
		case <-time.After(checkpointEvery):
		}
	}
}

// Scrub makes erased rows unreadable on disk now: SQLite copies its WAL
// back and truncates it (truncateWAL); PostgreSQL vacuums the tables that
// held them.
func (db *DB) Scrub(ctx context.Context) error {
	if db.checkpointer != nil {
		if err := db.truncateWAL(ctx); err != nil {
			return err
		}
	}
	for _, q := range perTable(db.dialect.scrubTables, false) {
		if _, err := db.write.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("scrub: %w", err)
		}
	}
	return nil
}

// How the scrub truncates SQLite's WAL: each attempt waits up to
// truncateAttemptWait for readers and the writer (the checkpoint
// connection's busy_timeout), attempts are spaced by a backoff from
// truncateBackoff doubling up to truncateMaxBackoff, and after
// truncateRetryFor the scrub gives up until its next run.
const (
	truncateAttemptWait = 250 * time.Millisecond
	truncateBackoff     = 10 * time.Millisecond
	truncateMaxBackoff  = 500 * time.Millisecond
	truncateRetryFor    = 5 * time.Second
)

// errWALBusy: the WAL could not be truncated within truncateRetryFor.
var errWALBusy = errors.New("the WAL could not be truncated: readers or another process kept it in use")

// truncateWAL copies SQLite's WAL back into the database file and
// truncates it to nothing, so no erased byte is left in old frames.
//
// A truncating checkpoint must wait for every reader that still reads
// from the WAL, and it cannot start while another checkpoint runs (the
// passive ones of checkpointLoop, or those of another process): SQLite
// then answers a result row with busy set rather than an error, which
// must be read. It runs on the checkpoint connection, after any passive
// checkpoint of this process, and is retried with a backoff while busy:
// between attempts writers go on, and readers that begin once the WAL is
// all copied back read the database file only, so continuous short reads
// let an attempt through.
func (db *DB) truncateWAL(ctx context.Context) error {
	start, backoff := time.Now(), truncateBackoff
	for attempt := 1; ; attempt++ {
		var busy, frames, copied int
		err := db.checkpointer.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &frames, &copied)
		if err != nil {
			return fmt.Errorf("scrub: checkpoint: %w", err)
		}
		if busy == 0 {
			return nil
		}
		if time.Since(start) >= truncateRetryFor {
			db.logger.Error("scrub: the WAL could not be truncated; erased rows may remain in it until the next scrub",
				"attempts", attempt, "walFrames", frames, "copiedFrames", copied, "tried", time.Since(start).Round(time.Millisecond).String())
			return errWALBusy
		}
		select {
		case <-time.After(backoff/2 + time.Duration(mrand.Int64N(int64(backoff)))):
		case <-ctx.Done():
			return ctx.Err()
		}
		backoff = min(2*backoff, truncateMaxBackoff)
	}
}

// perTable returns the statement prefix applied to each personal-data table
// of the registry (to rewrite, with rewrite set); none for an empty prefix.
func perTable(prefix string, rewrite bool) []string {
	if prefix == "" {
		return nil
	}
	var out []string
	for _, t := range PersonalTables(rewrite) {
		out = append(out, prefix+t)
	}
	return out
}

// RewritesFiles reports whether RewritePersonalData has work to do on this
// database: PostgreSQL keeps erased bytes in free space until a rewrite;
// SQLite's secure_delete overwrites them at once.
func (db *DB) RewritesFiles() bool { return db.dialect.rewriteTables != "" }

// RewritePersonalData rewrites the personal-data tables into new files
// (PostgreSQL VACUUM FULL; nothing to do on SQLite, whose secure_delete has
// overwritten the bytes already). A plain VACUUM removes erased rows from
// every page's items, but may leave their bytes in the pages' free space
// until that space is reused; the rewrite leaves none. It locks the tables
// while it runs, so run it off-peak (see docs/deploy.md).
func (db *DB) RewritePersonalData(ctx context.Context) error {
	start := ms(db.Now())
	for _, q := range perTable(db.dialect.rewriteTables, true) {
		if _, err := db.write.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("rewrite personal data: %w", err)
		}
	}
	_, err := db.write.ExecContext(ctx, `INSERT INTO maintenance (name, at) VALUES ('rewrite', $1)
		ON CONFLICT (name) DO UPDATE SET at = excluded.at`, start)
	return err
}

// RewriteDue reports whether anyone, in any tenant and through any process,
// was erased since the last RewritePersonalData began.
func (db *DB) RewriteDue(ctx context.Context) (bool, error) {
	var last int64
	err := db.read.QueryRowContext(ctx, `SELECT COALESCE(MAX(at), 0) FROM maintenance WHERE name = 'rewrite'`).Scan(&last)
	if err != nil {
		return false, fmt.Errorf("read last rewrite: %w", err)
	}
	tenants, err := NewTenantService(db).FindTenants(ctx)
	if err != nil {
		return false, err
	}
	for _, t := range tenants {
		var n int
		if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM erasures
			WHERE tenant_id = $1 AND erased_at >= $2 LIMIT 1) e`, string(t.ID), last).Scan(&n); err != nil {
			return false, fmt.Errorf("find erasures: %w", err)
		}
		if n > 0 {
			return true, nil
		}
	}
	return false, nil
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

// Analyze refreshes the query planner's statistics (after a bulk load).
func (db *DB) Analyze(ctx context.Context) error {
	_, err := db.write.ExecContext(ctx, "ANALYZE")
	return err
}

// rowScanner is what scanning functions read from: *sql.Row or *sql.Rows.
type rowScanner interface{ Scan(dest ...any) error }

// querier runs queries: a Tx, a *sql.Tx or a *sql.DB.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// queryAll runs q on db (a Tx, a *sql.Tx or a pool) and scans every row
// with scan.
func queryAll[T any](ctx context.Context, db querier, scan func(rowScanner) (T, error), q string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// pageClause appends limit and offset to args and returns the SQL that uses them.
func pageClause(args *[]any, limit, offset int) string {
	*args = append(*args, limit, offset)
	return ` LIMIT $` + strconv.Itoa(len(*args)-1) + ` OFFSET $` + strconv.Itoa(len(*args))
}
