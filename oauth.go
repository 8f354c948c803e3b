package lethe

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"
)

// OAuth 2.0 client credentials (RFC 6749 §4.4) are the vendor's second way
// in beside an API key: a client of a tenant trades its id and secret at
// POST /oauth2/token/{tenantId} for a bearer token that lives
// OAuthTokenLifetime and carries scopes. A token names a tenant, a client,
// its scopes and its expiry; no personal data.

// OAuth scopes. ScopeAll is everything an API key may do; ScopeSCIM grants
// only the SCIM surface (/scim/v2).
const (
	ScopeAll      = "api/all"
	ScopeRead     = "api/read"
	ScopeWrite    = "api/write"
	ScopeWebhooks = "api/webhooks"
	ScopeSCIM     = "scim"
)

// OAuthScopes lists every scope, in the order they are shown.
var OAuthScopes = []string{ScopeAll, ScopeRead, ScopeWrite, ScopeWebhooks, ScopeSCIM}

// OAuthTokenLifetime is how long an issued token is valid (the vendor's
// expires_in).
const OAuthTokenLifetime = 3600 * time.Second

// MaxOAuthClientNameLength bounds a client's label, in characters.
const MaxOAuthClientNameLength = 100

// OAuthClient is a tenant's OAuth client. Its secret is shown once, at
// creation, and kept only as a keyed hash.
type OAuthClient struct {
	ID         string
	Name       string
	Scopes     []string
	CreatedAt  time.Time
	LastUsedAt *time.Time
}

// OAuthToken is a verified bearer token.
type OAuthToken struct {
	TenantID  TenantID
	ClientID  string
	Scopes    []string
	ExpiresAt time.Time
}

// OAuthService manages a tenant's clients (the actor's tenant) and the
// tokens they are issued.
type OAuthService interface {
	// CreateOAuthClient makes a client with the given scopes; the secret
	// is returned once. EInvalid naming "name" or "scopes".
	CreateOAuthClient(ctx context.Context, name string, scopes []string) (*OAuthClient, string, error)
	// FindOAuthClients lists the tenant's clients, oldest first.
	FindOAuthClients(ctx context.Context) ([]*OAuthClient, error)
	// RevokeOAuthClient deletes a client; its live tokens stop working.
	// ENotFound when the tenant has no such client.
	RevokeOAuthClient(ctx context.Context, id string) error
	// IssueOAuthToken checks a client's id and secret against tenant and
	// returns a token with scopes (nil: all the client's). EUnauthenticated
	// for a wrong client, secret or tenant; EInvalid naming "scope" for a
	// scope the client does not have.
	IssueOAuthToken(ctx context.Context, tenant TenantID, clientID, secret string, scopes []string) (token string, t *OAuthToken, err error)
	// AuthenticateOAuth verifies a bearer token: its signature, expiry and
	// that its client is not revoked. EUnauthenticated otherwise.
	AuthenticateOAuth(ctx context.Context, token string) (*OAuthToken, error)
}

// underPath reports whether p is prefix or below it, on a segment boundary.
func underPath(p, prefix string) bool {
	return p == prefix || strings.HasPrefix(p, prefix+"/")
}

// OAuthScopesNeeded returns the scopes of which a token needs one for a
// request of method to path. The rules: /scim/v2 needs scim (and scim
// grants nothing else); credential management (/lethe/v1/oauth/clients,
// /lethe/v1/scim/tokens) needs api/all; webhooks (/rest/v1/webhooks,
// /lethe/v1/webhooks) need api/webhooks or api/all, whatever the method;
// otherwise GET and HEAD need api/read, api/write or api/all, and other
// methods api/write or api/all.
func OAuthScopesNeeded(method, path string) []string {
	switch {
	case underPath(path, "/scim/v2"):
		return []string{ScopeSCIM}
	case underPath(path, "/lethe/v1/oauth/clients"), underPath(path, "/lethe/v1/scim/tokens"):
		return []string{ScopeAll}
	case underPath(path, "/rest/v1/webhooks"), underPath(path, "/lethe/v1/webhooks"):
		return []string{ScopeWebhooks, ScopeAll}
	case method == http.MethodGet || method == http.MethodHead:
		return []string{ScopeRead, ScopeWrite, ScopeAll}
	default:
		return []string{ScopeWrite, ScopeAll}
	}
}

// OAuthScopesAllow reports whether a token with scopes may make a request
// of method to path (see OAuthScopesNeeded).
func OAuthScopesAllow(scopes []string, method, path string) bool {
	for _, s := range OAuthScopesNeeded(method, path) {
		if slices.Contains(scopes, s) {
			return true
		}
	}
	return false
}
