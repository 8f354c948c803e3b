package server_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
)

// bulkWithKey sends a bulk call with an Idempotency-Key.
func (s *testServer) bulkWithKey(t *testing.T, key, body string) *response {
	t.Helper()
	r := s.NewRequest(t, s.A, "POST", "/lethe/v1/users/bulk", body)
	r.Header.Set("Idempotency-Key", key)
	return s.Send(t, r)
}

// TestBulk_IdempotencyConcurrent: twenty calls at once with the same key
// and body act once, and all answer the same kept answer, byte for byte;
// the same key with another body is 409 meanwhile and after.
func TestBulk_IdempotencyConcurrent(t *testing.T) {
	s := MustStartServer(t)
	for _, action := range []string{"suspend", "delete"} {
		t.Run("OK"+strings.ToUpper(action[:1])+action[1:], func(t *testing.T) {
			refs := []string{action + "-c1", action + "-c2", action + "-c3"}
			for _, ref := range refs {
				s.MustCreateUser(t, s.A, ref, map[string]any{"email": ref + "@example.com"})
			}
			body := `{"action":"` + action + `","identifiers":[{"ref":"` + refs[0] + `"},{"email":"` + refs[1] + `@example.com"},{"ref":"` + refs[2] + `"}]}`
			reqs := make([]*http.Request, 20)
			for i := range reqs {
				reqs[i] = s.NewRequest(t, s.A, "POST", "/lethe/v1/users/bulk", body)
				reqs[i].Header.Set("Idempotency-Key", "concurrent-"+action)
			}
			answers := s.SendAll(t, reqs)
			MustStatus(t, answers[0], http.StatusOK)
			// Acted once: a second run would answer unchanged (suspend) or
			// unknown user and already erased (delete).
			MustDiff(t, "outcomes", []string{"done", "done", "done"}, results(t, answers[0].Object(t)))
			for i, res := range answers[1:] {
				if res.Status != answers[0].Status || !bytes.Equal(res.Body, answers[0].Body) {
					t.Errorf("answer %d differs:\n%d %s\nfirst:\n%d %s", i+1, res.Status, res.Body, answers[0].Status, answers[0].Body)
				}
			}
			MustDiff(t, "retry", answers[0].Object(t), s.bulkWithKey(t, "concurrent-"+action, body).Object(t))
			MustError(t, s.bulkWithKey(t, "concurrent-"+action, `{"action":"reactivate","identifiers":[{"ref":"`+refs[0]+`"}]}`),
				http.StatusConflict, "conflict", "Idempotency-Key")
		})
	}
}

// TestBulk_IdempotencyAfterErasure: a kept answer never names a person
// erased since, nor one the call itself erased: such a result carries no
// identifier and no user id; the other results are as first answered.
func TestBulk_IdempotencyAfterErasure(t *testing.T) {
	s := MustStartServer(t)
	gone := MustID(t, s.MustCreateUser(t, s.A, "idem-gone", map[string]any{"email": "Idem.Gone.Q3@example.com"}))
	kept := MustID(t, s.MustCreateUser(t, s.A, "idem-kept", map[string]any{"email": "idem.kept@example.com"}))
	self := MustID(t, s.MustCreateUser(t, s.A, "idem-self", map[string]any{"email": "Idem.Self.Q3@example.com"}))
	body := `{"action":"suspend","identifiers":[{"email":"Idem.Gone.Q3@example.com"},{"ref":"idem-kept"},{"id":"` + gone + `"},{"ref":"nobody"}]}`
	first := s.bulkWithKey(t, "before-erasure", body)
	MustStatus(t, first, http.StatusMultiStatus)
	s.MustOK(t, s.A, http.StatusOK, "DELETE", "/rest/v2/users/ref/idem-gone", "")

	t.Run("OKErasedSince", func(t *testing.T) {
		again := s.bulkWithKey(t, "before-erasure", body)
		MustStatus(t, again, http.StatusMultiStatus)
		MustNotContain(t, again, "Idem.Gone.Q3", gone)
		got := again.Object(t)
		MustDiff(t, "results", []any{
			map[string]any{"userId": nil, "outcome": "done", "reason": nil},
			map[string]any{"identifier": map[string]any{"ref": "idem-kept"}, "userId": kept, "outcome": "done", "reason": nil},
			map[string]any{"userId": nil, "outcome": "skipped", "reason": "duplicate"},
			map[string]any{"identifier": map[string]any{"ref": "nobody"}, "userId": nil, "outcome": "failed", "reason": "unknown user"},
		}, got["results"])
		MustDiff(t, "summary", first.Object(t)["summary"], got["summary"])
	})
	t.Run("OKErasedByTheCall", func(t *testing.T) {
		body := `{"action":"delete","identifiers":[{"email":"Idem.Self.Q3@example.com"}]}`
		res := s.bulkWithKey(t, "erasing-call", body)
		MustStatus(t, res, http.StatusOK)
		MustDiff(t, "first", []any{map[string]any{"userId": nil, "outcome": "done", "reason": nil}}, res.Object(t)["results"])
		again := s.bulkWithKey(t, "erasing-call", body)
		MustNotContain(t, again, "Idem.Self.Q3", self)
		if !bytes.Equal(again.Body, res.Body) {
			t.Errorf("retry = %s, want %s", again.Body, res.Body)
		}
	})
}

