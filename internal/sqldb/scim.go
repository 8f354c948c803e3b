package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/lethehq/lethe"
)

// SCIMService implements lethe.SCIMService: SCIM users are users (the
// user.go write paths, with the SCIM externalId on the person's row and the
// ref unique ignoring case), SCIM groups are audiences (scimgroup.go).
type SCIMService struct{ db *DB }

// NewSCIMService returns the SCIM service of db.
func NewSCIMService(db *DB) *SCIMService { return &SCIMService{db: db} }

var _ lethe.SCIMService = (*SCIMService)(nil)

// A user SCIM sees has a person (erased users have none) and no scheduled
// erasure.
const scimUserVisible = ` AND NOT EXISTS (SELECT 1 FROM pending_erasures e WHERE e.tenant_id = $1 AND e.learner_id = l.id)`

// The columns of a SCIM user: the user's, its externalId and its manager
// (scimUserFrom joins it as m), with whether the manager's erasure is
// scheduled (such a manager is gone for SCIM, so shown as none).
const scimUserColumns = userColumns + `, p.scim_external_id, m.learner_id, m.ref, m.first_name, m.last_name,
	(SELECT 1 FROM pending_erasures me WHERE me.tenant_id = $1 AND me.learner_id = m.learner_id)`

// scimUserFrom reads users with their manager, whose SCIM id the
// enterprise extension shows.
const scimUserFrom = ` FROM learners l JOIN people p ON p.tenant_id = l.tenant_id AND p.learner_id = l.id
	LEFT JOIN people m ON m.tenant_id = p.tenant_id AND m.ref = p.manager_ref`

func scanSCIMUser(r rowScanner) (*lethe.SCIMUser, error) {
	var ext, mID, mRef, mFirst, mLast sql.NullString
	var mScheduled sql.NullInt64
	u, err := scanUser(withExtra{row: r, extra: []any{&ext, &mID, &mRef, &mFirst, &mLast, &mScheduled}})
	if err != nil {
		return nil, err
	}
	if mID.Valid && !mScheduled.Valid {
		u.Manager = &lethe.Manager{ID: lethe.LearnerID(mID.String), Ref: mRef.String,
			Name: strings.TrimSpace(mFirst.String + " " + mLast.String)}
	}
	return &lethe.SCIMUser{User: u, ExternalID: ext.String}, nil
}

// FindSCIMUsers implements lethe.SCIMService. A look-up by an indexed
// equality (userName eq "x", as an identity provider asks before each
// create) is one statement, outside a transaction, when its first page
// holds every match; other queries take a statement for the total and one
// for the page, in one transaction.
func (s *SCIMService) FindSCIMUsers(ctx context.Context, q lethe.SCIMQuery) (users []*lethe.SCIMUser, total int, err error) {
	actor, err := lethe.ActorFrom(ctx)
	if err != nil {
		return nil, 0, err
	}
	args := []any{string(actor.TenantID)}
	w := scimWhere{attrs: scimUserAttrs, args: &args}
	filter := ""
	if q.Filter != nil {
		c, err := w.cond(q.Filter, 0)
		if err != nil {
			return nil, 0, err
		}
		filter = " AND " + c
	}
	selective := w.selective(q.Filter)
	order, err := w.order(q.SortBy, q.Descending, selective && s.db.dialect.steerPlans, "l.id")
	if err != nil {
		return nil, 0, err
	}
	offset := max(q.Offset, 0)
	counted := args
	page := pageClause(&args, q.Limit, offset)
	if selective && offset == 0 && q.Limit > 0 {
		users, err = queryAll(ctx, s.db.read, scanSCIMUser, `SELECT `+scimUserColumns+scimUserFrom+` WHERE l.tenant_id = $1`+
			scimUserVisible+filter+order+page, args...)
		if err != nil {
			return nil, 0, s.db.classify(fmt.Errorf("find SCIM users: %w", err))
		}
		if len(users) < q.Limit {
			return append([]*lethe.SCIMUser{}, users...), len(users), nil
		}
	}
	err = s.db.readTx(ctx, func(tx *Tx) error {
		if total, err = tx.countSCIMUsers(ctx, filter, counted); err != nil || q.Limit <= 0 || offset >= total {
			return err
		}
		users, err = queryAll(ctx, tx, scanSCIMUser, `SELECT `+scimUserColumns+scimUserFrom+` WHERE l.tenant_id = $1`+
			scimUserVisible+filter+order+page, args...)
		if err != nil {
			return fmt.Errorf("find SCIM users: %w", err)
		}
		return nil
	})
	if users == nil && err == nil {
		users = []*lethe.SCIMUser{}
	}
	return users, total, err
}

