package rest

import (
	"encoding/json"
	"net/http"

	"github.com/lethehq/lethe"
)

// A tenant's webhook subscriptions, their deliveries and the attempts of
// each (/lethe/v1/webhooks), over lethe.SubscriptionService. A
// subscription's secret is write-only: no answer carries it, only
// hasSecret. The delivery engine itself is not served here.

// subscriptionJSON is a subscription on the wire, without its secret;
// disabledReason and failingSince are null when they do not apply.
type subscriptionJSON struct {
	ID             string                   `json:"id"`
	URL            string                   `json:"url"`
	Types          []lethe.SubscriptionType `json:"types"`
	Enabled        bool                     `json:"enabled"`
	HasSecret      bool                     `json:"hasSecret"`
	DisabledReason *string                  `json:"disabledReason"`
	FailingSince   *string                  `json:"failingSince"`
	CreatedAt      string                   `json:"createdAt"`
	UpdatedAt      string                   `json:"updatedAt"`
}

func toSubscriptionJSON(s *lethe.Subscription) subscriptionJSON {
	types := s.Types
	if types == nil {
		types = []lethe.SubscriptionType{}
	}
	return subscriptionJSON{ID: s.ID, URL: s.URL, Types: types, Enabled: s.Enabled, HasSecret: s.HasSecret,
		DisabledReason: nullIfEmpty(s.DisabledReason), FailingSince: formatTimePtr(s.FailingSince),
		CreatedAt: formatTime(s.CreatedAt), UpdatedAt: formatTime(s.UpdatedAt)}
}

// deliveryJSON is one event's delivery to one subscription; the members
// that do not apply (yet) are null.
type deliveryJSON struct {
	ID             string          `json:"id"`
	EventID        string          `json:"eventId"`
	EventType      lethe.EventName `json:"eventType"`
	SubscriptionID string          `json:"subscriptionId"`
	State          string          `json:"state"`
	Attempts       int             `json:"attempts"`
	NextAttemptAt  *string         `json:"nextAttemptAt"`
	DeliveredAt    *string         `json:"deliveredAt"`
	LastStatus     *int            `json:"lastStatus"`
	LastError      *string         `json:"lastError"`
	CreatedAt      string          `json:"createdAt"`
}

func toDeliveryJSON(d *lethe.Delivery) deliveryJSON {
	return deliveryJSON{ID: d.ID, EventID: d.EventID, EventType: d.EventType, SubscriptionID: d.SubscriptionID,
		State: d.State, Attempts: d.Attempts, NextAttemptAt: formatTimePtr(d.NextAt), DeliveredAt: formatTimePtr(d.DeliveredAt),
		LastStatus: nullIfZero(d.LastStatus), LastError: nullIfEmpty(d.LastError), CreatedAt: formatTime(d.CreatedAt)}
}

// attemptJSON is one POST of a delivery: status is null when the receiver
// gave none, error and response null when there was none.
type attemptJSON struct {
	At        string  `json:"at"`
	Status    *int    `json:"status"`
	Error     *string `json:"error"`
	LatencyMS int64   `json:"latencyMs"`
	Response  *string `json:"response"`
}

func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func nullIfZero(n int) *int {
	if n == 0 {
		return nil
	}
	return &n
}

// subscriptionBody is a decoded subscription body; a nil member was not
// sent.
type subscriptionBody struct {
	url, secret *string
	types       []lethe.SubscriptionType // null reads as empty, which the store refuses
	enabled     *bool
}

// decodeSubscription reads {"url", "types", "secret", "enabled"}, any of
// them; the store checks the values (lethe.ValidateSubscription). A
// member of the wrong type is 400 naming it; other members are ignored.
func decodeSubscription(body []byte) (subscriptionBody, error) {
	var b subscriptionBody
	obj, err := decodeObject(body, false)
	if err != nil {
		return b, err
	}
	if b.url, err = optString(obj, "url"); err != nil {
		return b, err
	}
	if b.secret, err = optString(obj, "secret"); err != nil {
		return b, err
	}
	if b.enabled, err = optBool(obj, "enabled"); err != nil {
		return b, err
	}
	if raw, ok := obj["types"]; ok {
		b.types = []lethe.SubscriptionType{}
		if !isNull(raw) && json.Unmarshal(raw, &b.types) != nil {
			return b, typeError("types", "an array of strings")
		}
	}
	return b, nil
}

// POST /lethe/v1/webhooks/subscriptions: 201 subscription; enabled
// unless enabled is false.
func (h *Handler) createSubscription(r *http.Request) (int, any, error) {
	body, err := readBody(r)
	if err != nil {
		return 0, nil, err
	}
	b, err := decodeSubscription(body)
	if err != nil {
		return 0, nil, err
	}
	url, secret, enabled := "", "", true
	if b.url != nil {
		url = *b.url
	}
	if b.secret != nil {
		secret = *b.secret
	}
	if b.enabled != nil {
		enabled = *b.enabled
	}
	s, err := h.Webhooks.CreateSubscription(r.Context(), url, b.types, secret, enabled)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, toSubscriptionJSON(s), nil
}

// GET /lethe/v1/webhooks/subscriptions: a bare array, oldest first.
func (h *Handler) listSubscriptions(r *http.Request) (int, any, error) {
	list, err := h.Webhooks.ListSubscriptions(r.Context())
	if err != nil {
		return 0, nil, err
	}
	out := make([]subscriptionJSON, len(list))
	for i, s := range list {
		out[i] = toSubscriptionJSON(s)
	}
	return http.StatusOK, out, nil
}

