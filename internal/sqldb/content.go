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

// ContentService implements lethe.ContentService.
type ContentService struct{ db *DB }

// NewContentService returns the content service of db.
func NewContentService(db *DB) *ContentService { return &ContentService{db: db} }

var _ lethe.ContentService = (*ContentService)(nil)

var errContentNotFound = lethe.Errorf(lethe.ENotFound, "Content not found.")

const contentColumns = `c.id, c.title, c.description, c.type, c.tags, c.duration_minutes, c.is_official, c.author,
	c.archived_at, c.created_at, c.updated_at`

func scanContent(row rowScanner) (*lethe.Content, error) {
	var c lethe.Content
	var tags string
	var dur sql.NullInt64
	var author sql.NullString
	var archived sql.NullInt64
	var created, updated int64
	if err := row.Scan(&c.ID, &c.Title, &c.Description, &c.Type, &tags, &dur, &c.IsOfficial, &author,
		&archived, &created, &updated); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(tags), &c.Tags); err != nil {
		return nil, err
	}
	if c.Tags == nil {
		c.Tags = []string{}
	}
	if dur.Valid {
		d := int(dur.Int64)
		c.DurationMinutes = &d
	}
	c.Author = lethe.LearnerID(author.String)
	c.ArchivedAt = timePtr(archived)
	c.CreatedAt, c.UpdatedAt = fromMS(created), fromMS(updated)
	return &c, nil
}

// findContent reads content with its history.
func (tx *Tx) findContent(ctx context.Context, id string) (*lethe.Content, error) {
	id, ok := lethe.ParseID(id)
	if !ok {
		return nil, errContentNotFound
	}
	tenant := string(tx.actor.TenantID)
	c, err := scanContent(tx.QueryRowContext(ctx, `SELECT `+contentColumns+` FROM contents c
		WHERE c.tenant_id = $1 AND c.id = $2`, tenant, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errContentNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("find content: %w", err)
	}
	c.History, err = queryAll(ctx, tx, func(r rowScanner) (lethe.ContentEvent, error) {
		var e lethe.ContentEvent
		var at int64
		err := r.Scan(&e.Action, &e.ActorType, &e.Actor, &at)
		e.Timestamp = fromMS(at)
		return e, err
	}, `SELECT action, actor_type, actor, created_at FROM content_history
		WHERE tenant_id = $1 AND content_id = $2 ORDER BY seq`, tenant, id)
	if err != nil {
		return nil, fmt.Errorf("find content history: %w", err)
	}
	return c, nil
}

// requireContent fails with ENotFound, naming field, unless content id
// exists in the tenant (archived or not).
func (tx *Tx) requireContent(ctx context.Context, field, id string) error {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM contents WHERE tenant_id = $1 AND id = $2`,
		string(tx.actor.TenantID), id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return lethe.FieldErrorf(lethe.ENotFound, field, "not_found", "Content not found: %s", id)
	}
	if err != nil {
		return fmt.Errorf("find content: %w", err)
	}
	return nil
}

// FindContentByID implements lethe.ContentService.
func (s *ContentService) FindContentByID(ctx context.Context, id string) (c *lethe.Content, err error) {
	err = s.db.readTx(ctx, func(tx *Tx) error {
		c, err = tx.findContent(ctx, id)
		return err
	})
	return c, err
}

// FindContents implements lethe.ContentService. The page carries no history
// (the vendor's list example shows none); contentHistory is then empty.
func (s *ContentService) FindContents(ctx context.Context, f lethe.ContentFilter) (out []*lethe.Content, total int, err error) {
	err = s.db.readTx(ctx, func(tx *Tx) error {
		args := []any{string(tx.actor.TenantID)}
		where := ` WHERE c.tenant_id = $1 AND c.archived_at IS NULL`
		in := func(types []string) string {
			var ps []string
			for _, t := range types {
				args = append(args, t)
				ps = append(ps, "$"+strconv.Itoa(len(args)))
			}
			return `(` + strings.Join(ps, ", ") + `)`
		}
		if len(f.Types) > 0 {
			where += ` AND c.type IN ` + in(f.Types)
		} else if len(f.OmitTypes) > 0 {
			where += ` AND c.type NOT IN ` + in(f.OmitTypes)
		}
		if f.UpdatedSince != nil {
			args = append(args, ms(*f.UpdatedSince))
			where += ` AND c.updated_at >= $` + strconv.Itoa(len(args))
		}
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM contents c`+where, args...).Scan(&total); err != nil {
			return fmt.Errorf("count content: %w", err)
		}
		page := pageClause(&args, f.Limit, f.Offset)
		out, err = queryAll(ctx, tx, scanContent, `SELECT `+contentColumns+` FROM contents c`+where+` ORDER BY c.id`+page, args...)
		if err != nil {
			return fmt.Errorf("find contents: %w", err)
		}
		for _, c := range out {
			c.History = []lethe.ContentEvent{}
		}
		return nil
	})
	return out, total, err
}

