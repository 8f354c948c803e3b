package sqldb

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
)

// rowWriter is the one writer of multi-row INSERTs, on every path that
// writes many rows (ingestion, enrolments, job items, data keys, bulk
// loads): rows are queued and written many a statement, each full
// statement through one statement prepared for the transaction; "?"
// parameters on SQLite, which binds them faster than numbered ones, "$n"
// on PostgreSQL (docs/adr/0022). How many rows a statement takes is the
// dialect's (rowsPerInsert).
type rowWriter struct {
	tx   *Tx
	head string // INSERT INTO t (a, b, …) VALUES
	tail string // after the rows: ON CONFLICT …, RETURNING …
	cols int
	per  int // rows per statement
	// scan, with RETURNING, reads each row a statement returns.
	scan func(*sql.Rows) error
	args []any
	stmt *sql.Stmt
	// after is a writer whose rows must be written first (foreign keys).
	after *rowWriter
	// queue, while a pipeline runs, takes each statement's rows to the
	// goroutine that writes them, which gives the slices back through spare.
	queue chan<- queuedRows
	spare chan []any
}

// queuedRows are the arguments of one statement of w.
type queuedRows struct {
	w    *rowWriter
	args []any
}

// rowOption changes what a rowWriter's statements say.
type rowOption func(*rowWriter)

// onConflict follows the rows of each statement with clause (an ON
// CONFLICT clause).
func onConflict(clause string) rowOption { return func(w *rowWriter) { w.tail = clause + w.tail } }

// returning makes each statement return columns, read by scan row by row;
// the statements take the dialect's rows per RETURNING insert.
func returning(columns string, scan func(*sql.Rows) error) rowOption {
	return func(w *rowWriter) {
		w.tail += " RETURNING " + columns
		w.scan, w.per = scan, w.tx.db.dialect.rowsPerInsert.returning
	}
}

// rows returns a writer of rows of cols values into head (INSERT INTO t
// (a, b, …) VALUES ).
func (tx *Tx) rows(head string, cols int, opts ...rowOption) *rowWriter {
	w := &rowWriter{tx: tx, head: head, cols: cols, per: tx.db.dialect.rowsPerInsert.plain}
	for _, o := range opts {
		o(w)
	}
	w.args = make([]any, 0, w.per*cols)
	return w
}

func (w *rowWriter) statement(rows int) string {
	var q strings.Builder
	q.WriteString(w.head)
	numbered := w.tx.db.dialect.numberedParams
	for r := range rows {
		if r > 0 {
			q.WriteString(", ")
		}
		q.WriteByte('(')
		for c := range w.cols {
			if c > 0 {
				q.WriteString(", ")
			}
			if numbered {
				q.WriteString("$" + strconv.Itoa(r*w.cols+c+1))
			} else {
				q.WriteByte('?')
			}
		}
		q.WriteByte(')')
	}
	q.WriteString(w.tail)
	return q.String()
}

// add queues one row, and writes the queued rows when they fill a statement.
func (w *rowWriter) add(ctx context.Context, vals ...any) error {
	w.args = append(w.args, vals...)
	if len(w.args) < w.per*w.cols {
		return nil
	}
	return w.write(ctx)
}

// flush writes the rows queued.
func (w *rowWriter) flush(ctx context.Context) error {
	if len(w.args) == 0 {
		return nil
	}
	return w.write(ctx)
}

// write writes the queued rows, after the parent's: at once, or, in a
// pipeline, by handing them to the goroutine that writes.
func (w *rowWriter) write(ctx context.Context) error {
	if w.after != nil {
		if err := w.after.flush(ctx); err != nil {
			return err
		}
	}
	if w.queue == nil {
		err := w.exec(ctx, w.args)
		w.args = w.args[:0]
		return err
	}
	if err := ctx.Err(); err != nil {
		return err // the writing goroutine failed
	}
	select {
	case w.queue <- queuedRows{w, w.args}:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case w.args = <-w.spare:
	default:
		w.args = make([]any, 0, w.per*w.cols)
	}
	return nil
}

