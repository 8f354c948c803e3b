package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
	"github.com/lethehq/lethe/internal/testdb"
)

// crashReceiver records the events it is sent. While hang is set it holds
// each request until the test is done with it, as a slow receiver would.
type crashReceiver struct {
	mu      sync.Mutex
	got     map[string]int
	hang    atomic.Bool
	held    atomic.Int64
	acked   atomic.Int64
	release chan struct{}
}

func (rc *crashReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if rc.hang.Load() {
		rc.held.Add(1)
		select {
		case <-rc.release:
		case <-r.Context().Done():
		}
		return // the process that sent it is dead; nothing is answered
	}
	rc.mu.Lock()
	rc.got[r.Header.Get("Webhook-Id")]++
	rc.mu.Unlock()
	rc.acked.Add(1)
	w.WriteHeader(http.StatusNoContent)
}

func (rc *crashReceiver) distinct() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.got)
}

// TestWebhooks_SurviveCrashes kills the server (SIGKILL) at each step of a
// delivery: after the commit and before any process ran (the events wait
// in the outbox), with posts in flight, and with answers received but not
// yet recorded. After the last restart every event is delivered: nothing
// lost, each at least once.
func TestWebhooks_SurviveCrashes(t *testing.T) {
	dsn := testdb.DSN(t)
	tenant, _ := MustCreateTenant(t, dsn, "Webhook crash test")
	rc := &crashReceiver{got: map[string]int{}, release: make(chan struct{})}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	defer close(rc.release)
	const users = 40
	func() {
		db, err := sqldb.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		db.AllowPrivateWebhooks = true
		ctx := lethe.WithActor(context.Background(), lethe.Actor{TenantID: lethe.TenantID(tenant), Source: lethe.SourceCLI, Name: "test"})
		if _, err := sqldb.NewWebhookService(db).CreateSubscription(ctx, srv.URL, []lethe.SubscriptionType{lethe.UserSubscription}, "k", true); err != nil {
			t.Fatal(err)
		}
		// Committed while no process runs: the events wait in the outbox.
		for i := range users {
			ref := fmt.Sprintf("crash-%d", i)
			if _, err := sqldb.NewUserService(db).CreateUser(ctx, ref, lethe.UserFields{FirstName: new("F"), LastName: new("L"), Email: new(ref + "@example.com")}); err != nil {
				t.Fatal(err)
			}
		}
	}()
	args := []string{"--webhooks-allow-private", "--webhooks-timeout", "2s", "--webhooks-lease", "5s"}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(60 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	// Killed with posts in flight.
	rc.hang.Store(true)
	p := mustStartProcess(t, dsn, args...)
	waitFor("posts in flight", func() bool { return rc.held.Load() >= 5 })
	p.kill()
	rc.hang.Store(false)
	// Killed with answers received and not all recorded.
	p = mustStartProcess(t, dsn, args...)
	waitFor("some answers", func() bool { return rc.acked.Load() >= 10 })
	p.kill()
	if rc.distinct() == users {
		t.Logf("every event was answered before the kill; the last step proves less")
	}
	// The last start delivers the rest once the dead processes' leases end.
	mustStartProcess(t, dsn, args...)
	waitFor("every event", func() bool { return rc.distinct() == users })
	db, err := sqldb.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := lethe.WithActor(context.Background(), lethe.Actor{TenantID: lethe.TenantID(tenant), Source: lethe.SourceCLI, Name: "test"})
	waitFor("every delivery recorded", func() bool {
		_, n, err := sqldb.NewWebhookService(db).FindDeliveries(ctx, lethe.DeliveryQuery{State: lethe.DeliveryDelivered, Limit: 1})
		return err == nil && n == users
	})
}
