package main

// End-to-end test of tags, skills and CPD through the SDK.

import (
	"slices"
	"testing"
	"time"

	"github.com/lethehq/lethe/client"
)

func TestClient_TagsAndCPDScenario(t *testing.T) {
	t.Parallel()
	srv := MustRunMain(t)
	ctx := t.Context()
	c := srv.Client
	ada := mustCreate(t, srv, "E2E-CPD-ADA", personFields("Adeline", "Ashdown", "adeline.ashdown@example.com"))
	bob := mustCreate(t, srv, "E2E-CPD-BOB", personFields("Bartholomew", "Brackett", "bartholomew.brackett@example.com"))

	// Tags and skills.
	lead, err := c.CreateTag(ctx, "Leadership")
	if err != nil || lead.Tag != "Leadership" || len(lead.Interests) != 0 {
		t.Fatalf("create tag = %+v, %v", lead, err)
	}
	_, err = c.CreateTag(ctx, "LEADERSHIP")
	mustStatusError(t, err, 409, "conflict", "name", "taken")
	xl, err := c.CreateTag(ctx, "Excel")
	if err != nil {
		t.Fatal(err)
	}
	if xl, err = c.RenameTag(ctx, xl.ID, "Spreadsheets"); err != nil || xl.Tag != "Spreadsheets" {
		t.Fatalf("rename = %+v, %v", xl, err)
	}
	if res, err := c.AddUserTags(ctx, ada.ID, []string{"leadership", "Spreadsheets"}); err != nil || res.Status != 200 ||
		res.Message != "2 tag(s) added successfully to the learner." {
		t.Fatalf("add tags = %+v, %v", res, err)
	}
	_, err = c.AddUserTags(ctx, ada.ID, []string{"Nope"})
	mustStatusError(t, err, 422, "invalid", "tags", "unknown")
	if res, err := c.RemoveUserTags(ctx, ada.ID, []string{"Spreadsheets"}); err != nil || res.Message != "1 tag(s) removed successfully from the learner." {
		t.Fatalf("remove tags = %+v, %v", res, err)
	}
	if res, err := c.UpdateUserSkills(ctx, bob.ID, []client.SkillUpdate{{TagName: "Leadership", Level: client.Ptr(2), TargetLevel: client.Ptr(4)}}); err != nil ||
		res.Message != "1 skill(s) updated successfully for the learner." {
		t.Fatalf("update skills = %+v, %v", res, err)
	}
	_, err = c.UpdateUserSkills(ctx, bob.ID, []client.SkillUpdate{{TagName: "Leadership", Level: client.Ptr(-2)}})
	mustStatusError(t, err, 422, "invalid", "value[0].level", "out_of_range")
	if got, err := c.GetTag(ctx, lead.ID); err != nil || !slices.Equal(got.Interests, []string{ada.ID}) || !slices.Equal(got.Skills, []string{bob.ID}) {
		t.Fatalf("get tag = %+v, %v", got, err)
	}
	if page, err := c.ListTags(ctx, 1, 1, nil); err != nil || page.Pagination.TotalResults != 2 || len(page.Results) != 1 {
		t.Fatalf("list tags = %+v, %v", page, err)
	}
	levels := []client.SkillLevel{{Name: "Novice", IsEnabled: true, Value: 1}, {Name: "Expert", IsEnabled: true, Value: 2}}
	if got, err := c.SetSkillLevels(ctx, levels); err != nil || !slices.Equal(got, levels) {
		t.Fatalf("set levels = %+v, %v", got, err)
	}
	if got, err := c.GetSkillLevels(ctx); err != nil || !slices.Equal(got, levels) {
		t.Fatalf("get levels = %+v, %v", got, err)
	}

	// CPD.
	team, err := c.CreateAudience(ctx, client.AudienceFields{Name: client.Ptr("CPD org"), Reference: client.Ptr("E2E-CPD")})
	if err != nil {
		t.Fatal(err)
	}
	req, err := c.CreateCPDRequirement(ctx, "E2E-CPD", 600)
	if err != nil || req.AudienceID != team.ID || req.RequiredMinutes != 600 {
		t.Fatalf("requirement = %+v, %v", req, err)
	}
	if got, err := c.GetCPDRequirement(ctx, req.AudienceRequirementID); err != nil || got.RequiredMinutes != 600 {
		t.Fatalf("get requirement = %+v, %v", got, err)
	}
	_, err = c.CreateCPDRequirement(ctx, "E2E-CPD", -1)
	mustStatusError(t, err, 422, "invalid", "requiredMinutes", "out_of_range")
	cat, err := c.CreateCPDCategory(ctx, "Ethics")
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2025, 2, 1, 10, 0, 0, 0, time.UTC)
	e, err := c.CreateCPDEntry(ctx, client.NewCPDEntry{UserID: ada.ID, CategoryID: cat.CategoryID, Activity: &client.CPDActivity{Type: "course", Name: "Ethics 101"},
		EntryDate: day, DurationMinutes: 90, Description: "Mentored by Bartholomew"})
	if err != nil || e.IsVerified || e.Category == nil || e.Category.Name != "Ethics" || !e.EntryDate.Equal(day) {
		t.Fatalf("entry = %+v, %v", e, err)
	}
	for _, d := range []time.Duration{0, 24 * time.Hour, 40 * 24 * time.Hour} {
		if _, err := c.CreateCPDEntry(ctx, client.NewCPDEntry{UserID: bob.ID, EntryDate: day.Add(d), DurationMinutes: 30}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = c.CreateCPDEntry(ctx, client.NewCPDEntry{UserID: bob.ID, EntryDate: day, DurationMinutes: -1})
	mustStatusError(t, err, 422, "invalid", "durationMinutes", "out_of_range")
	from, to := day.Add(-time.Hour), day.Add(30*24*time.Hour)
	if page, err := c.ListCPDEntries(ctx, &from, &to, 1, 100); err != nil || page.Pagination.TotalResults != 3 {
		t.Fatalf("entries = %+v, %v", page, err)
	}
	sums, err := c.ListCPDUserSummaries(ctx, from, to, nil, 1, 100)
	if err != nil || sums.Pagination.TotalResults != 2 {
		t.Fatalf("summaries = %+v, %v", sums, err)
	}
	want := map[string]int{ada.ID: 90, bob.ID: 60}
	for _, s := range sums.Results {
		if want[s.UserID] != s.DurationMinutes {
			t.Errorf("summary %+v, want %v", s, want)
		}
	}
	if sums, err := c.ListCPDUserSummaries(ctx, from, to, []string{bob.ID}, 1, 100); err != nil || len(sums.Results) != 1 || sums.Results[0].UserID != bob.ID {
		t.Fatalf("bob's summary = %+v, %v", sums, err)
	}
	if cats, err := c.ListCPDCategories(ctx, 1, 10); err != nil || len(cats.Results) != 1 {
		t.Fatalf("categories = %+v, %v", cats, err)
	}
	if reqs, err := c.ListCPDRequirements(ctx, 1, 10); err != nil || len(reqs.Results) != 1 {
		t.Fatalf("requirements = %+v, %v", reqs, err)
	}

	// Erasure: the entry stays under the user id, its description goes,
	// and so do the user's interests.
	if err := c.DeleteUser(ctx, "E2E-CPD-ADA"); err != nil {
		t.Fatal(err)
	}
	if got, err := c.GetCPDEntry(ctx, e.LogEntryID); err != nil || got.UserID != ada.ID || got.Description != nil || got.DurationMinutes != 90 {
		t.Fatalf("entry after erasure = %+v, %v", got, err)
	}
	if got, err := c.GetTag(ctx, lead.ID); err != nil || len(got.Interests) != 0 {
		t.Fatalf("tag after erasure = %+v, %v", got, err)
	}
	if er, err := c.GetErasure(ctx, ada.ID); err != nil || er.Erased["cpdText"] != 1 || er.Erased["tags"] != 1 || er.Kept["cpdEntries"] != 1 {
		t.Fatalf("erasure = %+v, %v", er, err)
	}
}
