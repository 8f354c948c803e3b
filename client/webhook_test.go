package client_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lethehq/lethe/client"
	"github.com/lethehq/lethe/internal/webhook"
)

// sampleBody is a delivery's body as Lethe writes it.
const sampleBody = `{"dispatchedAt":"2026-12-07T10:00:00.123Z","createdAt":"2026-12-07T09:59:58.000Z","eventType":"user.created","tenantId":"acme","user":{"id":"6571a2f0c3e9b8d4a1f20e37","ref":"EMP042","firstName":"Mary"}}`

// sampleSecret is a subscription's secret as the tenant set it.
const sampleSecret = "s3cret-of-acme"

// sampleAt is when the sample was signed.
var sampleAt = time.Date(2026, 12, 7, 10, 0, 0, 123e6, time.UTC)

// signed returns the headers Lethe sends with body, keyed with secret.
func signed(secret string, body string) http.Header {
	h := http.Header{}
	webhook.Sign(h, []byte(secret), "6571a2f0c3e9b8d4a1f20e38", sampleAt, []byte(body))
	return h
}

// whsec is secret in the Standard Webhooks form.
func whsec(secret string) string {
	return "whsec_" + base64.StdEncoding.EncodeToString([]byte(secret))
}

func TestVerify_SignedBySign(t *testing.T) {
	h := signed(sampleSecret, sampleBody)
	if h.Get("X-Hmac-Signature") == "" {
		t.Fatal("the sample carries no X-Hmac-Signature: the vendor check would not run")
	}
	for _, secret := range []string{sampleSecret, whsec(sampleSecret)} {
		for _, now := range []time.Time{sampleAt, sampleAt.Add(client.WebhookTolerance), sampleAt.Add(-client.WebhookTolerance)} {
			if err := client.Verify(secret, h, []byte(sampleBody), now); err != nil {
				t.Errorf("Verify(%q, now %s): %v", secret, now.Sub(sampleAt), err)
			}
		}
	}
}

func TestVerify_Rejects(t *testing.T) {
	body := []byte(sampleBody)
	tampered := []byte(strings.Replace(sampleBody, "EMP042", "EMP043", 1))
	for _, tc := range []struct {
		name   string
		secret string
		edit   func(h http.Header)
		body   []byte
		now    time.Time
		want   error
	}{
		{"tampered body", sampleSecret, nil, tampered, sampleAt, client.ErrSignature},
		{"tampered body, whsec_", whsec(sampleSecret), nil, tampered, sampleAt, client.ErrSignature},
		{"body with a trailing newline", sampleSecret, nil, append(bytes.Clone(body), '\n'), sampleAt, client.ErrSignature},
		{"wrong secret", "s3cret-of-umbrella", nil, body, sampleAt, client.ErrSignature},
		{"wrong whsec_ secret", whsec("s3cret-of-umbrella"), nil, body, sampleAt, client.ErrSignature},
		{"raw secret given base64 without whsec_", base64.StdEncoding.EncodeToString([]byte(sampleSecret)), nil, body, sampleAt, client.ErrSignature},
		{"timestamp too old", sampleSecret, nil, body, sampleAt.Add(client.WebhookTolerance + time.Second), client.ErrTimestamp},
		{"timestamp a day old", whsec(sampleSecret), nil, body, sampleAt.Add(24 * time.Hour), client.ErrTimestamp},
		{"timestamp in the future", sampleSecret, nil, body, sampleAt.Add(-client.WebhookTolerance - time.Second), client.ErrTimestamp},
		{"timestamp changed", sampleSecret, func(h http.Header) { h.Set("Webhook-Timestamp", "1796637601") }, body, sampleAt, client.ErrSignature},
		{"id changed", sampleSecret, func(h http.Header) { h.Set("Webhook-Id", "6571a2f0c3e9b8d4a1f20e39") }, body, sampleAt, client.ErrSignature},
		{"no Webhook-Id", sampleSecret, func(h http.Header) { h.Del("Webhook-Id") }, body, sampleAt, client.ErrMissingHeaders},
		{"no Webhook-Timestamp", sampleSecret, func(h http.Header) { h.Del("Webhook-Timestamp") }, body, sampleAt, client.ErrMissingHeaders},
		{"no Webhook-Signature", sampleSecret, func(h http.Header) { h.Del("Webhook-Signature") }, body, sampleAt, client.ErrMissingHeaders},
		{"blank Webhook-Signature", sampleSecret, func(h http.Header) { h.Set("Webhook-Signature", " ") }, body, sampleAt, client.ErrMissingHeaders},
		{"no headers at all", sampleSecret, func(h http.Header) { clear(h) }, body, sampleAt, client.ErrMissingHeaders},
		{"signature of another version only", sampleSecret, func(h http.Header) {
			h.Set("Webhook-Signature", "v1a,"+strings.TrimPrefix(h.Get("Webhook-Signature"), "v1,"))
		}, body, sampleAt, client.ErrSignature},
		{"vendor signature wrong", sampleSecret, func(h http.Header) {
			h.Set("X-Hmac-Signature", "sha256="+strings.Repeat("0", 64))
		}, body, sampleAt, client.ErrSignature},
		{"vendor signature malformed", sampleSecret, func(h http.Header) { h.Set("X-Hmac-Signature", "md5=abc") }, body, sampleAt, client.ErrSignature},
		{"vendor signature of another body", sampleSecret, func(h http.Header) {
			h.Set("X-Hmac-Signature", signed(sampleSecret, string(tampered)).Get("X-Hmac-Signature"))
		}, body, sampleAt, client.ErrSignature},
		{"empty secret", "", nil, body, sampleAt, client.ErrSecret},
		{"whsec_ secret not base64", "whsec_not*base64", nil, body, sampleAt, client.ErrSecret},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := signed(sampleSecret, sampleBody)
			if tc.edit != nil {
				tc.edit(h)
			}
			err := client.Verify(tc.secret, h, tc.body, tc.now)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify: %v, want %v", err, tc.want)
			}
			if strings.Contains(err.Error(), "EMP04") || strings.Contains(err.Error(), "s3cret") {
				t.Errorf("the error %q shows the body or the secret", err)
			}
		})
	}
}

