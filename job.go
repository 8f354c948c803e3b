package lethe

import (
	"context"
	"time"
)

// BulkAction is a lifecycle action applied to many users at once.
type BulkAction string

// Bulk actions.
const (
	ActionSuspend    BulkAction = "suspend"
	ActionReactivate BulkAction = "reactivate"
	ActionDelete     BulkAction = "delete"
	ActionAnonymize  BulkAction = "anonymize"
	ActionPurge      BulkAction = "purge"
)

// BulkActions lists the bulk actions.
var BulkActions = []BulkAction{ActionSuspend, ActionReactivate, ActionDelete, ActionAnonymize, ActionPurge}

// ParseBulkAction reports whether s names a bulk action.
func ParseBulkAction(s string) (BulkAction, bool) {
	for _, a := range BulkActions {
		if string(a) == s {
			return a, true
		}
	}
	return "", false
}

// Item outcomes of bulk operations and jobs.
const (
	ItemDone      = "done"      // the action was applied
	ItemUnchanged = "unchanged" // the user was already so
	ItemSkipped   = "skipped"   // the action does not apply (an erased user, a duplicate)
	ItemFailed    = "failed"    // the action was refused (unknown user, history, policy)
)

// Reasons of item outcomes: fixed words, never personal data.
const (
	ReasonUnknownUser      = "unknown user"
	ReasonDuplicate        = "duplicate"
	ReasonUserErased       = "erased"
	ReasonUserAnonymized   = "anonymized"
	ReasonAlreadySuspended = "already suspended"
	ReasonNotSuspended     = "not suspended"
	ReasonAlreadyErased    = "already erased"
	ReasonScheduled        = "erasure scheduled"
	ReasonAlreadyScheduled = "erasure already scheduled"
	ReasonRestricted       = "deletion restricted: has history"
	ReasonHasHistory       = "has history"
	ReasonNoLongerDormant  = "no longer matches the audit"
)

// Identifier names a user by exactly one of id, ref or email.
type Identifier struct {
	ID    LearnerID
	Ref   string
	Email string
}

// MaxBulkIdentifiers is the most users one synchronous bulk call names.
const MaxBulkIdentifiers = 1000

// BulkRequest is a synchronous bulk operation.
type BulkRequest struct {
	Action      BulkAction
	Identifiers []Identifier
	EndDate     *time.Time // suspend only
	DryRun      bool       // answer what would happen; change nothing
}

// ItemResult is what a bulk operation or a job did to one user.
type ItemResult struct {
	Index   int       // the position in the request, or the line of a CSV
	UserID  LearnerID // "" when the identifier named nobody
	Action  BulkAction
	Outcome string
	Reason  string
}

// BulkService applies lifecycle actions to many users. Every method is
// scoped to the tenant of the Actor in ctx.
type BulkService interface {
	// BulkUsers applies the action to each identified user, in order, and
	// answers one result per identifier. Per-user refusals are results,
	// not errors. DryRun answers the same and changes nothing.
	BulkUsers(ctx context.Context, r BulkRequest) ([]ItemResult, error)
	IdempotencyService
}

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
	Outcomes   map[string]int // processed items by outcome
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

// DormantRules are the rules of a dormant-account audit. Each proposes an
// action for the users it matches; a user matching several gets the first:
// never signed in (purge when without history, else suspend), inactive,
// end date passed (suspend). Excluded roles and audiences (ids or
// references, current members) are left out.
type DormantRules struct {
	NeverLoggedInDays *int // never signed in, created more than this many days ago
	InactiveDays      *int // last signed in more than this many days ago
	EndDatePassed     bool
	ExcludeRoles      []Role
	ExcludeAudiences  []string
}

// Empty reports whether no rule is set.
func (r *DormantRules) Empty() bool {
	return r.NeverLoggedInDays == nil && r.InactiveDays == nil && !r.EndDatePassed
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

// StoredAnswer is the first answer of a call made with an Idempotency-Key:
// the status, the answer without the request's identifiers or user ids, and
// the user each result names, by position. Users is read back without the
// users erased since (or by the call itself): a kept answer never names an
// erased person.
type StoredAnswer struct {
	Status int
	Answer []byte
	Users  map[int]LearnerID
}

// IdempotencyWindow is how long the first answer of a call made with an
// Idempotency-Key is kept and replayed; an older one is never replayed.
const IdempotencyWindow = 24 * time.Hour

// IdempotencyLease is how long a call holds its Idempotency-Key without
// renewing it; a holder that stops renewing (a crashed process) loses the
// key to the next call with it once this passes.
const IdempotencyLease = 15 * time.Second

// IdempotencyService keeps the first answers of calls made with an
// Idempotency-Key, scoped to the tenant of the Actor in ctx. A key is held
// by one call at a time: ClaimKey answers the first answer, or gives the
// caller a hold of the key; the holder renews it while it works and ends
// with SaveAnswer (or ReleaseKey when it failed and keeps no answer).
type IdempotencyService interface {
	// ClaimKey returns the first answer of key, or a hold when the caller
	// now holds key. While another call holds it, ClaimKey waits for its
	// answer (or for ctx). EConflict when key came with another body within
	// the window.
	ClaimKey(ctx context.Context, key string, body []byte) (*StoredAnswer, *KeyHold, error)
	// RenewKey keeps the key held for another IdempotencyLease.
	RenewKey(ctx context.Context, h *KeyHold) error
	// SaveAnswer keeps the answer of the call holding the key for
	// IdempotencyWindow and returns it as every retry will read it.
	// EConflict when the hold was lost: the holder stopped renewing, and
	// another call took the key over.
	SaveAnswer(ctx context.Context, h *KeyHold, a StoredAnswer) (*StoredAnswer, error)
	// ReleaseKey gives up the key: the next call with it acts anew. A hold
	// lost to another call releases nothing.
	ReleaseKey(ctx context.Context, h *KeyHold) error
}

// KeyHold is a call's hold of an Idempotency-Key. Its token, random and
// new at every claim, is what renewing, saving and releasing check: a call
// that lost the key (it stopped renewing, and another took it over) can
// neither save over the new holder's answer nor free its hold.
type KeyHold struct {
	Key   string
	Token string
}

// CSVUser is one line of a CSV of users.
type CSVUser struct {
	Line       int // 1-based, the header being line 1
	Identifier Identifier
}
