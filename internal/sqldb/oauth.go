package sqldb

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/lethehq/lethe"
)

// OAuthService implements lethe.OAuthService.
//
// Tokens are stateless: "lethe_oat_" + base64url(payload) + "." +
// base64url(HMAC-SHA256 of the payload under the server secret, purpose
// "oauth-token"). The payload is JSON naming the tenant, the client, the
// scopes, the expiry (Unix seconds) and a random nonce. Verification checks
// the MAC, the expiry, and reads the client's row (one key lookup, no
// cache), so a revocation holds at once on every process.
type OAuthService struct{ db *DB }

// NewOAuthService returns the OAuth service of db.
func NewOAuthService(db *DB) *OAuthService { return &OAuthService{db: db} }

var _ lethe.OAuthService = (*OAuthService)(nil)

const (
	oauthSecretPrefix = "lethe_ocs_"
	oauthTokenPrefix  = "lethe_oat_"
	oauthTouchEvery   = time.Minute
)

var (
	errOAuthClientNotFound = lethe.Errorf(lethe.ENotFound, "OAuth client not found.")
	errOAuthClient         = lethe.Errorf(lethe.EUnauthenticated, "Client authentication failed.")
	errOAuthToken          = lethe.Errorf(lethe.EUnauthenticated, "Invalid or expired access token.")
)

type oauthPayload struct {
	Tenant  string `json:"t"`
	Client  string `json:"c"`
	Scopes  string `json:"s"`
	Expires int64  `json:"e"`
	Nonce   string `json:"n"`
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b)
}

func (s *OAuthService) secretHash(secret string) []byte {
	return s.db.keyedHash("oauth-client-secret", []byte(secret))
}

// CheckOAuthScopes validates a list of scopes (entries may hold several,
// space-separated) and returns them deduplicated in lethe.OAuthScopes'
// order. EInvalid naming field when one is unknown or there are none.
func CheckOAuthScopes(field string, scopes []string) ([]string, error) {
	var out []string
	for _, entry := range scopes {
		for _, sc := range strings.Fields(entry) {
			if !slices.Contains(lethe.OAuthScopes, sc) {
				return nil, lethe.FieldErrorf(lethe.EInvalid, field, "invalid",
					"%s must be among %s", field, strings.Join(lethe.OAuthScopes, ", "))
			}
			if !slices.Contains(out, sc) {
				out = append(out, sc)
			}
		}
	}
	if len(out) == 0 {
		return nil, lethe.FieldErrorf(lethe.EInvalid, field, "required", "%s must name at least one scope", field)
	}
	slices.SortFunc(out, func(a, b string) int {
		return slices.Index(lethe.OAuthScopes, a) - slices.Index(lethe.OAuthScopes, b)
	})
	return out, nil
}

func checkClientName(name string) (string, error) {
	name = strings.TrimSpace(name)
	ok := name != "" && utf8.ValidString(name) && utf8.RuneCountInString(name) <= lethe.MaxOAuthClientNameLength
	for _, r := range name {
		ok = ok && !unicode.IsControl(r)
	}
	if !ok {
		return "", lethe.FieldErrorf(lethe.EInvalid, "name", "invalid",
			"name must be 1 to %d printable characters", lethe.MaxOAuthClientNameLength)
	}
	return name, nil
}

