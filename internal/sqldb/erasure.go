package sqldb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lethehq/lethe"
)

// Erasure, anonymization, purge, the tenant's deletion policy (restricted
// mode, grace period), tombstones and verification. Every way of deleting a
// user (REST, provisioning, bulk) comes through deleteUser or erase.

// erase erases u (mode erase) or anonymizes it (mode anonymize) in the
// transaction, following the personal-data registry, and writes the
// erasure record. requested is when it was asked for (the start of a grace
// period), or the zero time for now.
func (tx *Tx) erase(ctx context.Context, u *lethe.User, mode string, requested time.Time) (*lethe.Erasure, error) {
	tenant, id := string(tx.actor.TenantID), string(u.ID)
	if requested.IsZero() {
		requested = tx.now
	}
	e := &lethe.Erasure{LearnerID: u.ID, Mode: mode, RequestedAt: requested, ErasedAt: tx.now, Source: tx.actor.Source,
		Actor: tx.actor.Name, Kept: map[string]int{}, Erased: map[string]int{}}
	// Memberships go (the registry deletes them), so enrolments become unassigned.
	if _, err := tx.markEnrolments(ctx, lethe.EventUnassigned, "e.learner_id = $3", id); err != nil {
		return nil, err
	}
	if err := tx.writeTombstones(ctx, u.Person, mode); err != nil {
		return nil, err
	}
	switch mode {
	case lethe.ModeAnonymize:
		if _, err := tx.ExecContext(ctx, `UPDATE learners SET state = 'suspended', updated_at = $3, anonymized_at = $3
			WHERE tenant_id = $1 AND id = $2`, tenant, id, ms(tx.now)); err != nil {
			return nil, fmt.Errorf("mark learner anonymized: %w", err)
		}
		if err := tx.transition(ctx, u, lethe.StateSuspended, lethe.ReasonAnonymized); err != nil {
			return nil, err
		}
		u.AnonymizedAt = &tx.now
	default:
		if _, err := tx.ExecContext(ctx, `UPDATE learners SET state = 'deleted', updated_at = $3, deleted_at = $3
			WHERE tenant_id = $1 AND id = $2`, tenant, id, ms(tx.now)); err != nil {
			return nil, fmt.Errorf("mark learner deleted: %w", err)
		}
		if err := tx.transition(ctx, u, lethe.StateDeleted, lethe.ReasonErased); err != nil {
			return nil, err
		}
	}
	// Everything else follows the personal-data registry.
	if err := tx.eraseRecords(ctx, id, u.Person.Ref, mode == lethe.ModeAnonymize, e.Erased, e.Kept); err != nil {
		return nil, err
	}
	tx.scrubPendingEvents(id)
	u.EndDate, u.SSO = nil, false
	if err := tx.recordCount(ctx, &u.Learner); err != nil {
		return nil, err
	}
	erased, _ := json.Marshal(e.Erased)
	kept, _ := json.Marshal(e.Kept)
	// An anonymized account erased later keeps one record: the latest.
	_, err := tx.ExecContext(ctx, `INSERT INTO erasures (tenant_id, learner_id, erased_at, source, actor, erased, kept, mode, requested_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (tenant_id, learner_id) DO UPDATE SET
		erased_at = excluded.erased_at, source = excluded.source, actor = excluded.actor, erased = excluded.erased,
		kept = excluded.kept, mode = excluded.mode, requested_at = excluded.requested_at`,
		tenant, id, ms(tx.now), string(e.Source), e.Actor, string(erased), string(kept), mode, ms(requested))
	if err != nil {
		return nil, fmt.Errorf("insert erasure: %w", err)
	}
	if e.Trail, err = tx.anchorErasure(ctx, id); err != nil {
		return nil, err
	}
	if e.Propagation, err = tx.plannedPropagation(ctx, id); err != nil {
		return nil, err
	}
	tx.erased = true
	return e, nil
}