// applyContentFields validates f and applies it to c.
func (tx *Tx) applyContentFields(ctx context.Context, c *lethe.Content, f lethe.ContentFields) error {
	if f.Title != nil {
		c.Title = strings.TrimSpace(*f.Title)
	}
	if f.Description != nil {
		c.Description = *f.Description
	}
	if f.Type != nil {
		c.Type = strings.ToLower(strings.TrimSpace(*f.Type))
	}
	if f.Tags != nil {
		c.Tags = []string{}
		for i, t := range *f.Tags {
			t = strings.TrimSpace(t)
			if t == "" || utf8.RuneCountInString(t) > 100 {
				return lethe.FieldErrorf(lethe.EInvalid, "tags["+strconv.Itoa(i)+"]", "invalid", "a tag must have 1 to 100 characters")
			}
			c.Tags = append(c.Tags, t)
		}
	}
	if f.DurationMinutes != nil {
		c.DurationMinutes = *f.DurationMinutes
	}
	if f.IsOfficial != nil {
		c.IsOfficial = *f.IsOfficial
	}
	if f.Author != nil {
		c.Author = ""
		if a := strings.TrimSpace(*f.Author); a != "" {
			id, ok := lethe.ParseID(a)
			if !ok {
				return lethe.FieldErrorf(lethe.EInvalid, "author", "invalid", "author must be a user id of 24 hexadecimal characters")
			}
			if _, err := tx.findUser(ctx, lethe.ByID(lethe.LearnerID(id))); err != nil {
				if lethe.ErrorCode(err) == lethe.ENotFound {
					return lethe.FieldErrorf(lethe.EInvalid, "author", "not_found", "author names no user")
				}
				return err
			}
			c.Author = lethe.LearnerID(id)
		}
	}
	for field, text := range map[string]string{"title": c.Title, "description": c.Description, "tags": strings.Join(c.Tags, "")} {
		if strings.ContainsRune(text, 0) || !utf8.ValidString(text) {
			return lethe.FieldErrorf(lethe.EInvalid, field, "invalid", "%s must be text without NUL", field)
		}
	}
	switch {
	case c.Title == "":
		return lethe.FieldErrorf(lethe.EInvalid, "title", "required", "title is required")
	case utf8.RuneCountInString(c.Title) > lethe.MaxContentTitle:
		return lethe.FieldErrorf(lethe.EInvalid, "title", "too_long", "title must have at most %d characters", lethe.MaxContentTitle)
	case len(c.Description) > lethe.MaxContentDescription:
		return lethe.FieldErrorf(lethe.EInvalid, "description", "too_long", "description must have at most %d bytes", lethe.MaxContentDescription)
	case c.Type == "":
		return lethe.FieldErrorf(lethe.EInvalid, "type", "required", "type is required")
	case !lethe.IsContentType(c.Type):
		return lethe.FieldErrorf(lethe.EInvalid, "type", "invalid", "type must be one of %s", strings.Join(lethe.ContentTypes, ", "))
	case len(c.Tags) > lethe.MaxContentTags:
		return lethe.FieldErrorf(lethe.EInvalid, "tags", "too_many", "tags must have at most %d items", lethe.MaxContentTags)
	case c.DurationMinutes != nil && (*c.DurationMinutes < 0 || *c.DurationMinutes > 1_000_000):
		return lethe.FieldErrorf(lethe.EInvalid, "duration.value", "out_of_range", "duration.value must be between 0 and 1000000 minutes")
	}
	return nil
}

