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
	rng := rand.New(rand.NewPCG(s.o.Seed^0xac71, s.o.Seed))
	type activity struct {
		learner int
		date    int64
		typ     string
		content string
	}
	var sessions []int32
	for i, l := range s.learners {
		if l.deletedAt == 0 {
			for n := int(s.activities[i]); n > 0; n -= 5 {
				sessions = append(sessions, int32(i))
			}
		}
	}
	rng.Shuffle(len(sessions), func(a, b int) { sessions[a], sessions[b] = sessions[b], sessions[a] })
	live := 0
	for i, l := range s.learners {
		if l.deletedAt == 0 {
			live += int(s.activities[i])
		}
	}
	total := 0
	for _, n := range s.activities {
		total += int(n)
	}
	steps := []string{"viewed", "started", "progressed", "progressed", "completed"}
	// next yields the activities in order; ok is false at the end.
	erased, session, k, m := 0, 0, 0, 0
	var cur struct {
		learner, left, step int
		content             string
	}
	start, span := ms(s.now)-365*dayMS, int64(365*dayMS-3_600_000)
	next := func() (a activity, ok bool) {
		for erased < len(s.learners) {
			l := s.learners[erased]
			if l.deletedAt == 0 || s.activities[erased] == 0 {
				erased++
				continue
			}
			// The m-th of the learner's n, evenly between an hour after
			// joining and the erasure.
			n := int(s.activities[erased])
			m++
			from := l.created + 3_600_000
			a = activity{learner: erased, typ: steps[m%5], content: s.org.contents[m%len(s.org.contents)],
				date: from + (l.deletedAt-from)*int64(m)/int64(n+1)}
			if m == n {
				s.activities[erased], m = 0, 0
				erased++
			}
			return a, true
		}
		for cur.left == 0 {
			if session == len(sessions) {
				return a, false
			}
			i := int(sessions[session])
			session++
			n := min(5, int(s.activities[i]))
			s.activities[i] -= uint8(n)
			cur.learner, cur.left, cur.step = i, n, 0
			cur.content = s.org.contents[rng.IntN(len(s.org.contents))]
		}
		a = activity{learner: cur.learner, typ: steps[cur.step], content: cur.content,
			date: start + span*int64(k)/int64(max(live, 1))}
		cur.left--
		cur.step++
		k++
		return a, true
	}
	done := 0
	for done < total {
		err := s.load.Tx(ctx, func(ctx context.Context, tx *sqldb.LoadTx) error {
			w := tx.Table("activities", "tenant_id", "id", "client_id", "learner_id", "type", "date", "context_type",
				"context_id", "created_at")
			tenant := string(actorTenant(ctx))
			{
				for end := min(done+200_000, total); done < end; done++ {
					a, ok := next()
					if !ok {
						return fmt.Errorf("seed activities: %d of %d written", done, total)
					}
					s.counts.Activities++
					err := w.Add(ctx, tenant, seedID(fromMS(a.date), done), tx.ActivityKey("seed-"+strconv.FormatUint(s.o.Seed, 10)+
						"-"+strconv.Itoa(done)), s.learners[a.learner].id, a.typ, a.date, "content", a.content, a.date)
					if err != nil {
						return err
					}
				}
				return nil
			}
		})
		if err != nil {
			return fmt.Errorf("seed activities: %w", err)
		}
		s.progress("activities", done, total)
	}
	return nil
}
