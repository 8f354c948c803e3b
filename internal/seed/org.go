package seed

import (
	"context"
	"fmt"
	"time"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
)

// seedOrg is the structure a seed builds before the records.
type seedOrg struct {
	shape       seedShape
	allStaff    string
	regions     []string // audience ids
	departments []string
	contents    []string   // the library
	conduct     seedAssign // all staff, yearly
	protection  seedAssign // all staff, every two years
	safety      []seedAssign
	induction   []seedAssign
}

type seedAssign struct {
	id, audience, content string
	created               int64 // ms
	period                int   // days
	recurrence            int   // days; 0 for none
	completes             int   // percent of enrolments that have a completion
}

// structure creates the catalogue, the audiences and the assignments
// through the services (they are few), with the clock at when each was
// created: the catalogue and structure on 2020-01-01, the health and safety
// assignments 60 days ago. The audiences are empty when the assignments are
// created, so no enrolments are written yet.
func structure(ctx context.Context, db *sqldb.DB, shape seedShape, counts *Counts) (*seedOrg, error) {
	clock := db.Now
	defer func() { db.Now = clock }()
	now := clock().UTC()
	at := func(t time.Time) { db.Now = func() time.Time { return t } }
	at(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
	org := &seedOrg{shape: shape}
	if err := org.catalogue(ctx, db, counts); err != nil {
		return nil, err
	}
	if err := org.audiences(ctx, db, counts); err != nil {
		return nil, err
	}
	if err := org.assignments(ctx, db, counts, func() { at(now.Add(-60 * 24 * time.Hour)) }); err != nil {
		return nil, err
	}
	return org, nil
}

// catalogue creates the 40 items of the library.
func (org *seedOrg) catalogue(ctx context.Context, db *sqldb.DB, counts *Counts) error {
	contents := sqldb.NewContentService(db)
	types := []string{"elearning", "video", "article", "assessment", "scorm", "pathway", "file", "event"}
	for i := range 40 {
		title, typ, official := fmt.Sprintf("Library item %02d", i+1), types[i%len(types)], i < 8
		minutes := 15 + (i*7)%60
		mp := &minutes
		tags := []string{}
		f := lethe.ContentFields{Title: &title, Type: &typ, IsOfficial: &official, Tags: &tags, DurationMinutes: &mp}
		c, err := contents.CreateContent(ctx, "", f)
		if err != nil {
			return fmt.Errorf("seed content: %w", err)
		}
		org.contents = append(org.contents, c.ID)
	}
	counts.Contents = len(org.contents)
	return nil
}

// audiences creates the structure: the organisation, all staff, the
// regions and the departments.
func (org *seedOrg) audiences(ctx context.Context, db *sqldb.DB, counts *Counts) error {
	shape := org.shape
	audiences := sqldb.NewAudienceService(db)
	create := func(name, ref string, parent *string, cat lethe.AudienceCategory) (string, error) {
		a, err := audiences.CreateAudience(ctx, lethe.AudienceFields{Name: &name, Reference: &ref, ParentID: parent, Category: &cat})
		if err != nil {
			return "", fmt.Errorf("seed audience: %w", err)
		}
		counts.Audiences++
		return a.ID, nil
	}
	root, err := create("Seeded organisation", "ORG", nil, lethe.CategoryStructure)
	if err != nil {
		return err
	}
	if org.allStaff, err = create("All staff", "ALL-STAFF", &root, lethe.CategoryAudience); err != nil {
		return err
	}
	for r := range shape.regions {
		id, err := create(fmt.Sprintf("Region %02d", r+1), fmt.Sprintf("REGION-%02d", r+1), &root, lethe.CategoryStructure)
		if err != nil {
			return err
		}
		org.regions = append(org.regions, id)
	}
	for d := range shape.departments {
		id, err := create(fmt.Sprintf("Department %04d", d+1), fmt.Sprintf("DEPT-%04d", d+1), &org.regions[d%shape.regions],
			lethe.CategoryStructure)
		if err != nil {
			return err
		}
		org.departments = append(org.departments, id)
	}
	return nil
}

// assignments creates the assignments; sixtyDaysAgo moves the clock for
// the health and safety ones.
func (org *seedOrg) assignments(ctx context.Context, db *sqldb.DB, counts *Counts, sixtyDaysAgo func()) error {
	assignments := sqldb.NewAssignmentService(db)
	assign := func(audience, content string, period, recurrence, completes int) (seedAssign, error) {
		f := lethe.AssignmentFields{AudienceID: &audience, ContentID: &content, CompletionPeriod: &period}
		if recurrence > 0 {
			f.Recurrence = &recurrence
		}
		a, err := assignments.CreateAssignment(ctx, f)
		if err != nil {
			return seedAssign{}, fmt.Errorf("seed assignment: %w", err)
		}
		counts.Assignments++
		return seedAssign{id: a.ID, audience: audience, content: content, created: ms(a.CreatedAt), period: period,
			recurrence: recurrence, completes: completes}, nil
	}
	var err error
	if org.conduct, err = assign(org.allStaff, org.contents[0], 30, 365, 85); err != nil {
		return err
	}
	if org.protection, err = assign(org.allStaff, org.contents[1], 60, 730, 80); err != nil {
		return err
	}
	for _, d := range org.departments {
		a, err := assign(d, org.contents[2], 90, 0, 90)
		if err != nil {
			return err
		}
		org.induction = append(org.induction, a)
	}
	sixtyDaysAgo()
	for _, r := range org.regions {
		a, err := assign(r, org.contents[3], 90, 0, 55)
		if err != nil {
			return err
		}
		org.safety = append(org.safety, a)
	}
	return nil
}
