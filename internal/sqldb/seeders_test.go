package sqldb

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/lethehq/lethe"
)

// SeedActivities fills the tenant of the actor in ctx with n synthetic
// activities of learners, spread evenly over span before now, directly and
// quickly (as seed.Users), for benchmarks. Client ids are "seed-<seed>-<i>".
func (db *DB) SeedActivities(ctx context.Context, n int, learners []lethe.LearnerID, span time.Duration, seed uint64) error {
	actor, err := lethe.ActorFrom(ctx)
	if err != nil {
		return err
	}
	if len(learners) == 0 {
		return fmt.Errorf("seed activities: no learners")
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	now := db.Now().UTC()
	start := now.Add(-span)
	step := span / time.Duration(max(n, 1))
	types := []string{"viewed", "viewed", "viewed", "started", "progressed", "completed", "liked", "loggedin", "searched"}
	for done := 0; done < n; {
		err := db.rawWriteTx(ctx, actor, func(tx *Tx) error {
			ins := tx.rows(`INSERT INTO activities (tenant_id, id, client_id, learner_id, type, date, context_type,
				context_id, sealed, created_at) VALUES `, 10)
			defer ins.close()
			tenant := string(tx.actor.TenantID)
			ring, err := tx.keyring(ctx, learners)
			if err != nil {
				return err
			}
			text := &sealedText{Data: []byte(`{"source":{"source":"feed"}}`)}
			for end := min(done+100_000, n); done < end; done++ {
				at := start.Add(time.Duration(done) * step)
				content := fmt.Sprintf("c%023x", rng.IntN(5000))
				id, learner := seedID(at, done), learners[rng.IntN(len(learners))]
				sealed, err := ring.seal(learner, sealAAD(tenant, "activities", id), text)
				if err != nil {
					return err
				}
				if err := ins.add(ctx, tenant, id, tx.activityKey(fmt.Sprintf("seed-%d-%d", seed, done)), string(learner),
					types[rng.IntN(len(types))], ms(at), "content", content, sealed, ms(at)); err != nil {
					return err
				}
			}
			return ins.flush(ctx)
		})
		if err != nil {
			return fmt.Errorf("seed activities: %w", err)
		}
	}
	return nil
}

// SeedCPDEntries gives each of n synthetic learner ids perLearner CPD
// entries of 15-240 minutes spread over the two years before 2026-01-01,
// directly (for benchmarks; the learners are not created). It returns the
// learner ids.
func (db *DB) SeedCPDEntries(ctx context.Context, n, perLearner int, seed uint64) ([]lethe.LearnerID, error) {
	actor, err := lethe.ActorFrom(ctx)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	end := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	span := int64(2 * 365 * 24 * time.Hour / time.Millisecond)
	learners := make([]lethe.LearnerID, n)
	for i := range learners {
		learners[i] = lethe.LearnerID(seedID(end, i))
	}
	total := n * perLearner
	for done := 0; done < total; {
		err := db.rawWriteTx(ctx, actor, func(tx *Tx) error {
			ins := tx.rows(`INSERT INTO cpd_entries (tenant_id, id, learner_id, category_id, activity_type, activity_name,
				entry_date, duration_minutes, is_verified, created_at, sealed) VALUES `, 11)
			defer ins.close()
			tenant := string(tx.actor.TenantID)
			ring, err := tx.keyring(ctx, learners)
			if err != nil {
				return err
			}
			text := &sealedText{Name: "Seeded activity"}
			for stop := min(done+50_000, total); done < stop; done++ {
				date := ms(end) - span + rng.Int64N(span)
				id, learner := seedID(end.Add(time.Hour), done), learners[done%n]
				sealed, err := ring.seal(learner, sealAAD(tenant, "cpd_entries", id), text)
				if err != nil {
					return err
				}
				if err := ins.add(ctx, tenant, id, string(learner), nil, lethe.CPDActivityManual,
					"", date, 15+rng.IntN(226), false, date, sealed); err != nil {
					return err
				}
			}
			return ins.flush(ctx)
		})
		if err != nil {
			return nil, fmt.Errorf("seed cpd entries: %w", err)
		}
	}
	return learners, nil
}

// seedID is a time-ordered id whose random half is the row number, so seeded
// ids are unique and deterministic.
func seedID(t time.Time, i int) string {
	id := lethe.NewID(t)
	return id[:12] + fmt.Sprintf("%012x", i)
}

// SeedMembers makes every active learner of the tenant a member of audience
// id, in one statement, for benchmarks: AddMembers takes 100 users a
// request. Enrolments are not created (an assignment created afterwards
// enrols every member). It returns how many members were added.
func (db *DB) SeedMembers(ctx context.Context, id string) (n int, err error) {
	err = db.writeTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO audience_members (tenant_id, audience_id, learner_id, added_at)
			SELECT l.tenant_id, $2, l.id, $3 FROM learners l WHERE l.tenant_id = $1 AND l.state = 'active'
			ON CONFLICT DO NOTHING`, string(tx.actor.TenantID), id, ms(tx.now))
		if err != nil {
			return fmt.Errorf("seed members: %w", err)
		}
		added, _ := res.RowsAffected()
		n = int(added)
		return nil
	})
	return n, err
}
