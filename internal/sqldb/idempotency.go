package sqldb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/lethehq/lethe"
)

func (tx *Tx) idempotencyKey(key string) []byte {
	return tx.db.keyedHash("idempotency-key", []byte(tx.actor.TenantID), []byte(key))
}

// claimState is what ClaimKey found: the answer, the key now held, or held
// by another call.
type claimState int

const (
	claimHeld claimState = iota
	claimAnswered
	claimWait
)

// ClaimKey implements lethe.IdempotencyService.
func (s *BulkService) ClaimKey(ctx context.Context, key string, body []byte) (*lethe.StoredAnswer, *lethe.KeyHold, error) {
	hold := &lethe.KeyHold{Key: key, Token: holdToken()}
	for {
		var state claimState
		var a *lethe.StoredAnswer
		err := s.db.writeTx(ctx, func(tx *Tx) (err error) {
			state, a, err = tx.claimKey(ctx, hold, body)
			return err
		})
		if err != nil {
			return nil, nil, err
		}
		switch state {
		case claimHeld:
			return nil, hold, nil
		case claimAnswered:
			return a, nil, nil
		}
		// Another call holds the key: wait until it answers, gives the
		// key up or stops renewing it, reading only.
		for state == claimWait {
			select {
			case <-ctx.Done():
				return nil, nil, ctx.Err()
			case <-time.After(idempotencyPoll):
			}
			err := s.db.readTx(ctx, func(tx *Tx) (err error) {
				state, a, err = tx.findKey(ctx, key, body)
				return err
			})
			if err != nil {
				return nil, nil, err
			}
		}
		if state == claimAnswered {
			return a, nil, nil
		}
	}
}

// holdToken is the random token of one claim of a key.
func holdToken() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// claimKey holds the key for this call when it is free (never used,
// expired, or held without renewal), or says why not.
func (tx *Tx) claimKey(ctx context.Context, hold *lethe.KeyHold, body []byte) (claimState, *lethe.StoredAnswer, error) {
	tenant, kh, bh := string(tx.actor.TenantID), tx.idempotencyKey(hold.Key), tx.db.keyedHash("idempotency-body", body)
	res, err := tx.ExecContext(ctx, `INSERT INTO idempotency_keys (tenant_id, key_hash, body_hash, status, answer, created_at, holder)
		VALUES ($1, $2, $3, 0, '', $4, $5) ON CONFLICT DO NOTHING`, tenant, kh, bh, ms(tx.now), hold.Token)
	if err != nil {
		return 0, nil, fmt.Errorf("claim idempotency key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return claimHeld, nil, nil
	}
	state, a, err := tx.findKey(ctx, hold.Key, body)
	if err != nil || state != claimHeld {
		return state, a, err
	}
	// Expired, or abandoned by its holder: this call takes it over, with
	// its own body and token, unless a concurrent call took it first
	// (PostgreSQL). The old holder's token no longer matches: it can
	// neither save nor release.
	res, err = tx.ExecContext(ctx, `UPDATE idempotency_keys SET body_hash = $3, status = 0, answer = '', created_at = $4, holder = $7
		WHERE tenant_id = $1 AND key_hash = $2 AND (status = 0 AND created_at < $5 OR status <> 0 AND created_at < $6)`,
		tenant, kh, bh, ms(tx.now), ms(tx.now.Add(-lethe.IdempotencyLease)), ms(tx.now.Add(-lethe.IdempotencyWindow)), hold.Token)
	if err != nil {
		return 0, nil, fmt.Errorf("take over idempotency key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return claimWait, nil, nil
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM idempotency_learners WHERE tenant_id = $1 AND key_hash = $2`, tenant, kh); err != nil {
		return 0, nil, fmt.Errorf("take over idempotency key: %w", err)
	}
	return claimHeld, nil, nil
}

// findKey reads key: claimAnswered with the answer, claimWait while
// another call holds it, claimHeld when it is free to take (no row, an
// expired answer, a holder that stopped renewing). EConflict when a live
// row came with another body.
func (tx *Tx) findKey(ctx context.Context, key string, body []byte) (claimState, *lethe.StoredAnswer, error) {
	tenant, kh := string(tx.actor.TenantID), tx.idempotencyKey(key)
	var bodyHash []byte
	var answer string
	var created int64
	a := &lethe.StoredAnswer{}
	err := tx.QueryRowContext(ctx, `SELECT body_hash, status, answer, created_at FROM idempotency_keys
		WHERE tenant_id = $1 AND key_hash = $2`, tenant, kh).Scan(&bodyHash, &a.Status, &answer, &created)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return claimHeld, nil, nil
	case err != nil:
		return 0, nil, fmt.Errorf("find idempotency key: %w", err)
	case a.Status != 0 && created < ms(tx.now.Add(-lethe.IdempotencyWindow)),
		a.Status == 0 && created < ms(tx.now.Add(-lethe.IdempotencyLease)):
		return claimHeld, nil, nil
	case string(bodyHash) != string(tx.db.keyedHash("idempotency-body", body)):
		return 0, nil, lethe.FieldErrorf(lethe.EConflict, "Idempotency-Key", "reused",
			"This Idempotency-Key was already used with a different body.")
	case a.Status == 0:
		return claimWait, nil, nil
	}
	a.Answer = []byte(answer)
	if a.Users, err = tx.answerUsers(ctx, kh); err != nil {
		return 0, nil, err
	}
	return claimAnswered, a, nil
}

// answerUsers reads the learners a kept answer names, by position, but
// those erased since.
func (tx *Tx) answerUsers(ctx context.Context, keyHash []byte) (map[int]lethe.LearnerID, error) {
	rows, err := tx.QueryContext(ctx, `SELECT i.seq, i.learner_id FROM idempotency_learners i
		JOIN learners l ON l.tenant_id = i.tenant_id AND l.id = i.learner_id
		WHERE i.tenant_id = $1 AND i.key_hash = $2 AND l.state <> 'deleted' AND l.anonymized_at IS NULL`,
		string(tx.actor.TenantID), keyHash)
	if err != nil {
		return nil, fmt.Errorf("find idempotent answer's users: %w", err)
	}
	defer rows.Close()
	out := map[int]lethe.LearnerID{}
	for rows.Next() {
		var seq int
		var id string
		if err := rows.Scan(&seq, &id); err != nil {
			return nil, err
		}
		out[seq] = lethe.LearnerID(id)
	}
	return out, rows.Err()
}

// RenewKey implements lethe.IdempotencyService.
func (s *BulkService) RenewKey(ctx context.Context, h *lethe.KeyHold) error {
	return s.db.writeTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE idempotency_keys SET created_at = $3
			WHERE tenant_id = $1 AND key_hash = $2 AND status = 0 AND holder = $4`,
			string(tx.actor.TenantID), tx.idempotencyKey(h.Key), ms(tx.now), h.Token)
		if err != nil {
			return fmt.Errorf("renew idempotency key: %w", err)
		}
		return nil
	})
}

