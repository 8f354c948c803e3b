package seed

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
)

// Options says what Organisation writes.
type Options struct {
	Users int
	// RecordsPerUser is how many learning records (enrolments, completions,
	// CPD entries and activities) each learner gets.
	RecordsPerUser int
	Seed           uint64 // the same seed gives the same organisation
	// Progress, when set, is told after each batch how far a stage is.
	Progress func(stage string, done, total int)
}

// Counts is what Organisation wrote.
type Counts struct {
	Users       int `json:"users"`
	Contents    int `json:"contents"`
	Audiences   int `json:"audiences"`
	Memberships int `json:"memberships"`
	Assignments int `json:"assignments"`
	Enrolments  int `json:"enrolments"`
	Completions int `json:"completions"`
	CPDEntries  int `json:"cpdEntries"`
	Activities  int `json:"activities"`
}

// Records is the number of learning records written.
func (c Counts) Records() int { return c.Enrolments + c.Completions + c.CPDEntries + c.Activities }

// seedShape is the organisation Organisation builds for a number of users.
type seedShape struct {
	regions, departments int
}

func shapeFor(users int) seedShape {
	regions := max(1, (users+49_999)/50_000)  // about 50,000 people each
	perRegion := max(1, users/(regions*1000)) // departments of about 1,000
	return seedShape{regions: regions, departments: regions * perRegion}
}

// Organisation fills the empty tenant of the actor in ctx with a synthetic
// organisation, directly (not through the API) and quickly, for benchmarks
// and trials. The same options give the same organisation.
//
// The users are Users'. The organisation is a structure (the
// organisation, regions of about 50,000 people, departments of about 1,000)
// and an "All staff" audience; a catalogue of 40 items; two recurring
// assignments for all staff (code of conduct, yearly; data protection,
// every two years), a health and safety assignment per region opened 60
// days ago, and an induction per department. Every learner not erased is a
// member of all staff, its region and its department. Each learner's
// records are, in this order while RecordsPerUser lasts: an enrolment in
// each of its assignments (erased learners' are unassigned), a completion
// for most of them, one CPD entry, and activities for the rest, in sessions
// of up to five over the past year (erased learners' during their time).
//
// Rows are written in the order of their keys where they can be, in
// batches of large transactions; an interrupted seed leaves the tenant
// partly filled, so seed a new tenant. Organisation refuses a tenant that
// has users.
func Organisation(ctx context.Context, db *sqldb.DB, o Options) (counts Counts, err error) {
	if _, err := lethe.ActorFrom(ctx); err != nil {
		return counts, err
	}
	if o.Users < 0 || o.RecordsPerUser < 0 {
		return counts, fmt.Errorf("seed: users and records per user must not be negative")
	}
	progress := o.Progress
	if progress == nil {
		progress = func(string, int, int) {}
	}
	load, err := db.BeginLoad(ctx, sqldb.LoadOptions{EmptyTenant: true, DeferIndexes: true})
	if errors.Is(err, sqldb.ErrTenantNotEmpty) {
		return counts, lethe.Errorf(lethe.EConflict, "The tenant already has users; seed a new tenant.")
	}
	if err != nil {
		return counts, fmt.Errorf("seed: %w", err)
	}
	defer func() {
		if rerr := load.Close(); rerr != nil && err == nil {
			err = fmt.Errorf("seed: %w", rerr)
		}
	}()
	learners, err := users(ctx, load, o.Users, o.Seed, db.Now().UTC())
	if err != nil {
		return counts, err
	}
	counts.Users = o.Users
	progress("users", o.Users, o.Users)
	org, err := structure(ctx, db, shapeFor(o.Users), &counts)
	if err != nil {
		return counts, err
	}
	s := &orgSeeder{load: load, org: org, o: o, learners: learners, counts: &counts, progress: progress,
		now: db.Now().UTC().Truncate(time.Millisecond), activities: make([]uint8, len(learners))}
	if err := s.records(ctx); err != nil {
		return counts, err
	}
	if err := s.seedActivities(ctx); err != nil {
		return counts, err
	}
	if err := load.Finish(ctx, func(done, total int) { progress("indexes", done, total) }); err != nil {
		return counts, fmt.Errorf("seed: %w", err)
	}
	return counts, nil
}
