package rest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lethehq/lethe"
)

// activityJSON is the vendor's Activity (§6.11); date always has
// milliseconds and Z, which the Airbyte connector requires.
type activityJSON struct {
	ID          string          `json:"id"`
	User        string          `json:"user"`
	Type        string          `json:"type"`
	Name        *string         `json:"name"`
	Date        string          `json:"date"`
	ContextID   *string         `json:"contextId"`
	ContextType *string         `json:"contextType"`
	Data        json.RawMessage `json:"data"`
	With        json.RawMessage `json:"with"`
}

func optStr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func toActivityJSON(a *lethe.Activity) activityJSON {
	out := activityJSON{ID: a.ID, User: string(a.LearnerID), Type: a.Type, Name: optStr(a.Name), Date: formatTime(a.Date),
		ContextID: optStr(a.ContextID), ContextType: optStr(a.ContextType), Data: a.Data, With: a.With}
	if out.Data == nil {
		out.Data = json.RawMessage("{}")
	}
	if out.With == nil {
		out.With = json.RawMessage("null")
	}
	return out
}

// parseActivityList reads page, perPage (1-1000, default 20), actions,
// omitActions, contentIds, contentType, timestampFrom and timestampTo
// (YYYY-MM-DD hh:mm:ss, a date alone or ISO 8601; a date alone as
// timestampTo ends at the end of that day).
func parseActivityList(q map[string][]string) (lethe.ActivityFilter, paging, error) {
	var f lethe.ActivityFilter
	p, err := parsePaging(q, 20, 1000)
	if err != nil {
		return f, p, err
	}
	f.Offset, f.Limit = p.offset(), p.perPage
	actions := func(name string) ([]string, error) {
		list := commaList(first(q, name))
		for i, t := range list {
			list[i] = strings.ToLower(t)
			if !lethe.IsActivityType(list[i]) {
				return nil, lethe.FieldErrorf(lethe.EInvalid, name, "invalid", "%s must list types from %s", name, strings.Join(lethe.ActivityTypes, ", "))
			}
		}
		return list, nil
	}
	if f.Actions, err = actions("actions"); err != nil {
		return f, p, err
	}
	if len(f.Actions) == 0 {
		if f.OmitActions, err = actions("omitActions"); err != nil {
			return f, p, err
		}
	}
	for _, id := range commaList(first(q, "contentIds")) {
		f.ContentIDs = append(f.ContentIDs, lowerIDString(id))
	}
	if len(f.ContentIDs) > 1000 {
		return f, p, lethe.FieldErrorf(lethe.EInvalid, "contentIds", "too_many", "contentIds must have at most 1000 items")
	}
	f.ContentType = strings.TrimSpace(first(q, "contentType"))
	for name, vs := range map[string][]string{"contentIds": f.ContentIDs, "contentType": {f.ContentType}} {
		for _, v := range vs {
			if strings.ContainsRune(v, 0) || !utf8.ValidString(v) || len(v) > 200 {
				return f, p, lethe.FieldErrorf(lethe.EInvalid, name, "invalid", "%s holds an invalid value", name)
			}
		}
	}
	if f.From, err = queryTime(q, "timestampFrom"); err != nil {
		return f, p, err
	}
	if f.To, err = queryTime(q, "timestampTo"); err != nil {
		return f, p, err
	}
	if f.To != nil && len(strings.TrimSpace(first(q, "timestampTo"))) == len("2006-01-02") {
		end := f.To.Add(lethe.Day - time.Millisecond)
		f.To = &end
	}
	return f, p, nil
}

func lowerIDString(s string) string {
	if id, ok := lethe.ParseID(s); ok {
		return id
	}
	return s
}

// GET /rest/v1/activities: paged envelope.
func (h *Handler) listActivities(r *http.Request) (int, any, error) {
	f, p, err := parseActivityList(r.URL.Query())
	if err != nil {
		return 0, nil, err
	}
	list, total, err := h.Activities.FindActivities(r.Context(), f)
	if err != nil {
		return 0, nil, err
	}
	out := make([]activityJSON, len(list))
	for i, a := range list {
		out[i] = toActivityJSON(a)
	}
	return http.StatusOK, newPage(out, total, p), nil
}

// GET /rest/v1/activity/{id}
func (h *Handler) getActivity(r *http.Request) (int, any, error) {
	a, err := h.Activities.FindActivityByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toActivityJSON(a), nil
}

// maxClientID bounds the client-supplied activity id.
const maxClientID = 200

