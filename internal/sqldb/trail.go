package sqldb

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/lethehq/lethe"
)

// The trail: who did what to whom, with the actor and subject as
// internal ids and labels only, so it survives erasure. Entries are
// appended in the transaction of the change they record, numbered per
// tenant, and chained: each entry's hash covers the previous hash and the
// entry, and audit_heads holds the tenant's last seq and hash. Editing,
// removing or inserting an entry breaks the chain (VerifyTrail).

// genesisHash is the "previous hash" of a tenant's first entry.
var genesisHash = make([]byte, sha256.Size)

// trailHash chains an entry to the previous hash.
func trailHash(prev []byte, e *lethe.TrailEntry) []byte {
	h := sha256.New()
	h.Write(prev)
	var n [8]byte
	for _, v := range []int64{e.Seq, e.At.UnixMilli()} {
		binary.BigEndian.PutUint64(n[:], uint64(v))
		h.Write(n[:])
	}
	for _, s := range []string{e.Action, string(e.Source), e.Actor, e.Subject, e.Detail} {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	return h.Sum(nil)
}

// appendTrail appends an entry to the tenant's trail. detail holds fixed words
// and numbers only, never personal data.
func (tx *Tx) appendTrail(ctx context.Context, action, subject string, detail map[string]any) error {
	tenant := string(tx.actor.TenantID)
	d := []byte("{}")
	if len(detail) > 0 {
		var err error
		if d, err = json.Marshal(detail); err != nil {
			return err
		}
	}
	e := &lethe.TrailEntry{At: tx.now, Action: action, Source: tx.actor.Source, Actor: tx.actor.Name, Subject: subject, Detail: string(d)}
	if tx.trailHead == nil {
		// The head row serialises appends of one tenant (a row lock on
		// PostgreSQL; SQLite has one writer). Read once per transaction.
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_heads (tenant_id, seq, hash) VALUES ($1, 0, $2)
			ON CONFLICT (tenant_id) DO NOTHING`, tenant, genesisHash); err != nil {
			return fmt.Errorf("trail head: %w", err)
		}
		h := &trailHead{}
		if err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_heads WHERE tenant_id = $1`+tx.db.dialect.lockRow,
			tenant).Scan(&h.seq, &h.hash); err != nil {
			return fmt.Errorf("trail head: %w", err)
		}
		tx.trailHead = h
	}
	e.Seq, e.PrevHash = tx.trailHead.seq+1, tx.trailHead.hash
	e.Hash = trailHash(e.PrevHash, e)
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_trail (tenant_id, seq, at, action, source, actor, subject, detail, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, tenant, e.Seq, ms(e.At), e.Action, string(e.Source), e.Actor,
		e.Subject, e.Detail, e.PrevHash, e.Hash); err != nil {
		return fmt.Errorf("append trail entry: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE audit_heads SET seq = $2, hash = $3 WHERE tenant_id = $1`, tenant, e.Seq, e.Hash); err != nil {
		return fmt.Errorf("trail head: %w", err)
	}
	tx.trailHead.seq, tx.trailHead.hash = e.Seq, e.Hash
	return nil
}

// trailHead is a tenant's last trail entry, as this transaction knows it.
type trailHead struct {
	seq  int64
	hash []byte
}

// TrailProblem is a break in a tenant's trail.
type TrailProblem = lethe.TrailProblem

// VerifyTrail checks the trail of every tenant: entries numbered from
// 1 without gaps, each hash the chain of the previous one and the entry,
// and the last one the head. It returns how many entries it checked and
// every break it found.
func (db *DB) VerifyTrail(ctx context.Context) (checked int, problems []TrailProblem, err error) {
	tenants, err := NewTenantService(db).FindTenants(ctx)
	if err != nil {
		return 0, nil, err
	}
	for _, t := range tenants {
		var seq int64
		hash := genesisHash
		err := db.read.QueryRowContext(ctx, `SELECT seq, hash FROM audit_heads WHERE tenant_id = $1`, string(t.ID)).Scan(&seq, &hash)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return checked, problems, fmt.Errorf("read trail head: %w", err)
		}
		n, ps, err := db.verifyTenantTrail(ctx, db.read, t.ID, seq, hash)
		if err != nil {
			return checked, problems, err
		}
		checked += n
		problems = append(problems, ps...)
	}
	return checked, problems, nil
}

// verifyTenantTrail walks one tenant's trail on q (the pool, or a
// transaction that read the head in the same snapshot).
func (db *DB) verifyTenantTrail(ctx context.Context, q querier, tenant lethe.TenantID, headSeq int64, headHash []byte) (int, []TrailProblem, error) {
	rows, err := q.QueryContext(ctx, `SELECT seq, at, action, source, actor, subject, detail, prev_hash, hash
		FROM audit_trail WHERE tenant_id = $1 ORDER BY seq`, string(tenant))
	if err != nil {
		return 0, nil, fmt.Errorf("read trail: %w", err)
	}
	defer rows.Close()
	var problems []TrailProblem
	add := func(seq int64, p string) {
		problems = append(problems, TrailProblem{TenantID: tenant, Seq: seq, Problem: p})
	}
	prev, want, n := genesisHash, int64(1), 0
	for rows.Next() {
		var e lethe.TrailEntry
		var at int64
		if err := rows.Scan(&e.Seq, &at, &e.Action, &e.Source, &e.Actor, &e.Subject, &e.Detail, &e.PrevHash, &e.Hash); err != nil {
			return n, nil, err
		}
		n++
		e.At = fromMS(at)
		if e.Seq != want {
			add(want, fmt.Sprintf("missing (the next entry is %d)", e.Seq))
		}
		switch {
		case !bytes.Equal(e.PrevHash, prev):
			add(e.Seq, "does not follow the entry before it (an entry was removed or inserted)")
		case !bytes.Equal(e.Hash, trailHash(e.PrevHash, &e)):
			add(e.Seq, "was changed after it was written")
		}
		prev, want = e.Hash, e.Seq+1
	}
	if err := rows.Err(); err != nil {
		return n, nil, err
	}
	if want-1 != headSeq || !bytes.Equal(prev, headHash) {
		add(headSeq, "the trail ends before its head (entries were removed from the end)")
	}
	return n, problems, nil
}

