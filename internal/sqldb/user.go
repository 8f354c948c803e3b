package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lethehq/lethe"
)

// UserService implements lethe.UserService. This file is the one place where
// the learner (pseudonymous) and person (personal) sides are joined.
type UserService struct{ db *DB }

// NewUserService returns the user service of db.
func NewUserService(db *DB) *UserService { return &UserService{db: db} }

var _ lethe.UserService = (*UserService)(nil)

const userColumns = `l.id, l.state, l.role, l.login_method, l.sso, l.end_date, l.first_login_at, l.last_login_at,
	l.created_at, l.updated_at, l.deleted_at, l.anonymized_at,
	p.ref, p.email, p.first_name, p.last_name, p.job_title, p.manager_ref, p.domain, p.time_zone,
	p.language_code, p.start_date, p.additional_fields`

const userFrom = ` FROM learners l LEFT JOIN people p ON p.tenant_id = l.tenant_id AND p.learner_id = l.id`

func scanUser(row rowScanner) (*lethe.User, error) {
	var u lethe.User
	var endDate, firstLogin, lastLogin, deletedAt, anonymizedAt, startDate sql.NullInt64
	var created, updated int64
	var ref, email, first, last, job, mgr, domain, tz, lang, extra sql.NullString
	err := row.Scan(&u.ID, &u.State, &u.Role, &u.LoginMethod, &u.SSO, &endDate, &firstLogin, &lastLogin,
		&created, &updated, &deletedAt, &anonymizedAt,
		&ref, &email, &first, &last, &job, &mgr, &domain, &tz, &lang, &startDate, &extra)
	if err != nil {
		return nil, err
	}
	u.EndDate, u.FirstLoginAt, u.LastLoginAt, u.DeletedAt = timePtr(endDate), timePtr(firstLogin), timePtr(lastLogin), timePtr(deletedAt)
	u.CreatedAt, u.UpdatedAt, u.AnonymizedAt = fromMS(created), fromMS(updated), timePtr(anonymizedAt)
	if ref.Valid {
		u.Person = &lethe.Person{
			Ref: ref.String, Email: email.String, FirstName: first.String, LastName: last.String,
			JobTitle: job.String, ManagerRef: mgr.String, Domain: domain.String, TimeZone: tz.String,
			LanguageCode: lang.String, StartDate: timePtr(startDate),
		}
		if extra.Valid {
			u.Person.AdditionalFields = json.RawMessage(extra.String)
		}
	}
	return &u, nil
}

var errUserNotFound = lethe.Errorf(lethe.ENotFound, "User not found.")

// findUser loads one user of the actor's tenant.
func (tx *Tx) findUser(ctx context.Context, key lethe.UserKey) (*lethe.User, error) {
	q := `SELECT ` + userColumns + userFrom + ` WHERE l.tenant_id = $1 AND `
	var arg string
	if key.ID != "" {
		q += `l.id = $2`
		arg = string(key.ID)
	} else {
		q += `p.ref = $2`
		arg = key.Ref
	}
	if !validText(arg) {
		// No stored id or ref holds these, and PostgreSQL refuses them as
		// text: answer as SQLite does, not with a database error.
		return nil, errUserNotFound
	}
	if tx.write {
		q += tx.db.dialect.forUpdate
	}
	u, err := scanUser(tx.QueryRowContext(ctx, q, string(tx.actor.TenantID), arg))
	if err == nil && tx.write && tx.db.dialect.forUpdate != "" {
		// PostgreSQL (READ COMMITTED): when the lock had to wait for another
		// writer, the locked learner row is read at its new version but the
		// joined person row as the statement's snapshot saw it, so saving it
		// would undo the other writer's change. Now that the row is locked,
		// read the user again with a fresh snapshot.
		u, err = scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+userFrom+` WHERE l.tenant_id = $1 AND l.id = $2`,
			string(tx.actor.TenantID), string(u.ID)))
		if err == nil && key.ID == "" && (u.Person == nil || u.Person.Ref != key.Ref) {
			err = sql.ErrNoRows // erased while this transaction waited: the ref names nobody now
		}
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errUserNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("find user: %w", err)
	}
	tx.noteLoaded(&u.Learner)
	return u, nil
}

