package sqldb

import (
	"context"
	"fmt"

	"github.com/lethehq/lethe"
)

// normalizeStoredEmails brings the emails stored before Lethe kept them in
// Unicode NFC (ADR 0020) to that form, once per database: SQLite has no
// NFC function a migration could call. Only addresses whose form changes
// are written, one statement each. A person whose address, once
// normalized, is already another person's keeps theirs as it was (the
// same person twice is for an operator to merge or erase); the count, and
// nothing of the addresses, is logged.
func (db *DB) normalizeStoredEmails(ctx context.Context) error {
	var done int
	if err := db.write.QueryRowContext(ctx, `SELECT COUNT(*) FROM maintenance WHERE name = 'emails-nfc'`).Scan(&done); err != nil {
		return fmt.Errorf("read maintenance: %w", err)
	}
	if done > 0 {
		return nil
	}
	type change struct{ tenant, learner, email, norm string }
	var changes []change
	tenants, err := NewTenantService(db).FindTenants(ctx)
	if err != nil {
		return err
	}
	for _, t := range tenants {
		rows, err := db.read.QueryContext(ctx, `SELECT learner_id, email, email_norm FROM people WHERE tenant_id = $1 AND email IS NOT NULL`,
			string(t.ID))
		if err != nil {
			return fmt.Errorf("read emails: %w", err)
		}
		for rows.Next() {
			c := change{tenant: string(t.ID)}
			var stored string
			if err := rows.Scan(&c.learner, &c.email, &stored); err != nil {
				rows.Close()
				return fmt.Errorf("read emails: %w", err)
			}
			if clean, norm := lethe.CleanEmail(c.email), lethe.NormalizeEmail(c.email); clean != c.email || norm != stored {
				c.email, c.norm = clean, norm
				changes = append(changes, c)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read emails: %w", err)
		}
	}
	clashes := 0
	for _, c := range changes {
		// Checked first rather than left to the unique index: PostgreSQL
		// would write the clashing address into its server log.
		var other int
		if err := db.write.QueryRowContext(ctx, `SELECT COUNT(*) FROM people WHERE tenant_id = $1 AND email_norm = $2 AND learner_id <> $3`,
			c.tenant, c.norm, c.learner).Scan(&other); err != nil {
			return fmt.Errorf("normalize emails: %w", err)
		}
		if other > 0 {
			clashes++
			continue
		}
		if _, err := db.write.ExecContext(ctx, `UPDATE people SET email = $3, email_norm = $4 WHERE tenant_id = $1 AND learner_id = $2`,
			c.tenant, c.learner, c.email, c.norm); err != nil {
			return fmt.Errorf("normalize emails: %w", err)
		}
	}
	if clashes > 0 {
		db.logger.Warn("emails left as stored: in Unicode NFC they are another person's", "people", clashes)
	}
	if _, err := db.write.ExecContext(ctx, `INSERT INTO maintenance (name, at) VALUES ('emails-nfc', $1) ON CONFLICT (name) DO NOTHING`,
		ms(db.Now())); err != nil {
		return fmt.Errorf("normalize emails: %w", err)
	}
	return nil
}
