package client

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Errors of Verify and VerifyRequest; test for them with errors.Is. Their
// messages name the header or limit at fault, never the body.
var (
	// ErrSecret: the secret is empty, or "whsec_" followed by something
	// other than base64. An empty key authenticates nothing, so deliveries
	// of a subscription without a secret cannot be verified.
	ErrSecret = errors.New("lethe: webhook secret")
	// ErrMissingHeaders: Webhook-Id, Webhook-Timestamp or
	// Webhook-Signature is absent or empty.
	ErrMissingHeaders = errors.New("lethe: webhook headers missing")
	// ErrSignature: no v1 signature of Webhook-Signature matches, or an
	// X-Hmac-Signature header is present and does not match.
	ErrSignature = errors.New("lethe: webhook signature does not match")
	// ErrTimestamp: the signatures match but Webhook-Timestamp is not unix
	// seconds, or is more than WebhookTolerance from now: a replay, or a
	// clock out of step.
	ErrTimestamp = errors.New("lethe: webhook timestamp")
	// ErrBodyTooLarge: VerifyRequest read more than MaxWebhookBody bytes.
	ErrBodyTooLarge = errors.New("lethe: webhook body too large")
)

// WebhookTolerance is how far Webhook-Timestamp may be from now, either
// way, as in the Standard Webhooks libraries.
const WebhookTolerance = 5 * time.Minute

// MaxWebhookBody is the largest body VerifyRequest reads: 1 MiB.
const MaxWebhookBody = 1 << 20

// whsecPrefix starts a secret given in the Standard Webhooks form.
const whsecPrefix = "whsec_"

// Verify checks that body and its headers h are a delivery Lethe signed
// with secret, at most WebhookTolerance from now. secret is the one set on
// the subscription, either as it was set or in the Standard Webhooks form
// "whsec_" + base64(secret); a secret that itself begins with "whsec_" is
// read as the latter.
//
// The Standard Webhooks signature must match: one of the space-separated
// "v1,<base64>" values of Webhook-Signature, over Webhook-Id "."
// Webhook-Timestamp "." body. When X-Hmac-Signature (the vendor's scheme,
// "sha256=<hex>" over the body) is present, it must match too. Comparisons
// take constant time. body must be the bytes as received, before any
// decoding.
func Verify(secret string, h http.Header, body []byte, now time.Time) error {
	key, err := webhookKey(secret)
	if err != nil {
		return err
	}
	id, ts, sigs := h.Get("Webhook-Id"), h.Get("Webhook-Timestamp"), strings.Join(h.Values("Webhook-Signature"), " ")
	if id == "" || ts == "" || strings.TrimSpace(sigs) == "" {
		return fmt.Errorf("%w: Webhook-Id, Webhook-Timestamp and Webhook-Signature are required", ErrMissingHeaders)
	}
	if !standardMatch(key, id, ts, sigs, body) {
		return fmt.Errorf("%w: Webhook-Signature", ErrSignature)
	}
	for _, v := range h.Values("X-Hmac-Signature") {
		if !vendorMatch(key, v, body) {
			return fmt.Errorf("%w: X-Hmac-Signature", ErrSignature)
		}
	}
	return checkTimestamp(ts, now)
}

// VerifyRequest reads the body of r, at most MaxWebhookBody bytes, and
// verifies it with Verify. It returns the body only when it verifies.
func VerifyRequest(secret string, r *http.Request, now time.Time) ([]byte, error) {
	if r.Body == nil {
		return nil, Verify(secret, r.Header, nil, now)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxWebhookBody+1))
	if err != nil {
		return nil, fmt.Errorf("lethe: reading webhook body: %w", err)
	}
	if len(body) > MaxWebhookBody {
		return nil, fmt.Errorf("%w: over %d bytes", ErrBodyTooLarge, MaxWebhookBody)
	}
	if err := Verify(secret, r.Header, body, now); err != nil {
		return nil, err
	}
	return body, nil
}

// webhookKey is the HMAC key of secret: the bytes of a raw secret, or the
// decoded base64 of a whsec_ one.
func webhookKey(secret string) ([]byte, error) {
	key := []byte(secret)
	if s, ok := strings.CutPrefix(secret, whsecPrefix); ok {
		var err error
		if key, err = base64.StdEncoding.DecodeString(s); err != nil {
			return nil, fmt.Errorf("%w: the whsec_ form is not valid base64", ErrSecret)
		}
	}
	if len(key) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrSecret)
	}
	return key, nil
}

// standardMatch says whether one of the "v1," signatures of sigs is the
// HMAC-SHA256 of id "." ts "." body under key. Other versions are skipped.
func standardMatch(key []byte, id, ts, sigs string, body []byte) bool {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + ts + "."))
	m.Write(body)
	want := m.Sum(nil)
	ok := false
	for _, s := range strings.Fields(sigs) {
		b64, isV1 := strings.CutPrefix(s, "v1,")
		if !isV1 {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err == nil && hmac.Equal(got, want) {
			ok = true
		}
	}
	return ok
}

// vendorMatch says whether v is "sha256=" and the hex HMAC-SHA256 of body
// under key.
func vendorMatch(key []byte, v string, body []byte) bool {
	hexSig, ok := strings.CutPrefix(strings.TrimSpace(v), "sha256=")
	if !ok {
		return false
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return false
	}
	m := hmac.New(sha256.New, key)
	m.Write(body)
	return hmac.Equal(got, m.Sum(nil))
}

// checkTimestamp checks that ts, unix seconds, is within WebhookTolerance
// of now.
func checkTimestamp(ts string, now time.Time) error {
	const tolerance = int64(WebhookTolerance / time.Second)
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: Webhook-Timestamp is not unix seconds", ErrTimestamp)
	}
	// In whole seconds, as the Standard Webhooks libraries count; bounds
	// rather than a difference, which could overflow.
	if n := now.Unix(); sec < n-tolerance || sec > n+tolerance {
		return fmt.Errorf("%w: Webhook-Timestamp is more than %s away from now", ErrTimestamp, WebhookTolerance)
	}
	return nil
}
