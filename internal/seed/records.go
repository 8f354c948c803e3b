package seed

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
)

// orgSeeder writes the records of the seeded learners.
type orgSeeder struct {
	load     *sqldb.Loader
	org      *seedOrg
	o        Options
	learners []learner
	counts   *Counts
	progress func(string, int, int)
	now      time.Time
	// activities is how many activities each learner is owed.
	activities []uint8
}

// seedBatch is how many learners one transaction of the record pass takes.
const seedBatch = 20_000

// records writes, per learner in id order, the memberships, the data key,
// the enrolments with their events, the completions and the CPD entry.
func (s *orgSeeder) records(ctx context.Context) error {
	rng := rand.New(rand.NewPCG(s.o.Seed^0x5eed, s.o.Seed))
	ids := &seedIDs{}
	for start := 0; start < len(s.learners); start += seedBatch {
		end := min(start+seedBatch, len(s.learners))
		err := s.load.Tx(ctx, func(ctx context.Context, tx *sqldb.LoadTx) error {
			w := newRecordWriters(ctx, tx)
			for i := start; i < end; i++ {
				if err := s.learnerRecords(ctx, w, rng, ids, i); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("seed records: %w", err)
		}
		s.progress("records", end, len(s.learners))
	}
	return nil
}

// seedIDs numbers the rows of each table; the ids are time-ordered ids of
// the seed's start with the number as the random half, so each table's
// ids rise in the order its rows are written.
type seedIDs struct{ enrolment, completion, cpd int }

type recordWriters struct {
	tx                                             *sqldb.LoadTx
	tenant                                         string
	members, enrolments, history, completions, cpd *sqldb.LoadTable
}

func newRecordWriters(ctx context.Context, tx *sqldb.LoadTx) *recordWriters {
	return &recordWriters{
		tx:      tx,
		tenant:  string(actorTenant(ctx)),
		members: tx.Table("audience_members", "tenant_id", "audience_id", "learner_id", "added_at"),
		enrolments: tx.Table("enrolments", "tenant_id", "id", "assignment_id", "learner_id", "audience_id", "assigned",
			"available_at", "due_at", "last_completed_at", "last_completion_id", "created_at", "updated_at"),
		history: tx.Table("enrolment_history", "tenant_id", "enrolment_id", "seq", "type", "completion_id",
			"previous_status", "next_status", "created_at"),
		completions: tx.Table("completions", "tenant_id", "id", "learner_id", "content_id", "completed_at",
			"is_rpl", "completion_type", "created_at"),
		cpd: tx.Table("cpd_entries", "tenant_id", "id", "learner_id", "category_id", "activity_type", "activity_name",
			"entry_date", "duration_minutes", "is_verified", "created_at", "sealed"),
	}
}

var cpdNames = []string{"Conference talk", "Webinar", "Professional reading", "Workshop", "Mentoring session", "Peer review"}

func (s *orgSeeder) learnerRecords(ctx context.Context, w *recordWriters, rng *rand.Rand, ids *seedIDs, i int) error {
	l := s.learners[i]
	tenant := w.tenant
	org, shape := s.org, s.org.shape
	erased := l.deletedAt != 0
	region, dept := i%shape.regions, i%shape.departments
	budget := s.o.RecordsPerUser
	var key *sqldb.LearnerKey
	if !erased {
		for _, a := range []string{org.allStaff, org.regions[region], org.departments[dept]} {
			if err := w.members.Add(ctx, tenant, a, l.id, l.created); err != nil {
				return err
			}
			s.counts.Memberships++
		}
		k, err := w.tx.NewLearnerKey(ctx, l.id, l.created)
		if err != nil {
			return err
		}
		key = &k
	}
	assigned := []seedAssign{org.conduct, org.protection, org.induction[dept]}
	if !erased {
		assigned = append(assigned, org.safety[region])
	}
	for _, a := range assigned {
		if budget == 0 {
			break
		}
		budget--
		completed := budget > 0 && rng.IntN(100) < a.completes
		if completed {
			budget--
		}
		if err := s.enrolment(ctx, w, rng, ids, l, a, completed); err != nil {
			return err
		}
	}
	if budget > 0 {
		budget--
		if err := s.cpdEntry(ctx, w, rng, ids, l, key); err != nil {
			return err
		}
	}
	s.activities[i] = uint8(min(budget, 255))
	return nil
}

// enrolment writes learner l's enrolment in a, available when both existed
// and due a completion period later, with its events: assigned; completed,
// when it has a completion; unassigned, when the learner was erased.
func (s *orgSeeder) enrolment(ctx context.Context, w *recordWriters, rng *rand.Rand, ids *seedIDs, l learner, a seedAssign, completed bool) error {
	tenant := w.tenant
	day := int64(dayMS)
	avail := max(l.created, a.created)
	e := &lethe.Enrolment{Assigned: true, AvailableAt: fromMS(avail), DueAt: fromMS(avail + int64(a.period)*day),
		CompletionPeriod: a.period}
	if a.recurrence > 0 {
		r := a.recurrence
		e.Recurrence = &r
	}
	end := ms(s.now) // the last moment anything can have happened
	if l.deletedAt != 0 {
		end = l.deletedAt
	}
	ids.enrolment++
	id := seedID(seedEpoch, ids.enrolment)
	h := []any{tenant, id, 1, lethe.EventAssigned, nil, nil, string(lethe.EnrolmentStatusAt(e, e.AvailableAt)), avail}
	seq, updated := 1, avail
	var completedAt, completionID any
	if completed {
		// A one-off is done within 1.2 periods of opening; a recurring one
		// was last done within a cycle and a period or so of now.
		var at int64
		if a.recurrence == 0 {
			at = avail + rng.Int64N(int64(a.period)*day*6/5+1)
		} else {
			at = end - rng.Int64N(int64(a.recurrence+a.period+60)*day)
		}
		at = min(max(at, avail), end-1)
		if at >= avail {
			before := lethe.EnrolmentStatusAt(e, fromMS(at))
			t := fromMS(at)
			e.LastCompletedAt = &t
			ids.completion++
			cid := seedID(seedEpoch, ids.completion)
			if err := w.completions.Add(ctx, tenant, cid, l.id, a.content, at, false, lethe.CompletionManual, at); err != nil {
				return err
			}
			s.counts.Completions++
			completedAt, completionID = at, cid
			seq++
			h = append(h, tenant, id, seq, lethe.EventCompleted, cid, string(before), string(lethe.EnrolmentStatusAt(e, t)), at)
			updated = at
		}
	}
	assignedNow := l.deletedAt == 0
	if !assignedNow {
		before := lethe.EnrolmentStatusAt(e, fromMS(l.deletedAt))
		seq++
		h = append(h, tenant, id, seq, lethe.EventUnassigned, nil, string(before), string(lethe.EnrolmentUnassigned), l.deletedAt)
		updated = l.deletedAt
	}
	if err := w.enrolments.Add(ctx, tenant, id, a.id, l.id, a.audience, assignedNow, avail, ms(e.DueAt),
		completedAt, completionID, avail, updated); err != nil {
		return err
	}
	s.counts.Enrolments++
	for len(h) > 0 {
		if err := w.history.Add(ctx, h[:8]...); err != nil {
			return err
		}
		h = h[8:]
	}
	return nil
}

// cpdEntry writes one manual CPD entry of the past two years, its activity
// name sealed under the learner's key; an erased learner's (no key) has
// its text gone, as an erasure leaves it.
func (s *orgSeeder) cpdEntry(ctx context.Context, w *recordWriters, rng *rand.Rand, ids *seedIDs, l learner, key *sqldb.LearnerKey) error {
	tenant := w.tenant
	ids.cpd++
	id := seedID(seedEpoch, ids.cpd)
	end := ms(s.now)
	if l.deletedAt != 0 {
		end = l.deletedAt
	}
	start := max(l.created, end-2*365*dayMS)
	date := start + rng.Int64N(end-start+1)
	var sealed []byte
	if key != nil {
		var err error
		if sealed, err = w.tx.SealName(*key, "cpd_entries", id, cpdNames[rng.IntN(len(cpdNames))]); err != nil {
			return err
		}
	}
	s.counts.CPDEntries++
	return w.cpd.Add(ctx, tenant, id, l.id, nil, lethe.CPDActivityManual, "", date, 15+rng.IntN(226), false, date, sealed)
}

// seedEpoch is the time part of the ids of seeded enrolments, completions
// and CPD entries.
var seedEpoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
