package sqldb_test

import (
	"context"
	"testing"
	"time"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
)

// TestReview_StaleHolderSavesOverTakeover: A holds a key and stops renewing;
// B takes the key over with ANOTHER body (a client reusing a key). A then
// saves: its answer lands under B's body hash, and B's SaveAnswer returns A's
// answer, naming A's user at B's positions. B must never get A's answer.
func TestReview_StaleHolderSavesOverTakeover(t *testing.T) {
	db := MustOpenDB(t)
	ctx := MustTenant(t, db, "idem")
	alice := MustCreateUser(t, ctx, db, "alice", lethe.UserFields{})
	bob := MustCreateUser(t, ctx, db, "bob", lethe.UserFields{})
	now := time.Now()
	db.Now = func() time.Time { return now }
	bulk := sqldb.NewBulkService(db)
	bodyA := []byte(`{"action":"suspend","identifiers":[{"ref":"alice"}]}`)
	bodyB := []byte(`{"action":"suspend","identifiers":[{"ref":"bob"}]}`)
	if a, err := bulk.ClaimKey(ctx, "k", bodyA); err != nil || a != nil {
		t.Fatalf("A claim = %v, %v", a, err)
	}
	now = now.Add(lethe.IdempotencyLease + time.Second)
	if a, err := bulk.ClaimKey(ctx, "k", bodyB); err != nil || a != nil {
		t.Fatalf("B claim = %v, %v", a, err)
	}
	// A (stale) finishes first.
	if _, err := bulk.SaveAnswer(ctx, "k", lethe.StoredAnswer{Status: 200, Answer: []byte(`A`), Users: map[int]lethe.LearnerID{0: alice.ID}}); err != nil {
		t.Fatal(err)
	}
	got, err := bulk.SaveAnswer(ctx, "k", lethe.StoredAnswer{Status: 200, Answer: []byte(`B`), Users: map[int]lethe.LearnerID{0: bob.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Answer) != "B" || got.Users[0] != bob.ID {
		t.Errorf("B, holding the key with its own body, got back answer %q users %v (alice=%s bob=%s): the stale holder's answer for another body",
			got.Answer, got.Users, alice.ID, bob.ID)
	}
	// And a retry of A's body now: 409 (the row carries B's body hash), though A's answer is kept.
	if _, err := bulk.ClaimKey(ctx, "k", bodyA); lethe.ErrorCode(err) != lethe.EConflict {
		t.Logf("retry of A: %v", err)
	}
}

// TestReview_StaleHolderReleasesNewHold: A holds a key, stalls past the
// lease; B takes it over (same body) and acts. A's call then fails and gives
// the key up: ReleaseKey deletes B's hold, so C (a retry) holds it too and
// acts concurrently with B.
func TestReview_StaleHolderReleasesNewHold(t *testing.T) {
	db := MustOpenDB(t)
	ctx := MustTenant(t, db, "idem")
	now := time.Now()
	db.Now = func() time.Time { return now }
	bulk := sqldb.NewBulkService(db)
	body := []byte(`{"action":"suspend","identifiers":[{"ref":"alice"}]}`)
	if a, err := bulk.ClaimKey(ctx, "k", body); err != nil || a != nil {
		t.Fatalf("A claim = %v, %v", a, err)
	}
	now = now.Add(lethe.IdempotencyLease + time.Second)
	if a, err := bulk.ClaimKey(ctx, "k", body); err != nil || a != nil {
		t.Fatalf("B claim = %v, %v", a, err)
	}
	if err := bulk.ReleaseKey(ctx, "k"); err != nil { // A, failing
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	a, err := bulk.ClaimKey(cctx, "k", body) // C: B holds the key, C must wait
	if err == nil && a == nil {
		t.Errorf("C holds the key while B still holds it: the stale A's ReleaseKey deleted B's hold, two calls act")
	}
}
