package client

import (
	"context"
	"time"
)

// EventType is the type of a provisioning event.
type EventType string

// Provisioning event types.
const (
	EventUserJoined    EventType = "user_joined"    // create the user, or reactivate and update it
	EventUserUpdated   EventType = "user_updated"   // update an existing user
	EventUserSuspended EventType = "user_suspended" // suspend; Fields.EndDate may be set
	EventUserDeleted   EventType = "user_deleted"   // erase, keeping the learning records
)

// Outcomes of a provisioning event, as reported in ProvisioningResult.Outcome.
const (
	OutcomeCreated     = "created"
	OutcomeUpdated     = "updated"
	OutcomeReactivated = "reactivated"
	OutcomeSuspended   = "suspended"
	OutcomeErased      = "erased"
)

// ProvisioningEvent is one inbound provisioning event, the envelope
// {id, timestamp, eventType, content: {user: {ref, ...fields}}}.
//
// ID is the sender's unique reference for the event: the server applies each
// ID once. Sending the same event again (the same ID and the same body) is
// answered with the first outcome and Replayed set; the same ID with another
// body is a conflict. A zero Timestamp is not sent, so a retried event must
// carry the Timestamp of the first attempt to count as the same body.
type ProvisioningEvent struct {
	ID        string
	Timestamp time.Time
	Type      EventType
	// Ref identifies the user the event is about.
	Ref string
	// Fields carries the user's fields for user_joined and user_updated, and
	// the optional EndDate for user_suspended. It is ignored for user_deleted.
	Fields UserFields
}

// ProvisioningResult is what the server did with an event.
type ProvisioningResult struct {
	Success   bool      `json:"success"`
	ID        string    `json:"id"`
	EventType EventType `json:"eventType"`
	// Outcome is one of the Outcome constants.
	Outcome string `json:"outcome"`
	// UserID is the id of the user the event acted on; "" in a replay
	// after that user was erased or anonymized, which names no one.
	UserID string `json:"userId"`
	// Replayed is set when the event had been applied before: nothing
	// changed this time.
	Replayed bool `json:"replayed"`
}

type provisioningEventJSON struct {
	ID        string `json:"id"`
	Timestamp string `json:"timestamp,omitempty"`
	EventType string `json:"eventType"`
	Content   struct {
		User userFieldsJSON `json:"user"`
	} `json:"content"`
}

// SendProvisioningEvent delivers one provisioning event (POST
// /rest/v1/webhooks) and reports its outcome.
func (c *Client) SendProvisioningEvent(ctx context.Context, ev ProvisioningEvent) (*ProvisioningResult, error) {
	in := provisioningEventJSON{ID: ev.ID, EventType: string(ev.Type)}
	if !ev.Timestamp.IsZero() {
		in.Timestamp = ev.Timestamp.UTC().Format(time.RFC3339Nano)
	}
	in.Content.User = ev.Fields.wire(ev.Ref)
	return doInto[ProvisioningResult](ctx, c, call{method: "POST", pattern: "/rest/v1/webhooks", in: in})
}
