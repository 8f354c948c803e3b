package seed

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/lethehq/lethe/internal/sqldb"
)

// seedActivities writes the activities the record pass left each learner,
// in date order (the keys of activities lead with the date): first the
// erased learners', during their time, in learner order, which is the
// order they joined; then everyone else's, in sessions of up to five
// activities of one learner on one item, the sessions shuffled over the
// past year.
func (s *orgSeeder) seedActivities(ctx context.Context) error {
	st := s.activityStream()
	done := 0
	for done < st.total {
		err := s.load.Tx(ctx, func(ctx context.Context, tx *sqldb.LoadTx) error {
			w := tx.Table("activities", "tenant_id", "id", "client_id", "learner_id", "type", "date", "context_type",
				"context_id", "created_at")
			tenant := string(actorTenant(ctx))
			for end := min(done+200_000, st.total); done < end; done++ {
				a, ok := st.next()
				if !ok {
					return fmt.Errorf("seed activities: %d of %d written", done, st.total)
				}
				s.counts.Activities++
				err := w.Add(ctx, tenant, seedID(fromMS(a.date), done), tx.ActivityKey("seed-"+strconv.FormatUint(s.o.Seed, 10)+
					"-"+strconv.Itoa(done)), s.learners[a.learner].id, a.typ, a.date, "content", a.content, a.date)
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("seed activities: %w", err)
		}
		s.progress("activities", done, st.total)
	}
	return nil
}

// activity is one seeded activity of learner (an index of the learners).
type activity struct {
	learner int
	date    int64
	typ     string
	content string
}

var activitySteps = []string{"viewed", "started", "progressed", "progressed", "completed"}

// activityStream yields the activities of seedActivities in order, taking
// them off s.activities as it goes.
type activityStream struct {
	s        *orgSeeder
	rng      *rand.Rand
	sessions []int32 // a learner's index per session, shuffled
	total    int     // activities in all
	live     int     // activities of learners not erased
	// erased is the erased learner being written, m the number of its
	// activities written so far; session and k count the sessions and
	// activities of the others.
	erased, m, session, k int
	cur                   struct {
		learner, left, step int
		content             string
	}
	start, span int64
}

func (s *orgSeeder) activityStream() *activityStream {
	st := &activityStream{s: s, rng: rand.New(rand.NewPCG(s.o.Seed^0xac71, s.o.Seed)),
		start: ms(s.now) - 365*dayMS, span: int64(365*dayMS - 3_600_000)}
	for i, l := range s.learners {
		if l.deletedAt == 0 {
			for n := int(s.activities[i]); n > 0; n -= 5 {
				st.sessions = append(st.sessions, int32(i))
			}
		}
	}
	st.rng.Shuffle(len(st.sessions), func(a, b int) { st.sessions[a], st.sessions[b] = st.sessions[b], st.sessions[a] })
	for i, l := range s.learners {
		if l.deletedAt == 0 {
			st.live += int(s.activities[i])
		}
		st.total += int(s.activities[i])
	}
	return st
}

// next yields the next activity; ok is false at the end.
func (st *activityStream) next() (a activity, ok bool) {
	s := st.s
	for st.erased < len(s.learners) {
		l := s.learners[st.erased]
		if l.deletedAt == 0 || s.activities[st.erased] == 0 {
			st.erased++
			continue
		}
		// The m-th of the learner's n, evenly between an hour after
		// joining and the erasure.
		n := int(s.activities[st.erased])
		st.m++
		from := l.created + 3_600_000
		a = activity{learner: st.erased, typ: activitySteps[st.m%5], content: s.org.contents[st.m%len(s.org.contents)],
			date: from + (l.deletedAt-from)*int64(st.m)/int64(n+1)}
		if st.m == n {
			s.activities[st.erased], st.m = 0, 0
			st.erased++
		}
		return a, true
	}
	cur := &st.cur
	for cur.left == 0 {
		if st.session == len(st.sessions) {
			return a, false
		}
		i := int(st.sessions[st.session])
		st.session++
		n := min(5, int(s.activities[i]))
		s.activities[i] -= uint8(n)
		cur.learner, cur.left, cur.step = i, n, 0
		cur.content = s.org.contents[st.rng.IntN(len(s.org.contents))]
	}
	a = activity{learner: cur.learner, typ: activitySteps[cur.step], content: cur.content,
		date: st.start + st.span*int64(st.k)/int64(max(st.live, 1))}
	cur.left--
	cur.step++
	st.k++
	return a, true
}
