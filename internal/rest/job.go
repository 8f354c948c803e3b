package rest

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/lethehq/lethe"
)

// Durable jobs (/lethe/v1). Bulk operations are served in bulk.go and
// dormant-account audits in dormant.go.

// MaxJobBodyBytes is the largest job body at the default limit of
// lethe.DefaultMaxJobItems users: JobBodyBytes of it.
const MaxJobBodyBytes = JobLineBytes * lethe.DefaultMaxJobItems

// JobLineBytes is what the body of a job may carry per user it may name:
// room for a line with an email address and a few other columns.
const JobLineBytes = 64

// JobBodyBytes is the largest job body when a job may name maxItems users,
// at least MaxBodyBytes.
func JobBodyBytes(maxItems int) int64 {
	if maxItems <= 0 {
		maxItems = lethe.DefaultMaxJobItems
	}
	return max(MaxBodyBytes, JobLineBytes*int64(maxItems))
}

// BodyLimit is the largest body of a route pattern, and its size in words:
// that of the package's BodyLimit, but for jobs, whose body follows
// MaxJobItems.
func (h *Handler) BodyLimit(pattern string) (int64, string) {
	if pattern == "POST /lethe/v1/jobs" && h != nil {
		n := JobBodyBytes(h.MaxJobItems)
		return n, sizeWords(n)
	}
	return BodyLimit(pattern)
}

// sizeWords says n bytes in MiB, MB or kB.
func sizeWords(n int64) string {
	switch {
	case n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n%1_000_000 == 0:
		return fmt.Sprintf("%d MB", n/1_000_000)
	}
	return fmt.Sprintf("%d kB", (n+999)/1000)
}

// maxIdempotencyKey bounds the Idempotency-Key header.
const maxIdempotencyKey = 200

// jobJSON is a job on the wire.
type jobJSON struct {
	ID         string         `json:"id"`
	Kind       string         `json:"kind"`
	Action     *string        `json:"action"`
	State      string         `json:"state"`
	DryRun     bool           `json:"dryRun"`
	EndDate    *string        `json:"endDate"`
	Total      int            `json:"total"`
	Done       int            `json:"done"` // items processed
	Failed     int            `json:"failed"`
	Outcomes   map[string]int `json:"outcomes"`
	Actions    map[string]int `json:"actions,omitempty"`
	Rules      *rulesJSON     `json:"rules,omitempty"`
	Source     string         `json:"source"`
	Actor      string         `json:"actor"`
	CreatedAt  string         `json:"createdAt"`
	StartedAt  *string        `json:"startedAt"`
	FinishedAt *string        `json:"finishedAt"`
	Results    string         `json:"results"` // the URL of the per-item CSV
}

func toJobJSON(j *lethe.Job) jobJSON {
	return jobJSON{ID: j.ID, Kind: j.Kind, Action: strPtr(string(j.Action)), State: string(j.State), DryRun: j.DryRun,
		EndDate: formatTimePtr(j.EndDate), Total: j.Total, Done: j.Processed, Failed: j.Outcomes[lethe.ItemFailed],
		Outcomes: j.Outcomes, Actions: j.Actions, Rules: toRulesJSON(j.Rules), Source: string(j.Source), Actor: j.Actor,
		CreatedAt: formatTime(j.CreatedAt), StartedAt: formatTimePtr(j.StartedAt), FinishedAt: formatTimePtr(j.FinishedAt),
		Results: "/lethe/v1/jobs/" + j.ID + "/results"}
}

