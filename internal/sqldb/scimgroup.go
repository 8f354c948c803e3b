package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/lethehq/lethe"
)

// SCIM groups are audiences created through SCIM (marked in scim_groups):
// API-controlled structures with no parent, whose reference is the
// group's externalId. Their members are audience members, written as the
// vendor API's member writes write them (setMembers and the removal of
// RemoveMember), so they drive enrolments alike.

var errGroupNotFound = lethe.Errorf(lethe.ENotFound, "Group not found.")

const scimGroupFrom = audienceFrom + ` JOIN scim_groups g ON g.tenant_id = a.tenant_id AND g.audience_id = a.id`

// findSCIMGroup reads a SCIM group, locked in a write transaction.
func (tx *Tx) findSCIMGroup(ctx context.Context, id string) (*lethe.Audience, error) {
	if !validKey(id) {
		return nil, errGroupNotFound
	}
	lock := ""
	if tx.write {
		lock = tx.db.dialect.lockAudience
	}
	a, err := scanAudience(tx.QueryRowContext(ctx, `SELECT `+audienceColumns+scimGroupFrom+
		` WHERE a.tenant_id = $1 AND a.id = $2`+lock, string(tx.actor.TenantID), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errGroupNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("find group: %w", err)
	}
	return a, nil
}

// groupMembers returns the members of each audience, ordered by id; users
// SCIM does not see (an erasure scheduled) are left out.
func (tx *Tx) groupMembers(ctx context.Context, ids []string) (map[string][]lethe.LearnerID, error) {
	out := make(map[string][]lethe.LearnerID, len(ids))
	for _, id := range ids {
		out[id] = []lethe.LearnerID{}
	}
	if len(ids) == 0 {
		return out, nil
	}
	args := []any{string(tx.actor.TenantID)}
	for _, id := range ids {
		args = append(args, id)
	}
	rows, err := tx.QueryContext(ctx, `SELECT m.audience_id, m.learner_id FROM audience_members m
		WHERE m.tenant_id = $1 AND m.audience_id IN (`+marks(2, len(ids))+`)
		AND NOT EXISTS (SELECT 1 FROM pending_erasures e WHERE e.tenant_id = $1 AND e.learner_id = m.learner_id)
		ORDER BY m.audience_id, m.learner_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("find group members: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a string
		var l lethe.LearnerID
		if err := rows.Scan(&a, &l); err != nil {
			return nil, err
		}
		out[a] = append(out[a], l)
	}
	return out, rows.Err()
}

// scimMembers checks a member list: every id must name a user of the
// tenant (EInvalid naming "members" otherwise). It returns the ids that
// can be members, in order, each once: not the erased, who name no one.
// A suspended user can (ADR 0029): a pre-hire provisioned inactive is put
// in their groups before they start, and a suspended member named in a
// replace must stay, as a suspension keeps every membership.
func (tx *Tx) scimMembers(ctx context.Context, ids []lethe.LearnerID) ([]lethe.LearnerID, error) {
	state := map[lethe.LearnerID]lethe.State{}
	for rest := ids; len(rest) > 0; {
		n := min(len(rest), 500)
		args := []any{string(tx.actor.TenantID)}
		for _, id := range rest[:n] {
			if !validText(string(id)) {
				return nil, errUnknownMember
			}
			args = append(args, string(id))
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, state FROM learners WHERE tenant_id = $1 AND id IN (`+marks(2, n)+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("find members: %w", err)
		}
		for rows.Next() {
			var id lethe.LearnerID
			var s lethe.State
			if err := rows.Scan(&id, &s); err != nil {
				rows.Close()
				return nil, err
			}
			state[id] = s
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		rest = rest[n:]
	}
	var out []lethe.LearnerID
	seen := map[lethe.LearnerID]bool{}
	for _, id := range ids {
		s, ok := state[id]
		if !ok {
			return nil, errUnknownMember
		}
		if s != lethe.StateDeleted && !seen[id] {
			out = append(out, id)
		}
		seen[id] = true
	}
	return out, nil
}

var errUnknownMember = lethe.FieldErrorf(lethe.EInvalid, "members", "unknown", "members names an id of no user.")

// addMembers adds learners to a, and enrols them, as the vendor's member
// writes do, MaxMembersPerRequest at a time.
func (tx *Tx) addMembers(ctx context.Context, a *lethe.Audience, ids []lethe.LearnerID) error {
	for len(ids) > 0 {
		n := min(len(ids), lethe.MaxMembersPerRequest)
		if err := tx.setMembers(ctx, a, ids[:n], false); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

// removeMembers removes learners from a; their enrolments in its
// assignments become unassigned, as RemoveMember makes them.
func (tx *Tx) removeMembers(ctx context.Context, a *lethe.Audience, ids []lethe.LearnerID) error {
	for len(ids) > 0 {
		n := min(len(ids), lethe.MaxMembersPerRequest)
		args := []any{a.ID}
		for _, id := range ids[:n] {
			args = append(args, string(id))
		}
		if _, err := tx.markEnrolments(ctx, lethe.EventUnassigned, "e.audience_id = $3 AND e.learner_id IN ("+marks(4, n)+")",
			args...); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM audience_members WHERE tenant_id = $1 AND audience_id = $2
			AND learner_id IN (`+marks(3, n)+`)`, append([]any{string(tx.actor.TenantID)}, args...)...); err != nil {
			return fmt.Errorf("remove members: %w", err)
		}
		ids = ids[n:]
	}
	return nil
}

// CreateSCIMGroup implements lethe.SCIMService.
func (s *SCIMService) CreateSCIMGroup(ctx context.Context, name, externalID string, members []lethe.LearnerID) (g *lethe.SCIMGroup, err error) {
	err = s.db.writeTx(ctx, func(tx *Tx) error {
		a := &lethe.Audience{ID: lethe.NewID(tx.now), Name: strings.TrimSpace(name), Reference: strings.TrimSpace(externalID),
			Category: lethe.CategoryStructure, Type: lethe.AudienceTypeManual, APIControlled: true, CreatedAt: tx.now, UpdatedAt: tx.now}
		if err := lethe.ValidateAudience(a); err != nil {
			return err
		}
		if err := tx.checkAudienceRef(ctx, "", a.Reference); err != nil {
			return err
		}
		ids, err := tx.scimMembers(ctx, members)
		if err != nil {
			return err
		}
		tenant := string(tx.actor.TenantID)
		res, err := tx.ExecContext(ctx, `INSERT INTO audiences (tenant_id, id, reference, name, category, type,
			api_controlled, parent_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8, $8)
			ON CONFLICT DO NOTHING`, tenant, a.ID, nullStr(a.Reference), a.Name, string(a.Category), a.Type, true, ms(tx.now))
		if err != nil {
			return fmt.Errorf("insert audience: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return &racedError{err: lethe.FieldErrorf(lethe.EConflict, "reference", "taken",
				"An audience with this reference already exists.")}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO scim_groups (tenant_id, audience_id) VALUES ($1, $2)`, tenant, a.ID); err != nil {
			return fmt.Errorf("insert group: %w", err)
		}
		if err := tx.addMembers(ctx, a, ids); err != nil {
			return err
		}
		slices.Sort(ids)
		g = &lethe.SCIMGroup{Audience: a, Members: ids}
		if g.Members == nil {
			g.Members = []lethe.LearnerID{}
		}
		return nil
	})
	return g, err
}

// FindSCIMGroup implements lethe.SCIMService.
func (s *SCIMService) FindSCIMGroup(ctx context.Context, id string, members bool) (g *lethe.SCIMGroup, err error) {
	err = s.db.readTx(ctx, func(tx *Tx) error {
		a, err := tx.findSCIMGroup(ctx, id)
		if err != nil {
			return err
		}
		g = &lethe.SCIMGroup{Audience: a}
		if members {
			m, err := tx.groupMembers(ctx, []string{a.ID})
			if err != nil {
				return err
			}
			g.Members = m[a.ID]
		}
		return nil
	})
	return g, err
}

// FindSCIMGroups implements lethe.SCIMService: a statement for the total,
// one for the page and one for the members of the page.
func (s *SCIMService) FindSCIMGroups(ctx context.Context, q lethe.SCIMQuery) (out []*lethe.SCIMGroup, total int, err error) {
	err = s.db.readTx(ctx, func(tx *Tx) error {
		args := []any{string(tx.actor.TenantID)}
		w := scimWhere{attrs: scimGroupAttrs, args: &args}
		where := ` WHERE a.tenant_id = $1`
		if q.Filter != nil {
			c, err := w.cond(q.Filter, 0)
			if err != nil {
				return err
			}
			where += " AND " + c
		}
		order, err := w.order(q.SortBy, q.Descending, false, "a.id")
		if err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*)`+scimGroupFrom+where, args...).Scan(&total); err != nil {
			return fmt.Errorf("count groups: %w", err)
		}
		offset := max(q.Offset, 0)
		if q.Limit <= 0 || offset >= total {
			return nil
		}
		page := pageClause(&args, q.Limit, offset)
		audiences, err := queryAll(ctx, tx, scanAudience, `SELECT `+audienceColumns+scimGroupFrom+where+order+page, args...)
		if err != nil {
			return fmt.Errorf("find groups: %w", err)
		}
		ids := make([]string, len(audiences))
		for i, a := range audiences {
			ids[i] = a.ID
			out = append(out, &lethe.SCIMGroup{Audience: a})
		}
		if !q.Members {
			return nil
		}
		m, err := tx.groupMembers(ctx, ids)
		for _, g := range out {
			g.Members = m[g.ID]
		}
		return err
	})
	if out == nil && err == nil {
		out = []*lethe.SCIMGroup{}
	}
	return out, total, err
}

// EditSCIMGroup implements lethe.SCIMService.
func (s *SCIMService) EditSCIMGroup(ctx context.Context, id string, edit func(*lethe.SCIMGroup) (*lethe.SCIMGroupEdit, error)) (g *lethe.SCIMGroup, err error) {
	err = s.db.writeTx(ctx, func(tx *Tx) error {
		a, err := tx.findSCIMGroup(ctx, id)
		if err != nil {
			return err
		}
		m, err := tx.groupMembers(ctx, []string{a.ID})
		if err != nil {
			return err
		}
		g = &lethe.SCIMGroup{Audience: a, Members: m[a.ID]}
		copied := *a
		e, err := edit(&lethe.SCIMGroup{Audience: &copied, Members: slices.Clone(g.Members)})
		if err != nil || e == nil {
			return err
		}
		return tx.applySCIMGroupEdit(ctx, g, e)
	})
	return g, err
}

// applySCIMGroupEdit applies e to g: its name and reference, and its
// members as a difference with the current ones.
func (tx *Tx) applySCIMGroupEdit(ctx context.Context, g *lethe.SCIMGroup, e *lethe.SCIMGroupEdit) error {
	before := *g.Audience
	if e.Name != nil {
		g.Name = strings.TrimSpace(*e.Name)
	}
	if e.ExternalID != nil {
		g.Reference = strings.TrimSpace(*e.ExternalID)
	}
	if err := lethe.ValidateAudience(g.Audience); err != nil {
		return err
	}
	changed := g.Name != before.Name || g.Reference != before.Reference
	if g.Reference != before.Reference {
		if err := tx.checkAudienceRef(ctx, g.ID, g.Reference); err != nil {
			return err
		}
	}
	if e.Members != nil {
		moved, err := tx.diffMembers(ctx, g, *e.Members)
		if err != nil {
			return err
		}
		changed = changed || moved
	}
	if !changed {
		return nil
	}
	g.UpdatedAt = tx.now
	_, err := tx.ExecContext(ctx, `UPDATE audiences SET name = $3, reference = $4, updated_at = $5 WHERE tenant_id = $1 AND id = $2`,
		string(tx.actor.TenantID), g.ID, g.Name, nullStr(g.Reference), ms(tx.now))
	if tx.db.dialect.isUniqueViolation(err) {
		return &racedError{err: lethe.FieldErrorf(lethe.EConflict, "reference", "taken", "An audience with this reference already exists.")}
	}
	if err != nil {
		return fmt.Errorf("update group: %w", err)
	}
	return nil
}

// diffMembers makes want the members of g: the members it leaves out are
// removed, the users it adds that can be added are added. It reports
// whether the members changed.
func (tx *Tx) diffMembers(ctx context.Context, g *lethe.SCIMGroup, want []lethe.LearnerID) (bool, error) {
	addable, err := tx.scimMembers(ctx, want)
	if err != nil {
		return false, err
	}
	current := map[lethe.LearnerID]bool{}
	for _, id := range g.Members {
		current[id] = true
	}
	wanted := map[lethe.LearnerID]bool{}
	for _, id := range want {
		wanted[id] = true
	}
	var gone, fresh []lethe.LearnerID
	for _, id := range g.Members {
		if !wanted[id] {
			gone = append(gone, id)
		}
	}
	for _, id := range addable {
		if !current[id] {
			fresh = append(fresh, id)
		}
	}
	if err := tx.removeMembers(ctx, g.Audience, gone); err != nil {
		return false, err
	}
	if err := tx.addMembers(ctx, g.Audience, fresh); err != nil {
		return false, err
	}
	members := slices.DeleteFunc(slices.Clone(g.Members), func(id lethe.LearnerID) bool { return !wanted[id] })
	g.Members = append(members, fresh...)
	slices.Sort(g.Members)
	return len(gone)+len(fresh) > 0, nil
}

// DeleteSCIMGroup implements lethe.SCIMService.
func (s *SCIMService) DeleteSCIMGroup(ctx context.Context, id string) error {
	return s.db.writeTx(ctx, func(tx *Tx) error {
		a, err := tx.findSCIMGroup(ctx, id)
		if err != nil {
			return err
		}
		return tx.deleteAudience(ctx, a)
	})
}
