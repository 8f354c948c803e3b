package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/lethehq/lethe"
)

// AudienceService implements lethe.AudienceService. Member and manager
// listings and the resolution of users named by email or ref read the
// people table here, next to user.go (see docs/adr/0005): they join the
// person to a membership for the answer only and copy nothing.
type AudienceService struct{ db *DB }

// NewAudienceService returns the audience service of db.
func NewAudienceService(db *DB) *AudienceService { return &AudienceService{db: db} }

var _ lethe.AudienceService = (*AudienceService)(nil)

var errAudienceNotFound = lethe.Errorf(lethe.ENotFound, "Audience not found.")

const audienceColumns = `a.id, a.reference, a.name, a.category, a.type, a.api_controlled, a.created_at, a.updated_at,
	p.id, p.name, p.reference`

const audienceFrom = ` FROM audiences a LEFT JOIN audiences p ON p.tenant_id = a.tenant_id AND p.id = a.parent_id`

func scanAudience(row rowScanner) (*lethe.Audience, error) {
	var a lethe.Audience
	var ref, pid, pname, pref sql.NullString
	var created, updated int64
	if err := row.Scan(&a.ID, &ref, &a.Name, &a.Category, &a.Type, &a.APIControlled, &created, &updated,
		&pid, &pname, &pref); err != nil {
		return nil, err
	}
	a.Reference, a.CreatedAt, a.UpdatedAt = ref.String, fromMS(created), fromMS(updated)
	if pid.Valid {
		a.Parent = &lethe.AudienceParent{ID: pid.String, Name: pname.String, Reference: pref.String}
	}
	return &a, nil
}

// validKey reports whether s can be stored as text: PostgreSQL refuses NUL
// and invalid UTF-8, which no stored id, ref or email holds.
func validKey(s string) bool { return s != "" && utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// findAudience finds an audience by id (a 24-hex key is tried as an id
// first) or reference. In write transactions on PostgreSQL the row is
// locked, so membership changes of one audience run one at a time.
func (tx *Tx) findAudience(ctx context.Context, key string) (*lethe.Audience, error) {
	if !validKey(key) {
		return nil, errAudienceNotFound
	}
	lock := ""
	if tx.write {
		lock = tx.db.dialect.lockAudience
	}
	if id, ok := lethe.ParseID(key); ok {
		a, err := scanAudience(tx.QueryRowContext(ctx, `SELECT `+audienceColumns+audienceFrom+
			` WHERE a.tenant_id = $1 AND a.id = $2`+lock, string(tx.actor.TenantID), id))
		if err == nil {
			return a, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("find audience: %w", err)
		}
	}
	a, err := scanAudience(tx.QueryRowContext(ctx, `SELECT `+audienceColumns+audienceFrom+
		` WHERE a.tenant_id = $1 AND a.reference = $2`+lock, string(tx.actor.TenantID), key))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errAudienceNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("find audience: %w", err)
	}
	return a, nil
}

// parentField finds the parent named by parentId: it must be a structure.
func (tx *Tx) parentField(ctx context.Context, key string) (*lethe.Audience, error) {
	p, err := tx.findAudience(ctx, key)
	if lethe.ErrorCode(err) == lethe.ENotFound {
		return nil, lethe.FieldErrorf(lethe.EInvalid, "parentId", "not_found", "parentId names no audience")
	}
	if err != nil {
		return nil, err
	}
	if p.Category != lethe.CategoryStructure {
		return nil, lethe.FieldErrorf(lethe.EInvalid, "parentId", "not_structure", "parentId must name a structure")
	}
	return p, nil
}

// checkAudienceRef reports a conflict when another audience has the reference.
func (tx *Tx) checkAudienceRef(ctx context.Context, self, ref string) error {
	if ref == "" {
		return nil
	}
	var other string
	err := tx.QueryRowContext(ctx, `SELECT id FROM audiences WHERE tenant_id = $1 AND reference = $2`,
		string(tx.actor.TenantID), ref).Scan(&other)
	if err == nil && other != self {
		return lethe.FieldErrorf(lethe.EConflict, "reference", "taken", "An audience with this reference already exists.")
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("check reference: %w", err)
	}
	return nil
}