// Anchors. A trail checked against itself cannot show that its last entries
// were removed and its head row rewritten to match, nor that a tenant's
// whole trail and head were deleted: what is left is a valid chain. So
// points of the trail are kept outside the database: each erasure receipt
// carries the head at the erasure, and `lethe trail checkpoint` signs every
// tenant's head. A trail that no longer holds a kept point, with the same
// hash, was cut or rewritten (CheckAnchors).

// anchorErasure records, with the erasure of learner id, where the
// tenant's trail stands: its head, which this transaction's trail entry of
// the erasure has just become.
func (tx *Tx) anchorErasure(ctx context.Context, id string) (*lethe.TrailPoint, error) {
	tenant := string(tx.actor.TenantID)
	p := &lethe.TrailPoint{Seq: 0, Hash: genesisHash}
	if h := tx.trailHead; h != nil {
		p.Seq, p.Hash = h.seq, h.hash
	} else {
		err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_heads WHERE tenant_id = $1`, tenant).Scan(&p.Seq, &p.Hash)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("trail head: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE erasures SET trail_seq = $3, trail_hash = $4 WHERE tenant_id = $1 AND learner_id = $2`,
		tenant, id, p.Seq, p.Hash); err != nil {
		return nil, fmt.Errorf("anchor erasure: %w", err)
	}
	return p, nil
}

// TrailHead is where a tenant's trail stands.
type TrailHead struct {
	TenantID lethe.TenantID
	lethe.TrailPoint
}

// TrailHeads returns the head of every tenant's trail (seq 0 and the zero
// hash for a tenant without entries), by tenant id: what a checkpoint
// signs.
func (db *DB) TrailHeads(ctx context.Context) ([]TrailHead, error) {
	tenants, err := NewTenantService(db).FindTenants(ctx)
	if err != nil {
		return nil, err
	}
	var out []TrailHead
	for _, t := range tenants {
		h := TrailHead{TenantID: t.ID, TrailPoint: lethe.TrailPoint{Hash: genesisHash}}
		err := db.read.QueryRowContext(ctx, `SELECT seq, hash FROM audit_heads WHERE tenant_id = $1`, string(t.ID)).Scan(&h.Seq, &h.Hash)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("read trail head: %w", err)
		}
		out = append(out, h)
	}
	return out, nil
}

// TrailAnchor is a point of a tenant's trail kept outside the database,
// with where it came from (a file name) for messages.
type TrailAnchor struct {
	TrailHead
	From string
}

// CheckAnchors checks that the trail still reaches every anchor: the
// tenant's trail holds entry Seq with exactly that hash. It returns a
// problem for each anchor that it does not reach. The chain of an anchored
// tenant that is no longer in the tenants table, which VerifyTrail does
// not walk, is verified here, so deleting a tenant's row does not hide a
// rewritten trail.
func (db *DB) CheckAnchors(ctx context.Context, anchors []TrailAnchor) ([]TrailProblem, error) {
	var problems []TrailProblem
	tenants, err := NewTenantService(db).FindTenants(ctx)
	if err != nil {
		return nil, err
	}
	walked := map[lethe.TenantID]bool{}
	for _, t := range tenants {
		walked[t.ID] = true
	}
	for _, a := range anchors {
		if walked[a.TenantID] {
			continue
		}
		walked[a.TenantID] = true
		var seq int64
		hash := genesisHash
		err := db.read.QueryRowContext(ctx, `SELECT seq, hash FROM audit_heads WHERE tenant_id = $1`, string(a.TenantID)).Scan(&seq, &hash)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return problems, fmt.Errorf("read trail head: %w", err)
		}
		problems = append(problems, TrailProblem{TenantID: a.TenantID, Problem: "is anchored but no longer a tenant: its trail is checked all the same"})
		_, ps, err := db.verifyTenantTrail(ctx, db.read, a.TenantID, seq, hash)
		if err != nil {
			return problems, err
		}
		problems = append(problems, ps...)
	}
	for _, a := range anchors {
		what := fmt.Sprintf("anchor %s (seq %d, hash %x)", a.From, a.Seq, a.Hash)
		if a.Seq == 0 {
			if !bytes.Equal(a.Hash, genesisHash) {
				problems = append(problems, TrailProblem{TenantID: a.TenantID, Problem: what + " is not the start of a trail"})
			}
			continue
		}
		var hash []byte
		err := db.read.QueryRowContext(ctx, `SELECT hash FROM audit_trail WHERE tenant_id = $1 AND seq = $2`,
			string(a.TenantID), a.Seq).Scan(&hash)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			problems = append(problems, TrailProblem{TenantID: a.TenantID, Seq: a.Seq,
				Problem: "the trail no longer reaches " + what + ": entries were removed"})
		case err != nil:
			return problems, fmt.Errorf("read trail: %w", err)
		case !bytes.Equal(hash, a.Hash):
			problems = append(problems, TrailProblem{TenantID: a.TenantID, Seq: a.Seq,
				Problem: "differs from " + what + ": the trail was rewritten"})
		}
	}
	return problems, nil
}