// A timestamp that is validly signed but unusable is a timestamp error,
// however far off it is.
func TestVerify_SignedButOddTimestamp(t *testing.T) {
	for _, ts := range []string{"soon", "1796637600.5", "-9223372036854775808", "9223372036854775807", "99999999999999999999"} {
		m := hmac.New(sha256.New, []byte(sampleSecret))
		m.Write([]byte("msg_1." + ts + "." + sampleBody))
		h := http.Header{}
		h.Set("Webhook-Id", "msg_1")
		h.Set("Webhook-Timestamp", ts)
		h.Set("Webhook-Signature", "v1,"+base64.StdEncoding.EncodeToString(m.Sum(nil)))
		if err := client.Verify(sampleSecret, h, []byte(sampleBody), sampleAt); !errors.Is(err, client.ErrTimestamp) {
			t.Errorf("Verify with timestamp %q: %v, want ErrTimestamp", ts, err)
		}
	}
}

// Several signatures may be sent, e.g. while a secret is rotated: one
// matching v1 signature is enough, wherever it stands.
func TestVerify_OneOfSeveralSignatures(t *testing.T) {
	h := signed(sampleSecret, sampleBody)
	good := h.Get("Webhook-Signature")
	other := signed("the-old-secret", sampleBody).Get("Webhook-Signature")
	for _, sigs := range [][]string{
		{other + " " + good},
		{good + " " + other},
		{"v1a,c29tZXRoaW5n v1,!!notbase64 " + good},
		{other, good}, // two header lines
	} {
		h := h.Clone()
		h["Webhook-Signature"] = sigs
		if err := client.Verify(sampleSecret, h, []byte(sampleBody), sampleAt); err != nil {
			t.Errorf("Verify with signatures %q: %v", sigs, err)
		}
	}
	h["Webhook-Signature"] = []string{other + " v1a," + strings.TrimPrefix(good, "v1,")}
	if err := client.Verify(sampleSecret, h, []byte(sampleBody), sampleAt); !errors.Is(err, client.ErrSignature) {
		t.Errorf("Verify with no matching v1 signature: %v, want ErrSignature", err)
	}
}

