package sqldb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/lethehq/lethe"
)

// WebhookService implements lethe.SubscriptionService: a tenant's
// subscriptions, their deliveries and attempts.
type WebhookService struct {
	db *DB
}

// NewWebhookService returns the webhook service of db.
func NewWebhookService(db *DB) *WebhookService { return &WebhookService{db: db} }

var _ lethe.SubscriptionService = (*WebhookService)(nil)

var errSubscriptionNotFound = lethe.Errorf(lethe.ENotFound, "Subscription not found.")

// sealSecret encrypts a subscription's secret under a key derived from the
// server secret, bound to its tenant and subscription; nil for none.
func (db *DB) sealSecret(tenant, id, secret string) ([]byte, error) {
	if secret == "" {
		return nil, nil
	}
	aead, err := newAEAD(db.keyedHash("webhook-secret"))
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return aead.Seal(nonce, nonce, []byte(secret), sealAAD(tenant, "webhook_subscriptions", id)), nil
}

// openSecret decrypts what sealSecret made.
func (db *DB) openSecret(tenant, id string, sealed []byte) ([]byte, error) {
	if len(sealed) == 0 {
		return nil, nil
	}
	aead, err := newAEAD(db.keyedHash("webhook-secret"))
	if err != nil {
		return nil, err
	}
	n := aead.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("open webhook secret: value too short")
	}
	return aead.Open(nil, sealed[:n], sealed[n:], sealAAD(tenant, "webhook_subscriptions", id))
}

// joinTypes is the types column: each type once, in the order given.
func joinTypes(ts []lethe.SubscriptionType) string {
	out := make([]string, 0, len(ts))
	for _, t := range ts {
		if !slices.Contains(out, string(t)) {
			out = append(out, string(t))
		}
	}
	return strings.Join(out, ",")
}

// CreateSubscription implements lethe.SubscriptionService.
func (s *WebhookService) CreateSubscription(ctx context.Context, url string, types []lethe.SubscriptionType, secret string,
	enabled bool) (sub *lethe.Subscription, err error) {
	url = strings.TrimSpace(url)
	if err := lethe.ValidateSubscription(url, types, secret, s.db.AllowPrivateWebhooks); err != nil {
		return nil, err
	}
	err = s.db.writeTx(ctx, func(tx *Tx) error {
		tenant := string(tx.actor.TenantID)
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM webhook_subscriptions WHERE tenant_id = $1`, tenant).Scan(&n); err != nil {
			return fmt.Errorf("count subscriptions: %w", err)
		}
		if n >= lethe.MaxSubscriptions {
			return lethe.Errorf(lethe.EConflict, "The tenant has %d subscriptions, the most it may have.", n)
		}
		sub = &lethe.Subscription{ID: "sub_" + lethe.NewID(tx.now), URL: url, Types: subscriptionTypes(joinTypes(types)),
			Enabled: enabled, HasSecret: secret != "", CreatedAt: tx.now, UpdatedAt: tx.now}
		sealed, err := s.db.sealSecret(tenant, sub.ID, secret)
		if err != nil {
			return err
		}
		head, err := tx.eventHeadSeq(ctx) // it takes the events from now on
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_subscriptions (tenant_id, id, url, types, secret, enabled,
			fanned_seq, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`, tenant, sub.ID, url, joinTypes(types),
			sealed, enabled, head, ms(tx.now)); err != nil {
			return fmt.Errorf("insert subscription: %w", err)
		}
		return tx.appendTrail(ctx, "webhook_subscription.created", "", map[string]any{"subscriptionId": sub.ID})
	})
	return sub, err
}

const subscriptionColumns = `id, url, types, secret IS NOT NULL, enabled, disabled_reason, failing_since, created_at, updated_at`

func scanSubscription(r rowScanner) (*lethe.Subscription, error) {
	var s lethe.Subscription
	var types string
	var reason sql.NullString
	var failing sql.NullInt64
	var created, updated int64
	if err := r.Scan(&s.ID, &s.URL, &types, &s.HasSecret, &s.Enabled, &reason, &failing, &created, &updated); err != nil {
		return nil, err
	}
	s.Types, s.DisabledReason, s.FailingSince = subscriptionTypes(types), reason.String, timePtr(failing)
	s.CreatedAt, s.UpdatedAt = fromMS(created), fromMS(updated)
	return &s, nil
}

// ListSubscriptions implements lethe.SubscriptionService.
func (s *WebhookService) ListSubscriptions(ctx context.Context) (out []*lethe.Subscription, err error) {
	err = s.db.readTx(ctx, func(tx *Tx) error {
		out, err = queryAll(ctx, tx, scanSubscription, `SELECT `+subscriptionColumns+` FROM webhook_subscriptions
			WHERE tenant_id = $1 ORDER BY created_at, id`, string(tx.actor.TenantID))
		return err
	})
	if out == nil && err == nil {
		out = []*lethe.Subscription{}
	}
	return out, err
}

