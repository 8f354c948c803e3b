package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lethehq/lethe"
)

// Durable jobs act on one user at a time through applyAction (bulk.go).

// JobService implements lethe.JobService.
type JobService struct {
	db *DB
	// MaxItems is the most users a job may name; more is refused (422).
	MaxItems int
	// Retention is how long a finished job and its items are kept before
	// SweepJobs removes them; 0 keeps them.
	Retention time.Duration
	// afterChunk, when set (tests), is told of each committed transaction
	// of a job's creation and how many items it wrote.
	afterChunk func(job string, items int)
}

// NewJobService returns the job service of db, with the default limits.
func NewJobService(db *DB) *JobService {
	return &JobService{db: db, MaxItems: lethe.DefaultMaxJobItems, Retention: lethe.DefaultJobRetention}
}

var _ lethe.JobService = (*JobService)(nil)

// chunkBudget bounds a chunk transaction: items are processed until it is
// spent, so no write transaction holds SQLite's lock for long.
const chunkBudget = 60 * time.Millisecond

// chunkItems is how many pending items a chunk reads: more than a chunk of
// erasures gets through in chunkBudget (about 50 at 1M users), few enough
// that reading them costs little (500 took a twentieth of a chunk).
const chunkItems = 100

// Idempotency records (ADR 0017). A row of idempotency_keys is held by the
// call running under its key (status 0) or keeps that call's answer
// (status > 0) for lethe.IdempotencyWindow from created_at. The unique key
// (tenant_id, key_hash) makes one call the holder: the others wait for its
// answer. The holder renews created_at while it works; a row held without
// renewal for lethe.IdempotencyLease (a crashed process) passes to the next
// call. The learners an answer names are rows of idempotency_learners,
// deleted with the learner by erasure and never written for a learner
// erased already, so a kept answer never names an erased person.

// idempotencyPoll is how often a call waiting for the holder of its key
// looks for the answer.
const idempotencyPoll = 20 * time.Millisecond

// errHoldLost answers a holder whose key another call took over.
var errHoldLost = lethe.FieldErrorf(lethe.EConflict, "Idempotency-Key", "taken_over",
	"This call stopped renewing its Idempotency-Key for too long and another call with the key took it over; "+
		"retry to read that call's answer.")

// jobColumns are read by scanJob.
const jobColumns = `id, kind, action, state, dry_run, end_date, rules, actions, total, processed, done, unchanged, skipped,
	failed, excluded, source, actor, created_at, started_at, finished_at`

func scanJob(row rowScanner) (*lethe.Job, error) {
	var j lethe.Job
	var action, rules, actions sql.NullString
	var endDate, started, finished sql.NullInt64
	var created int64
	var done, unchanged, skipped, failed, excluded int
	if err := row.Scan(&j.ID, &j.Kind, &action, &j.State, &j.DryRun, &endDate, &rules, &actions, &j.Total, &j.Processed,
		&done, &unchanged, &skipped, &failed, &excluded, &j.Source, &j.Actor, &created, &started, &finished); err != nil {
		return nil, err
	}
	j.Action = lethe.BulkAction(action.String)
	j.EndDate, j.StartedAt, j.FinishedAt = timePtr(endDate), timePtr(started), timePtr(finished)
	j.CreatedAt = fromMS(created)
	j.Outcomes = map[string]int{lethe.ItemDone: done, lethe.ItemUnchanged: unchanged, lethe.ItemSkipped: skipped, lethe.ItemFailed: failed}
	if j.Kind == "dormant" { // only a preview's items can be excluded
		j.Outcomes[lethe.OutcomeExcluded] = excluded
	}
	if rules.Valid {
		j.Rules = &lethe.DormantRules{}
		if err := json.Unmarshal([]byte(rules.String), j.Rules); err != nil {
			return nil, err
		}
	}
	if actions.Valid {
		if err := json.Unmarshal([]byte(actions.String), &j.Actions); err != nil {
			return nil, err
		}
	}
	return &j, nil
}

var errJobNotFound = lethe.Errorf(lethe.ENotFound, "Job not found.")

func (tx *Tx) findJob(ctx context.Context, id string) (*lethe.Job, error) {
	return tx.readJob(ctx, id, "")
}

// lockJob is findJob that also locks the job's row until the transaction
// ends (PostgreSQL; a write transaction of SQLite locks the database), so
// the calls that change a preview (ApplyJob, ExcludeJobItems) run one at a
// time and each sees the state the one before left.
func (tx *Tx) lockJob(ctx context.Context, id string) (*lethe.Job, error) {
	return tx.readJob(ctx, id, tx.db.dialect.lockRow)
}

