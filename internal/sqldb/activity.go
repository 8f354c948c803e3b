package sqldb

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lethehq/lethe"
)

// ActivityService implements lethe.ActivityService.
type ActivityService struct{ db *DB }

// NewActivityService returns the activity service of db.
func NewActivityService(db *DB) *ActivityService { return &ActivityService{db: db} }

var _ lethe.ActivityService = (*ActivityService)(nil)

var errActivityNotFound = lethe.Errorf(lethe.ENotFound, "Activity not found.")

// activityColumns are read FROM activityFrom: the row, its sealed text and
// the data key of its learner (none once the learner is erased).
const activityColumns = `a.id, a.learner_id, a.type, a.name, a.date, a.context_type, a.context_id,
	a.data, a.with_data, a.sealed, k.data_key, a.created_at`

const activityFrom = ` FROM activities a LEFT JOIN learner_keys k ON k.tenant_id = a.tenant_id AND k.learner_id = a.learner_id`

func (tx *Tx) scanActivity(row rowScanner) (*lethe.Activity, error) {
	var a lethe.Activity
	var name, ctxType, ctxID, data, with sql.NullString
	var sealed, key []byte
	var date, created int64
	if err := row.Scan(&a.ID, &a.LearnerID, &a.Type, &name, &date, &ctxType, &ctxID,
		&data, &with, &sealed, &key, &created); err != nil {
		return nil, err
	}
	a.Name, a.ContextType, a.ContextID = name.String, ctxType.String, ctxID.String
	if data.Valid {
		a.Data = []byte(data.String)
	}
	if with.Valid {
		a.With = []byte(with.String)
	}
	if sealed != nil {
		t, err := unseal(key, sealAAD(string(tx.actor.TenantID), "activities", a.ID), sealed)
		if err != nil {
			return nil, err
		}
		a.Name, a.Data, a.With = t.Name, t.Data, t.With
	}
	a.Date, a.CreatedAt = fromMS(date), fromMS(created)
	return &a, nil
}

// activityKey is what activities.client_id holds for a sender's id: a keyed
// hash, because senders may build ids from personal data (a ref, an email).
// 128 bits (22 characters) keep the unique index small; a collision within
// a tenant is as likely as guessing a random 128-bit key.
func (tx *Tx) activityKey(clientID string) string {
	h := tx.db.keyedHash("activity-client-id", []byte(tx.actor.TenantID), []byte(clientID))
	return base64.RawURLEncoding.EncodeToString(h[:16])
}

// FindActivityByID implements lethe.ActivityService.
func (s *ActivityService) FindActivityByID(ctx context.Context, id string) (a *lethe.Activity, err error) {
	id, ok := lethe.ParseID(id)
	if !ok {
		return nil, errActivityNotFound
	}
	err = s.db.readTx(ctx, func(tx *Tx) error {
		a, err = tx.scanActivity(tx.QueryRowContext(ctx, `SELECT `+activityColumns+activityFrom+`
			WHERE a.tenant_id = $1 AND a.id = $2`, string(tx.actor.TenantID), id))
		if errors.Is(err, sql.ErrNoRows) {
			return errActivityNotFound
		}
		return err
	})
	return a, err
}

