package sqldb

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/lethehq/lethe"
)

// Learner counts: learner_counts holds, per tenant, how many learners there
// are of each countKey. Every write to a learner row moves its count in the
// same transaction (recordCount), so a search total is a sum of counter rows
// plus, for learners whose end date falls today, a count of a small range.

// countSlots spreads the counter rows of one tenant, so concurrent writers on
// PostgreSQL rarely wait on the same row.
const countSlots = 4

const (
	dayMS    = 24 * 60 * 60 * 1000
	noEndDay = -1 << 40 // the end day of learners without an end date
)

// countKey is what the counts are kept by.
type countKey struct {
	state    lethe.State
	loggedIn bool
	endDay   int64 // end_date / dayMS (SQL integer division), or noEndDay
}

func keyOf(l *lethe.Learner) countKey {
	k := countKey{state: l.State, loggedIn: l.FirstLoginAt != nil, endDay: noEndDay}
	if l.EndDate != nil {
		k.endDay = ms(*l.EndDate) / dayMS
	}
	return k
}

func (tx *Tx) addCount(ctx context.Context, k countKey, delta int) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO learner_counts (tenant_id, state, logged_in, end_day, slot, n)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (tenant_id, state, logged_in, end_day, slot) DO UPDATE SET n = learner_counts.n + excluded.n`,
		string(tx.actor.TenantID), string(k.state), boolInt(k.loggedIn), k.endDay, rand.IntN(countSlots), delta)
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

// recordCount moves l's count from the key it had when this transaction read
// it (or from nowhere, for a new learner) to its key now. Call it after every
// write of a learner row.
func (tx *Tx) recordCount(ctx context.Context, l *lethe.Learner) error {
	now := keyOf(l)
	was, known := tx.counted[l.ID]
	if known && was == now {
		return nil
	}
	if known {
		if err := tx.addCount(ctx, was, -1); err != nil {
			return err
		}
	}
	if err := tx.addCount(ctx, now, +1); err != nil {
		return err
	}
	tx.counted[l.ID] = now
	return nil
}

// noteLoaded remembers the key of a learner read in a write transaction.
func (tx *Tx) noteLoaded(l *lethe.Learner) {
	if tx.write {
		tx.counted[l.ID] = keyOf(l)
	}
}

// transition moves u to state `to` and appends it to the status history.
// An empty u.State means the learner is new.
func (tx *Tx) transition(ctx context.Context, u *lethe.User, to lethe.State, reason string) error {
	if err := tx.appendHistory(ctx, u.ID, u.State, to, reason); err != nil {
		return err
	}
	u.State = to
	if name, ok := transitionEvents[reason]; ok {
		if err := tx.emitUser(ctx, name, u); err != nil {
			return err
		}
	}
	return tx.appendTrail(ctx, "user."+reason, string(u.ID), nil)
}

// recount rebuilds the counts of the actor's tenant from the learners (after
// a bulk load).
func (tx *Tx) recount(ctx context.Context) error {
	tenant := string(tx.actor.TenantID)
	if _, err := tx.ExecContext(ctx, `DELETE FROM learner_counts WHERE tenant_id = $1`, tenant); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO learner_counts (tenant_id, state, logged_in, end_day, slot, n)
		SELECT tenant_id, state, logged_in, end_day, 0, COUNT(*) FROM (
			SELECT tenant_id, state, CASE WHEN first_login_at IS NULL THEN 0 ELSE 1 END AS logged_in,
			       CASE WHEN end_date IS NULL THEN $2 ELSE end_date / $3 END AS end_day
			FROM learners WHERE tenant_id = $1) k
		GROUP BY tenant_id, state, logged_in, end_day`, tenant, int64(noEndDay), int64(dayMS))
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

// countStatuses derives the status counts at now from the counter rows; only
// learners whose end day is today need a look at the learners themselves.
func (tx *Tx) countStatuses(ctx context.Context, now int64) (statusCounts, error) {
	tenant := string(tx.actor.TenantID)
	rows, err := tx.QueryContext(ctx, `SELECT state, logged_in, end_day, SUM(n) FROM learner_counts
		WHERE tenant_id = $1 GROUP BY state, logged_in, end_day`, tenant)
	if err != nil {
		return nil, fmt.Errorf("read learner counts: %w", err)
	}
	defer rows.Close()
	today := now / dayMS
	c := statusCounts{}
	endsToday := false
	for rows.Next() {
		var state string
		var loggedIn, n int
		var endDay int64
		if err := rows.Scan(&state, &loggedIn, &endDay, &n); err != nil {
			return nil, err
		}
		switch {
		case state != string(lethe.StateActive):
			c[lethe.StatusInactive] += n
		case endDay != noEndDay && endDay < today:
			c[lethe.StatusExpired] += n
		case loggedIn == 1:
			c[lethe.StatusActive] += n
		default:
			c[lethe.StatusNew] += n
		}
		endsToday = endsToday || (state == string(lethe.StateActive) && endDay == today && n > 0)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if !endsToday {
		return c, nil
	}
	// Learners whose end date is today expire at its exact millisecond.
	rows, err = tx.QueryContext(ctx, `SELECT CASE WHEN first_login_at IS NULL THEN 0 ELSE 1 END, COUNT(*)
		FROM learners l WHERE l.tenant_id = $1 AND l.state = 'active' AND l.end_date >= $2 AND l.end_date <= $3
		GROUP BY CASE WHEN first_login_at IS NULL THEN 0 ELSE 1 END`, tenant, today*dayMS, now)
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