func (tx *Tx) readJob(ctx context.Context, id, lock string) (*lethe.Job, error) {
	id, ok := lethe.ParseID(id)
	if !ok {
		return nil, errJobNotFound
	}
	j, err := scanJob(tx.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM jobs WHERE tenant_id = $1 AND id = $2 AND state NOT IN ('preparing', 'removing')`+lock,
		string(tx.actor.TenantID), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errJobNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("find job: %w", err)
	}
	return j, nil
}

// FindJob implements lethe.JobService.
func (s *JobService) FindJob(ctx context.Context, id string) (j *lethe.Job, err error) {
	err = s.db.readTx(ctx, func(tx *Tx) error {
		j, err = tx.findJob(ctx, id)
		return err
	})
	return j, err
}

// FindJobs implements lethe.JobService: newest first.
func (s *JobService) FindJobs(ctx context.Context, f lethe.JobFilter) (out []*lethe.Job, total int, err error) {
	err = s.db.readTx(ctx, func(tx *Tx) error {
		args := []any{string(tx.actor.TenantID)}
		where := ` WHERE tenant_id = $1 AND state NOT IN ('preparing', 'removing')`
		if f.Kind != "" {
			args = append(args, f.Kind)
			where += ` AND kind = $2`
		}
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM jobs`+where, args...).Scan(&total); err != nil {
			return fmt.Errorf("count jobs: %w", err)
		}
		page := pageClause(&args, f.Limit, f.Offset)
		out, err = queryAll(ctx, tx, scanJob, `SELECT `+jobColumns+` FROM jobs`+where+` ORDER BY id DESC`+page, args...)
		return err
	})
	return out, total, err
}

// resultsPage is how many items EachJobItem reads per transaction.
const resultsPage = 1000

// EachJobItem implements lethe.JobService: a page of items per read
// transaction, by seq, and fn called between transactions, so a slow
// reader of the results holds no transaction open.
func (s *JobService) EachJobItem(ctx context.Context, id string, fn func(lethe.ItemResult) error) error {
	var job string
	var total int
	err := s.db.readTx(ctx, func(tx *Tx) error {
		j, err := tx.findJob(ctx, id)
		if err == nil {
			job, total = j.ID, j.Total
		}
		return err
	})
	if err != nil {
		return err
	}
	read := 0
	type row struct {
		seq int
		it  lethe.ItemResult
	}
	for after := 0; ; {
		var page []row
		err := s.db.readTx(ctx, func(tx *Tx) error {
			var err error
			page, err = queryAll(ctx, tx, func(r rowScanner) (row, error) {
				var x row
				var learner, outcome, reason sql.NullString
				err := r.Scan(&x.seq, &x.it.Index, &learner, &x.it.Action, &outcome, &reason)
				x.it.UserID, x.it.Outcome, x.it.Reason = lethe.LearnerID(learner.String), outcome.String, reason.String
				return x, err
			}, `SELECT seq, line, learner_id, action, outcome, reason FROM job_items
				WHERE tenant_id = $1 AND job_id = $2 AND seq > $3 ORDER BY seq LIMIT `+strconv.Itoa(resultsPage),
				string(tx.actor.TenantID), job, after)
			return err
		})
		if err != nil {
			return err
		}
		for _, x := range page {
			if err := fn(x.it); err != nil {
				return err
			}
		}
		read += len(page)
		if len(page) < resultsPage {
			if read < total {
				// Removed meanwhile (its retention passed): a short read
				// must not pass for the whole.
				return lethe.Errorf(lethe.ENotFound, "The job was removed while its results were read (%d of %d).", read, total)
			}
			return nil
		}
		after = page[len(page)-1].seq
	}
}

// CancelJob implements lethe.JobService. Cancelling a finished job changes
// nothing; a preview is cancelled like a queued job.
func (s *JobService) CancelJob(ctx context.Context, id string) (j *lethe.Job, err error) {
	err = s.db.writeTx(ctx, func(tx *Tx) error {
		if j, err = tx.findJob(ctx, id); err != nil || j.Finished() {
			return err
		}
		// A job another process finished meanwhile (PostgreSQL) stays so.
		res, err := tx.ExecContext(ctx, `UPDATE jobs SET state = 'cancelled', finished_at = $3
			WHERE tenant_id = $1 AND id = $2 AND state IN ('preview', 'queued', 'running')`,
			string(tx.actor.TenantID), j.ID, ms(tx.now))
		if err != nil {
			return fmt.Errorf("cancel job: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			if err != nil {
				return err
			}
			j, err = tx.findJob(ctx, j.ID)
			return err
		}
		if err := tx.appendTrail(ctx, "job.cancelled", "", map[string]any{"job": j.ID}); err != nil {
			return err
		}
		j, err = tx.findJob(ctx, j.ID)
		return err
	})
	return j, err
}

