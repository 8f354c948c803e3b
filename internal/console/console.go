package console

import (
	"context"
	"crypto/ed25519"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/lethehq/lethe"
)

// Prefix is where the console is served.
const Prefix = "/admin"

// sessionCookie holds a signed-in browser's session token.
const sessionCookie = "lethe_console"

// bodyLimit bounds a console form.
const bodyLimit = 1 << 20

// Config is what the console needs.
type Config struct {
	Logger      *slog.Logger
	Accounts    lethe.ConsoleService
	Users       lethe.UserService
	Jobs        lethe.JobService
	Settings    lethe.SettingsService
	Tenants     lethe.TenantService
	SCIMTokens  lethe.SCIMTokenService
	OAuth       lethe.OAuthService
	Webhooks    lethe.SubscriptionService
	Trail       lethe.TrailService
	Completions lethe.CompletionService
	CPD         lethe.CPDService
	Reports     lethe.ReportService
	// SigningKey signs erasure receipts (the API's key).
	SigningKey ed25519.PrivateKey
	// JobsQueued, when set, is told (without blocking) that a job was
	// queued, so the runner starts at once.
	JobsQueued chan struct{}
	// Now is the clock (tests set it); nil: time.Now.
	Now func() time.Time
}

// Handler serves the console.
type Handler struct {
	cfg     Config
	mux     *http.ServeMux
	limiter *limiter
	pages   *pages
	forms   *onceForms
	checks  *verifier // the trail page's checks of the chain
}

// New builds the console's routes.
func New(cfg Config) *Handler {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	h := &Handler{cfg: cfg, mux: http.NewServeMux(), limiter: newLimiter(cfg.Now), pages: mustParsePages(), forms: newOnceForms(), checks: newVerifier()}
	for _, rt := range h.routes() {
		h.mux.Handle(rt.pattern, rt.handler)
	}
	return h
}

type route struct {
	pattern string
	handler http.Handler
}

