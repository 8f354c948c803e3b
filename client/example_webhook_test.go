package client_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/lethehq/lethe/client"
)

// A delivery as Lethe sent it to a subscription whose secret was set to
// "s3cret-of-acme", checked as a receiver checks it: with the secret in
// either form, and the time it arrived (time.Now() in a real receiver).
func ExampleVerify() {
	body := []byte(`{"dispatchedAt":"2026-12-07T10:00:00.123Z","createdAt":"2026-12-07T09:59:58.000Z","eventType":"user.created","tenantId":"acme","user":{"id":"6571a2f0c3e9b8d4a1f20e37","ref":"EMP042"}}`)
	h := http.Header{}
	h.Set("Webhook-Id", "6571a2f0c3e9b8d4a1f20e38")
	h.Set("Webhook-Timestamp", "1796637600")
	h.Set("Webhook-Signature", "v1,rNGqy4rVYQ0ua9hxKucB8FL8zwFZQ/LDHS7tOaymylY=")
	h.Set("X-Hmac-Signature", "sha256=305d2492638acdb31d659f658d9694c3053866165bc578c77758862f5455cae3")
	arrived := time.Date(2026, 12, 7, 10, 0, 1, 0, time.UTC)

	fmt.Println(client.Verify("s3cret-of-acme", h, body, arrived))
	fmt.Println(client.Verify("whsec_czNjcmV0LW9mLWFjbWU=", h, body, arrived))

	forged := []byte(strings.Replace(string(body), "EMP042", "EMP043", 1))
	fmt.Println(errors.Is(client.Verify("s3cret-of-acme", h, forged, arrived), client.ErrSignature))

	replayed := arrived.Add(time.Hour)
	fmt.Println(errors.Is(client.Verify("s3cret-of-acme", h, body, replayed), client.ErrTimestamp))
	// Output:
	// <nil>
	// <nil>
	// true
	// true
}

// A receiver's handler: it answers 2xx only to a verified delivery, so that
// Lethe retries nothing it should not, and decodes the body only then.
func ExampleVerifyRequest() {
	secret := "whsec_czNjcmV0LW9mLWFjbWU="
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := client.VerifyRequest(secret, r, time.Now())
		switch {
		case errors.Is(err, client.ErrBodyTooLarge):
			http.Error(w, "too large", http.StatusRequestEntityTooLarge)
			return
		case err != nil:
			http.Error(w, "not signed by Lethe", http.StatusUnauthorized)
			return
		}
		_ = body // decode the event, queue it, and answer quickly
		w.WriteHeader(http.StatusNoContent)
	})

	// An unsigned request, as anyone could send it.
	w := httptest.NewRecorder()
	handler.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/lethe-events", strings.NewReader(`{"eventType":"user.created"}`)))
	fmt.Println(w.Code)
	// Output: 401
}