// findUsers is findUser for many keys: the users found, by key (a key
// naming nobody is left out). Refs are first resolved to ids, then every
// user is read by id, in id order, 500 a query: in a write transaction on
// PostgreSQL the learner rows are so locked in one order for every batch,
// whatever order the keys came in (two batches locking the same users in
// different orders deadlock), and read again once locked (see findUser).
func (tx *Tx) findUsers(ctx context.Context, keys []lethe.UserKey) (map[lethe.UserKey]*lethe.User, error) {
	want := map[string]bool{}
	var refs []string
	for _, k := range keys {
		switch {
		case k.ID != "" && validText(string(k.ID)):
			want[string(k.ID)] = true
		case k.ID == "" && validText(k.Ref):
			refs = append(refs, k.Ref)
		}
	}
	refIDs, err := tx.refIDs(ctx, refs)
	if err != nil {
		return nil, err
	}
	for _, id := range refIDs {
		want[id] = true
	}
	ids := slices.Sorted(maps.Keys(want))
	byID := make(map[lethe.LearnerID]*lethe.User, len(ids))
	for len(ids) > 0 {
		n := min(len(ids), 500)
		users, err := tx.queryUsers(ctx, "l.id", ids[:n], tx.write)
		if err != nil {
			return nil, err
		}
		if tx.write && tx.db.dialect.forUpdate != "" && len(users) > 0 {
			locked := make([]string, len(users))
			for i, u := range users {
				locked[i] = string(u.ID)
			}
			if users, err = tx.queryUsers(ctx, "l.id", locked, false); err != nil {
				return nil, err
			}
		}
		for _, u := range users {
			byID[u.ID] = u
			tx.noteLoaded(&u.Learner)
		}
		ids = ids[n:]
	}
	found := make(map[lethe.UserKey]*lethe.User, len(byID))
	for _, k := range keys {
		if k.ID != "" {
			if u := byID[k.ID]; u != nil {
				found[k] = u
			}
			continue
		}
		// Erased or renamed while this transaction waited: the ref names nobody now.
		if u := byID[lethe.LearnerID(refIDs[k.Ref])]; u != nil && u.Person != nil && u.Person.Ref == k.Ref {
			found[k] = u
		}
	}
	return found, nil
}

// refIDs returns the learner id of each ref that names a person, 500 refs a
// query.
func (tx *Tx) refIDs(ctx context.Context, refs []string) (map[string]string, error) {
	out := make(map[string]string, len(refs))
	for len(refs) > 0 {
		n := min(len(refs), 500)
		args := []any{string(tx.actor.TenantID)}
		marks := make([]string, n)
		for i, r := range refs[:n] {
			args = append(args, r)
			marks[i] = "$" + strconv.Itoa(i+2)
		}
		pairs, err := queryAll(ctx, tx, func(r rowScanner) (p [2]string, err error) {
			err = r.Scan(&p[0], &p[1])
			return p, err
		}, `SELECT ref, learner_id FROM people WHERE tenant_id = $1 AND ref IN (`+strings.Join(marks, ", ")+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("find refs: %w", err)
		}
		for _, p := range pairs {
			out[p[0]] = p[1]
		}
		refs = refs[n:]
	}
	return out, nil
}

// queryUsers reads the users whose column (l.id) is one of vals, in id
// order, locking their learner rows when lock is set (PostgreSQL).
func (tx *Tx) queryUsers(ctx context.Context, column string, vals []string, lock bool) ([]*lethe.User, error) {
	args := make([]any, 0, len(vals)+1)
	args = append(args, string(tx.actor.TenantID))
	marks := make([]string, len(vals))
	for i, v := range vals {
		args = append(args, v)
		marks[i] = "$" + strconv.Itoa(i+2)
	}
	q := `SELECT ` + userColumns + userFrom + ` WHERE l.tenant_id = $1 AND ` + column + ` IN (` + strings.Join(marks, ", ") + `) ORDER BY l.id`
	if lock {
		q += tx.db.dialect.forUpdate
	}
	users, err := queryAll(ctx, tx, scanUser, q, args...)
	if err != nil {
		return nil, fmt.Errorf("find users: %w", err)
	}
	return users, nil
}