// insertJob writes a job row with no items yet.
func (tx *Tx) insertJob(ctx context.Context, kind string, action lethe.BulkAction, state lethe.JobState, dry bool,
	endDate *time.Time, rules *lethe.DormantRules) (string, error) {
	id := lethe.NewID(tx.now)
	var rulesJSON any
	if rules != nil {
		b, err := json.Marshal(rules)
		if err != nil {
			return "", err
		}
		rulesJSON = string(b)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO jobs (tenant_id, id, kind, action, state, dry_run, end_date, rules, total, processed,
		done, unchanged, skipped, failed, errors, source, actor, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, 0, 0, 0, 0, 0, 0, $9, $10, $11)`,
		string(tx.actor.TenantID), id, kind, nullStr(string(action)), string(state), dry, nullMS(endDate), rulesJSON,
		string(tx.actor.Source), tx.actor.Name, ms(tx.now))
	if err != nil {
		return "", fmt.Errorf("insert job: %w", err)
	}
	return id, nil
}

// queryWhere is the condition on learners l of a job query, beyond the
// tenant ($1) and not being erased.
func queryWhere(q *lethe.UserQuery, now time.Time, args *[]any) string {
	param := func(v any) string {
		*args = append(*args, v)
		return fmt.Sprintf("$%d", len(*args))
	}
	where := ""
	if q.Statuses != nil {
		if c := statusClause(q.Statuses, ms(now), true, args); c != "" {
			where += ` AND ` + c
		}
	}
	if q.CreatedBefore != nil {
		where += ` AND l.created_at < ` + param(ms(*q.CreatedBefore))
	}
	if q.LastLoginBefore != nil {
		where += ` AND l.last_login_at < ` + param(ms(*q.LastLoginBefore))
	}
	if q.EndDateBefore != nil {
		where += ` AND l.end_date < ` + param(ms(*q.EndDateBefore))
	}
	if q.NeverLoggedIn != nil {
		if *q.NeverLoggedIn {
			where += ` AND l.first_login_at IS NULL`
		} else {
			where += ` AND l.first_login_at IS NOT NULL`
		}
	}
	if q.HasHistory != nil {
		not := "NOT "
		if *q.HasHistory {
			not = ""
		}
		where += ` AND ` + not + historySQL
	}
	return where
}

// historySQL is true for a learner l of tenant $1 with history: signed
// in, or any enrolment, completion, activity or CPD entry.
const historySQL = `(l.first_login_at IS NOT NULL
	OR EXISTS (SELECT 1 FROM enrolments e WHERE e.tenant_id = $1 AND e.learner_id = l.id)
	OR EXISTS (SELECT 1 FROM completions c WHERE c.tenant_id = $1 AND c.learner_id = l.id)
	OR EXISTS (SELECT 1 FROM activities a WHERE a.tenant_id = $1 AND a.learner_id = l.id)
	OR EXISTS (SELECT 1 FROM cpd_entries d WHERE d.tenant_id = $1 AND d.learner_id = l.id))`

// jobPreparing is the state of a job whose items are being written: no
// one sees it or runs it. CreateJob queues it when every item is there.
const jobPreparing lethe.JobState = "preparing"

// prepareItems is how many items one transaction of a job's creation
// writes: a few milliseconds of inserts, so another tenant's write waits
// little for SQLite's lock while a million-line CSV is written. The users
// are resolved, and duplicates found, in a read transaction before.
const prepareItems = 1000

// preparingTimeout is how long a job may stay preparing: one older was left
// by a process that stopped while writing it, and SweepJobs removes it.
const preparingTimeout = time.Hour

// removeItems is how many items one transaction of a job's removal deletes.
const removeItems = 2000

func tooManyItems(field string, max int) error {
	return lethe.FieldErrorf(lethe.EInvalid, field, "too_many", "%s names more than %d users, the most a job may have", field, max)
}

// itemCounts are what a job's creation wrote: items, and those processed
// at once (unknown users failed, repeated users skipped).
type itemCounts struct{ total, failed, skipped int }

// jobItem is an item to write.
type jobItem struct {
	seq, line       int
	learner         lethe.LearnerID
	outcome, reason string
}

// CreateJob implements lethe.JobService. The selector is checked first (a
// CSV read through once; an audience or a query counted), then the job is
// written in state preparing, its items in transactions of prepareItems,
// and it is queued in one last short transaction. A job that fails half-way
// is removed; one a stopped process left preparing is removed by SweepJobs.
// No transaction holds more than a chunk, and memory holds one chunk, not
// the selection.
func (s *JobService) CreateJob(ctx context.Context, nj lethe.NewJob) (j *lethe.Job, err error) {
	if _, ok := lethe.ParseBulkAction(string(nj.Action)); !ok {
		return nil, lethe.FieldErrorf(lethe.EInvalid, "action", "invalid", "action must be one of suspend, reactivate, delete, anonymize, purge")
	}
	sel := nj.Selector
	n := 0
	for _, set := range []bool{sel.CSV != nil, sel.AudienceID != nil, sel.Query != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return nil, lethe.FieldErrorf(lethe.EInvalid, "selector", "invalid", "selector must have exactly one of csv, audienceId and query")
	}
	max := s.MaxItems
	if max <= 0 {
		max = lethe.DefaultMaxJobItems
	}
	actor, err := lethe.ActorFrom(ctx)
	if err != nil {
		return nil, err
	}
	now := s.db.Now().UTC().Truncate(time.Millisecond)
	var page itemPager
	switch {
	case sel.CSV != nil:
		n, err := lethe.CountUserCSV(strings.NewReader(*sel.CSV), "selector.csv", max)
		if err != nil {
			return nil, err
		}
		if n > max {
			return nil, tooManyItems("selector.csv", max)
		}
	case sel.AudienceID != nil:
		page, err = s.audienceItems(ctx, actor, *sel.AudienceID, max)
	default:
		page, err = s.queryItems(ctx, actor, sel, now, max)
	}
	if err != nil {
		return nil, err
	}
	var id string
	if err := s.db.writeTx(ctx, func(tx *Tx) error {
		id, err = tx.insertJob(ctx, "bulk", nj.Action, jobPreparing, nj.DryRun, nj.EndDate, nil)
		return err
	}); err != nil {
		return nil, err
	}
	var c itemCounts
	if sel.CSV != nil {
		c, err = s.prepareCSV(ctx, id, nj.Action, *sel.CSV)
	} else {
		c, err = s.prepareSelection(ctx, id, nj.Action, max, page)
	}
	if err == nil {
		j, err = s.queueJob(ctx, id, nj, c)
	}
	if err != nil {
		if rerr := s.removeJob(context.WithoutCancel(ctx), actor.TenantID, id); rerr != nil {
			s.db.logger.Error("remove a job left preparing", "job", id, "error", rerr.Error())
		}
		return nil, err
	}
	return j, nil
}

// itemPager reads the learners of a selection after one, in id order, a
// chunk of prepareItems at a time.
type itemPager func(ctx context.Context, tx *Tx, after lethe.LearnerID) ([]lethe.LearnerID, error)

// audienceItems checks a selection of the members of audience (at most
// max) and returns its pager.
func (s *JobService) audienceItems(ctx context.Context, actor lethe.Actor, audience string, max int) (page itemPager, err error) {
	err = s.db.readTx(ctx, func(tx *Tx) error {
		a, err := tx.findAudience(ctx, audience)
		if err != nil {
			return err
		}
		var members int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM audience_members WHERE tenant_id = $1 AND audience_id = $2`,
			string(actor.TenantID), a.ID).Scan(&members); err != nil {
			return fmt.Errorf("count audience members: %w", err)
		}
		if members > max {
			return tooManyItems("selector.audienceId", max)
		}
		page = func(ctx context.Context, tx *Tx, after lethe.LearnerID) ([]lethe.LearnerID, error) {
			return queryAll(ctx, tx, scanLearnerID, `SELECT learner_id FROM audience_members
				WHERE tenant_id = $1 AND audience_id = $2 AND learner_id > $3 ORDER BY learner_id LIMIT `+strconv.Itoa(prepareItems),
				string(actor.TenantID), a.ID, string(after))
		}
		return nil
	})
	return page, err
}