// countSCIMUsers counts the users SCIM sees that filter (a condition
// following AND, or "") selects. Without a filter the learner counts
// answer (every learner not erased) less the scheduled erasures: a COUNT
// over a million rows takes a while.
func (tx *Tx) countSCIMUsers(ctx context.Context, filter string, args []any) (int, error) {
	var n int
	var err error
	if filter == "" {
		err = tx.QueryRowContext(ctx, `SELECT (SELECT COALESCE(SUM(n), 0) FROM learner_counts WHERE tenant_id = $1 AND state <> 'deleted')
			- (SELECT COUNT(*) FROM pending_erasures WHERE tenant_id = $1)`, string(tx.actor.TenantID)).Scan(&n)
	} else {
		err = tx.QueryRowContext(ctx, `SELECT COUNT(*)`+scimUserFrom+` WHERE l.tenant_id = $1`+scimUserVisible+filter, args...).Scan(&n)
	}
	if err != nil {
		return 0, fmt.Errorf("count SCIM users: %w", err)
	}
	return n, nil
}

// FindSCIMUser implements lethe.SCIMService: one statement, the user
// with its manager, outside a transaction (as UserService.FindUser).
func (s *SCIMService) FindSCIMUser(ctx context.Context, id lethe.LearnerID) (*lethe.SCIMUser, error) {
	actor, err := lethe.ActorFrom(ctx)
	if err != nil {
		return nil, err
	}
	if !validText(string(id)) {
		return nil, errUserNotFound
	}
	u, err := scanSCIMUser(s.db.read.QueryRowContext(ctx, `SELECT `+scimUserColumns+scimUserFrom+` WHERE l.tenant_id = $1 AND l.id = $2`+
		scimUserVisible, string(actor.TenantID), string(id)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errUserNotFound
	}
	if err != nil {
		return nil, s.db.classify(fmt.Errorf("find SCIM user: %w", err))
	}
	return u, nil
}

// checkSCIMRef reports a conflict when another user holds ref in any case.
// On PostgreSQL, checks of one ref (ignoring case) run one at a time until
// commit, so two creates of "Bob" and "bob" cannot both pass; SQLite's
// write transactions run one at a time anyway.
func (tx *Tx) checkSCIMRef(ctx context.Context, self lethe.LearnerID, ref string) error {
	ref = strings.TrimSpace(ref)
	tenant := string(tx.actor.TenantID)
	if !validText(ref) {
		return nil // ValidateUser refuses it
	}
	if lock := tx.db.dialect.advisoryLock; lock != "" {
		if _, err := tx.ExecContext(ctx, lock, "scim-ref:"+tenant+":"+strings.ToLower(ref)); err != nil {
			return fmt.Errorf("lock ref: %w", err)
		}
	}
	var other string
	// lower(ref) folds ASCII only (the "C" collation on PostgreSQL), so the
	// value is folded alike (foldASCII).
	err := tx.QueryRowContext(ctx, `SELECT learner_id FROM people WHERE tenant_id = $1 AND lower(ref) = CAST($2 AS TEXT)
		AND learner_id <> $3 LIMIT 1`, tenant, foldASCII(ref), string(self)).Scan(&other)
	if err == nil {
		return lethe.FieldErrorf(lethe.EConflict, "ref", "taken", "A user with this ref already exists.")
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("check ref: %w", err)
	}
	return nil
}

func checkExternalID(id string) error {
	if !validText(id) || utf8.RuneCountInString(id) > lethe.MaxTextLength {
		return lethe.FieldErrorf(lethe.EInvalid, "externalId", "invalid", "externalId must be text of at most %d characters",
			lethe.MaxTextLength)
	}
	return nil
}

// setExternalID writes the user's SCIM externalId ("" for none).
func (tx *Tx) setExternalID(ctx context.Context, id lethe.LearnerID, ext string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE people SET scim_external_id = $3 WHERE tenant_id = $1 AND learner_id = $2`,
		string(tx.actor.TenantID), string(id), nullStr(ext)); err != nil {
		return fmt.Errorf("set external id: %w", err)
	}
	return nil
}

// CreateSCIMUser implements lethe.SCIMService.
func (s *SCIMService) CreateSCIMUser(ctx context.Context, ref string, f lethe.UserFields, externalID string, active bool) (out *lethe.SCIMUser, err error) {
	if err := checkExternalID(externalID); err != nil {
		return nil, err
	}
	err = s.db.writeTx(ctx, func(tx *Tx) error {
		if err := tx.checkSCIMRef(ctx, "", ref); err != nil {
			return err
		}
		if f.ManagerRef != nil {
			if err := tx.checkSCIMManager(ctx, *f.ManagerRef); err != nil {
				return err
			}
		}
		u, err := tx.createUser(ctx, "", ref, f)
		if err != nil {
			return err
		}
		if externalID != "" {
			if err := tx.setExternalID(ctx, u.ID, externalID); err != nil {
				return err
			}
		}
		if !active {
			if err := tx.suspendUser(ctx, u, nil); err != nil {
				return err
			}
		}
		out = &lethe.SCIMUser{User: u, ExternalID: externalID}
		return nil
	})
	return out, err
}

// checkSCIMManager checks that a manager ref SCIM writes (resolved from
// manager.value before the transaction) is still held by a person SCIM
// sees, and locks that person's learner row: an erasure of the manager,
// which clears the refs to them, then runs wholly before this write
// (refused here) or after it (clearing this ref too), so their ref never
// outlives them. "" (no manager) passes.
func (tx *Tx) checkSCIMManager(ctx context.Context, ref string) error {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return nil
	}
	var id string
	err := tx.QueryRowContext(ctx, `SELECT l.id FROM learners l JOIN people p ON p.tenant_id = l.tenant_id AND p.learner_id = l.id
		WHERE l.tenant_id = $1 AND p.ref = $2`+scimUserVisible+tx.db.dialect.forUpdate, string(tx.actor.TenantID), ref).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return lethe.FieldErrorf(lethe.EInvalid, "managerRef", "unknown", "managerRef names no user.")
	}
	if err != nil {
		return fmt.Errorf("check manager: %w", err)
	}
	return nil
}

// findSCIMUserLocked reads a user SCIM sees, locked for the transaction,
// with its externalId: ENotFound when erased or when its erasure is
// scheduled.
func (tx *Tx) findSCIMUserLocked(ctx context.Context, id lethe.LearnerID) (*lethe.SCIMUser, error) {
	u, err := tx.findUser(ctx, lethe.ByID(id))
	if err != nil {
		return nil, err
	}
	if u.Deleted() || u.Person == nil {
		return nil, errUserNotFound
	}
	if due, err := tx.pendingErasure(ctx, u); err != nil || due != nil {
		if err == nil {
			err = errUserNotFound
		}
		return nil, err
	}
	var ext sql.NullString
	if err := tx.QueryRowContext(ctx, `SELECT scim_external_id FROM people WHERE tenant_id = $1 AND learner_id = $2`,
		string(tx.actor.TenantID), string(id)).Scan(&ext); err != nil {
		return nil, fmt.Errorf("find external id: %w", err)
	}
	return &lethe.SCIMUser{User: u, ExternalID: ext.String}, nil
}

// cloneSCIMUser copies u deeply enough that an edit callback changing its
// copy changes nothing of the transaction's.
func cloneSCIMUser(u *lethe.SCIMUser) *lethe.SCIMUser {
	c := *u.User
	if u.Person != nil {
		p := *u.Person
		p.AdditionalFields = append([]byte(nil), u.Person.AdditionalFields...)
		if len(u.Person.AdditionalFields) == 0 {
			p.AdditionalFields = u.Person.AdditionalFields
		}
		c.Person = &p
	}
	if u.Manager != nil {
		m := *u.Manager
		c.Manager = &m
	}
	return &lethe.SCIMUser{User: &c, ExternalID: u.ExternalID}
}

// EditSCIMUser implements lethe.SCIMService.
func (s *SCIMService) EditSCIMUser(ctx context.Context, id lethe.LearnerID, edit func(*lethe.SCIMUser) (*lethe.SCIMUserEdit, error)) (out *lethe.SCIMUser, err error) {
	err = s.db.writeTx(ctx, func(tx *Tx) error {
		u, err := tx.shownSCIMUserLocked(ctx, id)
		if err != nil {
			return err
		}
		e, err := edit(cloneSCIMUser(u))
		if err != nil {
			return err
		}
		if e != nil {
			if u.AnonymizedAt != nil {
				return lethe.ErrAnonymized
			}
			if err := tx.applySCIMEdit(ctx, u, e); err != nil {
				return err
			}
		}
		out = u
		if err := tx.resolveManagers(ctx, []*lethe.User{u.User}); err != nil {
			return err
		}
		return tx.hideScheduledManager(ctx, u.User)
	})
	return out, err
}

// hideScheduledManager clears u.Manager when the manager's erasure is
// scheduled: they are gone for SCIM (see scimUserFrom).
func (tx *Tx) hideScheduledManager(ctx context.Context, u *lethe.User) error {
	if u.Manager == nil {
		return nil
	}
	due, err := tx.pendingErasure(ctx, &lethe.User{Learner: lethe.Learner{ID: u.Manager.ID}})
	if due != nil {
		u.Manager = nil
	}
	return err
}

// applySCIMEdit applies e to u through the write paths of the user
// service: suspension and reactivation with their history, the fields as
// UpdateUser changes them.
func (tx *Tx) applySCIMEdit(ctx context.Context, u *lethe.SCIMUser, e *lethe.SCIMUserEdit) error {
	if m := e.Fields.ManagerRef; m != nil && strings.TrimSpace(*m) != u.Person.ManagerRef {
		if err := tx.checkSCIMManager(ctx, *m); err != nil {
			return err
		}
	}
	if e.Ref != nil {
		if err := tx.renameUser(ctx, u.User, *e.Ref); err != nil {
			return err
		}
	}
	switch {
	case e.Active != nil && *e.Active && u.State != lethe.StateActive:
		if err := tx.reactivateUser(ctx, u.User, e.Fields); err != nil {
			return err
		}
	case e.Active != nil && !*e.Active && u.State == lethe.StateActive:
		if err := tx.updateUser(ctx, u.User, e.Fields); err != nil {
			return err
		}
		if err := tx.suspendUser(ctx, u.User, nil); err != nil {
			return err
		}
	default:
		if err := tx.updateUser(ctx, u.User, e.Fields); err != nil {
			return err
		}
	}
	if e.ExternalID == nil || strings.TrimSpace(*e.ExternalID) == u.ExternalID {
		return nil
	}
	ext := strings.TrimSpace(*e.ExternalID)
	if err := checkExternalID(ext); err != nil {
		return err
	}
	if err := tx.setExternalID(ctx, u.ID, ext); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE learners SET updated_at = $3 WHERE tenant_id = $1 AND id = $2`,
		string(tx.actor.TenantID), string(u.ID), ms(tx.now)); err != nil {
		return fmt.Errorf("touch user: %w", err)
	}
	u.ExternalID, u.UpdatedAt = ext, tx.now
	if err := tx.emitUser(ctx, lethe.UserUpdatedEvent, u.User); err != nil {
		return err
	}
	return tx.appendTrail(ctx, "user.updated", string(u.ID), nil)
}

