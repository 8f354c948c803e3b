package console

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lethehq/lethe"
)

// The trail: the tenant's hash-chained record of who did what to whom, a
// page at a time, newest first, filtered by action and by subject (ids
// only, so the query string holds no personal data), under the status of
// the tenant's chain.

// trailPageSize is how many entries a trail page shows.
const trailPageSize = 100

// verifyWait is how long a trail page waits for the chain's check: a
// longer check (a large trail) goes on in the background, and the page
// shows the last finished one.
const verifyWait = 50 * time.Millisecond

// verifyTimeout bounds a check running in the background.
const verifyTimeout = 10 * time.Minute

// subjectPattern is what a subject filter may be: a learner or console
// account id, never an email or a name.
var subjectPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

type trailView struct {
	Entries          []*lethe.TrailEntry
	Actions          []string
	Action, Subject  string
	SubjectErr       string
	Page             int
	PrevURL, NextURL string
	Check            *verification // nil: no check has finished yet
	Checking         bool          // a check is running
	Window           int           // how far back a filter looks
}

// LearnerSubject reports whether e's subject is a learner id (a user's
// entry), so it links to the person's page.
func (trailView) LearnerSubject(e *lethe.TrailEntry) bool {
	return e.Subject != "" && strings.HasPrefix(e.Action, "user.")
}

func (h *Handler) trailPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := &trailView{Action: strings.TrimSpace(q.Get("action")), Subject: strings.TrimSpace(q.Get("subject")), Page: 1}
	if p := q.Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 100_000 {
			h.fail(w, r, nil, http.StatusBadRequest, "The page number must be a whole number from 1.")
			return
		}
		v.Page = n
	}
	if len(v.Action) > 100 {
		h.fail(w, r, nil, http.StatusBadRequest, "Unknown action filter: choose one from the list.")
		return
	}
	var err error
	if v.Actions, err = h.cfg.Trail.TrailActions(r.Context()); err != nil {
		h.failErr(w, r, err)
		return
	}
	status := http.StatusOK
	if v.Subject != "" && !subjectPattern.MatchString(v.Subject) {
		v.SubjectErr, status = "Give a learner id or a console account id, or leave it empty.", http.StatusUnprocessableEntity
	} else {
		var more bool
		v.Entries, more, err = h.cfg.Trail.FindTrail(r.Context(), lethe.TrailFilter{Action: v.Action, Subject: v.Subject,
			Offset: (v.Page - 1) * trailPageSize, Limit: trailPageSize})
		if err != nil {
			h.failErr(w, r, err)
			return
		}
		if v.Action != "" && !slices.Contains(v.Actions, v.Action) {
			v.Actions = append(v.Actions, v.Action) // older than the actions sampled, still selected
		}
		v.Window = lethe.TrailFilterWindow
		if v.Page > 1 {
			v.PrevURL = v.url(v.Page - 1)
		}
		if more {
			v.NextURL = v.url(v.Page + 1)
		}
	}
	v.Check, v.Checking = h.checks.check(r.Context(), h.cfg.Trail, sessionFrom(r.Context()).Account.TenantID, h.cfg.Now)
	if v.Check != nil && v.Check.Err != nil {
		h.cfg.Logger.ErrorContext(r.Context(), "trail check failed", "request_id", r.Header.Get("X-Request-Id"), "error", v.Check.Err.Error())
	}
	h.render(w, r, status, "trail", &page{Title: "Trail", Data: v})
}

// url is the trail page n with the same filters.
func (v *trailView) url(n int) string {
	q := url.Values{}
	if v.Action != "" {
		q.Set("action", v.Action)
	}
	if v.Subject != "" {
		q.Set("subject", v.Subject)
	}
	q.Set("page", strconv.Itoa(n))
	return "/admin/trail?" + q.Encode()
}

// verification is a finished check of a tenant's chain.
type verification struct {
	At       time.Time
	Checked  int
	Problems []lethe.TrailProblem
	Err      error // the check could not be made
}

// Verifies reports whether the chain checked whole.
func (v *verification) Verifies() bool { return v.Err == nil && len(v.Problems) == 0 }

// verifier runs at most one check of a tenant's chain at a time and keeps
// each tenant's last result.
type verifier struct {
	mu      sync.Mutex
	running map[lethe.TenantID]chan struct{}
	last    map[lethe.TenantID]*verification
}

func newVerifier() *verifier {
	return &verifier{running: map[lethe.TenantID]chan struct{}{}, last: map[lethe.TenantID]*verification{}}
}

// check starts a check of tenant's chain unless one is running, waits up
// to verifyWait for it, and returns the last finished check (nil when
// none has) and whether one is still running. The check runs as ctx's
// actor, past the request's end.
func (vf *verifier) check(ctx context.Context, trail lethe.TrailService, tenant lethe.TenantID, now func() time.Time) (*verification, bool) {
	vf.mu.Lock()
	done, ok := vf.running[tenant]
	if !ok {
		done = make(chan struct{})
		vf.running[tenant] = done
		go func() {
			bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), verifyTimeout)
			defer cancel()
			res := &verification{At: now()}
			res.Checked, res.Problems, res.Err = trail.VerifyTenantTrail(bg)
			vf.mu.Lock()
			vf.last[tenant] = res
			delete(vf.running, tenant)
			vf.mu.Unlock()
			close(done)
		}()
	}
	vf.mu.Unlock()
	t := time.NewTimer(verifyWait)
	defer t.Stop()
	running := false
	select {
	case <-done:
	case <-t.C:
		running = true
	}
	vf.mu.Lock()
	defer vf.mu.Unlock()
	return vf.last[tenant], running
}
