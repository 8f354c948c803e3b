package lethe

import "time"

// Status is the vendor's user status.
type Status string

// Statuses as the vendor names them. A deleted user is inactive.
const (
	StatusNew      Status = "new"      // never logged in
	StatusActive   Status = "active"   // logged in at least once
	StatusInactive Status = "inactive" // suspended or deleted
	StatusExpired  Status = "expired"  // the end date has passed
)

// AllStatuses lists every status in a stable order.
var AllStatuses = []Status{StatusActive, StatusInactive, StatusExpired, StatusNew}

// ParseStatus reports whether s names a status.
func ParseStatus(s string) (Status, bool) {
	for _, st := range AllStatuses {
		if string(st) == s {
			return st, true
		}
	}
	return "", false
}

// StatusAt derives the vendor status of a learner at now. It is the one
// definition; the SQL status filters in internal/sqldb mirror it.
func StatusAt(l *Learner, now time.Time) Status {
	switch {
	case l.State != StateActive:
		return StatusInactive
	case l.EndDate != nil && !l.EndDate.After(now):
		return StatusExpired
	case l.FirstLoginAt == nil:
		return StatusNew
	default:
		return StatusActive
	}
}

// Source says through which surface a change arrived.
type Source string

// Sources of lifecycle changes.
const (
	SourceAPI          Source = "api"
	SourceProvisioning Source = "provisioning"
	SourceSCIM         Source = "scim"
	SourceBulk         Source = "bulk"
	SourcePolicy       Source = "policy"
	SourceCLI          Source = "cli"
)

// Reasons recorded in the status history. They are fixed words, never free
// text, so the history can hold no personal data.
const (
	ReasonCreated     = "created"
	ReasonSuspended   = "suspended"
	ReasonReactivated = "reactivated"
	ReasonErased      = "erased"
	ReasonAnonymized  = "anonymized"
	// ReasonErasureScheduled: a delete suspended the user; the erasure
	// follows when the tenant's grace period ends.
	ReasonErasureScheduled = "erasure_scheduled"
)

// StatusChange is one entry of a learner's effective-dated status history.
// From is empty for the first entry.
type StatusChange struct {
	LearnerID LearnerID
	From      State
	To        State
	Reason    string
	Actor     string
	Source    Source
	At        time.Time
}