// routes lists the console's pages. Every page but sign-in, set-password
// and the assets needs a session; perm is what its role must allow.
func (h *Handler) routes() []route {
	return []route{
		{"GET /admin/static/", http.StripPrefix(Prefix, staticFiles())},
		{"GET /admin", http.RedirectHandler("/admin/people", http.StatusSeeOther)},
		{"GET /admin/{$}", http.RedirectHandler("/admin/people", http.StatusSeeOther)},
		{"GET /admin/signin", http.HandlerFunc(h.signinPage)},
		{"POST /admin/signin", http.HandlerFunc(h.signin)},
		{"GET /admin/password", http.HandlerFunc(h.passwordPage)},
		{"POST /admin/password", http.HandlerFunc(h.setPassword)},
		{"POST /admin/signout", h.session(lethe.PermRead, h.signout)},
		{"GET /admin/account", h.session(lethe.PermRead, h.accountPage)},
		{"POST /admin/account/totp", h.session(lethe.PermRead, h.startTOTP)},
		{"POST /admin/account/totp/confirm", h.session(lethe.PermRead, h.confirmTOTP)},
		{"GET /admin/people", h.session(lethe.PermRead, h.peoplePage)},
		{"POST /admin/people/search", h.session(lethe.PermRead, h.searchPeople)},
		{"GET /admin/people/{id}", h.session(lethe.PermRead, h.personPage)},
		{"GET /admin/people/{id}/{action}", h.session(lethe.PermLifecycle, h.confirmPage)},
		{"POST /admin/people/{id}/{action}", h.session(lethe.PermLifecycle, h.act)},
		{"GET /admin/bulk", h.session(lethe.PermLifecycle, h.bulkPage)},
		{"POST /admin/bulk", h.session(lethe.PermLifecycle, h.upload)},
		{"GET /admin/jobs", h.session(lethe.PermRead, h.jobsPage)},
		{"GET /admin/settings", h.session(lethe.PermSettings, h.settingsPage)},
		{"POST /admin/settings/deletion", h.session(lethe.PermSettings, h.savePolicy)},
		{"POST /admin/settings/api-key", h.session(lethe.PermSettings, h.rotateKey)},
		{"POST /admin/settings/scim-tokens", h.session(lethe.PermSettings, h.createToken)},
		{"POST /admin/settings/oauth-clients", h.session(lethe.PermSettings, h.createClient)},
		{"POST /admin/settings/{kind}/{id}/revoke", h.session(lethe.PermSettings, h.revoke)},
		{"GET /admin/settings/webhooks/{id}", h.session(lethe.PermSettings, h.webhookPage)},
		{"POST /admin/settings/webhooks/{id}/redeliver", h.session(lethe.PermSettings, h.redeliver)},
		{"GET /admin/receipts", h.session(lethe.PermRead, h.receiptsPage)},
		{"GET /admin/receipts/verify", h.session(lethe.PermRead, h.verifyPage)},
		{"POST /admin/receipts/verify", h.session(lethe.PermRead, h.verifyReceipt)},
		{"GET /admin/receipts/{id}", h.session(lethe.PermRead, h.receiptPage)},
		{"GET /admin/receipts/{id}/receipt.json", h.session(lethe.PermRead, h.receiptJSON)},
		{"GET /admin/audits", h.session(lethe.PermRead, h.auditPage)},
		{"POST /admin/audits", h.session(lethe.PermLifecycle, h.runAudit)},
		{"POST /admin/jobs/{id}/apply", h.session(lethe.PermLifecycle, h.applyAudit)},
		{"POST /admin/jobs/{id}/exclude", h.session(lethe.PermLifecycle, h.excludeRows)},
		{"GET /admin/jobs/{id}", h.session(lethe.PermRead, h.jobPage)},
		{"POST /admin/jobs/{id}/run", h.session(lethe.PermLifecycle, h.runJob)},
		{"GET /admin/jobs/{id}/results.csv", h.session(lethe.PermRead, h.jobResults)},
		{"GET /admin/trail", h.session(lethe.PermRead, h.trailPage)},
		{"GET /admin/reports", h.session(lethe.PermRead, h.reportsPage)},
		{"GET /admin/reports/headcount.csv", h.session(lethe.PermRead, h.reportCSV("headcount"))},
		{"GET /admin/reports/compliance.csv", h.session(lethe.PermRead, h.reportCSV("compliance"))},
	}
}

// Route names the route of r for the access log: its pattern, never its path.
func (h *Handler) Route(r *http.Request) string {
	_, pattern := h.mux.Handler(r)
	if pattern == "" {
		return "admin unmatched"
	}
	return pattern
}

// ServeHTTP sets the headers every console answer carries, checks that a
// form comes from the console's own pages, and routes.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "+
		"form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "same-origin") // not no-referrer: with it, browsers post forms with "Origin: null"
	limit := int64(bodyLimit)
	if r.Method == http.MethodPost && r.URL.Path == "/admin/bulk" {
		limit = csvLimit + bodyLimit // the CSV and the form around it
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if r.Method == http.MethodPost && !sameOrigin(r) {
		h.fail(w, r, nil, http.StatusForbidden, "This form did not come from the console. Reload the page and try again.")
		return
	}
	if _, pattern := h.mux.Handler(r); pattern == "" {
		h.fail(w, r, nil, http.StatusNotFound, "There is no such page.")
		return
	}
	h.mux.ServeHTTP(w, r)
}

// sameOrigin reports whether a POST's Origin (or, without one, its
// Sec-Fetch-Site) says it came from this host. Browsers send one or the
// other on every form post; a request with neither is not a browser's and
// still needs its CSRF token.
func sameOrigin(r *http.Request) bool {
	if o := r.Header.Get("Origin"); o != "" {
		_, host, _ := strings.Cut(o, "://")
		return o != "null" && strings.EqualFold(host, r.Host)
	}
	site := r.Header.Get("Sec-Fetch-Site")
	return site == "" || site == "same-origin" || site == "none"
}

type ctxKey struct{}

