package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lethehq/lethe"
)

// EnrolmentService implements lethe.EnrolmentService.
type EnrolmentService struct{ db *DB }

// NewEnrolmentService returns the enrolment service of db.
func NewEnrolmentService(db *DB) *EnrolmentService { return &EnrolmentService{db: db} }

var _ lethe.EnrolmentService = (*EnrolmentService)(nil)

// enrolmentPredicates returns, for each status, the SQL condition on an
// enrolment e joined to its assignment a that holds when
// lethe.EnrolmentStatusAt answers that status at the time in parameter now.
// assigned is the expression of the assigned flag ("e.assigned", or "TRUE"
// to ask what the status would be once assigned). The conditions exclude
// each other and cover every row; TestEnrolmentService_StatusFilter checks
// them against the Go function.
func enrolmentPredicates(now, assigned string) map[lethe.EnrolmentStatus]string {
	day := strconv.FormatInt(dayMS, 10) // periods are stored in days
	live := "a.deleted_at IS NULL AND " + assigned
	// done: completed in the first cycle; renewed: a recurrence has since
	// opened a new cycle, Recurrence days after the completion.
	done := "e.last_completed_at IS NOT NULL AND e.last_completed_at >= e.available_at"
	renewAt := "e.last_completed_at + a.recurrence * " + day
	renewed := done + " AND a.recurrence IS NOT NULL AND " + now + " >= " + renewAt
	renewDue := renewAt + " + a.completion_period * " + day
	return map[lethe.EnrolmentStatus]string{
		lethe.EnrolmentArchived:   "(a.deleted_at IS NOT NULL)",
		lethe.EnrolmentUnassigned: "(a.deleted_at IS NULL AND NOT " + assigned + ")",
		lethe.EnrolmentComplete: "(" + live + " AND " + done + " AND (a.recurrence IS NULL OR " + now + " < " +
			renewAt + "))",
		lethe.EnrolmentScheduled: "(" + live + " AND NOT (" + done + ") AND " + now + " < e.available_at)",
		lethe.EnrolmentOpen: "(" + live + " AND ((NOT (" + done + ") AND " + now + " >= e.available_at AND " + now +
			" < e.due_at) OR (" + renewed + " AND " + now + " < " + renewDue + ")))",
		lethe.EnrolmentOverdue: "(" + live + " AND ((NOT (" + done + ") AND " + now + " >= e.due_at) OR (" + renewed +
			" AND " + now + " >= " + renewDue + ")))",
	}
}

// enrolmentStatusCase is a CASE expression giving the status of e at now.
func enrolmentStatusCase(now, assigned string) string {
	p := enrolmentPredicates(now, assigned)
	var b strings.Builder
	b.WriteString("CASE")
	for _, st := range lethe.AllEnrolmentStatuses {
		b.WriteString(" WHEN " + p[st] + " THEN '" + string(st) + "'")
	}
	b.WriteString(" END")
	return b.String()
}

