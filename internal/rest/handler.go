package rest

import (
	"crypto/ed25519"
	"log/slog"
	"net/http"
	"time"

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

// userKeyFromID reads an {id} path value as a learner id. A malformed id is a
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