// validText reports whether s can name a stored id or ref: PostgreSQL
// refuses invalid UTF-8 and NUL bytes as text, and none are stored.
func validText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// findLiveUser is findUser that refuses erased users.
func (tx *Tx) findLiveUser(ctx context.Context, key lethe.UserKey) (*lethe.User, error) {
	u, err := tx.findUser(ctx, key)
	if err != nil {
		return nil, err
	}
	if u.Deleted() {
		return nil, lethe.Errorf(lethe.EConflict, "The user has been deleted; create a new user instead.")
	}
	return u, nil
}

// findMutableUser is findLiveUser that refuses anonymized accounts: every
// change of an account but its erasure goes through it (see
// lethe.ErrAnonymized).
func (tx *Tx) findMutableUser(ctx context.Context, key lethe.UserKey) (*lethe.User, error) {
	u, err := tx.findLiveUser(ctx, key)
	if err == nil && u.AnonymizedAt != nil {
		return nil, lethe.ErrAnonymized
	}
	return u, err
}

// resolveManagers fills User.Manager for every user whose person names a
// manager ref, in one query.
func (tx *Tx) resolveManagers(ctx context.Context, users []*lethe.User) error {
	refs := map[string][]*lethe.User{}
	var args []any
	args = append(args, string(tx.actor.TenantID))
	var marks []string
	for _, u := range users {
		// A manager resolved before a change that cleared or moved the
		// manager ref must not survive it.
		u.Manager = nil
		if u.Person == nil || u.Person.ManagerRef == "" {
			continue
		}
		r := u.Person.ManagerRef
		if _, seen := refs[r]; !seen {
			args = append(args, r)
			marks = append(marks, "$"+strconv.Itoa(len(args)))
		}
		refs[r] = append(refs[r], u)
	}
	if len(marks) == 0 {
		return nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT learner_id, ref, first_name, last_name FROM people
		WHERE tenant_id = $1 AND ref IN (`+strings.Join(marks, ", ")+`)`, args...)
	if err != nil {
		return fmt.Errorf("resolve managers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var m lethe.Manager
		var first, last string
		if err := rows.Scan(&m.ID, &m.Ref, &first, &last); err != nil {
			return err
		}
		m.Name = strings.TrimSpace(first + " " + last)
		for _, u := range refs[m.Ref] {
			mm := m
			u.Manager = &mm
		}
	}
	return rows.Err()
}

func (tx *Tx) appendHistory(ctx context.Context, id lethe.LearnerID, from, to lethe.State, reason string) error {
	var fromArg any
	if from != "" {
		fromArg = string(from)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO status_history
		(tenant_id, learner_id, seq, from_state, to_state, reason, actor, source, at)
		VALUES ($1, $2, (SELECT COALESCE(MAX(seq), 0) + 1 FROM status_history WHERE tenant_id = $1 AND learner_id = $2),
		        $3, $4, $5, $6, $7, $8)`,
		string(tx.actor.TenantID), string(id), fromArg, string(to), reason,
		tx.actor.Name, string(tx.actor.Source), ms(tx.now))
	if err != nil {
		return fmt.Errorf("append status history: %w", err)
	}
	return nil
}

// checkUnique reports a conflict when ref or email belongs to another user.
func (tx *Tx) checkUnique(ctx context.Context, self lethe.LearnerID, p *lethe.Person) error {
	var other string
	err := tx.QueryRowContext(ctx, `SELECT learner_id FROM people WHERE tenant_id = $1 AND ref = $2`,
		string(tx.actor.TenantID), p.Ref).Scan(&other)
	if err == nil && other != string(self) {
		return lethe.FieldErrorf(lethe.EConflict, "ref", "taken", "A user with this ref already exists.")
	} else if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("check ref: %w", err)
	}
	if p.Email == "" {
		return nil
	}
	err = tx.QueryRowContext(ctx, `SELECT learner_id FROM people WHERE tenant_id = $1 AND email_norm = $2`,
		string(tx.actor.TenantID), lethe.NormalizeEmail(p.Email)).Scan(&other)
	if err == nil && other != string(self) {
		return lethe.FieldErrorf(lethe.EConflict, "email", "taken", "A user with this email already exists.")
	} else if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("check email: %w", err)
	}
	return nil
}

