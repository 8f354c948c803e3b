package main

// End-to-end tests of audiences, assignments, enrolments and completions,
// driven through the SDK against a server started by MustRunMain. Time
// rules are tested in internal/server, whose harness controls the clock.

import (
	"testing"
	"time"

	"github.com/lethehq/lethe/client"
)

const (
	e2eContent     = "c00000000000000000000001"
	e2eAlternative = "c00000000000000000000002"
)

func TestClient_ComplianceScenario(t *testing.T) {
	t.Parallel()
	srv := MustRunMain(t)
	ctx := t.Context()
	c := srv.Client
	ada := mustCreate(t, srv, "E2E-ADA", personFields("Adeline", "Ashdown", "adeline.ashdown@example.com"))
	bob := mustCreate(t, srv, "E2E-BOB", personFields("Bartholomew", "Brackett", "bartholomew.brackett@example.com"))
	sus := mustCreate(t, srv, "E2E-SUS", personFields("Susannah", "Sedgwick", "susannah.sedgwick@example.com"))
	if _, err := c.SuspendUser(ctx, "E2E-SUS", nil); err != nil {
		t.Fatal(err)
	}

	// The content assigned below.
	for _, id := range []string{e2eContent, e2eAlternative} {
		if _, err := c.CreateContent(ctx, client.ContentFields{ID: client.Ptr(id), Title: client.Ptr("Content " + id), Type: client.Ptr("video")}); err != nil {
			t.Fatal(err)
		}
	}

	// Structure, audience, update, list.
	org, err := c.CreateAudience(ctx, client.AudienceFields{Name: client.Ptr("Organisation"), Reference: client.Ptr("E2E-ORG")})
	if err != nil || org.Category != client.CategoryStructure || !org.APIControlled || org.Type != "manual" || org.Parent != nil {
		t.Fatalf("structure = %+v, %v", org, err)
	}
	team, err := c.CreateAudience(ctx, client.AudienceFields{Name: client.Ptr("Team"), ParentID: client.Ptr("E2E-ORG")})
	if err != nil || team.Category != client.CategoryAudience || team.Parent == nil || team.Parent.ID != org.ID {
		t.Fatalf("audience = %+v, %v", team, err)
	}
	if team, err = c.UpdateAudience(ctx, team.ID, client.AudienceFields{Name: client.Ptr("Compliance team"), Reference: client.Ptr("E2E-TEAM")}); err != nil || team.Name != "Compliance team" {
		t.Fatalf("update = %+v, %v", team, err)
	}
	if got, err := c.GetAudience(ctx, "E2E-TEAM"); err != nil || got.ID != team.ID {
		t.Fatalf("get by reference = %+v, %v", got, err)
	}
	page, err := c.ListAudiences(ctx, client.AudienceParams{APIControlled: client.Ptr(true), PerPage: 1})
	if err != nil || page.Pagination.TotalResults != 2 || len(page.Results) != 1 {
		t.Fatalf("list = %+v, %v", page, err)
	}
	_, err = c.CreateAudience(ctx, client.AudienceFields{Name: client.Ptr("Loose"), Category: client.Ptr(client.CategoryAudience)})
	mustStatusError(t, err, 422, "invalid", "parentId", "required")
	mustStatusError(t, c.DeleteAudience(ctx, "E2E-ORG"), 409, "conflict", "", "")

	// Members: a partial success (207) is an answer, not an error.
	res, err := c.AddMembers(ctx, "E2E-TEAM", []string{"adeline.ashdown@example.com", "E2E-SUS", "E2E-NOBODY", bob.ID})
	if err != nil || res.Success.Count != 2 || res.Failure == nil || res.Failure.Count != 2 ||
		res.Failure.Entities[0].Reason != "suspended" || res.Failure.Entities[1].Reason != "unknown user" {
		t.Fatalf("add members = %+v, %v", res, err)
	}
	_ = sus
	members, err := c.ListMembers(ctx, team.ID, 1, 10)
	if err != nil || members.Pagination.TotalResults != 2 {
		t.Fatalf("members = %+v, %v", members, err)
	}
	_, err = c.ReplaceMembers(ctx, team.ID, []string{})
	mustStatusError(t, err, 422, "invalid", "members", "count")

	// Managers.
	grant := client.ManagerGrant{Reference: "E2E-ADA"}
	grant.Permissions.AudienceManager.Assignments = true
	if res, err := c.AddManagers(ctx, team.ID, []client.ManagerGrant{grant}); err != nil || res.Failure != nil {
		t.Fatalf("add managers = %+v, %v", res, err)
	}
	managers, err := c.ListManagers(ctx, team.ID)
	if err != nil || len(managers) != 1 || managers[0].UserID != ada.ID || !managers[0].Permissions.AudienceManager.Assignments {
		t.Fatalf("managers = %+v, %v", managers, err)
	}
	if _, err := c.ReplaceManagers(ctx, team.ID, []client.ManagerGrant{{Reference: bob.ID}}); err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveManager(ctx, team.ID, "E2E-BOB"); err != nil {
		t.Fatal(err)
	}

	// Assignment: both members get an open enrolment.
	as, err := c.CreateAssignment(ctx, client.AssignmentFields{AudienceID: "E2E-TEAM", ContentID: client.Ptr(e2eContent),
		AlternativeContentIDs: &[]string{e2eAlternative}, Recurrence: client.Ptr(365)})
	if err != nil || as.PrimaryContentID != e2eContent || as.CompletionPeriod != 30 || *as.Recurrence != 365 || !as.IsActive {
		t.Fatalf("assignment = %+v, %v", as, err)
	}
	if as, err = c.UpdateAssignment(ctx, as.ID, client.AssignmentFields{AudienceID: team.ID, CompletionPeriod: client.Ptr(14)}); err != nil || as.CompletionPeriod != 14 {
		t.Fatalf("update assignment = %+v, %v", as, err)
	}
	if list, err := c.ListAssignments(ctx, client.AssignmentParams{AudienceID: "E2E-TEAM"}); err != nil || len(list) != 1 {
		t.Fatalf("assignments = %+v, %v", list, err)
	}
	open, err := c.ListEnrolments(ctx, as.ID, client.EnrolmentParams{Status: client.EnrolmentOpen})
	if err != nil || len(open) != 2 {
		t.Fatalf("open enrolments = %+v, %v", open, err)
	}

	// A completion of the alternative completes Ada's enrolment; again is the same statement.
	done := time.Now().Truncate(time.Millisecond) // on or after the available date
	stmt, err := c.CreateCompletion(ctx, ada.ID, e2eAlternative, done)
	if err != nil || !idPattern.MatchString(stmt) {
		t.Fatalf("completion = %q, %v", stmt, err)
	}
	if again, err := c.CreateCompletion(ctx, ada.ID, e2eAlternative, done); err != nil || again != stmt {
		t.Fatalf("same completion again = %q, %v; want %q", again, err, stmt)
	}
	comp, err := c.GetCompletion(ctx, stmt)
	if err != nil || !comp.HadDueDate || comp.UserID != ada.ID || !comp.CompletedAt.Equal(done) || comp.CompletionType != "manual" {
		t.Fatalf("get completion = %+v, %v", comp, err)
	}
	complete, err := c.ListEnrolments(ctx, as.ID, client.EnrolmentParams{Status: client.EnrolmentComplete})
	if err != nil || len(complete) != 1 || complete[0].UserID != ada.ID {
		t.Fatalf("complete enrolments = %+v, %v", complete, err)
	}
	enr, err := c.GetEnrolment(ctx, as.ID, complete[0].ID)
	if err != nil || len(enr.History) != 2 || enr.History[1].CompletionID != stmt || enr.History[1].NextStatus != client.EnrolmentComplete {
		t.Fatalf("enrolment = %+v, %v", enr, err)
	}

	// Erasure keeps the enrolment and the completion, under the id only.
	if err := c.DeleteUser(ctx, "E2E-ADA"); err != nil {
		t.Fatal(err)
	}
	enr, err = c.GetEnrolment(ctx, as.ID, enr.ID)
	if err != nil || enr.Status != client.EnrolmentUnassigned || enr.LastCompletedAt == nil || !enr.LastCompletedAt.Equal(done) {
		t.Fatalf("enrolment after erasure = %+v, %v", enr, err)
	}
	kept, err := c.ListCompletions(ctx, client.CompletionParams{UserID: ada.ID})
	if err != nil || len(kept) != 1 || kept[0].ID != stmt {
		t.Fatalf("completions after erasure = %+v, %v", kept, err)
	}
	if members, err = c.ListMembers(ctx, team.ID, 0, 0); err != nil || members.Pagination.TotalResults != 1 {
		t.Fatalf("members after erasure = %+v, %v", members, err)
	}
	e, err := c.GetErasure(ctx, ada.ID)
	if err != nil || e.Kept["enrolments"] != 1 || e.Kept["completions"] != 1 || e.Erased["memberships"] != 1 {
		t.Fatalf("erasure = %+v, %v", e, err)
	}

	// Removal, deletion: archived, kept.
	if err := c.RemoveMember(ctx, team.ID, "bartholomew.brackett@example.com"); err != nil {
		t.Fatal(err)
	}
	mustStatusError(t, c.DeleteAssignment(ctx, as.ID, "E2E-ORG"), 422, "invalid", "audienceId", "mismatch")
	if err := c.DeleteAssignment(ctx, as.ID, "E2E-TEAM"); err != nil {
		t.Fatal(err)
	}
	if got, err := c.GetAssignment(ctx, as.ID); err != nil || !got.IsDeleted || got.DeletedAt == nil {
		t.Fatalf("deleted assignment = %+v, %v", got, err)
	}
	if archived, err := c.ListEnrolments(ctx, as.ID, client.EnrolmentParams{Status: client.EnrolmentArchived}); err != nil || len(archived) != 2 {
		t.Fatalf("archived = %+v, %v", archived, err)
	}
	if err := c.DeleteAudience(ctx, team.ID); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetAudience(ctx, team.ID)
	mustStatusError(t, err, 404, "not_found", "", "")
}