// queryItems checks a selection by query (at most max, and every user
// only when confirmed) and returns its pager.
func (s *JobService) queryItems(ctx context.Context, actor lethe.Actor, sel lethe.JobSelector, now time.Time, max int) (page itemPager, err error) {
	err = s.db.readTx(ctx, func(tx *Tx) error {
		tenant := string(actor.TenantID)
		args := []any{tenant}
		where := queryWhere(sel.Query, now, &args)
		var selected, all int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM learners l WHERE l.tenant_id = $1 AND l.state <> 'deleted'`+where,
			args...).Scan(&selected); err != nil {
			return fmt.Errorf("count selected users: %w", err)
		}
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM learners l WHERE l.tenant_id = $1 AND l.state <> 'deleted'`,
			tenant).Scan(&all); err != nil {
			return fmt.Errorf("count users: %w", err)
		}
		if selected == all && all > 0 && !sel.ConfirmAll {
			return lethe.FieldErrorf(lethe.EInvalid, "selector.confirmAll", "required",
				"This query selects every user of the tenant (%d); say so with confirmAll: true.", all)
		}
		if selected > max {
			return tooManyItems("selector.query", max)
		}
		page = func(ctx context.Context, tx *Tx, after lethe.LearnerID) ([]lethe.LearnerID, error) {
			args := []any{tenant, string(after)}
			where := queryWhere(sel.Query, now, &args)
			return queryAll(ctx, tx, scanLearnerID, `SELECT l.id FROM learners l
				WHERE l.tenant_id = $1 AND l.state <> 'deleted' AND l.id > $2`+where+
				` ORDER BY l.id LIMIT `+strconv.Itoa(prepareItems), args...)
		}
		return nil
	})
	return page, err
}

func scanLearnerID(r rowScanner) (lethe.LearnerID, error) {
	var s string
	err := r.Scan(&s)
	return lethe.LearnerID(s), err
}

