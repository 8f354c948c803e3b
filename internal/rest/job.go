package rest

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/lethehq/lethe"
)

// Bulk operations, durable jobs and dormant-account audits (/lethe/v1).

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

// identifierJSON is one identifier as sent: exactly one member.
type identifierJSON struct {
	ID    string `json:"id,omitempty"`
	Ref   string `json:"ref,omitempty"`
	Email string `json:"email,omitempty"`
}

// bulkItemJSON is one result of a bulk call.
type bulkItemJSON struct {
	Identifier *identifierJSON `json:"identifier,omitempty"`
	UserID     *string         `json:"userId"`
	Outcome    string          `json:"outcome"`
	Reason     *string         `json:"reason"`
}

type bulkJSON struct {
	Action  string         `json:"action"`
	DryRun  bool           `json:"dryRun"`
	Summary map[string]int `json:"summary"`
	Results []bulkItemJSON `json:"results"`
}

// decodeBulk reads {action, identifiers: [{id|ref|email}], endDate?, dryRun?}.
func decodeBulk(body []byte) (lethe.BulkRequest, []identifierJSON, error) {
	var r lethe.BulkRequest
	obj, err := decodeObject(body, false)
	if err != nil {
		return r, nil, err
	}
	for k := range obj {
		switch k {
		case "action", "identifiers", "endDate", "dryRun":
		default:
			return r, nil, lethe.FieldErrorf(lethe.EInvalid, k, "unknown", "%s is not a member of a bulk request", k)
		}
	}
	if r.Action, err = decodeAction(obj); err != nil {
		return r, nil, err
	}
	raw, ok := obj["identifiers"]
	if !ok || isNull(raw) {
		return r, nil, lethe.FieldErrorf(lethe.EInvalid, "identifiers", "required", "identifiers is required")
	}
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		return r, nil, typeError("identifiers", "an array of objects")
	}
	switch {
	case len(items) == 0:
		return r, nil, lethe.FieldErrorf(lethe.EInvalid, "identifiers", "required", "identifiers must name at least one user")
	case len(items) > lethe.MaxBulkIdentifiers:
		return r, nil, lethe.FieldErrorf(lethe.EInvalid, "identifiers", "too_many",
			"identifiers must have at most %d items; use POST /lethe/v1/jobs for more", lethe.MaxBulkIdentifiers)
	}
	sent := make([]identifierJSON, len(items))
	r.Identifiers = make([]lethe.Identifier, len(items))
	for i, item := range items {
		field := "identifiers[" + strconv.Itoa(i) + "]"
		var m map[string]json.RawMessage
		if json.Unmarshal(item, &m) != nil || m == nil {
			return r, nil, typeError(field, "an object with one of id, ref or email")
		}
		if len(m) != 1 {
			return r, nil, lethe.FieldErrorf(lethe.EInvalid, field, "invalid", "%s must have exactly one of id, ref or email", field)
		}
		for k, v := range m {
			var s string
			if json.Unmarshal(v, &s) != nil {
				return r, nil, typeError(field+"."+k, "a string")
			}
			s = strings.TrimSpace(s)
			if s == "" || len(s) > lethe.MaxRefLength || strings.IndexFunc(s, unicode.IsControl) >= 0 {
				return r, nil, lethe.FieldErrorf(lethe.EInvalid, field+"."+k, "invalid", "%s.%s must be 1 to %d characters of text", field, k, lethe.MaxRefLength)
			}
			switch k {
			case "id":
				id, ok := lethe.ParseID(s)
				if !ok {
					id = "invalid" // names nobody: a per-item failure, like an unknown id
				}
				r.Identifiers[i].ID, sent[i].ID = lethe.LearnerID(id), s
			case "ref":
				r.Identifiers[i].Ref, sent[i].Ref = s, s
			case "email":
				r.Identifiers[i].Email, sent[i].Email = s, s
			default:
				return r, nil, lethe.FieldErrorf(lethe.EInvalid, field, "invalid", "%s must have exactly one of id, ref or email", field)
			}
		}
	}
	if r.EndDate, err = optDate(obj, "endDate"); err != nil {
		return r, nil, err
	}
	if r.EndDate != nil && (r.EndDate.IsZero() || r.Action != lethe.ActionSuspend) {
		if r.Action != lethe.ActionSuspend {
			return r, nil, lethe.FieldErrorf(lethe.EInvalid, "endDate", "invalid", "endDate applies to suspend only")
		}
		r.EndDate = nil
	}
	dry, err := optBool(obj, "dryRun")
	if err != nil {
		return r, nil, err
	}
	r.DryRun = dry != nil && *dry
	return r, sent, nil
}