// uniqueErr turns a unique violation that slipped past checkUnique (a race on
// a database with concurrent writers) into a lost race: the transaction runs
// again, and checkUnique then names the taken field.
func (tx *Tx) uniqueErr(err error, what string) error {
	if tx.db.dialect.isUniqueViolation(err) {
		return &racedError{err: lethe.Errorf(lethe.EConflict, "A user with this ref or email already exists.")}
	}
	return fmt.Errorf("%s: %w", what, err)
}

func personArgs(p *lethe.Person) []any {
	var extra any
	if len(p.AdditionalFields) > 0 {
		extra = string(p.AdditionalFields)
	}
	var emailNorm any
	if p.Email != "" {
		emailNorm = lethe.NormalizeEmail(p.Email)
	}
	return []any{p.Ref, nullStr(p.Email), emailNorm, p.FirstName, p.LastName, nullStr(p.JobTitle), nullStr(p.ManagerRef),
		nullStr(p.Domain), nullStr(p.TimeZone), nullStr(p.LanguageCode), nullMS(p.StartDate), extra}
}

func (tx *Tx) createUser(ctx context.Context, id lethe.LearnerID, ref string, f lethe.UserFields) (*lethe.User, error) {
	if id == "" {
		id = lethe.LearnerID(lethe.NewID(tx.now))
	}
	u := &lethe.User{
		Learner: lethe.Learner{
			ID: id, State: lethe.StateActive, Role: lethe.RoleLearner,
			LoginMethod: lethe.LoginEmail, CreatedAt: tx.now, UpdatedAt: tx.now,
		},
		Person: &lethe.Person{Ref: strings.TrimSpace(ref)},
	}
	f.Apply(u.Person, &u.Learner)
	if err := lethe.ValidateUser(u.Person, &u.Learner); err != nil {
		return nil, err
	}
	if err := tx.checkUnique(ctx, "", u.Person); err != nil {
		return nil, err
	}
	tenant := string(tx.actor.TenantID)
	_, err := tx.ExecContext(ctx, `INSERT INTO learners
		(tenant_id, id, state, role, login_method, sso, end_date, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`,
		tenant, string(u.ID), string(u.State), string(u.Role), string(u.LoginMethod), u.SSO, nullMS(u.EndDate), ms(tx.now))
	if err != nil {
		return nil, fmt.Errorf("insert learner: %w", err)
	}
	if err := tx.recordCount(ctx, &u.Learner); err != nil {
		return nil, err
	}
	args := append([]any{tenant, string(u.ID)}, personArgs(u.Person)...)
	// DO NOTHING rather than a unique violation: PostgreSQL would write the
	// clashing ref or email into its own server log.
	res, err := tx.ExecContext(ctx, `INSERT INTO people
		(tenant_id, learner_id, ref, email, email_norm, first_name, last_name, job_title, manager_ref, domain,
		 time_zone, language_code, start_date, additional_fields)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT DO NOTHING`, args...)
	if err != nil {
		return nil, tx.uniqueErr(err, "insert person")
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		// A concurrent create took the ref or email after checkUnique.
		return nil, &racedError{err: lethe.Errorf(lethe.EConflict, "A user with this ref or email already exists.")}
	}
	u.State = "" // a new learner: its history starts here
	if err := tx.transition(ctx, u, lethe.StateActive, lethe.ReasonCreated); err != nil {
		return nil, err
	}
	return u, tx.resolveManagers(ctx, []*lethe.User{u})
}