// prepareCSV writes one item per line of a CSV, prepareItems lines per
// transaction: a line naming nobody is failed at once, a user named on an
// earlier line skipped as a duplicate.
func (s *JobService) prepareCSV(ctx context.Context, job string, action lethe.BulkAction, text string) (c itemCounts, err error) {
	rows := make([]lethe.CSVUser, 0, prepareItems)
	flush := func() error {
		if len(rows) == 0 {
			return nil
		}
		ids := make([]lethe.Identifier, len(rows))
		for i, r := range rows {
			ids[i] = r.Identifier
		}
		var learners []lethe.LearnerID
		var seen map[lethe.LearnerID]bool
		err := s.db.readTx(ctx, func(tx *Tx) error {
			var err error
			if learners, err = tx.resolveIdentifiers(ctx, ids); err != nil {
				return err
			}
			seen, err = tx.pendingLearners(ctx, job, learners)
			return err
		})
		if err != nil {
			return err
		}
		items := make([]jobItem, len(rows))
		for i, r := range rows {
			items[i] = jobItem{seq: c.total + i + 1, line: r.Line, learner: learners[i]}
			switch l := learners[i]; {
			case l == "":
				items[i].outcome, items[i].reason = lethe.ItemFailed, lethe.ReasonUnknownUser
				c.failed++
			case seen[l]:
				items[i].outcome, items[i].reason = lethe.ItemSkipped, lethe.ReasonDuplicate
				c.skipped++
			default:
				seen[l] = true
			}
		}
		if err := s.writeItems(ctx, job, action, items); err != nil {
			return err
		}
		c.total += len(rows)
		rows = rows[:0]
		return nil
	}
	err = lethe.ScanUserCSV(strings.NewReader(text), "selector.csv", func(u lethe.CSVUser) error {
		rows = append(rows, u)
		if len(rows) == prepareItems {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	return c, err
}

// pendingLearners returns which of the learners already have a pending
// item in job: the users earlier chunks of a CSV named.
func (tx *Tx) pendingLearners(ctx context.Context, job string, learners []lethe.LearnerID) (map[lethe.LearnerID]bool, error) {
	found := map[lethe.LearnerID]bool{}
	var ids []any
	for _, l := range learners {
		if l != "" {
			ids = append(ids, string(l))
		}
	}
	for start := 0; start < len(ids); start += 300 {
		chunk := ids[start:min(start+300, len(ids))]
		rows, err := queryAll(ctx, tx, scanLearnerID, `SELECT learner_id FROM job_items`+tx.db.dialect.learnerItems+`
			WHERE tenant_id = $1 AND job_id = $2 AND outcome IS NULL AND learner_id IN (`+marks(3, len(chunk))+`)`,
			append([]any{string(tx.actor.TenantID), job}, chunk...)...)
		if err != nil {
			return nil, fmt.Errorf("find repeated users: %w", err)
		}
		for _, l := range rows {
			found[l] = true
		}
	}
	return found, nil
}

// prepareSelection writes one item per user of an audience or a query, in
// id order, a page (read first, without the write lock) per transaction.
func (s *JobService) prepareSelection(ctx context.Context, job string, action lethe.BulkAction, max int,
	page func(ctx context.Context, tx *Tx, after lethe.LearnerID) ([]lethe.LearnerID, error)) (c itemCounts, err error) {
	var after lethe.LearnerID
	for {
		var ids []lethe.LearnerID
		if err := s.db.readTx(ctx, func(tx *Tx) error {
			var err error
			ids, err = page(ctx, tx, after)
			return err
		}); err != nil {
			return c, err
		}
		if c.total+len(ids) > max { // users who came to match since the count
			return c, tooManyItems("selector", max)
		}
		items := make([]jobItem, len(ids))
		for i, id := range ids {
			items[i] = jobItem{seq: c.total + i + 1, line: c.total + i + 1, learner: id}
		}
		if len(items) > 0 {
			if err := s.writeItems(ctx, job, action, items); err != nil {
				return c, err
			}
		}
		c.total += len(ids)
		if len(ids) < prepareItems {
			return c, nil
		}
		after = ids[len(ids)-1]
	}
}

// writeItems writes a chunk of a job's items in one transaction.
func (s *JobService) writeItems(ctx context.Context, job string, action lethe.BulkAction, items []jobItem) error {
	err := s.db.writeTx(ctx, func(tx *Tx) error {
		tenant := string(tx.actor.TenantID)
		ins := tx.rows(`INSERT INTO job_items (tenant_id, job_id, seq, line, learner_id, action, outcome, reason) VALUES `, 8)
		defer ins.close()
		for _, it := range items {
			err := ins.add(ctx, tenant, job, it.seq, it.line, nullStr(string(it.learner)), string(action), nullStr(it.outcome), nullStr(it.reason))
			if err != nil {
				return fmt.Errorf("insert job items: %w", err)
			}
		}
		if err := ins.flush(ctx); err != nil {
			return fmt.Errorf("insert job items: %w", err)
		}
		return nil
	})
	if err == nil && s.afterChunk != nil {
		s.afterChunk(job, len(items))
	}
	return err
}

// queueJob makes a prepared job visible and runnable, with its counts. A
// job SweepJobs removed meanwhile (preparing for over preparingTimeout)
// is not queued.
func (s *JobService) queueJob(ctx context.Context, id string, nj lethe.NewJob, c itemCounts) (j *lethe.Job, err error) {
	err = s.db.writeTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE jobs SET state = 'queued', total = $3, processed = $4, failed = $5, skipped = $6
			WHERE tenant_id = $1 AND id = $2 AND state = 'preparing'`,
			string(tx.actor.TenantID), id, c.total, c.failed+c.skipped, c.failed, c.skipped)
		if err != nil {
			return fmt.Errorf("queue job: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			if err != nil {
				return err
			}
			return lethe.Errorf(lethe.EUnavailable, "The job took too long to prepare; send it again.")
		}
		if j, err = tx.findJob(ctx, id); err != nil {
			return err
		}
		return tx.appendTrail(ctx, "job.created", "", map[string]any{"job": id, "action": string(nj.Action), "total": j.Total, "dryRun": nj.DryRun})
	})
	return j, err
}

// removeJob deletes a job's items, removeItems per transaction, and then
// the job. A removal a crash interrupted is taken up by the next sweep.
func (s *JobService) removeJob(ctx context.Context, tenant lethe.TenantID, id string) error {
	for {
		done := false
		err := s.db.rawWriteTx(ctx, lethe.Actor{TenantID: tenant, Source: lethe.SourceBulk, Name: "job"}, func(tx *Tx) error {
			res, err := tx.ExecContext(ctx, `DELETE FROM job_items WHERE tenant_id = $1 AND job_id = $2 AND seq IN (
				SELECT seq FROM job_items WHERE tenant_id = $1 AND job_id = $2 ORDER BY seq LIMIT `+strconv.Itoa(removeItems)+`)`,
				string(tenant), id)
			if err != nil {
				return fmt.Errorf("remove job items: %w", err)
			}
			n, err := res.RowsAffected()
			if err != nil || n == removeItems {
				return err
			}
			done = true
			if _, err := tx.ExecContext(ctx, `DELETE FROM jobs WHERE tenant_id = $1 AND id = $2`, string(tenant), id); err != nil {
				return fmt.Errorf("remove job: %w", err)
			}
			return nil
		})
		if err != nil || done {
			return err
		}
	}
}

// SweepJobs removes the jobs finished more than Retention ago, and those a
// stopped process left preparing, with their items. It returns how many
// jobs it removed. serve runs it at start and every minute.
func (s *JobService) SweepJobs(ctx context.Context) (int, error) {
	now := s.db.Now().UTC()
	finished := int64(-1) // none
	if s.Retention > 0 {
		finished = ms(now.Add(-s.Retention))
	}
	type job struct {
		tenant lethe.TenantID
		id     string
	}
	tenants, err := NewTenantService(s.db).FindTenants(ctx)
	if err != nil {
		return 0, err
	}
	// Expired: finished before the retention, left preparing, or being
	// removed by a sweep that stopped.
	const expired = `(state = 'removing' OR finished_at IS NOT NULL AND finished_at < $2 OR state = 'preparing' AND created_at < $3)`
	var list []job
	for _, t := range tenants {
		ids, err := queryAll(ctx, s.db.read, func(r rowScanner) (id string, err error) { return id, r.Scan(&id) },
			`SELECT id FROM jobs WHERE tenant_id = $1 AND `+expired, string(t.ID), finished, ms(now.Add(-preparingTimeout)))
		if err != nil {
			return 0, fmt.Errorf("find expired jobs: %w", err)
		}
		for _, id := range ids {
			list = append(list, job{t.ID, id})
		}
	}
	removed := 0
	for _, j := range list {
		// Claimed first, if it is still expired: a creation that queued
		// its job since the listing keeps it (and one queued after the
		// claim is refused), and nothing else reads a job being removed.
		claimed := false
		err := s.db.rawWriteTx(ctx, lethe.Actor{TenantID: j.tenant, Source: lethe.SourceBulk, Name: "job"}, func(tx *Tx) error {
			res, err := tx.ExecContext(ctx, `UPDATE jobs SET state = 'removing' WHERE tenant_id = $1 AND id = $4 AND `+expired,
				string(j.tenant), finished, ms(now.Add(-preparingTimeout)), j.id)
			if err != nil {
				return fmt.Errorf("claim expired job: %w", err)
			}
			n, err := res.RowsAffected()
			claimed = n == 1
			return err
		})
		if err != nil {
			return removed, err
		}
		if !claimed {
			continue
		}
		if err := s.removeJob(ctx, j.tenant, j.id); err != nil {
			return removed, err
		}
		removed++
	}
	return removed, nil
}

// countJobItems sets a new job's total, and counts the items processed
// when they were written (failed and skipped lines of a CSV).
func (tx *Tx) countJobItems(ctx context.Context, id string, failed, skipped int) error {
	_, err := tx.ExecContext(ctx, `UPDATE jobs SET total = (SELECT COUNT(*) FROM job_items WHERE tenant_id = $1 AND job_id = $2),
		processed = $3, failed = $4, skipped = $5 WHERE tenant_id = $1 AND id = $2`,
		string(tx.actor.TenantID), id, failed+skipped, failed, skipped)
	if err != nil {
		return fmt.Errorf("count job items: %w", err)
	}
	return nil
}

// ApplyJob implements lethe.JobService. The job's row is locked first:
// an apply and an exclusion (or two applies) of one preview run one after
// the other, and the later one sees the job queued.
func (s *JobService) ApplyJob(ctx context.Context, id string) (j *lethe.Job, err error) {
	err = s.db.writeTx(ctx, func(tx *Tx) error {
		if j, err = tx.lockJob(ctx, id); err != nil {
			return err
		}
		if j.State != lethe.JobPreview {
			return lethe.Errorf(lethe.EConflict, "Only a preview can be applied; this job is %s.", j.State)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE jobs SET state = 'queued', source = $3, actor = $4 WHERE tenant_id = $1 AND id = $2`,
			string(tx.actor.TenantID), j.ID, string(tx.actor.Source), tx.actor.Name); err != nil {
			return fmt.Errorf("apply job: %w", err)
		}
		if err := tx.appendTrail(ctx, "job.applied", "", map[string]any{"job": j.ID, "total": j.Total}); err != nil {
			return err
		}
		j, err = tx.findJob(ctx, j.ID)
		return err
	})
	return j, err
}

