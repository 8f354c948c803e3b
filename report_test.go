package lethe_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lethehq/lethe"
)

// reportDay is day d of the report tests' calendar.
func reportDay(d float64) time.Time {
	return time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(d * float64(lethe.Day)))
}

// reportEnrolment is available on day 10, due on day 20, recurs 30 days
// after a completion: assigned on day 0, completed on day 25 but recorded
// on day 26, unassigned on day 60, assigned again on day 70, archived on
// day 90. Its fields are as they are now.
func reportEnrolment(learner lethe.LearnerID) *lethe.Enrolment {
	done := reportDay(25)
	r := 30
	return &lethe.Enrolment{ID: "e-" + string(learner), LearnerID: learner, Assigned: false, Archived: true,
		AvailableAt: reportDay(10), DueAt: reportDay(20), CompletionPeriod: 10, Recurrence: &r,
		LastCompletedAt: &done, LastCompletionID: "c1", Events: []lethe.EnrolmentEvent{
			{Type: lethe.EventAssigned, Next: lethe.EnrolmentScheduled, At: reportDay(0)},
			{Type: lethe.EventCompleted, CompletionID: "c1", Previous: lethe.EnrolmentOverdue, Next: lethe.EnrolmentComplete,
				At: reportDay(26), CompletedAt: &done},
			{Type: lethe.EventUnassigned, Previous: lethe.EnrolmentOpen, Next: lethe.EnrolmentUnassigned, At: reportDay(60)},
			{Type: lethe.EventAssigned, Previous: lethe.EnrolmentUnassigned, Next: lethe.EnrolmentOverdue, At: reportDay(70)},
			{Type: lethe.EventArchived, Previous: lethe.EnrolmentOverdue, Next: lethe.EnrolmentArchived, At: reportDay(90)},
		}}
}

func TestEnrolmentStatusAsOf(t *testing.T) {
	e := reportEnrolment("l1")
	for _, c := range []struct {
		name string
		day  float64
		want lethe.EnrolmentStatus
	}{
		{"Scheduled", 5, lethe.EnrolmentScheduled},
		{"Open", 15, lethe.EnrolmentOpen},
		{"Overdue", 22, lethe.EnrolmentOverdue},
		// Completed on day 25, but recorded on day 26: as the records stood
		// on day 25.5 it was still overdue.
		{"OverdueUntilRecorded", 25.5, lethe.EnrolmentOverdue},
		{"Complete", 26, lethe.EnrolmentComplete},
		{"Unassigned", 60, lethe.EnrolmentUnassigned},
		// The recurrence opened a new cycle on day 55, due on day 65.
		{"OpenAgain", 56, lethe.EnrolmentOpen},
		{"AssignedAgainOverdue", 70, lethe.EnrolmentOverdue},
		{"Archived", 90, lethe.EnrolmentArchived},
		{"ArchivedLater", 400, lethe.EnrolmentArchived},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, ok := lethe.EnrolmentStatusAsOf(e, reportDay(c.day))
			if !ok || got != c.want {
				t.Errorf("status as of day %v = %q, %v; want %q", c.day, got, ok, c.want)
			}
		})
	}
	t.Run("ErrBeforeFirstEvent", func(t *testing.T) {
		if got, ok := lethe.EnrolmentStatusAsOf(e, reportDay(-1)); ok {
			t.Errorf("status before the enrolment existed = %q, want none", got)
		}
	})
	t.Run("OKAgreesWithStatusAt", func(t *testing.T) {
		// The past enrolment's fields, replayed from its events, give the
		// same status through EnrolmentStatusAt as its history does.
		for d := 0.0; d < 120; d += 0.25 {
			past, ok := e.AsOf(reportDay(d))
			if !ok {
				t.Fatalf("no enrolment as of day %v", d)
			}
			want, _ := lethe.EnrolmentStatusAsOf(e, reportDay(d))
			if got := lethe.EnrolmentStatusAt(&past, reportDay(d)); got != want {
				t.Fatalf("day %v: EnrolmentStatusAt(AsOf) = %s, EnrolmentStatusAsOf = %s", d, got, want)
			}
		}
	})
	t.Run("OKAsOfKeepsTheEnrolment", func(t *testing.T) {
		past, _ := e.AsOf(reportDay(30))
		if len(past.Events) != 2 || past.LastCompletedAt == nil || !past.LastCompletedAt.Equal(reportDay(25)) ||
			!past.Assigned || past.Archived || past.LastCompletionID != "c1" {
			t.Errorf("as of day 30 = %+v", past)
		}
		if len(e.Events) != 5 || e.Assigned || !e.Archived {
			t.Errorf("AsOf changed the enrolment: %+v", e)
		}
		past, _ = e.AsOf(reportDay(20))
		if past.LastCompletedAt != nil || past.LastCompletionID != "" {
			t.Errorf("as of day 20, before the completion was recorded: %+v", past)
		}
	})
}