// randomizePerson replaces the personal fields of an anonymized learner:
// the ref, email and names become random strings, every other personal
// field of the registry is cleared.
func (tx *Tx) randomizePerson(ctx context.Context, id string) error {
	random := func() string {
		b := make([]byte, 8)
		rand.Read(b)
		return "anon-" + hex.EncodeToString(b)
	}
	email := random() + "@anonymized.invalid"
	set := map[string]any{"ref": random(), "email": email, "email_norm": email, "first_name": random(), "last_name": random()}
	args := []any{string(tx.actor.TenantID), id}
	var sets []string
	for _, t := range Registry {
		if t.Name != "people" {
			continue
		}
		for _, c := range t.Columns {
			if c.Policy != Erase {
				continue
			}
			if v, ok := set[c.Name]; ok {
				args = append(args, v)
				sets = append(sets, fmt.Sprintf("%s = $%d", c.Name, len(args)))
			} else {
				sets = append(sets, c.Name+" = NULL")
			}
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE people SET `+strings.Join(sets, ", ")+` WHERE tenant_id = $1 AND learner_id = $2`, args...); err != nil {
		return fmt.Errorf("anonymize person: %w", err)
	}
	return nil
}

// history says what history u has, as words for a message: signing in,
// enrolments, completions, activities and CPD entries. None means the
// account was never used.
func (tx *Tx) history(ctx context.Context, u *lethe.User) ([]string, error) {
	var out []string
	if u.FirstLoginAt != nil {
		out = append(out, "has signed in")
	}
	tenant, id := string(tx.actor.TenantID), string(u.ID)
	for _, c := range []struct{ one, many, q string }{
		{"enrolment", "enrolments", `SELECT COUNT(*) FROM enrolments WHERE tenant_id = $1 AND learner_id = $2`},
		{"completion", "completions", `SELECT COUNT(*) FROM completions WHERE tenant_id = $1 AND learner_id = $2`},
		{"activity", "activities", `SELECT COUNT(*) FROM activities WHERE tenant_id = $1 AND learner_id = $2`},
		{"CPD entry", "CPD entries", `SELECT COUNT(*) FROM cpd_entries WHERE tenant_id = $1 AND learner_id = $2`},
	} {
		var n int
		if err := tx.QueryRowContext(ctx, c.q, tenant, id).Scan(&n); err != nil {
			return nil, fmt.Errorf("count %s: %w", c.many, err)
		}
		switch {
		case n == 1:
			out = append(out, "has 1 "+c.one)
		case n > 1:
			out = append(out, fmt.Sprintf("has %d %s", n, c.many))
		}
	}
	return out, nil
}

// refuseRestricted fails when the tenant's deletion mode is restricted and
// u has history.
func (tx *Tx) refuseRestricted(ctx context.Context, u *lethe.User, s *lethe.Settings) error {
	if s.Deletion.Mode != lethe.DeletionModeRestricted {
		return nil
	}
	h, err := tx.history(ctx, u)
	if err != nil || len(h) == 0 {
		return err
	}
	return lethe.Errorf(lethe.EConflict, "The tenant's deletion mode is restricted and this user %s, so they cannot be erased. %s",
		strings.Join(h, ", "), lethe.HistoryGuidance)
}

// pendingErasure returns when u's scheduled erasure is due, or nil.
func (tx *Tx) pendingErasure(ctx context.Context, u *lethe.User) (*time.Time, error) {
	var due int64
	err := tx.QueryRowContext(ctx, `SELECT due_at FROM pending_erasures WHERE tenant_id = $1 AND learner_id = $2`,
		string(tx.actor.TenantID), string(u.ID)).Scan(&due)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find pending erasure: %w", err)
	}
	t := fromMS(due)
	return &t, nil
}

// deleteUser is the delete of every surface: it follows the tenant's
// policy (see lethe.UserService.DeleteUser).
func (tx *Tx) deleteUser(ctx context.Context, u *lethe.User) (*lethe.Deletion, error) {
	d := &lethe.Deletion{LearnerID: u.ID, Outcome: lethe.DeletionRepeated}
	if u.Deleted() {
		return d, nil
	}
	due, err := tx.pendingErasure(ctx, u)
	if err != nil || due != nil {
		d.DueAt = due
		return d, err
	}
	s, err := tx.settings(ctx)
	if err != nil {
		return nil, err
	}
	if err := tx.refuseRestricted(ctx, u, s); err != nil {
		return nil, err
	}
	if s.Deletion.GraceDays == 0 {
		d.Outcome = lethe.DeletionErased
		d.Erasure, err = tx.erase(ctx, u, lethe.ModeErase, time.Time{})
		return d, err
	}
	// Suspend now; RunDueErasures erases when the grace period ends.
	t := tx.now.Add(time.Duration(s.Deletion.GraceDays) * lethe.Day)
	d.Outcome, d.DueAt = lethe.DeletionScheduled, &t
	if err := tx.transition(ctx, u, lethe.StateSuspended, lethe.ReasonErasureScheduled); err != nil {
		return nil, err
	}
	if err := tx.saveUser(ctx, u); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO pending_erasures (tenant_id, learner_id, due_at, requested_at, source, actor)
		VALUES ($1, $2, $3, $4, $5, $6)`, string(tx.actor.TenantID), string(u.ID), ms(t), ms(tx.now),
		string(tx.actor.Source), tx.actor.Name); err != nil {
		return nil, fmt.Errorf("schedule erasure: %w", err)
	}
	return d, nil
}

// cancelErasure cancels u's scheduled erasure, if any (a reactivation
// during the grace period).
func (tx *Tx) cancelErasure(ctx context.Context, u *lethe.User) error {
	res, err := tx.ExecContext(ctx, `DELETE FROM pending_erasures WHERE tenant_id = $1 AND learner_id = $2`,
		string(tx.actor.TenantID), string(u.ID))
	if err != nil {
		return fmt.Errorf("cancel erasure: %w", err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return tx.appendTrail(ctx, "user.erasure_cancelled", string(u.ID), nil)
	}
	return nil
}

// purge removes u and every row about it. Only accounts without history
// may go: the rest must be suspended, erased or anonymized.
func (tx *Tx) purge(ctx context.Context, u *lethe.User) error {
	if u.Deleted() {
		return lethe.Errorf(lethe.EConflict, "The user has been erased already; their records are kept and cannot be purged.")
	}
	h, err := tx.history(ctx, u)
	if err != nil {
		return err
	}
	if len(h) > 0 {
		return lethe.Errorf(lethe.EConflict, "This account %s, so it cannot be purged: purge removes only accounts that were never used. %s",
			strings.Join(h, ", "), lethe.HistoryGuidance)
	}
	tenant, id := string(tx.actor.TenantID), string(u.ID)
	if err := tx.clearRefs(ctx, u.Person.Ref, map[string]int{}); err != nil {
		return err
	}
	if err := tx.writeTombstones(ctx, u.Person, lethe.ModeErase); err != nil {
		return err
	}
	// Every table of learner rows, the learner itself last.
	for _, t := range Registry {
		if t.Learner == "" || t.Name == "learners" {
			continue
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+t.Name+` WHERE tenant_id = $1 AND `+t.Learner+` = $2`, tenant, id); err != nil {
			return fmt.Errorf("purge %s: %w", t.Name, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM learners WHERE tenant_id = $1 AND id = $2`, tenant, id); err != nil {
		return fmt.Errorf("purge learner: %w", err)
	}
	if err := tx.addCount(ctx, tx.counted[u.ID], -1); err != nil {
		return err
	}
	delete(tx.counted, u.ID)
	tx.erased = true
	tx.scrubPendingEvents(id)
	if err := tx.emitUser(ctx, lethe.UserPurgedEvent, u); err != nil {
		return err
	}
	return tx.appendTrail(ctx, "user.purged", id, nil)
}

// verifyErasure checks, from the registry, that nothing the erasure of id
// removed is left: no row of a DeleteRows table (but the anonymized
// person's own), no value in an Erase column of a kept row.
func (tx *Tx) verifyErasure(ctx context.Context, id, mode string) (*lethe.Verification, error) {
	v := &lethe.Verification{CheckedAt: tx.now, Passed: true}
	tenant := string(tx.actor.TenantID)
	for i := range Registry {
		t := &Registry[i]
		if t.Learner == "" {
			continue
		}
		var q string
		switch {
		case t.Rows == DeleteRows && t.Name == "people" && mode == lethe.ModeAnonymize:
			continue // the anonymized account keeps a row of random values
		case t.Rows == DeleteRows, t.Unlink:
			q = `SELECT COUNT(*) FROM ` + tx.byLearner(t) + ` WHERE tenant_id = $1 AND ` + t.Learner + ` = $2`
		case len(t.erasable()) > 0:
			var held []string
			for _, c := range t.erasable() {
				held = append(held, c.holdsValue())
			}
			q = `SELECT COUNT(*) FROM ` + tx.byLearner(t) + ` WHERE tenant_id = $1 AND ` + t.Learner + ` = $2 AND (` + strings.Join(held, " OR ") + `)`
		default:
			continue
		}
		c := lethe.Check{Name: t.Erased}
		if err := tx.QueryRowContext(ctx, q, tenant, id).Scan(&c.Found); err != nil {
			return nil, fmt.Errorf("verify %s: %w", t.Name, err)
		}
		v.Passed = v.Passed && c.Found == 0
		v.Checks = append(v.Checks, c)
	}
	return v, nil
}

// EraseUser implements lethe.UserService.
func (s *UserService) EraseUser(ctx context.Context, key lethe.UserKey) (e *lethe.Erasure, err error) {
	err = s.db.writeTx(ctx, func(tx *Tx) error {
		u, err := tx.findLiveUser(ctx, key)
		if err != nil {
			return err
		}
		settings, err := tx.settings(ctx)
		if err != nil {
			return err
		}
		if err := tx.refuseRestricted(ctx, u, settings); err != nil {
			return err
		}
		e, err = tx.erase(ctx, u, lethe.ModeErase, time.Time{})
		return err
	})
	return e, err
}

// DeleteUser implements lethe.UserService.
func (s *UserService) DeleteUser(ctx context.Context, key lethe.UserKey) (d *lethe.Deletion, err error) {
	err = s.db.writeTx(ctx, func(tx *Tx) error {
		u, err := tx.findUser(ctx, key)
		if lethe.ErrorCode(err) == lethe.ENotFound && key.Ref != "" {
			// A ref erased within the tombstone window: deleting again.
			if erased, terr := tx.refErased(ctx, key.Ref); terr != nil || erased {
				d = &lethe.Deletion{Outcome: lethe.DeletionRepeated}
				return terr
			}
		}
		if err != nil {
			return err
		}
		d, err = tx.deleteUser(ctx, u)
		return err
	})
	return d, err
}

// AnonymizeUser implements lethe.UserService. Anonymizing twice answers the
// first record.
func (s *UserService) AnonymizeUser(ctx context.Context, key lethe.UserKey) (e *lethe.Erasure, err error) {
	err = s.db.writeTx(ctx, func(tx *Tx) error {
		u, err := tx.findLiveUser(ctx, key)
		if err != nil {
			return err
		}
		if u.AnonymizedAt != nil {
			e, err = tx.findErasure(ctx, u.ID)
			return err
		}
		e, err = tx.erase(ctx, u, lethe.ModeAnonymize, time.Time{})
		return err
	})
	return e, err
}

// PurgeUser implements lethe.UserService.
func (s *UserService) PurgeUser(ctx context.Context, key lethe.UserKey) error {
	return s.db.writeTx(ctx, func(tx *Tx) error {
		u, err := tx.findUser(ctx, key)
		if err != nil {
			return err
		}
		return tx.purge(ctx, u)
	})
}

// FindErasures implements lethe.UserService: the erasure_at index read
// backwards, one row more than the page to know whether another follows.
func (s *UserService) FindErasures(ctx context.Context, offset, limit int) (out []*lethe.Erasure, more bool, err error) {
	err = s.db.readTx(ctx, func(tx *Tx) error {
		out, err = queryAll(ctx, tx, func(r rowScanner) (*lethe.Erasure, error) {
			e := &lethe.Erasure{}
			var at int64
			err := r.Scan(&e.LearnerID, &at, &e.Mode, &e.Source, &e.Actor)
			e.ErasedAt = fromMS(at)
			return e, err
		}, `SELECT learner_id, erased_at, mode, source, actor FROM erasures WHERE tenant_id = $1
			ORDER BY erased_at DESC, learner_id DESC LIMIT $2 OFFSET $3`, string(tx.actor.TenantID), limit+1, offset)
		return wrapErr("find erasures", err)
	})
	if len(out) > limit {
		out, more = out[:limit], true
	}
	return out, more, err
}

// errPreviewed ends a preview's transaction: it is rolled back.
var errPreviewed = errors.New("preview: roll back")

// PreviewErasure implements lethe.UserService. The action runs in a
// transaction that is then rolled back, so the preview is what the action
// would do, counted by the same code. A deletion the policy defers also
// runs the erasure it schedules, for its counts.
func (s *UserService) PreviewErasure(ctx context.Context, key lethe.UserKey, action lethe.BulkAction) (d *lethe.Deletion, err error) {
	err = s.db.writeTx(ctx, func(tx *Tx) error {
		u, err := tx.findLiveUser(ctx, key)
		if err != nil {
			return err
		}
		switch action {
		case lethe.ActionDelete:
			if d, err = tx.deleteUser(ctx, u); err == nil && d.Outcome == lethe.DeletionScheduled {
				d.Erasure, err = tx.erase(ctx, u, lethe.ModeErase, time.Time{})
			}
		case lethe.ActionAnonymize:
			d = &lethe.Deletion{LearnerID: u.ID, Outcome: lethe.DeletionErased}
			if u.AnonymizedAt != nil {
				return lethe.Errorf(lethe.EConflict, "The account is anonymized already.")
			}
			d.Erasure, err = tx.erase(ctx, u, lethe.ModeAnonymize, time.Time{})
		case lethe.ActionPurge:
			d = &lethe.Deletion{LearnerID: u.ID, Outcome: "purged"}
			err = tx.purge(ctx, u)
		default:
			return lethe.FieldErrorf(lethe.EInvalid, "action", "invalid", "Only delete, anonymize and purge can be previewed.")
		}
		if err != nil {
			return err
		}
		tx.dropEvents(0)
		return errPreviewed
	})
	if errors.Is(err, errPreviewed) {
		err = nil
	}
	if err != nil {
		return nil, err
	}
	return d, nil
}

func (tx *Tx) findErasure(ctx context.Context, id lethe.LearnerID) (*lethe.Erasure, error) {
	var at int64
	var requested sql.NullInt64
	var erased, kept string
	var trailSeq sql.NullInt64
	var trailHash []byte
	e := &lethe.Erasure{LearnerID: id}
	err := tx.QueryRowContext(ctx, `SELECT erased_at, requested_at, source, actor, erased, kept, mode, trail_seq, trail_hash FROM erasures
		WHERE tenant_id = $1 AND learner_id = $2`, string(tx.actor.TenantID), string(id)).
		Scan(&at, &requested, &e.Source, &e.Actor, &erased, &kept, &e.Mode, &trailSeq, &trailHash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, lethe.Errorf(lethe.ENotFound, "Erasure not found.")
	}
	if err != nil {
		return nil, fmt.Errorf("find erasure: %w", err)
	}
	e.ErasedAt, e.RequestedAt = fromMS(at), fromMS(at)
	if requested.Valid {
		e.RequestedAt = fromMS(requested.Int64)
	}
	if trailSeq.Valid {
		e.Trail = &lethe.TrailPoint{Seq: trailSeq.Int64, Hash: trailHash}
	}
	if err := json.Unmarshal([]byte(erased), &e.Erased); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(kept), &e.Kept); err != nil {
		return nil, err
	}
	if e.Propagation, err = tx.propagation(ctx, string(id)); err != nil {
		return nil, fmt.Errorf("find propagation: %w", err)
	}
	return e, nil
}

// FindErasure implements lethe.UserService.
func (s *UserService) FindErasure(ctx context.Context, id lethe.LearnerID) (e *lethe.Erasure, err error) {
	if err := s.db.catchUp(ctx); err != nil { // its propagation lists every delivery
		return nil, err
	}
	err = s.db.readTx(ctx, func(tx *Tx) error {
		if e, err = tx.findErasure(ctx, id); err != nil {
			if lethe.ErrorCode(err) == lethe.ENotFound {
				var due int64
				if tx.QueryRowContext(ctx, `SELECT due_at FROM pending_erasures WHERE tenant_id = $1 AND learner_id = $2`,
					string(tx.actor.TenantID), string(id)).Scan(&due) == nil {
					return lethe.Errorf(lethe.ENotFound, "Not erased yet: the erasure is scheduled for %s.",
						fromMS(due).Format(time.RFC3339))
				}
			}
			return err
		}
		e.Verification, err = tx.verifyErasure(ctx, string(id), e.Mode)
		return err
	})
	return e, err
}

// RunDueErasures implements lethe.UserService, for every tenant.
func (s *UserService) RunDueErasures(ctx context.Context) (int, error) {
	tenants, err := NewTenantService(s.db).FindTenants(ctx)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, t := range tenants {
		actor := lethe.Actor{TenantID: t.ID, Source: lethe.SourcePolicy, Name: "grace-period"}
		for {
			done, erased := false, false
			err := s.db.rawWriteTx(ctx, actor, func(tx *Tx) error {
				done, erased = false, false
				var id string
				var requested int64
				var source, name string
				err := tx.QueryRowContext(ctx, `SELECT learner_id, requested_at, source, actor FROM pending_erasures
					WHERE tenant_id = $1 AND due_at <= $2 ORDER BY due_at LIMIT 1`+tx.db.dialect.skipLocked,
					string(t.ID), ms(tx.now)).Scan(&id, &requested, &source, &name)
				if errors.Is(err, sql.ErrNoRows) {
					done = true
					return nil
				}
				if err != nil {
					return fmt.Errorf("find due erasure: %w", err)
				}
				// Checked again here, in the transaction that erases: a
				// reactivation meanwhile deleted the row, and wins.
				u, err := tx.findUser(ctx, lethe.ByID(lethe.LearnerID(id)))
				if err == nil && u.State == lethe.StateSuspended {
					// The erasure is the requester's, through their surface.
					tx.actor.Source, tx.actor.Name = lethe.Source(source), name
					_, err = tx.erase(ctx, u, lethe.ModeErase, fromMS(requested))
					erased = err == nil
					return err
				}
				if err != nil && lethe.ErrorCode(err) != lethe.ENotFound {
					return err
				}
				_, err = tx.ExecContext(ctx, `DELETE FROM pending_erasures WHERE tenant_id = $1 AND learner_id = $2`, string(t.ID), id)
				return err
			})
			if err != nil {
				return total, err
			}
			if erased {
				total++
			}
			if done {
				break
			}
		}
		err := s.db.rawWriteTx(ctx, actor, func(tx *Tx) error {
			settings, err := tx.settings(ctx)
			if err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `DELETE FROM tombstones WHERE tenant_id = $1 AND erased_at < $2`, string(t.ID),
				ms(tx.now.Add(-time.Duration(settings.Deletion.TombstoneDays)*lethe.Day)))
			return err
		})
		if err != nil {
			return total, fmt.Errorf("expire tombstones: %w", err)
		}
	}
	return total, nil
}
