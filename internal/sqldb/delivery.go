package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/lethehq/lethe"
)

// Webhook deliveries: leased claims for the engine (internal/webhook), its
// results, listings for the tenant, redelivery, pruning and what erasure
// receipts say of them.

var _ lethe.DeliveryStore = (*WebhookService)(nil)

// deliveryActor is who writes delivery results: the system, for a tenant.
func deliveryActor(t lethe.TenantID) lethe.Actor {
	return lethe.Actor{TenantID: t, Source: lethe.SourcePolicy, Name: "webhooks"}
}

// ClaimDeliveries implements lethe.DeliveryStore: it leases up to limit
// due deliveries, tenant by tenant, for lease: their next_at moves to the
// end of the lease, so no other process takes them meanwhile, and a crash
// leaves them to be taken again when it ends. Of the pending deliveries of
// one subject to one subscription only the oldest is due, so they go out
// in order.
func (s *WebhookService) ClaimDeliveries(ctx context.Context, owner string, limit int, lease time.Duration,
	skip []string) ([]lethe.DueDelivery, error) {
	tenants, err := NewTenantService(s.db).FindTenants(ctx)
	if err != nil {
		return nil, err
	}
	var out []lethe.DueDelivery
	now := s.db.Now()
	for _, t := range tenants {
		if len(out) >= limit {
			break
		}
		var due int
		err := s.db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM webhook_deliveries
			WHERE tenant_id = $1 AND state = 'pending' AND next_at <= $2 LIMIT 1) d`, string(t.ID), ms(now)).Scan(&due)
		if err != nil {
			return out, fmt.Errorf("find due deliveries: %w", err)
		}
		var behind int
		if due == 0 {
			if err := s.db.read.QueryRowContext(ctx, behindQuery, string(t.ID)).Scan(&behind); err != nil {
				return out, fmt.Errorf("find events to fan out: %w", err)
			}
		}
		if due == 0 && behind == 0 {
			continue
		}
		err = s.db.rawWriteTx(ctx, deliveryActor(t.ID), func(tx *Tx) error {
			if _, err := tx.fanOut(ctx); err != nil {
				return err
			}
			got, err := tx.leaseDeliveries(ctx, owner, limit-len(out), lease, skip)
			out = append(out, got...)
			return err
		})
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// leaseDeliveries leases up to n due deliveries of the actor's tenant.
func (tx *Tx) leaseDeliveries(ctx context.Context, owner string, n int, lease time.Duration, skip []string) ([]lethe.DueDelivery, error) {
	tenant := string(tx.actor.TenantID)
	args := []any{tenant, ms(tx.now), n}
	busy := ""
	if len(skip) > 0 {
		busy = ` AND d.subscription_id NOT IN (` + placeholders(&args, skip) + `)`
	}
	scanID := func(r rowScanner) (string, error) {
		var id string
		return id, r.Scan(&id)
	}
	// The oldest pending delivery of each subject to each subscription,
	// found through its index row by row (a correlated MIN, which the
	// planner cannot turn into a join that scans the table).
	ids, err := queryAll(ctx, tx, scanID, `SELECT d.id FROM webhook_deliveries d
		WHERE d.tenant_id = $1 AND d.state = 'pending' AND d.next_at <= $2`+busy+`
		AND d.event_seq = (SELECT MIN(p.event_seq) FROM webhook_deliveries p WHERE p.tenant_id = $1
			AND p.subscription_id = d.subscription_id AND p.subject = d.subject AND p.state = 'pending')
		ORDER BY d.next_at, d.event_seq LIMIT $3`+tx.db.dialect.skipLocked, args...)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	// Re-checked under the row locks: a row another process leased
	// meanwhile no longer matches.
	up := []any{tenant, ms(tx.now), ms(tx.now.Add(lease)), owner}
	ids, err = queryAll(ctx, tx, scanID, `UPDATE webhook_deliveries SET next_at = $3, lease_owner = $4
		WHERE tenant_id = $1 AND state = 'pending' AND next_at <= $2 AND id IN (`+placeholders(&up, ids)+`)
		RETURNING id`, up...)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	args = []any{tenant}
	q := `SELECT d.id, d.subscription_id, d.attempts, e.id, COALESCE(e.payload, e.ids), e.created_at, s.url, s.secret
		FROM webhook_deliveries d JOIN events e ON e.tenant_id = d.tenant_id AND e.seq = d.event_seq
		JOIN webhook_subscriptions s ON s.tenant_id = d.tenant_id AND s.id = d.subscription_id
		WHERE d.tenant_id = $1 AND d.id IN (` + placeholders(&args, ids) + `) ORDER BY e.seq`
	return queryAll(ctx, tx, func(r rowScanner) (lethe.DueDelivery, error) {
		d := lethe.DueDelivery{TenantID: tx.actor.TenantID}
		var created int64
		var sealed []byte
		var payload string
		if err := r.Scan(&d.ID, &d.SubscriptionID, &d.Attempts, &d.EventID, &payload, &created, &d.URL, &sealed); err != nil {
			return d, err
		}
		d.Payload, d.CreatedAt = []byte(payload), fromMS(created)
		var err error
		d.Secret, err = tx.db.openSecret(tenant, d.SubscriptionID, sealed)
		return d, err
	}, q, args...)
}

// placeholders appends vals to args and returns their parameters, "$2, $3".
func placeholders[T any](args *[]any, vals []T) string {
	ps := make([]string, len(vals))
	for i, v := range vals {
		*args = append(*args, v)
		ps[i] = "$" + strconv.Itoa(len(*args))
	}
	return strings.Join(ps, ", ")
}

// FinishDeliveries implements lethe.DeliveryStore: it records each
// attempt and moves its delivery on (delivered, retried later, or failed),
// tenant by tenant, in one transaction per tenant.
func (s *WebhookService) FinishDeliveries(ctx context.Context, results []lethe.DeliveryResult) error {
	byTenant := map[lethe.TenantID][]lethe.DeliveryResult{}
	var order []lethe.TenantID
	for _, r := range results {
		if byTenant[r.TenantID] == nil {
			order = append(order, r.TenantID)
		}
		byTenant[r.TenantID] = append(byTenant[r.TenantID], r)
	}
	var errs []error
	for _, t := range order {
		errs = append(errs, s.db.rawWriteTx(ctx, deliveryActor(t), func(tx *Tx) error {
			return tx.finishDeliveries(ctx, byTenant[t])
		}))
	}
	return errors.Join(errs...)
}

// leased is a delivery row a result is about.
type leased struct {
	sub, subject string
	attempts     int
}

func (tx *Tx) finishDeliveries(ctx context.Context, results []lethe.DeliveryResult) error {
	tenant := string(tx.actor.TenantID)
	ids := make([]string, len(results))
	for i, r := range results {
		ids[i] = r.DeliveryID
	}
	args := []any{tenant}
	rows := map[string]leased{}
	_, err := queryAll(ctx, tx, func(r rowScanner) (struct{}, error) {
		var id string
		var l leased
		err := r.Scan(&id, &l.sub, &l.subject, &l.attempts)
		rows[id] = l
		return struct{}{}, err
	}, `SELECT id, subscription_id, subject, attempts FROM webhook_deliveries WHERE tenant_id = $1 AND state = 'pending'
		AND id IN (`+placeholders(&args, ids)+`)`+tx.db.dialect.lockRow, args...)
	if err != nil {
		return fmt.Errorf("read leased deliveries: %w", err)
	}
	erased, err := tx.erasedSubjects(ctx, rows)
	if err != nil {
		return err
	}
	health := map[string]*subHealth{}
	for _, r := range results {
		l, ok := rows[r.DeliveryID]
		if !ok {
			continue // redelivered, deleted with its subscription or purged meanwhile
		}
		if erased[l.subject] {
			r.Response = ""
		}
		if err := tx.finishDelivery(ctx, r, l); err != nil {
			return err
		}
		h := health[l.sub]
		if h == nil {
			h = &subHealth{}
			health[l.sub] = h
		}
		h.note(r)
	}
	for sub, h := range health {
		if err := tx.updateHealth(ctx, sub, h); err != nil {
			return err
		}
	}
	return nil
}

// erasedSubjects are the subjects among rows that are erased or
// anonymized learners: answers about them are not kept. Their rows are
// locked, so an erasure running meanwhile waits, and its scrub of the
// attempts sees this transaction's.
func (tx *Tx) erasedSubjects(ctx context.Context, rows map[string]leased) (map[string]bool, error) {
	out := map[string]bool{}
	if len(rows) == 0 {
		return out, nil
	}
	var subjects []string
	for _, l := range rows {
		subjects = append(subjects, l.subject)
	}
	args := []any{string(tx.actor.TenantID)}
	_, err := queryAll(ctx, tx, func(r rowScanner) (struct{}, error) {
		var id string
		var gone bool
		err := r.Scan(&id, &gone)
		out[id] = gone
		return struct{}{}, err
	}, `SELECT id, deleted_at IS NOT NULL OR anonymized_at IS NOT NULL FROM learners WHERE tenant_id = $1 AND id IN (`+
		placeholders(&args, subjects)+`)`+tx.db.dialect.lockRow, args...)
	if err != nil {
		return nil, fmt.Errorf("read subjects: %w", err)
	}
	return out, nil
}

// finishDelivery records the attempt r of delivery l and moves it on.
func (tx *Tx) finishDelivery(ctx context.Context, r lethe.DeliveryResult, l leased) error {
	tenant := string(tx.actor.TenantID)
	if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_attempts (tenant_id, delivery_id, n, subject, at, status, error,
		latency_ms, response) SELECT $1, $2, COALESCE(MAX(n), 0) + 1, $3, $4, $5, $6, $7, $8 FROM webhook_attempts
		WHERE tenant_id = $1 AND delivery_id = $2`, tenant, r.DeliveryID, l.subject, ms(r.At), r.Status, nullStr(r.Error),
		r.LatencyMS, nullStr(r.Response)); err != nil {
		return fmt.Errorf("record attempt: %w", err)
	}
	attempts := l.attempts + 1
	state, next := lethe.DeliveryPending, any(nil)
	switch {
	case r.Status >= 200 && r.Status < 300:
		state = lethe.DeliveryDelivered
	case r.Status == 410:
		state = lethe.DeliveryFailed
	default:
		if d, ok := lethe.RetryDelay(attempts, r.RetryAfter); ok {
			next = ms(r.At.Add(d))
		} else {
			state = lethe.DeliveryFailed
		}
	}
	var delivered any
	if state == lethe.DeliveryDelivered {
		delivered = ms(r.At)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET state = $3, attempts = $4, next_at = $5, lease_owner = NULL,
		delivered_at = $6, last_status = $7, last_error = $8 WHERE tenant_id = $1 AND id = $2`, tenant, r.DeliveryID, state,
		attempts, next, delivered, r.Status, nullStr(r.Error)); err != nil {
		return fmt.Errorf("update delivery: %w", err)
	}
	return nil
}

// subHealth is what one batch of results says of a subscription.
type subHealth struct {
	ok           bool      // some attempt succeeded
	gone         bool      // the receiver answered 410
	firstFailure time.Time // of this batch
}

func (h *subHealth) note(r lethe.DeliveryResult) {
	switch {
	case r.Status >= 200 && r.Status < 300:
		h.ok = true
	case r.Status == 410:
		h.gone = true
	case h.firstFailure.IsZero() || r.At.Before(h.firstFailure):
		h.firstFailure = r.At
	}
}

// updateHealth clears a subscription's failing mark after a success, sets
// it at the first failure, and disables the subscription on a 410 or when
// it has been failing for FailingLimit.
func (tx *Tx) updateHealth(ctx context.Context, sub string, h *subHealth) error {
	tenant := string(tx.actor.TenantID)
	var failing sql.NullInt64
	var enabled bool
	err := tx.QueryRowContext(ctx, `SELECT failing_since, enabled FROM webhook_subscriptions WHERE tenant_id = $1 AND id = $2`+
		tx.db.dialect.lockRow, tenant, sub).Scan(&failing, &enabled)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !enabled) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read subscription health: %w", err)
	}
	reason := ""
	switch {
	case h.gone:
		reason = lethe.DisabledGone
	case h.ok:
		if !failing.Valid {
			return nil
		}
		failing.Valid = false
	case !failing.Valid:
		failing = sql.NullInt64{Int64: ms(h.firstFailure), Valid: true}
	case tx.now.Sub(fromMS(failing.Int64)) >= lethe.FailingLimit:
		reason = lethe.DisabledFailing
	default:
		return nil
	}
	if reason != "" {
		if err := tx.abandonDeliveries(ctx, sub, "subscription disabled"); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE webhook_subscriptions SET failing_since = $3, enabled = $4, disabled_reason = $5
		WHERE tenant_id = $1 AND id = $2`, tenant, sub, failing, reason == "", nullStr(reason)); err != nil {
		return fmt.Errorf("update subscription health: %w", err)
	}
	return nil
}

