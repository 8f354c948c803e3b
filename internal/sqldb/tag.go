package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/lethehq/lethe"
)

// TagService implements lethe.TagService.
type TagService struct{ db *DB }

// NewTagService returns the tag service of db.
func NewTagService(db *DB) *TagService { return &TagService{db: db} }

var _ lethe.TagService = (*TagService)(nil)

var errTagNotFound = lethe.Errorf(lethe.ENotFound, "Tag not found.")

func tagKey(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

func scanTag(row rowScanner) (*lethe.Tag, error) {
	var t lethe.Tag
	var created, updated int64
	if err := row.Scan(&t.ID, &t.Name, &created, &updated); err != nil {
		return nil, err
	}
	t.CreatedAt, t.UpdatedAt = fromMS(created), fromMS(updated)
	t.ContentIDs, t.Interests, t.Skills = []string{}, []lethe.LearnerID{}, []lethe.LearnerID{}
	return &t, nil
}

func (tx *Tx) findTag(ctx context.Context, id string) (*lethe.Tag, error) {
	id, ok := lethe.ParseID(id)
	if !ok {
		return nil, errTagNotFound
	}
	t, err := scanTag(tx.QueryRowContext(ctx, `SELECT id, name, created_at, updated_at FROM tags
		WHERE tenant_id = $1 AND id = $2`, string(tx.actor.TenantID), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errTagNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("find tag: %w", err)
	}
	return t, nil
}

// fillTagLinks sets the live content, interests and skills of tags in three
// queries.
func (tx *Tx) fillTagLinks(ctx context.Context, tags []*lethe.Tag) error {
	if len(tags) == 0 {
		return nil
	}
	byID := map[string]*lethe.Tag{}
	args := []any{string(tx.actor.TenantID)}
	marks := make([]string, len(tags))
	for i, t := range tags {
		byID[t.ID] = t
		args = append(args, t.ID)
		marks[i] = "$" + strconv.Itoa(i+2)
	}
	in := strings.Join(marks, ", ")
	type pair struct{ tag, learner string } // learner: the content id for content links
	scan := func(row rowScanner) (pair, error) {
		var p pair
		err := row.Scan(&p.tag, &p.learner)
		return p, err
	}
	contents, err := queryAll(ctx, tx, scan, `SELECT ct.tag_id, ct.content_id FROM content_tags ct
		JOIN contents c ON c.tenant_id = ct.tenant_id AND c.id = ct.content_id
		WHERE ct.tenant_id = $1 AND ct.tag_id IN (`+in+`) AND c.archived_at IS NULL ORDER BY ct.tag_id, ct.content_id`, args...)
	if err != nil {
		return fmt.Errorf("find tagged content: %w", err)
	}
	for _, p := range contents {
		byID[p.tag].ContentIDs = append(byID[p.tag].ContentIDs, p.learner)
	}
	interests, err := queryAll(ctx, tx, scan, `SELECT tag_id, learner_id FROM learner_tags
		WHERE tenant_id = $1 AND tag_id IN (`+in+`) ORDER BY tag_id, learner_id`, args...)
	if err != nil {
		return fmt.Errorf("find interests: %w", err)
	}
	for _, p := range interests {
		byID[p.tag].Interests = append(byID[p.tag].Interests, lethe.LearnerID(p.learner))
	}
	skills, err := queryAll(ctx, tx, scan, `SELECT tag_id, learner_id FROM learner_skills
		WHERE tenant_id = $1 AND tag_id IN (`+in+`) ORDER BY tag_id, learner_id`, args...)
	if err != nil {
		return fmt.Errorf("find skills: %w", err)
	}
	for _, p := range skills {
		byID[p.tag].Skills = append(byID[p.tag].Skills, lethe.LearnerID(p.learner))
	}
	return nil
}

// FindTagByID implements lethe.TagService.
func (s *TagService) FindTagByID(ctx context.Context, id string) (t *lethe.Tag, err error) {
	err = s.db.readTx(ctx, func(tx *Tx) error {
		if t, err = tx.findTag(ctx, id); err != nil {
			return err
		}
		return tx.fillTagLinks(ctx, []*lethe.Tag{t})
	})
	return t, err
}

// FindTags implements lethe.TagService.
func (s *TagService) FindTags(ctx context.Context, f lethe.TagFilter) (out []*lethe.Tag, total int, err error) {
	err = s.db.readTx(ctx, func(tx *Tx) error {
		args := []any{string(tx.actor.TenantID)}
		where := ` WHERE tenant_id = $1`
		if f.UpdatedSince != nil {
			args = append(args, ms(*f.UpdatedSince))
			where += ` AND updated_at >= $2`
		}
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM tags`+where, args...).Scan(&total); err != nil {
			return fmt.Errorf("count tags: %w", err)
		}
		page := pageClause(&args, f.Limit, f.Offset)
		if out, err = queryAll(ctx, tx, scanTag, `SELECT id, name, created_at, updated_at FROM tags`+where+
			` ORDER BY id`+page, args...); err != nil {
			return fmt.Errorf("find tags: %w", err)
		}
		return tx.fillTagLinks(ctx, out)
	})
	return out, total, err
}

func errTagTaken(name string) error {
	return lethe.FieldErrorf(lethe.EConflict, "name", "taken", "A tag named %q exists.", name)
}

// tagNameTaken reports whether another tag than id has name.
func (tx *Tx) tagNameTaken(ctx context.Context, name, id string) (bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM tags WHERE tenant_id = $1 AND name_key = $2 AND id <> $3`,
		string(tx.actor.TenantID), tagKey(name), id).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("find tag name: %w", err)
	}
	return n > 0, nil
}

// CreateTag implements lethe.TagService.
func (s *TagService) CreateTag(ctx context.Context, name string) (t *lethe.Tag, err error) {
	name = strings.TrimSpace(name)
	err = s.db.writeTx(ctx, func(tx *Tx) error {
		if taken, err := tx.tagNameTaken(ctx, name, ""); err != nil {
			return err
		} else if taken {
			return errTagTaken(name)
		}
		t, err = tx.insertTag(ctx, name)
		return err
	})
	return t, err
}

// insertTag adds a tag whose name is free. A concurrent insert of the same
// name (PostgreSQL) makes the transaction run again.
func (tx *Tx) insertTag(ctx context.Context, name string) (*lethe.Tag, error) {
	t := &lethe.Tag{ID: lethe.NewID(tx.now), Name: name, CreatedAt: tx.now, UpdatedAt: tx.now,
		ContentIDs: []string{}, Interests: []lethe.LearnerID{}, Skills: []lethe.LearnerID{}}
	res, err := tx.ExecContext(ctx, `INSERT INTO tags (tenant_id, id, name, name_key, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT DO NOTHING`, string(tx.actor.TenantID), t.ID, name, tagKey(name), ms(tx.now))
	if err != nil {
		return nil, fmt.Errorf("insert tag: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return nil, &racedError{err: errTagTaken(name)}
	}
	return t, nil
}

// linkContentTags makes the tags of c name tags: each name resolves to the
// tag of that name ignoring case, which is created when missing, and takes
// its spelling; names that differ only in case collapse into one. The links
// of c are replaced.
func (tx *Tx) linkContentTags(ctx context.Context, c *lethe.Content) error {
	tenant := string(tx.actor.TenantID)
	if _, err := tx.ExecContext(ctx, `DELETE FROM content_tags WHERE tenant_id = $1 AND content_id = $2`, tenant, c.ID); err != nil {
		return fmt.Errorf("unlink content tags: %w", err)
	}
	seen := map[string]bool{}
	names := []string{}
	for _, name := range c.Tags {
		var id, canonical string
		err := tx.QueryRowContext(ctx, `SELECT id, name FROM tags WHERE tenant_id = $1 AND name_key = $2`,
			tenant, tagKey(name)).Scan(&id, &canonical)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			t, err := tx.insertTag(ctx, name)
			if err != nil {
				return err
			}
			id, canonical = t.ID, t.Name
		case err != nil:
			return fmt.Errorf("find tag: %w", err)
		}
		if seen[id] {
			continue
		}
		seen[id] = true
		names = append(names, canonical)
		if _, err := tx.ExecContext(ctx, `INSERT INTO content_tags (tenant_id, tag_id, content_id) VALUES ($1, $2, $3)`,
			tenant, id, c.ID); err != nil {
			return fmt.Errorf("link content tag: %w", err)
		}
	}
	c.Tags = names
	return nil
}

// renameContentTag rewrites the tag lists of the content carrying tag id,
// which was renamed from old to name, and marks that content updated.
func (tx *Tx) renameContentTag(ctx context.Context, id, old, name string) error {
	tenant := string(tx.actor.TenantID)
	type row struct{ id, tags string }
	rows, err := queryAll(ctx, tx, func(r rowScanner) (row, error) {
		var x row
		err := r.Scan(&x.id, &x.tags)
		return x, err
	}, `SELECT c.id, c.tags FROM content_tags ct JOIN contents c ON c.tenant_id = ct.tenant_id AND c.id = ct.content_id
		WHERE ct.tenant_id = $1 AND ct.tag_id = $2`, tenant, id)
	if err != nil {
		return fmt.Errorf("find tagged content: %w", err)
	}
	for _, r := range rows {
		var tags []string
		if err := json.Unmarshal([]byte(r.tags), &tags); err != nil {
			return fmt.Errorf("read content tags: %w", err)
		}
		for i, t := range tags {
			if tagKey(t) == tagKey(old) {
				tags[i] = name
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE contents SET tags = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2`,
			tenant, r.id, tagsJSON(tags), ms(tx.now)); err != nil {
			return fmt.Errorf("rename content tag: %w", err)
		}
	}
	return nil
}

// RenameTag implements lethe.TagService.
func (s *TagService) RenameTag(ctx context.Context, id, name string) (t *lethe.Tag, err error) {
	name = strings.TrimSpace(name)
	err = s.db.writeTx(ctx, func(tx *Tx) error {
		if t, err = tx.findTag(ctx, id); err != nil {
			return err
		}
		if taken, err := tx.tagNameTaken(ctx, name, t.ID); err != nil {
			return err
		} else if taken {
			return errTagTaken(name)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tags SET name = $3, name_key = $4, updated_at = $5
			WHERE tenant_id = $1 AND id = $2`, string(tx.actor.TenantID), t.ID, name, tagKey(name), ms(tx.now)); err != nil {
			if tx.db.dialect.isUniqueViolation(err) {
				return &racedError{err: errTagTaken(name)}
			}
			return fmt.Errorf("rename tag: %w", err)
		}
		if err := tx.renameContentTag(ctx, t.ID, t.Name, name); err != nil {
			return err
		}
		t.Name, t.UpdatedAt = name, tx.now
		return tx.fillTagLinks(ctx, []*lethe.Tag{t})
	})
	return t, err
}

// tagIDs resolves tag names to ids; unknown names are a 422 on field.
func (tx *Tx) tagIDs(ctx context.Context, field string, names []string) ([]string, error) {
	ids := make([]string, len(names))
	var unknown []string
	for i, name := range names {
		err := tx.QueryRowContext(ctx, `SELECT id FROM tags WHERE tenant_id = $1 AND name_key = $2`,
			string(tx.actor.TenantID), tagKey(name)).Scan(&ids[i])
		if errors.Is(err, sql.ErrNoRows) {
			unknown = append(unknown, name)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("find tag: %w", err)
		}
	}
	if len(unknown) > 0 {
		return nil, lethe.FieldErrorf(lethe.EInvalid, field, "unknown", "Unknown tag(s): %s.", strings.Join(unknown, ", "))
	}
	return ids, nil
}

// AddLearnerTags implements lethe.TagService.
func (s *TagService) AddLearnerTags(ctx context.Context, learner lethe.LearnerID, names []string) (n int, err error) {
	err = s.db.writeTx(ctx, func(tx *Tx) error {
		if _, err := tx.findMutableUser(ctx, lethe.ByID(learner)); err != nil {
			return err
		}
		ids, err := tx.tagIDs(ctx, "tags", names)
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		n = 0
		for _, id := range ids {
			if seen[id] {
				continue
			}
			seen[id] = true
			if _, err := tx.ExecContext(ctx, `INSERT INTO learner_tags (tenant_id, learner_id, tag_id, added_at)
				VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, string(tx.actor.TenantID), string(learner), id, ms(tx.now)); err != nil {
				return fmt.Errorf("add learner tag: %w", err)
			}
			n++
		}
		return nil
	})
	return n, err
}

// RemoveLearnerTags implements lethe.TagService.
func (s *TagService) RemoveLearnerTags(ctx context.Context, learner lethe.LearnerID, names []string) (n int, err error) {
	err = s.db.writeTx(ctx, func(tx *Tx) error {
		if _, err := tx.findMutableUser(ctx, lethe.ByID(learner)); err != nil {
			return err
		}
		ids, err := tx.tagIDs(ctx, "value", names)
		if err != nil {
			return err
		}
		n = 0
		for _, id := range ids {
			res, err := tx.ExecContext(ctx, `DELETE FROM learner_tags WHERE tenant_id = $1 AND learner_id = $2 AND tag_id = $3`,
				string(tx.actor.TenantID), string(learner), id)
			if err != nil {
				return fmt.Errorf("remove learner tag: %w", err)
			}
			k, _ := res.RowsAffected()
			n += int(k)
		}
		return nil
	})
	return n, err
}

// UpdateSkills implements lethe.TagService.
func (s *TagService) UpdateSkills(ctx context.Context, learner lethe.LearnerID, skills []lethe.SkillUpdate) (n int, err error) {
	names := make([]string, len(skills))
	for i, sk := range skills {
		names[i] = sk.TagName
	}
	err = s.db.writeTx(ctx, func(tx *Tx) error {
		if _, err := tx.findMutableUser(ctx, lethe.ByID(learner)); err != nil {
			return err
		}
		ids, err := tx.tagIDs(ctx, "value", names)
		if err != nil {
			return err
		}
		for i, id := range ids {
			// A level not given keeps the stored one (COALESCE).
			if _, err := tx.ExecContext(ctx, `INSERT INTO learner_skills (tenant_id, learner_id, tag_id, level, target_level, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6)
				ON CONFLICT (tenant_id, learner_id, tag_id) DO UPDATE SET
				level = COALESCE(excluded.level, learner_skills.level),
				target_level = COALESCE(excluded.target_level, learner_skills.target_level),
				updated_at = excluded.updated_at`,
				string(tx.actor.TenantID), string(learner), id, intPtr(skills[i].Level), intPtr(skills[i].TargetLevel), ms(tx.now)); err != nil {
				return fmt.Errorf("update skill: %w", err)
			}
		}
		n = len(ids)
		return nil
	})
	return n, err
}

func intPtr(p *int) any {
	if p == nil {
		return nil
	}
	return int64(*p)
}

// FindSkillLevels implements lethe.TagService.
func (s *TagService) FindSkillLevels(ctx context.Context) (out []lethe.SkillLevel, err error) {
	err = s.db.readTx(ctx, func(tx *Tx) error {
		out, err = tx.findSkillLevels(ctx)
		return err
	})
	return out, err
}

func (tx *Tx) findSkillLevels(ctx context.Context) ([]lethe.SkillLevel, error) {
	out, err := queryAll(ctx, tx, func(row rowScanner) (lethe.SkillLevel, error) {
		var l lethe.SkillLevel
		err := row.Scan(&l.Value, &l.Name, &l.Enabled)
		return l, err
	}, `SELECT value, name, enabled FROM skill_levels WHERE tenant_id = $1 ORDER BY value`, string(tx.actor.TenantID))
	if err != nil {
		return nil, fmt.Errorf("find skill levels: %w", err)
	}
	if out == nil {
		out = []lethe.SkillLevel{}
	}
	return out, nil
}

// ReplaceSkillLevels implements lethe.TagService.
func (s *TagService) ReplaceSkillLevels(ctx context.Context, levels []lethe.SkillLevel) (out []lethe.SkillLevel, err error) {
	err = s.db.writeTx(ctx, func(tx *Tx) error {
		tenant := string(tx.actor.TenantID)
		if lock := tx.db.dialect.advisoryLock; lock != "" {
			// Replaces of one tenant's scale run one at a time.
			if _, err := tx.ExecContext(ctx, lock, "skill_levels:"+tenant); err != nil {
				return fmt.Errorf("lock skill levels: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM skill_levels WHERE tenant_id = $1`, tenant); err != nil {
			return fmt.Errorf("clear skill levels: %w", err)
		}
		for _, l := range levels {
			if _, err := tx.ExecContext(ctx, `INSERT INTO skill_levels (tenant_id, value, name, enabled) VALUES ($1, $2, $3, $4)`,
				tenant, l.Value, l.Name, l.Enabled); err != nil {
				if tx.db.dialect.isUniqueViolation(err) {
					// A concurrent replace committed first (PostgreSQL): run again after it.
					return &racedError{err: lethe.Errorf(lethe.EConflict, "The skill levels were replaced concurrently; retry.")}
				}
				return fmt.Errorf("insert skill level: %w", err)
			}
		}
		out, err = tx.findSkillLevels(ctx)
		return err
	})
	return out, err
}