func trimmed(p *string) string {
	if p == nil {
		return ""
	}
	return strings.TrimSpace(*p)
}

// CreateAudience implements lethe.AudienceService.
func (s *AudienceService) CreateAudience(ctx context.Context, f lethe.AudienceFields) (a *lethe.Audience, err error) {
	err = s.db.writeTx(ctx, func(tx *Tx) error {
		a = &lethe.Audience{Name: trimmed(f.Name), Reference: trimmed(f.Reference), Type: lethe.AudienceTypeManual,
			APIControlled: true, CreatedAt: tx.now, UpdatedAt: tx.now}
		if err := lethe.ValidateAudience(&lethe.Audience{Name: a.Name, Reference: a.Reference,
			Category: lethe.CategoryStructure}); err != nil {
			return err
		}
		if ref := trimmed(f.ParentID); ref != "" {
			p, err := tx.parentField(ctx, ref)
			if err != nil {
				return err
			}
			a.Parent = &lethe.AudienceParent{ID: p.ID, Name: p.Name, Reference: p.Reference}
		}
		a.Category = lethe.CategoryStructure
		if a.Parent != nil {
			a.Category = lethe.CategoryAudience
		}
		if f.Category != nil && *f.Category != "" {
			a.Category = *f.Category
		}
		if err := lethe.ValidateAudience(a); err != nil {
			return err
		}
		if err := tx.checkAudienceRef(ctx, "", a.Reference); err != nil {
			return err
		}
		a.ID = lethe.NewID(tx.now)
		var parent any
		if a.Parent != nil {
			parent = a.Parent.ID
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO audiences (tenant_id, id, reference, name, category, type,
			api_controlled, parent_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
			ON CONFLICT DO NOTHING`, string(tx.actor.TenantID), a.ID, nullStr(a.Reference), a.Name, string(a.Category),
			a.Type, a.APIControlled, parent, ms(tx.now))
		if err != nil {
			return fmt.Errorf("insert audience: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return &racedError{err: lethe.FieldErrorf(lethe.EConflict, "reference", "taken",
				"An audience with this reference already exists.")}
		}
		return nil
	})
	return a, err
}

// FindAudienceByID implements lethe.AudienceService.
func (s *AudienceService) FindAudienceByID(ctx context.Context, key string) (a *lethe.Audience, err error) {
	err = s.db.readTx(ctx, func(tx *Tx) error {
		a, err = tx.findAudience(ctx, key)
		return err
	})
	return a, err
}

// FindAudiences implements lethe.AudienceService.
func (s *AudienceService) FindAudiences(ctx context.Context, f lethe.AudienceFilter) (out []*lethe.Audience, total int, err error) {
	err = s.db.readTx(ctx, func(tx *Tx) error {
		args := []any{string(tx.actor.TenantID)}
		where := ` WHERE a.tenant_id = $1`
		if f.APIControlled != nil {
			args = append(args, *f.APIControlled)
			where += ` AND a.api_controlled = $` + strconv.Itoa(len(args))
		}
		if f.UpdatedSince != nil {
			args = append(args, ms(*f.UpdatedSince))
			where += ` AND a.updated_at >= $` + strconv.Itoa(len(args))
		}
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM audiences a`+where, args...).Scan(&total); err != nil {
			return fmt.Errorf("count audiences: %w", err)
		}
		page := pageClause(&args, f.Limit, f.Offset)
		out, err = queryAll(ctx, tx, scanAudience, `SELECT `+audienceColumns+audienceFrom+where+` ORDER BY a.id`+page, args...)
		if err != nil {
			return fmt.Errorf("find audiences: %w", err)
		}
		return nil
	})
	return out, total, err
}

// maxDepth bounds the walk up the parents when checking a move for cycles.
const maxDepth = 1000

// UpdateAudience implements lethe.AudienceService. A change that changes
// nothing writes nothing.
func (s *AudienceService) UpdateAudience(ctx context.Context, key string, f lethe.AudienceFields) (a *lethe.Audience, err error) {
	err = s.db.writeTx(ctx, func(tx *Tx) error {
		if a, err = tx.findAudience(ctx, key); err != nil {
			return err
		}
		before := *a
		if f.Name != nil {
			a.Name = trimmed(f.Name)
		}
		if f.Reference != nil {
			a.Reference = trimmed(f.Reference)
		}
		if f.ParentID != nil {
			if ref := trimmed(f.ParentID); ref == "" {
				a.Parent = nil
			} else {
				p, err := tx.parentField(ctx, ref)
				if err != nil {
					return err
				}
				if err := tx.checkCycle(ctx, a.ID, p); err != nil {
					return err
				}
				a.Parent = &lethe.AudienceParent{ID: p.ID, Name: p.Name, Reference: p.Reference}
			}
		}
		if err := lethe.ValidateAudience(a); err != nil {
			return err
		}
		if a.Name == before.Name && a.Reference == before.Reference && parentID(a) == parentID(&before) {
			return nil
		}
		if err := tx.checkAudienceRef(ctx, a.ID, a.Reference); err != nil {
			return err
		}
		a.UpdatedAt = tx.now
		var parent any
		if a.Parent != nil {
			parent = a.Parent.ID
		}
		_, err := tx.ExecContext(ctx, `UPDATE audiences SET name = $3, reference = $4, parent_id = $5, updated_at = $6
			WHERE tenant_id = $1 AND id = $2`, string(tx.actor.TenantID), a.ID, a.Name, nullStr(a.Reference), parent, ms(tx.now))
		if tx.db.dialect.isUniqueViolation(err) {
			return &racedError{err: lethe.FieldErrorf(lethe.EConflict, "reference", "taken",
				"An audience with this reference already exists.")}
		}
		if err != nil {
			return fmt.Errorf("update audience: %w", err)
		}
		if a.Name != before.Name || a.Reference != before.Reference {
			// Children show their parent's name and reference.
			_, err = tx.ExecContext(ctx, `UPDATE audiences SET updated_at = $3 WHERE tenant_id = $1 AND parent_id = $2`,
				string(tx.actor.TenantID), a.ID, ms(tx.now))
		}
		return err
	})
	return a, err
}

func parentID(a *lethe.Audience) string {
	if a.Parent == nil {
		return ""
	}
	return a.Parent.ID
}

// checkCycle refuses to move audience id under parent when parent is id or
// one of its descendants.
func (tx *Tx) checkCycle(ctx context.Context, id string, parent *lethe.Audience) error {
	cur := parent.ID
	for range maxDepth {
		if cur == id {
			return lethe.FieldErrorf(lethe.EInvalid, "parentId", "cycle", "parentId must not be the audience or one of its descendants")
		}
		var next sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT parent_id FROM audiences WHERE tenant_id = $1 AND id = $2`,
			string(tx.actor.TenantID), cur).Scan(&next)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("walk parents: %w", err)
		}
		if !next.Valid {
			return nil
		}
		cur = next.String
	}
	return lethe.FieldErrorf(lethe.EInvalid, "parentId", "too_deep", "audiences may be nested at most %d deep", maxDepth)
}

// DeleteAudience implements lethe.AudienceService.
func (s *AudienceService) DeleteAudience(ctx context.Context, key string) error {
	return s.db.writeTx(ctx, func(tx *Tx) error {
		a, err := tx.findAudience(ctx, key)
		if err != nil {
			return err
		}
		return tx.deleteAudience(ctx, a)
	})
}

// deleteAudience deletes a, its memberships and manager roles, and
// archives its assignments; its members' records stay.
func (tx *Tx) deleteAudience(ctx context.Context, a *lethe.Audience) error {
	tenant := string(tx.actor.TenantID)
	var children int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM audiences WHERE tenant_id = $1 AND parent_id = $2`,
		tenant, a.ID).Scan(&children); err != nil {
		return fmt.Errorf("count children: %w", err)
	}
	if children > 0 {
		return lethe.Errorf(lethe.EConflict, "The audience has child audiences; delete or move them first.")
	}
	live, err := queryAll(ctx, tx, scanAssignment, `SELECT `+assignmentColumns+` FROM assignments
		WHERE tenant_id = $1 AND audience_id = $2 AND deleted_at IS NULL`, tenant, a.ID)
	if err != nil {
		return fmt.Errorf("find assignments: %w", err)
	}
	for _, as := range live {
		if err := tx.archiveAssignment(ctx, as); err != nil {
			return err
		}
	}
	for _, q := range []string{
		`DELETE FROM audience_members WHERE tenant_id = $1 AND audience_id = $2`,
		`DELETE FROM audience_managers WHERE tenant_id = $1 AND audience_id = $2`,
		`DELETE FROM scim_groups WHERE tenant_id = $1 AND audience_id = $2`,
		`DELETE FROM audiences WHERE tenant_id = $1 AND id = $2`,
	} {
		if _, err := tx.ExecContext(ctx, q, tenant, a.ID); err != nil {
			return fmt.Errorf("delete audience: %w", err)
		}
	}
	return nil
}

// resolvedUser is a user named in a member or manager list.
type resolvedUser struct {
	id    lethe.LearnerID
	state lethe.State
}

// resolveUsers finds the users that keys name, each by id (when it is 24
// hex characters), ref or email, tried in that order. Two queries whatever
// the number of keys.
func (tx *Tx) resolveUsers(ctx context.Context, keys []string) (map[string]resolvedUser, error) {
	tenant := string(tx.actor.TenantID)
	byID, byRef, byEmail := map[string]resolvedUser{}, map[string]resolvedUser{}, map[string]resolvedUser{}
	var ids, texts []any
	for _, k := range keys {
		if !validKey(k) {
			continue
		}
		if id, ok := lethe.ParseID(k); ok {
			ids = append(ids, id)
		}
		texts = append(texts, k, lethe.NormalizeEmail(k))
	}
	if len(ids) > 0 {
		rows, err := tx.QueryContext(ctx, `SELECT id, state FROM learners WHERE tenant_id = $1 AND id IN (`+
			marks(2, len(ids))+`)`, append([]any{tenant}, ids...)...)
		if err != nil {
			return nil, fmt.Errorf("resolve ids: %w", err)
		}
		for rows.Next() {
			var u resolvedUser
			if err := rows.Scan(&u.id, &u.state); err != nil {
				rows.Close()
				return nil, err
			}
			byID[string(u.id)] = u
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	if len(texts) > 0 {
		in := marks(2, len(texts))
		rows, err := tx.QueryContext(ctx, `SELECT p.learner_id, p.ref, p.email_norm, l.state FROM people p
			JOIN learners l ON l.tenant_id = p.tenant_id AND l.id = p.learner_id
			WHERE p.tenant_id = $1 AND (p.ref IN (`+in+`) OR p.email_norm IN (`+in+`))`, append([]any{tenant}, texts...)...)
		if err != nil {
			return nil, fmt.Errorf("resolve refs and emails: %w", err)
		}
		for rows.Next() {
			var u resolvedUser
			var ref string
			var email sql.NullString
			if err := rows.Scan(&u.id, &ref, &email, &u.state); err != nil {
				rows.Close()
				return nil, err
			}
			byRef[ref] = u
			if email.Valid {
				byEmail[email.String] = u
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	out := map[string]resolvedUser{}
	for _, k := range keys {
		if id, ok := lethe.ParseID(k); ok {
			if u, ok := byID[id]; ok {
				out[k] = u
				continue
			}
		}
		if u, ok := byRef[k]; ok {
			out[k] = u
		} else if u, ok := byEmail[lethe.NormalizeEmail(k)]; ok && validKey(k) {
			out[k] = u
		}
	}
	return out, nil
}

// marks returns "$from, $from+1, …" for n parameters.
func marks(from, n int) string {
	m := make([]string, n)
	for i := range m {
		m[i] = "$" + strconv.Itoa(from+i)
	}
	return strings.Join(m, ", ")
}

// pickUsers resolves keys and sorts them into the learners to add (in
// order, each once) and the failures, with the vendor's reasons.
func (tx *Tx) pickUsers(ctx context.Context, keys []string) ([]lethe.LearnerID, *lethe.MembersResult, map[string]resolvedUser, error) {
	found, err := tx.resolveUsers(ctx, keys)
	if err != nil {
		return nil, nil, nil, err
	}
	res := &lethe.MembersResult{Added: []string{}}
	var ids []lethe.LearnerID
	seenKey, seenID := map[string]bool{}, map[lethe.LearnerID]bool{}
	for _, k := range keys {
		u, ok := found[k]
		reason := ""
		switch {
		case seenKey[k]:
			reason = lethe.FailDuplicate
		case !ok:
			reason = lethe.FailUnknownUser
		case u.state == lethe.StateDeleted:
			reason = lethe.FailDeleted
		case u.state == lethe.StateSuspended:
			reason = lethe.FailSuspended
		case seenID[u.id]:
			reason = lethe.FailDuplicate
		}
		seenKey[k] = true
		if reason != "" {
			res.Failed = append(res.Failed, lethe.MemberFailure{Reference: k, Reason: reason})
			continue
		}
		seenID[u.id] = true
		ids = append(ids, u.id)
		res.Added = append(res.Added, k)
	}
	return ids, res, found, nil
}

func checkKeys(n int, field string) error {
	if n == 0 || n > lethe.MaxMembersPerRequest {
		return lethe.FieldErrorf(lethe.EInvalid, field, "count", "%s must list between 1 and %d users", field, lethe.MaxMembersPerRequest)
	}
	return nil
}

// setMembers adds learners to the audience (and, with replace, removes
// every other member), and enrols the new ones.
func (tx *Tx) setMembers(ctx context.Context, a *lethe.Audience, ids []lethe.LearnerID, replace bool) error {
	tenant := string(tx.actor.TenantID)
	args := []any{tenant, a.ID}
	for _, id := range ids {
		args = append(args, string(id))
	}
	if replace {
		cond := "e.audience_id = $3"
		del := `DELETE FROM audience_members WHERE tenant_id = $1 AND audience_id = $2`
		if len(ids) > 0 {
			cond += " AND e.learner_id NOT IN (" + marks(4, len(ids)) + ")"
			del += ` AND learner_id NOT IN (` + marks(3, len(ids)) + `)`
		}
		if _, err := tx.markEnrolments(ctx, lethe.EventUnassigned, cond, args[1:]...); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, del, args...); err != nil {
			return fmt.Errorf("remove members: %w", err)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT learner_id FROM audience_members WHERE tenant_id = $1 AND audience_id = $2
		AND learner_id IN (`+marks(3, len(ids))+`)`, args...)
	if err != nil {
		return fmt.Errorf("find members: %w", err)
	}
	member := map[lethe.LearnerID]bool{}
	for rows.Next() {
		var id lethe.LearnerID
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		member[id] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var fresh []lethe.LearnerID
	ins := []any{tenant, a.ID, ms(tx.now)}
	var values []string
	for _, id := range ids {
		if !member[id] {
			fresh = append(fresh, id)
			ins = append(ins, string(id))
			values = append(values, "($1, $2, $"+strconv.Itoa(len(ins))+", $3)")
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO audience_members (tenant_id, audience_id, learner_id, added_at)
		VALUES `+strings.Join(values, ", ")+` ON CONFLICT DO NOTHING`, ins...); err != nil {
		return fmt.Errorf("add members: %w", err)
	}
	return tx.enrolMembers(ctx, a.ID, fresh)
}

func (s *AudienceService) changeMembers(ctx context.Context, key string, keys []string, replace bool) (res *lethe.MembersResult, err error) {
	if err := checkKeys(len(keys), "members"); err != nil {
		return nil, err
	}
	err = s.db.writeTx(ctx, func(tx *Tx) error {
		a, err := tx.findAudience(ctx, key)
		if err != nil {
			return err
		}
		var ids []lethe.LearnerID
		if ids, res, _, err = tx.pickUsers(ctx, keys); err != nil {
			return err
		}
		return tx.setMembers(ctx, a, ids, replace)
	})
	return res, err
}

// AddMembers implements lethe.AudienceService.
func (s *AudienceService) AddMembers(ctx context.Context, key string, keys []string) (*lethe.MembersResult, error) {
	return s.changeMembers(ctx, key, keys, false)
}

// ReplaceMembers implements lethe.AudienceService. The members become
// exactly the users that could be added; the others' enrolments are
// unassigned.
func (s *AudienceService) ReplaceMembers(ctx context.Context, key string, keys []string) (*lethe.MembersResult, error) {
	return s.changeMembers(ctx, key, keys, true)
}

// findOne resolves one user named by email, ref or id.
func (tx *Tx) findOne(ctx context.Context, key string) (lethe.LearnerID, bool, error) {
	found, err := tx.resolveUsers(ctx, []string{key})
	if err != nil {
		return "", false, err
	}
	u, ok := found[key]
	return u.id, ok, nil
}

// RemoveMember implements lethe.AudienceService. The learner's enrolments
// in the audience's assignments become unassigned.
func (s *AudienceService) RemoveMember(ctx context.Context, key, user string) error {
	return s.db.writeTx(ctx, func(tx *Tx) error {
		a, id, err := tx.removeFrom(ctx, key, user, "The user is not a member of the audience.",
			`DELETE FROM audience_members WHERE tenant_id = $1 AND audience_id = $2 AND learner_id = $3`)
		if err != nil {
			return err
		}
		_, err = tx.markEnrolments(ctx, lethe.EventUnassigned, "e.audience_id = $3 AND e.learner_id = $4", a.ID, string(id))
		return err
	})
}

// removeFrom runs del, which deletes the row of one learner ($3) of one
// audience ($2), for the user named by user (an email, ref or id) and the
// audience named by key. ENotFound with notFound when there is no such row.
func (tx *Tx) removeFrom(ctx context.Context, key, user, notFound, del string) (*lethe.Audience, lethe.LearnerID, error) {
	a, err := tx.findAudience(ctx, key)
	if err != nil {
		return nil, "", err
	}
	id, ok, err := tx.findOne(ctx, user)
	if err != nil {
		return nil, "", err
	}
	if !ok {
		return nil, "", lethe.Errorf(lethe.ENotFound, "%s", notFound)
	}
	res, err := tx.ExecContext(ctx, del, string(tx.actor.TenantID), a.ID, string(id))
	if err != nil {
		return nil, "", fmt.Errorf("remove: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, "", lethe.Errorf(lethe.ENotFound, "%s", notFound)
	}
	return a, id, nil
}

// FindMembers implements lethe.AudienceService.
func (s *AudienceService) FindMembers(ctx context.Context, f lethe.MemberFilter) (out []*lethe.Member, total int, err error) {
	err = s.db.readTx(ctx, func(tx *Tx) error {
		a, err := tx.findAudience(ctx, f.Audience)
		if err != nil {
			return err
		}
		tenant := string(tx.actor.TenantID)
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM audience_members WHERE tenant_id = $1 AND audience_id = $2`,
			tenant, a.ID).Scan(&total); err != nil {
			return fmt.Errorf("count members: %w", err)
		}
		rows, err := tx.QueryContext(ctx, `SELECT m.learner_id, p.ref, p.email FROM audience_members m
			LEFT JOIN people p ON p.tenant_id = m.tenant_id AND p.learner_id = m.learner_id
			WHERE m.tenant_id = $1 AND m.audience_id = $2 ORDER BY m.learner_id LIMIT $3 OFFSET $4`,
			tenant, a.ID, f.Limit, f.Offset)
		if err != nil {
			return fmt.Errorf("find members: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var m lethe.Member
			var ref, email sql.NullString
			if err := rows.Scan(&m.UserID, &ref, &email); err != nil {
				return err
			}
			m.Reference, m.Email = ref.String, email.String
			out = append(out, &m)
		}
		return rows.Err()
	})
	return out, total, err
}

// checkGrants validates manager permissions against the audience.
func checkGrants(a *lethe.Audience, grants []lethe.ManagerGrant) error {
	for _, g := range grants {
		if g.Permissions.Administrator != nil && a.Category != lethe.CategoryStructure {
			return lethe.FieldErrorf(lethe.EInvalid, "permissions.administrator", "not_structure",
				"administrator permissions are allowed on structures only")
		}
	}
	return nil
}

func (s *AudienceService) changeManagers(ctx context.Context, key string, grants []lethe.ManagerGrant, replace bool) (res *lethe.MembersResult, err error) {
	if err := checkKeys(len(grants), "managers"); err != nil {
		return nil, err
	}
	err = s.db.writeTx(ctx, func(tx *Tx) error {
		a, err := tx.findAudience(ctx, key)
		if err != nil {
			return err
		}
		if err := checkGrants(a, grants); err != nil {
			return err
		}
		keys := make([]string, len(grants))
		for i, g := range grants {
			keys[i] = g.Reference
		}
		ids, r, found, err := tx.pickUsers(ctx, keys)
		if err != nil {
			return err
		}
		res = r
		tenant := string(tx.actor.TenantID)
		if replace {
			args := []any{tenant, a.ID}
			q := `DELETE FROM audience_managers WHERE tenant_id = $1 AND audience_id = $2`
			if len(ids) > 0 {
				for _, id := range ids {
					args = append(args, string(id))
				}
				q += ` AND learner_id NOT IN (` + marks(3, len(ids)) + `)`
			}
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return fmt.Errorf("remove managers: %w", err)
			}
		}
		perms := map[lethe.LearnerID]lethe.ManagerPermissions{}
		for _, g := range grants {
			if u, ok := found[g.Reference]; ok {
				if _, seen := perms[u.id]; !seen {
					perms[u.id] = g.Permissions
				}
			}
		}
		for _, id := range ids {
			p, _ := json.Marshal(perms[id])
			_, err := tx.ExecContext(ctx, `INSERT INTO audience_managers (tenant_id, audience_id, learner_id, permissions, added_at)
				VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, audience_id, learner_id) DO UPDATE SET permissions = excluded.permissions`,
				tenant, a.ID, string(id), string(p), ms(tx.now))
			if err != nil {
				return fmt.Errorf("add manager: %w", err)
			}
		}
		return nil
	})
	return res, err
}

// AddManagers implements lethe.AudienceService; an existing manager gets
// the new permissions.
func (s *AudienceService) AddManagers(ctx context.Context, key string, grants []lethe.ManagerGrant) (*lethe.MembersResult, error) {
	return s.changeManagers(ctx, key, grants, false)
}

// ReplaceManagers implements lethe.AudienceService.
func (s *AudienceService) ReplaceManagers(ctx context.Context, key string, grants []lethe.ManagerGrant) (*lethe.MembersResult, error) {
	return s.changeManagers(ctx, key, grants, true)
}

// RemoveManager implements lethe.AudienceService.
func (s *AudienceService) RemoveManager(ctx context.Context, key, user string) error {
	return s.db.writeTx(ctx, func(tx *Tx) error {
		_, _, err := tx.removeFrom(ctx, key, user, "The user is not a manager of the audience.",
			`DELETE FROM audience_managers WHERE tenant_id = $1 AND audience_id = $2 AND learner_id = $3`)
		return err
	})
}

// FindManagers implements lethe.AudienceService.
func (s *AudienceService) FindManagers(ctx context.Context, key string) (out []*lethe.AudienceManager, err error) {
	err = s.db.readTx(ctx, func(tx *Tx) error {
		a, err := tx.findAudience(ctx, key)
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT m.learner_id, p.ref, p.email, m.permissions FROM audience_managers m
			LEFT JOIN people p ON p.tenant_id = m.tenant_id AND p.learner_id = m.learner_id
			WHERE m.tenant_id = $1 AND m.audience_id = $2 ORDER BY m.learner_id`, string(tx.actor.TenantID), a.ID)
		if err != nil {
			return fmt.Errorf("find managers: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var m lethe.AudienceManager
			var ref, email sql.NullString
			var perms string
			if err := rows.Scan(&m.UserID, &ref, &email, &perms); err != nil {
				return err
			}
			m.Reference, m.Email = ref.String, email.String
			if err := json.Unmarshal([]byte(perms), &m.Permissions); err != nil {
				return fmt.Errorf("manager permissions: %w", err)
			}
			out = append(out, &m)
		}
		return rows.Err()
	})
	return out, err
}