// decodeActivities reads {"activities": [...]}: 1 to MaxActivityBatch items,
// each {id, type, userId or userRef, date, contextType, contextId, name,
// data, with}. Any bad item fails the whole batch, naming
// activities[i].field.
func decodeActivities(body []byte) ([]lethe.NewActivity, error) {
	// A well-formed batch is read in one pass (reading the body, then the
	// array, then each item, reads each item three times over); any other
	// body takes the general path, which names what is wrong.
	var top map[string][]map[string]json.RawMessage
	if json.Unmarshal(body, &top) == nil && top != nil {
		items, ok := top["activities"]
		if !ok || items == nil {
			return nil, lethe.FieldErrorf(lethe.EInvalid, "activities", "required", "activities is required")
		}
		return decodeActivityItems(len(items), func(i int) (map[string]json.RawMessage, bool) { return items[i], items[i] != nil })
	}
	return decodeActivitiesGeneral(body)
}

// decodeActivitiesGeneral is decodeActivities for any body, step by step.
func decodeActivitiesGeneral(body []byte) ([]lethe.NewActivity, error) {
	obj, err := decodeObject(body, false)
	if err != nil {
		return nil, err
	}
	raw, ok := obj["activities"]
	if !ok || isNull(raw) {
		return nil, lethe.FieldErrorf(lethe.EInvalid, "activities", "required", "activities is required")
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, typeError("activities", "an array of objects")
	}
	return decodeActivityItems(len(items), func(i int) (map[string]json.RawMessage, bool) {
		o, err := decodeObject(items[i], false)
		return o, err == nil
	})
}

