package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
)

// The demo tenant's fixed credentials, printed at start so the README's
// examples run verbatim. Never use --demo for real data.
const (
	demoTenantID = "demo"
	demoAPIKey   = "demo-api-key"
	// demoSCIMToken is the demo tenant's SCIM bearer token, named
	// demoSCIMTokenName, reset on every start like the API key.
	demoSCIMToken     = "demo-scim-token"
	demoSCIMTokenName = "demo"
	// The demo tenant's admin-console account, its password reset on
	// every start.
	demoConsoleEmail    = "admin@demo.test"
	demoConsolePassword = "demo-admin"
)

// printDemo prints the demo tenant's credentials and a first request of
// each API, on the address the server listens on.
func printDemo(e env, addr string) {
	fmt.Fprintf(e.stdout, "Demo tenant ready.\n  tenant id:  %s\n  api key:    %s\n  scim token: %s\n"+
		"  try: curl -u %s:%s http://%s/rest/v1/users\n"+
		"  try: curl -H 'Authorization: Bearer %s' 'http://%s/scim/v2/Users?filter=userName%%20eq%%20%%22EMP001%%22'\n",
		demoTenantID, demoAPIKey, demoSCIMToken, demoTenantID, demoAPIKey, addr, demoSCIMToken, addr)
	fmt.Fprintf(e.stdout, "Console: http://%s/admin  (%s / %s)\n", addr, demoConsoleEmail, demoConsolePassword)
}

// Fixed ids of demo records named in the README.
const (
	demoAssignmentID = "650000000000000000000b01"
	demoContentID    = "650000000000000000000c01"
)

