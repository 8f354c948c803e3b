package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/lethehq/lethe"
)

// SeedUsers fills the tenant of the actor in ctx with n synthetic users,
// directly and quickly (multi-row inserts in large transactions), for
// benchmarks. The same seed gives the same users. About 60% have signed in
// (most last within 90 days, one in ten more than a year ago), 20% never
// have, 10% are suspended, 5% have an end date in the past and 5% are
// erased; a fifth have a manager. Each has the status history of its
// state: created, then suspended a day later or erased two days later.
func (db *DB) SeedUsers(ctx context.Context, n int, seed uint64) error {
	restore, err := db.bulkLoadMode(ctx, false)
	if err != nil {
		return err
	}
	return errors.Join(db.seedUsers(ctx, n, seed), restore())
}

// seedUsers is SeedUsers, in bulk-load mode.
func (db *DB) seedUsers(ctx context.Context, n int, seed uint64) error {
	actor, err := lethe.ActorFrom(ctx)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	base := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	now := db.Now().UTC()
	for done, first := 0, true; first || done < n; first = false {
		err := db.rawWriteTx(ctx, actor, func(tx *Tx) error {
			ins := tx.seedStmts()
			defer ins.close()
			err := pipeline(ctx, ins.all(), func(ctx context.Context) error {
				for end := min(done+50_000, n); done < end; done++ {
					if err := ins.user(ctx, string(tx.actor.TenantID), rng, done, base, now); err != nil {
						return err
					}
				}
				return ins.flush(ctx)
			})
			if err != nil || done < n {
				return err
			}
			return tx.recount(ctx) // once, at the end
		})
		if err != nil {
			return fmt.Errorf("seed users: %w", err)
		}
	}
	return nil
}

// bulkInsert inserts rows through one statement per batch of rows. SQLite
// binds long parameter lists slowly, so it gets batches of one row through a
// prepared statement; PostgreSQL gets hundreds of rows per statement.
type bulkInsert struct {
	tx    *Tx
	head  string // INSERT INTO t (a, b, …) VALUES
	tail  string // e.g. ON CONFLICT DO NOTHING
	cols  int
	batch int
	rows  int
	args  []any
	stmt  *sql.Stmt
}

func (tx *Tx) bulk(head string, cols int) *bulkInsert {
	batch := 1
	if tx.db.dialect.name == "postgres" {
		batch = 500
	}
	return &bulkInsert{tx: tx, head: head, cols: cols, batch: batch}
}

func (b *bulkInsert) add(vals ...any) {
	b.args = append(b.args, vals...)
	b.rows++
}

func (b *bulkInsert) flush(ctx context.Context) error {
	if b.rows == 0 {
		return nil
	}
	var q strings.Builder
	q.WriteString(b.head)
	for r := 0; r < b.rows; r++ {
		if r > 0 {
			q.WriteString(", ")
		}
		q.WriteByte('(')
		for c := 0; c < b.cols; c++ {
			if c > 0 {
				q.WriteString(", ")
			}
			q.WriteString("$" + strconv.Itoa(r*b.cols+c+1))
		}
		q.WriteByte(')')
	}
	q.WriteString(b.tail)
	var err error
	if b.rows == 1 { // one prepared statement serves every single-row flush
		if b.stmt == nil {
			if b.stmt, err = b.tx.PrepareContext(ctx, q.String()); err != nil {
				return err
			}
		}
		_, err = b.stmt.ExecContext(ctx, b.args...)
	} else {
		_, err = b.tx.ExecContext(ctx, q.String(), b.args...)
	}
	b.rows, b.args = 0, b.args[:0]
	return err
}

func (b *bulkInsert) close() {
	if b.stmt != nil {
		b.stmt.Close()
	}
}

// seedStmts are the inserts of SeedUsers. People and history rows refer to
// learners: on PostgreSQL, where foreign keys stay on, the learners queued
// are written before them; SQLite's are off in bulk-load mode.
type seedStmts struct{ learner, person, history *rowWriter }

func (tx *Tx) seedStmts() *seedStmts {
	s := &seedStmts{
		learner: tx.rows(`INSERT INTO learners (tenant_id, id, state, role, login_method, sso, end_date,
			first_login_at, last_login_at, created_at, updated_at, deleted_at) VALUES `, 12),
		person: tx.rows(`INSERT INTO people (tenant_id, learner_id, ref, email, email_norm, first_name,
			last_name, job_title, manager_ref) VALUES `, 9),
		history: tx.rows(`INSERT INTO status_history (tenant_id, learner_id, seq, from_state, to_state, reason,
			actor, source, at) VALUES `, 9),
	}
	if tx.db.dialect.name == "postgres" {
		s.person.after, s.history.after = s.learner, s.learner
	}
	return s
}

