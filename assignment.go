package lethe

import (
	"context"
	"time"
)

// Assignment asks every member of an audience to complete a piece of
// content (or one of its alternatives) within CompletionPeriod days, again
// every Recurrence days when set.
type Assignment struct {
	ID                     string
	AudienceID             string
	PrimaryContentID       string
	AlternativeContentIDs  []string
	HideAlternativeContent bool
	CompletionPeriod       int  // days
	Recurrence             *int // days; nil when the assignment does not recur
	DeletedAt              *time.Time
	CreatedAt              time.Time
	UpdatedAt              time.Time
}

// Deleted reports whether the assignment was deleted (it is then kept,
// archived, with its enrolments).
func (a *Assignment) Deleted() bool { return a.DeletedAt != nil }

// Covers reports whether completing contentID fulfils the assignment.
func (a *Assignment) Covers(contentID string) bool {
	if a.PrimaryContentID == contentID {
		return true
	}
	for _, id := range a.AlternativeContentIDs {
		if id == contentID {
			return true
		}
	}
	return false
}

// Assignment limits and defaults.
const (
	DefaultCompletionPeriod  = 30
	MaxPeriodDays            = 36500 // 100 years: dates stay printable
	MaxAlternativeContentIDs = 20
)

// AssignmentFields is a set of changes to an assignment; nil means "not
// given". A Recurrence pointing at 0 clears it.
type AssignmentFields struct {
	AudienceID             *string // id or reference of the audience
	ContentID              *string
	AlternativeContentIDs  *[]string
	HideAlternativeContent *bool
	CompletionPeriod       *int
	Recurrence             *int
}

// AssignmentFilter selects assignments, deleted ones included.
type AssignmentFilter struct {
	AudienceID   string // id or reference; "" for all
	UpdatedSince *time.Time
	Offset       int
	Limit        int
}

// AssignmentService manages assignments. Every method is scoped to the
// tenant of the Actor in ctx.
type AssignmentService interface {
	FindAssignmentByID(ctx context.Context, id string) (*Assignment, error)
	// FindAssignments returns a page ordered by id. The list is a bare array
	// on the wire, so the total is not counted: it is -1.
	FindAssignments(ctx context.Context, f AssignmentFilter) ([]*Assignment, int, error)
	// CreateAssignment creates the assignment and an enrolment for every
	// member of its audience.
	CreateAssignment(ctx context.Context, f AssignmentFields) (*Assignment, error)
	// UpdateAssignment changes it; f.AudienceID must name its audience.
	UpdateAssignment(ctx context.Context, id string, f AssignmentFields) (*Assignment, error)
	// DeleteAssignment archives it and its enrolments; audience must name
	// its audience (EInvalid otherwise).
	DeleteAssignment(ctx context.Context, id, audience string) error
}