func decodeAction(obj map[string]json.RawMessage) (lethe.BulkAction, error) {
	a, err := optString(obj, "action")
	if err != nil {
		return "", err
	}
	if a == nil || *a == "" {
		return "", lethe.FieldErrorf(lethe.EInvalid, "action", "required", "action is required")
	}
	action, ok := lethe.ParseBulkAction(*a)
	if !ok {
		return "", lethe.FieldErrorf(lethe.EInvalid, "action", "invalid", "action must be one of suspend, reactivate, delete, anonymize, purge")
	}
	return action, nil
}

// storedBulk is the kept first answer of a bulk call: outcomes and reasons
// by position, naming no one (the user ids are kept beside it, see
// lethe.StoredAnswer, and the identifiers come from the retried request).
type storedBulk struct {
	Action  string           `json:"action"`
	DryRun  bool             `json:"dryRun"`
	Results []storedBulkItem `json:"results"`
}

type storedBulkItem struct {
	Named   bool    `json:"named,omitempty"` // the identifier named a user
	Outcome string  `json:"outcome"`
	Reason  *string `json:"reason"`
}

// maxIdempotencyKey bounds the Idempotency-Key header.
const maxIdempotencyKey = 200

// POST /lethe/v1/users/bulk: 200 when every user ends as asked (done or
// unchanged), 207 otherwise. With an Idempotency-Key, the call acts once:
// concurrent calls with the key wait for the first one's answer, and
// retries within lethe.IdempotencyWindow answer it, as kept (see
// bulkAnswer).
func (h *Handler) bulkUsers(r *http.Request) (int, any, error) {
	key := r.Header.Get("Idempotency-Key")
	if len(key) > maxIdempotencyKey || strings.IndexFunc(key, unicode.IsControl) >= 0 {
		return 0, nil, lethe.FieldErrorf(lethe.EInvalid, "Idempotency-Key", "invalid", "Idempotency-Key must be at most %d characters of text", maxIdempotencyKey)
	}
	body, err := readBody(r)
	if err != nil {
		return 0, nil, err
	}
	req, sent, err := decodeBulk(body)
	if err != nil {
		return 0, nil, err
	}
	if key == "" {
		results, err := h.Bulk.BulkUsers(r.Context(), req)
		if err != nil {
			return 0, nil, err
		}
		status, st, users := storeBulk(req, results)
		return status, bulkAnswer(st, users, sent), nil
	}
	first, hold, err := h.Bulk.ClaimKey(r.Context(), key, body)
	if err != nil {
		return 0, nil, err
	}
	if first == nil {
		// This call holds the key: act, renewing the key meanwhile, and
		// keep the answer; a failure gives the key up and keeps none.
		first, err = h.actHoldingKey(r, hold, req)
		if err != nil {
			return 0, nil, err
		}
	}
	var st storedBulk
	if err := json.Unmarshal(first.Answer, &st); err != nil || len(st.Results) != len(sent) {
		return 0, nil, fmt.Errorf("idempotent answer unreadable: %v", err)
	}
	return first.Status, bulkAnswer(st, first.Users, sent), nil
}

