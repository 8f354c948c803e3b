package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
)

// The demo tenant's fixed credentials, printed at start so the README's
// examples run verbatim. Never use --demo for real data.
const (
	demoTenantID = "demo"
	demoAPIKey   = "demo-api-key"
)

type demoUser struct {
	id    lethe.LearnerID
	ref   string
	f     lethe.UserFields
	login bool
	after func(ctx context.Context, users *sqldb.UserService, id lethe.LearnerID) error
}

func strp(s string) *string { return &s }

// setUpDemo creates the demo tenant and its sample users the first time, and
// resets the demo key on every start. It is idempotent.
func setUpDemo(ctx context.Context, db *sqldb.DB, tenants *sqldb.TenantService, users *sqldb.UserService) error {
	_, _, err := tenants.CreateTenant(ctx, demoTenantID, "Demo organisation")
	switch lethe.ErrorCode(err) {
	case "":
	case lethe.EConflict:
		return tenants.SetTenantKey(ctx, demoTenantID, demoAPIKey) // already set up
	default:
		return err
	}
	if err := tenants.SetTenantKey(ctx, demoTenantID, demoAPIKey); err != nil {
		return err
	}
	ctx = lethe.WithActor(ctx, lethe.Actor{TenantID: demoTenantID, Source: lethe.SourceCLI, Name: "demo"})
	admin := lethe.RoleAdministrator
	expired := time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC)
	samples := []demoUser{
		{id: "650000000000000000000001", ref: "EMP001", login: true, f: lethe.UserFields{
			FirstName: strp("Ada"), LastName: strp("Lovelace"), Email: strp("ada.lovelace@example.com"), Role: &admin,
			JobTitle: strp("Head of Learning"), TimeZone: strp("Europe/London"), LanguageCode: strp("en-gb"),
			AdditionalFields: json.RawMessage(`{"department":"L&D"}`)}},
		{id: "650000000000000000000002", ref: "EMP002", f: lethe.UserFields{
			FirstName: strp("Alan"), LastName: strp("Turing"), Email: strp("alan.turing@example.com"),
			JobTitle: strp("Analyst"), ManagerRef: strp("EMP001"), AdditionalFields: json.RawMessage(`{"department":"Research"}`)}},
		{id: "650000000000000000000003", ref: "EMP003", login: true, f: lethe.UserFields{
			FirstName: strp("Grace"), LastName: strp("Hopper"), Email: strp("grace.hopper@example.com"),
			JobTitle: strp("Engineer"), ManagerRef: strp("EMP001")},
			after: func(ctx context.Context, users *sqldb.UserService, id lethe.LearnerID) error {
				_, err := users.SuspendUser(ctx, lethe.ByID(id), nil)
				return err
			}},
		{id: "650000000000000000000004", ref: "EMP004", f: lethe.UserFields{
			FirstName: strp("Katherine"), LastName: strp("Johnson"), Email: strp("katherine.johnson@example.com"),
			EndDate: &expired}},
	}
	for _, s := range samples {
		if _, err := users.CreateUserWithID(ctx, s.id, s.ref, s.f); err != nil {
			return err
		}
		if s.login {
			if _, err := users.RecordLogin(ctx, lethe.ByID(s.id)); err != nil {
				return err
			}
		}
		if s.after != nil {
			if err := s.after(ctx, users, s.id); err != nil {
				return err
			}
		}
	}
	if err := setUpDemoContent(ctx, db); err != nil {
		return err
	}
	if err := setUpDemoCompliance(ctx, db); err != nil {
		return err
	}
	return setUpDemoActivities(ctx, db)
}

// setUpDemoContent creates a small catalogue of several types, with fixed
// ids named in the README.
func setUpDemoContent(ctx context.Context, db *sqldb.DB) error {
	contents := sqldb.NewContentService(db)
	for _, c := range []struct {
		id, title, typ string
		minutes        int
		tags           []string
	}{
		{demoContentID, "Fire safety", "video", 15, []string{"safety", "compliance"}},
		{"650000000000000000000c02", "Secure coding", "elearning", 45, []string{"security", "engineering"}},
		{"650000000000000000000c03", "Data protection in practice", "article", 10, []string{"compliance", "privacy"}},
		{"650000000000000000000c04", "Incident response quiz", "quiz", 5, []string{"security"}},
		{"650000000000000000000c05", "Onboarding pathway", "pathway", 120, []string{"onboarding"}},
	} {
		title, typ, official, tags := c.title, c.typ, true, c.tags
		minutes := &c.minutes
		if _, err := contents.CreateContent(ctx, c.id, lethe.ContentFields{Title: &title, Type: &typ, IsOfficial: &official,
			Tags: &tags, DurationMinutes: &minutes}); err != nil {
			return err
		}
	}
	return nil
}

// setUpDemoActivities records a few weeks of activity of the demo users.
func setUpDemoActivities(ctx context.Context, db *sqldb.DB) error {
	now := db.Now().UTC().Truncate(time.Minute)
	learners := []lethe.LearnerID{"650000000000000000000001", "650000000000000000000002"}
	content := []string{demoContentID, "650000000000000000000c02", "650000000000000000000c03", "650000000000000000000c04"}
	types := []string{"viewed", "started", "progressed", "liked", "viewed", "shared"}
	var batch []lethe.NewActivity
	for i := range 60 {
		batch = append(batch, lethe.NewActivity{
			ClientID: fmt.Sprintf("demo-%03d", i), User: lethe.ByID(learners[i%len(learners)]), Type: types[i%len(types)],
			Date: now.Add(-time.Duration(60-i) * 37 * time.Hour), ContextType: "content", ContextID: content[i%len(content)],
			Data: []byte(`{"source":{"source":"feed"}}`),
		})
	}
	_, err := sqldb.NewActivityService(db).IngestActivities(ctx, batch)
	return err
}

// Fixed ids of the demo's compliance records, named in the README.
const (
	demoAssignmentID = "650000000000000000000b01"
	demoContentID    = "650000000000000000000c01"
)

// setUpDemoCompliance creates a structure and an audience of three users
// with an assignment, two of whose enrolments are completed.
func setUpDemoCompliance(ctx context.Context, db *sqldb.DB) error {
	audiences := sqldb.NewAudienceService(db)
	org, err := audiences.CreateAudience(ctx, lethe.AudienceFields{Name: strp("Demo organisation"), Reference: strp("DEMO")})
	if err != nil {
		return err
	}
	team, err := audiences.CreateAudience(ctx, lethe.AudienceFields{Name: strp("Safety training"), Reference: strp("SAFETY"),
		ParentID: &org.ID})
	if err != nil {
		return err
	}
	if _, err := audiences.AddMembers(ctx, team.ID, []string{"EMP001", "EMP002", "EMP004"}); err != nil {
		return err
	}
	content, recurrence := demoContentID, 365
	if _, err := sqldb.NewAssignmentService(db).CreateAssignmentWithID(ctx, demoAssignmentID, lethe.AssignmentFields{
		AudienceID: &team.ID, ContentID: &content, Recurrence: &recurrence}); err != nil {
		return err
	}
	completions := sqldb.NewCompletionService(db)
	for _, id := range []lethe.LearnerID{"650000000000000000000001", "650000000000000000000002"} {
		if _, _, err := completions.CreateCompletion(ctx, id, content, db.Now()); err != nil {
			return err
		}
	}
	return nil
}
