package sqldb

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
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
// to_state of its last transition (the highest seq) at or before the
// moment. The query finds it in one pass over the learner's transitions, in
// primary-key order, without a lookup per transition: the largest
// seq * 3 + state code of a learner is that of its last transition, and its
// remainder modulo 3 is the state. (A NOT EXISTS anti-join on a later
// transition was 2.5 times slower on SQLite; see docs/PERFORMANCE.md.)
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
		inner := `SELECT MAX(h.seq * 3 + ` + stateCode + `) AS last FROM status_history h WHERE h.tenant_id = $1 AND h.at <= $2`
		if aud != "" {
			// From the members, one history range each.
			args = append(args, aud)
			inner = `SELECT MAX(h.seq * 3 + ` + stateCode + `) AS last FROM audience_members m
				JOIN status_history h ON h.tenant_id = m.tenant_id AND h.learner_id = m.learner_id
				WHERE m.tenant_id = $1 AND m.audience_id = $3 AND h.at <= $2`
		}
		rows, err := tx.QueryContext(ctx, `SELECT x.last % 3, COUNT(*) FROM (`+inner+` GROUP BY h.learner_id) x
			GROUP BY x.last % 3`, args...)
		if err != nil {
			return fmt.Errorf("count headcount: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var code, n int
			if err := rows.Scan(&code, &n); err != nil {
				return err
			}
			h.ByState[lethe.AllStates[code]] = n
		}
		return rows.Err()
	})
	return h, err
}

// stateCode is the index of h.to_state in lethe.AllStates (active,
// suspended, deleted).
const stateCode = `CASE h.to_state WHEN 'active' THEN 0 WHEN 'suspended' THEN 1 ELSE 2 END`

// FindCompliance implements lethe.ReportService. The statuses are derived
// in Go by the domain (lethe.NewAssignmentCompliance) from each
// enrolment's stored events up to f.To. The enrolments and their events are
// read in one pass each over the tenant's (or the audience's) rows and
// matched in memory, rather than joined row by row: on SQLite a join costs
// an index lookup per event (docs/PERFORMANCE.md, As-of reports).
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
		if len(list) == 0 {
			return nil
		}
		enrolments, err := tx.reportEnrolments(ctx, list, aud, f.To)
		if err != nil {
			return err
		}
		erased, err := tx.erasedLearners(ctx)
		if err != nil {
			return err
		}
		for _, a := range list {
			r.Assignments = append(r.Assignments, lethe.NewAssignmentCompliance(a, enrolments[a.ID], f.From, f.To,
				func(l lethe.LearnerID) bool { return erased[l] }))
		}
		return nil
	})
	return r, err
}

// reportEnrolments returns the enrolments of assignments (all of audience
// aud, when it is set) by assignment id, with their stored events up to
// `to` in seq order.
func (tx *Tx) reportEnrolments(ctx context.Context, assignments []*lethe.Assignment, aud string, to time.Time) (map[string][]*lethe.Enrolment, error) {
	byID := map[string]*lethe.Assignment{}
	for _, a := range assignments {
		byID[a.ID] = a
	}
	tenant := string(tx.actor.TenantID)
	q, args := `SELECT e.id, e.assignment_id, e.learner_id, e.available_at, e.due_at FROM enrolments e WHERE e.tenant_id = $1`, []any{tenant}
	if aud != "" {
		q, args = q+` AND e.audience_id = $2`, append(args, aud)
	}
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("find enrolments for report: %w", err)
	}
	enrolments := map[string]*withSeqs{}
	out := map[string][]*lethe.Enrolment{}
	for rows.Next() {
		var id, assignment string
		var learner lethe.LearnerID
		var avail, due int64
		if err := rows.Scan(&id, &assignment, &learner, &avail, &due); err != nil {
			rows.Close()
			return nil, err
		}
		a := byID[assignment]
		if a == nil {
			continue // created after the report's end
		}
		e := &lethe.Enrolment{ID: id, AssignmentID: a.ID, AudienceID: a.AudienceID, LearnerID: learner,
			PrimaryContentID: a.PrimaryContentID, Archived: a.Deleted(), AvailableAt: fromMS(avail), DueAt: fromMS(due),
			CompletionPeriod: a.CompletionPeriod, Recurrence: a.Recurrence}
		enrolments[id] = &withSeqs{e: e}
		out[a.ID] = append(out[a.ID], e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := tx.reportEvents(ctx, enrolments, aud, to); err != nil {
		return nil, err
	}
	for _, w := range enrolments {
		sortBySeq(w.e.Events, w.seqs)
	}
	return out, nil
}

// withSeqs is an enrolment of a report, with the seq of each of its events.
type withSeqs struct {
	e    *lethe.Enrolment
	seqs []int64
}

// reportEvents adds to the enrolments their events up to to.
func (tx *Tx) reportEvents(ctx context.Context, enrolments map[string]*withSeqs, aud string, to time.Time) error {
	tenant := string(tx.actor.TenantID)
	// The events, in any order: they are put in seq order per enrolment.
	q := `SELECT h.enrolment_id, h.seq, h.type, h.completion_id, h.previous_status, h.next_status, h.created_at, c.completed_at
		FROM enrolment_history h LEFT JOIN completions c ON c.tenant_id = h.tenant_id AND c.id = h.completion_id
		WHERE h.tenant_id = $1 AND h.created_at <= $2`
	args := []any{tenant, ms(to)}
	if aud != "" {
		q, args = q+` AND h.enrolment_id IN (SELECT e.id FROM enrolments e WHERE e.tenant_id = $1 AND e.audience_id = $3)`, append(args, aud)
	}
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("find enrolment events for report: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var seq, at int64
		var ev lethe.EnrolmentEvent
		var completion, prev sql.NullString
		var completedAt sql.NullInt64
		if err := rows.Scan(&id, &seq, &ev.Type, &completion, &prev, &ev.Next, &at, &completedAt); err != nil {
			return err
		}
		w := enrolments[id]
		if w == nil {
			continue // of another audience's assignment, or one created after the report's end
		}
		ev.CompletionID, ev.Previous, ev.At = completion.String, lethe.EnrolmentStatus(prev.String), fromMS(at)
		ev.CompletedAt = timePtr(completedAt)
		w.e.Events = append(w.e.Events, ev)
		w.seqs = append(w.seqs, seq)
	}
	return rows.Err()
}

// sortBySeq sorts events by seq, the sequence number of each; both are
// usually in order already.
func sortBySeq(events []lethe.EnrolmentEvent, seq []int64) {
	if slices.IsSorted(seq) {
		return
	}
	idx := make([]int, len(seq))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(seq[a], seq[b]) })
	sorted := make([]lethe.EnrolmentEvent, len(events))
	for i, j := range idx {
		sorted[i] = events[j]
	}
	copy(events, sorted)
}

// erasedLearners returns the tenant's erased learners.
func (tx *Tx) erasedLearners(ctx context.Context) (map[lethe.LearnerID]bool, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id FROM learners WHERE tenant_id = $1 AND state = $2`,
		string(tx.actor.TenantID), string(lethe.StateDeleted))
	if err != nil {
		return nil, fmt.Errorf("find erased learners: %w", err)
	}
	defer rows.Close()
	out := map[lethe.LearnerID]bool{}
	for rows.Next() {
		var id lethe.LearnerID
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rows.Err()
}