// CreateOAuthClient implements lethe.OAuthService.
func (s *OAuthService) CreateOAuthClient(ctx context.Context, name string, scopes []string) (c *lethe.OAuthClient, secret string, err error) {
	if name, err = checkClientName(name); err != nil {
		return nil, "", err
	}
	if scopes, err = CheckOAuthScopes("scopes", scopes); err != nil {
		return nil, "", err
	}
	secret = oauthSecretPrefix + randomHex(32)
	err = s.db.writeTx(ctx, func(tx *Tx) error {
		c = &lethe.OAuthClient{ID: lethe.NewID(tx.now), Name: name, Scopes: scopes, CreatedAt: tx.now}
		if _, err := tx.ExecContext(ctx, `INSERT INTO oauth_clients (tenant_id, id, name, scopes, secret_hash, created_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, string(tx.actor.TenantID), c.ID, c.Name, strings.Join(scopes, " "),
			s.secretHash(secret), ms(tx.now)); err != nil {
			return fmt.Errorf("insert OAuth client: %w", err)
		}
		return tx.appendTrail(ctx, "oauth_client.created", "", map[string]any{"clientId": c.ID})
	})
	if err != nil {
		return nil, "", err
	}
	return c, secret, nil
}

func scanOAuthClient(r rowScanner) (*lethe.OAuthClient, error) {
	var c lethe.OAuthClient
	var scopes string
	var created int64
	var used sql.NullInt64
	if err := r.Scan(&c.ID, &c.Name, &scopes, &created, &used); err != nil {
		return nil, err
	}
	c.Scopes, c.CreatedAt, c.LastUsedAt = strings.Fields(scopes), fromMS(created), timePtr(used)
	return &c, nil
}

// FindOAuthClients implements lethe.OAuthService.
func (s *OAuthService) FindOAuthClients(ctx context.Context) (out []*lethe.OAuthClient, err error) {
	err = s.db.readTx(ctx, func(tx *Tx) error {
		out, err = queryAll(ctx, tx, scanOAuthClient, `SELECT id, name, scopes, created_at, last_used_at FROM oauth_clients
			WHERE tenant_id = $1 ORDER BY created_at, id`, string(tx.actor.TenantID))
		if err != nil {
			return fmt.Errorf("find OAuth clients: %w", err)
		}
		return nil
	})
	if out == nil && err == nil {
		out = []*lethe.OAuthClient{}
	}
	return out, err
}

// RevokeOAuthClient implements lethe.OAuthService.
func (s *OAuthService) RevokeOAuthClient(ctx context.Context, id string) error {
	return s.db.writeTx(ctx, func(tx *Tx) error {
		if !validKey(id) {
			return errOAuthClientNotFound
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM oauth_clients WHERE tenant_id = $1 AND id = $2`, string(tx.actor.TenantID), id)
		if err != nil {
			return fmt.Errorf("revoke OAuth client: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errOAuthClientNotFound
		}
		return tx.appendTrail(ctx, "oauth_client.revoked", "", map[string]any{"clientId": id})
	})
}

// clientRow reads a client's scopes and secret hash; ok false when there
// is none.
func (s *OAuthService) clientRow(ctx context.Context, tenant, id string) (scopes []string, hash []byte, ok bool, err error) {
	if !validKey(tenant) || !validKey(id) {
		return nil, nil, false, nil
	}
	var sc string
	err = s.db.read.QueryRowContext(ctx, `SELECT scopes, secret_hash FROM oauth_clients WHERE tenant_id = $1 AND id = $2`,
		tenant, id).Scan(&sc, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, false, nil
	}
	if err != nil {
		return nil, nil, false, s.db.classify(fmt.Errorf("find OAuth client: %w", err))
	}
	return strings.Fields(sc), hash, true, nil
}

// IssueOAuthToken implements lethe.OAuthService.
func (s *OAuthService) IssueOAuthToken(ctx context.Context, tenant lethe.TenantID, clientID, secret string,
	scopes []string) (string, *lethe.OAuthToken, error) {
	have, stored, ok, err := s.clientRow(ctx, string(tenant), clientID)
	if err != nil {
		return "", nil, err
	}
	hash := s.secretHash(secret)
	if !ok {
		subtle.ConstantTimeCompare(hash, dummyHash) // the same work as a match
		return "", nil, errOAuthClient
	}
	if subtle.ConstantTimeCompare(hash, stored) != 1 {
		return "", nil, errOAuthClient
	}
	if scopes == nil {
		scopes = have
	} else if scopes, err = CheckOAuthScopes("scope", scopes); err != nil {
		return "", nil, err
	}
	for _, sc := range scopes {
		if !slices.Contains(have, sc) {
			return "", nil, lethe.FieldErrorf(lethe.EInvalid, "scope", "invalid", "scope %s is not granted to this client", sc)
		}
	}
	now := s.db.Now().UTC()
	t := &lethe.OAuthToken{TenantID: tenant, ClientID: clientID, Scopes: scopes,
		ExpiresAt: now.Add(lethe.OAuthTokenLifetime).Truncate(time.Second)}
	p, _ := json.Marshal(oauthPayload{Tenant: string(tenant), Client: clientID, Scopes: strings.Join(scopes, " "),
		Expires: t.ExpiresAt.Unix(), Nonce: randomHex(12)})
	enc := base64.RawURLEncoding
	body := enc.EncodeToString(p)
	token := oauthTokenPrefix + body + "." + enc.EncodeToString(s.db.keyedHash("oauth-token", []byte(body)))
	s.touch(ctx, string(tenant), clientID, now)
	return token, t, nil
}

// touch records a client's use, at most once a minute; a failure is not
// the caller's (the token stands).
func (s *OAuthService) touch(ctx context.Context, tenant, id string, now time.Time) {
	now = now.Truncate(time.Millisecond)
	_, _ = s.db.write.ExecContext(ctx, `UPDATE oauth_clients SET last_used_at = $3
		WHERE tenant_id = $1 AND id = $2 AND (last_used_at IS NULL OR last_used_at <= $4 OR last_used_at > $3)`,
		tenant, id, ms(now), ms(now.Add(-oauthTouchEvery)))
}

// AuthenticateOAuth implements lethe.OAuthService.
func (s *OAuthService) AuthenticateOAuth(ctx context.Context, token string) (*lethe.OAuthToken, error) {
	rest, ok := strings.CutPrefix(token, oauthTokenPrefix)
	body, mac, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 || len(token) > 2048 {
		return nil, errOAuthToken
	}
	enc := base64.RawURLEncoding
	got, err := enc.DecodeString(mac)
	if err != nil || !hmac.Equal(got, s.db.keyedHash("oauth-token", []byte(body))) {
		return nil, errOAuthToken
	}
	raw, err := enc.DecodeString(body)
	var p oauthPayload
	if err != nil || json.Unmarshal(raw, &p) != nil {
		return nil, errOAuthToken
	}
	exp := time.Unix(p.Expires, 0).UTC()
	if !s.db.Now().Before(exp) {
		return nil, errOAuthToken
	}
	have, _, ok, err := s.clientRow(ctx, p.Tenant, p.Client)
	if err != nil {
		return nil, err
	}
	scopes := strings.Fields(p.Scopes)
	for _, sc := range scopes {
		ok = ok && slices.Contains(have, sc)
	}
	if !ok {
		return nil, errOAuthToken
	}
	return &lethe.OAuthToken{TenantID: lethe.TenantID(p.Tenant), ClientID: p.Client, Scopes: scopes, ExpiresAt: exp}, nil
}