const deliveryColumns = `d.id, e.id, e.type, d.subscription_id, d.state, d.attempts, d.next_at, d.delivered_at,
	d.last_status, d.last_error, d.created_at`

func scanDelivery(r rowScanner) (*lethe.Delivery, error) {
	var d lethe.Delivery
	var next, delivered, status sql.NullInt64
	var lastErr sql.NullString
	var created int64
	if err := r.Scan(&d.ID, &d.EventID, &d.EventType, &d.SubscriptionID, &d.State, &d.Attempts, &next, &delivered,
		&status, &lastErr, &created); err != nil {
		return nil, err
	}
	d.NextAt, d.DeliveredAt, d.LastStatus, d.LastError = timePtr(next), timePtr(delivered), int(status.Int64), lastErr.String
	d.CreatedAt = fromMS(created)
	return &d, nil
}

// FindDeliveries implements lethe.SubscriptionService: newest first, and
// the total that match.
func (s *WebhookService) FindDeliveries(ctx context.Context, q lethe.DeliveryQuery) (out []*lethe.Delivery, total int, err error) {
	if err := s.db.catchUp(ctx); err != nil {
		return nil, 0, err
	}
	if _, isEvent := eventSeq(q.EventID); (q.SubscriptionID != "" && !validKey(q.SubscriptionID)) || (q.EventID != "" && !isEvent) {
		return []*lethe.Delivery{}, 0, nil // names nothing (and PostgreSQL refuses such text)
	}
	err = s.db.readTx(ctx, func(tx *Tx) error {
		args := []any{string(tx.actor.TenantID)}
		where := ``
		if q.SubscriptionID != "" {
			args = append(args, q.SubscriptionID)
			where += ` AND d.subscription_id = $` + strconv.Itoa(len(args))
		}
		if q.EventID != "" {
			args = append(args, q.EventID)
			where += ` AND e.id = $` + strconv.Itoa(len(args))
			if seq, _ := eventSeq(q.EventID); seq > 0 {
				args = append(args, seq)
				where += ` AND d.event_seq = $` + strconv.Itoa(len(args))
			}
		}
		if q.State != "" {
			args = append(args, q.State)
			where += ` AND d.state = $` + strconv.Itoa(len(args))
		}
		from := ` FROM webhook_deliveries d JOIN events e ON e.tenant_id = d.tenant_id AND e.seq = d.event_seq
			WHERE d.tenant_id = $1` + where
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*)`+from, args...).Scan(&total); err != nil {
			return fmt.Errorf("count deliveries: %w", err)
		}
		out, err = queryAll(ctx, tx, scanDelivery, `SELECT `+deliveryColumns+from+` ORDER BY d.created_at DESC, d.event_seq DESC, d.id`+
			pageClause(&args, q.Limit, q.Offset), args...)
		return err
	})
	if out == nil && err == nil {
		out = []*lethe.Delivery{}
	}
	return out, total, err
}

// FindAttempts implements lethe.SubscriptionService: oldest first.
func (s *WebhookService) FindAttempts(ctx context.Context, deliveryID string) (out []*lethe.DeliveryAttempt, err error) {
	if !validKey(deliveryID) {
		return nil, lethe.Errorf(lethe.ENotFound, "Delivery not found.")
	}
	err = s.db.readTx(ctx, func(tx *Tx) error {
		tenant := string(tx.actor.TenantID)
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM webhook_deliveries WHERE tenant_id = $1 AND id = $2`,
			tenant, deliveryID).Scan(&n); err != nil {
			return fmt.Errorf("find delivery: %w", err)
		}
		if n == 0 {
			return lethe.Errorf(lethe.ENotFound, "Delivery not found.")
		}
		out, err = queryAll(ctx, tx, func(r rowScanner) (*lethe.DeliveryAttempt, error) {
			var a lethe.DeliveryAttempt
			var at int64
			var e, resp sql.NullString
			err := r.Scan(&at, &a.Status, &e, &a.LatencyMS, &resp)
			a.At, a.Error, a.Response = fromMS(at), e.String, resp.String
			return &a, err
		}, `SELECT at, status, error, latency_ms, response FROM webhook_attempts WHERE tenant_id = $1 AND delivery_id = $2
			ORDER BY n`, tenant, deliveryID)
		return err
	})
	if out == nil && err == nil {
		out = []*lethe.DeliveryAttempt{}
	}
	return out, err
}

