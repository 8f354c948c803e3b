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

// AssignmentService implements lethe.AssignmentService.
type AssignmentService struct {
	db *DB
	// EnrolBatch is how many enrolments one transaction creates for a new
	// assignment: the first batch is written with the assignment, the rest
	// in transactions of their own, so no write lock is held for long.
	EnrolBatch int
}

// NewAssignmentService returns the assignment service of db.
func NewAssignmentService(db *DB) *AssignmentService {
	return &AssignmentService{db: db, EnrolBatch: 1000}
}

var _ lethe.AssignmentService = (*AssignmentService)(nil)

var errAssignmentNotFound = lethe.Errorf(lethe.ENotFound, "Assignment not found.")

const assignmentColumns = `id, audience_id, primary_content_id, alternative_content_ids, hide_alternative_content,
	completion_period, recurrence, deleted_at, created_at, updated_at`

func scanAssignment(row rowScanner) (*lethe.Assignment, error) {
	var a lethe.Assignment
	var alt string
	var recurrence, deleted sql.NullInt64
	var created, updated int64
	if err := row.Scan(&a.ID, &a.AudienceID, &a.PrimaryContentID, &alt, &a.HideAlternativeContent,
		&a.CompletionPeriod, &recurrence, &deleted, &created, &updated); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(alt), &a.AlternativeContentIDs); err != nil {
		return nil, fmt.Errorf("alternative content ids: %w", err)
	}
	if a.AlternativeContentIDs == nil {
		a.AlternativeContentIDs = []string{}
	}
	if recurrence.Valid {
		r := int(recurrence.Int64)
		a.Recurrence = &r
	}
	a.DeletedAt, a.CreatedAt, a.UpdatedAt = timePtr(deleted), fromMS(created), fromMS(updated)
	return &a, nil
}