func (tx *Tx) findSubscription(ctx context.Context, id string) (*lethe.Subscription, error) {
	if !validKey(id) {
		return nil, errSubscriptionNotFound
	}
	sub, err := scanSubscription(tx.QueryRowContext(ctx, `SELECT `+subscriptionColumns+` FROM webhook_subscriptions
		WHERE tenant_id = $1 AND id = $2`+tx.lockIfWrite(), string(tx.actor.TenantID), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errSubscriptionNotFound
	}
	return sub, err
}

// lockIfWrite is the dialect's row lock in a write transaction.
func (tx *Tx) lockIfWrite() string {
	if tx.write {
		return tx.db.dialect.lockRow
	}
	return ""
}

// FindSubscription implements lethe.SubscriptionService.
func (s *WebhookService) FindSubscription(ctx context.Context, id string) (sub *lethe.Subscription, err error) {
	err = s.db.readTx(ctx, func(tx *Tx) error {
		sub, err = tx.findSubscription(ctx, id)
		return err
	})
	return sub, err
}

// UpdateSubscription implements lethe.SubscriptionService. Enabling a
// subscription clears the reason Lethe disabled it; deliveries given up
// while it was disabled stay failed (Redeliver sends them again).
func (s *WebhookService) UpdateSubscription(ctx context.Context, id string, e lethe.SubscriptionEdit) (sub *lethe.Subscription, err error) {
	err = s.db.writeTx(ctx, func(tx *Tx) error {
		if sub, err = tx.findSubscription(ctx, id); err != nil {
			return err
		}
		tenant := string(tx.actor.TenantID)
		if e.URL != nil {
			sub.URL = strings.TrimSpace(*e.URL)
		}
		if e.Types != nil {
			sub.Types = e.Types
		}
		secret := ""
		if e.Secret != nil {
			secret = *e.Secret
		}
		if err := lethe.ValidateSubscription(sub.URL, sub.Types, secret, s.db.AllowPrivateWebhooks); err != nil {
			return err
		}
		sub.Types = subscriptionTypes(joinTypes(sub.Types))
		if e.Enabled != nil && *e.Enabled != sub.Enabled {
			sub.Enabled, sub.DisabledReason, sub.FailingSince = *e.Enabled, "", nil
			if err := tx.toggleSubscription(ctx, sub); err != nil {
				return err
			}
		}
		sub.UpdatedAt = tx.now
		if _, err := tx.ExecContext(ctx, `UPDATE webhook_subscriptions SET url = $3, types = $4, enabled = $5,
			disabled_reason = $6, failing_since = $7, updated_at = $8 WHERE tenant_id = $1 AND id = $2`, tenant, sub.ID,
			sub.URL, joinTypes(sub.Types), sub.Enabled, nullStr(sub.DisabledReason), nullMS(sub.FailingSince), ms(tx.now)); err != nil {
			return fmt.Errorf("update subscription: %w", err)
		}
		if e.Secret != nil {
			sealed, err := s.db.sealSecret(tenant, sub.ID, secret)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE webhook_subscriptions SET secret = $3 WHERE tenant_id = $1 AND id = $2`,
				tenant, sub.ID, sealed); err != nil {
				return fmt.Errorf("update subscription secret: %w", err)
			}
			sub.HasSecret = secret != ""
		}
		return tx.appendTrail(ctx, "webhook_subscription.updated", "", map[string]any{"subscriptionId": sub.ID})
	})
	return sub, err
}

// toggleSubscription: a subscription disabled gives up its pending
// deliveries; one enabled takes the events from now on.
func (tx *Tx) toggleSubscription(ctx context.Context, sub *lethe.Subscription) error {
	if !sub.Enabled {
		return tx.abandonDeliveries(ctx, sub.ID, "subscription disabled")
	}
	head, err := tx.eventHeadSeq(ctx)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE webhook_subscriptions SET fanned_seq = $3 WHERE tenant_id = $1 AND id = $2`,
		string(tx.actor.TenantID), sub.ID, head)
	return wrapErr("move cursor", err)
}

// abandonDeliveries fails the pending deliveries of a subscription being
// disabled, with reason as their last error.
func (tx *Tx) abandonDeliveries(ctx context.Context, sub, reason string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET state = 'failed', next_at = NULL, lease_owner = NULL,
		last_error = $3 WHERE tenant_id = $1 AND subscription_id = $2 AND state = 'pending'`,
		string(tx.actor.TenantID), sub, reason); err != nil {
		return fmt.Errorf("abandon deliveries: %w", err)
	}
	return nil
}

// DeleteSubscription implements lethe.SubscriptionService. Its deliveries
// and attempts go with it, except the user.deleted deliveries, which
// erasure receipts show.
func (s *WebhookService) DeleteSubscription(ctx context.Context, id string) error {
	return s.db.writeTx(ctx, func(tx *Tx) error {
		if _, err := tx.findSubscription(ctx, id); err != nil {
			return err
		}
		tenant := string(tx.actor.TenantID)
		if err := tx.abandonDeliveries(ctx, id, "subscription deleted"); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM webhook_attempts WHERE tenant_id = $1 AND delivery_id IN
			(SELECT d.id FROM webhook_deliveries d JOIN events e ON e.tenant_id = d.tenant_id AND e.seq = d.event_seq
			 WHERE d.tenant_id = $1 AND d.subscription_id = $2 AND e.type <> 'user.deleted')`, tenant, id); err != nil {
			return fmt.Errorf("delete attempts: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM webhook_deliveries WHERE tenant_id = $1 AND subscription_id = $2
			AND event_seq NOT IN (SELECT seq FROM events WHERE tenant_id = $1 AND type = 'user.deleted')`, tenant, id); err != nil {
			return fmt.Errorf("delete deliveries: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM webhook_subscriptions WHERE tenant_id = $1 AND id = $2`, tenant, id); err != nil {
			return fmt.Errorf("delete subscription: %w", err)
		}
		return tx.appendTrail(ctx, "webhook_subscription.deleted", "", map[string]any{"subscriptionId": id})
	})
}