// Redeliver implements lethe.SubscriptionService. A delivery still
// pending (waiting or in flight) is left as it is; the others start over,
// with a fresh retry schedule. Subscriptions that are disabled are left
// out. ENotFound when the tenant has no such event.
func (s *WebhookService) Redeliver(ctx context.Context, eventID, subscriptionID string) (n int, err error) {
	if err := s.db.catchUp(ctx); err != nil {
		return 0, err
	}
	err = s.db.writeTx(ctx, func(tx *Tx) error {
		tenant := string(tx.actor.TenantID)
		seq, err := tx.findEventSeq(ctx, eventID)
		if err != nil {
			return err
		}
		if subscriptionID != "" {
			if _, err := tx.findSubscription(ctx, subscriptionID); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_at = $4,
			lease_owner = NULL WHERE tenant_id = $1 AND event_seq = $2 AND state <> 'pending' AND ($3 = '' OR subscription_id = $3)
			AND subscription_id IN (SELECT id FROM webhook_subscriptions WHERE tenant_id = $1 AND enabled)`,
			tenant, seq, subscriptionID, ms(tx.now))
		if err != nil {
			return fmt.Errorf("redeliver: %w", err)
		}
		c, _ := res.RowsAffected()
		n = int(c)
		tx.emitted += n
		return tx.appendTrail(ctx, "webhook_event.redelivered", "", map[string]any{"eventId": eventID, "deliveries": n})
	})
	return n, err
}

// findEventSeq is the number of the tenant's event id; ENotFound when it
// has none.
func (tx *Tx) findEventSeq(ctx context.Context, id string) (int64, error) {
	seq, ok := eventSeq(id)
	if !ok {
		return 0, lethe.Errorf(lethe.ENotFound, "Event not found.")
	}
	query, args := `SELECT seq FROM events WHERE tenant_id = $1 AND id = $2`, []any{string(tx.actor.TenantID), id}
	if seq > 0 {
		query, args = query+` AND seq = $3`, append(args, seq)
	}
	err := tx.QueryRowContext(ctx, query, args...).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, lethe.Errorf(lethe.ENotFound, "Event not found.")
	}
	return seq, wrapErr("find event", err)
}

// PruneEvents removes, in every tenant, the events older than retention
// whose deliveries are all done, with their deliveries and attempts. The
// user.deleted and user.anonymized events stay, with their deliveries:
// erasure receipts show them. It returns how many events went.
func (s *WebhookService) PruneEvents(ctx context.Context, retention time.Duration) (int, error) {
	tenants, err := NewTenantService(s.db).FindTenants(ctx)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, t := range tenants {
		err := s.db.rawWriteTx(ctx, deliveryActor(t.ID), func(tx *Tx) error {
			n, err := tx.pruneEvents(ctx, ms(tx.now.Add(-retention)))
			total += n
			return err
		})
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// prunable selects the events pruneEvents removes: those older than $2.
const prunable = `SELECT seq FROM events e WHERE e.tenant_id = $1 AND e.created_at < $2
	AND e.type NOT IN ('user.deleted', 'user.anonymized')
	AND NOT EXISTS (SELECT 1 FROM webhook_subscriptions s WHERE s.tenant_id = $1 AND s.enabled AND s.fanned_seq < e.seq)
	AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p
	WHERE p.tenant_id = $1 AND p.event_seq = e.seq AND p.state = 'pending')`

// pruneEvents removes the prunable events older than before. The tenant's last
// event number is kept in event_heads first: numbers are never given twice,
// even when the newest events go.
func (tx *Tx) pruneEvents(ctx context.Context, before int64) (int, error) {
	tenant := string(tx.actor.TenantID)
	last, err := tx.lockEventSeq(ctx, tenant)
	if err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE event_heads SET seq = $2 WHERE tenant_id = $1`, tenant, last); err != nil {
		return 0, fmt.Errorf("event head: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM webhook_attempts WHERE tenant_id = $1 AND delivery_id IN
		(SELECT id FROM webhook_deliveries WHERE tenant_id = $1 AND event_seq IN (`+prunable+`))`, tenant, before); err != nil {
		return 0, fmt.Errorf("prune attempts: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM webhook_deliveries WHERE tenant_id = $1 AND event_seq IN (`+prunable+`)`,
		tenant, before); err != nil {
		return 0, fmt.Errorf("prune deliveries: %w", err)
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM events WHERE tenant_id = $1 AND seq IN (`+prunable+`)`, tenant, before)
	if err != nil {
		return 0, fmt.Errorf("prune events: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// propagation is what the receipt of learner id's erasure says of its
// user.deleted (or user.anonymized) deliveries.
func (tx *Tx) propagation(ctx context.Context, id string) ([]lethe.Propagation, error) {
	return queryAll(ctx, tx, func(r rowScanner) (lethe.Propagation, error) {
		var p lethe.Propagation
		var url sql.NullString
		var delivered sql.NullInt64
		err := r.Scan(&p.SubscriptionID, &url, &p.EventID, &p.State, &p.Attempts, &delivered)
		p.Receiver, p.AcknowledgedAt = receiverHost(url.String), timePtr(delivered)
		return p, err
	}, `SELECT d.subscription_id, s.url, e.id, d.state, d.attempts, d.delivered_at FROM events e`+
		tx.db.dialect.learnerIndexes["events"]+` JOIN webhook_deliveries d ON d.tenant_id = e.tenant_id AND d.event_seq = e.seq
		LEFT JOIN webhook_subscriptions s ON s.tenant_id = d.tenant_id AND s.id = d.subscription_id
		WHERE e.tenant_id = $1 AND e.subject = $2 AND e.type IN ('user.deleted', 'user.anonymized')
		ORDER BY e.seq, d.subscription_id`, string(tx.actor.TenantID), id)
}

// receiverHost is the host of a subscription URL: what a receipt names.
func receiverHost(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Host
	}
	return ""
}

// fanOutBatch is how many events one subscription is fanned out at a time.
const fanOutBatch = 2000

// fanOut gives each enabled subscription of the tenant a delivery of every
// event after its cursor that it takes, up to fanOutBatch events each, and
// moves the cursor; behind says some subscription has more. Subscription
// rows are locked, so two processes never fan one out twice.
func (tx *Tx) fanOut(ctx context.Context) (behind bool, err error) {
	tenant := string(tx.actor.TenantID)
	type cursor struct {
		sub   lethe.Subscription
		after int64
	}
	subs, err := queryAll(ctx, tx, func(r rowScanner) (cursor, error) {
		var c cursor
		var types string
		err := r.Scan(&c.sub.ID, &types, &c.after)
		c.sub.Types, c.sub.Enabled = subscriptionTypes(types), true
		return c, err
	}, `SELECT id, types, fanned_seq FROM webhook_subscriptions WHERE tenant_id = $1 AND enabled
		AND fanned_seq < (`+lastEventSeq+`) ORDER BY id`+tx.db.dialect.lockRow, tenant)
	if err != nil || len(subs) == 0 {
		return false, wrapErr("read cursors", err)
	}
	head, err := tx.eventHeadSeq(ctx)
	if err != nil {
		return false, err
	}
	for _, c := range subs {
		more, err := tx.fanOutOne(ctx, &c.sub, c.after, head)
		if err != nil {
			return false, err
		}
		behind = behind || more
	}
	return behind, nil
}

// fanOutOne fans the events after seq out to sub; once none is left its
// cursor moves to head (events of a purged person leave gaps).
func (tx *Tx) fanOutOne(ctx context.Context, sub *lethe.Subscription, after, head int64) (more bool, err error) {
	tenant := string(tx.actor.TenantID)
	type event struct {
		seq           int64
		name, subject string
		created       int64
	}
	events, err := queryAll(ctx, tx, func(r rowScanner) (event, error) {
		var e event
		return e, r.Scan(&e.seq, &e.name, &e.subject, &e.created)
	}, `SELECT seq, type, subject, created_at FROM events WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
		tenant, after, fanOutBatch)
	if err != nil {
		return false, fmt.Errorf("read events to fan out: %w", err)
	}
	dl := tx.rows(`INSERT INTO webhook_deliveries (tenant_id, id, subscription_id, event_seq, subject, state, attempts,
		next_at, created_at) VALUES `, 9)
	for _, e := range events {
		if !sub.Wants(lethe.EventName(e.name)) {
			continue
		}
		if err := dl.add(ctx, tenant, "dlv_"+lethe.NewID(tx.now), sub.ID, e.seq, e.subject, lethe.DeliveryPending, 0,
			ms(tx.now), e.created); err != nil {
			return false, fmt.Errorf("write delivery: %w", err)
		}
	}
	if err := dl.flush(ctx); err != nil {
		return false, fmt.Errorf("write delivery: %w", err)
	}
	last := head
	if len(events) == fanOutBatch {
		last = events[len(events)-1].seq
	}
	if _, err := tx.ExecContext(ctx, `UPDATE webhook_subscriptions SET fanned_seq = $3 WHERE tenant_id = $1 AND id = $2`,
		tenant, sub.ID, last); err != nil {
		return false, fmt.Errorf("move cursor: %w", err)
	}
	return len(events) == fanOutBatch, nil
}

// behindQuery finds whether an enabled subscription of tenant $1 has events
// after its cursor.
const behindQuery = `SELECT COUNT(*) FROM (SELECT 1 FROM webhook_subscriptions WHERE tenant_id = $1 AND enabled
	AND fanned_seq < (` + lastEventSeq + `) LIMIT 1) b`

// catchUp fans out the actor's tenant's events, so that what is listed
// (deliveries, a receipt's propagation) includes every committed event.
func (db *DB) catchUp(ctx context.Context) error {
	actor, err := lethe.ActorFrom(ctx)
	if err != nil {
		return err
	}
	for {
		var n int
		if err := db.read.QueryRowContext(ctx, behindQuery, string(actor.TenantID)).Scan(&n); err != nil || n == 0 {
			return wrapErr("find events to fan out", err)
		}
		if err := db.rawWriteTx(ctx, actor, func(tx *Tx) error {
			_, err := tx.fanOut(ctx)
			return err
		}); err != nil {
			return err
		}
	}
}

// lastEventSeq selects the last event number of tenant $1, NULL before its
// first: the newest event's, or event_heads' when pruning removed newer
// ones (see lockEventSeq).
const lastEventSeq = `SELECT MAX(s) FROM (SELECT h.seq AS s FROM event_heads h WHERE h.tenant_id = $1
	UNION ALL SELECT MAX(e.seq) FROM events e WHERE e.tenant_id = $1) last_seq`

// eventHeadSeq is the tenant's last event number (0 before its first): a
// new or re-enabled subscription's cursor starts there.
func (tx *Tx) eventHeadSeq(ctx context.Context) (int64, error) {
	var seq sql.NullInt64
	err := tx.QueryRowContext(ctx, lastEventSeq, string(tx.actor.TenantID)).Scan(&seq)
	return seq.Int64, wrapErr("read event head", err)
}