// ExcludeJobItems implements lethe.JobService, in one write transaction
// that locks the job's row first (see ApplyJob): an exclusion that comes
// after an apply finds the job queued and is refused, never half done. The
// excluded items count as processed (jobs.processed counts every item with
// an outcome, and RunJobs reads only those without), and in jobs.excluded.
func (s *JobService) ExcludeJobItems(ctx context.Context, id string, users []lethe.LearnerID) (j *lethe.Job, err error) {
	if len(users) == 0 {
		return nil, lethe.FieldErrorf(lethe.EInvalid, "userIds", "required", "userIds must name at least one user")
	}
	if len(users) > lethe.MaxExcludeIDs {
		return nil, lethe.FieldErrorf(lethe.EInvalid, "userIds", "too_many", "userIds names %d users; at most %d may be excluded in one call",
			len(users), lethe.MaxExcludeIDs)
	}
	seen := make(map[lethe.LearnerID]bool, len(users))
	var ids []any
	for _, u := range users {
		if !seen[u] {
			seen[u] = true
			ids = append(ids, string(u))
		}
	}
	err = s.db.writeTx(ctx, func(tx *Tx) error {
		if j, err = tx.lockJob(ctx, id); err != nil {
			return err
		}
		if j.State != lethe.JobPreview {
			return lethe.Errorf(lethe.EConflict, "Only the items of a preview can be excluded; this job is %s.", j.State)
		}
		n, unknown, err := tx.excludeItems(ctx, j.ID, ids)
		if err != nil {
			return err
		}
		if unknown > 0 {
			return lethe.FieldErrorf(lethe.EInvalid, "userIds", "unknown", "%d of the %d users in userIds have no item in this job; nothing was excluded",
				unknown, len(ids))
		}
		if _, err := tx.ExecContext(ctx, `UPDATE jobs SET processed = processed + $3, excluded = excluded + $3 WHERE tenant_id = $1 AND id = $2`,
			string(tx.actor.TenantID), j.ID, n); err != nil {
			return fmt.Errorf("count excluded job items: %w", err)
		}
		if err := tx.appendTrail(ctx, "job.excluded", "", map[string]any{"job": j.ID, "excluded": n}); err != nil {
			return err
		}
		j, err = tx.findJob(ctx, j.ID)
		return err
	})
	return j, err
}