// FindActivities implements lethe.ActivityService. Pages are ordered by
// (date, client_id), which the activities_client index serves for a time
// window: the date, then the keyed hash of the sender's id, unique within
// a date (ADR 0015).
func (s *ActivityService) FindActivities(ctx context.Context, f lethe.ActivityFilter) (out []*lethe.Activity, total int, err error) {
	err = s.db.readTx(ctx, func(tx *Tx) error {
		args := []any{string(tx.actor.TenantID)}
		where := ` WHERE a.tenant_id = $1`
		param := func(v any) string {
			args = append(args, v)
			return "$" + strconv.Itoa(len(args))
		}
		in := func(vs []string) string {
			ps := make([]string, len(vs))
			for i, v := range vs {
				ps[i] = param(v)
			}
			return `(` + strings.Join(ps, ", ") + `)`
		}
		if f.From != nil {
			where += ` AND a.date >= ` + param(ms(*f.From))
		}
		if f.To != nil {
			where += ` AND a.date <= ` + param(ms(*f.To))
		}
		if len(f.Actions) > 0 {
			where += ` AND a.type IN ` + in(f.Actions)
		} else if len(f.OmitActions) > 0 {
			where += ` AND a.type NOT IN ` + in(f.OmitActions)
		}
		if len(f.ContentIDs) > 0 {
			where += ` AND a.context_id IN ` + in(f.ContentIDs)
		}
		if f.ContentType != "" {
			where += ` AND a.context_type = ` + param(f.ContentType)
		}
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM activities a`+where, args...).Scan(&total); err != nil {
			return fmt.Errorf("count activities: %w", err)
		}
		page := pageClause(&args, f.Limit, f.Offset)
		out, err = queryAll(ctx, tx, tx.scanActivity, `SELECT `+activityColumns+activityFrom+where+
			` ORDER BY a.date, a.client_id`+page, args...)
		if err != nil {
			return fmt.Errorf("find activities: %w", err)
		}
		return nil
	})
	return out, total, err
}

// lockBatchUsers loads (and, in a write transaction on PostgreSQL, locks)
// the users a batch names, erased ones included, in the same order for
// every batch: by id (findUsers). Locked in the order of the items, two
// batches naming the same users in different orders deadlock, each holding
// a row the other waits for (lethe bench's ingest scenario did, with two
// workers). Keys naming nobody are left out.
func (tx *Tx) lockBatchUsers(ctx context.Context, batch []lethe.NewActivity) (map[lethe.UserKey]*lethe.User, error) {
	seen := map[lethe.UserKey]bool{}
	var keys []lethe.UserKey
	for _, a := range batch {
		if !seen[a.User] {
			seen[a.User] = true
			keys = append(keys, a.User)
		}
	}
	return tx.findUsers(ctx, keys)
}

// IngestActivities implements lethe.ActivityService: one transaction for
// the batch, all or nothing. Every item is checked first; the new ones are
// then inserted with ON CONFLICT DO NOTHING RETURNING, so the unique key on
// (tenant_id, date, client_id) says which were new (no lookup whose plan
// depends on statistics), and only those have side effects.
func (s *ActivityService) IngestActivities(ctx context.Context, batch []lethe.NewActivity) (res lethe.IngestResult, err error) {
	if len(batch) > lethe.MaxActivityBatch {
		return res, lethe.FieldErrorf(lethe.EInvalid, "activities", "too_many", "activities must have at most %d items", lethe.MaxActivityBatch)
	}
	err = s.db.writeTx(ctx, func(tx *Tx) error {
		res = lethe.IngestResult{Received: len(batch)}
		items, err := tx.checkActivities(ctx, batch)
		if err != nil {
			return err
		}
		stored, err := tx.insertActivities(ctx, items)
		if err != nil {
			return err
		}
		res.Stored = len(stored)
		res.Duplicates = res.Received - res.Stored
		return tx.activityEffects(ctx, items, stored)
	})
	return res, err
}

// ingestItem is an item of a batch, checked.
type ingestItem struct {
	a    lethe.NewActivity
	u    *lethe.User
	id   string
	key  string // activityKey of the client id
	done bool   // stored by an earlier call
}

// checkActivities checks every item of a batch, in order, and returns the
// items to store: the first of each client id, and those stored before
// their user was erased marked done.
func (tx *Tx) checkActivities(ctx context.Context, batch []lethe.NewActivity) ([]ingestItem, error) {
	users, err := tx.lockBatchUsers(ctx, batch)
	if err != nil {
		return nil, err
	}
	items := make([]ingestItem, 0, len(batch))
	inBatch := map[string]bool{}
	for i, a := range batch {
		if inBatch[a.ClientID] {
			continue // the same id twice in one batch: the first counts
		}
		inBatch[a.ClientID] = true
		it, err := tx.checkActivity(ctx, "activities["+strconv.Itoa(i)+"].", a, users[a.User])
		if err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	return items, nil
}

// checkActivity checks item a of user u (nil when its key names no one);
// field prefixes the names of its fields in errors.
func (tx *Tx) checkActivity(ctx context.Context, field string, a lethe.NewActivity, u *lethe.User) (ingestItem, error) {
	it := ingestItem{a: a, key: tx.activityKey(a.ClientID)}
	if u == nil || u.State == lethe.StateDeleted {
		// A replay of an item stored before its user was erased is a
		// duplicate, not an error.
		stored, err := tx.activityIngested(ctx, it.key, a.Date)
		if err != nil || stored {
			it.done = true
			return it, err
		}
		name := "userId"
		if a.User.ID == "" {
			name = "userRef"
		}
		return it, lethe.FieldErrorf(lethe.EInvalid, field+name, "not_found", "%s%s names no live user", field, name)
	}
	it.u = u
	if a.Date.After(tx.now.Add(lethe.MaxCompletionSkew)) {
		return it, lethe.FieldErrorf(lethe.EInvalid, field+"date", "future", "%sdate must not be in the future", field)
	}
	if a.Type == "completed" && a.ContextType == "content" {
		if err := tx.requireContent(ctx, field+"contextId", a.ContextID); err != nil {
			if lethe.ErrorCode(err) == lethe.ENotFound {
				return it, lethe.FieldErrorf(lethe.EInvalid, field+"contextId", "not_found", "%scontextId names no content", field)
			}
			return it, err
		}
	}
	var isHex bool
	if it.id, isHex = lethe.ParseID(a.ClientID); !isHex {
		it.id = lethe.NewID(tx.now)
	}
	return it, nil
}

// insertActivities inserts the items not done, their free text sealed
// under each learner's data key, and returns the activity keys of those
// that were new (the rows the inserts returned).
func (tx *Tx) insertActivities(ctx context.Context, items []ingestItem) (map[string]bool, error) {
	learners := make([]lethe.LearnerID, 0, len(items))
	for _, it := range items {
		if !it.done {
			learners = append(learners, it.u.ID)
		}
	}
	ring, err := tx.keyring(ctx, learners)
	if err != nil {
		return nil, err
	}
	stored := map[string]bool{}
	w := tx.rows(`INSERT INTO activities (tenant_id, id, client_id, learner_id, type, date, context_type,
		context_id, sealed, created_at) VALUES `, 10, onConflict(` ON CONFLICT DO NOTHING`),
		returning("client_id", func(rs *sql.Rows) error {
			var key string
			err := rs.Scan(&key)
			stored[key] = true
			return err
		}))
	defer w.close()
	tenant := string(tx.actor.TenantID)
	for _, it := range items {
		if it.done {
			continue
		}
		a := it.a
		sealed, err := ring.seal(it.u.ID, sealAAD(tenant, "activities", it.id), &sealedText{Name: a.Name, Data: a.Data, With: a.With})
		if err != nil {
			return nil, fmt.Errorf("seal activity: %w", err)
		}
		if err := w.add(ctx, tenant, it.id, it.key, string(it.u.ID), a.Type, ms(a.Date),
			nullStr(a.ContextType), nullStr(a.ContextID), sealed, ms(tx.now)); err != nil {
			return nil, fmt.Errorf("insert activities: %w", err)
		}
	}
	if err := w.flush(ctx); err != nil {
		return nil, fmt.Errorf("insert activities: %w", err)
	}
	return stored, nil
}

// activityEffects applies the side effects of the new activities only:
// logins of one user make one update (earliest and latest); completions
// are created in batch order.
func (tx *Tx) activityEffects(ctx context.Context, items []ingestItem, stored map[string]bool) error {
	type loginSpan struct {
		u           *lethe.User
		first, last time.Time
	}
	logins := map[lethe.LearnerID]*loginSpan{}
	var loginOrder []lethe.LearnerID
	for _, it := range items {
		if it.done || !stored[it.key] {
			continue
		}
		switch a := it.a; {
		case a.Type == "loggedin":
			if l, ok := logins[it.u.ID]; !ok {
				logins[it.u.ID] = &loginSpan{it.u, a.Date, a.Date}
				loginOrder = append(loginOrder, it.u.ID)
			} else {
				l.first, l.last = minTime(l.first, a.Date), maxTime(l.last, a.Date)
			}
		case a.Type == "completed" && a.ContextType == "content":
			if _, _, err := tx.createCompletion(ctx, it.u.ID, a.ContextID, a.Date); err != nil {
				return err
			}
		}
	}
	for _, id := range loginOrder {
		l := logins[id]
		if err := tx.recordActivityLogin(ctx, l.u, l.first, l.last); err != nil {
			return err
		}
	}
	return nil
}

// activityIngested reports whether the client id (its activityKey) was
// ingested before with this date.
func (tx *Tx) activityIngested(ctx context.Context, key string, date time.Time) (bool, error) {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM activities WHERE tenant_id = $1 AND date = $2 AND client_id = $3`,
		string(tx.actor.TenantID), ms(date), key).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("find ingested activity: %w", err)
	}
	return true, nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// recordActivityLogin is RecordLogin over the batch's logins of u, dated
// first to last: the first login turns a new user active; the first and
// last logins only move outwards. A login of a user who is not active
// (suspended) is kept as an activity and changes nothing.
func (tx *Tx) recordActivityLogin(ctx context.Context, u *lethe.User, first, last time.Time) error {
	if u.State != lethe.StateActive {
		return nil
	}
	if u.FirstLoginAt == nil || first.Before(*u.FirstLoginAt) {
		u.FirstLoginAt = &first
	}
	if u.LastLoginAt == nil || last.After(*u.LastLoginAt) {
		u.LastLoginAt = &last
	}
	u.UpdatedAt = tx.now
	_, err := tx.ExecContext(ctx, `UPDATE learners SET first_login_at = $3, last_login_at = $4, updated_at = $5
		WHERE tenant_id = $1 AND id = $2`, string(tx.actor.TenantID), string(u.ID), ms(*u.FirstLoginAt), ms(*u.LastLoginAt), ms(tx.now))
	if err != nil {
		return fmt.Errorf("record login: %w", err)
	}
	return tx.recordCount(ctx, &u.Learner)
}
