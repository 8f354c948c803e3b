package lethe

import (
	"context"
	"time"
)

// Completion is a learner's completion of a piece of content. It names the
// learner by id only and is kept when the learner is erased.
type Completion struct {
	ID          string
	LearnerID   LearnerID
	ContentID   string
	CompletedAt time.Time
	IsRPL       bool   // recognition of prior learning
	Type        string // "manual" or "rpl"
	HadDueDate  bool   // it completed at least one enrolment
	CreatedAt   time.Time
}

// Completion types.
const (
	CompletionManual = "manual"
	CompletionRPL    = "rpl"
)

// MaxCompletionSkew is how far in the future a completion may be dated
// (clock differences between systems).
const MaxCompletionSkew = 5 * time.Minute

// CompletionFilter selects completions.
type CompletionFilter struct {
	ContentID      string
	LearnerID      LearnerID
	IsRPL          *bool
	CompletedFrom  *time.Time // completedAt >= CompletedFrom
	CompletedUntil *time.Time // completedAt <= CompletedUntil
	Offset         int
	Limit          int
}

// CompletionService records completions. Every method is scoped to the
// tenant of the Actor in ctx.
type CompletionService interface {
	FindCompletionByID(ctx context.Context, id string) (*Completion, error)
	// FindCompletions returns a page ordered by id; the total is -1 (bare array).
	FindCompletions(ctx context.Context, f CompletionFilter) ([]*Completion, int, error)
	// CreateCompletion records a completion and completes the learner's
	// open, overdue or scheduled enrolments of that content, in one
	// transaction. created is false when the same completion (learner,
	// content, time) exists: it is answered and nothing is written.
	// ENotFound for an unknown learner, EConflict for an erased one.
	CreateCompletion(ctx context.Context, learner LearnerID, contentID string, completedAt time.Time) (c *Completion, created bool, err error)
}
