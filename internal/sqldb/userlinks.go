package sqldb

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/lethehq/lethe"
)

// linksPerStatement is the most users one links statement names: a page
// (at most 1000 users) is one statement, well within the parameter limits
// of both databases.
const linksPerStatement = 1000

// FindUserLinks implements lethe.UserService: one statement per page, on
// the read pool, whatever the number of users.
func (s *UserService) FindUserLinks(ctx context.Context, ids []lethe.LearnerID) (map[lethe.LearnerID]*lethe.UserLinks, error) {
	actor, err := lethe.ActorFrom(ctx)
	if err != nil {
		return nil, err
	}
	out, err := findUserLinks(ctx, s.db.read, s.db.dialect.memberLearners, actor.TenantID, ids)
	if err != nil {
		return nil, s.db.classify(fmt.Errorf("find user links: %w", err))
	}
	return out, nil
}

// userLinksQuery reads memberships (kind a), interests (i) and skills (s)
// of the n learners named by the parameters $2 on, in one statement that
// names each parameter once (a VALUES list; one learner is compared
// directly, a third of the cost of a get by id); hint follows
// audience_members (dialect.memberLearners). Each table binds the tenant
// itself, so the tenant lint sees every branch. The rows come in no order:
// sorting 1,000 users' links in SQL cost SQLite more than reading them.
func userLinksQuery(n int, hint string) string {
	with, match := "", "= $2"
	if n > 1 {
		values := make([]string, n)
		for i := range values {
			values[i] = "($" + strconv.Itoa(i+2) + ")"
		}
		with, match = "WITH page(id) AS (VALUES "+strings.Join(values, ", ")+") ", "IN (SELECT id FROM page)"
	}
	return with + `SELECT m.learner_id, 'a', m.audience_id, m.audience_id, m.audience_id,
			CAST(NULL AS INTEGER), CAST(NULL AS INTEGER)
		FROM audience_members m` + hint + ` WHERE m.tenant_id = $1 AND m.learner_id ` + match + `
		UNION ALL
		SELECT lt.learner_id, 'i', ti.id, ti.name, ti.name_key, CAST(NULL AS INTEGER), CAST(NULL AS INTEGER)
		FROM learner_tags lt JOIN tags ti ON ti.tenant_id = $1 AND ti.id = lt.tag_id
		WHERE lt.tenant_id = $1 AND lt.learner_id ` + match + `
		UNION ALL
		SELECT ls.learner_id, 's', ts.id, ts.name, ts.name_key, ls.level, ls.target_level
		FROM learner_skills ls JOIN tags ts ON ts.tenant_id = $1 AND ts.id = ls.tag_id
		WHERE ls.tenant_id = $1 AND ls.learner_id ` + match
}

// linkRow is one row of userLinksQuery; key orders the links of a kind.
type linkRow struct {
	learner             lethe.LearnerID
	kind, id, name, key string
	level, target       *int64
}

// findUserLinks runs userLinksQuery on db for ids, linksPerStatement at a
// time, and orders each user's links: audiences by id, tags by name
// ignoring case.
func findUserLinks(ctx context.Context, db querier, hint string, tenant lethe.TenantID, ids []lethe.LearnerID) (map[lethe.LearnerID]*lethe.UserLinks, error) {
	seen := map[lethe.LearnerID]bool{}
	var rows []linkRow
	var batch []any
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		args := append([]any{string(tenant)}, batch...)
		got, err := queryAll(ctx, db, scanLinkRow, userLinksQuery(len(batch), hint), args...)
		if err != nil && hint != "" && strings.Contains(err.Error(), "no such index") {
			// A load deferring the learners' indexes (lethe seed) has
			// dropped the one hint names until it ends: plan without it.
			hint = ""
			got, err = queryAll(ctx, db, scanLinkRow, userLinksQuery(len(batch), hint), args...)
		}
		rows, batch = append(rows, got...), batch[:0]
		return err
	}
	for _, id := range ids {
		if seen[id] || !validText(string(id)) {
			continue
		}
		seen[id] = true
		if batch = append(batch, string(id)); len(batch) == linksPerStatement {
			if err := flush(); err != nil {
				return nil, err
			}
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	slices.SortFunc(rows, func(a, b linkRow) int {
		return cmp.Or(cmp.Compare(a.learner, b.learner), cmp.Compare(a.kind, b.kind), cmp.Compare(a.key, b.key), cmp.Compare(a.id, b.id))
	})
	out := map[lethe.LearnerID]*lethe.UserLinks{}
	for _, r := range rows {
		l := out[r.learner]
		if l == nil {
			l = &lethe.UserLinks{}
			out[r.learner] = l
		}
		switch r.kind {
		case "a":
			l.Audiences = append(l.Audiences, r.id)
		case "i":
			l.Interests = append(l.Interests, r.name)
		case "s":
			l.Skills = append(l.Skills, lethe.UserSkill{TagID: r.id, TagName: r.name, Level: fromNullInt(r.level), TargetLevel: fromNullInt(r.target)})
		}
	}
	return out, nil
}

func scanLinkRow(row rowScanner) (linkRow, error) {
	var r linkRow
	err := row.Scan(&r.learner, &r.kind, &r.id, &r.name, &r.key, &r.level, &r.target)
	return r, err
}

// fromNullInt reads a nullable integer column.
func fromNullInt(v *int64) *int {
	if v == nil {
		return nil
	}
	n := int(*v)
	return &n
}
