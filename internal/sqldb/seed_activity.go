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
// quickly (as SeedUsers), for benchmarks. Client ids are "seed-<seed>-<i>".
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
			ins := tx.bulk(`INSERT INTO activities (tenant_id, id, client_id, learner_id, type, date, context_type,
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
				ins.add(tenant, id, tx.activityKey(fmt.Sprintf("seed-%d-%d", seed, done)), string(learner),
					types[rng.IntN(len(types))], ms(at), "content", content, sealed, ms(at))
				if ins.rows >= ins.batch {
					if err := ins.flush(ctx); err != nil {
						return err
					}
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
