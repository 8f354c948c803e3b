package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/lethehq/lethe"
)

// TrailService implements lethe.TrailService: the trail of the actor's
// tenant, read a page at a time by key, and its verification.
type TrailService struct{ db *DB }

// NewTrailService returns the trail service of db.
func NewTrailService(db *DB) *TrailService { return &TrailService{db: db} }

var _ lethe.TrailService = (*TrailService)(nil)

// trailActionsSample is how many of the latest entries TrailActions reads.
const trailActionsSample = 20_000

const trailColumns = `seq, at, action, source, actor, subject, detail, prev_hash, hash`

// FindTrail implements lethe.TrailService. Every page is a range of the
// primary key read backwards: without a filter, from the head's seq less
// the offset; with one, over the latest TrailFilterWindow entries, whose
// rows it reads and skips for the offset. There is no index by action or
// subject: every change writes a trail entry, and one such index cost a
// create about 5% more at the store (ADR 0033).
func (s *TrailService) FindTrail(ctx context.Context, f lethe.TrailFilter) (out []*lethe.TrailEntry, more bool, err error) {
	if f.Limit < 1 || f.Limit > 1000 || f.Offset < 0 {
		return nil, false, lethe.Errorf(lethe.EInvalid, "a trail page has 1 to 1000 entries, from offset 0")
	}
	if !validText(f.Action) || !validText(f.Subject) {
		// No entry holds these, and PostgreSQL refuses them as text:
		// answer as SQLite does, with no entry.
		return nil, false, nil
	}
	err = s.db.readTx(ctx, func(tx *Tx) error {
		tenant := string(tx.actor.TenantID)
		var head int64
		err := tx.QueryRowContext(ctx, `SELECT seq FROM audit_heads WHERE tenant_id = $1`, tenant).Scan(&head)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read trail head: %w", err)
		}
		var rows *sql.Rows
		if f.Action == "" && f.Subject == "" {
			rows, err = tx.QueryContext(ctx, `SELECT `+trailColumns+` FROM audit_trail WHERE tenant_id = $1 AND seq <= $2
				ORDER BY seq DESC LIMIT $3`, tenant, head-int64(f.Offset), f.Limit+1)
		} else {
			// "" matches every action or subject.
			rows, err = tx.QueryContext(ctx, `SELECT `+trailColumns+` FROM audit_trail WHERE tenant_id = $1 AND seq > $2
				AND ($3 = '' OR action = $3) AND ($4 = '' OR subject = $4) ORDER BY seq DESC LIMIT $5 OFFSET $6`,
				tenant, head-lethe.TrailFilterWindow, f.Action, f.Subject, f.Limit+1, f.Offset)
		}
		if err != nil {
			return fmt.Errorf("read trail: %w", err)
		}
		out, err = scanTrail(rows)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	if len(out) > f.Limit {
		return out[:f.Limit], true, nil
	}
	return out, false, nil
}

func scanTrail(rows *sql.Rows) ([]*lethe.TrailEntry, error) {
	defer rows.Close()
	var out []*lethe.TrailEntry
	for rows.Next() {
		e := &lethe.TrailEntry{}
		var at int64
		if err := rows.Scan(&e.Seq, &at, &e.Action, &e.Source, &e.Actor, &e.Subject, &e.Detail, &e.PrevHash, &e.Hash); err != nil {
			return nil, err
		}
		e.At = fromMS(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// TrailActions implements lethe.TrailService: the distinct actions of
// the latest trailActionsSample entries, a short read of the primary key.
func (s *TrailService) TrailActions(ctx context.Context) (out []string, err error) {
	err = s.db.readTx(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT DISTINCT r.action FROM (SELECT a.action FROM audit_trail a WHERE a.tenant_id = $1
			ORDER BY a.seq DESC LIMIT $2) r ORDER BY r.action`, string(tx.actor.TenantID), trailActionsSample)
		if err != nil {
			return fmt.Errorf("read trail actions: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var a string
			if err := rows.Scan(&a); err != nil {
				return err
			}
			out = append(out, a)
		}
		return rows.Err()
	})
	return out, err
}

// VerifyTenantTrail implements lethe.TrailService, as VerifyTrail does
// for every tenant, but reading the head and the entries in one snapshot
// (repeatable read on PostgreSQL; a SQLite read transaction is one), so
// entries appended meanwhile do not show as a break.
func (s *TrailService) VerifyTenantTrail(ctx context.Context) (int, []lethe.TrailProblem, error) {
	actor, err := lethe.ActorFrom(ctx)
	if err != nil {
		return 0, nil, err
	}
	opts := &sql.TxOptions{ReadOnly: true}
	if s.db.dialect.name == "postgres" {
		opts.Isolation = sql.LevelRepeatableRead
	}
	stx, err := s.db.read.BeginTx(ctx, opts)
	if err != nil {
		return 0, nil, s.db.classify(fmt.Errorf("begin: %w", err))
	}
	defer stx.Rollback()
	var seq int64
	hash := genesisHash
	err = stx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_heads WHERE tenant_id = $1`, string(actor.TenantID)).Scan(&seq, &hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, nil, s.db.classify(fmt.Errorf("read trail head: %w", err))
	}
	n, ps, err := s.db.verifyTenantTrail(ctx, stx, actor.TenantID, seq, hash)
	return n, ps, s.db.classify(err)
}