// markEnrolments appends an event of type typ (unassigned, assigned or
// archived) to the live enrolments that cond selects, and changes them: an
// unassigned enrolment is no longer assigned, an assigned one is again. cond
// is a condition on e (the enrolment) and a (its assignment) whose
// parameters start at $3 ($1 is the tenant, $2 the time).
func (tx *Tx) markEnrolments(ctx context.Context, typ, cond string, args ...any) (int, error) {
	var pre, next, set string
	switch typ {
	case lethe.EventUnassigned:
		pre, next, set = "e.assigned", "'unassigned'", "assigned = FALSE, "
	case lethe.EventAssigned:
		pre, next, set = "NOT e.assigned", enrolmentStatusCase("$2", "TRUE"), "assigned = TRUE, "
	case lethe.EventArchived:
		pre, next = "TRUE", "'archived'"
	default:
		return 0, fmt.Errorf("mark enrolments: unknown event %q", typ)
	}
	all := append([]any{string(tx.actor.TenantID), ms(tx.now)}, args...)
	_, err := tx.ExecContext(ctx, `INSERT INTO enrolment_history
		(tenant_id, enrolment_id, seq, type, completion_id, previous_status, next_status, created_at)
		SELECT e.tenant_id, e.id,
			(SELECT COALESCE(MAX(h.seq), 0) + 1 FROM enrolment_history h WHERE h.tenant_id = $1 AND h.enrolment_id = e.id),
			'`+typ+`', NULL, `+enrolmentStatusCase("$2", "e.assigned")+`, `+next+`, $2
		FROM enrolments e JOIN assignments a ON a.tenant_id = e.tenant_id AND a.id = e.assignment_id
		WHERE e.tenant_id = $1 AND a.deleted_at IS NULL AND `+pre+` AND `+cond, all...)
	if err != nil {
		return 0, fmt.Errorf("append enrolment events: %w", err)
	}
	res, err := tx.ExecContext(ctx, `UPDATE enrolments SET `+set+`updated_at = $2 WHERE tenant_id = $1 AND id IN
		(SELECT e.id FROM enrolments e JOIN assignments a ON a.tenant_id = e.tenant_id AND a.id = e.assignment_id
		 WHERE e.tenant_id = $1 AND a.deleted_at IS NULL AND `+pre+` AND `+cond+`)`, all...)
	if err != nil {
		return 0, fmt.Errorf("mark enrolments: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// liveAssignment is what enrolling needs to know of an assignment.
type liveAssignment struct {
	id               string
	completionPeriod int
}

// audienceAssignments returns the live assignments of an audience.
func (tx *Tx) audienceAssignments(ctx context.Context, audienceID string) ([]liveAssignment, error) {
	out, err := queryAll(ctx, tx, func(r rowScanner) (a liveAssignment, err error) {
		err = r.Scan(&a.id, &a.completionPeriod)
		return a, err
	}, `SELECT id, completion_period FROM assignments
		WHERE tenant_id = $1 AND audience_id = $2 AND deleted_at IS NULL ORDER BY id`, string(tx.actor.TenantID), audienceID)
	if err != nil {
		return nil, fmt.Errorf("find audience assignments: %w", err)
	}
	return out, nil
}

// insertEnrolments creates an enrolment, available now, with its assigned
// event, for each learner under assignment a of audience audienceID. None
// may have one yet.
func (tx *Tx) insertEnrolments(ctx context.Context, a liveAssignment, audienceID string, learners []lethe.LearnerID) error {
	if len(learners) == 0 {
		return nil
	}
	tenant, now := string(tx.actor.TenantID), ms(tx.now)
	due := tx.now.Add(time.Duration(a.completionPeriod) * lethe.Day)
	status := lethe.EnrolmentStatusAt(&lethe.Enrolment{Assigned: true, AvailableAt: tx.now, DueAt: due}, tx.now)
	enr := tx.rows(`INSERT INTO enrolments (tenant_id, id, assignment_id, learner_id, audience_id, assigned,
		available_at, due_at, created_at, updated_at) VALUES `, 10)
	hist := tx.rows(`INSERT INTO enrolment_history (tenant_id, enrolment_id, seq, type, completion_id,
		previous_status, next_status, created_at) VALUES `, 8)
	hist.after = enr
	defer enr.close()
	defer hist.close()
	for _, l := range learners {
		id := lethe.NewID(tx.now)
		if err := enr.add(ctx, tenant, id, a.id, string(l), audienceID, true, now, ms(due), now, now); err != nil {
			return tx.enrolmentsFailed(err)
		}
		if err := hist.add(ctx, tenant, id, 1, lethe.EventAssigned, nil, nil, string(status), now); err != nil {
			return tx.enrolmentsFailed(err)
		}
		if err := tx.emitEnrolment(ctx, lethe.EnrolmentCreatedEvent, id, a.id, l, ""); err != nil {
			return err
		}
	}
	if err := enr.flush(ctx); err != nil {
		return tx.enrolmentsFailed(err)
	}
	if err := hist.flush(ctx); err != nil {
		return fmt.Errorf("insert enrolment events: %w", err)
	}
	return nil
}

// enrolmentsFailed is the error of a failed insert of enrolments (or of
// the events written after them).
func (tx *Tx) enrolmentsFailed(err error) error {
	if tx.db.dialect.isUniqueViolation(err) {
		// A concurrent transaction enrolled the same learner: run again.
		return &racedError{err: lethe.Errorf(lethe.EConflict, "The enrolments changed concurrently; retry.")}
	}
	return fmt.Errorf("insert enrolments: %w", err)
}

// enrolMembers gives learners, new members of an audience, an enrolment in
// each of the audience's live assignments: a new one, or their old one
// assigned again.
func (tx *Tx) enrolMembers(ctx context.Context, audienceID string, learners []lethe.LearnerID) error {
	if len(learners) == 0 {
		return nil
	}
	assignments, err := tx.audienceAssignments(ctx, audienceID)
	if err != nil || len(assignments) == 0 {
		return err
	}
	args := []any{audienceID}
	marks := make([]string, len(learners))
	for i, l := range learners {
		args = append(args, string(l))
		marks[i] = "$" + strconv.Itoa(i+4)
	}
	in := strings.Join(marks, ", ")
	if _, err := tx.markEnrolments(ctx, lethe.EventAssigned, "e.audience_id = $3 AND e.learner_id IN ("+in+")", args...); err != nil {
		return err
	}
	// Who has an enrolment already, in which assignment.
	qargs := append([]any{string(tx.actor.TenantID)}, args...)
	qmarks := make([]string, len(learners))
	for i := range learners {
		qmarks[i] = "$" + strconv.Itoa(i+3)
	}
	rows, err := tx.QueryContext(ctx, `SELECT assignment_id, learner_id FROM enrolments
		WHERE tenant_id = $1 AND audience_id = $2 AND learner_id IN (`+strings.Join(qmarks, ", ")+`)`, qargs...)
	if err != nil {
		return fmt.Errorf("find enrolments: %w", err)
	}
	has := map[[2]string]bool{}
	for rows.Next() {
		var a, l string
		if err := rows.Scan(&a, &l); err != nil {
			rows.Close()
			return err
		}
		has[[2]string{a, l}] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, a := range assignments {
		var missing []lethe.LearnerID
		for _, l := range learners {
			if !has[[2]string{a.id, string(l)}] {
				missing = append(missing, l)
			}
		}
		if err := tx.insertEnrolments(ctx, a, audienceID, missing); err != nil {
			return err
		}
	}
	return nil
}

const enrolmentColumns = `e.id, e.assignment_id, e.audience_id, e.learner_id, a.primary_content_id, e.assigned,
	a.deleted_at, e.available_at, e.due_at, e.last_completed_at, e.last_completion_id, a.completion_period,
	a.recurrence, e.created_at, e.updated_at`

const enrolmentFrom = ` FROM enrolments e JOIN assignments a ON a.tenant_id = e.tenant_id AND a.id = e.assignment_id`

// scanEnrolment scans enrolmentColumns, then any extra columns into extra.
func scanEnrolment(row interface{ Scan(...any) error }, extra ...any) (*lethe.Enrolment, error) {
	var e lethe.Enrolment
	var deleted, lastAt, recurrence sql.NullInt64
	var lastID sql.NullString
	var avail, due, created, updated int64
	dst := append([]any{&e.ID, &e.AssignmentID, &e.AudienceID, &e.LearnerID, &e.PrimaryContentID, &e.Assigned,
		&deleted, &avail, &due, &lastAt, &lastID, &e.CompletionPeriod, &recurrence, &created, &updated}, extra...)
	if err := row.Scan(dst...); err != nil {
		return nil, err
	}
	e.Archived = deleted.Valid
	e.AvailableAt, e.DueAt, e.CreatedAt, e.UpdatedAt = fromMS(avail), fromMS(due), fromMS(created), fromMS(updated)
	e.LastCompletedAt, e.LastCompletionID = timePtr(lastAt), lastID.String
	if recurrence.Valid {
		r := int(recurrence.Int64)
		e.Recurrence = &r
	}
	return &e, nil
}

// loadEvents fills the events of enrolments, in one query.
func (tx *Tx) loadEvents(ctx context.Context, enrolments []*lethe.Enrolment) error {
	if len(enrolments) == 0 {
		return nil
	}
	byID := map[string]*lethe.Enrolment{}
	args := []any{string(tx.actor.TenantID)}
	marks := make([]string, len(enrolments))
	for i, e := range enrolments {
		byID[e.ID] = e
		args = append(args, e.ID)
		marks[i] = "$" + strconv.Itoa(i+2)
	}
	rows, err := tx.QueryContext(ctx, `SELECT h.enrolment_id, h.type, h.completion_id, h.previous_status, h.next_status,
		h.created_at, c.completed_at
		FROM enrolment_history h LEFT JOIN completions c ON c.tenant_id = h.tenant_id AND c.id = h.completion_id
		WHERE h.tenant_id = $1 AND h.enrolment_id IN (`+strings.Join(marks, ", ")+`) ORDER BY h.enrolment_id, h.seq`, args...)
	if err != nil {
		return fmt.Errorf("find enrolment events: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var ev lethe.EnrolmentEvent
		var completion, prev sql.NullString
		var at int64
		var completedAt sql.NullInt64
		if err := rows.Scan(&id, &ev.Type, &completion, &prev, &ev.Next, &at, &completedAt); err != nil {
			return err
		}
		ev.CompletionID, ev.Previous, ev.At = completion.String, lethe.EnrolmentStatus(prev.String), fromMS(at)
		ev.CompletedAt = timePtr(completedAt)
		byID[id].Events = append(byID[id].Events, ev)
	}
	return rows.Err()
}

var errEnrolmentNotFound = lethe.Errorf(lethe.ENotFound, "Enrolment not found.")

// FindEnrolmentByID implements lethe.EnrolmentService.
func (s *EnrolmentService) FindEnrolmentByID(ctx context.Context, assignmentID, id string) (e *lethe.Enrolment, err error) {
	aid, ok1 := lethe.ParseID(assignmentID)
	eid, ok2 := lethe.ParseID(id)
	if !ok1 {
		return nil, errAssignmentNotFound
	}
	if !ok2 {
		return nil, errEnrolmentNotFound
	}
	err = s.db.readTx(ctx, func(tx *Tx) error {
		if _, err := tx.findAssignment(ctx, aid); err != nil {
			return err
		}
		e, err = scanEnrolment(tx.QueryRowContext(ctx, `SELECT `+enrolmentColumns+enrolmentFrom+`
			WHERE e.tenant_id = $1 AND e.assignment_id = $2 AND e.id = $3`, string(tx.actor.TenantID), aid, eid))
		if errors.Is(err, sql.ErrNoRows) {
			return errEnrolmentNotFound
		}
		if err != nil {
			return fmt.Errorf("find enrolment: %w", err)
		}
		return tx.loadEvents(ctx, []*lethe.Enrolment{e})
	})
	return e, err
}

// FindEnrolments implements lethe.EnrolmentService.
func (s *EnrolmentService) FindEnrolments(ctx context.Context, f lethe.EnrolmentFilter) (out []*lethe.Enrolment, total int, err error) {
	aid, ok := lethe.ParseID(f.AssignmentID)
	if !ok {
		return nil, -1, errAssignmentNotFound
	}
	err = s.db.readTx(ctx, func(tx *Tx) error {
		if _, err := tx.findAssignment(ctx, aid); err != nil {
			return err
		}
		args := []any{string(tx.actor.TenantID), aid}
		where := " WHERE e.tenant_id = $1 AND e.assignment_id = $2"
		if f.Statuses != nil {
			where += " AND " + enrolmentStatusClause(f.Statuses, ms(tx.now), &args)
		}
		if f.UpdatedFrom != nil {
			args = append(args, ms(*f.UpdatedFrom))
			where += " AND e.updated_at >= $" + strconv.Itoa(len(args))
		}
		if f.UpdatedTo != nil {
			args = append(args, ms(*f.UpdatedTo))
			where += " AND e.updated_at <= $" + strconv.Itoa(len(args))
		}
		// The page's ids are picked first, so an enrolment skipped by the
		// offset costs an index step (an index-only one without filters),
		// not a read of its row (docs/PERFORMANCE.md, issue 8).
		page := pageClause(&args, f.Limit, f.Offset)
		rows, err := tx.QueryContext(ctx, `SELECT `+enrolmentColumns+enrolmentFrom+` WHERE e.tenant_id = $1 AND e.id IN
			(SELECT e.id`+enrolmentFrom+where+` ORDER BY e.id`+page+`) ORDER BY e.id`, args...)
		if err != nil {
			return fmt.Errorf("find enrolments: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			e, err := scanEnrolment(rows)
			if err != nil {
				return fmt.Errorf("scan enrolment: %w", err)
			}
			out = append(out, e)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return tx.loadEvents(ctx, out)
	})
	return out, -1, err
}

// enrolmentStatusClause selects enrolments with one of statuses at now; it
// mirrors lethe.EnrolmentStatusAt.
func enrolmentStatusClause(statuses []lethe.EnrolmentStatus, now int64, args *[]any) string {
	if len(statuses) == 0 {
		return "1 = 0"
	}
	// The time is a parameter only when a condition uses it: PostgreSQL
	// refuses unused parameters.
	nowArg := ""
	for _, st := range statuses {
		if st != lethe.EnrolmentArchived && st != lethe.EnrolmentUnassigned && nowArg == "" {
			*args = append(*args, now)
			nowArg = "$" + strconv.Itoa(len(*args))
		}
	}
	p := enrolmentPredicates(nowArg, "e.assigned")
	ors := make([]string, len(statuses))
	for i, st := range statuses {
		ors[i] = p[st]
	}
	return "(" + strings.Join(ors, " OR ") + ")"
}