func TestNewAssignmentCompliance(t *testing.T) {
	a := &lethe.Assignment{ID: "a1", AudienceID: "aud1", PrimaryContentID: "c"}
	open := &lethe.Enrolment{LearnerID: "l2", Assigned: true, AvailableAt: reportDay(10), DueAt: reportDay(40),
		CompletionPeriod: 30, Events: []lethe.EnrolmentEvent{{Type: lethe.EventAssigned, Next: lethe.EnrolmentOpen, At: reportDay(10)}}}
	late := &lethe.Enrolment{LearnerID: "l3", Assigned: true, AvailableAt: reportDay(50), DueAt: reportDay(80),
		CompletionPeriod: 30, Events: []lethe.EnrolmentEvent{{Type: lethe.EventAssigned, Next: lethe.EnrolmentOpen, At: reportDay(50)}}}
	erased := func(l lethe.LearnerID) bool { return l == "l1" }
	day := func(d int) *time.Time { t := reportDay(float64(d)); return &t }
	for _, c := range []struct {
		name     string
		from, to float64
		want     *lethe.AssignmentCompliance
	}{
		{"CompletedInPeriod", 20, 30, &lethe.AssignmentCompliance{
			ByStatus: map[lethe.EnrolmentStatus]int{lethe.EnrolmentComplete: 1, lethe.EnrolmentOpen: 1}, Completions: 1,
			People: []lethe.ComplianceRow{
				{LearnerID: "l1", Status: lethe.EnrolmentComplete, LastCompletedAt: day(25), Deleted: true},
				{LearnerID: "l2", Status: lethe.EnrolmentOpen}}}},
		{"CompletedBeforePeriod", 26, 30, &lethe.AssignmentCompliance{
			ByStatus: map[lethe.EnrolmentStatus]int{lethe.EnrolmentComplete: 1, lethe.EnrolmentOpen: 1},
			People: []lethe.ComplianceRow{
				{LearnerID: "l1", Status: lethe.EnrolmentComplete, LastCompletedAt: day(25), Deleted: true},
				{LearnerID: "l2", Status: lethe.EnrolmentOpen}}}},
		// Completed on day 25 but recorded on day 26: not known on day 25.
		{"CompletionNotRecordedYet", 0, 25.5, &lethe.AssignmentCompliance{
			ByStatus: map[lethe.EnrolmentStatus]int{lethe.EnrolmentOverdue: 1, lethe.EnrolmentOpen: 1}, Overdue: 1,
			People: []lethe.ComplianceRow{
				{LearnerID: "l1", Status: lethe.EnrolmentOverdue, Deleted: true},
				{LearnerID: "l2", Status: lethe.EnrolmentOpen}}}},
		{"LaterEnrolmentsIncluded", 0, 58, &lethe.AssignmentCompliance{
			ByStatus: map[lethe.EnrolmentStatus]int{lethe.EnrolmentOverdue: 1, lethe.EnrolmentOpen: 2}, Completions: 1, Overdue: 1,
			People: []lethe.ComplianceRow{
				{LearnerID: "l1", Status: lethe.EnrolmentOpen, LastCompletedAt: day(25), Deleted: true},
				{LearnerID: "l2", Status: lethe.EnrolmentOverdue},
				{LearnerID: "l3", Status: lethe.EnrolmentOpen}}}},
		{"NothingBeforeTheFirstEnrolment", 0, 5, &lethe.AssignmentCompliance{
			ByStatus: map[lethe.EnrolmentStatus]int{lethe.EnrolmentScheduled: 1}, People: []lethe.ComplianceRow{
				{LearnerID: "l1", Status: lethe.EnrolmentScheduled, Deleted: true}}}},
		{"Archived", 0, 95, &lethe.AssignmentCompliance{
			ByStatus: map[lethe.EnrolmentStatus]int{lethe.EnrolmentArchived: 1, lethe.EnrolmentOverdue: 2}, Completions: 1, Overdue: 2,
			People: []lethe.ComplianceRow{
				{LearnerID: "l1", Status: lethe.EnrolmentArchived, LastCompletedAt: day(25), Deleted: true},
				{LearnerID: "l2", Status: lethe.EnrolmentOverdue},
				{LearnerID: "l3", Status: lethe.EnrolmentOverdue}}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := lethe.NewAssignmentCompliance(a, []*lethe.Enrolment{reportEnrolment("l1"), open, late},
				reportDay(c.from), reportDay(c.to), erased)
			c.want.AssignmentID, c.want.AudienceID, c.want.ContentID = "a1", "aud1", "c"
			for _, st := range lethe.AllEnrolmentStatuses {
				c.want.ByStatus[st] += 0
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("compliance mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
