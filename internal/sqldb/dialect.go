package sqldb

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// dialect holds everything that differs between the databases Lethe runs on.
// The SQL text of queries is the same on both.
type dialect struct {
	name string // what DB.Dialect says
	// migrations is the folder of the dialect's migrations (migrations/).
	migrations string
	// open returns the pools of a database.
	open func(ctx context.Context, dsn string, o options) (pools, error)
	// steerPlans: the dialect's planner needs telling when a status filter
	// matches many rows (SQLite, see statusClause); PostgreSQL's statistics
	// let it choose well by itself, and hiding columns would blind them.
	steerPlans bool
	// lockMigrations serialises migrating processes.
	lockMigrations string
	// forUpdate locks the learner row read in a write transaction, so
	// concurrent writers to one user queue instead of losing updates.
	forUpdate string
	// scanAll follows a table name to read the whole table in storage order
	// rather than through an index on tenant_id and look each row up: a
	// read of most of a tenant's rows (an audit) is many times faster so.
	scanAll string
	// pendingItems follows job_items in the query of a job's next items:
	// SQLite, without statistics, walked the primary key from the job's
	// first item past every item already done (a long job slowed as it
	// went); the partial index of pending items starts at the next one.
	pendingItems string
	// learnerItems follows job_items in the look-up of a job's pending
	// items by learner (a CSV job's duplicates), which SQLite would
	// otherwise answer from job_items_pending, reading every pending item.
	learnerItems string
	// memberLearners follows audience_members in a look-up by learner
	// (the links of a page of users): SQLite, without statistics, would read
	// every membership of the tenant through the primary key, which covers
	// the query, rather than seek the learner index.
	memberLearners string
	// learnerIndexes follow the tables named in look-ups by learner (the
	// registry's, for erasure and its check; a learner's completions):
	// without statistics SQLite would read every row of the tenant in key
	// order (events: by number; completions: by id, for ORDER BY id LIMIT)
	// rather than seek the learner.
	learnerIndexes map[string]string
	// rowSeq numbers the rows of a table t in a query, uniquely and in a
	// stable order (%[1]s is the table's alias): SQLite's rowid, with no
	// sort; elsewhere ROW_NUMBER over the id column %[2]s.
	rowSeq string
	// lockAudience locks the audience row (alias a) a write transaction
	// reads, so membership changes of one audience run one at a time;
	// shareLock keeps the rows a SELECT reads from changing until commit.
	// SQLite needs neither: its write transactions lock the database.
	lockAudience, shareLock string
	// advisoryLock takes a lock named by its one parameter for the rest of
	// the transaction ("" where write transactions run one at a time).
	advisoryLock string
	// cachesTxStmts: each statement is prepared once per transaction
	// (Tx.stmt), where parsing costs more than running most statements
	// (SQLite); PostgreSQL's driver keeps its own statement cache.
	cachesTxStmts bool
	// defersIndexes: a bulk load into an empty database may drop the
	// secondary indexes of the learners' tables and build them at the end,
	// from a sort (deferredindexes.go, docs/adr/0013); tunesLoads: a load
	// sets pragmas of the write connection (bulkLoadMode).
	defersIndexes, tunesLoads bool
	// lockRow locks the row a single-table SELECT reads ("" on SQLite);
	// skipLocked does too, skipping rows another transaction has locked.
	lockRow, skipLocked string
	// isUniqueViolation reports whether err is a unique-constraint violation.
	isUniqueViolation func(err error) bool
	// isUnavailable reports whether err means the database cannot be reached.
	isUnavailable func(err error) bool
	// isConflict reports a transaction that the database aborted because
	// concurrent ones conflicted with it (a deadlock); nil where write
	// transactions never run concurrently.
	isConflict func(err error) bool
	// scrubTables makes erased rows unreadable on disk: PostgreSQL runs it
	// on each personal-data table of the registry (a VACUUM), so no dead
	// tuple is left in them. SQLite's secure_delete has overwritten the rows
	// already; its scrub truncates the WAL (see truncateWAL).
	scrubTables string
	// scrubBusy runs during a long burst of erasures instead of scrub: it
	// must not block writers ("" for nothing).
	scrubBusy string
	// rewriteTables, run on each personal-data table, rewrites it into a new
	// file (PostgreSQL's VACUUM FULL), for the bytes a plain VACUUM leaves in
	// free page space; "" when there is nothing to do.
	rewriteTables string
	// pipelineLoads builds the rows of a bulk load in a goroutine beside the
	// one that inserts them (pipeline): SQLite inserts in the calling
	// process, so building rows on the other core is a gain; PostgreSQL's
	// server inserts in a process of its own, where it gained nothing.
	pipelineLoads bool
	// checksKeysInLoads: foreign keys stay on during a bulk load, so a
	// child's rows wait for their parent's (LoadTable.After). SQLite turns
	// them off for a load (bulkLoadMode).
	checksKeysInLoads bool
	// rowsPerInsert is how many rows a multi-row INSERT takes (rowWriter),
	// plain and with RETURNING: long parameter lists bind slowly on SQLite,
	// single rows pay a statement each; 50 and 25 measured best there
	// (docs/PERFORMANCE.md). PostgreSQL takes 500, a round trip each.
	rowsPerInsert struct{ plain, returning int }
	// numberedParams: the statements a rowWriter builds number their
	// parameters ($1, $2, …); SQLite's take "?", which its driver binds
	// without looking up a name per parameter.
	numberedParams bool
}

