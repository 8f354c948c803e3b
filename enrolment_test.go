package lethe_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lethehq/lethe"
)

func TestEnrolmentStatusAt(t *testing.T) {
	day := func(d int) time.Time {
		return time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(d) * lethe.Day)
	}
	at := func(d int) *time.Time { t := day(d); return &t }
	rec := func(n int) *int { return &n }
	// Available on day 10, due on day 20 (a 10-day period).
	base := lethe.Enrolment{Assigned: true, AvailableAt: day(10), DueAt: day(20), CompletionPeriod: 10}
	with := func(f func(e *lethe.Enrolment)) lethe.Enrolment { e := base; f(&e); return e }
	for _, c := range []struct {
		name string
		e    lethe.Enrolment
		now  int
		want lethe.EnrolmentStatus
	}{
		{"Scheduled", base, 5, lethe.EnrolmentScheduled},
		{"OpenOnAvailableDay", base, 10, lethe.EnrolmentOpen},
		{"Open", base, 19, lethe.EnrolmentOpen},
		{"OverdueOnDueDay", base, 20, lethe.EnrolmentOverdue},
		{"Overdue", base, 400, lethe.EnrolmentOverdue},
		{"Complete", with(func(e *lethe.Enrolment) { e.LastCompletedAt = at(15) }), 16, lethe.EnrolmentComplete},
		{"CompleteLate", with(func(e *lethe.Enrolment) { e.LastCompletedAt = at(25) }), 400, lethe.EnrolmentComplete},
		{"CompletionBeforeAvailableDoesNotCount", with(func(e *lethe.Enrolment) { e.LastCompletedAt = at(5) }), 12, lethe.EnrolmentOpen},
		{"CompleteUntilRecurrence", with(func(e *lethe.Enrolment) { e.LastCompletedAt, e.Recurrence = at(15), rec(30) }), 44, lethe.EnrolmentComplete},
		{"RecurrenceOpensNewCycle", with(func(e *lethe.Enrolment) { e.LastCompletedAt, e.Recurrence = at(15), rec(30) }), 45, lethe.EnrolmentOpen},
		{"NewCycleOverdue", with(func(e *lethe.Enrolment) { e.LastCompletedAt, e.Recurrence = at(15), rec(30) }), 55, lethe.EnrolmentOverdue},
		{"Unassigned", with(func(e *lethe.Enrolment) { e.Assigned = false }), 12, lethe.EnrolmentUnassigned},
		{"UnassignedComplete", with(func(e *lethe.Enrolment) { e.Assigned, e.LastCompletedAt = false, at(15) }), 16, lethe.EnrolmentUnassigned},
		{"Archived", with(func(e *lethe.Enrolment) { e.Archived, e.Assigned = true, false }), 12, lethe.EnrolmentArchived},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := lethe.EnrolmentStatusAt(&c.e, day(c.now)); got != c.want {
				t.Errorf("status on day %d = %s, want %s", c.now, got, c.want)
			}
		})
	}
}

func TestEnrolment_History(t *testing.T) {
	day := func(d int) time.Time {
		return time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(d) * lethe.Day)
	}
	done := day(25)
	r := 30
	e := lethe.Enrolment{Assigned: true, AvailableAt: day(10), DueAt: day(20), CompletionPeriod: 10, Recurrence: &r,
		LastCompletedAt: &done, Events: []lethe.EnrolmentEvent{
			{Type: lethe.EventAssigned, Next: lethe.EnrolmentScheduled, At: day(0)},
			{Type: lethe.EventCompleted, CompletionID: "c1", Previous: lethe.EnrolmentOverdue, Next: lethe.EnrolmentComplete,
				At: day(26), CompletedAt: &done},
		}}
	type step struct {
		Type       string
		Prev, Next lethe.EnrolmentStatus
		Day        int
	}
	var got []step
	for _, ev := range e.History(day(70)) {
		got = append(got, step{ev.Type, ev.Previous, ev.Next, int(ev.At.Sub(day(0)) / lethe.Day)})
	}
	want := []step{
		{lethe.EventAssigned, "", lethe.EnrolmentScheduled, 0},
		{lethe.EventAvailable, lethe.EnrolmentScheduled, lethe.EnrolmentOpen, 10},
		{lethe.EventDue, lethe.EnrolmentOpen, lethe.EnrolmentOverdue, 20},
		{lethe.EventCompleted, lethe.EnrolmentOverdue, lethe.EnrolmentComplete, 26},
		{lethe.EventRecurred, lethe.EnrolmentComplete, lethe.EnrolmentOpen, 55},
		{lethe.EventDue, lethe.EnrolmentOpen, lethe.EnrolmentOverdue, 65},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("history mismatch (-want +got):\n%s", diff)
	}
	// Time-driven changes after now are not shown.
	e.Events, e.LastCompletedAt = e.Events[:1], nil
	if n := len(e.History(day(15))); n != 2 {
		t.Errorf("history up to day 15 = %v, want assigned and available", e.History(day(15)))
	}
}