// setUpDemo creates the demo tenant the first time, and resets the demo key,
// SCIM token and console account's password on every start. It is
// idempotent.
//
// The tenant is a small organisation with a history: a structure of
// departments with managers, forty-one people (some suspended, some past
// their end date, some who never signed in, one erased, one not started), a catalogue of every
// kind of content, assignments with enrolments in every status,
// completions, 90 days of activity, CPD and skills. The history is written
// through the services, with the store's clock set back to when each thing
// happened, so every record is what the API would have written then.
func setUpDemo(ctx context.Context, db *sqldb.DB, tenants *sqldb.TenantService, users *sqldb.UserService) error {
	_, _, err := tenants.CreateTenant(ctx, demoTenantID, "Demo organisation")
	switch lethe.ErrorCode(err) {
	case "":
	case lethe.EConflict: // already set up
		return setDemoCredentials(ctx, db, tenants)
	default:
		return err
	}
	if err := setDemoCredentials(ctx, db, tenants); err != nil {
		return err
	}
	clock := db.Now
	defer func() { db.Now = clock }()
	d := &demo{
		ctx:   lethe.WithActor(ctx, lethe.Actor{TenantID: demoTenantID, Source: lethe.SourceCLI, Name: "demo"}),
		db:    db,
		now:   clock().UTC().Truncate(time.Minute),
		users: users,
		rng:   rand.New(rand.NewPCG(2026, 12)),
	}
	for _, step := range []func() error{d.people, d.catalogue, d.audiences, d.compliance, d.cpdAndSkills, d.activity, d.leavers} {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// setDemoCredentials gives the demo tenant its documented API key, SCIM
// token and console account.
func setDemoCredentials(ctx context.Context, db *sqldb.DB, tenants *sqldb.TenantService) error {
	if err := tenants.SetTenantKey(ctx, demoTenantID, demoAPIKey); err != nil {
		return err
	}
	if err := sqldb.NewSCIMTokenService(db).SetSCIMToken(ctx, demoTenantID, demoSCIMTokenName, demoSCIMToken); err != nil {
		return err
	}
	return setDemoConsoleAccount(ctx, db)
}

// setDemoConsoleAccount creates the demo's console account (an admin) if
// it is missing, and sets its password through a fresh set-password link,
// as its owner would.
func setDemoConsoleAccount(ctx context.Context, db *sqldb.DB) error {
	actx := lethe.WithActor(ctx, lethe.Actor{TenantID: demoTenantID, Source: lethe.SourceCLI, Name: "demo"})
	svc := sqldb.NewConsoleService(db)
	list, err := svc.FindConsoleAccounts(actx)
	if err != nil {
		return err
	}
	token := ""
	for _, a := range list {
		if lethe.NormalizeEmail(a.Email) == demoConsoleEmail {
			if token, err = svc.NewPasswordLink(actx, a.ID); err != nil {
				return err
			}
		}
	}
	if token == "" {
		if _, token, err = svc.CreateConsoleAccount(actx, demoConsoleEmail, lethe.RoleAdmin); err != nil {
			return err
		}
	}
	_, err = svc.SetConsolePassword(ctx, token, demoConsolePassword)
	return err
}

type demo struct {
	ctx   context.Context
	db    *sqldb.DB
	now   time.Time
	users *sqldb.UserService
	rng   *rand.Rand
}

// at sets the store's clock to days before the start of the set-up.
func (d *demo) at(days float64) time.Time {
	t := d.now.Add(-time.Duration(days * float64(24*time.Hour)))
	d.db.Now = func() time.Time { return t }
	return t
}

// demoPerson is one person of the demo organisation. Ids are fixed:
// 6500000000000000000000NN for EMP0NN.
type demoPerson struct {
	n                int
	first, last, job string
	dept, manager    string // department reference; manager ref
	login            bool   // has signed in
	email            string // "" for first.last@example.com
}

func (p demoPerson) ref() string         { return fmt.Sprintf("EMP%03d", p.n) }
func (p demoPerson) id() lethe.LearnerID { return demoID(p.n) }

func demoID(n int) lethe.LearnerID {
	return lethe.LearnerID(fmt.Sprintf("6500000000000000000000%02d", n))
}

// demoPeople: EMP001-EMP004 are the README's; the rest fill the departments.
var demoPeople = []demoPerson{
	{1, "Ada", "Lovelace", "Head of Learning", "L&D", "", true, ""},
	{2, "Alan", "Turing", "Analyst", "Research", "EMP001", false, ""},
	{3, "Grace", "Hopper", "Engineer", "Engineering", "EMP001", true, ""},
	{4, "Katherine", "Johnson", "", "", "", false, ""},
	{5, "Margaret", "Hamilton", "Head of Engineering", "Engineering", "EMP001", true, ""},
	{6, "Dennis", "Ritchie", "Senior Engineer", "Engineering", "EMP005", true, ""},
	{7, "Ken", "Thompson", "Engineer", "Engineering", "EMP005", true, ""},
	{8, "Barbara", "Liskov", "Staff Engineer", "Engineering", "EMP005", true, ""},
	{9, "Donald", "Knuth", "Engineer", "Engineering", "EMP005", false, ""},
	{10, "Frances", "Allen", "Engineer", "Engineering", "EMP005", true, ""},
	{11, "John", "Backus", "Engineer", "Engineering", "EMP005", true, ""},
	{12, "Edsger", "Dijkstra", "Engineer", "Engineering", "EMP005", true, ""},
	{13, "Radia", "Perlman", "Network Engineer", "Engineering", "EMP005", true, ""},
	{14, "Tim", "Berners-Lee", "Engineer", "Engineering", "EMP005", false, ""},
	{15, "Hedy", "Lamarr", "Head of Sales", "Sales", "EMP001", true, ""},
	{16, "Claude", "Shannon", "Account Executive", "Sales", "EMP015", true, ""},
	{17, "Annie", "Easley", "Account Executive", "Sales", "EMP015", true, ""},
	{18, "Charles", "Babbage", "Sales Engineer", "Sales", "EMP015", true, ""},
	{19, "Mary", "Somerville", "Account Manager", "Sales", "EMP015", true, ""},
	{20, "Alonzo", "Church", "Account Manager", "Sales", "EMP015", false, ""},
	{21, "Evelyn", "Granville", "Sales Operations", "Sales", "EMP015", true, ""},
	{22, "Jean", "Bartik", "Head of Operations", "Operations", "EMP001", true, ""},
	{23, "Kathleen", "Booth", "Operations Analyst", "Operations", "EMP022", true, ""},
	{24, "John", "von Neumann", "Facilities Lead", "Operations", "EMP022", true, "john.vonneumann@example.com"},
	{25, "Marie", "Curie", "Safety Officer", "Operations", "EMP022", true, ""},
	{26, "Rosalind", "Franklin", "Lab Technician", "Operations", "EMP022", true, ""},
	{27, "Emmy", "Noether", "Operations Analyst", "Operations", "EMP022", true, ""},
	{28, "Sophie", "Wilson", "Head of People", "People", "EMP001", true, ""},
	{29, "Steve", "Furber", "HR Partner", "People", "EMP028", true, ""},
	{30, "Adele", "Goldberg", "Recruiter", "People", "EMP028", true, ""},
	{31, "Carol", "Shaw", "HR Coordinator", "People", "EMP028", false, ""},
	{32, "Lynn", "Conway", "Payroll Specialist", "People", "EMP028", true, ""},
	{33, "Niklaus", "Wirth", "Engineer", "Engineering", "EMP005", true, ""},
	{34, "Shafi", "Goldwasser", "Security Engineer", "Engineering", "EMP005", true, ""},
	{35, "Leslie", "Lamport", "Principal Engineer", "Engineering", "EMP005", true, ""},
	{36, "Ivan", "Sutherland", "Product Designer", "Engineering", "EMP005", true, ""},
	{37, "Elizabeth", "Feinler", "Knowledge Manager", "Operations", "EMP022", true, ""},
	{38, "Kristen", "Nygaard", "Consultant", "Sales", "EMP015", false, ""},
	{39, "Mary", "Keller", "Learning Designer", "L&D", "EMP001", true, ""},
	{40, "Seymour", "Cray", "Hardware Engineer", "Engineering", "EMP005", true, ""},
	// A new hire provisioned ahead of their first day: no history yet.
	{41, "Evelyn", "Berezin", "Systems Designer", "", "EMP005", false, ""},
}

func strp(s string) *string { return &s }

// people creates everyone 120 days ago and records first sign-ins over the
// following weeks.
func (d *demo) people() error {
	admin := lethe.RoleAdministrator
	expired := time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC)
	for _, p := range demoPeople {
		d.at(120)
		email := p.email
		if email == "" {
			email = lowerASCII(p.first + "." + p.last + "@example.com")
		}
		f := lethe.UserFields{FirstName: strp(p.first), LastName: strp(p.last), Email: strp(email),
			TimeZone: strp("Europe/London"), LanguageCode: strp("en-gb")}
		if p.job != "" {
			f.JobTitle = strp(p.job)
		}
		if p.manager != "" {
			f.ManagerRef = strp(p.manager)
		}
		if p.dept != "" {
			f.AdditionalFields = json.RawMessage(`{"department":"` + p.dept + `"}`)
		}
		switch p.n {
		case 1:
			f.Role = &admin
		case 4:
			f.EndDate = &expired
		}
		if _, err := d.users.CreateUserWithID(d.ctx, p.id(), p.ref(), f); err != nil {
			return err
		}
		if p.login {
			d.at(118 - float64(p.n%20))
			if _, err := d.users.RecordLogin(d.ctx, lethe.ByID(p.id())); err != nil {
				return err
			}
		}
	}
	return nil
}

// demoContents is the catalogue: every kind of content, with fixed ids.
var demoContents = []struct {
	id, title, typ string
	minutes        int // 0: no duration
	tags           []string
}{
	{demoContentID, "Fire safety", "video", 15, []string{"safety", "compliance"}},
	{"650000000000000000000c02", "Secure coding", "elearning", 45, []string{"security", "engineering"}},
	{"650000000000000000000c03", "Data protection in practice", "article", 10, []string{"compliance", "privacy"}},
	{"650000000000000000000c04", "Incident response quiz", "quiz", 5, []string{"security"}},
	{"650000000000000000000c05", "Onboarding pathway", "pathway", 120, []string{"onboarding"}},
	{"650000000000000000000c06", "Anti-bribery and corruption", "elearning", 30, []string{"compliance", "ethics"}},
	{"650000000000000000000c07", "Manual handling", "video", 20, []string{"safety", "health"}},
	{"650000000000000000000c08", "Leadership essentials", "pathway", 240, []string{"leadership", "management"}},
	{"650000000000000000000c09", "Quarterly all-hands", "broadcast", 60, []string{"communication"}},
	{"650000000000000000000c0a", "Expense policy", "file", 5, []string{"finance", "compliance"}},
	{"650000000000000000000c0b", "Customer discovery interviews", "url", 0, []string{"sales"}},
	{"650000000000000000000c0c", "Information security awareness", "scorm", 25, []string{"security", "compliance"}},
	{"650000000000000000000c0d", "First aid at work", "event", 360, []string{"safety", "health"}},
	{"650000000000000000000c0e", "Code review checklist", "article", 8, []string{"engineering"}},
	{"650000000000000000000c0f", "Wellbeing check-in", "cmi5", 15, []string{"wellbeing"}},
	{"650000000000000000000c10", "Which learning style are you?", "question", 2, []string{"onboarding"}},
	{"650000000000000000000c11", "Sales certification", "assessment", 90, []string{"sales"}},
	{"650000000000000000000c12", "Travel policy (2019)", "file", 5, []string{"finance"}},
	{"650000000000000000000c13", "Welcome to the team", "mixed", 30, []string{"onboarding"}},
}

// catalogue creates the content 110 days ago, edits one since and archives
// the outdated travel policy.
func (d *demo) catalogue() error {
	contents := sqldb.NewContentService(d.db)
	for i, c := range demoContents {
		d.at(110 - float64(i))
		title, typ, official, tags := c.title, c.typ, c.typ != "url", c.tags
		var minutes *int
		if c.minutes > 0 {
			minutes = &c.minutes
		}
		f := lethe.ContentFields{Title: &title, Type: &typ, IsOfficial: &official, Tags: &tags, DurationMinutes: &minutes}
		if c.typ == "url" {
			f.Author = strp(string(demoID(15)))
		}
		if _, err := contents.CreateContent(d.ctx, c.id, f); err != nil {
			return err
		}
	}
	d.at(40)
	if _, err := contents.UpdateContent(d.ctx, "650000000000000000000c06", lethe.ContentFields{
		Description: strp("<p>Updated for this year's gifts and hospitality rules.</p>")}); err != nil {
		return err
	}
	d.at(30)
	_, err := contents.ArchiveContent(d.ctx, "650000000000000000000c12")
	return err
}

// demoDepartments are the audiences under the structure, by reference.
var demoDepartments = []struct{ ref, name, dept, head string }{
	{"DEPT-ENG", "Engineering", "Engineering", "EMP005"},
	{"DEPT-SALES", "Sales", "Sales", "EMP015"},
	{"DEPT-OPS", "Operations", "Operations", "EMP022"},
	{"DEPT-PEOPLE", "People team", "People", "EMP028"},
}

// audiences creates the structure, the departments with their members and
// managers, the people managers' audience, and the README's Safety training.
func (d *demo) audiences() error {
	audiences := sqldb.NewAudienceService(d.db)
	d.at(115)
	org, err := audiences.CreateAudience(d.ctx, lethe.AudienceFields{Name: strp("Demo organisation"), Reference: strp("DEMO")})
	if err != nil {
		return err
	}
	var grant lethe.ManagerPermissions
	grant.AudienceManager.ManageContent, grant.AudienceManager.Assignments = true, true
	grant.PeopleManager.CanViewLearnPage, grant.PeopleManager.Insights, grant.PeopleManager.Manage = true, true, true
	admin := grant
	admin.Administrator = &struct {
		CanAddAudienceManagers bool `json:"canAddAudienceManagers"`
	}{true}
	if _, err := audiences.AddManagers(d.ctx, org.ID, []lethe.ManagerGrant{{Reference: "EMP001", Permissions: admin}}); err != nil {
		return err
	}
	heads := []string{"EMP001"}
	for _, dep := range demoDepartments {
		a, err := audiences.CreateAudience(d.ctx, lethe.AudienceFields{Name: strp(dep.name), Reference: strp(dep.ref), ParentID: &org.ID})
		if err != nil {
			return err
		}
		var members []string
		for _, p := range demoPeople {
			if p.dept == dep.dept && p.n > 4 {
				members = append(members, p.ref())
			}
		}
		if _, err := audiences.AddMembers(d.ctx, a.ID, members); err != nil {
			return err
		}
		if _, err := audiences.AddManagers(d.ctx, a.ID, []lethe.ManagerGrant{{Reference: dep.head, Permissions: grant}}); err != nil {
			return err
		}
		heads = append(heads, dep.head)
	}
	managers, err := audiences.CreateAudience(d.ctx, lethe.AudienceFields{Name: strp("People managers"), Reference: strp("MANAGERS"), ParentID: &org.ID})
	if err != nil {
		return err
	}
	if _, err := audiences.AddMembers(d.ctx, managers.ID, heads); err != nil {
		return err
	}
	team, err := audiences.CreateAudience(d.ctx, lethe.AudienceFields{Name: strp("Safety training"), Reference: strp("SAFETY"), ParentID: &org.ID})
	if err != nil {
		return err
	}
	_, err = audiences.AddMembers(d.ctx, team.ID, []string{"EMP001", "EMP002", "EMP004"})
	return err
}

// compliance writes the assignments, completions and the events that give
// enrolments in every status: complete and overdue (anti-bribery, due a
// month ago), open (secure coding), open again after a recurrence (manual
// handling), archived (a deleted assignment), unassigned (someone who moved
// team), scheduled (a refresher that opens in two weeks), and the README's
// fire safety assignment.
func (d *demo) compliance() error {
	assignments := sqldb.NewAssignmentService(d.db)
	audiences := sqldb.NewAudienceService(d.db)
	completions := sqldb.NewCompletionService(d.db)
	assign := func(days float64, id, audience, content string, period int, recurrence int, alternatives ...string) error {
		d.at(days)
		f := lethe.AssignmentFields{AudienceID: &audience, ContentID: &content, CompletionPeriod: &period}
		if recurrence > 0 {
			f.Recurrence = &recurrence
		}
		if len(alternatives) > 0 {
			f.AlternativeContentIDs = &alternatives
		}
		_, err := assignments.CreateAssignmentWithID(d.ctx, id, f)
		return err
	}
	complete := func(days float64, n int, content string) error {
		at := d.at(days)
		_, _, err := completions.CreateCompletion(d.ctx, demoID(n), content, at)
		return err
	}
	steps := []func() error{
		func() error {
			return assign(100, "650000000000000000000b04", "DEPT-OPS", "650000000000000000000c07", 14, 90)
		},
		func() error { return complete(97, 23, "650000000000000000000c07") },
		func() error { return complete(96, 24, "650000000000000000000c07") },
		func() error { return complete(20, 25, "650000000000000000000c07") },
		func() error {
			return assign(60, "650000000000000000000b02", "DEPT-SALES", "650000000000000000000c06", 30, 365)
		},
		func() error { return complete(50, 16, "650000000000000000000c06") },
		func() error { return complete(41, 17, "650000000000000000000c06") },
		func() error { return complete(22, 18, "650000000000000000000c06") },
		func() error {
			return assign(30, "650000000000000000000b05", "DEPT-OPS", "650000000000000000000c0a", 14, 0)
		},
		func() error {
			d.at(25)
			return assignments.DeleteAssignment(d.ctx, "650000000000000000000b05", "DEPT-OPS")
		},
		func() error {
			return assign(20, "650000000000000000000b03", "DEPT-ENG", "650000000000000000000c02", 45, 0, "650000000000000000000c0c")
		},
		func() error { return complete(15, 40, "650000000000000000000c02") },
		func() error { return complete(10, 6, "650000000000000000000c02") },
		func() error { return complete(5, 8, "650000000000000000000c02") },
		func() error { return complete(3, 12, "650000000000000000000c0c") },
		func() error { return complete(12, 5, "650000000000000000000c08") },
		func() error { return complete(8, 28, "650000000000000000000c08") },
		func() error {
			d.at(7) // a designer moved to the product team
			return audiences.RemoveMember(d.ctx, "DEPT-ENG", "EMP036")
		},
		func() error {
			if err := assign(0, "650000000000000000000b07", "DEPT-PEOPLE", "650000000000000000000c03", 30, 365); err != nil {
				return err
			}
			return sqldb.NewAssignmentService(d.db).Schedule(d.ctx, "650000000000000000000b07", d.now.Add(14*lethe.Day))
		},
		// The README's assignment: Ada and Alan complete fire safety now.
		func() error { return assign(0, demoAssignmentID, "SAFETY", demoContentID, 30, 365) },
		func() error { return complete(0, 1, demoContentID) },
		func() error { return complete(0, 2, demoContentID) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// cpdAndSkills writes CPD categories, requirements and manual entries, the
// skill scale, interests and skills. (Completions of content with a
// duration have credited verified CPD entries already.)
func (d *demo) cpdAndSkills() error {
	cpd := sqldb.NewCPDService(d.db)
	tags := sqldb.NewTagService(d.db)
	d.at(100)
	categories := map[string]string{}
	for _, name := range []string{"Technical", "Leadership", "Compliance", "Professional body"} {
		c, err := cpd.CreateCategory(d.ctx, name)
		if err != nil {
			return err
		}
		categories[name] = c.ID
	}
	for _, r := range []struct {
		audience string
		minutes  int
	}{{"DEPT-ENG", 1200}, {"DEPT-SALES", 600}, {"DEPT-PEOPLE", 900}} {
		if _, err := cpd.CreateRequirement(d.ctx, r.audience, r.minutes); err != nil {
			return err
		}
	}
	entries := []struct {
		n              int
		days           float64
		typ, name, cat string
		minutes        int
		desc           string
	}{
		{6, 80, "conference", "Systems programming conference", "Technical", 480, "Two days of talks on compilers and kernels."},
		{6, 30, "reading", "The Art of Computer Programming, vol. 1", "Technical", 300, ""},
		{8, 70, "webinar", "Distributed consensus in practice", "Technical", 90, "Notes shared with the team."},
		{8, 12, "mentoring", "Mentoring a new engineer", "Leadership", 120, ""},
		{13, 55, "course", "Network security certificate", "Technical", 600, ""},
		{16, 45, "workshop", "Consultative selling", "Professional body", 240, ""},
		{17, 33, "webinar", "Pricing conversations", "Professional body", 60, ""},
		{29, 60, "course", "Employment law update", "Compliance", 180, "Changes to flexible working requests."},
		{30, 25, "conference", "Talent acquisition summit", "Professional body", 420, ""},
		{5, 20, "coaching", "Leadership coaching", "Leadership", 180, ""},
	}
	for _, e := range entries {
		at := d.at(e.days)
		entry := &lethe.CPDEntry{LearnerID: demoID(e.n), ActivityType: e.typ, ActivityName: e.name,
			CategoryID: categories[e.cat], EntryDate: at, DurationMinutes: e.minutes}
		if e.desc != "" {
			entry.Description = strp(e.desc)
		}
		if err := cpd.CreateEntry(d.ctx, entry); err != nil {
			return err
		}
	}
	d.at(90)
	if _, err := tags.ReplaceSkillLevels(d.ctx, []lethe.SkillLevel{{Name: "Beginner", Enabled: true, Value: 1},
		{Name: "Intermediate", Enabled: true, Value: 2}, {Name: "Advanced", Enabled: true, Value: 3}, {Name: "Expert", Enabled: true, Value: 4}}); err != nil {
		return err
	}
	for _, n := range []int{5, 6, 7, 8, 10, 12, 34, 35, 40} {
		if _, err := tags.AddLearnerTags(d.ctx, demoID(n), []string{"engineering", "security"}); err != nil {
			return err
		}
		level, target := 1+n%3, 4
		if _, err := tags.UpdateSkills(d.ctx, demoID(n), []lethe.SkillUpdate{{TagName: "security", Level: &level, TargetLevel: &target},
			{TagName: "engineering", Level: &target}}); err != nil {
			return err
		}
	}
	for _, n := range []int{1, 5, 15, 22, 28} {
		level, target := 2, 3
		if _, err := tags.AddLearnerTags(d.ctx, demoID(n), []string{"leadership"}); err != nil {
			return err
		}
		if _, err := tags.UpdateSkills(d.ctx, demoID(n), []lethe.SkillUpdate{{TagName: "leadership", Level: &level, TargetLevel: &target}}); err != nil {
			return err
		}
	}
	return nil
}

// activity ingests 90 days of activity of the people who sign in: views,
// progress, likes, comments, searches and sign-ins, as a front end would
// send them. Seymour Cray's come first, before he leaves.
func (d *demo) activity() error {
	activities := sqldb.NewActivityService(d.db)
	types := []string{"viewed", "viewed", "started", "progressed", "viewed", "liked", "resumed", "shared", "commented", "searched", "loggedin"}
	var batch []lethe.NewActivity
	add := func(p demoPerson, i int, date time.Time) {
		c := demoContents[d.rng.IntN(len(demoContents)-2)]
		a := lethe.NewActivity{ClientID: fmt.Sprintf("demo-%03d-%03d", p.n, i), User: lethe.ByID(p.id()),
			Type: types[d.rng.IntN(len(types))], Date: date, ContextType: "content", ContextID: c.id, Name: c.title,
			Data: json.RawMessage(`{"source":{"source":"feed"}}`)}
		switch a.Type {
		case "searched":
			a.ContextType, a.ContextID, a.Name = "", "", ""
			a.Data = json.RawMessage(`{"query":"` + c.tags[0] + `"}`)
		case "loggedin":
			a.ContextType, a.ContextID, a.Name, a.Data = "", "", "", json.RawMessage(`{"source":{"source":"sso"}}`)
		case "commented":
			a.Data = json.RawMessage(`{"comment":"Useful, thanks ` + p.first + `!"}`)
		case "progressed":
			a.Data = json.RawMessage(fmt.Sprintf(`{"progress":%d,"duration":"%d"}`, 10+d.rng.IntN(90), 60*(1+d.rng.IntN(30))))
		}
		batch = append(batch, a)
	}
	cray := demoPeople[39] // EMP040, erased in leavers
	for i := range 12 {
		add(cray, i, d.now.Add(-time.Duration(80-6*i)*lethe.Day).Add(9*time.Hour))
	}
	d.at(6)
	if _, err := activities.IngestActivities(d.ctx, batch); err != nil {
		return err
	}
	batch = batch[:0]
	// Nobody acts after they leave (see leavers): days before now.
	left := map[int]time.Duration{11: 30 * lethe.Day, 21: 15 * lethe.Day, 27: 10 * lethe.Day}
	for _, p := range demoPeople {
		if !p.login || p.n == cray.n {
			continue
		}
		for i := range 8 + d.rng.IntN(14) {
			ago := left[p.n] + time.Hour + time.Duration(d.rng.Int64N(int64(90*lethe.Day-left[p.n]-2*time.Hour)))
			add(p, i, d.now.Add(-ago).Truncate(time.Second))
		}
	}
	d.at(0)
	_, err := activities.IngestActivities(d.ctx, batch)
	return err
}

// leavers suspends the people on leave, expires a contract and erases
// Seymour Cray, who left and asked to be forgotten: his completions,
// enrolments, activities and CPD stay under his id.
func (d *demo) leavers() error {
	d.at(30)
	back := d.now.Add(60 * lethe.Day)
	if _, err := d.users.SuspendUser(d.ctx, lethe.ByRef("EMP011"), &back); err != nil { // parental leave
		return err
	}
	d.at(15)
	ended := d.now.Add(-15 * lethe.Day)
	if _, err := d.users.UpdateUser(d.ctx, lethe.ByRef("EMP021"), lethe.UserFields{EndDate: &ended}); err != nil {
		return err
	}
	d.at(10)
	if _, err := d.users.SuspendUser(d.ctx, lethe.ByRef("EMP027"), nil); err != nil {
		return err
	}
	d.at(5)
	if _, err := d.users.EraseUser(d.ctx, lethe.ByRef("EMP040")); err != nil {
		return err
	}
	d.at(0)
	_, err := d.users.SuspendUser(d.ctx, lethe.ByRef("EMP003"), nil)
	return err
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= 'A' && c <= 'Z':
			b[i] = c + 'a' - 'A'
		case c == ' ':
			b[i] = '.'
		}
	}
	return string(b)
}