// exec inserts the rows of args: through the prepared statement when they
// fill one, through a statement of their own when fewer.
func (w *rowWriter) exec(ctx context.Context, args []any) error {
	if len(args) < w.per*w.cols {
		return w.run(ctx, nil, w.statement(len(args)/w.cols), args)
	}
	if w.stmt == nil {
		var err error
		if w.stmt, err = w.tx.Tx.PrepareContext(ctx, w.statement(w.per)); err != nil {
			return err
		}
	}
	return w.run(ctx, w.stmt, "", args)
}

// run runs the statement st, or else the text q, and reads what it returns.
func (w *rowWriter) run(ctx context.Context, st *sql.Stmt, q string, args []any) error {
	if err := w.tx.failpoint(w.head); err != nil {
		return err
	}
	if st == nil {
		st = w.tx.stmt(ctx, q) // a short statement is kept (SQLite): parsing costs more than running it
	}
	if w.scan == nil {
		var err error
		if st != nil {
			_, err = st.ExecContext(ctx, args...)
		} else {
			_, err = w.tx.Tx.ExecContext(ctx, q, args...)
		}
		return err
	}
	var rs *sql.Rows
	var err error
	if st != nil {
		rs, err = st.QueryContext(ctx, args...)
	} else {
		rs, err = w.tx.Tx.QueryContext(ctx, q, args...)
	}
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		if err := w.scan(rs); err != nil {
			return err
		}
	}
	return rs.Err()
}

func (w *rowWriter) close() {
	if w.stmt != nil {
		w.stmt.Close()
	}
}

// pipe makes w hand the rows of each statement to the writing goroutine
// of a pipeline through queue.
func (w *rowWriter) pipe(queue chan<- queuedRows) {
	w.queue, w.spare = queue, make(chan []any, pipelineDepth)
}

// pipeline runs produce, which adds rows to ws (and flushes them), in a
// goroutine of its own, while the calling goroutine writes the rows in the
// order they were queued, where the dialect pipelines loads; elsewhere it
// runs produce in line, each statement sent as it fills.
func pipeline(ctx context.Context, ws []*rowWriter, produce func(ctx context.Context) error) error {
	if len(ws) == 0 || !ws[0].tx.db.dialect.pipelineLoads {
		return produce(ctx)
	}
	err := runPipeline(ctx, func(queue chan<- queuedRows) {
		for _, w := range ws {
			w.pipe(queue)
		}
	}, produce)
	for _, w := range ws {
		w.queue, w.spare = nil, nil
	}
	return err
}

// runPipeline runs produce in a goroutine of its own, after attach has
// given the writers it adds rows to the queue, and writes the rows queued,
// in order, in the calling goroutine: building rows (ids, keyed hashes,
// sealed text) takes one core while SQLite inserts on the other
// (docs/adr/0014). It returns the first error of either side; after one,
// neither writes more.
func runPipeline(ctx context.Context, attach func(queue chan<- queuedRows), produce func(ctx context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	queue := make(chan queuedRows, pipelineDepth)
	attach(queue)
	produced := make(chan error, 1)
	go func() {
		defer close(queue)
		produced <- produce(ctx)
	}()
	var err error
	for q := range queue {
		if err != nil {
			continue // the producer stops at its next statement
		}
		if err = q.w.exec(ctx, q.args); err != nil {
			cancel()
			continue
		}
		select {
		case q.w.spare <- q.args[:0]:
		default:
		}
	}
	if perr := <-produced; err == nil {
		err = perr
	}
	return err
}

// pipelineDepth is how many statements' rows a pipeline holds at most
// between its two goroutines.
const pipelineDepth = 64

// flushRows writes the rows pending in each writer, in order (a parent's
// before its children's).
func flushRows(ctx context.Context, ws []*rowWriter) error {
	for _, w := range ws {
		if err := w.flush(ctx); err != nil {
			return err
		}
	}
	return nil
}

func closeRows(ws []*rowWriter) {
	for _, w := range ws {
		w.close()
	}
}
