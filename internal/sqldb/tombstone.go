package sqldb

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/lethehq/lethe"
)

// tombstoneHash is the keyed hash of an erased ref or email kept in
// tombstones: HMAC-SHA256 under a key of the tenant derived from the
// server secret, so the hashes of one tenant say nothing in another.
func (tx *Tx) tombstoneHash(kind, value string) []byte {
	key := tx.db.keyedHash("tombstone-key", []byte(tx.actor.TenantID))
	m := hmac.New(sha256.New, key)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return m.Sum(nil)
}

// writeTombstones keeps the keyed hashes of p's ref and email with the
// time and the mode (erase, which purge also writes, or anonymize).
func (tx *Tx) writeTombstones(ctx context.Context, p *lethe.Person, mode string) error {
	for kind, v := range map[string]string{"ref": p.Ref, "email": lethe.NormalizeEmail(p.Email)} {
		if v == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO tombstones (tenant_id, kind, hash, erased_at, mode) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (tenant_id, kind, hash) DO UPDATE SET erased_at = excluded.erased_at, mode = excluded.mode`,
			string(tx.actor.TenantID), kind, tx.tombstoneHash(kind, v), ms(tx.now), mode); err != nil {
			return fmt.Errorf("write tombstone: %w", err)
		}
	}
	return nil
}

// erasedAt returns when a person with this ref or email ("" for none) was
// last erased or anonymized within the tenant's tombstone window, or nil.
func (tx *Tx) erasedAt(ctx context.Context, ref, email string) (*time.Time, error) {
	at, _, err := tx.tombstone(ctx, ref, email)
	return at, err
}

// refErased reports whether the last person who held ref was erased (or
// purged) within the tombstone window: deleting the ref again then
// repeats that erasure. A ref whose holder was anonymized names no one:
// the account stays, and nothing leads from its old ref to it.
func (tx *Tx) refErased(ctx context.Context, ref string) (bool, error) {
	at, mode, err := tx.tombstone(ctx, ref, "")
	return at != nil && mode == lethe.ModeErase, err
}

// tombstone returns the latest tombstone of ref or email within the
// tenant's window: when, and the mode of the erasure that wrote it.
func (tx *Tx) tombstone(ctx context.Context, ref, email string) (*time.Time, string, error) {
	s, err := tx.settings(ctx)
	if err != nil {
		return nil, "", err
	}
	since := ms(tx.now.Add(-time.Duration(s.Deletion.TombstoneDays) * lethe.Day))
	var latest *time.Time
	var latestMode string
	for kind, v := range map[string]string{"ref": ref, "email": lethe.NormalizeEmail(email)} {
		if v == "" {
			continue
		}
		var at int64
		var mode string
		err := tx.QueryRowContext(ctx, `SELECT erased_at, mode FROM tombstones WHERE tenant_id = $1 AND kind = $2 AND hash = $3 AND erased_at >= $4`,
			string(tx.actor.TenantID), kind, tx.tombstoneHash(kind, v), since).Scan(&at, &mode)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, "", fmt.Errorf("find tombstone: %w", err)
		}
		if t := fromMS(at); latest == nil || t.After(*latest) {
			latest, latestMode = &t, mode
		}
	}
	return latest, latestMode, nil
}
