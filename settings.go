package lethe

import (
	"context"
	"time"
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