func (tx *Tx) findAssignment(ctx context.Context, id string) (*lethe.Assignment, error) {
	id, ok := lethe.ParseID(id)
	if !ok {
		return nil, errAssignmentNotFound
	}
	a, err := scanAssignment(tx.QueryRowContext(ctx, `SELECT `+assignmentColumns+` FROM assignments
		WHERE tenant_id = $1 AND id = $2`, string(tx.actor.TenantID), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errAssignmentNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("find assignment: %w", err)
	}
	return a, nil
}

// validateAssignment checks the stored invariants of an assignment.
func validateAssignment(a *lethe.Assignment) error {
	if _, ok := lethe.ParseID(a.PrimaryContentID); !ok {
		return lethe.FieldErrorf(lethe.EInvalid, "contentId", "invalid", "contentId must be 24 hexadecimal characters")
	}
	if len(a.AlternativeContentIDs) > lethe.MaxAlternativeContentIDs {
		return lethe.FieldErrorf(lethe.EInvalid, "alternativeContentIds", "too_many",
			"alternativeContentIds must have at most %d items", lethe.MaxAlternativeContentIDs)
	}
	for _, id := range a.AlternativeContentIDs {
		if _, ok := lethe.ParseID(id); !ok {
			return lethe.FieldErrorf(lethe.EInvalid, "alternativeContentIds", "invalid",
				"alternativeContentIds must hold ids of 24 hexadecimal characters")
		}
	}
	if a.CompletionPeriod < 1 || a.CompletionPeriod > lethe.MaxPeriodDays {
		return lethe.FieldErrorf(lethe.EInvalid, "completionPeriod", "out_of_range",
			"completionPeriod must be between 1 and %d days", lethe.MaxPeriodDays)
	}
	if a.Recurrence != nil && (*a.Recurrence < 1 || *a.Recurrence > lethe.MaxPeriodDays) {
		return lethe.FieldErrorf(lethe.EInvalid, "recurrence", "out_of_range",
			"recurrence must be between 1 and %d days, or null", lethe.MaxPeriodDays)
	}
	return nil
}

// apply writes f's content fields onto a, normalising ids to lower case.
func applyAssignment(a *lethe.Assignment, f lethe.AssignmentFields) {
	if f.ContentID != nil {
		a.PrimaryContentID = lowerID(*f.ContentID)
	}
	if f.AlternativeContentIDs != nil {
		a.AlternativeContentIDs = make([]string, len(*f.AlternativeContentIDs))
		for i, id := range *f.AlternativeContentIDs {
			a.AlternativeContentIDs[i] = lowerID(id)
		}
	}
	if f.HideAlternativeContent != nil {
		a.HideAlternativeContent = *f.HideAlternativeContent
	}
	if f.CompletionPeriod != nil {
		a.CompletionPeriod = *f.CompletionPeriod
	}
	if f.Recurrence != nil {
		a.Recurrence = f.Recurrence
		if *f.Recurrence == 0 {
			a.Recurrence = nil
		}
	}
}

// requireAssignmentContent checks that the content an assignment names
// exists: ENotFound naming the field otherwise.
func (tx *Tx) requireAssignmentContent(ctx context.Context, a *lethe.Assignment) error {
	if err := tx.requireContent(ctx, "contentId", a.PrimaryContentID); err != nil {
		return err
	}
	for i, id := range a.AlternativeContentIDs {
		if err := tx.requireContent(ctx, "alternativeContentIds["+strconv.Itoa(i)+"]", id); err != nil {
			return err
		}
	}
	return nil
}

func lowerID(s string) string {
	if id, ok := lethe.ParseID(s); ok {
		return id
	}
	return s
}

func altJSON(ids []string) string {
	if ids == nil {
		ids = []string{}
	}
	b, _ := json.Marshal(ids)
	return string(b)
}

func nullInt(p *int) any {
	if p == nil {
		return nil
	}
	return int64(*p)
}

// audienceField finds the audience named in a body field: a missing one is
// a 422 naming the field, not a 404 (the path was found).
func (tx *Tx) audienceField(ctx context.Context, field string, key *string) (*lethe.Audience, error) {
	if key == nil || *key == "" {
		return nil, lethe.FieldErrorf(lethe.EInvalid, field, "required", "%s is required", field)
	}
	a, err := tx.findAudience(ctx, *key)
	if lethe.ErrorCode(err) == lethe.ENotFound {
		return nil, lethe.FieldErrorf(lethe.EInvalid, field, "not_found", "%s names no audience", field)
	}
	return a, err
}

// CreateAssignment implements lethe.AssignmentService. The assignment and
// the enrolments of its audience's first EnrolBatch members are written in
// one transaction; the remaining members are enrolled in further
// transactions of EnrolBatch each (see docs/adr/0005).
func (s *AssignmentService) CreateAssignment(ctx context.Context, f lethe.AssignmentFields) (*lethe.Assignment, error) {
	return s.CreateAssignmentWithID(ctx, "", f)
}

// CreateAssignmentWithID is CreateAssignment with a chosen id, for fixtures
// such as the demo tenant whose documented examples name fixed ids. An
// empty id generates one.
func (s *AssignmentService) CreateAssignmentWithID(ctx context.Context, id string, f lethe.AssignmentFields) (a *lethe.Assignment, err error) {
	var la liveAssignment
	after := ""
	done := false
	err = s.db.writeTx(ctx, func(tx *Tx) error {
		aud, err := tx.audienceField(ctx, "audienceId", f.AudienceID)
		if err != nil {
			return err
		}
		if f.ContentID == nil {
			return lethe.FieldErrorf(lethe.EInvalid, "contentId", "required", "contentId is required")
		}
		if id == "" {
			id = lethe.NewID(tx.now)
		}
		a = &lethe.Assignment{ID: id, AudienceID: aud.ID, CompletionPeriod: lethe.DefaultCompletionPeriod,
			AlternativeContentIDs: []string{}, CreatedAt: tx.now, UpdatedAt: tx.now}
		applyAssignment(a, f)
		if err := validateAssignment(a); err != nil {
			return err
		}
		if err := tx.requireAssignmentContent(ctx, a); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO assignments (tenant_id, id, audience_id, primary_content_id,
			alternative_content_ids, hide_alternative_content, completion_period, recurrence, is_active, deleted_at,
			created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, $10, $10)`,
			string(tx.actor.TenantID), a.ID, a.AudienceID, a.PrimaryContentID, altJSON(a.AlternativeContentIDs),
			a.HideAlternativeContent, int64(a.CompletionPeriod), nullInt(a.Recurrence), true, ms(tx.now))
		if err != nil {
			return fmt.Errorf("insert assignment: %w", err)
		}
		if err := tx.emitAssignment(ctx, lethe.AssignmentCreatedEvent, a); err != nil {
			return err
		}
		la = liveAssignment{id: a.ID, completionPeriod: a.CompletionPeriod}
		after, done, err = tx.enrolBatch(ctx, la, aud.ID, "", s.EnrolBatch)
		if err != nil || done {
			return err
		}
		return tx.setEnrolCursor(ctx, a.ID, after)
	})
	if err != nil {
		return nil, err
	}
	// The rest of a large audience, one short transaction at a time. If the
	// process stops meanwhile, ResumeEnrolments carries on from the cursor.
	if !done {
		if err := s.enrolRest(context.WithoutCancel(ctx), la, a.AudienceID, after); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// setEnrolCursor records how far the enrolment of an assignment's audience
// has come; an empty after means it is complete.
func (tx *Tx) setEnrolCursor(ctx context.Context, id, after string) error {
	var cursor any
	if after != "" {
		cursor = after
	}
	_, err := tx.ExecContext(ctx, `UPDATE assignments SET enrol_cursor = $3 WHERE tenant_id = $1 AND id = $2`,
		string(tx.actor.TenantID), id, cursor)
	if err != nil {
		return fmt.Errorf("record enrolment progress: %w", err)
	}
	return nil
}

// enrolRest enrols the members after `after`, one transaction of EnrolBatch
// at a time, moving the cursor with each. The assignment is visible already:
// members added meanwhile are enrolled by AddMembers, and each batch skips
// whoever has an enrolment, so a batch done twice changes nothing.
func (s *AssignmentService) enrolRest(ctx context.Context, la liveAssignment, audienceID, after string) error {
	for done := false; !done; {
		err := s.db.writeTx(ctx, func(tx *Tx) error {
			cur, err := tx.findAssignment(ctx, la.id)
			if err != nil {
				return err
			}
			if cur.Deleted() { // deleted meanwhile: nothing more to enrol
				done = true
				return tx.setEnrolCursor(ctx, la.id, "")
			}
			var next string
			if next, done, err = tx.enrolBatch(ctx, la, audienceID, after, s.EnrolBatch); err != nil {
				return err
			}
			if done {
				next = ""
			}
			after = next
			return tx.setEnrolCursor(ctx, la.id, next)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// ResumeEnrolments finishes the enrolments of every assignment, in every
// tenant, whose batches were cut short (the process stopped between two).
// It answers how many assignments it resumed. Safe to run from several
// processes at once: batches skip existing enrolments.
func (s *AssignmentService) ResumeEnrolments(ctx context.Context) (int, error) {
	tenants, err := NewTenantService(s.db).FindTenants(ctx)
	if err != nil {
		return 0, err
	}
	resumed := 0
	for _, t := range tenants {
		tctx := lethe.WithActor(ctx, lethe.Actor{TenantID: t.ID, Source: lethe.SourcePolicy, Name: "resume-enrolments"})
		type pending struct {
			la       liveAssignment
			audience string
			after    string
		}
		var todo []pending
		err := s.db.readTx(tctx, func(tx *Tx) error {
			rows, err := tx.QueryContext(ctx, `SELECT id, audience_id, completion_period, enrol_cursor FROM assignments
				WHERE tenant_id = $1 AND enrol_cursor IS NOT NULL`, string(t.ID))
			if err != nil {
				return fmt.Errorf("find unfinished enrolments: %w", err)
			}
			defer rows.Close()
			for rows.Next() {
				var p pending
				if err := rows.Scan(&p.la.id, &p.audience, &p.la.completionPeriod, &p.after); err != nil {
					return err
				}
				todo = append(todo, p)
			}
			return rows.Err()
		})
		if err != nil {
			return resumed, err
		}
		for _, p := range todo {
			if err := s.enrolRest(tctx, p.la, p.audience, p.after); err != nil {
				return resumed, err
			}
			resumed++
		}
	}
	return resumed, nil
}

// enrolBatch enrols up to n members of the audience whose learner id sorts
// after after and who have no enrolment in the assignment. It answers the
// last learner id read and whether no member is left. Two range scans on
// primary and unique keys, so the plan cannot turn quadratic (an anti-join
// planned on stale statistics took over a second per batch on PostgreSQL).
func (tx *Tx) enrolBatch(ctx context.Context, a liveAssignment, audienceID, after string, n int) (string, bool, error) {
	tenant := string(tx.actor.TenantID)
	learners, err := tx.learnerIDs(ctx, `SELECT learner_id FROM audience_members
		WHERE tenant_id = $1 AND audience_id = $2 AND learner_id > $3 ORDER BY learner_id LIMIT $4`, tenant, audienceID, after, n)
	if err != nil || len(learners) == 0 {
		return "", true, err
	}
	last := string(learners[len(learners)-1])
	enrolled, err := tx.learnerIDs(ctx, `SELECT learner_id FROM enrolments
		WHERE tenant_id = $1 AND assignment_id = $2 AND learner_id > $3 AND learner_id <= $4`, tenant, a.id, after, last)
	if err != nil {
		return "", false, err
	}
	has := map[lethe.LearnerID]bool{}
	for _, id := range enrolled {
		has[id] = true
	}
	var missing []lethe.LearnerID
	for _, id := range learners {
		if !has[id] {
			missing = append(missing, id)
		}
	}
	if err := tx.insertEnrolments(ctx, a, audienceID, missing); err != nil {
		return "", false, err
	}
	return last, len(learners) < n, nil
}

// learnerIDs runs a query that answers one learner id per row.
func (tx *Tx) learnerIDs(ctx context.Context, q string, args ...any) ([]lethe.LearnerID, error) {
	ids, err := queryAll(ctx, tx, func(r rowScanner) (id lethe.LearnerID, err error) { return id, r.Scan(&id) }, q, args...)
	if err != nil {
		return nil, fmt.Errorf("find learners: %w", err)
	}
	return ids, nil
}

// FindAssignmentByID implements lethe.AssignmentService.
func (s *AssignmentService) FindAssignmentByID(ctx context.Context, id string) (a *lethe.Assignment, err error) {
	err = s.db.readTx(ctx, func(tx *Tx) error {
		a, err = tx.findAssignment(ctx, id)
		return err
	})
	return a, err
}

// FindAssignments implements lethe.AssignmentService.
func (s *AssignmentService) FindAssignments(ctx context.Context, f lethe.AssignmentFilter) (out []*lethe.Assignment, total int, err error) {
	err = s.db.readTx(ctx, func(tx *Tx) error {
		args := []any{string(tx.actor.TenantID)}
		where := ` WHERE tenant_id = $1`
		if f.AudienceID != "" {
			aud, err := tx.findAudience(ctx, f.AudienceID)
			if lethe.ErrorCode(err) == lethe.ENotFound {
				return nil // no such audience: no assignment
			}
			if err != nil {
				return err
			}
			args = append(args, aud.ID)
			where += ` AND audience_id = $2`
		}
		if f.UpdatedSince != nil {
			args = append(args, ms(*f.UpdatedSince))
			where += ` AND updated_at >= $` + strconv.Itoa(len(args))
		}
		page := pageClause(&args, f.Limit, f.Offset)
		out, err = queryAll(ctx, tx, scanAssignment, `SELECT `+assignmentColumns+` FROM assignments`+where+` ORDER BY id`+page, args...)
		if err != nil {
			return fmt.Errorf("find assignments: %w", err)
		}
		return nil
	})
	return out, -1, err
}

// matchAudience checks that the audience named in field is the
// assignment's: a mismatch or an unknown audience is a 422 naming it.
func (tx *Tx) matchAudience(ctx context.Context, a *lethe.Assignment, key *string) error {
	aud, err := tx.audienceField(ctx, "audienceId", key)
	if lethe.ErrorCode(err) == lethe.EInvalid {
		return err
	}
	if err != nil {
		return err
	}
	if aud.ID != a.AudienceID {
		return lethe.FieldErrorf(lethe.EInvalid, "audienceId", "mismatch", "audienceId must name the assignment's audience")
	}
	return nil
}

// UpdateAssignment implements lethe.AssignmentService. A new completion
// period moves the due date of every enrolment's first cycle.
func (s *AssignmentService) UpdateAssignment(ctx context.Context, id string, f lethe.AssignmentFields) (a *lethe.Assignment, err error) {
	err = s.db.writeTx(ctx, func(tx *Tx) error {
		if a, err = tx.findAssignment(ctx, id); err != nil {
			return err
		}
		if err := tx.matchAudience(ctx, a, f.AudienceID); err != nil {
			return err
		}
		if a.Deleted() {
			return lethe.Errorf(lethe.EConflict, "The assignment has been deleted.")
		}
		before := *a
		f.HideAlternativeContent = nil // not part of the vendor's update
		applyAssignment(a, f)
		if err := validateAssignment(a); err != nil {
			return err
		}
		if err := tx.requireAssignmentContent(ctx, a); err != nil {
			return err
		}
		if a.PrimaryContentID == before.PrimaryContentID && altJSON(a.AlternativeContentIDs) == altJSON(before.AlternativeContentIDs) &&
			a.CompletionPeriod == before.CompletionPeriod && fmt.Sprint(nullInt(a.Recurrence)) == fmt.Sprint(nullInt(before.Recurrence)) {
			return nil
		}
		a.UpdatedAt = tx.now
		tenant := string(tx.actor.TenantID)
		_, err := tx.ExecContext(ctx, `UPDATE assignments SET primary_content_id = $3, alternative_content_ids = $4,
			completion_period = $5, recurrence = $6, updated_at = $7 WHERE tenant_id = $1 AND id = $2`,
			tenant, a.ID, a.PrimaryContentID, altJSON(a.AlternativeContentIDs), int64(a.CompletionPeriod),
			nullInt(a.Recurrence), ms(tx.now))
		if err != nil {
			return fmt.Errorf("update assignment: %w", err)
		}
		if err := tx.emitAssignment(ctx, lethe.AssignmentUpdatedEvent, a); err != nil {
			return err
		}
		if a.CompletionPeriod != before.CompletionPeriod {
			_, err = tx.ExecContext(ctx, `UPDATE enrolments SET due_at = available_at + $3, updated_at = $4
				WHERE tenant_id = $1 AND assignment_id = $2`, tenant, a.ID, int64(a.CompletionPeriod)*dayMS, ms(tx.now))
			if err != nil {
				return fmt.Errorf("move due dates: %w", err)
			}
		}
		return nil
	})
	return a, err
}

// archiveAssignment archives assignment a and its enrolments.
func (tx *Tx) archiveAssignment(ctx context.Context, a *lethe.Assignment) error {
	if _, err := tx.markEnrolments(ctx, lethe.EventArchived, "e.assignment_id = $3", a.ID); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE assignments SET is_active = $3, deleted_at = $4, updated_at = $4
		WHERE tenant_id = $1 AND id = $2`, string(tx.actor.TenantID), a.ID, false, ms(tx.now))
	if err != nil {
		return fmt.Errorf("archive assignment: %w", err)
	}
	a.DeletedAt, a.UpdatedAt = &tx.now, tx.now
	return tx.emitAssignment(ctx, lethe.AssignmentDeletedEvent, a)
}

// DeleteAssignment implements lethe.AssignmentService: a soft delete that
// keeps the assignment and its enrolments, archived. Deleting a deleted
// assignment changes nothing.
func (s *AssignmentService) DeleteAssignment(ctx context.Context, id, audience string) error {
	return s.db.writeTx(ctx, func(tx *Tx) error {
		a, err := tx.findAssignment(ctx, id)
		if err != nil {
			return err
		}
		if err := tx.matchAudience(ctx, a, &audience); err != nil {
			return err
		}
		if a.Deleted() {
			return nil
		}
		return tx.archiveAssignment(ctx, a)
	})
}

// Schedule moves the availability of assignment id's enrolments that
// have no completion to availableAt, due a completion period later, as if
// the assignment had been scheduled to open then: they are "scheduled"
// until that time. The vendor API has no way to schedule an assignment;
// this is for seeded data (the demo, benchmarks).
func (s *AssignmentService) Schedule(ctx context.Context, id string, availableAt time.Time) error {
	return s.db.writeTx(ctx, func(tx *Tx) error {
		tenant := string(tx.actor.TenantID)
		var period int64
		if err := tx.QueryRowContext(ctx, `SELECT completion_period FROM assignments WHERE tenant_id = $1 AND id = $2`,
			tenant, id).Scan(&period); err != nil {
			return fmt.Errorf("find assignment: %w", err)
		}
		at := ms(availableAt)
		if _, err := tx.ExecContext(ctx, `UPDATE enrolments SET available_at = $3, due_at = $4, updated_at = $5
			WHERE tenant_id = $1 AND assignment_id = $2 AND last_completed_at IS NULL`,
			tenant, id, at, ms(availableAt.Add(time.Duration(period)*lethe.Day)), ms(tx.now)); err != nil {
			return fmt.Errorf("schedule enrolments: %w", err)
		}
		_, err := tx.ExecContext(ctx, `UPDATE enrolment_history SET next_status = $3 WHERE tenant_id = $1 AND seq = 1
			AND enrolment_id IN (SELECT id FROM enrolments WHERE tenant_id = $1 AND assignment_id = $2 AND last_completed_at IS NULL)`,
			tenant, id, string(lethe.EnrolmentScheduled))
		if err != nil {
			return fmt.Errorf("schedule enrolment events: %w", err)
		}
		return nil
	})
}