// saveUser writes the changed learner and person of u.
func (tx *Tx) saveUser(ctx context.Context, u *lethe.User) error {
	u.UpdatedAt = tx.now
	tenant := string(tx.actor.TenantID)
	_, err := tx.ExecContext(ctx, `UPDATE learners SET state = $3, role = $4, login_method = $5, sso = $6,
		end_date = $7, updated_at = $8 WHERE tenant_id = $1 AND id = $2`,
		tenant, string(u.ID), string(u.State), string(u.Role), string(u.LoginMethod), u.SSO, nullMS(u.EndDate), ms(tx.now))
	if err != nil {
		return fmt.Errorf("update learner: %w", err)
	}
	if err := tx.recordCount(ctx, &u.Learner); err != nil {
		return err
	}
	if u.Person == nil {
		return nil
	}
	args := append([]any{tenant, string(u.ID)}, personArgs(u.Person)...)
	_, err = tx.ExecContext(ctx, `UPDATE people SET ref = $3, email = $4, email_norm = $5, first_name = $6,
		last_name = $7, job_title = $8, manager_ref = $9, domain = $10, time_zone = $11, language_code = $12,
		start_date = $13, additional_fields = $14 WHERE tenant_id = $1 AND learner_id = $2`, args...)
	if err != nil {
		return tx.uniqueErr(err, "update person")
	}
	return nil
}

// updateUser applies f. An update that changes nothing writes nothing, so
// updatedAt (which syncs page on with updatedSince) stays put.
func (tx *Tx) updateUser(ctx context.Context, u *lethe.User, f lethe.UserFields) error {
	return tx.changeUser(ctx, u, f, false)
}

// changeUser applies f and saves u when f changed it or dirty says the
// caller already did.
func (tx *Tx) changeUser(ctx context.Context, u *lethe.User, f lethe.UserFields, dirty bool) error {
	if u.AnonymizedAt != nil {
		return lethe.ErrAnonymized
	}
	before, person := u.Learner, *u.Person
	f.Apply(u.Person, &u.Learner)
	if err := lethe.ValidateUserChange(u.Person, &u.Learner, &person); err != nil {
		return err
	}
	if !dirty && u.Learner.Equal(&before) && u.Person.Equal(&person) {
		return nil
	}
	if err := tx.checkUnique(ctx, u.ID, u.Person); err != nil {
		return err
	}
	if !dirty {
		if err := tx.appendTrail(ctx, "user.updated", string(u.ID), nil); err != nil {
			return err
		}
		if err := tx.emitUser(ctx, lethe.UserUpdatedEvent, u); err != nil {
			return err
		}
	}
	return tx.saveUser(ctx, u)
}

func (tx *Tx) suspendUser(ctx context.Context, u *lethe.User, endDate *time.Time) error {
	if u.AnonymizedAt != nil {
		return lethe.ErrAnonymized
	}
	suspended := u.State != lethe.StateSuspended
	if suspended {
		if err := tx.transition(ctx, u, lethe.StateSuspended, lethe.ReasonSuspended); err != nil {
			return err
		}
	}
	return tx.changeUser(ctx, u, lethe.UserFields{EndDate: endDate}, suspended)
}

// reactivateUser restores access. A rehire's old end date no longer applies,
// so it is cleared unless f gives a new one.
func (tx *Tx) reactivateUser(ctx context.Context, u *lethe.User, f lethe.UserFields) error {
	if u.AnonymizedAt != nil {
		return lethe.ErrAnonymized
	}
	if err := tx.cancelErasure(ctx, u); err != nil {
		return err
	}
	if f.EndDate == nil {
		f.EndDate = &time.Time{}
	}
	reactivated := u.State != lethe.StateActive
	if reactivated {
		if err := tx.transition(ctx, u, lethe.StateActive, lethe.ReasonReactivated); err != nil {
			return err
		}
	}
	return tx.changeUser(ctx, u, f, reactivated)
}

// CreateUser implements lethe.UserService.
func (s *UserService) CreateUser(ctx context.Context, ref string, f lethe.UserFields) (*lethe.User, error) {
	return s.CreateUserWithID(ctx, "", ref, f)
}

