package lethe

import (
	"context"
	"slices"
	"strings"
	"time"
)

// Reports read the records "as of" a moment: the effective-dated status
// history for headcounts, and the stored enrolment events replayed up to
// the moment for compliance. Past periods include people who have since
// left or been erased, under their learner id only; a report never names a
// person.

// AllStates lists every learner state in a stable order.
var AllStates = []State{StateActive, StateSuspended, StateDeleted}

// HeadcountFilter selects the learners of a headcount.
type HeadcountFilter struct {
	AsOf time.Time
	// AudienceID (an id or a reference; "" for everyone) restricts the
	// count to the audience's current members. Memberships have no history,
	// so people who left the audience, or were erased (which removes their
	// memberships), are not counted even as of a date when they belonged.
	AudienceID string
}

// Headcount is how many learners were in each state at AsOf: a learner
// counts in the state of their last status transition at or before AsOf,
// and not at all when they had none (they did not exist yet).
type Headcount struct {
	AsOf       time.Time
	AudienceID string // the audience's id when the count was restricted to one
	// ByState has an entry for every state of AllStates.
	ByState map[State]int
}

// Active is the headcount proper: the learners active at AsOf.
func (h *Headcount) Active() int { return h.ByState[StateActive] }

// ComplianceFilter selects the assignments of a compliance report.
type ComplianceFilter struct {
	From, To time.Time
	// AudienceID (an id or a reference; "" for every audience) restricts
	// the report to the assignments of one audience.
	AudienceID string
}

// ComplianceReport is the state of assignments at To, as their records
// stood then, with the completions of the period [From, To].
type ComplianceReport struct {
	From, To    time.Time
	AudienceID  string // the audience's id when the report was restricted to one
	Assignments []*AssignmentCompliance
}

// AssignmentCompliance is one assignment's part of a compliance report.
type AssignmentCompliance struct {
	AssignmentID string
	AudienceID   string
	ContentID    string
	// ByStatus counts the enrolments by their status at To; it has an
	// entry for every status of AllEnrolmentStatuses.
	ByStatus map[EnrolmentStatus]int
	// Completions counts the completions dated in [From, To] that fulfilled
	// an enrolment of the assignment, as recorded by To.
	Completions int
	// Overdue is ByStatus[EnrolmentOverdue]: the enrolments overdue at To.
	Overdue int
	// People has one row per enrolment that existed at To, ordered by
	// learner id.
	People []ComplianceRow
}

// ComplianceRow is one enrolment in a compliance report. It names the
// learner by id only.
type ComplianceRow struct {
	LearnerID LearnerID
	Status    EnrolmentStatus
	// LastCompletedAt is the time of the last completion that fulfilled
	// the enrolment, as recorded by To; nil when none had.
	LastCompletedAt *time.Time
	// Deleted is set when the learner has been erased since (now, not as
	// of To).
	Deleted bool
}

// AsOf returns the enrolment as its records stood at t: the stored events
// up to t, and the assigned and archived flags and the last completion as
// those events left them. ok is false when it had no event by then: it did
// not exist yet.
func (e *Enrolment) AsOf(t time.Time) (past Enrolment, ok bool) {
	past = *e
	past.Events, past.LastCompletedAt, past.LastCompletionID = nil, nil, ""
	past.Assigned, past.Archived = false, false
	for _, ev := range e.Events {
		if ev.At.After(t) {
			continue
		}
		past.Events = append(past.Events, ev)
		switch ev.Type {
		case EventCompleted:
			past.LastCompletedAt, past.LastCompletionID = ev.CompletedAt, ev.CompletionID
		case EventAssigned:
			past.Assigned = true
		case EventUnassigned:
			past.Assigned = false
		case EventArchived:
			past.Archived = true
		}
	}
	return past, len(past.Events) > 0
}

// EnrolmentStatusAsOf returns the status e had at t as its records stood
// then: the last transition of History(t) over the stored events up to t,
// which inserts the time-driven changes (available, due, recurred) where
// they happened. ok is false when e did not exist yet at t.
func EnrolmentStatusAsOf(e *Enrolment, t time.Time) (EnrolmentStatus, bool) {
	past, ok := e.AsOf(t)
	if !ok {
		return "", false
	}
	return past.lastStatus(t), true
}

// lastStatus is the status after the last transition of History(t); e has
// at least one stored event.
func (e *Enrolment) lastStatus(t time.Time) EnrolmentStatus {
	h := e.History(t)
	return h[len(h)-1].Next
}

// NewAssignmentCompliance summarises the enrolments of assignment a for a
// report of [from, to]. The enrolments carry their stored events (any
// after to are ignored); erased tells which learners have been erased.
// Enrolments that did not exist at to are left out.
func NewAssignmentCompliance(a *Assignment, enrolments []*Enrolment, from, to time.Time, erased func(LearnerID) bool) *AssignmentCompliance {
	out := &AssignmentCompliance{AssignmentID: a.ID, AudienceID: a.AudienceID, ContentID: a.PrimaryContentID,
		ByStatus: map[EnrolmentStatus]int{}, People: []ComplianceRow{}}
	for _, st := range AllEnrolmentStatuses {
		out.ByStatus[st] = 0
	}
	for _, e := range enrolments {
		past, ok := e.AsOf(to)
		if !ok {
			continue
		}
		status := past.lastStatus(to)
		for _, ev := range past.Events {
			if ev.Type == EventCompleted && ev.CompletedAt != nil && !ev.CompletedAt.Before(from) && !ev.CompletedAt.After(to) {
				out.Completions++
			}
		}
		out.ByStatus[status]++
		out.People = append(out.People, ComplianceRow{LearnerID: e.LearnerID, Status: status,
			LastCompletedAt: past.LastCompletedAt, Deleted: erased(e.LearnerID)})
	}
	out.Overdue = out.ByStatus[EnrolmentOverdue]
	slices.SortFunc(out.People, func(a, b ComplianceRow) int { return strings.Compare(string(a.LearnerID), string(b.LearnerID)) })
	return out
}

// ReportService answers reports. Every method is scoped to the tenant of
// the Actor in ctx.
type ReportService interface {
	// FindHeadcount counts learners by state at f.AsOf. ENotFound (naming
	// audienceId) when f.AudienceID names no audience.
	FindHeadcount(ctx context.Context, f HeadcountFilter) (*Headcount, error)
	// FindCompliance reports every assignment that existed at f.To (of one
	// audience when f.AudienceID is set), ordered by id, deleted ones
	// included. ENotFound (naming audienceId) when f.AudienceID names no
	// audience; EInvalid when f.To is before f.From.
	FindCompliance(ctx context.Context, f ComplianceFilter) (*ComplianceReport, error)
}
