package sqldb

import (
	"context"
	"database/sql/driver"
	"errors"
	"strings"
	"sync"

	"modernc.org/sqlite"
)

// SQLite spends longer parsing a statement than running most of them: a
// user read over HTTP spent a third of its CPU in the parser (see
// docs/PERFORMANCE.md). database/sql keeps no statement past its
// transaction, so every connection of a SQLite pool keeps the statements
// it prepared, by text, and hands them out again.
//
// The wrapper hides the driver's direct Query and Exec, so database/sql
// prepares every statement through it; a statement is handed to one user
// at a time (busy until database/sql closes it, which it does when its
// rows are closed), and a second use of the same text while the first is
// open gets a statement of its own. Scripts (migrations) and statements
// naming many parameters (IN lists of varying length, multi-row inserts)
// are not kept.

// cachedStmtsPerConn bounds the statements one connection keeps; Lethe
// runs a few hundred distinct statements.
const cachedStmtsPerConn = 512

// cachedStmtMaxParams: a statement with more parameter marks than this is
// prepared and finalized as usual.
const cachedStmtMaxParams = 40

// sqliteDriver opens every SQLite connection (the zero Driver is ready to
// use and registers nothing on the process-wide one).
var sqliteDriver = &sqlite.Driver{}

// stmtCachingConnector opens SQLite connections that keep their statements.
type stmtCachingConnector struct {
	dsn string
	drv *sqlite.Driver
}

func (c stmtCachingConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return &stmtCachingConn{conn: conn, stmts: map[string]*cachedStmt{}}, nil
}

func (c stmtCachingConnector) Driver() driver.Driver { return c.drv }

type stmtCachingConn struct {
	conn  driver.Conn
	mu    sync.Mutex
	stmts map[string]*cachedStmt
}

func (c *stmtCachingConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *stmtCachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	c.mu.Lock()
	if s := c.stmts[query]; s != nil && !s.busy {
		s.busy = true
		c.mu.Unlock()
		return s, nil
	}
	_, known := c.stmts[query]
	keep := !known && len(c.stmts) < cachedStmtsPerConn && !strings.Contains(strings.TrimRight(query, "; \n\t"), ";") &&
		strings.Count(query, "$")+strings.Count(query, "?") <= cachedStmtMaxParams
	c.mu.Unlock()
	st, err := c.conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if !keep {
		return st, nil
	}
	s := &cachedStmt{Stmt: st, conn: c, busy: true}
	c.mu.Lock()
	c.stmts[query] = s
	c.mu.Unlock()
	return s, nil
}

// Close finalizes the kept statements, then closes the connection.
func (c *stmtCachingConn) Close() error {
	c.mu.Lock()
	var errs []error
	for q, s := range c.stmts {
		errs = append(errs, s.Stmt.Close())
		delete(c.stmts, q)
	}
	c.mu.Unlock()
	return errors.Join(append(errs, c.conn.Close())...)
}

func (c *stmtCachingConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *stmtCachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

func (c *stmtCachingConn) Ping(ctx context.Context) error {
	return c.conn.(driver.Pinger).Ping(ctx)
}

func (c *stmtCachingConn) ResetSession(ctx context.Context) error {
	return c.conn.(driver.SessionResetter).ResetSession(ctx)
}

func (c *stmtCachingConn) IsValid() bool { return c.conn.(driver.Validator).IsValid() }

// cachedStmt is a kept statement; closing it hands it back.
type cachedStmt struct {
	driver.Stmt
	conn *stmtCachingConn
	busy bool
}

func (s *cachedStmt) Close() error {
	s.conn.mu.Lock()
	s.busy = false
	s.conn.mu.Unlock()
	return nil
}

func (s *cachedStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	return s.Stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (s *cachedStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	return s.Stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
}

var (
	_ driver.Connector          = stmtCachingConnector{}
	_ driver.ConnPrepareContext = (*stmtCachingConn)(nil)
	_ driver.ConnBeginTx        = (*stmtCachingConn)(nil)
	_ driver.Pinger             = (*stmtCachingConn)(nil)
	_ driver.SessionResetter    = (*stmtCachingConn)(nil)
	_ driver.Validator          = (*stmtCachingConn)(nil)
	_ driver.StmtExecContext    = (*cachedStmt)(nil)
	_ driver.StmtQueryContext   = (*cachedStmt)(nil)
)
