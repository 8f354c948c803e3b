package rest

import (
	"crypto/ed25519"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lethehq/lethe"
)

// Handler serves the REST API over the domain services.
type Handler struct {
	Users        lethe.UserService
	Provisioning lethe.ProvisioningService
	Audiences    lethe.AudienceService
	Assignments  lethe.AssignmentService
	Enrolments   lethe.EnrolmentService
	Completions  lethe.CompletionService
	Contents     lethe.ContentService
	Activities   lethe.ActivityService
	Tags         lethe.TagService // tags, learners' tags and skills, skill levels
	CPD          lethe.CPDService
	Settings     lethe.SettingsService
	SCIMTokens   lethe.SCIMTokenService    // the tenant's SCIM tokens (the protocol is internal/scim)
	OAuth        lethe.OAuthService        // the tenant's OAuth clients (the token endpoint is internal/server)
	Webhooks     lethe.SubscriptionService // the tenant's webhook subscriptions and their deliveries
	Bulk         lethe.BulkService
	Jobs         lethe.JobService
	Reports      lethe.ReportService
	// MaxJobItems is the most users a job may name (0:
	// lethe.DefaultMaxJobItems); the body of POST /lethe/v1/jobs may carry
	// JobLineBytes per user.
	MaxJobItems int
	// JobsQueued, when set, is told (without blocking) that a job was
	// queued, so the runner starts at once.
	JobsQueued chan struct{}
	// SigningKey signs erasure receipts.
	SigningKey ed25519.PrivateKey
	Logger     *slog.Logger
	// Now is the clock used to derive statuses in responses.
	Now func() time.Time
}

// json adapts a handler that returns a status and a body to HTTP: the body
// is written as JSON, an error in the vendor's error body.
func (h *Handler) json(fn func(r *http.Request) (int, any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		status, body, err := fn(r)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		writeJSON(w, status, body)
	}
}

// fail answers err; internal errors are logged with the request id, never
// shown to the client.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if lethe.ErrorCode(err) == lethe.EInternal && r.Context().Err() == nil {
		h.Logger.ErrorContext(r.Context(), "internal error",
			"request_id", r.Header.Get("X-Request-Id"), "route", r.Pattern, "error", err.Error())
	}
	WriteError(w, err)
}

func (h *Handler) now() time.Time { return h.Now().UTC() }

// userIDFromPath reads an {id} path value as a learner id. A malformed id is a
// 404: no user can have it.
func userIDFromPath(r *http.Request, name string) (lethe.LearnerID, error) {
	id, ok := lethe.ParseID(r.PathValue(name))
	if !ok {
		return "", lethe.Errorf(lethe.ENotFound, "User not found.")
	}
	return lethe.LearnerID(id), nil
}

func refFromPath(r *http.Request) (string, error) {
	ref := r.PathValue("ref")
	if ref == "" {
		return "", lethe.FieldErrorf(lethe.EBadRequest, "ref", "required", "ref is required")
	}
	return ref, nil
}

// checkParams refuses a request whose query parameters are not text that
// can be stored: a NUL byte or invalid UTF-8 answers 400 naming the
// parameter, on every route and both databases (PostgreSQL refuses such
// text, which was a 500 on the completion filters). Path values are not
// checked here: such a value names nothing, and each route answers its own
// 404 for it (ADR 0003, question 15), which the store guarantees.
func (h *Handler) checkParams(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := checkQueryText(r); err != nil {
			h.fail(w, r, err)
			return
		}
		next(w, r)
	}
}

func checkQueryText(r *http.Request) error {
	if r.URL.RawQuery == "" {
		return nil
	}
	q := r.URL.Query()
	names := make([]string, 0, len(q))
	for name := range q {
		names = append(names, name)
	}
	slices.Sort(names) // the first bad one, the same on every call
	for _, name := range names {
		if !storableText(name) {
			return badParam("query")
		}
		for _, v := range q[name] {
			if !storableText(v) {
				return badParam(name)
			}
		}
	}
	return nil
}

func badParam(name string) error {
	return lethe.FieldErrorf(lethe.EBadRequest, name, "invalid", "%s must be UTF-8 text without NUL", name)
}

// storableText reports whether s is UTF-8 without NUL.
func storableText(s string) bool { return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 }
