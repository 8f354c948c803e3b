package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lethehq/lethe"
)

// Dormant-account audits: rules propose an action per user; the preview is
// a job in state preview whose items are exactly the users found, and
// applying it queues that job, each user checked again when processed.

// dormantSQL is the SQL that proposes, for a learner l, the action of the
// first rule it matches, and the rule's name (NULL when none), and a cheap
// condition true when any rule's base condition holds. Params
// $2 (never signed in, created before), $3 (last signed in before) and $4
// (now) are set by dormantArgs.
func dormantSQL(r *lethe.DormantRules) (action, rule, any string) {
	var acts, rules, conds []string
	if r.NeverLoggedInDays != nil {
		never := `l.first_login_at IS NULL AND l.created_at < $2`
		acts = append(acts, `WHEN `+never+` AND NOT `+historySQL+` THEN 'purge' WHEN `+never+` AND l.state = 'active' THEN 'suspend'`)
		rules = append(rules, `WHEN `+never+` THEN 'neverLoggedIn'`)
		conds = append(conds, `(`+never+`)`)
	}
	if r.InactiveDays != nil {
		cond := `l.state = 'active' AND l.last_login_at < $3`
		acts = append(acts, `WHEN `+cond+` THEN 'suspend'`)
		rules = append(rules, `WHEN `+cond+` THEN 'inactive'`)
		conds = append(conds, `(`+cond+`)`)
	}
	if r.EndDatePassed {
		cond := `l.state = 'active' AND l.end_date <= $4`
		acts = append(acts, `WHEN `+cond+` THEN 'suspend'`)
		rules = append(rules, `WHEN `+cond+` THEN 'endDatePassed'`)
		conds = append(conds, `(`+cond+`)`)
	}
	return `CASE ` + strings.Join(acts, " ") + ` END`, `CASE ` + strings.Join(rules, " ") + ` END`,
		`(` + strings.Join(conds, " OR ") + `)`
}

func dormantArgs(tenant string, r *lethe.DormantRules, now time.Time) []any {
	day := func(n *int) int64 {
		if n == nil {
			return 0
		}
		return ms(now.Add(-time.Duration(*n) * lethe.Day))
	}
	return []any{tenant, day(r.NeverLoggedInDays), day(r.InactiveDays), ms(now)}
}

// dormantExclusions is the condition leaving out excluded roles and the
// members of excluded audiences (resolved to ids).
func (tx *Tx) dormantExclusions(ctx context.Context, r *lethe.DormantRules, args *[]any) (string, error) {
	var where string
	if len(r.ExcludeRoles) > 0 {
		var ps []string
		for _, role := range r.ExcludeRoles {
			*args = append(*args, string(role))
			ps = append(ps, fmt.Sprintf("$%d", len(*args)))
		}
		where += ` AND l.role NOT IN (` + strings.Join(ps, ", ") + `)`
	}
	for i, key := range r.ExcludeAudiences {
		a, err := tx.findAudience(ctx, key)
		if lethe.ErrorCode(err) == lethe.ENotFound {
			return "", lethe.FieldErrorf(lethe.EInvalid, fmt.Sprintf("exclude.audiences[%d]", i), "not_found", "No audience has this id or reference.")
		}
		if err != nil {
			return "", err
		}
		r.ExcludeAudiences[i] = a.ID // the report keeps ids
		*args = append(*args, a.ID)
		where += fmt.Sprintf(` AND NOT EXISTS (SELECT 1 FROM audience_members m WHERE m.tenant_id = $1 AND m.learner_id = l.id AND m.audience_id = $%d)`, len(*args))
	}
	return where, nil
}

// PreviewDormant implements lethe.JobService: one INSERT … SELECT writes
// the matching users as the preview's items.
func (s *JobService) PreviewDormant(ctx context.Context, rules lethe.DormantRules) (j *lethe.Job, err error) {
	if rules.Empty() {
		return nil, lethe.FieldErrorf(lethe.EInvalid, "rules", "required", "Give at least one rule: neverLoggedInDays, inactiveDays or endDatePassed.")
	}
	for name, v := range map[string]*int{"rules.neverLoggedInDays": rules.NeverLoggedInDays, "rules.inactiveDays": rules.InactiveDays} {
		if v != nil && (*v < 0 || *v > lethe.MaxPeriodDays) {
			return nil, lethe.FieldErrorf(lethe.EInvalid, name, "out_of_range", "%s must be between 0 and %d days", name, lethe.MaxPeriodDays)
		}
	}
	for i, role := range rules.ExcludeRoles {
		if !role.Valid() {
			return nil, lethe.FieldErrorf(lethe.EInvalid, fmt.Sprintf("exclude.roles[%d]", i), "invalid", "role must be 'administrator', 'learneradmin' or 'learner'")
		}
	}
	err = s.db.writeTx(ctx, func(tx *Tx) error {
		j, err = tx.previewDormant(ctx, &rules)
		return err
	})
	return j, err
}

