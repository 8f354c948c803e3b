package lethe

import (
	"context"
	"time"
)

// CPDCategory groups CPD log entries.
type CPDCategory struct {
	ID        string
	Name      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// CPDEntry is one continuing-professional-development log entry of a
// learner. It names the learner by id only and is kept when the learner is
// erased; its Description, free text that may name a person, is cleared then.
type CPDEntry struct {
	ID              string
	LearnerID       LearnerID
	ActivityType    string
	ActivityName    string
	CategoryID      string // "" when uncategorised
	CategoryName    string
	EntryDate       time.Time
	DurationMinutes int
	Description     *string
	IsVerified      bool
	CreatedAt       time.Time
}

// CPD activity types: entries logged by hand, and verified entries credited
// for completing content that has a duration.
const (
	CPDActivityManual  = "manual"
	CPDActivityContent = "content"
)

// CPDRequirement is the number of CPD minutes an audience's members must log.
type CPDRequirement struct {
	ID              string
	AudienceID      string
	RequiredMinutes int
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// CPDUserSummary is the sum of a learner's CPD minutes in a period.
type CPDUserSummary struct {
	LearnerID       LearnerID
	DurationMinutes int
}

// CPDFilter selects categories or requirements.
type CPDFilter struct {
	UpdatedSince *time.Time
	Offset       int
	Limit        int
}

// CPDEntryFilter selects log entries: EntryFrom <= entryDate <= EntryTo.
type CPDEntryFilter struct {
	EntryFrom *time.Time
	EntryTo   *time.Time
	Offset    int
	Limit     int
}

// CPDSummaryFilter selects the learners whose minutes are summed, in the
// period From <= entryDate <= To.
type CPDSummaryFilter struct {
	From       time.Time
	To         time.Time
	LearnerIDs []LearnerID // all learners with entries when empty
	Offset     int
	Limit      int
}

// CPDService keeps CPD categories, requirements and log entries. Every
// method is scoped to the tenant of the Actor in ctx; paged finds return
// a page ordered by id and the total.
type CPDService interface {
	FindCategoryByID(ctx context.Context, id string) (*CPDCategory, error)
	FindCategories(ctx context.Context, f CPDFilter) ([]*CPDCategory, int, error)
	CreateCategory(ctx context.Context, name string) (*CPDCategory, error)
	FindRequirementByID(ctx context.Context, id string) (*CPDRequirement, error)
	FindRequirements(ctx context.Context, f CPDFilter) ([]*CPDRequirement, int, error)
	// CreateRequirement sets the minutes for an audience named by id or
	// reference (EInvalid on audienceId when there is none).
	CreateRequirement(ctx context.Context, audience string, minutes int) (*CPDRequirement, error)
	FindEntryByID(ctx context.Context, id string) (*CPDEntry, error)
	// FindEntries pages entries in entry date order (then id).
	FindEntries(ctx context.Context, f CPDEntryFilter) ([]*CPDEntry, int, error)
	// CreateEntry logs an entry: ENotFound for an unknown learner,
	// EConflict for an erased one, EInvalid on categoryId for an unknown
	// category. ID, CategoryName and CreatedAt are set.
	CreateEntry(ctx context.Context, e *CPDEntry) error
	// FindUserSummaries sums minutes per learner, ordered by learner id.
	FindUserSummaries(ctx context.Context, f CPDSummaryFilter) ([]CPDUserSummary, int, error)
}
