package scim_test

import (
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/lethehq/lethe"
)

// BenchmarkUserNameLookup is Entra's and Okta's lookup before create,
// GET /Users?filter=userName eq "x", over HTTP on loopback, with the
// handler's whole cost (token, settings, rendering); it reports the p99.
func BenchmarkUserNameLookup(b *testing.B) {
	h := start(b)
	ctx := h.as(h.tenantA)
	for i := range 2000 {
		f := lethe.UserFields{FirstName: ptr("Kit"), LastName: ptr("Marlowe"), Email: ptr(fmt.Sprintf("u%d@example.org", i))}
		if _, err := h.users.CreateUser(ctx, fmt.Sprintf("user%d", i), f); err != nil {
			b.Fatal(err)
		}
	}
	var took []time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		q := url.QueryEscape(fmt.Sprintf(`userName eq "USER%d"`, i%2000))
		s := time.Now()
		r := h.do(b, h.TokenA, "GET", "/scim/v2/Users?filter="+q, "")
		took = append(took, time.Since(s))
		if r.Status != 200 {
			b.Fatal(r)
		}
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds()), "p99-µs")
}

func ptr[T any](v T) *T { return &v }