// Without X-Hmac-Signature only the Standard Webhooks signature is checked,
// as for a receiver behind a proxy that drops the vendor's header.
func TestVerify_WithoutVendorHeader(t *testing.T) {
	h := signed(sampleSecret, sampleBody)
	h.Del("X-Hmac-Signature")
	if err := client.Verify(sampleSecret, h, []byte(sampleBody), sampleAt); err != nil {
		t.Fatalf("Verify without X-Hmac-Signature: %v", err)
	}
}

// A subscription without a secret still gets the Standard Webhooks headers,
// keyed with an empty key, and no X-Hmac-Signature. An empty key
// authenticates nothing (anyone can compute it), so Verify refuses to vouch
// for such a delivery, as the Standard Webhooks libraries refuse an empty
// secret.
func TestVerify_EmptySecret(t *testing.T) {
	h := signed("", sampleBody)
	for _, name := range []string{"Webhook-Id", "Webhook-Timestamp", "Webhook-Signature"} {
		if h.Get(name) == "" {
			t.Errorf("no %s without a secret", name)
		}
	}
	if _, ok := h["X-Hmac-Signature"]; ok {
		t.Errorf("X-Hmac-Signature %q without a secret", h.Get("X-Hmac-Signature"))
	}
	for _, secret := range []string{"", "whsec_"} {
		if err := client.Verify(secret, h, []byte(sampleBody), sampleAt); !errors.Is(err, client.ErrSecret) {
			t.Errorf("Verify(%q): %v, want ErrSecret", secret, err)
		}
	}
	// A receiver that holds a secret rejects such a delivery as unsigned.
	if err := client.Verify(sampleSecret, h, []byte(sampleBody), sampleAt); !errors.Is(err, client.ErrSignature) {
		t.Errorf("Verify with a secret, of a delivery keyed with none: %v, want ErrSignature", err)
	}
}

// verifyingReceiver is a receiver on loopback that verifies each delivery
// with VerifyRequest and hands back what it got.
func verifyingReceiver(t *testing.T, secret string, now time.Time) (url string, got chan result) {
	t.Helper()
	got = make(chan result, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := client.VerifyRequest(secret, r, now)
		got <- result{body, err}
	}))
	t.Cleanup(srv.Close)
	return srv.URL, got
}

// result is what VerifyRequest returned to the receiver.
type result struct {
	body []byte
	err  error
}

// deliver POSTs body with h to url, as Lethe's engine does.
func deliver(t *testing.T, url string, h http.Header, body []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h.Clone()
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
}

func TestVerifyRequest(t *testing.T) {
	url, got := verifyingReceiver(t, whsec(sampleSecret), sampleAt.Add(time.Minute))

	deliver(t, url, signed(sampleSecret, sampleBody), []byte(sampleBody))
	if r := <-got; r.err != nil || string(r.body) != sampleBody {
		t.Errorf("VerifyRequest of a signed delivery: %q, %v", r.body, r.err)
	}

	deliver(t, url, signed(sampleSecret, sampleBody), []byte(strings.Replace(sampleBody, "Mary", "Emmy", 1)))
	if r := <-got; !errors.Is(r.err, client.ErrSignature) || r.body != nil {
		t.Errorf("VerifyRequest of a tampered delivery: %q, %v; want no body and ErrSignature", r.body, r.err)
	}

	big := `{"eventType":"user.created","pad":"` + strings.Repeat("x", client.MaxWebhookBody) + `"}`
	deliver(t, url, signed(sampleSecret, big), []byte(big))
	if r := <-got; !errors.Is(r.err, client.ErrBodyTooLarge) || r.body != nil {
		t.Errorf("VerifyRequest of %d bytes: %d bytes, %v; want ErrBodyTooLarge", len(big), len(r.body), r.err)
	}

	exact := `{"pad":"` + strings.Repeat("x", client.MaxWebhookBody-len(`{"pad":""}`)) + `"}`
	deliver(t, url, signed(sampleSecret, exact), []byte(exact))
	if r := <-got; r.err != nil || len(r.body) != client.MaxWebhookBody {
		t.Errorf("VerifyRequest of exactly MaxWebhookBody bytes: %d bytes, %v", len(r.body), r.err)
	}
}