// decodeJob reads {action, selector: {csv | audienceId | query}, endDate?,
// dryRun?, confirmAll?}.
func decodeJob(body []byte) (lethe.NewJob, error) {
	var j lethe.NewJob
	obj, err := decodeObject(body, false)
	if err != nil {
		return j, err
	}
	for k := range obj {
		switch k {
		case "action", "selector", "endDate", "dryRun", "confirmAll":
		default:
			return j, lethe.FieldErrorf(lethe.EInvalid, k, "unknown", "%s is not a member of a job", k)
		}
	}
	if j.Action, err = decodeAction(obj); err != nil {
		return j, err
	}
	sel, err := member(obj, "selector")
	if err != nil {
		return j, err
	}
	if len(sel) != 1 {
		return j, lethe.FieldErrorf(lethe.EInvalid, "selector", "invalid", "selector must have exactly one of csv, audienceId and query")
	}
	for k := range sel {
		switch k {
		case "csv":
			if j.Selector.CSV, err = optString(sel, "csv"); err != nil {
				return j, prefixed(err, "selector.")
			}
		case "audienceId":
			if j.Selector.AudienceID, err = optString(sel, "audienceId"); err != nil {
				return j, prefixed(err, "selector.")
			}
			if *j.Selector.AudienceID == "" {
				return j, lethe.FieldErrorf(lethe.EInvalid, "selector.audienceId", "required", "selector.audienceId must name an audience")
			}
		case "query":
			q, err := member(sel, "query")
			if err != nil {
				return j, prefixed(err, "selector.")
			}
			if j.Selector.Query, err = decodeUserQuery(q); err != nil {
				return j, prefixed(err, "selector.query.")
			}
		default:
			return j, lethe.FieldErrorf(lethe.EInvalid, "selector."+k, "unknown", "selector must have exactly one of csv, audienceId and query")
		}
	}
	if j.EndDate, err = optDate(obj, "endDate"); err != nil {
		return j, err
	}
	if j.EndDate != nil && j.Action != lethe.ActionSuspend {
		return j, lethe.FieldErrorf(lethe.EInvalid, "endDate", "invalid", "endDate applies to suspend only")
	}
	if j.EndDate != nil && j.EndDate.IsZero() {
		j.EndDate = nil
	}
	for name, dst := range map[string]*bool{"dryRun": &j.DryRun, "confirmAll": &j.Selector.ConfirmAll} {
		b, err := optBool(obj, name)
		if err != nil {
			return j, err
		}
		*dst = b != nil && *b
	}
	return j, nil
}

func decodeUserQuery(obj map[string]json.RawMessage) (*lethe.UserQuery, error) {
	q := &lethe.UserQuery{}
	for k, raw := range obj {
		switch k {
		case "statuses":
			var list []string
			if json.Unmarshal(raw, &list) != nil {
				return nil, typeError(k, "an array of strings")
			}
			q.Statuses = []lethe.Status{}
			for i, s := range list {
				st, ok := lethe.ParseStatus(strings.ToLower(strings.TrimSpace(s)))
				if !ok {
					return nil, lethe.FieldErrorf(lethe.EInvalid, fmt.Sprintf("statuses[%d]", i), "invalid", "a status is one of active, inactive, expired, new")
				}
				q.Statuses = append(q.Statuses, st)
			}
		case "createdBefore", "lastLoginBefore", "endDateBefore":
			t, err := optDate(obj, k)
			if err != nil {
				return nil, err
			}
			if t == nil || t.IsZero() {
				return nil, lethe.FieldErrorf(lethe.EInvalid, k, "invalid", "%s must be a date", k)
			}
			switch k {
			case "createdBefore":
				q.CreatedBefore = t
			case "lastLoginBefore":
				q.LastLoginBefore = t
			default:
				q.EndDateBefore = t
			}
		case "neverLoggedIn", "hasHistory":
			b, err := optBool(obj, k)
			if err != nil {
				return nil, err
			}
			if k == "neverLoggedIn" {
				q.NeverLoggedIn = b
			} else {
				q.HasHistory = b
			}
		default:
			return nil, lethe.FieldErrorf(lethe.EInvalid, k, "unknown", "%s is not a query member", k)
		}
	}
	return q, nil
}

// POST /lethe/v1/jobs: 202 with the queued job.
func (h *Handler) createJob(r *http.Request) (int, any, error) {
	limit, words := h.BodyLimit("POST /lethe/v1/jobs")
	body, err := readBodyLimit(r, limit, words)
	if err != nil {
		return 0, nil, err
	}
	nj, err := decodeJob(body)
	body = nil // the CSV is kept once, as a string, while the job is written
	if err != nil {
		return 0, nil, err
	}
	j, err := h.Jobs.CreateJob(r.Context(), nj)
	if err != nil {
		return 0, nil, err
	}
	h.wakeJobs()
	return http.StatusAccepted, toJobJSON(j), nil
}

// wakeJobs tells the job runner there is work, when one is listening.
func (h *Handler) wakeJobs() {
	if h.JobsQueued != nil {
		select {
		case h.JobsQueued <- struct{}{}:
		default:
		}
	}
}

