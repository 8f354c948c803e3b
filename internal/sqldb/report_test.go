package sqldb_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
)

// reportStart is day 0 of the report tests.
var reportStart = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func reportAt(d float64) time.Time { return reportStart.Add(time.Duration(d * float64(lethe.Day))) }

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

func TestReportService_FindHeadcount(t *testing.T) {
	db := MustOpenDB(t)
	clk := &clock{t: reportAt(0)}
	db.Now = clk.now
	ctx := MustTenant(t, db, "acme")
	other := MustTenant(t, db, "other")
	users, audiences := sqldb.NewUserService(db), sqldb.NewAudienceService(db)
	// Day 0: u1, u2, u3 and u5 join; u5 leaves on day 5; u2 is suspended on
	// day 10 and comes back on day 20; u4 joins on day 12; u3 is erased on
	// day 15. On day 30, u1 is suspended and reactivated in the same
	// millisecond.
	for _, ref := range []string{"u1", "u2", "u3", "u5"} {
		MustCreateUser(t, ctx, db, ref, lethe.UserFields{})
	}
	MustCreateUser(t, other, db, "o1", lethe.UserFields{})
	org, err := audiences.CreateAudience(ctx, lethe.AudienceFields{Name: strp("Org")})
	must(t, err)
	team, err := audiences.CreateAudience(ctx, lethe.AudienceFields{Name: strp("Team"), Reference: strp("TEAM"), ParentID: &org.ID})
	must(t, err)
	_, err = audiences.AddMembers(ctx, team.ID, []string{"u1", "u2", "u3"})
	must(t, err)
	steps := []struct {
		day float64
		do  func() error
	}{
		{5, func() error { _, err := users.SuspendUser(ctx, lethe.ByRef("u5"), nil); return err }},
		{10, func() error { _, err := users.SuspendUser(ctx, lethe.ByRef("u2"), nil); return err }},
		{12, func() error {
			_, err := users.CreateUser(ctx, "u4", lethe.UserFields{FirstName: strp("F"), LastName: strp("L"), Email: strp("u4@example.com")})
			return err
		}},
		{15, func() error { _, err := users.EraseUser(ctx, lethe.ByRef("u3")); return err }},
		{20, func() error { _, err := users.ReactivateUser(ctx, lethe.ByRef("u2"), lethe.UserFields{}); return err }},
		{30, func() error { _, err := users.SuspendUser(ctx, lethe.ByRef("u1"), nil); return err }},
		{30, func() error { _, err := users.ReactivateUser(ctx, lethe.ByRef("u1"), lethe.UserFields{}); return err }},
	}
	for _, s := range steps {
		clk.t = reportAt(s.day)
		must(t, s.do())
	}
	clk.t = reportAt(40)
	reports := sqldb.NewReportService(db)
	count := func(active, suspended, deleted int) map[lethe.State]int {
		return map[lethe.State]int{lethe.StateActive: active, lethe.StateSuspended: suspended, lethe.StateDeleted: deleted}
	}
	for _, c := range []struct {
		name     string
		day      float64
		audience string
		want     map[lethe.State]int
	}{
		{"BeforeAnyone", -1, "", count(0, 0, 0)},
		{"JustBeforeTheFirst", -0.00001, "", count(0, 0, 0)},
		{"AtTheFirst", 0, "", count(4, 0, 0)},
		{"LeaverCountedBeforeLeaving", 4.9, "", count(4, 0, 0)},
		{"LeaverNotCountedAfter", 5, "", count(3, 1, 0)},
		{"JoinerNotCountedBefore", 11, "", count(2, 2, 0)},
		{"Joiner", 13, "", count(3, 2, 0)},
		{"ErasedCountedBefore", 14, "", count(3, 2, 0)},
		{"Erased", 16, "", count(2, 2, 1)},
		{"Rehired", 21, "", count(3, 1, 1)},
		{"SameMillisecondLastBySeq", 30, "", count(3, 1, 1)},
		{"Now", 40, "", count(3, 1, 1)},
		// Current members only: u3's membership went with the erasure.
		{"AudienceByID", 1, team.ID, count(2, 0, 0)},
		{"AudienceByReference", 11, "TEAM", count(1, 1, 0)},
		{"AudienceNow", 40, "TEAM", count(2, 0, 0)},
	} {
		t.Run("OK"+c.name, func(t *testing.T) {
			got, err := reports.FindHeadcount(ctx, lethe.HeadcountFilter{AsOf: reportAt(c.day), AudienceID: c.audience})
			must(t, err)
			wantAud := ""
			if c.audience != "" {
				wantAud = team.ID
			}
			want := &lethe.Headcount{AsOf: reportAt(c.day), AudienceID: wantAud, ByState: c.want}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("headcount mismatch (-want +got):\n%s", diff)
			}
			if got.Active() != c.want[lethe.StateActive] {
				t.Errorf("Active() = %d", got.Active())
			}
		})
	}
	t.Run("OKOtherTenant", func(t *testing.T) {
		got, err := reports.FindHeadcount(other, lethe.HeadcountFilter{AsOf: reportAt(40)})
		must(t, err)
		if diff := cmp.Diff(count(1, 0, 0), got.ByState); diff != "" {
			t.Errorf("other tenant's headcount mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("ErrUnknownAudience", func(t *testing.T) {
		for _, c := range []struct {
			name string
			in   context.Context
			key  string
		}{{"Reference", ctx, "NOPE"}, {"ID", ctx, "650000000000000000000999"}, {"OtherTenants", other, "TEAM"},
			{"OtherTenantsID", other, team.ID}} {
			_, err := reports.FindHeadcount(c.in, lethe.HeadcountFilter{AsOf: reportAt(40), AudienceID: c.key})
			mustFieldError(t, c.name, err, lethe.ENotFound, "audienceId")
		}
	})
}

// mustFieldError fails unless err has code and names field.
func mustFieldError(tb testing.TB, what string, err error, code lethe.Code, field string) {
	tb.Helper()
	var e *lethe.Error
	if !errors.As(err, &e) || e.Code != code || len(e.Details) != 1 || e.Details[0].Field != field {
		tb.Errorf("%s: error = %v, want %s naming %s", what, err, code, field)
	}
}

func TestReportService_FindCompliance(t *testing.T) {
	db := MustOpenDB(t)
	clk := &clock{t: reportAt(0)}
	db.Now = clk.now
	ctx := MustTenant(t, db, "acme")
	other := MustTenant(t, db, "other")
	const c1, c2 = "c00000000000000000000001", "c00000000000000000000002"
	MustCreateContent(t, ctx, db, c1, c2)
	users, audiences := sqldb.NewUserService(db), sqldb.NewAudienceService(db)
	assignments, completions := sqldb.NewAssignmentService(db), sqldb.NewCompletionService(db)
	id := map[string]lethe.LearnerID{}
	for _, ref := range []string{"a", "b", "c", "d"} {
		id[ref] = MustCreateUser(t, ctx, db, ref, lethe.UserFields{}).ID
	}
	org, err := audiences.CreateAudience(ctx, lethe.AudienceFields{Name: strp("Org")})
	must(t, err)
	team, err := audiences.CreateAudience(ctx, lethe.AudienceFields{Name: strp("Team"), Reference: strp("TEAM"), ParentID: &org.ID})
	must(t, err)
	side, err := audiences.CreateAudience(ctx, lethe.AudienceFields{Name: strp("Side"), Reference: strp("SIDE"), ParentID: &org.ID})
	must(t, err)
	_, err = audiences.AddMembers(ctx, team.ID, []string{"a", "b", "c"})
	must(t, err)
	_, err = audiences.AddMembers(ctx, side.ID, []string{"b"})
	must(t, err)
	var a1, a2 *lethe.Assignment
	period, long := 10, 30
	content1, content2 := c1, c2
	// Day 1: A1 for the team, due day 11. Day 2: A2 for b alone, due day 32,
	// deleted on day 16. a completes on day 5; d joins on day 8 (due day
	// 18); c leaves on day 9; b, overdue since day 11, completes on day 13
	// (recorded on day 14); a is erased on day 20.
	steps := []struct {
		day float64
		do  func() error
	}{
		{1, func() (err error) {
			a1, err = assignments.CreateAssignment(ctx, lethe.AssignmentFields{AudienceID: &team.ID, ContentID: &content1, CompletionPeriod: &period})
			return err
		}},
		{2, func() (err error) {
			a2, err = assignments.CreateAssignment(ctx, lethe.AssignmentFields{AudienceID: strp("SIDE"), ContentID: &content2, CompletionPeriod: &long})
			return err
		}},
		{5, func() error { _, _, err := completions.CreateCompletion(ctx, id["a"], c1, reportAt(5)); return err }},
		{8, func() error { _, err := audiences.AddMembers(ctx, team.ID, []string{"d"}); return err }},
		{9, func() error { return audiences.RemoveMember(ctx, team.ID, "c") }},
		{14, func() error { _, _, err := completions.CreateCompletion(ctx, id["b"], c1, reportAt(13)); return err }},
		{16, func() error { return assignments.DeleteAssignment(ctx, a2.ID, side.ID) }},
		{20, func() error { _, err := users.EraseUser(ctx, lethe.ByRef("a")); return err }},
	}
	for _, s := range steps {
		clk.t = reportAt(s.day)
		must(t, s.do())
	}
	clk.t = reportAt(40)
	reports := sqldb.NewReportService(db)
	day := func(d float64) *time.Time { t := reportAt(d); return &t }
	row := func(ref string, st lethe.EnrolmentStatus, last *time.Time) lethe.ComplianceRow {
		return lethe.ComplianceRow{LearnerID: id[ref], Status: st, LastCompletedAt: last, Deleted: ref == "a"}
	}
	// people sorts rows by learner id, as the report does.
	people := func(rows ...lethe.ComplianceRow) []lethe.ComplianceRow {
		slices.SortFunc(rows, func(x, y lethe.ComplianceRow) int { return strings.Compare(string(x.LearnerID), string(y.LearnerID)) })
		return rows
	}
	statuses := func(kv ...any) map[lethe.EnrolmentStatus]int {
		m := map[lethe.EnrolmentStatus]int{}
		for _, st := range lethe.AllEnrolmentStatuses {
			m[st] = 0
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(lethe.EnrolmentStatus)] = kv[i+1].(int)
		}
		return m
	}
	report1 := func(by map[lethe.EnrolmentStatus]int, completions int, rows ...lethe.ComplianceRow) *lethe.AssignmentCompliance {
		return &lethe.AssignmentCompliance{AssignmentID: a1.ID, AudienceID: team.ID, ContentID: c1, ByStatus: by,
			Completions: completions, Overdue: by[lethe.EnrolmentOverdue], People: people(rows...)}
	}
	report2 := func(st lethe.EnrolmentStatus) *lethe.AssignmentCompliance {
		return &lethe.AssignmentCompliance{AssignmentID: a2.ID, AudienceID: side.ID, ContentID: c2, ByStatus: statuses(st, 1),
			Overdue: statuses(st, 1)[lethe.EnrolmentOverdue], People: []lethe.ComplianceRow{row("b", st, nil)}}
	}
	// Assignment ids are time-ordered: A1 before A2.
	for _, c := range []struct {
		name     string
		from, to float64
		audience string
		want     []*lethe.AssignmentCompliance
	}{
		{"BeforeAnyAssignment", 0, 0.5, "", []*lethe.AssignmentCompliance{}},
		{"BeforeTheSecond", 0, 1.5, "", []*lethe.AssignmentCompliance{
			report1(statuses(lethe.EnrolmentOpen, 3), 0, row("a", lethe.EnrolmentOpen, nil), row("b", lethe.EnrolmentOpen, nil),
				row("c", lethe.EnrolmentOpen, nil))}},
		{"Day12", 0, 12, "", []*lethe.AssignmentCompliance{
			report1(statuses(lethe.EnrolmentComplete, 1, lethe.EnrolmentOverdue, 1, lethe.EnrolmentUnassigned, 1, lethe.EnrolmentOpen, 1), 1,
				row("a", lethe.EnrolmentComplete, day(5)), row("b", lethe.EnrolmentOverdue, nil),
				row("c", lethe.EnrolmentUnassigned, nil), row("d", lethe.EnrolmentOpen, nil)),
			report2(lethe.EnrolmentOpen)}},
		// b's completion on day 13 was recorded on day 14.
		{"CompletionNotRecordedYet", 13, 13.5, "", []*lethe.AssignmentCompliance{
			report1(statuses(lethe.EnrolmentComplete, 1, lethe.EnrolmentOverdue, 1, lethe.EnrolmentUnassigned, 1, lethe.EnrolmentOpen, 1), 0,
				row("a", lethe.EnrolmentComplete, day(5)), row("b", lethe.EnrolmentOverdue, nil),
				row("c", lethe.EnrolmentUnassigned, nil), row("d", lethe.EnrolmentOpen, nil)),
			report2(lethe.EnrolmentOpen)}},
		{"Day13To15", 13, 15, "", []*lethe.AssignmentCompliance{
			report1(statuses(lethe.EnrolmentComplete, 2, lethe.EnrolmentUnassigned, 1, lethe.EnrolmentOpen, 1), 1,
				row("a", lethe.EnrolmentComplete, day(5)), row("b", lethe.EnrolmentComplete, day(13)),
				row("c", lethe.EnrolmentUnassigned, nil), row("d", lethe.EnrolmentOpen, nil)),
			report2(lethe.EnrolmentOpen)}},
		// The erasure unassigned a; A2 was deleted on day 16; d is overdue
		// since day 18.
		{"AfterTheErasure", 0, 25, "", []*lethe.AssignmentCompliance{
			report1(statuses(lethe.EnrolmentComplete, 1, lethe.EnrolmentUnassigned, 2, lethe.EnrolmentOverdue, 1), 2,
				row("a", lethe.EnrolmentUnassigned, day(5)), row("b", lethe.EnrolmentComplete, day(13)),
				row("c", lethe.EnrolmentUnassigned, nil), row("d", lethe.EnrolmentOverdue, nil)),
			report2(lethe.EnrolmentArchived)}},
		{"AudienceByReference", 0, 1.5, "TEAM", []*lethe.AssignmentCompliance{
			report1(statuses(lethe.EnrolmentOpen, 3), 0, row("a", lethe.EnrolmentOpen, nil), row("b", lethe.EnrolmentOpen, nil),
				row("c", lethe.EnrolmentOpen, nil))}},
		{"AudienceByID", 0, 25, side.ID, []*lethe.AssignmentCompliance{report2(lethe.EnrolmentArchived)}},
		{"AudienceWithoutAssignments", 0, 25, org.ID, []*lethe.AssignmentCompliance{}},
	} {
		t.Run("OK"+c.name, func(t *testing.T) {
			got, err := reports.FindCompliance(ctx, lethe.ComplianceFilter{From: reportAt(c.from), To: reportAt(c.to), AudienceID: c.audience})
			must(t, err)
			want := &lethe.ComplianceReport{From: reportAt(c.from), To: reportAt(c.to), Assignments: c.want}
			switch c.audience {
			case "":
			case "TEAM":
				want.AudienceID = team.ID
			default:
				want.AudienceID = c.audience
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("report mismatch (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("OKOtherTenant", func(t *testing.T) {
		got, err := reports.FindCompliance(other, lethe.ComplianceFilter{From: reportAt(0), To: reportAt(40)})
		must(t, err)
		if len(got.Assignments) != 0 {
			t.Errorf("other tenant's report = %+v", got.Assignments)
		}
	})
	t.Run("ErrUnknownAudience", func(t *testing.T) {
		for _, c := range []struct {
			name string
			in   context.Context
			key  string
		}{{"Reference", ctx, "NOPE"}, {"OtherTenants", other, "TEAM"}, {"OtherTenantsID", other, team.ID}} {
			_, err := reports.FindCompliance(c.in, lethe.ComplianceFilter{From: reportAt(0), To: reportAt(40), AudienceID: c.key})
			mustFieldError(t, c.name, err, lethe.ENotFound, "audienceId")
		}
	})
	t.Run("ErrToBeforeFrom", func(t *testing.T) {
		_, err := reports.FindCompliance(ctx, lethe.ComplianceFilter{From: reportAt(2), To: reportAt(1)})
		mustFieldError(t, "to before from", err, lethe.EInvalid, "to")
	})
}
