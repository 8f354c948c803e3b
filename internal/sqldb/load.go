package sqldb

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"

	"github.com/lethehq/lethe"
)

// The bulk-load API: how package seed (and nothing on a production path)
// writes synthetic rows straight into the tables, many rows a statement, in
// large transactions, without the services' checks (docs/adr/0021). The
// caller names the table and columns and gives the values as the columns
// store them (times as Unix milliseconds); it is trusted to write
// consistent rows of the tenant of the actor in ctx.

// Loader loads rows into the tenant of the actor of BeginLoad's context.
// Close it when done.
type Loader struct {
	db      *DB
	actor   lethe.Actor
	restore func() error
	// learners is set once rows of learners were loaded: Finish recounts.
	learners bool
}

// LoadOptions say how BeginLoad readies the database.
type LoadOptions struct {
	// EmptyTenant makes BeginLoad refuse a tenant that has learners
	// (ErrTenantNotEmpty).
	EmptyTenant bool
	// DeferIndexes drops the secondary indexes of the tables of learners'
	// data while the load runs, when the dialect defers indexes and no
	// tenant has learners yet; Finish builds them (deferredindexes.go).
	DeferIndexes bool
}

// ErrTenantNotEmpty is BeginLoad's answer to a tenant that has learners,
// with LoadOptions.EmptyTenant.
var ErrTenantNotEmpty = errors.New("the tenant already has users")

// BeginLoad readies the database for a bulk load into the tenant of the
// actor in ctx: on SQLite, foreign keys off and a page cache for the load
// (bulkLoadMode), and the indexes deferred when o asks and may.
func (db *DB) BeginLoad(ctx context.Context, o LoadOptions) (*Loader, error) {
	actor, err := lethe.ActorFrom(ctx)
	if err != nil {
		return nil, err
	}
	if o.EmptyTenant {
		var filled int
		if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM learners WHERE tenant_id = $1 LIMIT 1) x`,
			string(actor.TenantID)).Scan(&filled); err != nil {
			return nil, err
		}
		if filled > 0 {
			return nil, ErrTenantNotEmpty
		}
	}
	deferred := false
	if o.DeferIndexes {
		if deferred, err = db.deferIndexes(ctx); err != nil {
			return nil, err
		}
	}
	restore, err := db.bulkLoadMode(ctx, deferred)
	if err != nil {
		return nil, err
	}
	return &Loader{db: db, actor: actor, restore: restore}, nil
}

// Tx runs fill in one write transaction and commits the rows it added. On
// SQLite fill runs in a goroutine of its own while the calling one writes
// its rows (pipeline), so fill must not touch the database otherwise.
func (l *Loader) Tx(ctx context.Context, fill func(ctx context.Context, tx *LoadTx) error) error {
	return l.db.rawWriteTx(ctx, l.actor, func(tx *Tx) error {
		t := &LoadTx{tx: tx, loader: l}
		defer func() { closeRows(t.writers) }()
		produce := func(ctx context.Context) error {
			if err := fill(ctx, t); err != nil {
				return err
			}
			return flushRows(ctx, t.writers)
		}
		if !tx.db.dialect.pipelineLoads {
			return produce(ctx)
		}
		return runPipeline(ctx, func(q chan<- queuedRows) {
			t.queue = q
			for _, w := range t.writers {
				w.pipe(q)
			}
		}, produce)
	})
}

// Finish ends a load that wrote everything: it recounts the tenant's
// learners when rows of learners were loaded, and builds the indexes the
// load deferred, telling progress (when set) before the first and after
// each. A load that does not reach Finish leaves its deferred indexes
// listed, and the next Open builds them.
func (l *Loader) Finish(ctx context.Context, progress func(done, total int)) error {
	if l.learners {
		if err := l.db.rawWriteTx(ctx, l.actor, func(tx *Tx) error { return tx.recount(ctx) }); err != nil {
			return fmt.Errorf("recount learners: %w", err)
		}
	}
	return l.db.buildDeferredIndexes(ctx, progress)
}

// Close sets the database back as it was before BeginLoad; it may be
// called more than once.
func (l *Loader) Close() error {
	restore := l.restore
	l.restore = func() error { return nil }
	return restore()
}

// LoadTx is one transaction of a load.
type LoadTx struct {
	tx      *Tx
	loader  *Loader
	writers []*rowWriter
	keys    *rowWriter
	queue   chan<- queuedRows // while a pipeline runs
}

// LoadTable writes rows into one table of a LoadTx.
type LoadTable struct{ w *rowWriter }

// Table returns a writer of rows of table with these columns; the rows of
// every table are written by the end of the transaction.
func (t *LoadTx) Table(table string, columns ...string) *LoadTable {
	if table == "learners" {
		t.loader.learners = true
	}
	w := t.tx.rows(`INSERT INTO `+table+` (`+strings.Join(columns, ", ")+`) VALUES `, len(columns))
	if t.queue != nil {
		w.pipe(t.queue)
	}
	t.writers = append(t.writers, w)
	return &LoadTable{w: w}
}

// Add queues a row: one value per column, in the columns' order.
func (lt *LoadTable) Add(ctx context.Context, values ...any) error { return lt.w.add(ctx, values...) }

// After makes lt write the rows queued in parent first whenever it writes
// its own, where the database checks foreign keys during a load
// (PostgreSQL); SQLite loads with them off.
func (lt *LoadTable) After(parent *LoadTable) {
	if lt.w.tx.db.dialect.checksKeysInLoads {
		lt.w.after = parent.w
	}
}

// LearnerKey is a learner's new data key (NewLearnerKey), to seal text
// under.
type LearnerKey struct {
	learner lethe.LearnerID
	key     []byte
}

// NewLearnerKey makes a data key for a learner loaded without one and
// queues its row of learner_keys, created at createdAt (ms).
func (t *LoadTx) NewLearnerKey(ctx context.Context, learner string, createdAt int64) (LearnerKey, error) {
	key := make([]byte, dataKeySize)
	if _, err := rand.Read(key); err != nil {
		return LearnerKey{}, err
	}
	if t.keys == nil {
		t.keys = t.Table("learner_keys", "tenant_id", "learner_id", "data_key", "created_at").w
	}
	if err := t.keys.add(ctx, string(t.tx.actor.TenantID), learner, key, createdAt); err != nil {
		return LearnerKey{}, err
	}
	return LearnerKey{learner: lethe.LearnerID(learner), key: key}, nil
}

// SealName seals a record's name (the sealed column of an activity or a
// CPD entry whose only text is its name) under k, bound to the row id of
// table.
func (t *LoadTx) SealName(k LearnerKey, table, id, name string) ([]byte, error) {
	ring := &keyring{keys: map[lethe.LearnerID][]byte{k.learner: k.key}, aeads: map[lethe.LearnerID]cipher.AEAD{}}
	return ring.seal(k.learner, sealAAD(string(t.tx.actor.TenantID), table, id), &sealedText{Name: name})
}

// ActivityKey is what activities.client_id holds for a sender's id.
func (t *LoadTx) ActivityKey(clientID string) string { return t.tx.activityKey(clientID) }