func (tx *Tx) previewDormant(ctx context.Context, rules *lethe.DormantRules) (*lethe.Job, error) {
	tenant := string(tx.actor.TenantID)
	args := dormantArgs(tenant, rules, tx.now)
	exclude, err := tx.dormantExclusions(ctx, rules, &args)
	if err != nil {
		return nil, err
	}
	id, err := tx.insertJob(ctx, "dormant", "", lethe.JobPreview, false, nil, rules)
	if err != nil {
		return nil, err
	}
	action, rule, anyRule := dormantSQL(rules)
	args = append(args, id)
	// (CAST($2 AS BIGINT) >= 0 …) names every parameter, so PostgreSQL types
	// them all as BIGINT; the unused rules compare with 0. The cheap anyRule
	// condition keeps the CASE (and its history subqueries) to the learners
	// that may match.
	q := fmt.Sprintf(`INSERT INTO job_items (tenant_id, job_id, seq, line, learner_id, action, rule)
		SELECT $1, $%d, y.seq, y.seq, y.id, y.action, y.rule FROM (
			SELECT `+fmt.Sprintf(tx.db.dialect.rowSeq, "l", "id")+` AS seq, l.id, `+action+` AS action, `+rule+` AS rule
			FROM learners l`+tx.db.dialect.scanAll+`
			WHERE l.tenant_id = $1 AND l.state <> 'deleted' AND (CAST($2 AS BIGINT) >= 0 AND CAST($3 AS BIGINT) >= 0 AND CAST($4 AS BIGINT) >= 0) AND `+anyRule+exclude+`) y
		WHERE y.action IS NOT NULL`, len(args))
	if _, err := tx.ExecContext(ctx, q, args...); err != nil {
		return nil, fmt.Errorf("select dormant users: %w", err)
	}
	counts, err := queryAll(ctx, tx, func(r rowScanner) ([2]any, error) {
		var a string
		var n int
		err := r.Scan(&a, &n)
		return [2]any{a, n}, err
	}, `SELECT action, COUNT(*) FROM job_items WHERE tenant_id = $1 AND job_id = $2 GROUP BY action`, tenant, id)
	if err != nil {
		return nil, fmt.Errorf("count dormant users: %w", err)
	}
	byAction := map[string]int{}
	for _, c := range counts {
		byAction[c[0].(string)] = c[1].(int)
	}
	b, _ := json.Marshal(byAction)
	if _, err := tx.ExecContext(ctx, `UPDATE jobs SET actions = $3 WHERE tenant_id = $1 AND id = $2`, tenant, id, string(b)); err != nil {
		return nil, fmt.Errorf("count dormant users: %w", err)
	}
	if err := tx.countJobItems(ctx, id, 0, 0); err != nil {
		return nil, err
	}
	if err := tx.appendTrail(ctx, "audit.previewed", "", map[string]any{"job": id}); err != nil {
		return nil, err
	}
	return tx.findJob(ctx, id)
}

// stillDormant checks a user of an applied audit again: the rule that
// proposed the action must still match, and propose the same action.
func (tx *Tx) stillDormant(ctx context.Context, u *lethe.User, r *lethe.DormantRules, action lethe.BulkAction, rule string) (bool, error) {
	if u.Deleted() {
		return false, nil
	}
	args := dormantArgs(string(tx.actor.TenantID), r, tx.now)
	exclude, err := tx.dormantExclusions(ctx, r, &args)
	if err != nil {
		return false, err
	}
	act, rl, _ := dormantSQL(r)
	args = append(args, string(u.ID))
	var gotAction, gotRule *string
	err = tx.QueryRowContext(ctx, fmt.Sprintf(`SELECT `+act+`, `+rl+` FROM learners l
		WHERE l.tenant_id = $1 AND l.id = $%d AND (CAST($2 AS BIGINT) >= 0 AND CAST($3 AS BIGINT) >= 0 AND CAST($4 AS BIGINT) >= 0)`+exclude, len(args)), args...).Scan(&gotAction, &gotRule)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil // excluded now
	}
	if err != nil {
		return false, fmt.Errorf("check dormant user: %w", err)
	}
	return gotAction != nil && *gotAction == string(action) && gotRule != nil && *gotRule == rule, nil
}

// RunScheduledAudits previews the dormant-account audit of every tenant
// whose schedule is due (the last scheduled preview is EveryDays old, or
// none was made), as the policy surface. The previews are kept as audit
// reports; nothing is applied. It returns how many it made.
func (s *JobService) RunScheduledAudits(ctx context.Context) (int, error) {
	tenants, err := NewTenantService(s.db).FindTenants(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, t := range tenants {
		actor := lethe.Actor{TenantID: t.ID, Source: lethe.SourcePolicy, Name: "schedule"}
		made := false
		err := s.db.rawWriteTx(ctx, actor, func(tx *Tx) error {
			made = false
			settings, err := tx.settings(ctx)
			if err != nil || settings.DormantAudit == nil {
				return err
			}
			var last sql.NullInt64
			if err := tx.QueryRowContext(ctx, `SELECT MAX(created_at) FROM jobs WHERE tenant_id = $1 AND kind = 'dormant' AND source = 'policy'`,
				string(t.ID)).Scan(&last); err != nil {
				return fmt.Errorf("find last scheduled audit: %w", err)
			}
			every := time.Duration(settings.DormantAudit.EveryDays) * lethe.Day
			if last.Valid && tx.now.Before(fromMS(last.Int64).Add(every)) {
				return nil
			}
			rules := settings.DormantAudit.Rules
			rules.ExcludeAudiences = slices.Clone(rules.ExcludeAudiences) // previewDormant rewrites them
			if _, err := tx.previewDormant(ctx, &rules); err != nil {
				return err
			}
			made = true
			return nil
		})
		if err != nil {
			return n, fmt.Errorf("scheduled audit: %w", err)
		}
		if made {
			n++
		}
	}
	return n, nil
}