// actHoldingKey runs a bulk call under the Idempotency-Key it holds and
// returns the kept answer.
func (h *Handler) actHoldingKey(r *http.Request, hold *lethe.KeyHold, req lethe.BulkRequest) (*lethe.StoredAnswer, error) {
	ctx := r.Context()
	stop := make(chan struct{})
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		t := time.NewTicker(lethe.IdempotencyLease / 3)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				_ = h.Bulk.RenewKey(ctx, hold) // a missed renewal only shortens the lease
			}
		}
	}()
	stopRenewing := sync.OnceFunc(func() { close(stop); <-renewed })
	defer stopRenewing() // also when BulkUsers panics
	results, err := h.Bulk.BulkUsers(ctx, req)
	stopRenewing()
	if err != nil {
		// Given up even when the request's context ended.
		_ = h.Bulk.ReleaseKey(context.WithoutCancel(ctx), hold)
		return nil, err
	}
	status, st, users := storeBulk(req, results)
	b, _ := json.Marshal(st)
	return h.Bulk.SaveAnswer(context.WithoutCancel(ctx), hold, lethe.StoredAnswer{Status: status, Answer: b, Users: users})
}

// storeBulk is the answer of a bulk call as kept: its status, the results
// naming no one, and the user of each result by position.
func storeBulk(req lethe.BulkRequest, results []lethe.ItemResult) (int, storedBulk, map[int]lethe.LearnerID) {
	st := storedBulk{Action: string(req.Action), DryRun: req.DryRun, Results: make([]storedBulkItem, len(results))}
	users := map[int]lethe.LearnerID{}
	status := http.StatusOK
	for i, res := range results {
		st.Results[i] = storedBulkItem{Named: res.UserID != "", Outcome: res.Outcome, Reason: strPtr(res.Reason)}
		if res.UserID != "" {
			users[i] = res.UserID
		}
		if res.Outcome != lethe.ItemDone && res.Outcome != lethe.ItemUnchanged {
			status = http.StatusMultiStatus
		}
	}
	return status, st, users
}

// bulkAnswer puts the identifiers of the request and the users beside the
// results. A result that named a user who is no longer in users (erased
// since, or by the call itself, when the answer is a kept one) is blind: it
// carries neither the identifier nor the user id.
func bulkAnswer(st storedBulk, users map[int]lethe.LearnerID, sent []identifierJSON) bulkJSON {
	out := bulkJSON{Action: st.Action, DryRun: st.DryRun, Summary: map[string]int{}, Results: make([]bulkItemJSON, len(st.Results))}
	for _, o := range []string{lethe.ItemDone, lethe.ItemUnchanged, lethe.ItemSkipped, lethe.ItemFailed} {
		out.Summary[o] = 0
	}
	for i, res := range st.Results {
		item := bulkItemJSON{Identifier: &sent[i], Outcome: res.Outcome, Reason: res.Reason}
		if res.Named {
			if id, ok := users[i]; ok {
				item.UserID = strPtr(string(id))
			} else {
				item.Identifier = nil
			}
		}
		out.Results[i] = item
		out.Summary[res.Outcome]++
	}
	return out
}

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

type rulesJSON struct {
	NeverLoggedInDays *int `json:"neverLoggedInDays,omitempty"`
	InactiveDays      *int `json:"inactiveDays,omitempty"`
	EndDatePassed     bool `json:"endDatePassed"`
	Exclude           struct {
		Roles     []string `json:"roles"`
		Audiences []string `json:"audiences"`
	} `json:"exclude"`
}

