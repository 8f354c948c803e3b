package sqldb

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/lethehq/lethe"
)

// TenantService implements lethe.TenantService.
type TenantService struct{ db *DB }

// NewTenantService returns the tenant service of db.
func NewTenantService(db *DB) *TenantService { return &TenantService{db: db} }

var _ lethe.TenantService = (*TenantService)(nil)

func newAPIKey() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return "lethe_" + base64.RawURLEncoding.EncodeToString(b)
}

func (s *TenantService) keyHash(id lethe.TenantID, key string) []byte {
	return s.db.keyedHash("tenant-api-key", []byte(id), []byte(key))
}

// validTenantID: a tenant id is the user name of Basic authentication, so it
// must not contain a colon; it is also kept short and printable.
func validTenantID(id lethe.TenantID) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.", r)) {
			return false
		}
	}
	return true
}

// CreateTenant implements lethe.TenantService.
func (s *TenantService) CreateTenant(ctx context.Context, id lethe.TenantID, name string) (*lethe.Tenant, string, error) {
	now := s.db.Now().UTC().Truncate(1e6)
	if id == "" {
		id = lethe.TenantID(lethe.NewID(now))
	}
	if !validTenantID(id) {
		return nil, "", lethe.FieldErrorf(lethe.EInvalid, "id", "invalid", "tenant id must be 1-64 letters, digits, '-', '_' or '.'")
	}
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 200 {
		return nil, "", lethe.FieldErrorf(lethe.EInvalid, "name", "invalid", "tenant name must be 1-200 characters")
	}
	key := newAPIKey()
	_, err := s.db.write.ExecContext(ctx,
		`INSERT INTO tenants (id, name, api_key_hash, created_at, key_rotated_at) VALUES ($1, $2, $3, $4, $4)`,
		string(id), name, s.keyHash(id, key), ms(now))
	if s.db.dialect.isUniqueViolation(err) {
		return nil, "", lethe.FieldErrorf(lethe.EConflict, "id", "taken", "a tenant with this id already exists")
	}
	if err != nil {
		return nil, "", fmt.Errorf("create tenant: %w", err)
	}
	return &lethe.Tenant{ID: id, Name: name, CreatedAt: now}, key, nil
}

// FindTenants implements lethe.TenantService.
func (s *TenantService) FindTenants(ctx context.Context) ([]*lethe.Tenant, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT id, name, created_at FROM tenants ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("find tenants: %w", err)
	}
	defer rows.Close()
	var out []*lethe.Tenant
	for rows.Next() {
		var t lethe.Tenant
		var created int64
		if err := rows.Scan(&t.ID, &t.Name, &created); err != nil {
			return nil, err
		}
		t.CreatedAt = fromMS(created)
		out = append(out, &t)
	}
	return out, rows.Err()
}

// RotateTenantKey implements lethe.TenantService.
func (s *TenantService) RotateTenantKey(ctx context.Context, id lethe.TenantID) (string, error) {
	key := newAPIKey()
	return key, s.SetTenantKey(ctx, id, key)
}

// SetTenantKey implements lethe.TenantService.
func (s *TenantService) SetTenantKey(ctx context.Context, id lethe.TenantID, key string) error {
	res, err := s.db.write.ExecContext(ctx, `UPDATE tenants SET api_key_hash = $1, key_rotated_at = $2 WHERE id = $3`,
		s.keyHash(id, key), ms(s.db.Now()), string(id))
	if err != nil {
		return fmt.Errorf("set tenant key: %w", err)
	}
	s.db.tenants.forget(id)
	if n, _ := res.RowsAffected(); n == 0 {
		return lethe.Errorf(lethe.ENotFound, "tenant not found")
	}
	return nil
}

// dummyHash is compared against when the tenant does not exist, so a wrong
// tenant id costs the same time as a wrong key.
var dummyHash = make([]byte, 32)

// Authenticate implements lethe.TenantService. The tenant row is read at
// most once per authTTL per tenant while keys match (tenantCache): reading
// it was a sixth of a small request's time. A key that does not match the
// kept row is checked against the database, so a new key works at once. A
// key rotated by this process is refused at once; one rotated by another
// process sharing the database (the CLI, a second server) within authTTL.
func (s *TenantService) Authenticate(ctx context.Context, id lethe.TenantID, key string) (*lethe.Tenant, error) {
	hash := s.keyHash(id, key)
	t, stored, cached, err := s.tenantRow(ctx, id, true)
	if err == nil && cached && subtle.ConstantTimeCompare(hash, stored) != 1 {
		t, stored, _, err = s.tenantRow(ctx, id, false)
	}
	if err != nil {
		return nil, err
	}
	ok := subtle.ConstantTimeCompare(hash, stored) == 1
	if !ok || t == nil {
		return nil, lethe.Errorf(lethe.EUnauthenticated, "Invalid tenant id or API key.")
	}
	return t, nil
}

// tenantRow returns tenant id and its key hash, from the cache when fresh
// and allowed; a nil tenant and dummyHash when there is no such tenant.
func (s *TenantService) tenantRow(ctx context.Context, id lethe.TenantID, useCache bool) (_ *lethe.Tenant, hash []byte, cached bool, _ error) {
	if !validTenantID(id) {
		return nil, dummyHash, false, nil // no tenant has an invalid id; PostgreSQL would refuse some (NUL bytes, bad UTF-8)
	}
	now := time.Now()
	kept, hash, ok, gen := s.db.tenants.get(id, now)
	if ok && useCache {
		return kept, hash, true, nil
	}
	var t lethe.Tenant
	var stored []byte
	var created int64
	err := s.db.read.QueryRowContext(ctx, `SELECT id, name, created_at, api_key_hash FROM tenants WHERE id = $1`, string(id)).
		Scan(&t.ID, &t.Name, &created, &stored)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, dummyHash, false, nil
	} else if err != nil {
		return nil, nil, false, s.db.classify(fmt.Errorf("authenticate: %w", err))
	}
	t.CreatedAt = fromMS(created)
	s.db.tenants.put(&t, stored, now, gen)
	return &t, stored, false, nil
}

// authTTL is how long Authenticate trusts a tenant row it has read.
const authTTL = time.Second

// tenantCache keeps the tenant rows Authenticate read, up to
// tenantCacheSize tenants (existing ones only: unknown ids are not kept).
// gen counts forgets: a row read before a key changed is not kept after.
type tenantCache struct {
	mu   sync.Mutex
	rows map[lethe.TenantID]tenantEntry
	gen  uint64
}

type tenantEntry struct {
	t    lethe.Tenant
	hash []byte
	read time.Time
}

const tenantCacheSize = 1024

// get returns the fresh row of tenant id, if kept, and the generation to
// put a row read now with.
func (c *tenantCache) get(id lethe.TenantID, now time.Time) (*lethe.Tenant, []byte, bool, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.rows[id]
	if !ok || now.Sub(e.read) >= authTTL || now.Before(e.read) {
		return nil, nil, false, c.gen
	}
	t := e.t
	return &t, e.hash, true, c.gen
}

func (c *tenantCache) put(t *lethe.Tenant, hash []byte, now time.Time, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return // a key changed while the row was read
	}
	if c.rows == nil || len(c.rows) >= tenantCacheSize {
		c.rows = map[lethe.TenantID]tenantEntry{}
	}
	c.rows[t.ID] = tenantEntry{t: *t, hash: hash, read: now}
}

// forget drops what the cache knows of tenant id (its key changed).
func (c *tenantCache) forget(id lethe.TenantID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.rows, id)
	c.gen++
}
