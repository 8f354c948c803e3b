package lethe

import (
	"context"
	"time"
)

// JobState is the state of a durable job.
type JobState string

// Job states. A dormant-account audit is a job in state preview until it
// is applied.
const (
	JobPreview   JobState = "preview"
	JobQueued    JobState = "queued"
	JobRunning   JobState = "running"
	JobSucceeded JobState = "succeeded"
	JobFailed    JobState = "failed"
	JobCancelled JobState = "cancelled"
)

// Job is a durable bulk operation. Its arguments are ids only: a CSV or a
// query is resolved to learner ids when the job is created.
type Job struct {
	ID         string
	Kind       string     // "bulk" or "dormant"
	Action     BulkAction // "" for a dormant audit: each item has its own
	State      JobState
	DryRun     bool
	EndDate    *time.Time
	Total      int
	Processed  int
	Outcomes   map[string]int // processed items by outcome (OutcomeExcluded: dormant audits)
	Actions    map[string]int // items by action (dormant audits)
	Rules      *DormantRules  // dormant audits
	Source     Source
	Actor      string
	CreatedAt  time.Time
	StartedAt  *time.Time
	FinishedAt *time.Time
}

// Finished reports whether no item of the job will be processed any more.
func (j *Job) Finished() bool {
	return j.State == JobSucceeded || j.State == JobFailed || j.State == JobCancelled
}

// UserQuery selects users for a job. Nil fields do not restrict.
type UserQuery struct {
	Statuses        []Status
	CreatedBefore   *time.Time
	LastLoginBefore *time.Time
	NeverLoggedIn   *bool
	HasHistory      *bool
	EndDateBefore   *time.Time
}

// JobSelector says which users a job acts on: exactly one of CSV (text with
// an id, ref or email column), AudienceID (id or reference: the members)
// and Query.
type JobSelector struct {
	CSV        *string
	AudienceID *string
	Query      *UserQuery
	// ConfirmAll must be set for a query that selects every user.
	ConfirmAll bool
}

// NewJob is a job to create.
type NewJob struct {
	Action   BulkAction
	Selector JobSelector
	EndDate  *time.Time
	DryRun   bool
}

// JobFilter selects jobs.
type JobFilter struct {
	Kind   string // "" for every kind
	Offset int
	Limit  int
}

// DefaultMaxJobItems is the most users a job names unless the server is
// told otherwise (serve --max-job-items).
const DefaultMaxJobItems = 1_000_000

// MaxExcludeIDs is the most users one ExcludeJobItems call names.
const MaxExcludeIDs = 10_000

// DefaultJobRetention is how long a finished job and its items are kept
// unless the server is told otherwise (serve --job-retention).
const DefaultJobRetention = 30 * Day

// JobService keeps durable jobs. Every method is scoped to the tenant of
// the Actor in ctx, but RunJobs, which works for every tenant.
type JobService interface {
	// CreateJob resolves the selector to users and queues the job.
	CreateJob(ctx context.Context, j NewJob) (*Job, error)
	// PreviewDormant finds the users the rules match now and keeps them as
	// a job in state preview, not applied.
	PreviewDormant(ctx context.Context, rules DormantRules) (*Job, error)
	// ApplyJob queues a preview: exactly its users, each checked again
	// against the rules when processed.
	ApplyJob(ctx context.Context, id string) (*Job, error)
	// ExcludeJobItems takes the items of users out of a preview before it
	// is applied: each gets outcome OutcomeExcluded (reason
	// ReasonExcluded), and applying the job skips it. An excluded item
	// counts as processed, as do all items with an outcome: Processed is
	// the sum of Outcomes, Outcomes[OutcomeExcluded] says how many were
	// excluded, and Total and Actions still count every item the preview
	// found. Only a job in state preview (EConflict otherwise); at most
	// MaxExcludeIDs users, each naming an item of the job (EInvalid
	// "userIds" otherwise, nothing excluded). Excluding an excluded item
	// again changes nothing. The trail records job.excluded with the job
	// id and the number newly excluded.
	ExcludeJobItems(ctx context.Context, id string, users []LearnerID) (*Job, error)
	FindJob(ctx context.Context, id string) (*Job, error)
	FindJobs(ctx context.Context, f JobFilter) ([]*Job, int, error)
	// EachJobItem gives the job's items to fn in order, a page at a time;
	// those not processed yet have no outcome. An error from fn ends it.
	EachJobItem(ctx context.Context, id string, fn func(ItemResult) error) error
	// CancelJob stops a queued or running job: items not processed stay so.
	CancelJob(ctx context.Context, id string) (*Job, error)
	// RunJobs processes queued and running jobs of every tenant until none
	// has work left or ctx ends, a chunk of items per transaction. It
	// returns how many items it processed.
	RunJobs(ctx context.Context) (int, error)
}