func (tx *Tx) appendContentEvent(ctx context.Context, id, action string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO content_history (tenant_id, content_id, seq, action, actor_type, actor, created_at)
		VALUES ($1, $2, (SELECT COALESCE(MAX(seq), 0) + 1 FROM content_history WHERE tenant_id = $1 AND content_id = $2), $3, $4, $5, $6)`,
		string(tx.actor.TenantID), id, action, string(tx.actor.Source), tx.actor.Name, ms(tx.now))
	if err != nil {
		return fmt.Errorf("append content event: %w", err)
	}
	return tx.emitIDs(ctx, contentEvents[action], id, "content", map[string]any{"id": id})
}

func tagsJSON(tags []string) string {
	b, _ := json.Marshal(tags)
	return string(b)
}

// CreateContent implements lethe.ContentService.
func (s *ContentService) CreateContent(ctx context.Context, id string, f lethe.ContentFields) (c *lethe.Content, err error) {
	if id != "" {
		var ok bool
		if id, ok = lethe.ParseID(id); !ok {
			return nil, lethe.FieldErrorf(lethe.EInvalid, "id", "invalid", "id must be 24 hexadecimal characters")
		}
	}
	err = s.db.writeTx(ctx, func(tx *Tx) error {
		c = &lethe.Content{ID: id, Tags: []string{}, CreatedAt: tx.now, UpdatedAt: tx.now}
		if c.ID == "" {
			c.ID = lethe.NewID(tx.now)
		}
		if err := tx.applyContentFields(ctx, c, f); err != nil {
			return err
		}
		if err := tx.linkContentTags(ctx, c); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO contents (tenant_id, id, title, description, type, tags, duration_minutes,
			is_official, author, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING`,
			string(tx.actor.TenantID), c.ID, c.Title, c.Description, c.Type, tagsJSON(c.Tags), nullInt(c.DurationMinutes),
			c.IsOfficial, nullStr(string(c.Author)), ms(tx.now), ms(tx.now))
		if err != nil {
			return fmt.Errorf("insert content: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return lethe.FieldErrorf(lethe.EConflict, "id", "taken", "Content %s already exists.", c.ID)
		}
		if err := tx.appendContentEvent(ctx, c.ID, lethe.ContentCreated); err != nil {
			return err
		}
		c, err = tx.findContent(ctx, c.ID)
		return err
	})
	return c, err
}

// UpdateContent implements lethe.ContentService.
func (s *ContentService) UpdateContent(ctx context.Context, id string, f lethe.ContentFields) (c *lethe.Content, err error) {
	err = s.db.writeTx(ctx, func(tx *Tx) error {
		if c, err = tx.findContent(ctx, id); err != nil {
			return err
		}
		if err := tx.applyContentFields(ctx, c, f); err != nil {
			return err
		}
		if f.Tags != nil {
			if err := tx.linkContentTags(ctx, c); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE contents SET title = $3, description = $4, type = $5, tags = $6,
			duration_minutes = $7, is_official = $8, author = $9, updated_at = $10 WHERE tenant_id = $1 AND id = $2`,
			string(tx.actor.TenantID), c.ID, c.Title, c.Description, c.Type, tagsJSON(c.Tags), nullInt(c.DurationMinutes),
			c.IsOfficial, nullStr(string(c.Author)), ms(tx.now)); err != nil {
			return fmt.Errorf("update content: %w", err)
		}
		if err := tx.appendContentEvent(ctx, c.ID, lethe.ContentUpdated); err != nil {
			return err
		}
		c, err = tx.findContent(ctx, c.ID)
		return err
	})
	return c, err
}

// ArchiveContent implements lethe.ContentService.
func (s *ContentService) ArchiveContent(ctx context.Context, id string) (c *lethe.Content, err error) {
	err = s.db.writeTx(ctx, func(tx *Tx) error {
		if c, err = tx.findContent(ctx, id); err != nil || c.ArchivedAt != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE contents SET archived_at = $3, updated_at = $3 WHERE tenant_id = $1 AND id = $2`,
			string(tx.actor.TenantID), c.ID, ms(tx.now)); err != nil {
			return fmt.Errorf("archive content: %w", err)
		}
		if err := tx.appendContentEvent(ctx, c.ID, lethe.ContentArchived); err != nil {
			return err
		}
		c, err = tx.findContent(ctx, c.ID)
		return err
	})
	return c, err
}
