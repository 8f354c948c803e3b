package lethe

import (
	"context"
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"time"
	"unicode/utf8"
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
// the status and the answer without the request's identifiers.
type StoredAnswer struct {
	Status int
	Answer []byte
}

// IdempotencyWindow is how long the first answer of a call made with an
// Idempotency-Key is kept.
const IdempotencyWindow = 24 * time.Hour

// IdempotencyService keeps the first answers of calls made with an
// Idempotency-Key, scoped to the tenant of the Actor in ctx.
type IdempotencyService interface {
	// FindAnswer returns the first answer of key, or nil; EConflict when
	// key came with another body.
	FindAnswer(ctx context.Context, key string, body []byte) (*StoredAnswer, error)
	SaveAnswer(ctx context.Context, key string, body []byte, a StoredAnswer) error
}

// CSVUser is one line of a CSV of users.
type CSVUser struct {
	Line       int // 1-based, the header being line 1
	Identifier Identifier
}

// CSV header names that name users, compared ignoring case, spaces,
// dashes and underscores.
var csvColumns = map[string]string{
	"id": "id", "userid": "id", "learnerid": "id",
	"ref": "ref", "reference": "ref", "userref": "ref", "employeeref": "ref", "employeeid": "ref",
	"email": "email", "emailaddress": "email", "mail": "email",
}

// ParseUserCSV reads a CSV of users: a header line with an id, ref or email
// column (the first found, in that order), comma- or semicolon-separated,
// with or without an Excel byte-order mark. Blank lines are skipped; a
// line whose cell is empty names nobody. field names the input in errors.
func ParseUserCSV(text, field string) ([]CSVUser, error) {
	text = strings.TrimPrefix(text, "\ufeff")
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	if len(lines) == 0 || strings.TrimSpace(lines[0]) == "" {
		return nil, FieldErrorf(EInvalid, field, "no_header", "%s must start with a header line naming an id, ref or email column", field)
	}
	sep := ','
	if strings.Count(lines[0], ";") > strings.Count(lines[0], ",") {
		sep = ';'
	}
	r := csv.NewReader(strings.NewReader(strings.Join(lines, "\n")))
	r.Comma, r.FieldsPerRecord, r.ReuseRecord = sep, -1, false
	header, err := r.Read()
	if err != nil {
		return nil, FieldErrorf(EInvalid, field, "invalid", "%s is not valid CSV: %s", field, csvProblem(err))
	}
	col, kind := -1, ""
	for _, want := range []string{"id", "ref", "email"} {
		for i, h := range header {
			key := strings.ToLower(strings.NewReplacer(" ", "", "-", "", "_", "").Replace(strings.TrimSpace(h)))
			if csvColumns[key] == want {
				col, kind = i, want
				break
			}
		}
		if col >= 0 {
			break
		}
	}
	if col < 0 {
		found := strings.Join(header, ", ")
		if utf8.RuneCountInString(found) > 200 {
			found = string([]rune(found)[:200]) + "…"
		}
		return nil, FieldErrorf(EInvalid, field, "no_user_column",
			"%s has no id, ref or email column; the header found is: %s", field, found)
	}
	var out []CSVUser
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			return nil, FieldErrorf(EInvalid, field, "invalid", "%s is not valid CSV at line %d: %s", field, line, csvProblem(err))
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line
		}
		u := CSVUser{Line: line}
		if col < len(rec) {
			v := strings.TrimSpace(rec[col])
			switch kind {
			case "id":
				if id, ok := ParseID(v); ok {
					u.Identifier.ID = LearnerID(id)
				} else if v != "" {
					u.Identifier.ID = LearnerID("invalid")
				}
			case "ref":
				u.Identifier.Ref = v
			case "email":
				u.Identifier.Email = v
			}
		}
		out = append(out, u)
	}
}

// csvProblem describes a CSV error without the offending text.
func csvProblem(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return "unreadable"
}
