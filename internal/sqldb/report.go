package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/lethehq/lethe"
)

// ReportService implements lethe.ReportService. Reports read learners,
// their status history and their learning records by learner id; none
// reads the people table.
type ReportService struct{ db *DB }

// NewReportService returns the report service of db.
func NewReportService(db *DB) *ReportService { return &ReportService{db: db} }

var _ lethe.ReportService = (*ReportService)(nil)

// reportAudience resolves the audience a report is restricted to: "" when
// key is empty, ENotFound naming audienceId when it names none.
func (tx *Tx) reportAudience(ctx context.Context, key string) (string, error) {
	if key == "" {
		return "", nil
	}
	a, err := tx.findAudience(ctx, key)
	if lethe.ErrorCode(err) == lethe.ENotFound {
		return "", lethe.FieldErrorf(lethe.ENotFound, "audienceId", "not_found", "audienceId names no audience")
	}
	if err != nil {
		return "", err
	}
	return a.ID, nil
}

// FindHeadcount implements lethe.ReportService. Each learner counts in the
// to_state of its last transition (by seq) at or before the moment; the
// anti-join finds it with a lookup on the status history's primary key per
// transition.
func (s *ReportService) FindHeadcount(ctx context.Context, f lethe.HeadcountFilter) (h *lethe.Headcount, err error) {
	err = s.db.readTx(ctx, func(tx *Tx) error {
		aud, err := tx.reportAudience(ctx, f.AudienceID)
		if err != nil {
			return err
		}
		h = &lethe.Headcount{AsOf: f.AsOf, AudienceID: aud, ByState: map[lethe.State]int{}}
		for _, st := range lethe.AllStates {
			h.ByState[st] = 0
		}
		args := []any{string(tx.actor.TenantID), ms(f.AsOf)}
		q := `SELECT h.to_state, COUNT(*) FROM status_history h
			WHERE h.tenant_id = $1 AND h.at <= $2
			AND NOT EXISTS (SELECT 1 FROM status_history n WHERE n.tenant_id = $1 AND n.learner_id = h.learner_id
				AND n.seq > h.seq AND n.at <= $2)`
		if aud != "" {
			args = append(args, aud)
			q += ` AND h.learner_id IN (SELECT m.learner_id FROM audience_members m WHERE m.tenant_id = $1 AND m.audience_id = $3)`
		}
		q += ` GROUP BY h.to_state`
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("count headcount: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var st lethe.State
			var n int
			if err := rows.Scan(&st, &n); err != nil {
				return err
			}
			h.ByState[st] = n
		}
		return rows.Err()
	})
	return h, err
}

// FindCompliance implements lethe.ReportService. The statuses are derived
// in Go by the domain (lethe.NewAssignmentCompliance) from each
// enrolment's stored events up to f.To, read in one query per assignment.
func (s *ReportService) FindCompliance(ctx context.Context, f lethe.ComplianceFilter) (r *lethe.ComplianceReport, err error) {
	if f.To.Before(f.From) {
		return nil, lethe.FieldErrorf(lethe.EInvalid, "to", "out_of_range", "to must not be before from")
	}
	err = s.db.readTx(ctx, func(tx *Tx) error {
		aud, err := tx.reportAudience(ctx, f.AudienceID)
		if err != nil {
			return err
		}
		r = &lethe.ComplianceReport{From: f.From, To: f.To, AudienceID: aud, Assignments: []*lethe.AssignmentCompliance{}}
		args := []any{string(tx.actor.TenantID), ms(f.To)}
		where := ` WHERE tenant_id = $1 AND created_at <= $2`
		if aud != "" {
			args = append(args, aud)
			where += ` AND audience_id = $3`
		}
		list, err := queryAll(ctx, tx, scanAssignment, `SELECT `+assignmentColumns+` FROM assignments`+where+` ORDER BY id`, args...)
		if err != nil {
			return fmt.Errorf("find assignments: %w", err)
		}
		for _, a := range list {
			enrolments, erased, err := tx.reportEnrolments(ctx, a, f.To)
			if err != nil {
				return err
			}
			r.Assignments = append(r.Assignments, lethe.NewAssignmentCompliance(a, enrolments, f.From, f.To,
				func(l lethe.LearnerID) bool { return erased[l] }))
		}
		return nil
	})
	return r, err
}

// reportEnrolments returns the enrolments of assignment a with their stored
// events up to `to` (an enrolment without any did not exist yet and is left
// out), and which of their learners are erased now.
func (tx *Tx) reportEnrolments(ctx context.Context, a *lethe.Assignment, to time.Time) ([]*lethe.Enrolment, map[lethe.LearnerID]bool, error) {
	rows, err := tx.QueryContext(ctx, `SELECT e.id, e.learner_id, e.available_at, e.due_at, l.state,
		h.type, h.completion_id, h.previous_status, h.next_status, h.created_at, c.completed_at
		FROM enrolments e
		JOIN learners l ON l.tenant_id = e.tenant_id AND l.id = e.learner_id
		JOIN enrolment_history h ON h.tenant_id = e.tenant_id AND h.enrolment_id = e.id
		LEFT JOIN completions c ON c.tenant_id = h.tenant_id AND c.id = h.completion_id
		WHERE e.tenant_id = $1 AND e.assignment_id = $2 AND h.created_at <= $3
		ORDER BY e.id, h.seq`, string(tx.actor.TenantID), a.ID, ms(to))
	if err != nil {
		return nil, nil, fmt.Errorf("find enrolments for report: %w", err)
	}
	defer rows.Close()
	var out []*lethe.Enrolment
	erased := map[lethe.LearnerID]bool{}
	var cur *lethe.Enrolment
	for rows.Next() {
		var id string
		var learner lethe.LearnerID
		var state lethe.State
		var avail, due, at int64
		var ev lethe.EnrolmentEvent
		var completion, prev sql.NullString
		var completedAt sql.NullInt64
		if err := rows.Scan(&id, &learner, &avail, &due, &state, &ev.Type, &completion, &prev, &ev.Next, &at,
			&completedAt); err != nil {
			return nil, nil, err
		}
		if cur == nil || cur.ID != id {
			cur = &lethe.Enrolment{ID: id, AssignmentID: a.ID, AudienceID: a.AudienceID, LearnerID: learner,
				PrimaryContentID: a.PrimaryContentID, Archived: a.Deleted(), AvailableAt: fromMS(avail), DueAt: fromMS(due),
				CompletionPeriod: a.CompletionPeriod, Recurrence: a.Recurrence}
			out = append(out, cur)
			if state == lethe.StateDeleted {
				erased[learner] = true
			}
		}
		ev.CompletionID, ev.Previous, ev.At = completion.String, lethe.EnrolmentStatus(prev.String), fromMS(at)
		ev.CompletedAt = timePtr(completedAt)
		cur.Events = append(cur.Events, ev)
	}
	return out, erased, rows.Err()
}
