package sqldb

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/lethehq/lethe"
)

// SCIMTokenService implements lethe.SCIMTokenService.
type SCIMTokenService struct{ db *DB }

// NewSCIMTokenService returns the SCIM token service of db.
func NewSCIMTokenService(db *DB) *SCIMTokenService { return &SCIMTokenService{db: db} }

var _ lethe.SCIMTokenService = (*SCIMTokenService)(nil)

// scimTokenPrefix starts every SCIM token this server makes.
const scimTokenPrefix = "lethe_scim_"

// scimTouchEvery is how often last_used_at is written for a token in use:
// a write per request would queue every SCIM request behind SQLite's one
// writer.
const scimTouchEvery = time.Minute

var errSCIMTokenNotFound = lethe.Errorf(lethe.ENotFound, "SCIM token not found.")

func newSCIMSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return scimTokenPrefix + hex.EncodeToString(b)
}

func (s *SCIMTokenService) secretHash(secret string) []byte {
	return s.db.keyedHash("scim-token", []byte(secret))
}

// checkTokenName validates a token's label.
func checkTokenName(name string) (string, error) {
	name = strings.TrimSpace(name)
	ok := name != "" && utf8.ValidString(name) && utf8.RuneCountInString(name) <= lethe.MaxSCIMTokenNameLength
	for _, r := range name {
		ok = ok && !unicode.IsControl(r)
	}
	if !ok {
		return "", lethe.FieldErrorf(lethe.EInvalid, "name", "invalid",
			"name must be 1 to %d printable characters", lethe.MaxSCIMTokenNameLength)
	}
	return name, nil
}

// CreateSCIMToken implements lethe.SCIMTokenService.
func (s *SCIMTokenService) CreateSCIMToken(ctx context.Context, name string) (*lethe.SCIMToken, string, error) {
	secret := newSCIMSecret()
	t, err := s.insertToken(ctx, name, secret, false)
	return t, secret, err
}

// SetSCIMToken gives tenant a token with a chosen secret, for fixtures
// such as the demo tenant, whose documented examples name a fixed token
// (as TenantService.SetTenantKey sets a fixed API key). A token with that
// secret already (of any tenant) is replaced. ENotFound when there is no
// such tenant.
func (s *SCIMTokenService) SetSCIMToken(ctx context.Context, tenant lethe.TenantID, name, secret string) error {
	if !validKey(secret) {
		return lethe.FieldErrorf(lethe.EInvalid, "token", "invalid", "token must be non-empty text")
	}
	var n int
	if err := s.db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM tenants WHERE id = $1`, string(tenant)).Scan(&n); err != nil {
		return fmt.Errorf("find tenant: %w", err)
	}
	if n == 0 || !validTenantID(tenant) {
		return lethe.Errorf(lethe.ENotFound, "tenant not found")
	}
	ctx = lethe.WithActor(ctx, lethe.Actor{TenantID: tenant, Source: lethe.SourceCLI, Name: "scim-token"})
	_, err := s.insertToken(ctx, name, secret, true)
	return err
}

// insertToken stores a token of the actor's tenant; with replace, a token
// of that secret is deleted first, in the same transaction.
func (s *SCIMTokenService) insertToken(ctx context.Context, name, secret string, replace bool) (t *lethe.SCIMToken, err error) {
	if name, err = checkTokenName(name); err != nil {
		return nil, err
	}
	err = s.db.writeTx(ctx, func(tx *Tx) error {
		if replace {
			if _, err := tx.ExecContext(ctx, `DELETE FROM scim_tokens WHERE secret_hash = $1`, s.secretHash(secret)); err != nil {
				return fmt.Errorf("replace SCIM token: %w", err)
			}
		}
		t = &lethe.SCIMToken{ID: lethe.NewID(tx.now), TenantID: tx.actor.TenantID, Name: name, CreatedAt: tx.now}
		if _, err := tx.ExecContext(ctx, `INSERT INTO scim_tokens (tenant_id, id, name, secret_hash, created_at)
			VALUES ($1, $2, $3, $4, $5)`, string(t.TenantID), t.ID, t.Name, s.secretHash(secret), ms(tx.now)); err != nil {
			return fmt.Errorf("insert SCIM token: %w", err)
		}
		return tx.appendTrail(ctx, "scim_token.created", "", map[string]any{"tokenId": t.ID})
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

func scanSCIMToken(r rowScanner) (*lethe.SCIMToken, error) {
	var t lethe.SCIMToken
	var created int64
	var used sql.NullInt64
	if err := r.Scan(&t.ID, &t.TenantID, &t.Name, &created, &used); err != nil {
		return nil, err
	}
	t.CreatedAt, t.LastUsedAt = fromMS(created), timePtr(used)
	return &t, nil
}

// FindSCIMTokens implements lethe.SCIMTokenService.
func (s *SCIMTokenService) FindSCIMTokens(ctx context.Context) (out []*lethe.SCIMToken, err error) {
	err = s.db.readTx(ctx, func(tx *Tx) error {
		out, err = queryAll(ctx, tx, scanSCIMToken, `SELECT id, tenant_id, name, created_at, last_used_at FROM scim_tokens
			WHERE tenant_id = $1 ORDER BY created_at, id`, string(tx.actor.TenantID))
		if err != nil {
			return fmt.Errorf("find SCIM tokens: %w", err)
		}
		return nil
	})
	if out == nil && err == nil {
		out = []*lethe.SCIMToken{}
	}
	return out, err
}

// RevokeSCIMToken implements lethe.SCIMTokenService.
func (s *SCIMTokenService) RevokeSCIMToken(ctx context.Context, id string) error {
	return s.db.writeTx(ctx, func(tx *Tx) error {
		if !validKey(id) {
			return errSCIMTokenNotFound
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM scim_tokens WHERE tenant_id = $1 AND id = $2`, string(tx.actor.TenantID), id)
		if err != nil {
			return fmt.Errorf("revoke SCIM token: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errSCIMTokenNotFound
		}
		return tx.appendTrail(ctx, "scim_token.revoked", "", map[string]any{"tokenId": id})
	})
}