// TestBulk_IdempotencyWindow: an answer older than the window is never
// replayed (the call acts anew, and the key may come with another body),
// and PurgeAnswers deletes the expired ones of every tenant.
func TestBulk_IdempotencyWindow(t *testing.T) {
	s := MustStartServer(t)
	id := MustID(t, s.MustCreateUser(t, s.A, "win-1", nil))
	status := func() any { return s.MustGetUser(t, s.A, id)["status"] }
	s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v2/users/ref/win-1/suspend", `{}`)
	body := `{"action":"reactivate","identifiers":[{"ref":"win-1"}]}`
	MustDiff(t, "first", []string{"done"}, results(t, s.bulkWithKey(t, "window", body).Object(t)))
	s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v2/users/ref/win-1/suspend", `{}`)
	s.Clock.Advance(lethe.IdempotencyWindow - time.Minute)
	MustDiff(t, "replayed within the window", []string{"done"}, results(t, s.bulkWithKey(t, "window", body).Object(t)))
	if st := status(); st != "inactive" {
		t.Fatalf("a replay acted: status %v", st)
	}

	s.Clock.Advance(3 * 24 * time.Hour)
	t.Run("OKExpiredActsAnew", func(t *testing.T) {
		MustDiff(t, "anew", []string{"done"}, results(t, s.bulkWithKey(t, "window", body).Object(t)))
		if st := status(); st == "inactive" {
			t.Errorf("after the window, status = %v: the expired answer was replayed", st)
		}
		// Expired, the key is free for another body too.
		s.Clock.Advance(lethe.IdempotencyWindow + time.Minute)
		MustDiff(t, "another body", []string{"done"},
			results(t, s.bulkWithKey(t, "window", `{"action":"suspend","identifiers":[{"ref":"win-1"}]}`).Object(t)))
	})
	t.Run("OKPurged", func(t *testing.T) {
		bulk := sqldb.NewBulkService(s.db)
		ctx := context.Background()
		if n, err := bulk.PurgeAnswers(ctx); err != nil || n != 0 {
			t.Fatalf("purge within the window = %d, %v; want 0", n, err)
		}
		s.bulkWithKey(t, "other", body)
		s.Clock.Advance(lethe.IdempotencyWindow + time.Second)
		if n, err := bulk.PurgeAnswers(ctx); err != nil || n != 2 {
			t.Fatalf("purge = %d, %v; want 2", n, err)
		}
		if n, err := bulk.PurgeAnswers(ctx); err != nil || n != 0 {
			t.Fatalf("purge again = %d, %v; want 0", n, err)
		}
	})
}
