package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	"github.com/lethehq/lethe"
)

// SettingsService implements lethe.SettingsService.
type SettingsService struct{ db *DB }

// NewSettingsService returns the settings service of db.
func NewSettingsService(db *DB) *SettingsService { return &SettingsService{db: db} }

var _ lethe.SettingsService = (*SettingsService)(nil)

// settings reads the tenant's settings, once per transaction; the defaults
// when never changed. The caller must not change the answer.
func (tx *Tx) settings(ctx context.Context) (*lethe.Settings, error) {
	if tx.tenantSettings != nil {
		return tx.tenantSettings, nil
	}
	s, err := tx.readSettings(ctx)
	if err == nil && tx.write {
		tx.tenantSettings = s
	}
	return s, err
}

func (tx *Tx) readSettings(ctx context.Context) (*lethe.Settings, error) {
	return scanSettings(tx.QueryRowContext(ctx, settingsQuery, string(tx.actor.TenantID)))
}

const settingsQuery = `SELECT deletion_mode, grace_days, tombstone_days, dormant_audit, scim_additional_fields, updated_at
	FROM tenant_settings WHERE tenant_id = $1`

// scanSettings reads the row of settingsQuery; the defaults when there is none.
func scanSettings(row *sql.Row) (*lethe.Settings, error) {
	s := lethe.DefaultSettings()
	var updated int64
	var audit, mapping sql.NullString
	err := row.Scan(&s.Deletion.Mode, &s.Deletion.GraceDays, &s.Deletion.TombstoneDays, &audit, &mapping, &updated)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, fmt.Errorf("find settings: %w", err)
	default:
		t := fromMS(updated)
		s.UpdatedAt = &t
		if audit.Valid {
			s.DormantAudit = &lethe.ScheduledAudit{}
			if err := json.Unmarshal([]byte(audit.String), s.DormantAudit); err != nil {
				return nil, err
			}
		}
		if mapping.Valid {
			s.SCIM.AdditionalFields = map[string]string{}
			if err := json.Unmarshal([]byte(mapping.String), &s.SCIM.AdditionalFields); err != nil {
				return nil, err
			}
		}
	}
	return &s, nil
}

// FindSettings implements lethe.SettingsService: one statement, outside a
// transaction (SCIM reads the settings on every request).
func (s *SettingsService) FindSettings(ctx context.Context) (*lethe.Settings, error) {
	actor, err := lethe.ActorFrom(ctx)
	if err != nil {
		return nil, err
	}
	out, err := scanSettings(s.db.read.QueryRowContext(ctx, settingsQuery, string(actor.TenantID)))
	return out, s.db.classify(err)
}

// UpdateSettings implements lethe.SettingsService. The change is in the
// trail.
func (s *SettingsService) UpdateSettings(ctx context.Context, u lethe.SettingsUpdate) (out *lethe.Settings, err error) {
	err = s.db.writeTx(ctx, func(tx *Tx) error {
		if out, err = tx.readSettings(ctx); err != nil {
			return err
		}
		if err := u.Apply(out); err != nil {
			return err
		}
		now := tx.now
		out.UpdatedAt = &now
		d := out.Deletion
		var audit any
		if out.DormantAudit != nil {
			// Audiences are kept by id, as in audit reports.
			for i, key := range out.DormantAudit.Rules.ExcludeAudiences {
				a, err := tx.findAudience(ctx, key)
				if lethe.ErrorCode(err) == lethe.ENotFound {
					return lethe.FieldErrorf(lethe.EInvalid, fmt.Sprintf("audits.dormant.rules.exclude.audiences[%d]", i), "not_found",
						"No audience has this id or reference.")
				}
				if err != nil {
					return err
				}
				out.DormantAudit.Rules.ExcludeAudiences[i] = a.ID
			}
			b, _ := json.Marshal(out.DormantAudit)
			audit = string(b)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO tenant_settings (tenant_id, deletion_mode, grace_days, tombstone_days, dormant_audit,
			scim_additional_fields, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant_id) DO UPDATE SET
			deletion_mode = excluded.deletion_mode, grace_days = excluded.grace_days, tombstone_days = excluded.tombstone_days,
			dormant_audit = excluded.dormant_audit, scim_additional_fields = excluded.scim_additional_fields, updated_at = excluded.updated_at`,
			string(tx.actor.TenantID), d.Mode, d.GraceDays, d.TombstoneDays, audit, scimMapping(out.SCIM), ms(now)); err != nil {
			return fmt.Errorf("save settings: %w", err)
		}
		every := 0
		if out.DormantAudit != nil {
			every = out.DormantAudit.EveryDays
		}
		return tx.appendTrail(ctx, "settings.updated", "", map[string]any{
			"deletionMode": d.Mode, "graceDays": d.GraceDays, "tombstoneDays": d.TombstoneDays, "dormantAuditEveryDays": every,
			"scimMappings": len(out.SCIM.AdditionalFields)})
	})
	return out, err
}

// scimMapping is the stored form of a SCIM attribute mapping: NULL while it
// is the default, so a tenant that never changed it follows a new default.
func scimMapping(s lethe.SCIMSettings) any {
	if maps.Equal(s.AdditionalFields, lethe.DefaultSCIMAdditionalFields()) {
		return nil
	}
	m := s.AdditionalFields
	if m == nil {
		m = map[string]string{}
	}
	b, _ := json.Marshal(m)
	return string(b)
}