// options are the tunables of Open.
type options struct {
	maxConns int
	logger   *slog.Logger
	// signingKey signs erasure receipts instead of the stored key.
	signingKey ed25519.PrivateKey
}

// Option changes how Open connects.
type Option func(*options)

// WithLogger sets where background work (the scrub after erasures) reports
// failures; by default nowhere.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithSigningKey makes key sign erasure receipts instead of the key kept
// in the database.
func WithSigningKey(key ed25519.PrivateKey) Option { return func(o *options) { o.signingKey = key } }

// WithMaxConns sets the size of the PostgreSQL connection pool (default 10).
// SQLite ignores it: it has one writer and a small reader pool.
func WithMaxConns(n int) Option { return func(o *options) { o.maxConns = n } }

var sqliteDialect = dialect{
	name:          "sqlite",
	migrations:    "sqlite",
	cachesTxStmts: true,
	defersIndexes: true,
	tunesLoads:    true,
	open:          openSQLite,
	forUpdate:     "", // write transactions are immediate: the whole database is locked
	scanAll:       " NOT INDEXED",
	pendingItems:  " INDEXED BY job_items_pending",
	learnerItems:  " INDEXED BY job_items_learner",
	rowSeq:        "%[1]s.rowid",
	steerPlans:    true,
	pipelineLoads: true,
	rowsPerInsert: struct{ plain, returning int }{50, 25},

	memberLearners: " INDEXED BY audience_members_learner",
	learnerIndexes: map[string]string{"events": " INDEXED BY events_subject", "completions": " INDEXED BY completions_learner"},
	isUniqueViolation: func(err error) bool {
		var e *sqlite.Error
		if !errors.As(err, &e) {
			return false
		}
		return e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	},
	isUnavailable: func(err error) bool {
		var e *sqlite.Error
		return errors.As(err, &e) && (e.Code()&0xff == sqlite3.SQLITE_BUSY || e.Code()&0xff == sqlite3.SQLITE_LOCKED)
	},
	scrubBusy: "PRAGMA wal_checkpoint(PASSIVE)",
}

var postgresDialect = dialect{
	name:           "postgres",
	migrations:     "postgres",
	lockAudience:   " FOR UPDATE OF a",
	shareLock:      " FOR SHARE",
	advisoryLock:   `SELECT pg_advisory_xact_lock(hashtext($1))`,
	open:           openPostgres,
	forUpdate:      " FOR UPDATE OF l",
	lockRow:        " FOR UPDATE",
	rowSeq:         "ROW_NUMBER() OVER (ORDER BY %[1]s.%[2]s)",
	skipLocked:     " FOR UPDATE SKIP LOCKED",
	lockMigrations: "LOCK TABLE schema_migrations IN EXCLUSIVE MODE",
	isUniqueViolation: func(err error) bool {
		var e *pgconn.PgError
		return errors.As(err, &e) && e.Code == "23505"
	},
	isConflict: func(err error) bool {
		// 40P01: deadlock detected; 40001: serialization failure.
		var e *pgconn.PgError
		return errors.As(err, &e) && (e.Code == "40P01" || e.Code == "40001")
	},
	isUnavailable: func(err error) bool {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) {
			// 08: connection exception; 57P01-57P03: admin shutdown, crash
			// shutdown, cannot connect now; 53300: too many connections.
			return strings.HasPrefix(pgErr.Code, "08") || strings.HasPrefix(pgErr.Code, "57P") || pgErr.Code == "53300"
		}
		var connErr *pgconn.ConnectError
		var netErr net.Error
		return errors.As(err, &connErr) || errors.As(err, &netErr) || errors.Is(err, driver.ErrBadConn) ||
			errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || pgconn.SafeToRetry(err)
	},
	// INDEX_CLEANUP ON: by default (AUTO) a VACUUM skips the indexes when
	// under 2% of a table's pages hold dead rows, which leaves one erased
	// person's email and ref as live index entries in a large table.
	scrubTables:       "VACUUM (INDEX_CLEANUP ON) ",
	rewriteTables:     "VACUUM FULL ",
	checksKeysInLoads: true,
	rowsPerInsert:     struct{ plain, returning int }{500, 500},
	numberedParams:    true,
}

