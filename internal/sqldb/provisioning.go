package sqldb

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/lethehq/lethe"
)

// ProvisioningService implements lethe.ProvisioningService.
type ProvisioningService struct{ db *DB }

// NewProvisioningService returns the provisioning service of db.
func NewProvisioningService(db *DB) *ProvisioningService { return &ProvisioningService{db: db} }

var _ lethe.ProvisioningService = (*ProvisioningService)(nil)

// ApplyProvisioningEvent implements lethe.ProvisioningService.
func (s *ProvisioningService) ApplyProvisioningEvent(ctx context.Context, ev lethe.ProvisioningEvent) (out *lethe.ProvisioningOutcome, err error) {
	hash := s.db.keyedHash("provisioning-event", ev.Digest[:])
	err = s.db.writeTx(ctx, func(tx *Tx) error {
		tenant := string(tx.actor.TenantID)
		key := tx.eventKey(ev.ID)
		var stored []byte
		var first lethe.ProvisioningOutcome
		// Events recorded before schema version 6 kept the envelope id itself.
		err := tx.QueryRowContext(ctx, `SELECT body_hash, event_type, outcome, learner_id FROM provisioning_events
			WHERE tenant_id = $1 AND event_id IN ($2, $3)`, tenant, key, ev.ID).Scan(&stored, &first.EventType, &first.Outcome, &first.UserID)
		switch {
		case err == nil:
			// A cleared hash means the person was erased or anonymized
			// since: the replay answers the first outcome without the
			// learner (cleared too) and changes nothing. A different body
			// can no longer be told from the first.
			if stored != nil && !bytes.Equal(stored, hash) {
				return lethe.FieldErrorf(lethe.EConflict, "id", "reused",
					"This event id was already used with a different body.")
			}
			first.EventID, first.Replayed = ev.ID, true
			out = &first
			return nil
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("find provisioning event: %w", err)
		}
		out, err = tx.applyEvent(ctx, ev)
		if err != nil {
			// Another delivery of this event may have been applied while
			// this one waited for the user's lock: then its outcome is the
			// answer, found when the transaction runs again.
			var n int
			if tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM provisioning_events WHERE tenant_id = $1 AND event_id = $2`,
				tenant, key).Scan(&n) == nil && n > 0 {
				return &racedError{err: err}
			}
			return err
		}
		recorded, learner := hash, string(out.UserID)
		if out.Outcome == lethe.OutcomeErased {
			// Nothing derived from the erased person's data is kept, and
			// the envelope id no longer leads to the learner (see the
			// registry's Unlink): a replay answers without it.
			recorded, learner = nil, ""
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO provisioning_events
			(tenant_id, event_id, body_hash, event_type, outcome, learner_id, received_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			tenant, key, recorded, string(ev.Type), out.Outcome, learner, ms(tx.now))
		if s.db.dialect.isUniqueViolation(err) {
			// A concurrent delivery of this event committed first: run again
			// to answer its outcome as a replay.
			return &racedError{err: lethe.Errorf(lethe.EConflict, "This event is being applied by another delivery; retry.")}
		}
		if err != nil {
			return fmt.Errorf("record provisioning event: %w", err)
		}
		return nil
	})
	return out, err
}

// eventKey is what provisioning_events.event_id holds for an envelope id: a
// keyed hash, because senders may build ids from personal data (a ref).
func (tx *Tx) eventKey(id string) string {
	h := tx.db.keyedHash("provisioning-event-id", []byte(tx.actor.TenantID), []byte(id))
	return base64.RawURLEncoding.EncodeToString(h[:16])
}

func (tx *Tx) applyEvent(ctx context.Context, ev lethe.ProvisioningEvent) (*lethe.ProvisioningOutcome, error) {
	out := &lethe.ProvisioningOutcome{EventID: ev.ID, EventType: ev.Type}
	key := lethe.ByRef(ev.Ref)
	if ev.Type == lethe.EventUserJoined {
		return tx.applyJoined(ctx, ev, out)
	}
	u, err := tx.findLiveUser(ctx, key)
	if lethe.ErrorCode(err) == lethe.ENotFound {
		if ev.Type == lethe.EventUserDeleted {
			// Deleting a ref erased within the tombstone window again.
			erased, terr := tx.refErased(ctx, ev.Ref)
			if terr != nil {
				return nil, terr
			}
			if erased {
				out.Outcome = lethe.OutcomeErased
				return out, nil
			}
		} else if serr := tx.refuseStale(ctx, ev, ""); serr != nil {
			return nil, serr
		}
	}
	if err != nil {
		return nil, err
	}
	if err := tx.refuseStaleForHolder(ctx, ev, u); err != nil {
		return nil, err
	}
	out.UserID = u.ID
	switch ev.Type {
	case lethe.EventUserUpdated:
		out.Outcome = lethe.OutcomeUpdated
		return out, tx.updateUser(ctx, u, ev.Fields)
	case lethe.EventUserSuspended:
		out.Outcome = lethe.OutcomeSuspended
		return out, tx.suspendUser(ctx, u, ev.Fields.EndDate)
	case lethe.EventUserDeleted:
		d, err := tx.deleteUser(ctx, u)
		if err != nil {
			return nil, err
		}
		out.Outcome = lethe.OutcomeErased
		if d.Outcome == lethe.DeletionScheduled || (d.Outcome == lethe.DeletionRepeated && d.DueAt != nil) {
			out.Outcome = lethe.OutcomeErasureScheduled
		}
		return out, nil
	}
	return nil, lethe.FieldErrorf(lethe.EInvalid, "eventType", "invalid", "eventType is not supported")
}

// applyJoined applies a joiner event: it creates the user of the ref, or
// updates (and reactivates, when suspended) the one it names.
func (tx *Tx) applyJoined(ctx context.Context, ev lethe.ProvisioningEvent, out *lethe.ProvisioningOutcome) (*lethe.ProvisioningOutcome, error) {
	key := lethe.ByRef(ev.Ref)
	u, err := tx.findUser(ctx, key)
	switch {
	case lethe.ErrorCode(err) == lethe.ENotFound:
		email := ""
		if ev.Fields.Email != nil {
			email = *ev.Fields.Email
		}
		if err := tx.refuseStale(ctx, ev, email); err != nil {
			return nil, err
		}
		if u, err = tx.createUser(ctx, "", ev.Ref, ev.Fields); err != nil {
			return nil, err
		}
		if ev.Timestamp != nil {
			// Never later than clockSkew from now: a timestamp far in
			// the future (a sender's typo) would refuse every true
			// event after it.
			at := *ev.Timestamp
			if limit := tx.now.Add(clockSkew); at.After(limit) {
				at = limit
			}
			if _, err := tx.ExecContext(ctx, `UPDATE learners SET provisioned_at = $3 WHERE tenant_id = $1 AND id = $2`,
				string(tx.actor.TenantID), string(u.ID), ms(at)); err != nil {
				return nil, fmt.Errorf("record provisioning time: %w", err)
			}
		}
		out.Outcome, out.UserID = lethe.OutcomeCreated, u.ID
		return out, nil
	case err != nil:
		return nil, err
	}
	if err := tx.refuseStaleForHolder(ctx, ev, u); err != nil {
		return nil, err
	}
	if u.State == lethe.StateSuspended {
		out.Outcome, out.UserID = lethe.OutcomeReactivated, u.ID
		return out, tx.reactivateUser(ctx, u, ev.Fields)
	}
	out.Outcome, out.UserID = lethe.OutcomeUpdated, u.ID
	return out, tx.updateUser(ctx, u, ev.Fields)
}

// refuseStale refuses an event about a ref (or email) whose person was
// erased or anonymized after the event was sent: a delayed HR retry must
// not recreate, or act on the ref of, someone erased since. A newer event,
// or one without a timestamp, goes ahead (and creates a new, unlinked
// user).
func (tx *Tx) refuseStale(ctx context.Context, ev lethe.ProvisioningEvent, email string) error {
	if ev.Timestamp == nil {
		return nil
	}
	at, err := tx.erasedAt(ctx, ev.Ref, email)
	if err != nil || at == nil || !ev.Timestamp.Before(*at) {
		return err
	}
	return lethe.FieldErrorf(lethe.EConflict, "timestamp", "before_erasure",
		"This event was sent before the person it names was erased (%s); a delayed event cannot bring them back. "+
			"Send a new event to create a new user.", at.Format(time.RFC3339))
}

// clockSkew is how far a sender's clock is taken to drift from Lethe's:
// an event's timestamp may be that much before a user's creation by
// Lethe's clock and still be about that user (senders give whole seconds),
// and a creating event's timestamp counts as at most that much after it.
const clockSkew = time.Minute

// refuseStaleForHolder refuses an event about u, the ref's holder now,
// sent before u existed or before the ref's previous holder was erased:
// it was about someone else, whoever holds the ref now. u's creation is
// the sender's timestamp of the event that created it, when one did (the
// sender's own clock, but never more than clockSkew past Lethe's then),
// or else when Lethe created it, less clockSkew.
func (tx *Tx) refuseStaleForHolder(ctx context.Context, ev lethe.ProvisioningEvent, u *lethe.User) error {
	if ev.Timestamp == nil {
		return nil
	}
	if err := tx.refuseStale(ctx, ev, ""); err != nil {
		return err
	}
	var provisioned sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT provisioned_at FROM learners WHERE tenant_id = $1 AND id = $2`,
		string(tx.actor.TenantID), string(u.ID)).Scan(&provisioned); err != nil {
		return fmt.Errorf("find provisioning time: %w", err)
	}
	created, limit := u.CreatedAt, u.CreatedAt.Add(-clockSkew)
	if provisioned.Valid {
		created = fromMS(provisioned.Int64)
		limit = created
	}
	if !ev.Timestamp.Before(limit) {
		return nil
	}
	return lethe.FieldErrorf(lethe.EConflict, "timestamp", "before_creation",
		"This event was sent before the user who holds its ref now was created (%s): it was about someone else. "+
			"Send a new event about this user.", created.Format(time.RFC3339))
}
