package lethe

import (
	"context"
	"sort"
	"time"
)

// EnrolmentStatus is the vendor's enrolment status. It is derived, never
// stored (see EnrolmentStatusAt), so time-driven states are right whenever
// read.
type EnrolmentStatus string

// Enrolment statuses.
const (
	EnrolmentScheduled  EnrolmentStatus = "scheduled"  // not yet available
	EnrolmentOpen       EnrolmentStatus = "open"       // available, due date not passed
	EnrolmentOverdue    EnrolmentStatus = "overdue"    // due date passed
	EnrolmentComplete   EnrolmentStatus = "complete"   // completed in the current cycle
	EnrolmentUnassigned EnrolmentStatus = "unassigned" // the learner left the audience
	EnrolmentArchived   EnrolmentStatus = "archived"   // the assignment was deleted
)

// AllEnrolmentStatuses lists every enrolment status in a stable order.
var AllEnrolmentStatuses = []EnrolmentStatus{EnrolmentArchived, EnrolmentComplete, EnrolmentOpen,
	EnrolmentOverdue, EnrolmentScheduled, EnrolmentUnassigned}

// ParseEnrolmentStatus reports whether s names an enrolment status.
func ParseEnrolmentStatus(s string) (EnrolmentStatus, bool) {
	for _, st := range AllEnrolmentStatuses {
		if string(st) == s {
			return st, true
		}
	}
	return "", false
}

// Day is the unit of completion periods and recurrences.
const Day = 24 * time.Hour

// Enrolment is one learner's obligation under one assignment. It names the
// learner by id only and is kept when the learner is erased.
type Enrolment struct {
	ID               string
	AssignmentID     string
	AudienceID       string
	LearnerID        LearnerID
	PrimaryContentID string
	// Assigned is false while the learner is not a member of the audience.
	Assigned bool
	// Archived is set when the assignment is deleted.
	Archived bool
	// AvailableAt and DueAt bound the first cycle.
	AvailableAt      time.Time
	DueAt            time.Time
	LastCompletedAt  *time.Time
	LastCompletionID string
	CompletionPeriod int  // days, from the assignment
	Recurrence       *int // days, from the assignment
	CreatedAt        time.Time
	UpdatedAt        time.Time
	// Events are the stored transitions, oldest first.
	Events []EnrolmentEvent
}

// Enrolment event types. Stored: assigned, unassigned, completed, archived.
// Derived from the clock at read time: available (scheduled to open), due
// (open to overdue) and recurred (complete to open for a new cycle).
const (
	EventAssigned   = "assigned"
	EventUnassigned = "unassigned"
	EventCompleted  = "completed"
	EventArchived   = "archived"
	EventAvailable  = "available"
	EventDue        = "due"
	EventRecurred   = "recurred"
)

// EnrolmentEvent is one transition of an enrolment. Previous is empty for
// the first.
type EnrolmentEvent struct {
	Type         string
	CompletionID string
	Previous     EnrolmentStatus
	Next         EnrolmentStatus
	At           time.Time
	// CompletedAt is the completion's own time, for completed events.
	CompletedAt *time.Time
}

// CycleAt returns the bounds of the cycle e is in at now and whether that
// cycle is already complete. Without a completion in the first cycle, it is
// the first cycle. With one, it is complete until the recurrence (if any)
// opens a new cycle Recurrence days after the completion, due
// CompletionPeriod days later.
func (e *Enrolment) CycleAt(now time.Time) (available, due time.Time, complete bool) {
	available, due = e.AvailableAt, e.DueAt
	if e.LastCompletedAt == nil || e.LastCompletedAt.Before(available) {
		return available, due, false
	}
	if e.Recurrence == nil {
		return available, due, true
	}
	renew := e.LastCompletedAt.Add(time.Duration(*e.Recurrence) * Day)
	if now.Before(renew) {
		return available, due, true
	}
	return renew, renew.Add(time.Duration(e.CompletionPeriod) * Day), false
}

// EnrolmentStatusAt derives the status of e at now. It is the one
// definition; the SQL status filters in internal/sqldb mirror it.
func EnrolmentStatusAt(e *Enrolment, now time.Time) EnrolmentStatus {
	switch {
	case e.Archived:
		return EnrolmentArchived
	case !e.Assigned:
		return EnrolmentUnassigned
	}
	available, due, complete := e.CycleAt(now)
	switch {
	case complete:
		return EnrolmentComplete
	case now.Before(available):
		return EnrolmentScheduled
	case now.Before(due):
		return EnrolmentOpen
	default:
		return EnrolmentOverdue
	}
}

// History returns the transitions of e up to now: its stored events, with
// the time-driven ones (available, due, recurred) that happened between
// them inserted at the moment they happened, in time order. It replays the
// stored events over a copy of e to know the state between them.
func (e *Enrolment) History(now time.Time) []EnrolmentEvent {
	sim := *e
	sim.Assigned, sim.Archived, sim.LastCompletedAt = false, false, nil
	var out []EnrolmentEvent
	status := EnrolmentStatus("")
	// timed appends the time-driven transitions of sim in (from, to].
	timed := func(from, to time.Time) {
		if !sim.Assigned || sim.Archived {
			return
		}
		for t := from; ; {
			next, typ := nextTimedChange(&sim, t)
			if next.IsZero() || next.After(to) {
				return
			}
			st := EnrolmentStatusAt(&sim, next)
			if st != status {
				out = append(out, EnrolmentEvent{Type: typ, Previous: status, Next: st, At: next})
				status = st
			}
			t = next
		}
	}
	last := time.Time{}
	for _, ev := range e.Events {
		if !last.IsZero() {
			timed(last, ev.At)
		}
		switch ev.Type {
		case EventAssigned:
			sim.Assigned = true
		case EventUnassigned:
			sim.Assigned = false
		case EventArchived:
			sim.Archived = true
		case EventCompleted:
			sim.LastCompletedAt = ev.CompletedAt
		}
		out = append(out, ev)
		status, last = ev.Next, ev.At
	}
	if !last.IsZero() && now.After(last) {
		timed(last, now)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

// nextTimedChange returns the first moment after t at which the status of
// e may change with time alone, and the event type of that change.
func nextTimedChange(e *Enrolment, t time.Time) (time.Time, string) {
	available, due, complete := e.CycleAt(t)
	switch {
	case complete && e.Recurrence != nil:
		return e.LastCompletedAt.Add(time.Duration(*e.Recurrence) * Day), EventRecurred
	case complete:
		return time.Time{}, ""
	case t.Before(available):
		return available, EventAvailable
	case t.Before(due):
		return due, EventDue
	}
	return time.Time{}, ""
}

// EnrolmentFilter selects the enrolments of one assignment. Statuses nil
// means every status.
type EnrolmentFilter struct {
	AssignmentID string
	Statuses     []EnrolmentStatus
	UpdatedFrom  *time.Time
	UpdatedTo    *time.Time
	Offset       int
	Limit        int
}

// EnrolmentService reads enrolments; they are written by the audience,
// assignment and completion services. Every method is scoped to the tenant
// of the Actor in ctx.
type EnrolmentService interface {
	// FindEnrolmentByID returns one enrolment of the assignment, with its
	// events; ENotFound when it belongs to another assignment.
	FindEnrolmentByID(ctx context.Context, assignmentID, id string) (*Enrolment, error)
	// FindEnrolments returns a page ordered by id, with events; the total
	// is -1 (bare array).
	FindEnrolments(ctx context.Context, f EnrolmentFilter) ([]*Enrolment, int, error)
}