// GET /lethe/v1/webhooks/subscriptions/{id}
func (h *Handler) getSubscription(r *http.Request) (int, any, error) {
	s, err := h.Webhooks.FindSubscription(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toSubscriptionJSON(s), nil
}

// PATCH /lethe/v1/webhooks/subscriptions/{id}: any of url, types, secret
// ("" or null removes it) and enabled.
func (h *Handler) updateSubscription(r *http.Request) (int, any, error) {
	body, err := readBody(r)
	if err != nil {
		return 0, nil, err
	}
	b, err := decodeSubscription(body)
	if err != nil {
		return 0, nil, err
	}
	s, err := h.Webhooks.UpdateSubscription(r.Context(), r.PathValue("id"),
		lethe.SubscriptionEdit{URL: b.url, Types: b.types, Secret: b.secret, Enabled: b.enabled})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toSubscriptionJSON(s), nil
}

// DELETE /lethe/v1/webhooks/subscriptions/{id}: 204; its deliveries go
// with it (but those of user.deleted, which erasure receipts show).
func (h *Handler) deleteSubscription(w http.ResponseWriter, r *http.Request) {
	if err := h.Webhooks.DeleteSubscription(r.Context(), r.PathValue("id")); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// GET /lethe/v1/webhooks/subscriptions/{id}/deliveries?state: a paged
// envelope, newest first; 404 for an unknown subscription.
func (h *Handler) listSubscriptionDeliveries(r *http.Request) (int, any, error) {
	id := r.PathValue("id")
	if _, err := h.Webhooks.FindSubscription(r.Context(), id); err != nil {
		return 0, nil, err
	}
	page, err := h.deliveryPage(r, lethe.DeliveryQuery{SubscriptionID: id})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, page, nil
}

// GET /lethe/v1/webhooks/events/{eventId}/deliveries?state: a paged
// envelope, newest first; 404 when the tenant has no delivery of the event
// in any state (an event is written only for its deliveries).
func (h *Handler) listEventDeliveries(r *http.Request) (int, any, error) {
	id := r.PathValue("eventId")
	page, err := h.deliveryPage(r, lethe.DeliveryQuery{EventID: id})
	if err != nil {
		return 0, nil, err
	}
	if page.Pagination.TotalResults == 0 {
		_, n, err := h.Webhooks.FindDeliveries(r.Context(), lethe.DeliveryQuery{EventID: id, Limit: 1})
		if err != nil {
			return 0, nil, err
		}
		if n == 0 {
			return 0, nil, lethe.Errorf(lethe.ENotFound, "Event not found.")
		}
	}
	return http.StatusOK, page, nil
}

// deliveryPage is the page of q that the request's state, page and perPage
// ask for.
func (h *Handler) deliveryPage(r *http.Request, q lethe.DeliveryQuery) (pageJSON[deliveryJSON], error) {
	query := r.URL.Query()
	p, err := parsePaging(query, 20, 1000)
	if err != nil {
		return pageJSON[deliveryJSON]{}, err
	}
	switch q.State = first(query, "state"); q.State {
	case "", lethe.DeliveryPending, lethe.DeliveryDelivered, lethe.DeliveryFailed:
	default:
		return pageJSON[deliveryJSON]{}, lethe.FieldErrorf(lethe.EInvalid, "state", "invalid",
			"state must be pending, delivered or failed")
	}
	q.Offset, q.Limit = p.offset(), p.perPage
	list, total, err := h.Webhooks.FindDeliveries(r.Context(), q)
	if err != nil {
		return pageJSON[deliveryJSON]{}, err
	}
	out := make([]deliveryJSON, len(list))
	for i, d := range list {
		out[i] = toDeliveryJSON(d)
	}
	return newPage(out, total, p), nil
}

// GET /lethe/v1/webhooks/deliveries/{deliveryId}/attempts: a bare array,
// oldest first.
func (h *Handler) listAttempts(r *http.Request) (int, any, error) {
	list, err := h.Webhooks.FindAttempts(r.Context(), r.PathValue("deliveryId"))
	if err != nil {
		return 0, nil, err
	}
	out := make([]attemptJSON, len(list))
	for i, a := range list {
		out[i] = attemptJSON{At: formatTime(a.At), Status: nullIfZero(a.Status), Error: nullIfEmpty(a.Error),
			LatencyMS: a.LatencyMS, Response: nullIfEmpty(a.Response)}
	}
	return http.StatusOK, out, nil
}

// POST /lethe/v1/webhooks/events/{eventId}/redeliver?subscriptionId: 202
// {"redelivered": n}, the deliveries queued again (one still pending is
// left as it is, so n may be 0).
func (h *Handler) redeliverEvent(r *http.Request) (int, any, error) {
	sub := first(r.URL.Query(), "subscriptionId")
	if sub != "" {
		if _, err := h.Webhooks.FindSubscription(r.Context(), sub); lethe.ErrorCode(err) == lethe.ENotFound {
			return 0, nil, lethe.FieldErrorf(lethe.ENotFound, "subscriptionId", "not_found", "subscriptionId names no subscription")
		} else if err != nil {
			return 0, nil, err
		}
	}
	n, err := h.Webhooks.Redeliver(r.Context(), r.PathValue("eventId"), sub)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, map[string]int{"redelivered": n}, nil
}