// excludeItems marks the pending items of the learners (distinct ids) in
// job excluded, 300 learners at a time: their items are found by learner
// (job_items_learner, job_items_excluded) and marked by key. It returns how
// many it marked and how many learners have no item, pending or excluded.
func (tx *Tx) excludeItems(ctx context.Context, job string, learners []any) (n, unknown int, err error) {
	t := string(tx.actor.TenantID)
	for start := 0; start < len(learners); start += 300 {
		chunk := learners[start:min(start+300, len(learners))]
		seqs, err := queryAll(ctx, tx, func(r rowScanner) (seq int, err error) { return seq, r.Scan(&seq) },
			`SELECT seq FROM job_items`+tx.db.dialect.learnerItems+`
			WHERE tenant_id = $1 AND job_id = $2 AND outcome IS NULL AND learner_id IN (`+marks(3, len(chunk))+`)`,
			append([]any{t, job}, chunk...)...)
		if err != nil {
			return 0, 0, fmt.Errorf("find job items to exclude: %w", err)
		}
		if len(seqs) > 0 {
			args := []any{t, job, lethe.OutcomeExcluded, lethe.ReasonExcluded}
			if _, err := tx.ExecContext(ctx, `UPDATE job_items SET outcome = $3, reason = $4
				WHERE tenant_id = $1 AND job_id = $2 AND seq IN (`+placeholders(&args, seqs)+`)`, args...); err != nil {
				return 0, 0, fmt.Errorf("exclude job items: %w", err)
			}
		}
		n += len(seqs)
		// Those just marked and those marked before; the literal outcome
		// lets SQLite use the partial index job_items_excluded.
		var known int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(DISTINCT learner_id) FROM job_items
			WHERE tenant_id = $1 AND job_id = $2 AND outcome = 'excluded' AND learner_id IN (`+marks(3, len(chunk))+`)`,
			append([]any{t, job}, chunk...)...).Scan(&known); err != nil {
			return 0, 0, fmt.Errorf("count excluded job items: %w", err)
		}
		unknown += len(chunk) - known
	}
	return n, unknown, nil
}

// maxJobErrors is how many chunks in a row may fail with an internal error
// before the job is marked failed.
const maxJobErrors = 5

// RunJobs implements lethe.JobService.
func (s *JobService) RunJobs(ctx context.Context) (int, error) {
	tenants, err := NewTenantService(s.db).FindTenants(ctx)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, t := range tenants {
		for ctx.Err() == nil {
			id, err := s.nextJob(ctx, t.ID)
			if err != nil || id == "" {
				if err != nil {
					return total, err
				}
				break
			}
			n, err := s.runJob(ctx, t.ID, id)
			total += n
			if err != nil {
				return total, err
			}
		}
	}
	return total, nil
}

// nextJob returns the oldest queued or running job of a tenant, or "".
func (s *JobService) nextJob(ctx context.Context, tenant lethe.TenantID) (string, error) {
	var id string
	err := s.db.read.QueryRowContext(ctx, `SELECT id FROM jobs WHERE tenant_id = $1 AND state IN ('queued', 'running')
		ORDER BY created_at, id LIMIT 1`, string(tenant)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return id, err
}

// runJob processes the job's items, a chunk per transaction, until none is
// left, the job is cancelled or ctx ends.
func (s *JobService) runJob(ctx context.Context, tenant lethe.TenantID, id string) (int, error) {
	total := 0
	for ctx.Err() == nil {
		n, more, err := s.runChunk(ctx, tenant, id)
		total += n
		if err != nil {
			if lethe.ErrorCode(err) != lethe.EInternal && lethe.ErrorCode(err) != lethe.EUnavailable {
				return total, err
			}
			s.db.logger.Error("run job chunk", "job", id, "error", err.Error())
			if ferr := s.noteJobError(ctx, tenant, id); ferr != nil {
				return total, ferr
			}
			return total, nil
		}
		if !more {
			break
		}
	}
	return total, nil
}

// noteJobError counts a failed chunk; after maxJobErrors in a row the job
// is marked failed.
func (s *JobService) noteJobError(ctx context.Context, tenant lethe.TenantID, id string) error {
	return s.db.rawWriteTx(ctx, lethe.Actor{TenantID: tenant, Source: lethe.SourceBulk, Name: "job"}, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE jobs SET errors = errors + 1,
			state = CASE WHEN errors + 1 >= $3 THEN 'failed' ELSE state END,
			finished_at = CASE WHEN errors + 1 >= $3 THEN $4 ELSE finished_at END
			WHERE tenant_id = $1 AND id = $2 AND state IN ('queued', 'running')`, string(tenant), id, maxJobErrors, ms(tx.now))
		return err
	})
}

