package sqldb

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/lethehq/lethe"
)

// The outbox. A write transaction collects the events of its changes in
// memory (emit), those a subscription takes; flushEvents writes them just
// before the commit, so a change and its
// events commit or roll back together. A bulk item rolled back to its
// savepoint drops the events it collected. An event no subscription takes
// is not written: it would only keep personal data for no one.

// pendingEvent is an event collected by a transaction. Its id is given
// when it is written (eventID).
type pendingEvent struct {
	id      string
	name    lethe.EventName
	subject string
	payload []byte // the body, without dispatchedAt; nil once its subject is erased
	ids     []byte // the body with ids only
}

// eventTime is the vendor's timestamp format in payloads.
const eventTime = "2006-01-02T15:04:05.000Z"

// emit collects an event about subject. resource is the payload's key for
// the resource ("user", "completion", ...); full is the resource as the
// vendor shows it, ids the same with ids only (what is sent once subject
// is erased).
func (tx *Tx) emit(ctx context.Context, name lethe.EventName, subject, resource string, full, ids any) error {
	subs, err := tx.subscriptions(ctx)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(subs, func(s *lethe.Subscription) bool { return s.Wants(name) }) {
		return nil // no one takes it: not even built
	}
	head := map[string]any{"eventType": name, "tenantId": tx.actor.TenantID, "createdAt": tx.now.Format(eventTime)}
	body := func(r any) ([]byte, error) {
		head[resource] = r
		return json.Marshal(head)
	}
	p, err := body(full)
	if err != nil {
		return err
	}
	i, err := body(ids)
	if err != nil {
		return err
	}
	tx.events = append(tx.events, pendingEvent{name: name, subject: subject, payload: p, ids: i})
	return nil
}

// userJSON is a user in an event: the vendor's user resource.
type userJSON struct {
	ID        string  `json:"id"`
	Reference *string `json:"reference"`
	FirstName *string `json:"firstName"`
	LastName  *string `json:"lastName"`
	Email     *string `json:"email"`
	Status    string  `json:"status"`
	Role      string  `json:"role"`
}

// emitUser collects a user event about u as it now is.
func (tx *Tx) emitUser(ctx context.Context, name lethe.EventName, u *lethe.User) error {
	ids := userJSON{ID: string(u.ID), Status: string(u.State), Role: string(u.Role)}
	full := ids
	if p := u.Person; p != nil && name != lethe.UserDeletedEvent && name != lethe.UserAnonymizedEvent && name != lethe.UserPurgedEvent {
		full.Reference, full.FirstName, full.LastName = &p.Ref, &p.FirstName, &p.LastName
		if p.Email != "" {
			full.Email = &p.Email
		}
	}
	return tx.emit(ctx, name, string(u.ID), "user", full, ids)
}

// transitionEvents are the events of the status history's reasons.
var transitionEvents = map[string]lethe.EventName{
	lethe.ReasonCreated:          lethe.UserCreatedEvent,
	lethe.ReasonReactivated:      lethe.UserActivatedEvent,
	lethe.ReasonSuspended:        lethe.UserDeactivatedEvent,
	lethe.ReasonErasureScheduled: lethe.UserDeactivatedEvent,
	lethe.ReasonErased:           lethe.UserDeletedEvent,
	lethe.ReasonAnonymized:       lethe.UserAnonymizedEvent,
}

// eventMark is where a bulk item's events start; dropEvents forgets those
// collected since (the item was rolled back to its savepoint, which took
// back the rows of those already written).
func (tx *Tx) eventMark() int { return len(tx.events) }
func (tx *Tx) dropEvents(mark int) {
	tx.events = tx.events[:mark]
	tx.eventsWritten = min(tx.eventsWritten, mark)
}

// scrubPendingEvents keeps only the ids of the events this transaction
// collected about subject, who is being erased: the outbox rows written
// before were cleared through the registry (events.payload).
func (tx *Tx) scrubPendingEvents(subject string) {
	for i := tx.eventsWritten; i < len(tx.events); i++ {
		if tx.events[i].subject == subject {
			tx.events[i].payload = nil
		}
	}
}

// subscriptionTypes reads the types column.
func subscriptionTypes(s string) []lethe.SubscriptionType {
	var out []lethe.SubscriptionType
	for _, t := range strings.Split(s, ",") {
		if t != "" {
			out = append(out, lethe.SubscriptionType(t))
		}
	}
	return out
}

