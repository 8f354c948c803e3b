package sqldb

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/lethehq/lethe"
)

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
			ins := tx.bulk(`INSERT INTO cpd_entries (tenant_id, id, learner_id, category_id, activity_type, activity_name,
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
				ins.add(tenant, id, string(learner), nil, lethe.CPDActivityManual,
					"", date, 15+rng.IntN(226), false, date, sealed)
				if ins.rows == ins.batch {
					if err := ins.flush(ctx); err != nil {
						return err
					}
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