var errSCIMUnauthenticated = lethe.Errorf(lethe.EUnauthenticated, "Invalid SCIM token.")

// AuthenticateSCIM implements lethe.SCIMTokenService. The token is read
// from the database on every call (no cache), so a revocation holds at once
// on every process; its last use is written at most once a minute.
func (s *SCIMTokenService) AuthenticateSCIM(ctx context.Context, secret string) (*lethe.SCIMToken, error) {
	if !validKey(secret) {
		return nil, errSCIMUnauthenticated
	}
	hash := s.secretHash(secret)
	var stored []byte
	var created int64
	var used sql.NullInt64
	var t lethe.SCIMToken
	err := s.db.read.QueryRowContext(ctx, `SELECT id, tenant_id, name, created_at, last_used_at, secret_hash FROM scim_tokens
		WHERE secret_hash = $1`, hash).Scan(&t.ID, &t.TenantID, &t.Name, &created, &used, &stored)
	if errors.Is(err, sql.ErrNoRows) {
		subtle.ConstantTimeCompare(hash, dummyHash) // the same work as a match
		return nil, errSCIMUnauthenticated
	}
	if err != nil {
		return nil, s.db.classify(fmt.Errorf("authenticate SCIM token: %w", err))
	}
	if subtle.ConstantTimeCompare(hash, stored) != 1 {
		return nil, errSCIMUnauthenticated
	}
	t.CreatedAt, t.LastUsedAt = fromMS(created), timePtr(used)
	now := s.db.Now().UTC().Truncate(time.Millisecond)
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) >= scimTouchEvery || now.Before(*t.LastUsedAt) {
		// Of concurrent requests, the first writes; the others then find
		// the row used within the minute and leave it.
		res, err := s.db.write.ExecContext(ctx, `UPDATE scim_tokens SET last_used_at = $3
			WHERE tenant_id = $1 AND id = $2 AND (last_used_at IS NULL OR last_used_at <= $4 OR last_used_at > $3)`,
			string(t.TenantID), t.ID, ms(now), ms(now.Add(-scimTouchEvery)))
		if err != nil {
			return nil, s.db.classify(fmt.Errorf("record SCIM token use: %w", err))
		}
		if n, _ := res.RowsAffected(); n > 0 {
			t.LastUsedAt = &now
		}
	}
	return &t, nil
}