// renameUser gives u a new ref, checked as a SCIM create checks it (unique
// ignoring case; a change of case only is allowed), and points the
// managerRef of u's reports at it, so they keep their manager.
func (tx *Tx) renameUser(ctx context.Context, u *lethe.User, ref string) error {
	ref = strings.TrimSpace(ref)
	old := u.Person.Ref
	if ref == old {
		return nil
	}
	before := *u.Person
	u.Person.Ref = ref
	if err := lethe.ValidateUserChange(u.Person, &u.Learner, &before); err != nil {
		return err
	}
	if err := tx.checkSCIMRef(ctx, u.ID, ref); err != nil {
		return err
	}
	tenant := string(tx.actor.TenantID)
	res, err := tx.ExecContext(ctx, `UPDATE people SET ref = $3 WHERE tenant_id = $1 AND learner_id = $2
		AND NOT EXISTS (SELECT 1 FROM people o WHERE o.tenant_id = $1 AND o.ref = $3)`, tenant, string(u.ID), ref)
	if err != nil {
		return tx.uniqueErr(err, "rename person")
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		// A concurrent REST create took the ref after checkSCIMRef.
		return &racedError{err: lethe.FieldErrorf(lethe.EConflict, "ref", "taken", "A user with this ref already exists.")}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE learners SET updated_at = $3 WHERE tenant_id = $1 AND id IN
		(SELECT learner_id FROM people WHERE tenant_id = $1 AND manager_ref = $2)`, tenant, old, ms(tx.now)); err != nil {
		return fmt.Errorf("touch reports: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE people SET manager_ref = $3 WHERE tenant_id = $1 AND manager_ref = $2`,
		tenant, old, ref); err != nil {
		return fmt.Errorf("move reports: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE learners SET updated_at = $3 WHERE tenant_id = $1 AND id = $2`,
		tenant, string(u.ID), ms(tx.now)); err != nil {
		return fmt.Errorf("touch user: %w", err)
	}
	u.UpdatedAt = tx.now
	if err := tx.emitUser(ctx, lethe.UserUpdatedEvent, u); err != nil {
		return err
	}
	return tx.appendTrail(ctx, "user.updated", string(u.ID), nil)
}

// DeleteSCIMUser implements lethe.SCIMService: the user is read locked and
// shown to check as EditSCIMUser shows it, then deleted by the vendor's
// delete in the same transaction.
func (s *SCIMService) DeleteSCIMUser(ctx context.Context, id lethe.LearnerID, check func(*lethe.SCIMUser) error) (d *lethe.Deletion, err error) {
	err = s.db.writeTx(ctx, func(tx *Tx) error {
		u, err := tx.shownSCIMUserLocked(ctx, id)
		if err != nil {
			return err
		}
		if err := check(cloneSCIMUser(u)); err != nil {
			return err
		}
		d, err = tx.deleteUser(ctx, u.User)
		return err
	})
	return d, err
}

// shownSCIMUserLocked reads a user SCIM sees, locked for the transaction,
// with its manager as SCIM shows it (none while the manager's erasure is
// scheduled): what an edit or a delete's If-Match check is shown.
func (tx *Tx) shownSCIMUserLocked(ctx context.Context, id lethe.LearnerID) (*lethe.SCIMUser, error) {
	u, err := tx.findSCIMUserLocked(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := tx.resolveManagers(ctx, []*lethe.User{u.User}); err != nil {
		return nil, err
	}
	return u, tx.hideScheduledManager(ctx, u.User)
}
