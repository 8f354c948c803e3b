package lethe

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
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
	// Trail is where the tenant's audit trail stood when the erasure was
	// written: the seq and hash of its head, which then recorded the
	// erasure. A receipt carries it, so a kept receipt anchors the trail
	// outside the database (lethe trail verify --anchor). Nil for erasures
	// written before the trail was anchored.
	Trail *TrailPoint
}

// TrailPoint is an entry of a tenant's audit trail, by seq and hash. Seq 0
// with the zero hash is the start of an empty trail.
type TrailPoint struct {
	Seq  int64
	Hash []byte
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

// Deletion modes of a tenant.
const (
	DeletionModeErase      = "erase"      // the vendor's semantics: delete erases
	DeletionModeRestricted = "restricted" // people with history cannot be erased
)

// DeletionSettings is a tenant's deletion policy.
type DeletionSettings struct {
	Mode string
	// GraceDays delays erasures: a delete suspends at once and erases
	// after this many days unless the user is reactivated meanwhile.
	GraceDays int
	// TombstoneDays is how long a keyed hash of an erased ref and email is
	// kept, to refuse provisioning events older than the erasure.
	TombstoneDays int
}

// Settings are a tenant's settings.
type Settings struct {
	Deletion DeletionSettings
	// DormantAudit, when set, runs a dormant-account audit preview every
	// EveryDays days; the previews are kept as audit reports, not applied.
	DormantAudit *ScheduledAudit
	UpdatedAt    *time.Time // nil while the defaults apply
}

// ScheduledAudit is a dormant-account audit run on a schedule.
type ScheduledAudit struct {
	EveryDays int          `json:"everyDays"`
	Rules     DormantRules `json:"rules"`
}

// MaxAuditEveryDays bounds the schedule of dormant-account audits.
const MaxAuditEveryDays = 3650

// Setting limits and defaults.
const (
	DefaultTombstoneDays = 30
	MaxGraceDays         = 365
	MaxTombstoneDays     = 3650
)

// DefaultSettings are a tenant's settings until changed.
func DefaultSettings() Settings {
	return Settings{Deletion: DeletionSettings{Mode: DeletionModeErase, TombstoneDays: DefaultTombstoneDays}}
}

// SettingsUpdate changes settings; nil leaves a value.
type SettingsUpdate struct {
	DeletionMode  *string
	GraceDays     *int
	TombstoneDays *int
	// DormantAudit set to a nil *ScheduledAudit stops the schedule.
	DormantAudit **ScheduledAudit
}

// Apply validates u and applies it to s.
func (u SettingsUpdate) Apply(s *Settings) error {
	if u.DeletionMode != nil {
		if *u.DeletionMode != DeletionModeErase && *u.DeletionMode != DeletionModeRestricted {
			return FieldErrorf(EInvalid, "deletion.mode", "invalid", "deletion.mode must be 'erase' or 'restricted'")
		}
		s.Deletion.Mode = *u.DeletionMode
	}
	if u.GraceDays != nil {
		if *u.GraceDays < 0 || *u.GraceDays > MaxGraceDays {
			return FieldErrorf(EInvalid, "deletion.graceDays", "out_of_range", "deletion.graceDays must be between 0 and %d", MaxGraceDays)
		}
		s.Deletion.GraceDays = *u.GraceDays
	}
	if u.TombstoneDays != nil {
		if *u.TombstoneDays < 0 || *u.TombstoneDays > MaxTombstoneDays {
			return FieldErrorf(EInvalid, "deletion.tombstoneDays", "out_of_range", "deletion.tombstoneDays must be between 0 and %d", MaxTombstoneDays)
		}
		s.Deletion.TombstoneDays = *u.TombstoneDays
	}
	if u.DormantAudit != nil {
		if a := *u.DormantAudit; a != nil {
			if a.EveryDays < 1 || a.EveryDays > MaxAuditEveryDays {
				return FieldErrorf(EInvalid, "audits.dormant.everyDays", "out_of_range", "audits.dormant.everyDays must be between 1 and %d", MaxAuditEveryDays)
			}
			if a.Rules.Empty() {
				return FieldErrorf(EInvalid, "audits.dormant.rules", "required", "audits.dormant.rules must set at least one rule")
			}
		}
		s.DormantAudit = *u.DormantAudit
	}
	return nil
}

// SettingsService reads and changes the settings of the tenant of the
// Actor in ctx.
type SettingsService interface {
	FindSettings(ctx context.Context) (*Settings, error)
	UpdateSettings(ctx context.Context, u SettingsUpdate) (*Settings, error)
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

// AuditEntry is one entry of a tenant's audit trail: who did what to whom,
// by internal ids and fixed words only.
type AuditEntry struct {
	Seq      int64
	At       time.Time
	Action   string // e.g. "user.erased"
	Source   Source
	Actor    string
	Subject  string // a learner id, or "" for the tenant
	Detail   string // a small JSON object of fixed words and numbers
	PrevHash []byte
	Hash     []byte
}

// ReceiptAlgorithm is the signature algorithm of erasure receipts.
const ReceiptAlgorithm = "Ed25519"

// SignReceipt signs a receipt (any JSON object without a "signature"
// member) with key and returns it as JSON with its signature: the
// Ed25519 signature of the receipt's canonical form (CanonicalReceipt).
func SignReceipt(key ed25519.PrivateKey, receipt any) ([]byte, error) {
	b, err := json.Marshal(receipt)
	if err != nil {
		return nil, err
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var obj map[string]any
	if err := d.Decode(&obj); err != nil {
		return nil, fmt.Errorf("receipt must be a JSON object: %w", err)
	}
	if _, ok := obj["signature"]; ok {
		return nil, errors.New("receipt already has a signature")
	}
	canonical, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	pub := key.Public().(ed25519.PublicKey)
	obj["signature"] = map[string]string{
		"algorithm": ReceiptAlgorithm,
		"publicKey": base64.StdEncoding.EncodeToString(pub),
		"value":     base64.StdEncoding.EncodeToString(ed25519.Sign(key, canonical)),
	}
	return json.Marshal(obj)
}

// CanonicalReceipt returns the bytes a receipt's signature covers: the
// receipt without its "signature" member, as JSON with object keys sorted
// and no insignificant space. Any change to any other member changes them.
func CanonicalReceipt(receipt []byte) (canonical []byte, signature string, err error) {
	d := json.NewDecoder(bytes.NewReader(receipt))
	d.UseNumber()
	var obj map[string]any
	if err := d.Decode(&obj); err != nil {
		return nil, "", fmt.Errorf("receipt is not a JSON object: %w", err)
	}
	sig, ok := obj["signature"].(map[string]any)
	if !ok {
		return nil, "", errors.New("receipt has no signature")
	}
	if sig["algorithm"] != ReceiptAlgorithm {
		return nil, "", fmt.Errorf("receipt signature algorithm %v, want %s", sig["algorithm"], ReceiptAlgorithm)
	}
	value, _ := sig["value"].(string)
	delete(obj, "signature")
	canonical, err = json.Marshal(obj)
	return canonical, value, err
}

// VerifyReceipt checks a signed receipt against the server's public key. It
// fails when any member was changed, added or removed after signing, or when
// another key signed it.
func VerifyReceipt(pub ed25519.PublicKey, receipt []byte) error {
	if len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("public key must be %d bytes", ed25519.PublicKeySize)
	}
	canonical, value, err := CanonicalReceipt(receipt)
	if err != nil {
		return err
	}
	sig, err := base64.StdEncoding.DecodeString(value)
	if err != nil || !ed25519.Verify(pub, canonical, sig) {
		return errors.New("receipt signature does not match: the receipt was changed, or another key signed it")
	}
	return nil
}