func toRulesJSON(r *lethe.DormantRules) *rulesJSON {
	if r == nil {
		return nil
	}
	out := &rulesJSON{NeverLoggedInDays: r.NeverLoggedInDays, InactiveDays: r.InactiveDays, EndDatePassed: r.EndDatePassed}
	out.Exclude.Roles, out.Exclude.Audiences = []string{}, []string{}
	for _, role := range r.ExcludeRoles {
		out.Exclude.Roles = append(out.Exclude.Roles, string(role))
	}
	out.Exclude.Audiences = append(out.Exclude.Audiences, r.ExcludeAudiences...)
	return out
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

// decodeDormant reads {neverLoggedInDays?, inactiveDays?, endDatePassed?,
// exclude?: {roles, audiences}}.
func decodeDormant(body []byte) (lethe.DormantRules, error) {
	var rules lethe.DormantRules
	obj, err := decodeObject(body, false)
	if err != nil {
		return rules, err
	}
	for k, raw := range obj {
		switch k {
		case "neverLoggedInDays", "inactiveDays":
			var f float64
			if json.Unmarshal(raw, &f) != nil {
				return rules, typeError(k, "a number of days")
			}
			if f != float64(int(f)) || f < 0 || f > lethe.MaxPeriodDays {
				return rules, lethe.FieldErrorf(lethe.EInvalid, k, "out_of_range", "%s must be a whole number of days from 0 to %d", k, lethe.MaxPeriodDays)
			}
			n := int(f)
			if k == "neverLoggedInDays" {
				rules.NeverLoggedInDays = &n
			} else {
				rules.InactiveDays = &n
			}
		case "endDatePassed":
			b, err := optBool(obj, k)
			if err != nil {
				return rules, err
			}
			rules.EndDatePassed = b != nil && *b
		case "exclude":
			ex, err := member(obj, "exclude")
			if err != nil {
				return rules, err
			}
			for ek, ev := range ex {
				var list []string
				if json.Unmarshal(ev, &list) != nil {
					return rules, typeError("exclude."+ek, "an array of strings")
				}
				switch ek {
				case "roles":
					for i, s := range list {
						role := lethe.Role(strings.ToLower(strings.TrimSpace(s)))
						if !role.Valid() {
							return rules, lethe.FieldErrorf(lethe.EInvalid, fmt.Sprintf("exclude.roles[%d]", i), "invalid",
								"a role is one of administrator, learneradmin, learner")
						}
						rules.ExcludeRoles = append(rules.ExcludeRoles, role)
					}
				case "audiences":
					rules.ExcludeAudiences = list
				default:
					return rules, lethe.FieldErrorf(lethe.EInvalid, "exclude."+ek, "unknown", "exclude takes roles and audiences")
				}
			}
		default:
			return rules, lethe.FieldErrorf(lethe.EInvalid, k, "unknown", "%s is not a dormant-audit rule", k)
		}
	}
	return rules, nil
}

// POST /lethe/v1/audits/dormant: 201 with the preview, kept as a report.
func (h *Handler) previewDormant(r *http.Request) (int, any, error) {
	body, err := readBody(r)
	if err != nil {
		return 0, nil, err
	}
	rules, err := decodeDormant(body)
	if err != nil {
		return 0, nil, err
	}
	j, err := h.Jobs.PreviewDormant(r.Context(), rules)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, toJobJSON(j), nil
}

// GET /lethe/v1/audits/dormant: the audit reports, newest first.
func (h *Handler) listDormant(r *http.Request) (int, any, error) {
	p, err := parsePaging(r.URL.Query(), 20, 1000)
	if err != nil {
		return 0, nil, err
	}
	return h.jobPage(r, lethe.JobFilter{Kind: "dormant", Offset: p.offset(), Limit: p.perPage}, p)
}

// GET /lethe/v1/audits/dormant/{id}
func (h *Handler) getDormant(r *http.Request) (int, any, error) {
	j, err := h.Jobs.FindJob(r.Context(), r.PathValue("id"))
	if err == nil && j.Kind != "dormant" {
		err = lethe.Errorf(lethe.ENotFound, "Audit not found.")
	}
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toJobJSON(j), nil
}

// POST /lethe/v1/audits/dormant/{id}/apply: 202 with the queued job.
func (h *Handler) applyDormant(r *http.Request) (int, any, error) {
	if _, _, err := h.getDormant(r); err != nil {
		return 0, nil, err
	}
	j, err := h.Jobs.ApplyJob(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	h.wakeJobs()
	return http.StatusAccepted, toJobJSON(j), nil
}
