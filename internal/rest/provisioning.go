package rest

import (
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"strings"
	"unicode"

	"github.com/lethehq/lethe"
)

// decodeProvisioningEvent reads the envelope
// {id, timestamp, eventType, content: {user: {...}}} of spec §10.1.
func decodeProvisioningEvent(body []byte) (lethe.ProvisioningEvent, error) {
	ev := lethe.ProvisioningEvent{Digest: sha256.Sum256(body)}
	obj, err := decodeObject(body, false)
	if err != nil {
		return ev, err
	}
	id, err := optString(obj, "id")
	if err != nil {
		return ev, err
	}
	if id == nil || strings.TrimSpace(*id) == "" {
		return ev, lethe.FieldErrorf(lethe.EInvalid, "id", "required", "id is required")
	}
	if len(*id) > 200 {
		return ev, lethe.FieldErrorf(lethe.EInvalid, "id", "too_long", "id must be at most 200 characters")
	}
	if strings.IndexFunc(*id, unicode.IsControl) >= 0 {
		return ev, lethe.FieldErrorf(lethe.EInvalid, "id", "invalid", "id must not contain control characters")
	}
	ev.ID = strings.TrimSpace(*id)
	if ts, err := optString(obj, "timestamp"); err != nil {
		return ev, err
	} else if ts != nil && *ts != "" {
		t, err := parseTime(*ts)
		if err != nil {
			return ev, lethe.FieldErrorf(lethe.EInvalid, "timestamp", "invalid", "timestamp must be an ISO 8601 date-time")
		}
		ev.Timestamp = &t
	}
	typ, err := optString(obj, "eventType")
	if err != nil {
		return ev, err
	}
	if typ == nil || *typ == "" {
		return ev, lethe.FieldErrorf(lethe.EInvalid, "eventType", "required", "eventType is required")
	}
	ev.Type = lethe.EventType(*typ)
	if !ev.Type.Valid() {
		return ev, lethe.FieldErrorf(lethe.EInvalid, "eventType", "invalid",
			"eventType must be one of user_joined, user_updated, user_suspended, user_deleted")
	}
	content, err := member(obj, "content")
	if err != nil {
		return ev, err
	}
	user, err := member(content, "user")
	if err != nil {
		return ev, prefixed(err, "content.")
	}
	if ev.Ref, err = decodeRef(user); err != nil {
		return ev, prefixed(err, "content.user.")
	}
	switch ev.Type {
	case lethe.EventUserSuspended:
		end, err := optDate(user, "endDate")
		if err != nil {
			return ev, prefixed(err, "content.user.")
		}
		ev.Fields.EndDate = end
	case lethe.EventUserJoined, lethe.EventUserUpdated:
		if ev.Fields, err = decodeUserFields(user); err != nil {
			return ev, prefixed(err, "content.user.")
		}
	}
	return ev, nil
}

// member reads a required JSON object member.
func member(obj map[string]json.RawMessage, name string) (map[string]json.RawMessage, error) {
	raw, ok := obj[name]
	if !ok || isNull(raw) {
		return nil, lethe.FieldErrorf(lethe.EInvalid, name, "required", "%s is required", name)
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return nil, typeError(name, "a JSON object")
	}
	return m, nil
}

// prefixed qualifies the field names of a field error with their parent.
func prefixed(err error, prefix string) error {
	e, ok := err.(*lethe.Error)
	if !ok {
		return err
	}
	out := *e
	out.Details = make([]lethe.FieldError, len(e.Details))
	for i, d := range e.Details {
		out.Details[i] = lethe.FieldError{Field: prefix + d.Field, Problem: d.Problem}
	}
	if len(e.Details) > 0 {
		out.Message = strings.Replace(out.Message, e.Details[0].Field, prefix+e.Details[0].Field, 1)
	}
	return &out
}

// provisioningResultJSON answers an inbound provisioning event.
type provisioningResultJSON struct {
	Success   bool   `json:"success"`
	ID        string `json:"id"`
	EventType string `json:"eventType"`
	Outcome   string `json:"outcome"`
	UserID    string `json:"userId"`
	Replayed  bool   `json:"replayed"`
}

// POST /rest/v1/webhooks: user_joined, user_updated, user_suspended,
// user_deleted, idempotent on the envelope id.
func (h *Handler) provisioningEvent(r *http.Request) (int, any, error) {
	body, err := readBody(r)
	if err != nil {
		return 0, nil, err
	}
	ev, err := decodeProvisioningEvent(body)
	if err != nil {
		return 0, nil, err
	}
	ctx := r.Context()
	if a, err := lethe.ActorFrom(ctx); err == nil {
		a.Source, a.Name = lethe.SourceProvisioning, "provisioning-webhook"
		ctx = lethe.WithActor(ctx, a)
	}
	out, err := h.Provisioning.ApplyProvisioningEvent(ctx, ev)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, provisioningResultJSON{Success: true, ID: out.EventID, EventType: string(out.EventType),
		Outcome: out.Outcome, UserID: string(out.UserID), Replayed: out.Replayed}, nil
}