// dialectFor picks the dialect of a --db value: a postgres:// or
// postgresql:// URL, or else a SQLite file path.
func dialectFor(dsn string) dialect {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return postgresDialect
	}
	return sqliteDialect
}

// writerCheckpointPages is the WAL size (pages) at which the SQLite writer
// checkpoints at the end of a commit, as SQLite does by default every 1,000
// pages. The WAL starts over only when a write transaction begins with all
// of it copied back, which a checkpoint running beside a busy writer never
// sees; the writer's own checkpoint, at the end of a commit, is what bounds
// the WAL. A variable for tests.
var writerCheckpointPages = 8000

// pools are the connections to a database.
type pools struct {
	write, read *sql.DB // the same pool on PostgreSQL
	// checkpoint, SQLite only, copies the WAL back into the database file
	// (see checkpointLoop).
	checkpoint *sql.DB
	close      func()
}

// openSQLite opens a database file, creating its folder when missing.
//
// WAL lets readers run beside the writer; immediate write transactions take
// the write lock up front so they never fail half-way on a lock upgrade;
// secure_delete overwrites deleted content so erased personal data does not
// linger in free pages. A single write connection queues writers in Go
// rather than in SQLite's busy loop. A connection of its own copies the WAL
// back after commits (checkpointLoop), beside the writer; the writer
// checkpoints only once the WAL holds writerCheckpointPages, when little is
// left to copy, so that its next transaction starts the WAL over. The
// scrub after erasures truncates the WAL on the checkpoint connection too,
// so it never races the passive checkpoints for SQLite's checkpoint lock.
func openSQLite(ctx context.Context, path string, _ options) (pools, error) {
	path = strings.TrimPrefix(strings.TrimPrefix(path, "sqlite://"), "file:")
	if path == "" {
		return pools{}, fmt.Errorf("empty SQLite path")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return pools{}, fmt.Errorf("create database folder: %w", err)
	}
	dsn := func(busyMS int) string {
		q := url.Values{}
		for _, p := range []string{"busy_timeout(" + strconv.Itoa(busyMS) + ")", "journal_mode(WAL)", "foreign_keys(1)", "secure_delete(1)", "synchronous(NORMAL)", "temp_store(MEMORY)"} {
			q.Add("_pragma", p)
		}
		return "file:" + path + "?" + q.Encode()
	}
	base := dsn(10000)
	p := pools{close: func() {}}
	p.write = sql.OpenDB(stmtCachingConnector{dsn: base + "&_txlock=immediate&_pragma=cache_size(-32768)" +
		"&_pragma=wal_autocheckpoint(" + strconv.Itoa(writerCheckpointPages) + ")", drv: sqliteDriver})
	p.write.SetMaxOpenConns(1)
	p.read = sql.OpenDB(stmtCachingConnector{dsn: base + "&_pragma=query_only(1)", drv: sqliteDriver})
	n := max(4, runtime.NumCPU())
	p.read.SetMaxOpenConns(n)
	p.read.SetMaxIdleConns(n)
	// The checkpoint connection waits for readers and the writer a short
	// while per attempt (truncateWAL retries), holding the WAL's write lock
	// as it waits, so writers are never held for long.
	p.checkpoint = sql.OpenDB(stmtCachingConnector{dsn: dsn(int(truncateAttemptWait / time.Millisecond)), drv: sqliteDriver})
	p.checkpoint.SetMaxOpenConns(1)
	return p, nil
}

// openPostgres opens a pgx pool and serves it through database/sql.
func openPostgres(ctx context.Context, dsn string, o options) (pools, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return pools{}, fmt.Errorf("parse PostgreSQL URL: %w", err)
	}
	cfg.MaxConns = int32(o.maxConns)
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = 5 * time.Second // a dead database fails fast, never hangs
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return pools{}, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	db := stdlib.OpenDBFromPool(pool)
	return pools{write: db, read: db, close: pool.Close}, nil
}
