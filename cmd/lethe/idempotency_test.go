package main

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/jobs"
	"github.com/lethehq/lethe/internal/sqldb"
	"github.com/lethehq/lethe/internal/testdb"
)

// lockedBuffer collects a logger's lines from the loop's goroutine.
type lockedBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestPolicyLoop_PurgesIdempotentAnswers: serve's policy loop deletes the
// idempotent answers older than their window, of every tenant, and keeps
// the others.
func TestPolicyLoop_PurgesIdempotentAnswers(t *testing.T) {
	dsn := testdb.DSN(t)
	tenant, _ := MustCreateTenant(t, dsn, "Idempotency window")
	db, err := sqldb.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Now().UTC()
	var mu sync.Mutex
	db.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	ctx := lethe.WithActor(context.Background(), lethe.Actor{TenantID: lethe.TenantID(tenant), Source: lethe.SourceCLI, Name: "test"})
	bulk := sqldb.NewBulkService(db)
	keep := func(key string) {
		t.Helper()
		a, hold, err := bulk.ClaimKey(ctx, key, []byte(key))
		if err != nil || a != nil {
			t.Fatalf("claim %s = %v, %v", key, a, err)
		}
		if _, err := bulk.SaveAnswer(ctx, hold, lethe.StoredAnswer{Status: 200, Answer: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	keep("old-1")
	keep("old-2")
	mu.Lock()
	now = now.Add(lethe.IdempotencyWindow + time.Minute)
	mu.Unlock()
	keep("fresh")

	logs := &lockedBuffer{}
	loops := jobs.NewRunner(context.Background())
	loops.Go(jobs.Policy(bulk, sqldb.NewUserService(db), sqldb.NewJobService(db), time.Hour, slog.New(slog.NewJSONHandler(logs, nil))))
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(logs.String(), "purged idempotent answers") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond) // poll interval
	}
	loops.Stop()
	if !strings.Contains(logs.String(), `"msg":"purged idempotent answers","answers":2`) {
		t.Fatalf("the loop did not purge the two expired answers; log:\n%s", logs)
	}
	// The fresh answer is kept: its key with another body is refused.
	if _, _, err := bulk.ClaimKey(ctx, "fresh", []byte("other")); lethe.ErrorCode(err) != lethe.EConflict {
		t.Errorf("the fresh answer after the purge: %v, want a conflict", err)
	}
}
