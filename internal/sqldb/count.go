package sqldb

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/lethehq/lethe"
)

// Learner counts: learner_counts holds, per tenant, how many learners are in
// each state with or without a first sign-in. Every transition changes it in
// its own transaction (transition and countLogin), so a search total is a sum
// of a few rows plus a range count of the learners whose end date has passed
// (the only time-driven part of a status).

// countSlots spreads the counter rows of one tenant, so concurrent writers on
// PostgreSQL rarely wait on the same row.
const countSlots = 8

func (tx *Tx) addCount(ctx context.Context, state lethe.State, loggedIn bool, delta int) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO learner_counts (tenant_id, state, logged_in, slot, n)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (tenant_id, state, logged_in, slot) DO UPDATE SET n = learner_counts.n + excluded.n`,
		string(tx.actor.TenantID), string(state), boolInt(loggedIn), rand.IntN(countSlots), delta)
	if err != nil {
		return fmt.Errorf("count learners: %w", err)
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// transition moves u from its state to state `to`, in the counts and in the
// status history. It is the only way a learner's state changes; an empty
// u.State means the learner is new.
func (tx *Tx) transition(ctx context.Context, u *lethe.User, to lethe.State, reason string) error {
	from := u.State
	if from != "" {
		if err := tx.addCount(ctx, from, u.FirstLoginAt != nil, -1); err != nil {
			return err
		}
	}
	if err := tx.addCount(ctx, to, u.FirstLoginAt != nil, +1); err != nil {
		return err
	}
	if err := tx.appendHistory(ctx, u.ID, from, to, reason); err != nil {
		return err
	}
	u.State = to
	return nil
}

// recount rebuilds the counts of the actor's tenant from the learners (after
// a bulk load).
func (tx *Tx) recount(ctx context.Context) error {
	tenant := string(tx.actor.TenantID)
	if _, err := tx.ExecContext(ctx, `DELETE FROM learner_counts WHERE tenant_id = $1`, tenant); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO learner_counts (tenant_id, state, logged_in, slot, n)
		SELECT tenant_id, state, CASE WHEN first_login_at IS NULL THEN 0 ELSE 1 END, 0, COUNT(*)
		FROM learners WHERE tenant_id = $1
		GROUP BY tenant_id, state, CASE WHEN first_login_at IS NULL THEN 0 ELSE 1 END`, tenant)
	return err
}

// statusCounts is the number of learners of a tenant with each status now.
type statusCounts map[lethe.Status]int

func (c statusCounts) sum(statuses []lethe.Status) int {
	n := 0
	for _, s := range statuses {
		n += c[s]
	}
	return n
}

// countStatuses derives the status counts from learner_counts and the
// learners whose end date has passed by now.
func (tx *Tx) countStatuses(ctx context.Context, now int64) (statusCounts, error) {
	tenant := string(tx.actor.TenantID)
	rows, err := tx.QueryContext(ctx, `SELECT state, logged_in, SUM(n) FROM learner_counts
		WHERE tenant_id = $1 GROUP BY state, logged_in`, tenant)
	if err != nil {
		return nil, fmt.Errorf("read learner counts: %w", err)
	}
	defer rows.Close()
	c := statusCounts{}
	for rows.Next() {
		var state string
		var loggedIn, n int
		if err := rows.Scan(&state, &loggedIn, &n); err != nil {
			return nil, err
		}
		switch {
		case state != string(lethe.StateActive):
			c[lethe.StatusInactive] += n
		case loggedIn == 1:
			c[lethe.StatusActive] += n
		default:
			c[lethe.StatusNew] += n
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Active learners past their end date are expired, whatever their sign-in.
	rows, err = tx.QueryContext(ctx, `SELECT CASE WHEN first_login_at IS NULL THEN 0 ELSE 1 END, COUNT(*)
		FROM learners l WHERE l.tenant_id = $1 AND l.state = 'active' AND l.end_date <= $2
		GROUP BY CASE WHEN first_login_at IS NULL THEN 0 ELSE 1 END`, tenant, now)
	if err != nil {
		return nil, fmt.Errorf("count expired learners: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var loggedIn, n int
		if err := rows.Scan(&loggedIn, &n); err != nil {
			return nil, err
		}
		c[lethe.StatusExpired] += n
		if loggedIn == 1 {
			c[lethe.StatusActive] -= n
		} else {
			c[lethe.StatusNew] -= n
		}
	}
	return c, rows.Err()
}
