package seed

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
)

// Users fills the tenant of the actor in ctx with n synthetic users,
// directly and quickly (multi-row inserts in large transactions), for
// benchmarks and tests. The same seed gives the same users. About 60% have
// signed in (most last within 90 days, one in ten more than a year ago),
// 20% never have, 10% are suspended, 5% have an end date in the past and
// 5% are erased; a fifth have a manager. Each has the status history of
// its state: created, then suspended a day later or erased two days later.
func Users(ctx context.Context, db *sqldb.DB, n int, seed uint64) error {
	load, err := db.BeginLoad(ctx, sqldb.LoadOptions{})
	if err != nil {
		return err
	}
	_, err = users(ctx, load, n, seed, db.Now().UTC())
	if err == nil {
		if err = load.Finish(ctx, nil); err != nil {
			err = fmt.Errorf("seed users: %w", err)
		}
	}
	return errors.Join(err, load.Close())
}

// learner is what the record pass needs of a seeded learner.
type learner struct {
	id        string
	created   int64
	deletedAt int64 // 0 unless erased
}

// users writes the users of Users, 50,000 a transaction, and returns them
// in id order (the order they are written).
func users(ctx context.Context, load *sqldb.Loader, n int, seed uint64, now time.Time) ([]learner, error) {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	base := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	tenant := string(actorTenant(ctx))
	out := make([]learner, 0, n)
	for done := 0; done < n; {
		err := load.Tx(ctx, func(ctx context.Context, tx *sqldb.LoadTx) error {
			ins := newUserTables(tx)
			for end := min(done+50_000, n); done < end; done++ {
				l, err := ins.user(ctx, tenant, rng, done, base, now)
				if err != nil {
					return err
				}
				out = append(out, l)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("seed users: %w", err)
		}
	}
	return out, nil
}

// userTables are the tables of Users. People and history rows refer to
// learners: where foreign keys stay on during a load, the learners queued
// are written before them (LoadTable.After).
type userTables struct{ learner, person, history *sqldb.LoadTable }

func newUserTables(tx *sqldb.LoadTx) *userTables {
	s := &userTables{
		learner: tx.Table("learners", "tenant_id", "id", "state", "role", "login_method", "sso", "end_date",
			"first_login_at", "last_login_at", "created_at", "updated_at", "deleted_at"),
		person: tx.Table("people", "tenant_id", "learner_id", "ref", "email", "email_norm", "first_name",
			"last_name", "job_title", "manager_ref"),
		history: tx.Table("status_history", "tenant_id", "learner_id", "seq", "from_state", "to_state", "reason",
			"actor", "source", "at"),
	}
	s.person.After(s.learner)
	s.history.After(s.learner)
	return s
}

func (s *userTables) user(ctx context.Context, tenant string, rng *rand.Rand, i int, base, now time.Time) (learner, error) {
	created := base.Add(time.Duration(i) * time.Minute)
	id := seedID(created, i)
	state, endDate, firstLogin, lastLogin, deletedAt := "active", any(nil), any(nil), any(nil), any(nil)
	// Those who signed in did so an hour after they were created, and last
	// within the past 90 days, but one in ten more than a year ago.
	signedIn := func() {
		firstLogin = ms(created.Add(time.Hour))
		ago := time.Duration(rng.IntN(90*24)) * time.Hour
		if rng.IntN(10) == 0 {
			ago += 365 * 24 * time.Hour
		}
		lastLogin = max(ms(now.Add(-ago)), firstLogin.(int64))
	}
	switch r := rng.IntN(100); {
	case r < 60:
		signedIn()
	case r < 80:
	case r < 90:
		state = "suspended"
	case r < 95:
		endDate = ms(now.Add(-time.Duration(1+rng.IntN(300)) * 24 * time.Hour))
		signedIn()
	default:
		state, deletedAt = "deleted", ms(created.Add(48*time.Hour))
	}
	l := learner{id: id, created: ms(created)}
	if deletedAt != nil {
		l.deletedAt = deletedAt.(int64)
	}
	updated := created.Add(time.Duration(rng.IntN(1000)) * time.Hour)
	if err := s.learner.Add(ctx, tenant, id, state, "learner", "email", false, endDate, firstLogin, lastLogin,
		ms(created), ms(updated), deletedAt); err != nil {
		return l, err
	}
	if err := s.history.Add(ctx, tenant, id, 1, nil, "active", lethe.ReasonCreated, "seed", string(lethe.SourceCLI), ms(created)); err != nil {
		return l, err
	}
	switch state {
	case "suspended":
		if err := s.history.Add(ctx, tenant, id, 2, "active", state, lethe.ReasonSuspended, "seed", string(lethe.SourceCLI),
			ms(created.Add(24*time.Hour))); err != nil {
			return l, err
		}
	case "deleted":
		if err := s.history.Add(ctx, tenant, id, 2, "active", state, lethe.ReasonErased, "seed", string(lethe.SourceCLI), deletedAt); err != nil {
			return l, err
		}
	}
	if state != "deleted" {
		ref := fmt.Sprintf("S%08d", i)
		var manager any
		if i > 0 && rng.IntN(5) == 0 {
			manager = fmt.Sprintf("S%08d", rng.IntN(i))
		}
		email := strings.ToLower(ref) + "@seed.example"
		return l, s.person.Add(ctx, tenant, id, ref, email, email, "First"+strconv.Itoa(i%997), "Last"+strconv.Itoa(i%991),
			"Role "+strconv.Itoa(i%50), manager)
	}
	return l, nil
}
