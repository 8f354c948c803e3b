package lethe

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Outbound events. A change writes its events to an outbox in its own
// transaction; a subscription of the tenant whose types include an event's
// type gets a delivery of it: an HTTP POST of the vendor's payload, signed,
// retried with backoff until the receiver answers 2xx (docs/webhooks.md).

// EventName is an event's eventType.
type EventName string

// Event names: the vendor's, and Lethe's additions (user.deleted,
// user.anonymized, user.purged) in the type of their resource.
const (
	UserCreatedEvent         EventName = "user.created"
	UserActivatedEvent       EventName = "user.activated"
	UserDeactivatedEvent     EventName = "user.deactivated"
	UserUpdatedEvent         EventName = "user.updated"
	UserDeletedEvent         EventName = "user.deleted"
	UserAnonymizedEvent      EventName = "user.anonymized"
	UserPurgedEvent          EventName = "user.purged"
	ContentCompletedEvent    EventName = "content.completed"
	ContentPassedEvent       EventName = "content.passed"
	AssignmentCreatedEvent   EventName = "assignment.created"
	AssignmentUpdatedEvent   EventName = "assignment.updated"
	AssignmentDeletedEvent   EventName = "assignment.deleted"
	EnrolmentCreatedEvent    EventName = "enrolment.created"
	EnrolmentCompletedEvent  EventName = "enrolment.completed"
	ContentCreatedEvent      EventName = "content.created"
	ContentUpdatedEvent      EventName = "content.updated"
	ContentArchivedEvent     EventName = "content.archived"
	NotificationCreatedEvent EventName = "notification.created"
)

// SubscriptionType is the vendor's grouping of events a subscription asks
// for.
type SubscriptionType string

// The vendor's subscription types.
const (
	UserSubscription         SubscriptionType = "user_subscription"
	CompletionSubscription   SubscriptionType = "completion_subscription"
	AssignmentSubscription   SubscriptionType = "assignment_subscription"
	ContentSubscription      SubscriptionType = "content_subscription"
	NotificationSubscription SubscriptionType = "notification_subscription"
)

// SubscriptionTypes lists every type, in the vendor's order.
var SubscriptionTypes = []SubscriptionType{UserSubscription, CompletionSubscription, AssignmentSubscription,
	ContentSubscription, NotificationSubscription}

// TypeOf is the subscription type an event belongs to: that of its
// resource. content.completed and content.passed are completions, not
// content changes.
func TypeOf(e EventName) SubscriptionType {
	switch {
	case e == ContentCompletedEvent || e == ContentPassedEvent:
		return CompletionSubscription
	case strings.HasPrefix(string(e), "user."):
		return UserSubscription
	case strings.HasPrefix(string(e), "assignment."), strings.HasPrefix(string(e), "enrolment."):
		return AssignmentSubscription
	case strings.HasPrefix(string(e), "content."):
		return ContentSubscription
	}
	return NotificationSubscription
}

