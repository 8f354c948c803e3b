package server

import (
	"encoding/json"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/rest"
)

// serveBearer authenticates an OAuth bearer token and checks its scopes
// against the request (lethe.OAuthScopesAllow).
func (s *Server) serveBearer(w http.ResponseWriter, r *http.Request, token string, next http.Handler) {
	t, err := s.cfg.OAuth.AuthenticateOAuth(r.Context(), token)
	if err != nil {
		if lethe.ErrorCode(err) == lethe.EInternal {
			s.cfg.Logger.Error("authenticate", "request_id", r.Header.Get("X-Request-Id"), "error", err.Error())
		}
		rest.WriteError(w, err)
		return
	}
	if !lethe.OAuthScopesAllow(t.Scopes, r.Method, r.URL.Path) {
		// The path is not named: it can carry a ref or an email.
		rest.WriteError(w, lethe.Errorf(lethe.EForbidden, "This token's scopes (%s) do not allow this %s request; it needs one of: %s.",
			strings.Join(t.Scopes, " "), r.Method, strings.Join(lethe.OAuthScopesNeeded(r.Method, r.URL.Path), ", ")))
		return
	}
	ctx := lethe.WithActor(r.Context(), lethe.Actor{TenantID: t.TenantID, Source: lethe.SourceAPI, Name: "oauth:" + t.ClientID})
	next.ServeHTTP(w, r.WithContext(ctx))
}

// Token endpoint limits: a client id with tokenMaxFailures failed
// authentications within tokenWindow is refused (429) until the window
// ends; at most tokenMaxTracked client ids are tracked (the oldest window
// is dropped first when full).
const (
	tokenMaxFailures = 10
	tokenWindow      = time.Minute
	tokenMaxTracked  = 10000
	tokenMaxBody     = 8 << 10
)

type failures struct {
	start time.Time
	n     int
}

// limiter counts failed client authentications per client id, in memory.
type limiter struct {
	mu  sync.Mutex
	now func() time.Time
	m   map[string]*failures
}

// blocked returns how long id is refused, zero when it is not.
func (l *limiter) blocked(id string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.m[id]
	if f == nil || l.now().Sub(f.start) >= tokenWindow {
		return 0
	}
	if f.n >= tokenMaxFailures {
		return tokenWindow - l.now().Sub(f.start)
	}
	return 0
}

func (l *limiter) fail(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	f := l.m[id]
	if f == nil || now.Sub(f.start) >= tokenWindow {
		if len(l.m) >= tokenMaxTracked {
			for k, v := range l.m {
				if now.Sub(v.start) >= tokenWindow {
					delete(l.m, k)
				}
			}
			if len(l.m) >= tokenMaxTracked {
				for k := range l.m { // full of live windows: drop any one
					delete(l.m, k)
					break
				}
			}
		}
		f = &failures{start: now}
		l.m[id] = f
	}
	f.n++
}

type tokenEndpoint struct {
	oauth  lethe.OAuthService
	logger *slog.Logger
	limit  *limiter
}

func newTokenEndpoint(o lethe.OAuthService, logger *slog.Logger) *tokenEndpoint {
	return &tokenEndpoint{oauth: o, logger: logger, limit: &limiter{now: time.Now, m: map[string]*failures{}}}
}

type tokenError struct {
	status      int
	code, descr string
}

func writeTokenJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (e *tokenEndpoint) writeError(w http.ResponseWriter, basic bool, te tokenError) {
	if te.status == http.StatusUnauthorized && basic {
		w.Header().Set("WWW-Authenticate", `Basic realm="lethe"`)
	}
	writeTokenJSON(w, te.status, map[string]string{"error": te.code, "error_description": te.descr})
}

func badRequest(descr string) *tokenError {
	return &tokenError{http.StatusBadRequest, "invalid_request", descr}
}

// credentials reads the grant and the client's credentials from r.
func credentials(r *http.Request) (id, secret string, basic bool, form url.Values, te *tokenError) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return "", "", false, nil, badRequest("The body must be application/x-www-form-urlencoded.")
	}
	r.Body = http.MaxBytesReader(nil, r.Body, tokenMaxBody)
	if err := r.ParseForm(); err != nil {
		return "", "", false, nil, badRequest("The body is not a valid form.")
	}
	form = r.PostForm
	for k, v := range form {
		if len(v) > 1 {
			return "", "", false, nil, badRequest("The parameter " + k + " is repeated.")
		}
	}
	id, secret, basic = r.BasicAuth()
	if basic {
		if form.Has("client_id") || form.Has("client_secret") {
			return "", "", true, nil, badRequest("Use one client authentication: HTTP Basic or form fields, not both.")
		}
		var e1, e2 error
		id, e1 = url.QueryUnescape(id)
		secret, e2 = url.QueryUnescape(secret)
		if e1 != nil || e2 != nil {
			return "", "", true, nil, badRequest("The Basic credentials are not form-urlencoded.")
		}
	} else {
		id, secret = form.Get("client_id"), form.Get("client_secret")
	}
	if id == "" || secret == "" {
		return "", "", basic, nil, &tokenError{http.StatusUnauthorized, "invalid_client", "Client authentication is required."}
	}
	switch gt := form.Get("grant_type"); {
	case gt == "":
		return "", "", basic, nil, badRequest("grant_type is required.")
	case gt != "client_credentials":
		return "", "", basic, nil, &tokenError{http.StatusBadRequest, "unsupported_grant_type", "Only client_credentials is supported."}
	}
	return id, secret, basic, form, nil
}

func (e *tokenEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id, secret, basic, form, te := credentials(r)
	if te != nil {
		e.writeError(w, basic, *te)
		return
	}
	if wait := e.limit.blocked(id); wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)+1))
		e.writeError(w, basic, tokenError{http.StatusTooManyRequests, "slow_down", "Too many failed attempts for this client; retry later."})
		return
	}
	var scopes []string
	if form.Has("scope") {
		if scopes = strings.Fields(form.Get("scope")); len(scopes) == 0 {
			e.writeError(w, basic, tokenError{http.StatusBadRequest, "invalid_scope", "scope is empty."})
			return
		}
	}
	token, t, err := e.oauth.IssueOAuthToken(r.Context(), lethe.TenantID(r.PathValue("tenantId")), id, secret, scopes)
	switch lethe.ErrorCode(err) {
	case "":
	case lethe.EUnauthenticated:
		e.limit.fail(id)
		e.writeError(w, basic, tokenError{http.StatusUnauthorized, "invalid_client", "Client authentication failed."})
		return
	case lethe.EInvalid:
		e.writeError(w, basic, tokenError{http.StatusBadRequest, "invalid_scope", "The scope is unknown or not granted to this client."})
		return
	case lethe.EUnavailable:
		w.Header().Set("Retry-After", "1")
		e.writeError(w, basic, tokenError{http.StatusServiceUnavailable, "temporarily_unavailable", "The database is unavailable; retry shortly."})
		return
	default:
		e.logger.Error("oauth token", "request_id", r.Header.Get("X-Request-Id"), "error", err.Error())
		e.writeError(w, basic, tokenError{http.StatusInternalServerError, "server_error", "The token could not be issued."})
		return
	}
	writeTokenJSON(w, http.StatusOK, map[string]any{"access_token": token, "token_type": "Bearer",
		"expires_in": int(lethe.OAuthTokenLifetime / time.Second), "scope": strings.Join(t.Scopes, " ")})
}