// GET /lethe/v1/jobs (kind=bulk|dormant): newest first.
func (h *Handler) listJobs(r *http.Request) (int, any, error) {
	q := r.URL.Query()
	p, err := parsePaging(q, 20, 1000)
	if err != nil {
		return 0, nil, err
	}
	kind := first(q, "kind")
	if kind != "" && kind != "bulk" && kind != "dormant" {
		return 0, nil, lethe.FieldErrorf(lethe.EInvalid, "kind", "invalid", "kind must be 'bulk' or 'dormant'")
	}
	return h.jobPage(r, lethe.JobFilter{Kind: kind, Offset: p.offset(), Limit: p.perPage}, p)
}

func (h *Handler) jobPage(r *http.Request, f lethe.JobFilter, p paging) (int, any, error) {
	list, total, err := h.Jobs.FindJobs(r.Context(), f)
	if err != nil {
		return 0, nil, err
	}
	out := make([]jobJSON, len(list))
	for i, j := range list {
		out[i] = toJobJSON(j)
	}
	return http.StatusOK, newPage(out, total, p), nil
}

// GET /lethe/v1/jobs/{id}
func (h *Handler) getJob(r *http.Request) (int, any, error) {
	j, err := h.Jobs.FindJob(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toJobJSON(j), nil
}

// POST /lethe/v1/jobs/{id}/cancel
func (h *Handler) cancelJob(r *http.Request) (int, any, error) {
	j, err := h.Jobs.CancelJob(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toJobJSON(j), nil
}

// POST /lethe/v1/jobs/{id}/exclude {"userIds": [...]}: the items of those
// users are taken out of a preview before it is applied; 200 with the job.
func (h *Handler) excludeJob(r *http.Request) (int, any, error) {
	body, err := readBody(r)
	if err != nil {
		return 0, nil, err
	}
	users, err := decodeExclusion(body)
	if err != nil {
		return 0, nil, err
	}
	j, err := h.Jobs.ExcludeJobItems(r.Context(), r.PathValue("id"), users)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toJobJSON(j), nil
}

// decodeExclusion reads {userIds: [string, ...]}.
func decodeExclusion(body []byte) ([]lethe.LearnerID, error) {
	obj, err := decodeObject(body, false)
	if err != nil {
		return nil, err
	}
	for k := range obj {
		if k != "userIds" {
			return nil, lethe.FieldErrorf(lethe.EInvalid, k, "unknown", "%s is not a member of an exclusion; send userIds", k)
		}
	}
	raw, ok := obj["userIds"]
	if !ok || isNull(raw) {
		return nil, lethe.FieldErrorf(lethe.EInvalid, "userIds", "required", "userIds is required")
	}
	var list []string
	if json.Unmarshal(raw, &list) != nil {
		return nil, typeError("userIds", "an array of strings")
	}
	users := make([]lethe.LearnerID, len(list))
	for i, id := range list {
		users[i] = lethe.LearnerID(id)
	}
	return users, nil
}

// GET /lethe/v1/jobs/{id}/results: one CSV line per item (line of the
// CSV or position of the selection, user id, action, outcome, reason), for
// a preview or a finished job. The lines are written as they are read, a
// page of items at a time: the answer is never held whole. An error after
// the first line cuts the connection, so a client never takes a truncated
// CSV for a whole one.
func (h *Handler) jobResults(w http.ResponseWriter, r *http.Request) {
	j, err := h.Jobs.FindJob(r.Context(), r.PathValue("id"))
	if err == nil && !j.Finished() && j.State != lethe.JobPreview {
		err = lethe.Errorf(lethe.EConflict, "The job is %s; its results are ready when it finishes.", j.State)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	started := false
	cw := csv.NewWriter(w)
	err = h.Jobs.EachJobItem(r.Context(), j.ID, func(it lethe.ItemResult) error {
		if !started {
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
			w.WriteHeader(http.StatusOK)
			cw.Write([]string{"line", "userId", "action", "outcome", "reason"})
			started = true
		}
		return cw.Write([]string{strconv.Itoa(it.Index), string(it.UserID), string(it.Action), it.Outcome, it.Reason})
	})
	if err == nil && !started {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		cw.Write([]string{"line", "userId", "action", "outcome", "reason"})
		started = true
	}
	if err == nil {
		cw.Flush()
		err = cw.Error()
	}
	switch {
	case err == nil:
	case !started:
		h.fail(w, r, err)
	default:
		if r.Context().Err() == nil {
			h.Logger.ErrorContext(r.Context(), "job results cut short", "request_id", r.Header.Get("X-Request-Id"), "error", err.Error())
		}
		panic(http.ErrAbortHandler)
	}
}