// ReleaseKey implements lethe.IdempotencyService.
func (s *BulkService) ReleaseKey(ctx context.Context, h *lethe.KeyHold) error {
	return s.db.writeTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE tenant_id = $1 AND key_hash = $2 AND status = 0 AND holder = $3`,
			string(tx.actor.TenantID), tx.idempotencyKey(h.Key), h.Token)
		if err != nil {
			return fmt.Errorf("release idempotency key: %w", err)
		}
		return nil
	})
}

// SaveAnswer implements lethe.IdempotencyService: the answer and the
// learners it names, but those erased already (on PostgreSQL the learner
// row is locked, so an erasure committing meanwhile is seen).
func (s *BulkService) SaveAnswer(ctx context.Context, h *lethe.KeyHold, a lethe.StoredAnswer) (out *lethe.StoredAnswer, err error) {
	if a.Status <= 0 {
		return nil, fmt.Errorf("save idempotent answer: status %d", a.Status)
	}
	err = s.db.writeTx(ctx, func(tx *Tx) error {
		tenant, kh := string(tx.actor.TenantID), tx.idempotencyKey(h.Key)
		res, err := tx.ExecContext(ctx, `UPDATE idempotency_keys SET status = $3, answer = $4, created_at = $5, holder = NULL
			WHERE tenant_id = $1 AND key_hash = $2 AND status = 0 AND holder = $6`, tenant, kh, a.Status, string(a.Answer), ms(tx.now), h.Token)
		if err != nil {
			return fmt.Errorf("save idempotent answer: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errHoldLost
		}
		lock := tx.db.dialect.shareLock
		for seq, id := range a.Users {
			if id == "" {
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO idempotency_learners (tenant_id, key_hash, seq, learner_id)
				SELECT tenant_id, $2, $3, id FROM learners WHERE tenant_id = $1 AND id = $4 AND state <> 'deleted'
				AND anonymized_at IS NULL`+lock, tenant, kh, seq, string(id)); err != nil {
				return fmt.Errorf("save idempotent answer's users: %w", err)
			}
		}
		// Read back as a retry will: the learners erased already are left out.
		out = &lethe.StoredAnswer{Status: a.Status, Answer: a.Answer}
		out.Users, err = tx.answerUsers(ctx, kh)
		return err
	})
	return out, err
}

// PurgeAnswers deletes, tenant by tenant, the answers older than
// lethe.IdempotencyWindow (and keys held without renewal as long), with the
// learners they name, 200 per transaction. serve runs it with the erasures
// whose grace period ended. It returns how many went.
func (s *BulkService) PurgeAnswers(ctx context.Context) (int, error) {
	tenants, err := NewTenantService(s.db).FindTenants(ctx)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, t := range tenants {
		actor := lethe.Actor{TenantID: t.ID, Source: lethe.SourcePolicy, Name: "idempotency-window"}
		for more := true; more; {
			err := s.db.rawWriteTx(ctx, actor, func(tx *Tx) error {
				n, err := tx.purgeAnswers(ctx, 200)
				more = n == 200
				total += n
				return err
			})
			if err != nil {
				return total, err
			}
		}
	}
	return total, nil
}

// purgeAnswers deletes up to limit of the tenant's expired answers.
func (tx *Tx) purgeAnswers(ctx context.Context, limit int) (int, error) {
	tenant, before := string(tx.actor.TenantID), ms(tx.now.Add(-lethe.IdempotencyWindow))
	keys, err := queryAll(ctx, tx, func(r rowScanner) (k []byte, err error) { return k, r.Scan(&k) }, `SELECT key_hash FROM idempotency_keys WHERE tenant_id = $1 AND created_at < $2
		ORDER BY created_at LIMIT `+strconv.Itoa(limit), tenant, before)
	if err != nil {
		return 0, fmt.Errorf("find expired idempotency keys: %w", err)
	}
	for _, k := range keys {
		if _, err := tx.ExecContext(ctx, `DELETE FROM idempotency_learners WHERE tenant_id = $1 AND key_hash = $2`, tenant, k); err != nil {
			return 0, fmt.Errorf("purge idempotent answer: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE tenant_id = $1 AND key_hash = $2`, tenant, k); err != nil {
			return 0, fmt.Errorf("purge idempotent answer: %w", err)
		}
	}
	return len(keys), nil
}