// CreateUserWithID is CreateUser with a chosen learner id, for fixtures such
// as the demo tenant whose documented examples name fixed ids. An empty id
// generates one.
func (s *UserService) CreateUserWithID(ctx context.Context, id lethe.LearnerID, ref string, f lethe.UserFields) (u *lethe.User, err error) {
	err = s.db.writeTx(ctx, func(tx *Tx) error {
		u, err = tx.createUser(ctx, id, ref, f)
		return err
	})
	return u, err
}

// UpdateUser implements lethe.UserService.
func (s *UserService) UpdateUser(ctx context.Context, key lethe.UserKey, f lethe.UserFields) (u *lethe.User, err error) {
	err = s.db.writeTx(ctx, func(tx *Tx) error {
		if u, err = tx.findMutableUser(ctx, key); err != nil {
			return err
		}
		if err := tx.updateUser(ctx, u, f); err != nil {
			return err
		}
		return tx.resolveManagers(ctx, []*lethe.User{u})
	})
	return u, err
}

// SuspendUser implements lethe.UserService.
func (s *UserService) SuspendUser(ctx context.Context, key lethe.UserKey, endDate *time.Time) (u *lethe.User, err error) {
	err = s.db.writeTx(ctx, func(tx *Tx) error {
		if u, err = tx.findMutableUser(ctx, key); err != nil {
			return err
		}
		if err := tx.suspendUser(ctx, u, endDate); err != nil {
			return err
		}
		return tx.resolveManagers(ctx, []*lethe.User{u})
	})
	return u, err
}

// ReactivateUser implements lethe.UserService.
func (s *UserService) ReactivateUser(ctx context.Context, key lethe.UserKey, f lethe.UserFields) (u *lethe.User, err error) {
	err = s.db.writeTx(ctx, func(tx *Tx) error {
		if u, err = tx.findMutableUser(ctx, key); err != nil {
			return err
		}
		if err := tx.reactivateUser(ctx, u, f); err != nil {
			return err
		}
		return tx.resolveManagers(ctx, []*lethe.User{u})
	})
	return u, err
}

// RecordLogin implements lethe.UserService.
func (s *UserService) RecordLogin(ctx context.Context, key lethe.UserKey) (u *lethe.User, err error) {
	err = s.db.writeTx(ctx, func(tx *Tx) error {
		if u, err = tx.findLiveUser(ctx, key); err != nil {
			return err
		}
		if u.State != lethe.StateActive {
			return lethe.Errorf(lethe.EConflict, "A suspended user cannot sign in.")
		}
		if u.FirstLoginAt == nil {
			u.FirstLoginAt = &tx.now
		}
		u.LastLoginAt, u.UpdatedAt = &tx.now, tx.now
		_, err := tx.ExecContext(ctx, `UPDATE learners SET first_login_at = $3, last_login_at = $4, updated_at = $4
			WHERE tenant_id = $1 AND id = $2`, string(tx.actor.TenantID), string(u.ID), ms(*u.FirstLoginAt), ms(tx.now))
		if err != nil {
			return fmt.Errorf("record login: %w", err)
		}
		if err := tx.recordCount(ctx, &u.Learner); err != nil {
			return err
		}
		return tx.resolveManagers(ctx, []*lethe.User{u})
	})
	return u, err
}

// FindUser implements lethe.UserService. It is the most frequent read, so
// it is one statement (the user and its manager) outside a transaction: one
// statement reads one snapshot, and BEGIN and COMMIT cost as much as the
// read.
func (s *UserService) FindUser(ctx context.Context, key lethe.UserKey) (*lethe.User, error) {
	column, arg := "l.id", string(key.ID)
	if key.ID == "" {
		column, arg = "p.ref", key.Ref
	}
	return s.findUserBy(ctx, column, arg)
}

// FindUserByEmail implements lethe.UserService.
func (s *UserService) FindUserByEmail(ctx context.Context, email string) (*lethe.User, error) {
	return s.findUserBy(ctx, "p.email_norm", lethe.NormalizeEmail(email))
}

