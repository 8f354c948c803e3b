package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/lethehq/lethe"
)

// SeedUsers fills the tenant of the actor in ctx with n synthetic users,
// directly and quickly (multi-row inserts in large transactions), for
// benchmarks. The same seed gives the same users. About 60% have signed in,
// 20% never have, 10% are suspended, 5% have an end date in the past and 5%
// are erased; a fifth have a manager.
func (db *DB) SeedUsers(ctx context.Context, n int, seed uint64) error {
	actor, err := lethe.ActorFrom(ctx)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	base := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	now := db.Now().UTC()
	for done := 0; done < n; {
		err := db.rawWriteTx(ctx, actor, func(tx *Tx) error {
			ins, err := tx.prepareSeed(ctx)
			if err != nil {
				return err
			}
			defer ins.close()
			for end := min(done+50_000, n); done < end; done++ {
				if err := ins.user(ctx, string(tx.actor.TenantID), rng, done, base, now); err != nil {
					return err
				}
			}
			return tx.recount(ctx)
		})
		if err != nil {
			return fmt.Errorf("seed users: %w", err)
		}
	}
	return nil
}

// seedStmts are the prepared inserts of SeedUsers: one row per call is the
// fastest portable form (SQLite binds many-row parameter lists slowly).
type seedStmts struct{ learner, person, history *sql.Stmt }

func (tx *Tx) prepareSeed(ctx context.Context) (*seedStmts, error) {
	var s seedStmts
	var err error
	if s.learner, err = tx.PrepareContext(ctx, `INSERT INTO learners (tenant_id, id, state, role, login_method, sso,
		end_date, first_login_at, last_login_at, created_at, updated_at, deleted_at)
		VALUES ($1, $2, $3, 'learner', 'email', $4, $5, $6, $6, $7, $8, $9)`); err != nil {
		return nil, err
	}
	if s.person, err = tx.PrepareContext(ctx, `INSERT INTO people (tenant_id, learner_id, ref, email, email_norm,
		first_name, last_name, job_title, manager_ref) VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8)`); err != nil {
		return nil, err
	}
	if s.history, err = tx.PrepareContext(ctx, `INSERT INTO status_history (tenant_id, learner_id, seq, from_state,
		to_state, reason, actor, source, at) VALUES ($1, $2, 1, NULL, 'active', 'created', 'seed', 'cli', $3)`); err != nil {
		return nil, err
	}
	return &s, nil
}

func (s *seedStmts) close() {
	for _, st := range []*sql.Stmt{s.learner, s.person, s.history} {
		if st != nil {
			st.Close()
		}
	}
}

func (s *seedStmts) user(ctx context.Context, tenant string, rng *rand.Rand, i int, base, now time.Time) error {
	created := base.Add(time.Duration(i) * time.Minute)
	id := seedID(created, i)
	state, endDate, firstLogin, deletedAt := "active", any(nil), any(nil), any(nil)
	switch r := rng.IntN(100); {
	case r < 60:
		firstLogin = ms(created.Add(time.Hour))
	case r < 80:
	case r < 90:
		state = "suspended"
	case r < 95:
		endDate, firstLogin = ms(now.Add(-time.Duration(1+rng.IntN(300))*24*time.Hour)), ms(created.Add(time.Hour))
	default:
		state, deletedAt = "deleted", ms(created.Add(48*time.Hour))
	}
	updated := created.Add(time.Duration(rng.IntN(1000)) * time.Hour)
	if _, err := s.learner.ExecContext(ctx, tenant, id, state, false, endDate, firstLogin, ms(created), ms(updated), deletedAt); err != nil {
		return err
	}
	if _, err := s.history.ExecContext(ctx, tenant, id, ms(created)); err != nil {
		return err
	}
	if state == "deleted" {
		return nil
	}
	ref := fmt.Sprintf("S%08d", i)
	var manager any
	if i > 0 && rng.IntN(5) == 0 {
		manager = fmt.Sprintf("S%08d", rng.IntN(i))
	}
	email := strings.ToLower(ref) + "@seed.example"
	_, err := s.person.ExecContext(ctx, tenant, id, ref, email, "First"+strconv.Itoa(i%997), "Last"+strconv.Itoa(i%991),
		"Role "+strconv.Itoa(i%50), manager)
	return err
}

// seedID is a time-ordered id whose random half is the row number, so seeded
// ids are unique and deterministic.
func seedID(t time.Time, i int) string {
	id := lethe.NewID(t)
	return id[:12] + fmt.Sprintf("%012x", i)
}