// flushEvents writes the events collected since the last flush, numbered
// after the tenant's last. The numbers follow commit order (the delivery
// engine's cursors rely on it): SQLite writes one transaction at a time,
// and on PostgreSQL the tenant's event_heads row is locked until the
// commit. Deliveries are not written here: the engine fans events out to
// subscriptions (fanOut), which keeps a change's own write small.
func (tx *Tx) flushEvents(ctx context.Context) error {
	events := tx.events[tx.eventsWritten:]
	if len(events) == 0 {
		return nil
	}
	tenant := string(tx.actor.TenantID)
	seq, err := tx.lockEventSeq(ctx, tenant)
	if err != nil {
		return err
	}
	ev := tx.rows(`INSERT INTO events (tenant_id, seq, id, type, subject, created_at, payload, ids) VALUES `, 8)
	for i := range events {
		e := &events[i]
		seq++
		e.id = eventID(seq)
		var payload any // NULL when it holds no more than the ids
		if e.payload != nil && !bytes.Equal(e.payload, e.ids) {
			payload = string(e.payload)
		}
		if err := ev.add(ctx, tenant, seq, e.id, string(e.name), e.subject, ms(tx.now), payload, string(e.ids)); err != nil {
			return fmt.Errorf("write event: %w", err)
		}
		e.payload, e.ids = nil, nil // written: only the id and subject are used from here on
	}
	if err := ev.flush(ctx); err != nil {
		return fmt.Errorf("write event: %w", err)
	}
	tx.eventsWritten = len(tx.events)
	tx.emitted += len(events)
	return nil
}

// lockEventSeq returns the tenant's last event number, holding its
// event_heads row (made at the tenant's first event) until the commit.
// The row itself is written only when events are pruned (pruneEvents):
// the last number is that of the newest event, or the row's when no event
// is newer.
func (tx *Tx) lockEventSeq(ctx context.Context, tenant string) (int64, error) {
	var floor int64
	err := tx.QueryRowContext(ctx, `SELECT seq FROM event_heads WHERE tenant_id = $1`+tx.db.dialect.lockRow, tenant).Scan(&floor)
	if errors.Is(err, sql.ErrNoRows) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO event_heads (tenant_id, seq) VALUES ($1, 0) ON CONFLICT (tenant_id) DO NOTHING`,
			tenant); err != nil {
			return 0, fmt.Errorf("event head: %w", err)
		}
		err = tx.QueryRowContext(ctx, `SELECT seq FROM event_heads WHERE tenant_id = $1`+tx.db.dialect.lockRow, tenant).Scan(&floor)
	}
	if err != nil {
		return 0, fmt.Errorf("event head: %w", err)
	}
	var newest sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT MAX(seq) FROM events WHERE tenant_id = $1`, tenant).Scan(&newest); err != nil {
		return 0, fmt.Errorf("event head: %w", err)
	}
	return max(floor, newest.Int64), nil
}

// eventID is the id of the tenant's event number seq: "evt_", the number
// in 12 hex digits and 12 random ones. Receivers deduplicate on it; the
// number finds the event without an index of its own (eventSeq).
func eventID(seq int64) string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("lethe: crypto/rand failed: " + err.Error())
	}
	return fmt.Sprintf("evt_%012x%x", seq, b)
}

// legacyEventSeq is where eventID's numbers end: the ids of events
// written before schema version 21 began with a millisecond time, above it.
const legacyEventSeq = 1 << 40

// eventSeq is the number an event id names; 0 for the id of an event
// written before schema version 21, which is found by its id alone. ok is
// false when id cannot be an event's.
func eventSeq(id string) (seq int64, ok bool) {
	hexID, found := strings.CutPrefix(id, "evt_")
	if !found || len(hexID) != 24 {
		return 0, false
	}
	if _, err := hex.DecodeString(hexID); err != nil {
		return 0, false
	}
	seq, _ = strconv.ParseInt(hexID[:12], 16, 64)
	if seq >= legacyEventSeq {
		return 0, true
	}
	return seq, seq > 0
}

// wrapErr is err with what failed, or nil.
func wrapErr(what string, err error) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// subscriptions are the tenant's enabled subscriptions, read once per
// transaction: what flushEvents writes deliveries for is what an erasure's
// receipt announced in the same transaction.
func (tx *Tx) subscriptions(ctx context.Context) ([]*lethe.Subscription, error) {
	if tx.subs != nil {
		return *tx.subs, nil
	}
	subs, err := queryAll(ctx, tx, scanSubscription, `SELECT `+subscriptionColumns+` FROM webhook_subscriptions
		WHERE tenant_id = $1 AND enabled ORDER BY id`, string(tx.actor.TenantID))
	if err != nil {
		return nil, fmt.Errorf("read subscriptions: %w", err)
	}
	tx.subs = &subs
	return subs, nil
}

// plannedPropagation is the propagation of the erasure of subject this
// transaction is writing: a pending delivery of its user.deleted (or
// user.anonymized) event to every subscription that takes it.
func (tx *Tx) plannedPropagation(ctx context.Context, subject string) ([]lethe.Propagation, error) {
	subs, err := tx.subscriptions(ctx)
	if err != nil {
		return nil, err
	}
	if err := tx.flushEvents(ctx); err != nil { // the events get their ids
		return nil, err
	}
	var out []lethe.Propagation
	for _, e := range tx.events {
		if e.subject != subject || (e.name != lethe.UserDeletedEvent && e.name != lethe.UserAnonymizedEvent) {
			continue
		}
		for _, s := range subs {
			if s.Wants(e.name) {
				out = append(out, lethe.Propagation{SubscriptionID: s.ID, Receiver: receiverHost(s.URL), EventID: e.id,
					State: lethe.DeliveryPending})
			}
		}
	}
	return out, nil
}
