package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/rest"
)

// Config is what the server needs.
type Config struct {
	Logger  *slog.Logger
	Tenants lethe.TenantService
	REST    *rest.Handler
	// SCIM serves /scim/v2 (any case) with its own bearer auth; nil: not
	// served. A handler with a Route(*http.Request) string method names
	// its routes for the access log.
	SCIM http.Handler
	// Console serves the admin console under /admin, with its own
	// sign-in; nil: not served. Like SCIM, it names its routes with a
	// Route(*http.Request) string method.
	Console http.Handler
	// OAuth issues and checks OAuth 2.0 client-credentials tokens
	// (POST /oauth2/token/{tenantId}, Bearer on /rest and /lethe/v1); nil:
	// not served.
	OAuth lethe.OAuthService
	// Ready reports whether the server can take traffic (the database answers).
	Ready func(ctx context.Context) error
	// ShutdownTimeout bounds how long in-flight requests may take to finish.
	ShutdownTimeout time.Duration
}

// Server serves HTTP until its context ends, then shuts down gracefully.
type Server struct {
	cfg     Config
	mux     *http.ServeMux
	httpSrv *http.Server
}

// New builds the server and its routes.
func New(cfg Config) *Server {
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = 30 * time.Second
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeStatusJSON(w, http.StatusOK, "ok")
	})
	s.mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if cfg.Ready != nil && cfg.Ready(ctx) != nil {
			writeStatusJSON(w, http.StatusServiceUnavailable, "unavailable")
			return
		}
		writeStatusJSON(w, http.StatusOK, "ok")
	})
	s.mux.HandleFunc("GET /openapi.json", serveOpenAPI)
	if cfg.OAuth != nil {
		s.mux.Handle("POST /oauth2/token/{tenantId}", newTokenEndpoint(cfg.OAuth, cfg.Logger))
	}
	for _, rt := range cfg.REST.Routes() {
		s.mux.Handle(rt.Method+" "+rt.Pattern, s.authenticate(rt.Handler))
	}
	s.httpSrv = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
	}
	return s
}

func writeStatusJSON(w http.ResponseWriter, code int, status string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write([]byte(`{"status":"` + status + `"}` + "\n"))
}

// Handler is the whole HTTP handler with its middleware.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// Serve accepts connections on ln until ctx ends, then stops accepting, lets
// in-flight requests finish (up to ShutdownTimeout) and returns.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- s.httpSrv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	err := s.httpSrv.Shutdown(sctx)
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return serr
	}
	return err
}

// statusWriter remembers the status code for the access log.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// requestID keeps a well-formed incoming X-Request-Id or makes a new one.
func requestID(r *http.Request) string {
	if id := r.Header.Get("X-Request-Id"); id != "" && len(id) <= 64 && isToken(id) {
		return id
	}
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func isToken(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.", r)) {
			return false
		}
	}
	return true
}

// serveHTTP is the middleware chain: request id, access log, recovery, body
// limit, then routing with vendor-style 404 and 405 bodies.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := requestID(r)
	r.Header.Set("X-Request-Id", id)
	w.Header().Set("X-Request-Id", id)
	sw := &statusWriter{ResponseWriter: w}
	// The mux would redirect a path that is not canonical to the cleaned
	// one, which a client following it takes for another resource (DELETE
	// members/.. is a DELETE of the audience): no path is ever redirected.
	canonical, pattern := canonicalPath(r.URL.EscapedPath()), ""
	scim := s.cfg.SCIM != nil && isSCIMPath(r.URL.EscapedPath())
	console := s.cfg.Console != nil && canonical && isConsolePath(r.URL.EscapedPath())
	switch {
	case scim:
		pattern = "scim"
		if n, ok := s.cfg.SCIM.(interface{ Route(*http.Request) string }); ok {
			pattern = n.Route(r)
		}
	case console:
		pattern = "admin"
		if n, ok := s.cfg.Console.(interface{ Route(*http.Request) string }); ok {
			pattern = n.Route(r)
		}
	case canonical:
		_, pattern = s.mux.Handler(r)
	}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			// The panic value is not logged: it could carry request data.
			s.cfg.Logger.Error("panic", "request_id", id, "route", pattern)
			switch {
			case sw.status != 0:
			case scim:
				writeSCIMPanic(sw)
			default:
				rest.WriteError(sw, errors.New("panic"))
			}
		}
		route := pattern
		if route == "" {
			route = "unmatched"
		}
		s.cfg.Logger.Info("request", "request_id", id, "method", r.Method, "route", route,
			"status", sw.status, "bytes", sw.bytes, "duration_ms", float64(time.Since(start).Microseconds())/1000)
	}()
	if scim {
		// The SCIM handler answers a body over the limit in its own form.
		r.Body = http.MaxBytesReader(sw, r.Body, scimBodyLimit)
		s.cfg.SCIM.ServeHTTP(sw, r)
		return
	}
	if console {
		s.cfg.Console.ServeHTTP(sw, r) // it limits its own bodies and answers its own errors in HTML
		return
	}
	if !canonical {
		rest.WriteStatus(sw, http.StatusNotFound, string(lethe.ENotFound), "No such endpoint.", nil)
		return
	}
	limit, limitText := s.cfg.REST.BodyLimit(pattern)
	if r.ContentLength > limit {
		rest.WriteError(sw, lethe.Errorf(lethe.ETooLarge, "The request body must be at most %s.", limitText))
		return
	}
	r.Body = http.MaxBytesReader(sw, r.Body, limit)
	if pattern == "" {
		s.notRouted(sw, r)
		return
	}
	s.mux.ServeHTTP(sw, r)
}