// runChunk processes pending items of a job in one transaction, within
// chunkBudget. It reports whether items are left.
func (s *JobService) runChunk(ctx context.Context, tenant lethe.TenantID, id string) (n int, more bool, err error) {
	var j *lethe.Job
	err = s.db.rawWriteTx(ctx, lethe.Actor{TenantID: tenant, Source: lethe.SourceBulk, Name: "job"}, func(tx *Tx) error {
		n, more = 0, false
		t := string(tenant)
		if _, err := tx.ExecContext(ctx, `UPDATE jobs SET state = 'running', started_at = COALESCE(started_at, $3)
			WHERE tenant_id = $1 AND id = $2 AND state = 'queued'`, t, id, ms(tx.now)); err != nil {
			return fmt.Errorf("start job: %w", err)
		}
		var err error
		if j, err = tx.findJob(ctx, id); err != nil {
			return err
		}
		if j.State != lethe.JobRunning {
			return nil // cancelled meanwhile
		}
		// The work is the job's requester's, through the bulk surface.
		tx.actor.Source, tx.actor.Name = j.Source, j.Actor
		if j.Source != lethe.SourcePolicy {
			tx.actor.Source = lethe.SourceBulk
		}
		items, err := tx.pendingJobItems(ctx, j.ID)
		if err != nil {
			return err
		}
		counts := map[string]int{}
		start := time.Now()
		for _, it := range items {
			var recheck func(*lethe.User) (bool, error)
			if j.Rules != nil {
				recheck = func(u *lethe.User) (bool, error) { return tx.stillDormant(ctx, u, j.Rules, it.action, it.rule) }
			}
			o, reason, err := tx.applyAction(ctx, it.action, it.learner, j.EndDate, j.DryRun, recheck)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE job_items SET outcome = $4, reason = $5 WHERE tenant_id = $1 AND job_id = $2 AND seq = $3`,
				t, j.ID, it.seq, o, nullStr(reason)); err != nil {
				return fmt.Errorf("record job item: %w", err)
			}
			counts[o]++
			if n++; time.Since(start) > chunkBudget {
				break
			}
		}
		more, err = tx.endJobChunk(ctx, j.ID, n, len(items), counts)
		return err
	})
	return n, more, err
}

// chunkItem is a pending item of a job.
type chunkItem struct {
	seq     int
	learner lethe.LearnerID
	action  lethe.BulkAction
	rule    string
}

// pendingJobItems reads the next chunk of job's pending items, in order
// (on PostgreSQL, skipping items another process holds).
func (tx *Tx) pendingJobItems(ctx context.Context, job string) ([]chunkItem, error) {
	items, err := queryAll(ctx, tx, func(r rowScanner) (chunkItem, error) {
		var it chunkItem
		var learner, rule sql.NullString
		err := r.Scan(&it.seq, &learner, &it.action, &rule)
		it.learner, it.rule = lethe.LearnerID(learner.String), rule.String
		return it, err
	}, `SELECT seq, learner_id, action, rule FROM job_items`+tx.db.dialect.pendingItems+`
		WHERE tenant_id = $1 AND job_id = $2 AND outcome IS NULL ORDER BY seq LIMIT `+strconv.Itoa(chunkItems)+tx.db.dialect.skipLocked,
		string(tx.actor.TenantID), job)
	if err != nil {
		return nil, fmt.Errorf("find job items: %w", err)
	}
	return items, nil
}

// endJobChunk counts the n items a chunk of job did (of the read ones)
// and reports whether items are left; when none are, it finishes the job.
func (tx *Tx) endJobChunk(ctx context.Context, job string, n, read int, counts map[string]int) (more bool, err error) {
	t := string(tx.actor.TenantID)
	if _, err := tx.ExecContext(ctx, `UPDATE jobs SET processed = processed + $3, done = done + $4, unchanged = unchanged + $5,
			skipped = skipped + $6, failed = failed + $7, errors = 0 WHERE tenant_id = $1 AND id = $2`, t, job, n,
		counts[lethe.ItemDone], counts[lethe.ItemUnchanged], counts[lethe.ItemSkipped], counts[lethe.ItemFailed]); err != nil {
		return false, fmt.Errorf("count job progress: %w", err)
	}
	more = n < read || read == chunkItems
	if !more {
		// Fewer than asked for: the last ones, unless another process
		// holds some (PostgreSQL, SKIP LOCKED).
		var left int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM job_items WHERE tenant_id = $1 AND job_id = $2 AND outcome IS NULL`,
			t, job).Scan(&left); err != nil {
			return false, fmt.Errorf("count pending job items: %w", err)
		}
		more = left > 0
	}
	if !more {
		// Only the process whose update finds the job still running
		// finishes it: another may have finished it meanwhile
		// (PostgreSQL: both saw no item left), or a cancel won.
		res, err := tx.ExecContext(ctx, `UPDATE jobs SET state = 'succeeded', finished_at = $3
				WHERE tenant_id = $1 AND id = $2 AND state = 'running'`, t, job, ms(tx.now))
		if err != nil {
			return false, fmt.Errorf("finish job: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return false, err
		}
		return false, tx.appendTrail(ctx, "job.finished", "", map[string]any{"job": job})
	}
	return more, nil
}
