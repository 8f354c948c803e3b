package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/lethehq/lethe"
)

// CompletionService implements lethe.CompletionService.
type CompletionService struct{ db *DB }

// NewCompletionService returns the completion service of db.
func NewCompletionService(db *DB) *CompletionService { return &CompletionService{db: db} }

var _ lethe.CompletionService = (*CompletionService)(nil)

var errCompletionNotFound = lethe.Errorf(lethe.ENotFound, "Completion not found.")

// hadDueDate is true when the completion completed an enrolment. $1 is the
// tenant in every query that reads these columns.
const completionColumns = `c.id, c.learner_id, c.content_id, c.completed_at, c.is_rpl, c.completion_type, c.created_at,
	EXISTS (SELECT 1 FROM enrolment_history h WHERE h.tenant_id = $1 AND h.completion_id = c.id)`

func scanCompletion(row rowScanner) (*lethe.Completion, error) {
	var c lethe.Completion
	var completed, created int64
	if err := row.Scan(&c.ID, &c.LearnerID, &c.ContentID, &completed, &c.IsRPL, &c.Type, &created, &c.HadDueDate); err != nil {
		return nil, err
	}
	c.CompletedAt, c.CreatedAt = fromMS(completed), fromMS(created)
	return &c, nil
}

func (tx *Tx) findCompletion(ctx context.Context, id string) (*lethe.Completion, error) {
	id, ok := lethe.ParseID(id)
	if !ok {
		return nil, errCompletionNotFound
	}
	c, err := scanCompletion(tx.QueryRowContext(ctx, `SELECT `+completionColumns+` FROM completions c
		WHERE c.tenant_id = $1 AND c.id = $2`, string(tx.actor.TenantID), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errCompletionNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("find completion: %w", err)
	}
	return c, nil
}

// FindCompletionByID implements lethe.CompletionService.
func (s *CompletionService) FindCompletionByID(ctx context.Context, id string) (c *lethe.Completion, err error) {
	err = s.db.readTx(ctx, func(tx *Tx) error {
		c, err = tx.findCompletion(ctx, id)
		return err
	})
	return c, err
}

// FindCompletions implements lethe.CompletionService.
func (s *CompletionService) FindCompletions(ctx context.Context, f lethe.CompletionFilter) (out []*lethe.Completion, total int, err error) {
	err = s.db.readTx(ctx, func(tx *Tx) error {
		args := []any{string(tx.actor.TenantID)}
		where := ` WHERE c.tenant_id = $1`
		add := func(cond string, v any) {
			args = append(args, v)
			where += ` AND c.` + cond + ` $` + strconv.Itoa(len(args))
		}
		if f.ContentID != "" {
			add("content_id =", f.ContentID)
		}
		if f.LearnerID != "" {
			add("learner_id =", string(f.LearnerID))
		}
		if f.IsRPL != nil {
			add("is_rpl =", *f.IsRPL)
		}
		if f.CompletedFrom != nil {
			add("completed_at >=", ms(*f.CompletedFrom))
		}
		if f.CompletedUntil != nil {
			add("completed_at <=", ms(*f.CompletedUntil))
		}
		page := pageClause(&args, f.Limit, f.Offset)
		from := ` FROM completions c`
		if f.LearnerID != "" {
			// SQLite would walk every completion in id order for the LIMIT
			// rather than sort the learner's few (dialect.learnerIndexes).
			from += tx.db.dialect.learnerIndexes["completions"]
		}
		out, err = queryAll(ctx, tx, scanCompletion, `SELECT `+completionColumns+from+where+` ORDER BY c.id`+page, args...)
		if err != nil {
			return fmt.Errorf("find completions: %w", err)
		}
		return nil
	})
	return out, -1, err
}

// CreateCompletion implements lethe.CompletionService.
func (s *CompletionService) CreateCompletion(ctx context.Context, learner lethe.LearnerID, contentID string, at time.Time) (c *lethe.Completion, created bool, err error) {
	content, ok := lethe.ParseID(contentID)
	if !ok {
		return nil, false, lethe.FieldErrorf(lethe.EInvalid, "contentId", "invalid", "contentId must be 24 hexadecimal characters")
	}
	at = at.UTC().Truncate(time.Millisecond)
	err = s.db.writeTx(ctx, func(tx *Tx) error {
		c, created, err = tx.createCompletion(ctx, learner, content, at)
		return err
	})
	return c, created, err
}

// createCompletion is CreateCompletion in tx, for a valid content id and a
// time truncated to milliseconds.
func (tx *Tx) createCompletion(ctx context.Context, learner lethe.LearnerID, content string, at time.Time) (*lethe.Completion, bool, error) {
	if at.After(tx.now.Add(lethe.MaxCompletionSkew)) {
		return nil, false, lethe.FieldErrorf(lethe.EInvalid, "completedAt", "future", "completedAt must not be in the future")
	}
	if _, err := tx.findLiveUser(ctx, lethe.ByID(learner)); err != nil {
		return nil, false, err
	}
	if err := tx.requireContent(ctx, "contentId", content); err != nil {
		return nil, false, err
	}
	tenant := string(tx.actor.TenantID)
	var id string
	err := tx.QueryRowContext(ctx, `SELECT id FROM completions WHERE tenant_id = $1 AND learner_id = $2
		AND content_id = $3 AND completed_at = $4`, tenant, string(learner), content, ms(at)).Scan(&id)
	if err == nil {
		c, err := tx.findCompletion(ctx, id)
		return c, false, err
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, false, fmt.Errorf("find completion: %w", err)
	}
	c := &lethe.Completion{ID: lethe.NewID(tx.now), LearnerID: learner, ContentID: content, CompletedAt: at,
		Type: lethe.CompletionManual, CreatedAt: tx.now}
	res, err := tx.ExecContext(ctx, `INSERT INTO completions (tenant_id, id, learner_id, content_id, completed_at,
		is_rpl, completion_type, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
		tenant, c.ID, string(learner), content, ms(at), false, c.Type, ms(tx.now))
	if err != nil {
		return nil, false, fmt.Errorf("insert completion: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		// A concurrent request recorded it: answer that one.
		return nil, false, &racedError{err: lethe.Errorf(lethe.EConflict, "The completion was recorded concurrently; retry.")}
	}
	if err := tx.emitCompletion(ctx, c); err != nil {
		return nil, false, err
	}
	if c.HadDueDate, err = tx.completeEnrolments(ctx, c); err != nil {
		return nil, false, err
	}
	return c, true, tx.creditCPD(ctx, c)
}

// creditCPD logs a verified CPD entry for a new completion of content that
// has a duration: the minutes are the content's, the date the completion's.
func (tx *Tx) creditCPD(ctx context.Context, c *lethe.Completion) error {
	var title string
	var minutes sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT title, duration_minutes FROM contents WHERE tenant_id = $1 AND id = $2`,
		string(tx.actor.TenantID), c.ContentID).Scan(&title, &minutes)
	if err != nil {
		return fmt.Errorf("read content duration: %w", err)
	}
	if !minutes.Valid || minutes.Int64 <= 0 {
		return nil
	}
	return tx.insertCPDEntry(ctx, &lethe.CPDEntry{ID: lethe.NewID(tx.now), LearnerID: c.LearnerID,
		ActivityType: lethe.CPDActivityContent, ActivityName: title, EntryDate: c.CompletedAt,
		DurationMinutes: int(minutes.Int64), IsVerified: true, CreatedAt: tx.now})
}

// completeEnrolments completes the learner's enrolments that c fulfils:
// those of a live assignment covering the content, assigned, whose status
// when c happened was open or overdue (or scheduled, which a completion
// before the available date does not fulfil). It reports whether any was.
func (tx *Tx) completeEnrolments(ctx context.Context, c *lethe.Completion) (bool, error) {
	tenant := string(tx.actor.TenantID)
	rows, err := tx.QueryContext(ctx, `SELECT `+enrolmentColumns+`, a.alternative_content_ids`+enrolmentFrom+`
		WHERE e.tenant_id = $1 AND e.learner_id = $2 AND e.assigned AND a.deleted_at IS NULL`, tenant, string(c.LearnerID))
	if err != nil {
		return false, fmt.Errorf("find enrolments to complete: %w", err)
	}
	var due []*lethe.Enrolment
	for rows.Next() {
		var alt string
		e, err := scanEnrolment(rows, &alt)
		if err != nil {
			rows.Close()
			return false, err
		}
		a := lethe.Assignment{PrimaryContentID: e.PrimaryContentID}
		if err := json.Unmarshal([]byte(alt), &a.AlternativeContentIDs); err != nil {
			rows.Close()
			return false, err
		}
		if !a.Covers(c.ContentID) {
			continue
		}
		switch lethe.EnrolmentStatusAt(e, c.CompletedAt) {
		case lethe.EnrolmentOpen, lethe.EnrolmentOverdue:
			due = append(due, e)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, err
	}
	for _, e := range due {
		before := lethe.EnrolmentStatusAt(e, tx.now)
		e.LastCompletedAt, e.LastCompletionID = &c.CompletedAt, c.ID
		after := lethe.EnrolmentStatusAt(e, tx.now)
		if _, err := tx.ExecContext(ctx, `UPDATE enrolments SET last_completed_at = $3, last_completion_id = $4, updated_at = $5
			WHERE tenant_id = $1 AND id = $2`, tenant, e.ID, ms(c.CompletedAt), c.ID, ms(tx.now)); err != nil {
			return false, fmt.Errorf("complete enrolment: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO enrolment_history
			(tenant_id, enrolment_id, seq, type, completion_id, previous_status, next_status, created_at)
			VALUES ($1, $2, (SELECT COALESCE(MAX(seq), 0) + 1 FROM enrolment_history WHERE tenant_id = $1 AND enrolment_id = $2),
			        $3, $4, $5, $6, $7)`, tenant, e.ID, lethe.EventCompleted, c.ID, string(before), string(after), ms(tx.now)); err != nil {
			return false, fmt.Errorf("append enrolment event: %w", err)
		}
		if err := tx.emitEnrolment(ctx, lethe.EnrolmentCompletedEvent, e.ID, e.AssignmentID, c.LearnerID, c.ID); err != nil {
			return false, err
		}
	}
	return len(due) > 0, nil
}
