package lethe

import (
	"context"
	"time"
)

// EventType is the type of an inbound provisioning event (the vendor's
// "user_joined" family of webhook calls).
type EventType string

// Provisioning event types.
const (
	EventUserJoined    EventType = "user_joined"    // create, or unsuspend and update
	EventUserUpdated   EventType = "user_updated"   // update an existing user
	EventUserSuspended EventType = "user_suspended" // suspend, optional end date
	EventUserDeleted   EventType = "user_deleted"   // erase, keep the history
)

// Valid reports whether t is a known event type.
func (t EventType) Valid() bool {
	switch t {
	case EventUserJoined, EventUserUpdated, EventUserSuspended, EventUserDeleted:
		return true
	}
	return false
}

// ProvisioningEvent is one decoded envelope. Digest is a SHA-256 of the raw
// body: only a keyed hash of it is stored, never the body.
type ProvisioningEvent struct {
	ID     string
	Type   EventType
	Digest [32]byte
	// Timestamp is when the sender says the event happened (nil if not
	// given): an event older than the erasure of its ref is refused.
	Timestamp *time.Time
	Ref       string
	Fields    UserFields
}

// Outcomes of a provisioning event.
const (
	OutcomeCreated     = "created"
	OutcomeUpdated     = "updated"
	OutcomeReactivated = "reactivated"
	OutcomeSuspended   = "suspended"
	OutcomeErased      = "erased"
	// OutcomeErasureScheduled: user_deleted under a grace period suspended
	// the user; the erasure follows when it ends.
	OutcomeErasureScheduled = "erasure_scheduled"
)

// ProvisioningOutcome is what an event did. A replay answers the outcome of
// the first delivery with Replayed set.
type ProvisioningOutcome struct {
	EventID   string
	EventType EventType
	Outcome   string
	UserID    LearnerID
	Replayed  bool
}

// ProvisioningService applies provisioning events exactly once per envelope id.
type ProvisioningService interface {
	// ApplyProvisioningEvent applies ev in one transaction with its idempotency
	// record. A replay with the same id and body returns the first outcome and
	// changes nothing; the same id with another body is EConflict. Failed
	// events are not recorded, so a corrected retry can succeed.
	ApplyProvisioningEvent(ctx context.Context, ev ProvisioningEvent) (*ProvisioningOutcome, error)
}
