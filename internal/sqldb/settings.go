package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/lethehq/lethe"
)

// SettingsService implements lethe.SettingsService.
type SettingsService struct{ db *DB }

// NewSettingsService returns the settings service of db.
func NewSettingsService(db *DB) *SettingsService { return &SettingsService{db: db} }

var _ lethe.SettingsService = (*SettingsService)(nil)

// settings reads the tenant's settings; the defaults when never changed.
func (tx *Tx) settings(ctx context.Context) (*lethe.Settings, error) {
	s := lethe.DefaultSettings()
	var updated int64
	err := tx.QueryRowContext(ctx, `SELECT deletion_mode, grace_days, tombstone_days, updated_at FROM tenant_settings
		WHERE tenant_id = $1`, string(tx.actor.TenantID)).Scan(&s.Deletion.Mode, &s.Deletion.GraceDays, &s.Deletion.TombstoneDays, &updated)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, fmt.Errorf("find settings: %w", err)
	default:
		t := fromMS(updated)
		s.UpdatedAt = &t
	}
	return &s, nil
}

// FindSettings implements lethe.SettingsService.
func (s *SettingsService) FindSettings(ctx context.Context) (out *lethe.Settings, err error) {
	err = s.db.readTx(ctx, func(tx *Tx) error {
		out, err = tx.settings(ctx)
		return err
	})
	return out, err
}

// UpdateSettings implements lethe.SettingsService. The change is in the
// audit trail.
func (s *SettingsService) UpdateSettings(ctx context.Context, u lethe.SettingsUpdate) (out *lethe.Settings, err error) {
	err = s.db.writeTx(ctx, func(tx *Tx) error {
		if out, err = tx.settings(ctx); err != nil {
			return err
		}
		if err := u.Apply(out); err != nil {
			return err
		}
		now := tx.now
		out.UpdatedAt = &now
		d := out.Deletion
		if _, err := tx.ExecContext(ctx, `INSERT INTO tenant_settings (tenant_id, deletion_mode, grace_days, tombstone_days, updated_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id) DO UPDATE SET deletion_mode = excluded.deletion_mode,
			grace_days = excluded.grace_days, tombstone_days = excluded.tombstone_days, updated_at = excluded.updated_at`,
			string(tx.actor.TenantID), d.Mode, d.GraceDays, d.TombstoneDays, ms(now)); err != nil {
			return fmt.Errorf("save settings: %w", err)
		}
		return tx.audit(ctx, "settings.updated", "", map[string]any{
			"deletionMode": d.Mode, "graceDays": d.GraceDays, "tombstoneDays": d.TombstoneDays})
	})
	return out, err
}
