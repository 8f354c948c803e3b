package server_test

import (
	"net/http"
	"testing"
)

// TestReview_FutureJoinLocksOutDeletion: one user_joined with a timestamp
// far ahead (a sender's typo: 2099) becomes the holder's provisioned_at,
// and every later event with a true timestamp is refused as
// before_creation, forever: user_deleted included, so the HR feed can no
// longer erase the person. A timestamp in the future is accepted unchecked.
func TestReview_FutureJoinLocksOutDeletion(t *testing.T) {
	s := MustStartServer(t)
	event := func(id, typ, ts string, user map[string]any) string {
		return MustJSON(t, map[string]any{"id": id, "timestamp": ts, "eventType": typ, "content": map[string]any{"user": user}})
	}
	s.MustEvent(t, s.A, event("evt-f1", "user_joined", "2099-03-01T09:00:00Z", map[string]any{
		"ref": "EMP-F", "email": "f@example.com", "firstName": "Fut", "lastName": "Ure"}), "evt-f1", "user_joined", "created", false)
	res := s.Do(t, s.A, "POST", "/rest/v1/webhooks", event("evt-f2", "user_deleted", "2025-03-02T09:00:00Z", map[string]any{"ref": "EMP-F"}))
	if res.Status != http.StatusOK {
		t.Errorf("user_deleted a day after the clock's real now = %d %s: the person can no longer be erased by the feed", res.Status, res.Body)
	}
}
