package rest

import (
	"context"
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
	var sent []identifierJSON
	if r.Identifiers, sent, err = decodeIdentifiers(obj); err != nil {
		return r, nil, err
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

// decodeIdentifiers reads the identifiers of a bulk request: 1 to
// lethe.MaxBulkIdentifiers objects of one id, ref or email each. It returns
// them as read and as sent.
func decodeIdentifiers(obj map[string]json.RawMessage) ([]lethe.Identifier, []identifierJSON, error) {
	raw, ok := obj["identifiers"]
	if !ok || isNull(raw) {
		return nil, nil, lethe.FieldErrorf(lethe.EInvalid, "identifiers", "required", "identifiers is required")
	}
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		return nil, nil, typeError("identifiers", "an array of objects")
	}
	switch {
	case len(items) == 0:
		return nil, nil, lethe.FieldErrorf(lethe.EInvalid, "identifiers", "required", "identifiers must name at least one user")
	case len(items) > lethe.MaxBulkIdentifiers:
		return nil, nil, lethe.FieldErrorf(lethe.EInvalid, "identifiers", "too_many",
			"identifiers must have at most %d items; use POST /lethe/v1/jobs for more", lethe.MaxBulkIdentifiers)
	}
	sent := make([]identifierJSON, len(items))
	out := make([]lethe.Identifier, len(items))
	for i, item := range items {
		field := "identifiers[" + strconv.Itoa(i) + "]"
		var m map[string]json.RawMessage
		if json.Unmarshal(item, &m) != nil || m == nil {
			return nil, nil, typeError(field, "an object with one of id, ref or email")
		}
		if len(m) != 1 {
			return nil, nil, lethe.FieldErrorf(lethe.EInvalid, field, "invalid", "%s must have exactly one of id, ref or email", field)
		}
		for k, v := range m {
			var s string
			if json.Unmarshal(v, &s) != nil {
				return nil, nil, typeError(field+"."+k, "a string")
			}
			s = strings.TrimSpace(s)
			if s == "" || len(s) > lethe.MaxRefLength || strings.IndexFunc(s, unicode.IsControl) >= 0 {
				return nil, nil, lethe.FieldErrorf(lethe.EInvalid, field+"."+k, "invalid", "%s.%s must be 1 to %d characters of text", field, k, lethe.MaxRefLength)
			}
			switch k {
			case "id":
				id, ok := lethe.ParseID(s)
				if !ok {
					id = "invalid" // names nobody: a per-item failure, like an unknown id
				}
				out[i].ID, sent[i].ID = lethe.LearnerID(id), s
			case "ref":
				out[i].Ref, sent[i].Ref = s, s
			case "email":
				out[i].Email, sent[i].Email = s, s
			default:
				return nil, nil, lethe.FieldErrorf(lethe.EInvalid, field, "invalid", "%s must have exactly one of id, ref or email", field)
			}
		}
	}
	return out, sent, nil
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
