package lethe

import (
	"context"
	"encoding/json"
	"time"
)

// Activity is one thing a learner did (viewed, completed, logged in, …). It
// names the learner by id only; its free text (Name, Data, With) may name a
// person and is unreadable once the learner is erased.
type Activity struct {
	ID          string // the vendor id answered
	LearnerID   LearnerID
	Type        string // one of ActivityTypes
	Name        string
	Date        time.Time
	ContextType string
	ContextID   string
	Data        json.RawMessage // a JSON object, or nil
	With        json.RawMessage // a JSON object, or nil
	CreatedAt   time.Time
}

// ActivityTypes are the vendor's activity types.
var ActivityTypes = []string{"viewed", "completed", "passed", "pinned", "unpinned", "liked", "unliked",
	"commented", "commentdeleted", "shared", "progressed", "registered", "followed", "unfollowed", "started",
	"resumed", "searched", "found", "loggedin", "loggedout"}

// IsActivityType reports whether t is one of ActivityTypes.
func IsActivityType(t string) bool {
	for _, a := range ActivityTypes {
		if a == t {
			return true
		}
	}
	return false
}

// MaxActivityBatch is the most activities one ingestion call takes.
const MaxActivityBatch = 1000

// NewActivity is an activity to ingest.
type NewActivity struct {
	ClientID    string
	User        UserKey
	Type        string
	Name        string
	Date        time.Time
	ContextType string
	ContextID   string
	Data        json.RawMessage
	With        json.RawMessage
}

// IngestResult counts what an ingestion call did.
type IngestResult struct {
	Received   int
	Stored     int // new activities
	Duplicates int // ids already ingested: not stored again
}

// ActivityFilter selects activities.
type ActivityFilter struct {
	Actions     []string
	OmitActions []string // ignored when Actions is set
	ContentIDs  []string // contextId in these
	ContentType string   // contextType equal
	From, To    *time.Time
	Offset      int
	Limit       int
}

// ActivityService stores and reads activities. Every method is scoped to the
// tenant of the Actor in ctx.
type ActivityService interface {
	// FindActivityByID answers an activity by its vendor id. ENotFound when missing.
	FindActivityByID(ctx context.Context, id string) (*Activity, error)
	// FindActivities returns a page ordered by date, then by the keyed
	// client id (unique within a date), and the total.
	FindActivities(ctx context.Context, f ActivityFilter) ([]*Activity, int, error)
	// IngestActivities stores a batch all or nothing: any invalid item
	// (unknown user, bad type) fails the whole batch with the item's index
	// in the field name. An item whose ClientID was ingested before is
	// skipped. A loggedin activity records a login; a completed activity of
	// content records the completion once.
	IngestActivities(ctx context.Context, batch []NewActivity) (IngestResult, error)
}