func (s *seedStmts) all() []*rowWriter { return []*rowWriter{s.learner, s.person, s.history} }

func (s *seedStmts) flush(ctx context.Context) error { return flushRows(ctx, s.all()) }

func (s *seedStmts) close() { closeRows(s.all()) }

// flushRows writes the rows pending in each writer, in order (a parent's
// before its children's).
func flushRows(ctx context.Context, ws []*rowWriter) error {
	for _, w := range ws {
		if err := w.flush(ctx); err != nil {
			return err
		}
	}
	return nil
}

func closeRows(ws []*rowWriter) {
	for _, w := range ws {
		w.close()
	}
}

func (s *seedStmts) user(ctx context.Context, tenant string, rng *rand.Rand, i int, base, now time.Time) error {
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
	updated := created.Add(time.Duration(rng.IntN(1000)) * time.Hour)
	if err := s.learner.add(ctx, tenant, id, state, "learner", "email", false, endDate, firstLogin, lastLogin,
		ms(created), ms(updated), deletedAt); err != nil {
		return err
	}
	if err := s.history.add(ctx, tenant, id, 1, nil, "active", lethe.ReasonCreated, "seed", string(lethe.SourceCLI), ms(created)); err != nil {
		return err
	}
	switch state {
	case "suspended":
		if err := s.history.add(ctx, tenant, id, 2, "active", state, lethe.ReasonSuspended, "seed", string(lethe.SourceCLI),
			ms(created.Add(24*time.Hour))); err != nil {
			return err
		}
	case "deleted":
		if err := s.history.add(ctx, tenant, id, 2, "active", state, lethe.ReasonErased, "seed", string(lethe.SourceCLI), deletedAt); err != nil {
			return err
		}
	}
	if state != "deleted" {
		ref := fmt.Sprintf("S%08d", i)
		var manager any
		if i > 0 && rng.IntN(5) == 0 {
			manager = fmt.Sprintf("S%08d", rng.IntN(i))
		}
		email := strings.ToLower(ref) + "@seed.example"
		return s.person.add(ctx, tenant, id, ref, email, email, "First"+strconv.Itoa(i%997), "Last"+strconv.Itoa(i%991),
			"Role "+strconv.Itoa(i%50), manager)
	}
	return nil
}

// seedID is a time-ordered id whose random half is the row number, so seeded
// ids are unique and deterministic.
func seedID(t time.Time, i int) string {
	id := lethe.NewID(t)
	return id[:12] + fmt.Sprintf("%012x", i)
}

// SeedSchedule moves the availability of assignment id's enrolments that
// have no completion to availableAt, due a completion period later, as if
// the assignment had been scheduled to open then: they are "scheduled"
// until that time. The vendor API has no way to schedule an assignment;
// this is for seeded data (the demo, benchmarks).
func (db *DB) SeedSchedule(ctx context.Context, id string, availableAt time.Time) error {
	return db.writeTx(ctx, func(tx *Tx) error {
		tenant := string(tx.actor.TenantID)
		var period int64
		if err := tx.QueryRowContext(ctx, `SELECT completion_period FROM assignments WHERE tenant_id = $1 AND id = $2`,
			tenant, id).Scan(&period); err != nil {
			return fmt.Errorf("find assignment: %w", err)
		}
		at := ms(availableAt)
		if _, err := tx.ExecContext(ctx, `UPDATE enrolments SET available_at = $3, due_at = $4, updated_at = $5
			WHERE tenant_id = $1 AND assignment_id = $2 AND last_completed_at IS NULL`,
			tenant, id, at, ms(availableAt.Add(time.Duration(period)*lethe.Day)), ms(tx.now)); err != nil {
			return fmt.Errorf("schedule enrolments: %w", err)
		}
		_, err := tx.ExecContext(ctx, `UPDATE enrolment_history SET next_status = $3 WHERE tenant_id = $1 AND seq = 1
			AND enrolment_id IN (SELECT id FROM enrolments WHERE tenant_id = $1 AND assignment_id = $2 AND last_completed_at IS NULL)`,
			tenant, id, string(lethe.EnrolmentScheduled))
		if err != nil {
			return fmt.Errorf("schedule enrolment events: %w", err)
		}
		return nil
	})
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
