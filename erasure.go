package lethe

import (
	"time"
)

// Erasure modes.
const (
	// ModeErase deletes the person; the learner stays as a deleted account.
	ModeErase = "erase"
	// ModeAnonymize keeps the account, suspended for good, with random
	// personal fields.
	ModeAnonymize = "anonymize"
)

// Erasure is the record of one erased or anonymized user: ids and counts
// only.
type Erasure struct {
	LearnerID   LearnerID
	Mode        string
	RequestedAt time.Time // when it was asked for: before ErasedAt after a grace period
	ErasedAt    time.Time
	Source      Source
	Actor       string
	// Erased counts what was removed or made unreadable, by category, e.g.
	// "person": 1.
	Erased map[string]int
	// Kept counts the records that stayed, by kind, e.g. "completions": 3.
	Kept map[string]int
	// Verification is the check that nothing erased is left, run when the
	// erasure is read.
	Verification *Verification
	// Trail is where the tenant's trail stood when the erasure was
	// written: the seq and hash of its head, which then recorded the
	// erasure. A receipt carries it, so a kept receipt anchors the trail
	// outside the database (lethe trail verify --anchor). Nil for erasures
	// written before the trail was anchored.
	Trail *TrailPoint
	// Propagation is, per subscription sent the user.deleted (or
	// user.anonymized) event, whether and when its receiver acknowledged.
	Propagation []Propagation
}

// KeptPolicy is the policy under which an erasure keeps records: they stay,
// naming the learner by its internal id only.
const KeptPolicy = "pseudonymize"

// Verification is the result of checking an erasure against the database.
type Verification struct {
	CheckedAt time.Time
	Passed    bool
	Checks    []Check
}

// Check is one verification: Found counts what should not be there.
type Check struct {
	Name  string
	Found int
}

// Deletion outcomes.
const (
	DeletionErased    = "erased"    // erased now
	DeletionScheduled = "scheduled" // suspended; erased when the grace period ends
	DeletionRepeated  = "repeated"  // already erased, or already scheduled
)

// Deletion is what a DeleteUser did.
type Deletion struct {
	LearnerID LearnerID // "" when a ref erased earlier was named
	Outcome   string
	DueAt     *time.Time // for a scheduled erasure
	Erasure   *Erasure   // for an erasure done now
}

// HistoryGuidance is the advice given when an account with history cannot
// be purged, or erased in restricted mode.
const HistoryGuidance = "Suspend the user to remove access (PATCH /rest/v2/users/ref/{ref}/suspend), " +
	"erase them to delete their personal data and keep their records (DELETE /rest/v2/users/ref/{ref}), " +
	"or anonymize the account to keep it with random personal fields (POST /lethe/v1/users/{id}/anonymize)."

// ErrAnonymized is the answer to any change of an anonymized account: its
// random personal fields must never become a person's again, or the
// receipt that calls the anonymization irreversible would lie. Erasing it
// is the one change allowed, by its id or its random ref: its old ref and
// email name no one.
var ErrAnonymized = FieldErrorf(EConflict, "user", "anonymized",
	"The account was anonymized, which cannot be undone: it can no longer be changed, suspended or reactivated, only erased "+
		"(DELETE /lethe/v1/users/{id}). Create a new user for a returning person.")
