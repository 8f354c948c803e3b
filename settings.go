package lethe

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

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
	// SCIM maps SCIM attributes to additionalFields keys.
	SCIM      SCIMSettings
	UpdatedAt *time.Time // nil while the defaults apply
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
	return Settings{Deletion: DeletionSettings{Mode: DeletionModeErase, TombstoneDays: DefaultTombstoneDays},
		SCIM: SCIMSettings{AdditionalFields: DefaultSCIMAdditionalFields()}}
}

// SettingsUpdate changes settings; nil leaves a value.
type SettingsUpdate struct {
	DeletionMode  *string
	GraceDays     *int
	TombstoneDays *int
	// DormantAudit set to a nil *ScheduledAudit stops the schedule.
	DormantAudit **ScheduledAudit
	// SCIMAdditionalFields replaces the whole SCIM attribute mapping.
	SCIMAdditionalFields *map[string]string
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
	if u.SCIMAdditionalFields != nil {
		if err := validateSCIMMapping(*u.SCIMAdditionalFields); err != nil {
			return err
		}
		s.SCIM.AdditionalFields = *u.SCIMAdditionalFields
	}
	return nil
}

// SettingsService reads and changes the settings of the tenant of the
// Actor in ctx.
type SettingsService interface {
	FindSettings(ctx context.Context) (*Settings, error)
	UpdateSettings(ctx context.Context, u SettingsUpdate) (*Settings, error)
}

// MaxSCIMMappings bounds a tenant's SCIM attribute mapping.
const MaxSCIMMappings = 50

// validateSCIMMapping checks a SCIM attribute mapping: at most
// MaxSCIMMappings entries, each a non-empty attribute path and key of at
// most MaxTextLength printable characters, and no two attributes to one key.
func validateSCIMMapping(m map[string]string) error {
	const field = "scim.additionalFields"
	if len(m) > MaxSCIMMappings {
		return FieldErrorf(EInvalid, field, "too_many", "%s must map at most %d attributes", field, MaxSCIMMappings)
	}
	keys := map[string]bool{}
	for attr, key := range m {
		for _, s := range []string{attr, key} {
			if strings.TrimSpace(s) == "" || utf8.RuneCountInString(s) > MaxTextLength || !printable(s) {
				return FieldErrorf(EInvalid, field, "invalid",
					"%s must map attribute paths to keys, each 1 to %d printable characters", field, MaxTextLength)
			}
		}
		if keys[key] {
			return FieldErrorf(EInvalid, field, "duplicate", "%s maps two attributes to one key", field)
		}
		keys[key] = true
	}
	return nil
}