// Subscription is a tenant's webhook endpoint. Its secret is never shown
// again after it is set; HasSecret says whether deliveries are signed with
// one (they always carry the Standard Webhooks headers, keyed with it, or
// with an empty key when it is unset).
type Subscription struct {
	ID        string
	URL       string
	Types     []SubscriptionType
	Enabled   bool
	HasSecret bool
	// DisabledReason says why Lethe disabled it: DisabledGone or
	// DisabledFailing; "" when enabled or disabled by the tenant.
	DisabledReason string
	// FailingSince is when its deliveries began failing without a success
	// since; nil when the last one succeeded.
	FailingSince *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Reasons Lethe disables a subscription.
const (
	DisabledGone    = "receiver answered 410 Gone"
	DisabledFailing = "deliveries failed for a day"
)

// Wants says whether s takes events named e.
func (s *Subscription) Wants(e EventName) bool {
	return s.Enabled && slices.Contains(s.Types, TypeOf(e))
}

// SubscriptionEdit is a change to a subscription; nil fields stay.
type SubscriptionEdit struct {
	URL     *string
	Types   []SubscriptionType // nil: unchanged
	Secret  *string            // "" removes it
	Enabled *bool
}

// Limits of a subscription.
const (
	MaxWebhookURLLength    = 2000
	MaxWebhookSecretLength = 200
	MaxSubscriptions       = 50 // per tenant
)

// ValidateSubscription checks a subscription's URL, types and secret. A URL
// must be https, absolute, without credentials, and not name a private,
// loopback or link-local address literally (the dialer checks again after
// DNS); allowPrivate (serve --webhooks-allow-private) lifts both rules.
func ValidateSubscription(rawURL string, types []SubscriptionType, secret string, allowPrivate bool) error {
	var details []FieldError
	if p := urlProblem(rawURL, allowPrivate); p != "" {
		details = append(details, FieldError{Field: "url", Problem: p})
	}
	if len(types) == 0 {
		details = append(details, FieldError{Field: "types", Problem: "required"})
	}
	for _, t := range types {
		if !slices.Contains(SubscriptionTypes, t) {
			details = append(details, FieldError{Field: "types", Problem: "invalid"})
			break
		}
	}
	switch {
	case len(secret) > MaxWebhookSecretLength:
		details = append(details, FieldError{Field: "secret", Problem: "too_long"})
	case strings.HasPrefix(secret, "whsec_"):
		// Verifiers read such a secret as base64 of the key, Lethe signs
		// with its bytes: no one could verify. Give the raw secret.
		details = append(details, FieldError{Field: "secret", Problem: "invalid"})
	}
	if len(details) == 0 {
		return nil
	}
	return &Error{Code: EInvalid, Message: fmt.Sprintf("The subscription is invalid: %s is %s.", details[0].Field,
		details[0].Problem), Details: details}
}

func urlProblem(raw string, allowPrivate bool) string {
	if raw == "" {
		return "required"
	}
	if len(raw) > MaxWebhookURLLength {
		return "too_long"
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Hostname() == "" || u.User != nil || u.Fragment != "" {
		return "invalid"
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !allowPrivate {
			return "not_https"
		}
	default:
		return "invalid"
	}
	if allowPrivate {
		return ""
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return "private"
	}
	if a, err := netip.ParseAddr(host); err == nil && !PublicAddr(a) {
		return "private"
	}
	return ""
}

// PublicAddr says whether a may be a webhook target without the
// operator's switch: not loopback, private, link-local, unspecified,
// multicast or an IPv4-mapped form of one of these.
func PublicAddr(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsValid() && !a.IsLoopback() && !a.IsPrivate() && !a.IsLinkLocalUnicast() && !a.IsLinkLocalMulticast() &&
		!a.IsUnspecified() && !a.IsMulticast() && !a.IsInterfaceLocalMulticast() &&
		!netip.MustParsePrefix("100.64.0.0/10").Contains(a) // carrier-grade NAT
}

// Delivery states.
const (
	DeliveryPending   = "pending"   // waiting for its (next) attempt, or being attempted
	DeliveryDelivered = "delivered" // the receiver answered 2xx
	DeliveryFailed    = "failed"    // given up: out of attempts, 410, or the subscription was disabled
)

// Delivery is one event's delivery to one subscription.
type Delivery struct {
	ID             string
	EventID        string
	EventType      EventName
	SubscriptionID string
	State          string
	Attempts       int
	NextAt         *time.Time // pending only
	DeliveredAt    *time.Time
	LastStatus     int    // the last attempt's HTTP status; 0 when it got none
	LastError      string // fixed words: "timeout", "connection refused", ...
	CreatedAt      time.Time
}

// DeliveryAttempt is one POST of a delivery.
type DeliveryAttempt struct {
	At        time.Time
	Status    int
	Error     string
	LatencyMS int64
	// Response is the start of the receiver's answer (MaxResponseBytes);
	// erased with the person the event was about.
	Response string
}

// MaxResponseBytes is how much of a receiver's answer an attempt keeps.
const MaxResponseBytes = 1024

// DeliveryQuery selects deliveries: of a subscription, of an event, in a
// state; newest first.
type DeliveryQuery struct {
	SubscriptionID string
	EventID        string
	State          string
	Offset, Limit  int
}

// Propagation is what an erasure receipt says of one subscription that was
// sent the user.deleted event: to which receiver (host only), whether and
// when it acknowledged.
type Propagation struct {
	SubscriptionID string
	Receiver       string
	EventID        string
	State          string
	Attempts       int
	AcknowledgedAt *time.Time
}

// SubscriptionService manages the actor's tenant's subscriptions and
// shows their deliveries.
type SubscriptionService interface {
	CreateSubscription(ctx context.Context, url string, types []SubscriptionType, secret string, enabled bool) (*Subscription, error)
	ListSubscriptions(ctx context.Context) ([]*Subscription, error)
	FindSubscription(ctx context.Context, id string) (*Subscription, error)
	UpdateSubscription(ctx context.Context, id string, e SubscriptionEdit) (*Subscription, error)
	DeleteSubscription(ctx context.Context, id string) error
	FindDeliveries(ctx context.Context, q DeliveryQuery) ([]*Delivery, int, error)
	FindAttempts(ctx context.Context, deliveryID string) ([]*DeliveryAttempt, error)
	// Redeliver queues a new attempt of every delivery of the event (of
	// one subscription when subscriptionID is set), whatever its state.
	Redeliver(ctx context.Context, eventID, subscriptionID string) (int, error)
}

// The retry schedule: the delay before attempt n+1 after n failed ones.
// Eight attempts over about 24 hours, then the delivery fails.
var retryDelays = []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour,
	5 * time.Hour, 8 * time.Hour, 8 * time.Hour}

// MaxAttempts is how many times a delivery is attempted.
var MaxAttempts = len(retryDelays) + 1

// MaxRetryAfter bounds how long a receiver's Retry-After may push an
// attempt back.
const MaxRetryAfter = time.Hour

// RetryDelay is how long to wait after the attempts-th failed attempt, with
// up to 20% jitter, or retryAfter (capped at MaxRetryAfter) when the
// receiver asked for longer. ok is false when no attempt is left.
func RetryDelay(attempts int, retryAfter time.Duration) (d time.Duration, ok bool) {
	if attempts < 1 || attempts > len(retryDelays) {
		return 0, false
	}
	d = retryDelays[attempts-1]
	d += time.Duration(rand.Int64N(int64(d)/5 + 1))
	return max(d, min(retryAfter, MaxRetryAfter)), true
}

// FailingLimit is how long a subscription may fail without a success
// before Lethe disables it.
const FailingLimit = 24 * time.Hour

// DueDelivery is a delivery a process has leased: what to POST where.
type DueDelivery struct {
	TenantID       TenantID
	ID             string
	EventID        string
	SubscriptionID string
	URL            string
	Secret         []byte
	// Payload is the body without dispatchedAt: the event as written, or
	// its ids only once the person it is about was erased.
	Payload   []byte
	Attempts  int // attempts made before this one
	CreatedAt time.Time
}

// DeliveryResult is the outcome of one attempt of a leased delivery.
type DeliveryResult struct {
	TenantID   TenantID
	DeliveryID string
	At         time.Time
	Status     int    // HTTP status; 0 when there was none
	Error      string // fixed words, never the receiver's text
	LatencyMS  int64
	Response   string // the start of the receiver's answer
	RetryAfter time.Duration
}

// DeliveryStore is what the delivery engine needs of the store: leased
// claims of due deliveries across tenants (none of the subscriptions in
// skip, which are busy), and their results.
type DeliveryStore interface {
	ClaimDeliveries(ctx context.Context, owner string, limit int, lease time.Duration, skip []string) ([]DueDelivery, error)
	FinishDeliveries(ctx context.Context, results []DeliveryResult) error
}
