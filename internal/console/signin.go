package console

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/lethehq/lethe"
)

// signinCookie carries the sign-in form's own CSRF token (there is no
// session yet): the form must echo it.
const signinCookie = "lethe_signin"

// Sign-in throttling: at most signinFailures failed attempts per account
// and per client address within signinWindow; then sign-in waits until the
// oldest failure leaves the window.
const (
	signinFailures = 5
	signinWindow   = 15 * time.Minute
)

// limiter counts failed sign-ins by key (a hash of tenant and email, or
// the client address), in this process.
type limiter struct {
	mu       sync.Mutex
	now      func() time.Time
	failures map[[32]byte][]time.Time
}

func newLimiter(now func() time.Time) *limiter {
	return &limiter{now: now, failures: map[[32]byte][]time.Time{}}
}

func limitKey(parts ...string) [32]byte {
	return sha256.Sum256([]byte(strings.Join(parts, "\x00")))
}

// wait is how long the keys must wait before another attempt: 0 when
// every key is under the limit.
func (l *limiter) wait(keys ...[32]byte) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now, longest := l.now(), time.Duration(0)
	for _, k := range keys {
		recent := l.failures[k][:0]
		for _, t := range l.failures[k] {
			if now.Sub(t) < signinWindow {
				recent = append(recent, t)
			}
		}
		l.failures[k] = recent
		if len(recent) == 0 {
			delete(l.failures, k)
		}
		if len(recent) >= signinFailures {
			longest = max(longest, signinWindow-now.Sub(recent[0]))
		}
	}
	return longest
}

func (l *limiter) fail(keys ...[32]byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		l.failures[k] = append(l.failures[k], l.now())
	}
}

func (l *limiter) reset(key [32]byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.failures, key)
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// clientAddr is the request's remote host (the throttle's second key).
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

type signinForm struct {
	Tenant, Email string
	Token         string
	NeedsCode     bool
	Expired       bool
}

func (h *Handler) signinPage(w http.ResponseWriter, r *http.Request) {
	f := &signinForm{Token: randomToken(), Expired: r.URL.Query().Get("expired") != ""}
	setCookie(w, r, signinCookie, f.Token, time.Hour)
	h.render(w, r, http.StatusOK, "signin", &page{Title: "Sign in", Data: f})
}

// signin checks the form's own token, the throttle, then the credentials.
// Every failure says the same, so the page reveals no account.
func (h *Handler) signin(w http.ResponseWriter, r *http.Request) {
	f := &signinForm{Tenant: strings.TrimSpace(r.PostFormValue("tenant")), Email: strings.TrimSpace(r.PostFormValue("email"))}
	c, err := r.Cookie(signinCookie)
	if err != nil || subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue("csrf"))) != 1 {
		h.fail(w, r, nil, http.StatusForbidden, "This sign-in form has expired. Reload the page and try again.")
		return
	}
	f.Token = c.Value
	account, addr := limitKey(f.Tenant, strings.ToLower(f.Email)), limitKey(clientAddr(r))
	if wait := h.limiter.wait(account, addr); wait > 0 {
		w.Header().Set("Retry-After", itoa(int(wait.Seconds())+1))
		h.render(w, r, http.StatusTooManyRequests, "signin", &page{Title: "Sign in", Data: f,
			Message: "Too many failed sign-ins. Try again in " + minutes(wait) + "."})
		return
	}
	token, s, err := h.cfg.Accounts.ConsoleSignIn(r.Context(), lethe.TenantID(f.Tenant), f.Email,
		r.PostFormValue("password"), strings.TrimSpace(r.PostFormValue("code")))
	if err != nil {
		if lethe.ErrorCode(err) != lethe.EUnauthenticated {
			h.failErr(w, r, err)
			return
		}
		h.limiter.fail(account, addr)
		h.render(w, r, http.StatusUnauthorized, "signin", &page{Title: "Sign in", Data: f,
			Message: "The organisation, email, password or code is not right."})
		return
	}
	h.limiter.reset(account)
	setCookie(w, r, sessionCookie, token, s.ExpiresAt.Sub(h.cfg.Now()))
	setCookie(w, r, signinCookie, "", -time.Second)
	http.Redirect(w, r, "/admin/people", http.StatusSeeOther)
}

func (h *Handler) signout(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(sessionCookie)
	if err == nil {
		if err := h.cfg.Accounts.ConsoleSignOut(r.Context(), c.Value, r.PostFormValue("everywhere") != ""); err != nil {
			h.failErr(w, r, err)
			return
		}
	}
	clearCookie(w, r)
	http.Redirect(w, r, "/admin/signin", http.StatusSeeOther)
}

type passwordForm struct {
	Token string
	Error string
}

// passwordPage is the set-password page of a one-time link. The token in
// its URL is a secret, not personal data; the page sends no referrer.
func (h *Handler) passwordPage(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "password", &page{Title: "Set your password", Data: &passwordForm{Token: r.URL.Query().Get("token")}})
}

func (h *Handler) setPassword(w http.ResponseWriter, r *http.Request) {
	f := &passwordForm{Token: r.PostFormValue("token")}
	pw := r.PostFormValue("password")
	if pw != r.PostFormValue("confirm") {
		f.Error = "The two passwords differ."
		h.render(w, r, http.StatusUnprocessableEntity, "password", &page{Title: "Set your password", Data: f})
		return
	}
	if _, err := h.cfg.Accounts.SetConsolePassword(r.Context(), f.Token, pw); err != nil {
		switch lethe.ErrorCode(err) {
		case lethe.EInvalid:
			f.Error = lethe.ErrorMessage(err)
			h.render(w, r, http.StatusUnprocessableEntity, "password", &page{Title: "Set your password", Data: f})
		case lethe.EUnauthenticated:
			h.fail(w, r, nil, http.StatusUnauthorized, "This link has been used or has expired. Ask an administrator for a new one.")
		default:
			h.failErr(w, r, err)
		}
		return
	}
	h.render(w, r, http.StatusOK, "signin", &page{Title: "Sign in", Notice: "Your password is set. Sign in with it.",
		Data: h.freshSignin(w, r)})
}

func (h *Handler) freshSignin(w http.ResponseWriter, r *http.Request) *signinForm {
	f := &signinForm{Token: randomToken()}
	setCookie(w, r, signinCookie, f.Token, time.Hour)
	return f
}

func minutes(d time.Duration) string {
	m := int(d.Round(time.Minute).Minutes())
	if m <= 1 {
		return "a minute"
	}
	return itoa(m) + " minutes"
}