// scimPrefix is where SCIM is served; the prefix is matched ignoring case,
// as identity providers send it.
const scimPrefix = "/scim/v2"

// scimBodyLimit bounds a SCIM request body.
const scimBodyLimit = 1 << 20

// isSCIMPath reports whether an escaped path is under scimPrefix.
func isSCIMPath(p string) bool {
	return len(p) >= len(scimPrefix) && strings.EqualFold(p[:len(scimPrefix)], scimPrefix) &&
		(len(p) == len(scimPrefix) || p[len(scimPrefix)] == '/')
}

// isConsolePath reports whether an escaped path is the console's: /admin
// or below it.
func isConsolePath(p string) bool { return p == "/admin" || strings.HasPrefix(p, "/admin/") }

// writeSCIMPanic answers a panic under /scim/v2 in the SCIM error schema.
func writeSCIMPanic(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/scim+json")
	w.WriteHeader(http.StatusInternalServerError)
	w.Write([]byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"500","detail":"An internal error has occurred."}` + "\n"))
}

// canonicalPath reports whether an escaped request path is in the form the
// mux routes without a redirect: it starts with "/" and has no empty segment
// but a trailing one ("//") and no segment that is, or unescapes to, "." or
// ".." (%2e%2e would reach a handler as the path value "..").
func canonicalPath(escaped string) bool {
	if !strings.HasPrefix(escaped, "/") {
		return false
	}
	segs := strings.Split(escaped[1:], "/")
	for i, seg := range segs {
		if seg == "" {
			if i != len(segs)-1 {
				return false
			}
			continue
		}
		if strings.Contains(seg, "%") {
			u, err := url.PathUnescape(seg)
			if err != nil {
				return false
			}
			seg = u
		}
		if seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

// notRouted answers a request no pattern matched: 405 with Allow when the
// path exists under other methods, else 404, both in the vendor's body.
func (s *Server) notRouted(w http.ResponseWriter, r *http.Request) {
	h, _ := s.mux.Handler(r)
	probe := &headerProbe{header: http.Header{}}
	h.ServeHTTP(probe, r)
	if probe.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", probe.header.Get("Allow"))
		rest.WriteStatus(w, http.StatusMethodNotAllowed, "method_not_allowed",
			"Method "+r.Method+" is not allowed on this path.", nil)
		return
	}
	rest.WriteStatus(w, http.StatusNotFound, string(lethe.ENotFound), "No such endpoint.", nil)
}

// headerProbe captures what the mux's own 404/405 handler would answer.
type headerProbe struct {
	header http.Header
	status int
}

func (p *headerProbe) Header() http.Header         { return p.header }
func (p *headerProbe) Write(b []byte) (int, error) { return len(b), nil }
func (p *headerProbe) WriteHeader(code int)        { p.status = code }

// authenticate checks HTTP Basic credentials (tenant id : API key) and puts
// the tenant's Actor in the request context.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The scheme is matched ignoring case (RFC 9110 §11.1).
		if scheme, bearer, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") && s.cfg.OAuth != nil {
			s.serveBearer(w, r, strings.TrimSpace(bearer), next)
			return
		}
		user, key, ok := r.BasicAuth()
		if !ok || user == "" {
			rest.WriteError(w, lethe.Errorf(lethe.EUnauthenticated, "Authentication required: HTTP Basic with tenant id and API key."))
			return
		}
		t, err := s.cfg.Tenants.Authenticate(r.Context(), lethe.TenantID(user), key)
		if err != nil {
			if lethe.ErrorCode(err) == lethe.EInternal {
				s.cfg.Logger.Error("authenticate", "request_id", r.Header.Get("X-Request-Id"), "error", err.Error())
			}
			rest.WriteError(w, err)
			return
		}
		ctx := lethe.WithActor(r.Context(), lethe.Actor{TenantID: t.ID, Source: lethe.SourceAPI, Name: "api-key"})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}
