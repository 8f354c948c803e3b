package sqldb

import (
	"context"
	"fmt"
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
	out, err := findUserLinks(ctx, s.db.read, actor.TenantID, ids)
	if err != nil {
		return nil, s.db.classify(fmt.Errorf("find user links: %w", err))
	}
	return out, nil
}

// userLinksQuery reads memberships (kind a), interests (i) and skills (s)
// of the learners named by the parameters $2 on (in), in one statement.
// Tags are ordered by their lower-cased name, audiences by id. Each table
// binds the tenant itself, so the tenant lint sees every branch.
func userLinksQuery(in string) string {
	return `SELECT m.learner_id, 'a', m.audience_id, m.audience_id, m.audience_id,
			CAST(NULL AS INTEGER), CAST(NULL AS INTEGER)
		FROM audience_members m WHERE m.tenant_id = $1 AND m.learner_id IN (` + in + `)
		UNION ALL
		SELECT lt.learner_id, 'i', ti.id, ti.name, ti.name_key, CAST(NULL AS INTEGER), CAST(NULL AS INTEGER)
		FROM learner_tags lt JOIN tags ti ON ti.tenant_id = $1 AND ti.id = lt.tag_id
		WHERE lt.tenant_id = $1 AND lt.learner_id IN (` + in + `)
		UNION ALL
		SELECT ls.learner_id, 's', ts.id, ts.name, ts.name_key, ls.level, ls.target_level
		FROM learner_skills ls JOIN tags ts ON ts.tenant_id = $1 AND ts.id = ls.tag_id
		WHERE ls.tenant_id = $1 AND ls.learner_id IN (` + in + `)
		ORDER BY 1, 2, 5`
}

// findUserLinks runs userLinksQuery on db for ids, linksPerStatement at a
// time.
func findUserLinks(ctx context.Context, db querier, tenant lethe.TenantID, ids []lethe.LearnerID) (map[lethe.LearnerID]*lethe.UserLinks, error) {
	out := map[lethe.LearnerID]*lethe.UserLinks{}
	seen := map[lethe.LearnerID]bool{}
	var batch []any
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		marks := make([]string, len(batch))
		for i := range batch {
			marks[i] = "$" + strconv.Itoa(i+2)
		}
		err := scanUserLinks(ctx, db, out, userLinksQuery(strings.Join(marks, ", ")), append([]any{string(tenant)}, batch...))
		batch = batch[:0]
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
	return out, nil
}

// scanUserLinks runs q and adds each row to the links of its learner.
func scanUserLinks(ctx context.Context, db querier, out map[lethe.LearnerID]*lethe.UserLinks, q string, args []any) error {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var learner lethe.LearnerID
		var kind, id, name, key string
		var level, target *int64
		if err := rows.Scan(&learner, &kind, &id, &name, &key, &level, &target); err != nil {
			return err
		}
		l := out[learner]
		if l == nil {
			l = &lethe.UserLinks{}
			out[learner] = l
		}
		switch kind {
		case "a":
			l.Audiences = append(l.Audiences, id)
		case "i":
			l.Interests = append(l.Interests, name)
		case "s":
			l.Skills = append(l.Skills, lethe.UserSkill{TagID: id, TagName: name, Level: fromNullInt(level), TargetLevel: fromNullInt(target)})
		}
	}
	return rows.Err()
}

// fromNullInt reads a nullable integer column.
func fromNullInt(v *int64) *int {
	if v == nil {
		return nil
	}
	n := int(*v)
	return &n
}