// decodeActivityItems checks the size of a batch of n items and reads each;
// item(i) returns the i-th as an object, or false when it is not one.
func decodeActivityItems(n int, item func(i int) (map[string]json.RawMessage, bool)) ([]lethe.NewActivity, error) {
	if n == 0 {
		return nil, lethe.FieldErrorf(lethe.EInvalid, "activities", "required", "activities must have at least one item")
	}
	if n > lethe.MaxActivityBatch {
		return nil, lethe.FieldErrorf(lethe.EInvalid, "activities", "too_many", "activities must have at most %d items", lethe.MaxActivityBatch)
	}
	out := make([]lethe.NewActivity, n)
	for i := range out {
		prefix := "activities[" + strconv.Itoa(i) + "]"
		o, ok := item(i)
		if !ok {
			return nil, typeError(prefix, "an object")
		}
		var err error
		if out[i], err = decodeActivity(o, prefix+"."); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func decodeActivity(o map[string]json.RawMessage, prefix string) (lethe.NewActivity, error) {
	f := activityFields{o: o, prefix: prefix}
	var a lethe.NewActivity
	var err error
	if a.ClientID, err = f.required("id", maxClientID); err != nil {
		return a, err
	}
	if id, ok := lethe.ParseID(a.ClientID); ok {
		a.ClientID = id
	}
	if a.Type, err = f.activityType(); err != nil {
		return a, err
	}
	if a.User, err = f.user(); err != nil {
		return a, err
	}
	if a.Date, err = f.date(); err != nil {
		return a, err
	}
	if a.ContextType, err = f.str("contextType", 50); err != nil {
		return a, err
	}
	if a.ContextID, err = f.str("contextId", 200); err != nil {
		return a, err
	}
	a.ContextID = lowerIDString(a.ContextID)
	if a.Type == "completed" && a.ContextType == "content" {
		if _, ok := lethe.ParseID(a.ContextID); !ok {
			return a, lethe.FieldErrorf(lethe.EInvalid, prefix+"contextId", "invalid", "%scontextId must be a content id of 24 hexadecimal characters", prefix)
		}
	}
	if a.Name, err = f.str("name", 1000); err != nil {
		return a, err
	}
	if a.Data, err = f.object("data"); err != nil {
		return a, err
	}
	a.With, err = f.object("with")
	return a, err
}

// activityFields reads the members of one ingested activity; prefix names
// the item in errors.
type activityFields struct {
	o      map[string]json.RawMessage
	prefix string
}

// str reads a text member of at most max characters, trimmed; null or
// absent reads as "".
func (f activityFields) str(name string, max int) (string, error) {
	raw, ok := f.o[name]
	if !ok || isNull(raw) {
		return "", nil
	}
	s, ok := decodeString(raw)
	if !ok {
		return "", typeError(f.prefix+name, "a string")
	}
	s = strings.TrimSpace(s)
	if strings.ContainsRune(s, 0) {
		return "", lethe.FieldErrorf(lethe.EInvalid, f.prefix+name, "invalid", "%s%s must not contain NUL", f.prefix, name)
	}
	if utf8.RuneCountInString(s) > max {
		return "", lethe.FieldErrorf(lethe.EInvalid, f.prefix+name, "too_long", "%s%s must have at most %d characters", f.prefix, name, max)
	}
	return s, nil
}

// required is str for a member that must not be empty.
func (f activityFields) required(name string, max int) (string, error) {
	s, err := f.str(name, max)
	if err == nil && s == "" {
		err = lethe.FieldErrorf(lethe.EInvalid, f.prefix+name, "required", "%s%s is required", f.prefix, name)
	}
	return s, err
}

// activityType reads the type, lower-cased: one of lethe.ActivityTypes.
func (f activityFields) activityType() (string, error) {
	t, err := f.str("type", 50)
	if err != nil {
		return "", err
	}
	if t = strings.ToLower(t); t == "" {
		return t, lethe.FieldErrorf(lethe.EInvalid, f.prefix+"type", "required", "%stype is required", f.prefix)
	}
	if !lethe.IsActivityType(t) {
		return t, lethe.FieldErrorf(lethe.EInvalid, f.prefix+"type", "invalid", "%stype must be one of %s", f.prefix, strings.Join(lethe.ActivityTypes, ", "))
	}
	return t, nil
}

// user reads userId, or else userRef.
func (f activityFields) user() (lethe.UserKey, error) {
	userID, err := f.str("userId", 24)
	if err != nil {
		return lethe.UserKey{}, err
	}
	userRef, err := f.str("userRef", 500)
	if err != nil {
		return lethe.UserKey{}, err
	}
	switch {
	case userID != "":
		id, ok := lethe.ParseID(userID)
		if !ok {
			return lethe.UserKey{}, lethe.FieldErrorf(lethe.EInvalid, f.prefix+"userId", "invalid", "%suserId must be 24 hexadecimal characters", f.prefix)
		}
		return lethe.ByID(lethe.LearnerID(id)), nil
	case userRef != "":
		return lethe.ByRef(userRef), nil
	}
	return lethe.UserKey{}, lethe.FieldErrorf(lethe.EInvalid, f.prefix+"userId", "required", "%suserId or %suserRef is required", f.prefix, f.prefix)
}

// date reads the required date, to the millisecond.
func (f activityFields) date() (time.Time, error) {
	date, err := f.required("date", 64)
	if err != nil {
		return time.Time{}, err
	}
	t, err := parseTime(date)
	if t = t.Truncate(time.Millisecond); err != nil || t.IsZero() {
		return t, lethe.FieldErrorf(lethe.EInvalid, f.prefix+"date", "invalid", "%sdate must be an ISO 8601 date-time", f.prefix)
	}
	return t, nil
}

// object reads a JSON object member of at most 16 KiB, compacted; null or
// absent reads as nil.
func (f activityFields) object(name string) (json.RawMessage, error) {
	raw, ok := f.o[name]
	if !ok || isNull(raw) {
		return nil, nil
	}
	// raw is valid JSON (the item was read): an object starts with {.
	if raw = bytes.TrimSpace(raw); raw[0] != '{' || !utf8.Valid(raw) {
		return nil, typeError(f.prefix+name, "a JSON object")
	}
	compact := new(bytes.Buffer)
	if err := json.Compact(compact, raw); err != nil {
		return nil, typeError(f.prefix+name, "a JSON object")
	}
	if compact.Len() > 16<<10 {
		return nil, lethe.FieldErrorf(lethe.EInvalid, f.prefix+name, "too_long", "%s%s must be at most 16 KiB", f.prefix, name)
	}
	return compact.Bytes(), nil
}

// MaxActivityBodyBytes is the largest ingestion body: a full batch with
// some data per item.
const MaxActivityBodyBytes = 8 << 20

// POST /lethe/v1/activities: 200 {received, stored, duplicates}.
func (h *Handler) ingestActivities(r *http.Request) (int, any, error) {
	body, err := readBodyLimit(r, MaxActivityBodyBytes, "8 MiB")
	if err != nil {
		return 0, nil, err
	}
	batch, err := decodeActivities(body)
	if err != nil {
		return 0, nil, err
	}
	res, err := h.Activities.IngestActivities(r.Context(), batch)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]int{"received": res.Received, "stored": res.Stored, "duplicates": res.Duplicates}, nil
}