// findUserBy reads the user whose column (l.id, p.ref or p.email_norm) is
// arg, with their manager.
func (s *UserService) findUserBy(ctx context.Context, column, arg string) (*lethe.User, error) {
	actor, err := lethe.ActorFrom(ctx)
	if err != nil {
		return nil, err
	}
	if arg == "" || !validText(arg) {
		return nil, errUserNotFound
	}
	var mID, mRef, mFirst, mLast sql.NullString
	u, err := scanUser(withExtra{s.db.read.QueryRowContext(ctx, `SELECT `+userColumns+`, m.learner_id, m.ref, m.first_name, m.last_name`+
		userFrom+` LEFT JOIN people m ON m.tenant_id = p.tenant_id AND m.ref = p.manager_ref
		WHERE l.tenant_id = $1 AND `+column+` = $2`, string(actor.TenantID), arg), []any{&mID, &mRef, &mFirst, &mLast}})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errUserNotFound
	}
	if err != nil {
		return nil, s.db.classify(fmt.Errorf("find user: %w", err))
	}
	if mID.Valid {
		u.Manager = &lethe.Manager{ID: lethe.LearnerID(mID.String), Ref: mRef.String,
			Name: strings.TrimSpace(mFirst.String + " " + mLast.String)}
	}
	return u, nil
}

// withExtra scans a row of userColumns followed by more columns, into extra.
type withExtra struct {
	row   rowScanner
	extra []any
}

func (w withExtra) Scan(dest ...any) error { return w.row.Scan(append(dest, w.extra...)...) }

// statusClause returns the SQL condition that selects learners with one of
// statuses at now; it mirrors lethe.StatusAt. With indexed set, each branch
// is a range on the learners_status index, which suits statuses that few
// learners have; otherwise the columns are compared through expressions no
// index serves, so the database walks the learners in id order and stops
// after one page, which suits statuses that many learners have: the walk
// covers the active learners only (learners_page) when every status wanted
// is one of theirs, and every learner (the primary key) otherwise.
func statusClause(statuses []lethe.Status, now int64, indexed bool, args *[]any) string {
	want := map[lethe.Status]bool{}
	for _, s := range statuses {
		want[s] = true
	}
	if len(want) == len(lethe.AllStatuses) {
		return ""
	}
	if len(want) == 0 {
		return "1 = 0"
	}
	// The time is a parameter only when a branch needs it: PostgreSQL
	// refuses unused parameters.
	if len(want) > 1 || !want[lethe.StatusInactive] {
		*args = append(*args, now)
	}
	nowArg := "$" + strconv.Itoa(len(*args))
	// Expressions over the columns hide them from every index.
	state, end, login := "l.state", "l.end_date", "l.first_login_at"
	if !indexed {
		state, end, login = "(l.state || '')", "(l.end_date + 0)", "(l.first_login_at + 0)"
	}
	notEnded := "(" + end + " IS NULL OR " + end + " > " + nowArg + ")"
	var ors []string
	if want[lethe.StatusInactive] {
		ors = append(ors, state+" IN ('suspended', 'deleted')")
	}
	if want[lethe.StatusExpired] {
		ors = append(ors, "("+state+" = 'active' AND "+end+" <= "+nowArg+")")
	}
	switch {
	case want[lethe.StatusNew] && want[lethe.StatusActive]:
		ors = append(ors, "("+state+" = 'active' AND "+notEnded+")")
	case want[lethe.StatusNew]:
		ors = append(ors, "("+state+" = 'active' AND "+notEnded+" AND "+login+" IS NULL)")
	case want[lethe.StatusActive]:
		ors = append(ors, "("+state+" = 'active' AND "+notEnded+" AND "+login+" IS NOT NULL)")
	}
	if !indexed && !want[lethe.StatusInactive] {
		// Every branch is of active learners: the state alone is shown to
		// the indexes, so the walk in id order covers the active learners
		// only (learners_page) and never steps over suspended or erased ones.
		return "(l.state = 'active' AND (" + strings.Join(ors, " OR ") + "))"
	}
	return "(" + strings.Join(ors, " OR ") + ")"
}

// denseShare: a status filter that matches at least 1/denseShare of a
// tenant's learners is served by walking the primary key (see statusClause).
const denseShare = 16

