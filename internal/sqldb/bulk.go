package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/lethehq/lethe"
)

// Bulk operations and durable jobs. Both act on one user at a time through
// applyAction, inside a savepoint, so a refusal or a failure of one user
// leaves the others of the transaction alone, and a dry run rolls each back.

var _ lethe.BulkService = (*BulkService)(nil)

// BulkService implements lethe.BulkService.
type BulkService struct{ db *DB }

// NewBulkService returns the bulk service of db.
func NewBulkService(db *DB) *BulkService { return &BulkService{db: db} }

// resolveIdentifiers returns the learner id each identifier names ("" for
// none), with two queries per 300 identifiers.
func (tx *Tx) resolveIdentifiers(ctx context.Context, ids []lethe.Identifier) ([]lethe.LearnerID, error) {
	out := make([]lethe.LearnerID, len(ids))
	tenant := string(tx.actor.TenantID)
	for start := 0; start < len(ids); start += 300 {
		chunk := ids[start:min(start+300, len(ids))]
		var byID, texts []any
		for _, id := range chunk {
			switch {
			case id.ID != "":
				byID = append(byID, string(id.ID))
			case id.Ref != "" && validKey(id.Ref):
				texts = append(texts, id.Ref)
			case id.Email != "" && validKey(id.Email):
				texts = append(texts, lethe.NormalizeEmail(id.Email))
			}
		}
		found := map[string]lethe.LearnerID{}
		refs, emails := map[string]lethe.LearnerID{}, map[string]lethe.LearnerID{}
		if len(byID) > 0 {
			rows, err := queryAll(ctx, tx, func(r rowScanner) (string, error) {
				var s string
				return s, r.Scan(&s)
			}, `SELECT id FROM learners WHERE tenant_id = $1 AND id IN (`+marks(2, len(byID))+`)`, append([]any{tenant}, byID...)...)
			if err != nil {
				return nil, fmt.Errorf("resolve ids: %w", err)
			}
			for _, id := range rows {
				found[id] = lethe.LearnerID(id)
			}
		}
		if len(texts) > 0 {
			in := marks(2, len(texts))
			type row struct{ id, ref, email string }
			// Two searches, one per index: with OR, SQLite read every
			// person of the tenant for each 300 identifiers.
			rows, err := queryAll(ctx, tx, func(r rowScanner) (row, error) {
				var x row
				var email sql.NullString
				err := r.Scan(&x.id, &x.ref, &email)
				x.email = email.String
				return x, err
			}, `SELECT p.learner_id, p.ref, p.email_norm FROM people p WHERE p.tenant_id = $1 AND p.ref IN (`+in+`)
				UNION ALL SELECT q.learner_id, q.ref, q.email_norm FROM people q WHERE q.tenant_id = $1 AND q.email_norm IN (`+in+`)`,
				append([]any{tenant}, texts...)...)
			if err != nil {
				return nil, fmt.Errorf("resolve refs and emails: %w", err)
			}
			for _, r := range rows {
				refs[r.ref] = lethe.LearnerID(r.id)
				if r.email != "" {
					emails[r.email] = lethe.LearnerID(r.id)
				}
			}
		}
		for i, id := range chunk {
			switch {
			case id.ID != "":
				out[start+i] = found[string(id.ID)]
			case id.Ref != "":
				out[start+i] = refs[id.Ref]
			case id.Email != "":
				out[start+i] = emails[lethe.NormalizeEmail(id.Email)]
			}
		}
	}
	return out, nil
}