// sessionFrom is the console session of a request that passed h.session.
func sessionFrom(ctx context.Context) *lethe.ConsoleSession {
	s, _ := ctx.Value(ctxKey{}).(*lethe.ConsoleSession)
	return s
}

// session wraps a page that needs a signed-in account whose role allows
// perm: without a live session it sends the browser to sign in; a POST
// must carry the session's CSRF token. The page runs as the account's
// actor, so the trail names it.
func (h *Handler) session(perm lethe.ConsolePermission, page func(http.ResponseWriter, *http.Request)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(sessionCookie)
		var s *lethe.ConsoleSession
		if err == nil {
			s, err = h.cfg.Accounts.ConsoleSession(r.Context(), c.Value)
		}
		if err != nil {
			if lethe.ErrorCode(err) != lethe.EUnauthenticated && !errors.Is(err, http.ErrNoCookie) {
				h.fail(w, r, nil, http.StatusServiceUnavailable, "The console cannot reach its database. Try again shortly.")
				return
			}
			clearCookie(w, r)
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/admin/signin?expired=1", http.StatusSeeOther)
				return
			}
			h.fail(w, r, nil, http.StatusUnauthorized, "Your session has ended. Sign in again; nothing was changed.")
			return
		}
		// A multipart form (the CSV upload) is read as a stream by its
		// page, which checks the token in its first part (csrfPart).
		multipart := strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") && r.URL.Path == "/admin/bulk"
		if r.Method == http.MethodPost && !multipart && subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(s.CSRFToken)) != 1 {
			h.fail(w, r, s, http.StatusForbidden, "This form has expired or did not come from the console. Reload the page and try again; nothing was changed.")
			return
		}
		if !s.Account.Role.Allows(perm) {
			h.fail(w, r, s, http.StatusForbidden, "Your role ("+string(s.Account.Role)+") cannot do this. Ask an administrator.")
			return
		}
		ctx := context.WithValue(lethe.WithActor(r.Context(), s.ConsoleActor()), ctxKey{}, s)
		page(w, r.WithContext(ctx))
	})
}

// secure reports whether the session cookie gets the Secure attribute:
// always, but for plain HTTP on loopback (the demo, a developer's machine).
func secure(r *http.Request) bool {
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		return true
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return true
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}

func setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: Prefix, HttpOnly: true, Secure: secure(r),
		SameSite: http.SameSiteStrictMode, MaxAge: int(maxAge.Seconds())})
}

func clearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: Prefix, HttpOnly: true, Secure: secure(r),
		SameSite: http.SameSiteStrictMode, MaxAge: -1})
}

// fail answers a page that could not be shown, in the console's layout.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, s *lethe.ConsoleSession, status int, message string) {
	h.render(w, r, status, "error", &page{Title: http.StatusText(status), Session: s, Message: message})
}

// failErr answers a domain error: its safe message and status; an
// internal error is logged with the request id and shown as a generic one.
func (h *Handler) failErr(w http.ResponseWriter, r *http.Request, err error) {
	s := sessionFrom(r.Context())
	switch lethe.ErrorCode(err) {
	case lethe.ENotFound:
		h.fail(w, r, s, http.StatusNotFound, lethe.ErrorMessage(err))
	case lethe.EConflict:
		h.fail(w, r, s, http.StatusConflict, lethe.ErrorMessage(err))
	case lethe.EInvalid, lethe.EBadRequest:
		h.fail(w, r, s, http.StatusUnprocessableEntity, lethe.ErrorMessage(err))
	case lethe.EForbidden:
		h.fail(w, r, s, http.StatusForbidden, lethe.ErrorMessage(err))
	case lethe.EUnavailable:
		h.fail(w, r, s, http.StatusServiceUnavailable, "The database is busy or unreachable. Try again shortly; nothing was changed.")
	default:
		h.cfg.Logger.ErrorContext(r.Context(), "internal error", "request_id", r.Header.Get("X-Request-Id"),
			"route", h.Route(r), "error", err.Error())
		h.fail(w, r, s, http.StatusInternalServerError, "Something went wrong on our side; nothing was changed.")
	}
}