// FindUsers implements lethe.UserService. Totals come from the learner
// counts unless updatedSince is given; the page query's plan is chosen from
// how many learners match.
func (s *UserService) FindUsers(ctx context.Context, f lethe.UserFilter) (users []*lethe.User, total int, err error) {
	err = s.db.readTx(ctx, func(tx *Tx) error {
		now := ms(tx.now)
		indexed := true
		if f.UpdatedSince == nil {
			counts, err := tx.countStatuses(ctx, now)
			if err != nil {
				return err
			}
			all := counts.sum(lethe.AllStatuses)
			total = all
			if f.Statuses != nil {
				total = counts.sum(f.Statuses)
			}
			indexed = total*denseShare < all || !s.db.dialect.steerPlans
		}
		args := []any{string(tx.actor.TenantID)}
		where := " WHERE l.tenant_id = $1"
		if f.Statuses != nil {
			if c := statusClause(f.Statuses, now, indexed, &args); c != "" {
				where += " AND " + c
			}
		}
		if f.UpdatedSince != nil {
			args = append(args, ms(*f.UpdatedSince))
			where += " AND l.updated_at >= $" + strconv.Itoa(len(args))
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM learners l`+where, args...).Scan(&total); err != nil {
				return fmt.Errorf("count users: %w", err)
			}
		}
		if total <= f.Offset {
			return nil
		}
		// A listing longer than a page may be read page after page: where the
		// previous page ended is kept, and used when nothing changed since.
		var key cursorKey
		var updated int64
		marked := total > f.Limit
		if marked {
			key = cursorKey{tenant: tx.actor.TenantID, filter: userFilterKey(f), offset: f.Offset}
			var latest sql.NullInt64
			if err := tx.QueryRowContext(ctx, `SELECT MAX(updated_at) FROM learners WHERE tenant_id = $1`,
				string(tx.actor.TenantID)).Scan(&latest); err != nil {
				return fmt.Errorf("latest user update: %w", err)
			}
			updated = latest.Int64
		}
		// The page's ids are picked first, so rows skipped by the offset cost
		// an index step each, not a join.
		var page string
		after, ok := "", false
		if marked && f.Offset > 0 {
			after, ok = s.db.cursors.get(key, total, updated)
		}
		if ok {
			args = append(args, after, f.Limit)
			where += " AND l.id > $" + strconv.Itoa(len(args)-1)
			page = " LIMIT $" + strconv.Itoa(len(args))
		} else {
			page = pageClause(&args, f.Limit, f.Offset)
		}
		users, err = queryAll(ctx, tx, scanUser, `SELECT `+userColumns+userFrom+` WHERE l.tenant_id = $1 AND l.id IN
			(SELECT l.id FROM learners l`+where+` ORDER BY l.id`+page+`) ORDER BY l.id`, args...)
		if err != nil {
			return fmt.Errorf("find users: %w", err)
		}
		if end := f.Offset + len(users); marked && len(users) > 0 && end < total {
			next := key
			next.offset = end
			s.db.cursors.put(next, cursorMark{after: string(users[len(users)-1].ID), total: total, updated: updated})
		}
		return tx.resolveManagers(ctx, users)
	})
	return users, total, err
}

// FindStatusHistory implements lethe.UserService.
func (s *UserService) FindStatusHistory(ctx context.Context, id lethe.LearnerID) (out []*lethe.StatusChange, err error) {
	err = s.db.readTx(ctx, func(tx *Tx) error {
		if _, err := tx.findUser(ctx, lethe.ByID(id)); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT from_state, to_state, reason, actor, source, at FROM status_history
			WHERE tenant_id = $1 AND learner_id = $2 ORDER BY seq`, string(tx.actor.TenantID), string(id))
		if err != nil {
			return fmt.Errorf("find status history: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			c := lethe.StatusChange{LearnerID: id}
			var from sql.NullString
			var at int64
			if err := rows.Scan(&from, &c.To, &c.Reason, &c.Actor, &c.Source, &at); err != nil {
				return err
			}
			c.From, c.At = lethe.State(from.String), fromMS(at)
			out = append(out, &c)
		}
		return rows.Err()
	})
	return out, err
}