// applyAction applies action to learner id inside a savepoint: a refusal
// (outcome failed, skipped or unchanged) or an error rolls back that user's
// changes only, and so does dry. Only internal errors are returned.
// recheck, when set, is asked first whether the user still qualifies.
func (tx *Tx) applyAction(ctx context.Context, action lethe.BulkAction, id lethe.LearnerID, endDate *time.Time, dry bool,
	recheck func(*lethe.User) (bool, error)) (outcome, reason string, err error) {
	if _, err := tx.ExecContext(ctx, `SAVEPOINT lethe_item`); err != nil {
		return "", "", fmt.Errorf("savepoint: %w", err)
	}
	mark := tx.eventMark()
	outcome, reason, err = tx.act(ctx, action, id, endDate, recheck)
	undo := dry || err != nil || outcome != lethe.ItemDone
	if undo {
		if _, rerr := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT lethe_item`); rerr != nil {
			return "", "", errors.Join(err, fmt.Errorf("rollback to savepoint: %w", rerr))
		}
		// What this transaction remembers of the learner's counts and of
		// the trail head was undone too.
		delete(tx.counted, id)
		tx.trailHead = nil
		tx.dropEvents(mark)
	}
	if _, rerr := tx.ExecContext(ctx, `RELEASE SAVEPOINT lethe_item`); rerr != nil {
		return "", "", errors.Join(err, fmt.Errorf("release savepoint: %w", rerr))
	}
	if err != nil {
		switch lethe.ErrorCode(err) {
		case lethe.EConflict, lethe.EInvalid:
			return lethe.ItemFailed, refusal(action), nil
		case lethe.ENotFound:
			return lethe.ItemFailed, lethe.ReasonUnknownUser, nil
		}
		return "", "", err
	}
	return outcome, reason, nil
}

// refusal is the reason of a domain refusal of action.
func refusal(action lethe.BulkAction) string {
	if action == lethe.ActionDelete {
		return lethe.ReasonRestricted
	}
	return lethe.ReasonHasHistory
}

func (tx *Tx) act(ctx context.Context, action lethe.BulkAction, id lethe.LearnerID, endDate *time.Time,
	recheck func(*lethe.User) (bool, error)) (string, string, error) {
	u, err := tx.findUser(ctx, lethe.ByID(id))
	if err != nil {
		return "", "", err
	}
	if recheck != nil {
		ok, err := recheck(u)
		if err != nil {
			return "", "", err
		}
		if !ok {
			return lethe.ItemSkipped, lethe.ReasonNoLongerDormant, nil
		}
	}
	if u.Deleted() {
		if action == lethe.ActionDelete {
			return lethe.ItemUnchanged, lethe.ReasonAlreadyErased, nil
		}
		return lethe.ItemSkipped, lethe.ReasonUserErased, nil
	}
	switch action {
	case lethe.ActionSuspend:
		if u.AnonymizedAt != nil {
			return lethe.ItemSkipped, lethe.ReasonUserAnonymized, nil
		}
		if u.State == lethe.StateSuspended && (endDate == nil || sameDay(u.EndDate, endDate)) {
			return lethe.ItemUnchanged, lethe.ReasonAlreadySuspended, nil
		}
		return lethe.ItemDone, "", tx.suspendUser(ctx, u, endDate)
	case lethe.ActionReactivate:
		switch {
		case u.AnonymizedAt != nil:
			return lethe.ItemSkipped, lethe.ReasonUserAnonymized, nil
		case u.State != lethe.StateSuspended:
			return lethe.ItemUnchanged, lethe.ReasonNotSuspended, nil
		}
		return lethe.ItemDone, "", tx.reactivateUser(ctx, u, lethe.UserFields{})
	case lethe.ActionDelete:
		d, err := tx.deleteUser(ctx, u)
		switch {
		case err != nil:
			return "", "", err
		case d.Outcome == lethe.DeletionScheduled:
			return lethe.ItemDone, lethe.ReasonScheduled, nil
		case d.Outcome == lethe.DeletionRepeated:
			return lethe.ItemUnchanged, lethe.ReasonAlreadyScheduled, nil
		}
		return lethe.ItemDone, "", nil
	case lethe.ActionAnonymize:
		if u.AnonymizedAt != nil {
			return lethe.ItemUnchanged, lethe.ReasonUserAnonymized, nil
		}
		_, err := tx.erase(ctx, u, lethe.ModeAnonymize, time.Time{})
		return lethe.ItemDone, "", err
	case lethe.ActionPurge:
		h, err := tx.history(ctx, u)
		if err != nil {
			return "", "", err
		}
		if len(h) > 0 {
			return lethe.ItemFailed, lethe.ReasonHasHistory, nil
		}
		return lethe.ItemDone, "", tx.purge(ctx, u)
	}
	return "", "", fmt.Errorf("unknown action %q", action)
}

func sameDay(a, b *time.Time) bool {
	return a != nil && b != nil && a.UTC().Truncate(lethe.Day).Equal(b.UTC().Truncate(lethe.Day))
}

// BulkUsers implements lethe.BulkService: identifiers are resolved first,
// then users are acted on in chunk transactions (see chunkBudget).
func (s *BulkService) BulkUsers(ctx context.Context, r lethe.BulkRequest) ([]lethe.ItemResult, error) {
	if len(r.Identifiers) > lethe.MaxBulkIdentifiers {
		return nil, lethe.FieldErrorf(lethe.EInvalid, "identifiers", "too_many", "identifiers must have at most %d items", lethe.MaxBulkIdentifiers)
	}
	out := make([]lethe.ItemResult, len(r.Identifiers))
	var ids []lethe.LearnerID
	err := s.db.readTx(ctx, func(tx *Tx) error {
		var err error
		ids, err = tx.resolveIdentifiers(ctx, r.Identifiers)
		return err
	})
	if err != nil {
		return nil, err
	}
	seen := map[lethe.LearnerID]bool{}
	var todo []int
	for i, id := range ids {
		out[i] = lethe.ItemResult{Index: i, UserID: id, Action: r.Action}
		switch {
		case id == "":
			out[i].Outcome, out[i].Reason = lethe.ItemFailed, lethe.ReasonUnknownUser
		case seen[id]:
			out[i].Outcome, out[i].Reason = lethe.ItemSkipped, lethe.ReasonDuplicate
		default:
			seen[id] = true
			todo = append(todo, i)
		}
	}
	for len(todo) > 0 {
		n := 0
		err := s.db.writeTx(ctx, func(tx *Tx) error {
			n = 0
			start := time.Now()
			for _, i := range todo {
				o, reason, err := tx.applyAction(ctx, r.Action, ids[i], r.EndDate, r.DryRun, nil)
				if err != nil {
					return err
				}
				out[i].Outcome, out[i].Reason = o, reason
				if n++; time.Since(start) > chunkBudget {
					break
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		todo = todo[n:]
	}
	return out, nil
}
