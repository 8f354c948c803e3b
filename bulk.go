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
	// OutcomeExcluded: a reviewer took the item out of a dormant-account
	// audit's preview (JobService.ExcludeJobItems); applying it skips the
	// item.
	OutcomeExcluded = "excluded"
)

// Reasons of item outcomes: fixed words, never personal data.
const (
	ReasonExcluded         = "excluded by the reviewer"
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
