package sqldb_test

import (
	"context"
	"testing"
	"time"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
)

// TestBulkService_StaleHolderCannotSave: A holds a key and stops renewing;
// B takes the key over with another body (a client reusing a key). A's
// answer, saved late, must not land under B's body, and B gets its own.
func TestBulkService_StaleHolderCannotSave(t *testing.T) {
	db := MustOpenDB(t)
	ctx := MustTenant(t, db, "idem")
	alice := MustCreateUser(t, ctx, db, "alice", lethe.UserFields{})
	bob := MustCreateUser(t, ctx, db, "bob", lethe.UserFields{})
	now := time.Now()
	db.Now = func() time.Time { return now }
	bulk := sqldb.NewBulkService(db)
	bodyA := []byte(`{"action":"suspend","identifiers":[{"ref":"alice"}]}`)
	bodyB := []byte(`{"action":"suspend","identifiers":[{"ref":"bob"}]}`)
	a, holdA, err := bulk.ClaimKey(ctx, "k", bodyA)
	if err != nil || a != nil {
		t.Fatalf("A claim = %v, %v", a, err)
	}
	now = now.Add(lethe.IdempotencyLease + time.Second)
	a, holdB, err := bulk.ClaimKey(ctx, "k", bodyB)
	if err != nil || a != nil {
		t.Fatalf("B claim = %v, %v", a, err)
	}
	if err := bulk.RenewKey(ctx, holdA); err != nil {
		t.Fatal(err)
	}
	// A (stale) finishes first: refused, it no longer holds the key.
	_, err = bulk.SaveAnswer(ctx, holdA, lethe.StoredAnswer{Status: 200, Answer: []byte(`A`), Users: map[int]lethe.LearnerID{0: alice.ID}})
	if lethe.ErrorCode(err) != lethe.EConflict {
		t.Fatalf("stale A's save = %v, want a conflict", err)
	}
	got, err := bulk.SaveAnswer(ctx, holdB, lethe.StoredAnswer{Status: 200, Answer: []byte(`B`), Users: map[int]lethe.LearnerID{0: bob.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Answer) != "B" || got.Users[0] != bob.ID {
		t.Errorf("B got back answer %q users %v (alice=%s bob=%s), want its own", got.Answer, got.Users, alice.ID, bob.ID)
	}
	// A retry of B's body reads B's answer; A's body is another body.
	if a, _, err := bulk.ClaimKey(ctx, "k", bodyB); err != nil || a == nil || string(a.Answer) != "B" {
		t.Errorf("retry of B = %v, %v; want B's answer", a, err)
	}
	if _, _, err := bulk.ClaimKey(ctx, "k", bodyA); lethe.ErrorCode(err) != lethe.EConflict {
		t.Errorf("retry of A = %v, want a conflict", err)
	}
}

// TestBulkService_StaleHolderCannotRelease: A holds a key and stalls past
// the lease; B takes it over (same body) and acts. A then fails and gives
// the key up: that must not free B's hold, or C (a retry) would act
// beside B.
func TestBulkService_StaleHolderCannotRelease(t *testing.T) {
	db := MustOpenDB(t)
	ctx := MustTenant(t, db, "idem")
	now := time.Now()
	db.Now = func() time.Time { return now }
	bulk := sqldb.NewBulkService(db)
	body := []byte(`{"action":"suspend","identifiers":[{"ref":"alice"}]}`)
	a, holdA, err := bulk.ClaimKey(ctx, "k", body)
	if err != nil || a != nil {
		t.Fatalf("A claim = %v, %v", a, err)
	}
	now = now.Add(lethe.IdempotencyLease + time.Second)
	if a, _, err := bulk.ClaimKey(ctx, "k", body); err != nil || a != nil {
		t.Fatalf("B claim = %v, %v", a, err)
	}
	if err := bulk.ReleaseKey(ctx, holdA); err != nil { // A, failing
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	a, holdC, err := bulk.ClaimKey(cctx, "k", body) // C: B holds the key, C must wait
	if err == nil && a == nil && holdC != nil {
		t.Errorf("C holds the key while B still holds it: the stale A's ReleaseKey freed B's hold, two calls act")
	}
}
