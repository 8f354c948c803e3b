package sqldb_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
	"github.com/lethehq/lethe/internal/testdb"
)

// eventsFixture is a database with a tenant that has one user_subscription.
type eventsFixture struct {
	dsn string
	db  *sqldb.DB
	c   *clock
	a   context.Context
	svc *sqldb.WebhookService
	sub *lethe.Subscription
}

func newEventsFixture(t *testing.T, tenant lethe.TenantID, types ...lethe.SubscriptionType) *eventsFixture {
	t.Helper()
	f := &eventsFixture{dsn: testdb.DSN(t)}
	f.db = MustOpenDSN(t, f.dsn)
	f.c = &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	f.db.Now = f.c.now
	f.db.AllowPrivateWebhooks = true
	f.a = MustTenant(t, f.db, tenant)
	f.svc = sqldb.NewWebhookService(f.db)
	if len(types) == 0 {
		types = []lethe.SubscriptionType{lethe.UserSubscription}
	}
	var err error
	if f.sub, err = f.svc.CreateSubscription(f.a, "http://127.0.0.1:9/hook", types, "s3cret", true); err != nil {
		t.Fatal(err)
	}
	return f
}

// claim claims every due delivery.
func (f *eventsFixture) claim(t *testing.T) []lethe.DueDelivery {
	t.Helper()
	due, err := f.svc.ClaimDeliveries(context.Background(), "test", 1000, time.Minute, nil)
	if err != nil {
		t.Fatal(err)
	}
	return due
}

// finish records status for each delivery.
func (f *eventsFixture) finish(t *testing.T, status int, response string, due ...lethe.DueDelivery) {
	t.Helper()
	var rs []lethe.DeliveryResult
	for _, d := range due {
		rs = append(rs, lethe.DeliveryResult{TenantID: d.TenantID, DeliveryID: d.ID, At: f.c.t, Status: status, Response: response})
	}
	if err := f.svc.FinishDeliveries(context.Background(), rs); err != nil {
		t.Fatal(err)
	}
}

func (f *eventsFixture) deliveries(t *testing.T, q lethe.DeliveryQuery) []*lethe.Delivery {
	t.Helper()
	q.Limit = 100
	ds, _, err := f.svc.FindDeliveries(f.a, q)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func TestEvents_Outbox(t *testing.T) {
	f := newEventsFixture(t, "ev-a")
	u := MustCreateUser(t, f.a, f.db, "ada", lethe.UserFields{FirstName: strp("Ada"), LastName: strp("Lovelace")})
	t.Run("OKCreatedIsDue", func(t *testing.T) {
		due := f.claim(t)
		if len(due) != 1 || !strings.Contains(string(due[0].Payload), `"eventType":"user.created"`) ||
			!strings.Contains(string(due[0].Payload), `"firstName":"Ada"`) || string(due[0].Secret) != "s3cret" {
			t.Fatalf("due = %+v", due)
		}
		if again := f.claim(t); len(again) != 0 {
			t.Fatalf("a leased delivery was claimed again: %+v", again)
		}
		// The update is about the same subject: it waits for the create.
		if _, err := sqldb.NewUserService(f.db).UpdateUser(f.a, lethe.ByID(u.ID), lethe.UserFields{JobTitle: strp("Engineer")}); err != nil {
			t.Fatal(err)
		}
		f.c.t = f.c.t.Add(2 * time.Minute) // the lease ended
		if again := f.claim(t); len(again) != 1 || again[0].ID != due[0].ID {
			t.Fatalf("after the lease, claimed %+v, want the create again (in order)", again)
		}
		f.finish(t, 204, "", due[0])
		next := f.claim(t)
		if len(next) != 1 || !strings.Contains(string(next[0].Payload), `"user.updated"`) {
			t.Fatalf("after the create was delivered, claimed %+v, want the update", next)
		}
		f.finish(t, 200, "ok", next...)
		ds := f.deliveries(t, lethe.DeliveryQuery{SubscriptionID: f.sub.ID})
		if len(ds) != 2 || ds[0].EventType != lethe.UserUpdatedEvent || ds[0].State != lethe.DeliveryDelivered || ds[1].Attempts != 1 {
			t.Fatalf("deliveries = %+v", ds)
		}
	})
	t.Run("OKRollbackEmitsNothing", func(t *testing.T) {
		f.db.SetFailpoint(func(q string) error {
			if strings.Contains(q, "INSERT INTO events") {
				return errors.New("crash")
			}
			return nil
		})
		_, err := sqldb.NewUserService(f.db).CreateUser(f.a, "lost", lethe.UserFields{FirstName: strp("L"), LastName: strp("L"), Email: strp("l@example.com")})
		f.db.SetFailpoint(nil)
		if err == nil {
			t.Fatal("the create committed although its outbox write failed")
		}
		if _, err := sqldb.NewUserService(f.db).FindUser(f.a, lethe.ByRef("lost")); lethe.ErrorCode(err) != lethe.ENotFound {
			t.Fatalf("the user exists: %v", err)
		}
		if due := f.claim(t); len(due) != 0 {
			t.Fatalf("a rolled-back change emitted %+v", due)
		}
	})
	t.Run("OKRetryAndAttempts", func(t *testing.T) {
		MustCreateUser(t, f.a, f.db, "bob", lethe.UserFields{})
		due := f.claim(t)
		f.finish(t, 500, "oops", due...)
		ds := f.deliveries(t, lethe.DeliveryQuery{State: lethe.DeliveryPending})
		if len(ds) != 1 || ds[0].Attempts != 1 || ds[0].LastStatus != 500 || ds[0].NextAt == nil ||
			ds[0].NextAt.Sub(f.c.t) < 5*time.Second || ds[0].NextAt.Sub(f.c.t) > 6*time.Second {
			t.Fatalf("after a 500: %+v", ds)
		}
		if early := f.claim(t); len(early) != 0 {
			t.Fatalf("claimed before the retry was due: %+v", early)
		}
		at, err := f.svc.FindAttempts(f.a, ds[0].ID)
		if err != nil || len(at) != 1 || at[0].Status != 500 || at[0].Response != "oops" {
			t.Fatalf("attempts = %+v, %v", at, err)
		}
		f.c.t = f.c.t.Add(10 * time.Second)
		f.finish(t, 200, "", f.claim(t)...)
		if at, _ := f.svc.FindAttempts(f.a, ds[0].ID); len(at) != 2 {
			t.Fatalf("attempts = %+v", at)
		}
		sub, _ := f.svc.FindSubscription(f.a, f.sub.ID)
		if sub.FailingSince != nil || !sub.Enabled {
			t.Fatalf("after a success the subscription is %+v", sub)
		}
	})
	t.Run("OKRedeliver", func(t *testing.T) {
		ds := f.deliveries(t, lethe.DeliveryQuery{State: lethe.DeliveryDelivered})
		n, err := f.svc.Redeliver(f.a, ds[0].EventID, "")
		if err != nil || n != 1 {
			t.Fatalf("Redeliver = %d, %v", n, err)
		}
		if due := f.claim(t); len(due) != 1 || due[0].EventID != ds[0].EventID || due[0].Attempts != 0 {
			t.Fatalf("after redeliver, due = %+v", due)
		} else {
			f.finish(t, 200, "", due...)
		}
		if _, err := f.svc.Redeliver(f.a, "evt_nope", ""); lethe.ErrorCode(err) != lethe.ENotFound {
			t.Fatalf("Redeliver of an unknown event: %v", err)
		}
	})
	t.Run("OKOtherTenantSeesNothing", func(t *testing.T) {
		b := MustTenant(t, f.db, "ev-b")
		if ds, _, _ := f.svc.FindDeliveries(b, lethe.DeliveryQuery{Limit: 10}); len(ds) != 0 {
			t.Fatalf("tenant b sees %+v", ds)
		}
		if _, err := f.svc.FindSubscription(b, f.sub.ID); lethe.ErrorCode(err) != lethe.ENotFound {
			t.Fatalf("tenant b finds a's subscription: %v", err)
		}
		if err := f.svc.DeleteSubscription(b, f.sub.ID); lethe.ErrorCode(err) != lethe.ENotFound {
			t.Fatalf("tenant b deletes a's subscription: %v", err)
		}
		ds := f.deliveries(t, lethe.DeliveryQuery{})
		if _, err := f.svc.FindAttempts(b, ds[0].ID); lethe.ErrorCode(err) != lethe.ENotFound {
			t.Fatalf("tenant b reads a's attempts: %v", err)
		}
		if _, err := f.svc.Redeliver(b, ds[0].EventID, ""); lethe.ErrorCode(err) != lethe.ENotFound {
			t.Fatalf("tenant b redelivers a's event: %v", err)
		}
	})
}

func TestEvents_GoneAndFailing(t *testing.T) {
	f := newEventsFixture(t, "ev-gone")
	MustCreateUser(t, f.a, f.db, "u1", lethe.UserFields{})
	MustCreateUser(t, f.a, f.db, "u2", lethe.UserFields{})
	due := f.claim(t)
	f.finish(t, 410, "", due[0])
	sub, _ := f.svc.FindSubscription(f.a, f.sub.ID)
	if sub.Enabled || sub.DisabledReason != lethe.DisabledGone {
		t.Fatalf("after a 410: %+v", sub)
	}
	// Disabling gave up the delivery still in flight; its answer is not
	// recorded.
	f.finish(t, 200, "", due[1])
	if ds := f.deliveries(t, lethe.DeliveryQuery{State: lethe.DeliveryFailed}); len(ds) != 2 {
		t.Fatalf("failed = %+v, want both", ds)
	}
	MustCreateUser(t, f.a, f.db, "u3", lethe.UserFields{})
	if ds := f.deliveries(t, lethe.DeliveryQuery{}); len(ds) != 2 {
		t.Fatalf("a disabled subscription got a delivery: %+v", ds)
	}

	g := newEventsFixture(t, "ev-failing")
	MustCreateUser(t, g.a, g.db, "v1", lethe.UserFields{})
	g.finish(t, 503, "", g.claim(t)...)
	first, _ := g.svc.FindSubscription(g.a, g.sub.ID)
	if first.FailingSince == nil || !first.Enabled {
		t.Fatalf("after a failure: %+v", first)
	}
	for range 6 {
		g.c.t = g.c.t.Add(9 * time.Hour)
		g.finish(t, 503, "", g.claim(t)...)
	}
	last, _ := g.svc.FindSubscription(g.a, g.sub.ID)
	if last.Enabled || last.DisabledReason != lethe.DisabledFailing {
		t.Fatalf("after a day of failures: %+v", last)
	}
	if ds := g.deliveries(t, lethe.DeliveryQuery{}); len(ds) != 1 || ds[0].State != lethe.DeliveryFailed {
		t.Fatalf("deliveries = %+v", ds)
	}
}

func TestEvents_Erasure(t *testing.T) {
	f := newEventsFixture(t, "ev-erase")
	const first, last, email = "Zebedee", "Quixotic", "zebedee.quixotic@example.com"
	u := MustCreateUser(t, f.a, f.db, "zq-1", lethe.UserFields{FirstName: strp(first), LastName: strp(last), Email: strp(email)})
	created := f.claim(t) // in flight while the person is erased
	users := sqldb.NewUserService(f.db)
	e, err := users.EraseUser(f.a, lethe.ByID(u.ID))
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Propagation) != 1 || e.Propagation[0].State != lethe.DeliveryPending || e.Propagation[0].SubscriptionID != f.sub.ID ||
		e.Propagation[0].Receiver != "127.0.0.1:9" {
		t.Fatalf("propagation at erasure = %+v", e.Propagation)
	}
	// The receiver echoes the names; the answer is not kept.
	f.finish(t, 200, first+" "+last, created...)
	due := f.claim(t)
	if len(due) != 1 || !strings.Contains(string(due[0].Payload), `"user.deleted"`) || due[0].EventID != e.Propagation[0].EventID {
		t.Fatalf("due after erasure = %+v", due)
	}
	for _, d := range due {
		if strings.Contains(string(d.Payload), first) || strings.Contains(string(d.Payload), email) || strings.Contains(string(d.Payload), "zq-1") {
			t.Fatalf("the user.deleted payload names the person: %s", d.Payload)
		}
	}
	f.c.t = f.c.t.Add(time.Second)
	f.finish(t, 200, "", due...)
	got, err := users.FindErasure(f.a, u.ID)
	if err != nil || len(got.Propagation) != 1 || got.Propagation[0].State != lethe.DeliveryDelivered ||
		got.Propagation[0].AcknowledgedAt == nil || !got.Propagation[0].AcknowledgedAt.Equal(f.c.t) {
		t.Fatalf("propagation = %+v, %v", got.Propagation, err)
	}
	if got.Verification != nil && !got.Verification.Passed {
		t.Fatalf("verification failed: %+v", got.Verification)
	}
	// Redelivering the create now sends its ids only.
	if _, err := f.svc.Redeliver(f.a, created[0].EventID, ""); err != nil {
		t.Fatal(err)
	}
	again := f.claim(t)
	if len(again) != 1 || strings.Contains(string(again[0].Payload), first) || !strings.Contains(string(again[0].Payload), string(u.ID)) {
		t.Fatalf("redelivered create = %+v", again)
	}
	f.finish(t, 200, email, again...)
	// On PostgreSQL the erased row versions are vacuumed and the
	// personal-data tables rewritten (as serve's rewrite loop does), until
	// none is left; a concurrent test's snapshot can hold one back a while.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if err := f.db.Scrub(context.Background()); err != nil {
			t.Fatal(err)
		}
		if f.db.Dialect() == "postgres" {
			if err := f.db.RewritePersonalData(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		res := testdb.Residue(t, f.dsn, first, last, email)
		if len(res) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("personal data left on disk after the erasure: %v", res)
		}
	}
}

func TestEvents_Subscriptions(t *testing.T) {
	db := MustOpenDB(t)
	a := MustTenant(t, db, "subs-a")
	svc := sqldb.NewWebhookService(db)
	for _, c := range []struct {
		url   string
		types []lethe.SubscriptionType
		field string
	}{
		{"http://hooks.example.com/x", []lethe.SubscriptionType{lethe.UserSubscription}, "url"},
		{"https://127.0.0.1/x", []lethe.SubscriptionType{lethe.UserSubscription}, "url"},
		{"https://10.1.2.3/x", []lethe.SubscriptionType{lethe.UserSubscription}, "url"},
		{"https://localhost/x", []lethe.SubscriptionType{lethe.UserSubscription}, "url"},
		{"ftp://hooks.example.com/x", []lethe.SubscriptionType{lethe.UserSubscription}, "url"},
		{"", []lethe.SubscriptionType{lethe.UserSubscription}, "url"},
		{"https://hooks.example.com/x", nil, "types"},
		{"https://hooks.example.com/x", []lethe.SubscriptionType{"user.created"}, "types"},
	} {
		if _, err := svc.CreateSubscription(a, c.url, c.types, "", true); lethe.ErrorCode(err) != lethe.EInvalid || field(err) != c.field {
			t.Errorf("create %q %v: %v, want invalid %s", c.url, c.types, err, c.field)
		}
	}
	if _, err := svc.CreateSubscription(a, "https://hooks.example.com/x", []lethe.SubscriptionType{lethe.UserSubscription},
		strings.Repeat("s", lethe.MaxWebhookSecretLength+1), true); field(err) != "secret" {
		t.Errorf("long secret: %v", err)
	}
	if _, err := svc.CreateSubscription(a, "https://hooks.example.com/x", []lethe.SubscriptionType{lethe.UserSubscription},
		"whsec_c2VjcmV0", true); field(err) != "secret" {
		t.Errorf("a whsec_ secret: %v", err)
	}
	s, err := svc.CreateSubscription(a, " https://hooks.example.com/x ", []lethe.SubscriptionType{lethe.CompletionSubscription,
		lethe.UserSubscription, lethe.UserSubscription}, "k", true)
	if err != nil || s.URL != "https://hooks.example.com/x" || len(s.Types) != 2 || !s.HasSecret {
		t.Fatalf("create = %+v, %v", s, err)
	}
	off, none := false, ""
	up, err := svc.UpdateSubscription(a, s.ID, lethe.SubscriptionEdit{Enabled: &off, Secret: &none})
	if err != nil || up.Enabled || up.HasSecret {
		t.Fatalf("update = %+v, %v", up, err)
	}
	if err := svc.DeleteSubscription(a, s.ID); err != nil {
		t.Fatal(err)
	}
	if list, _ := svc.ListSubscriptions(a); len(list) != 0 {
		t.Fatalf("list after delete = %+v", list)
	}
}

func TestEvents_Resources(t *testing.T) {
	f := newEventsFixture(t, "ev-res", lethe.CompletionSubscription, lethe.ContentSubscription)
	MustCreateContent(t, f.a, f.db, "c1c1c1c1c1c1c1c1c1c1c1c1")
	u := MustCreateUser(t, f.a, f.db, "res-1", lethe.UserFields{}) // a user event: not taken
	if _, _, err := sqldb.NewCompletionService(f.db).CreateCompletion(f.a, u.ID, "c1c1c1c1c1c1c1c1c1c1c1c1", f.c.t.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	due := f.claim(t)
	var names []string
	for _, d := range due {
		var ev struct{ EventType string }
		if err := json.Unmarshal(d.Payload, &ev); err != nil {
			t.Fatal(err)
		}
		names = append(names, ev.EventType)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"content.completed", "content.created"}) {
		t.Fatalf("events = %v, want content.completed and content.created only", names)
	}
}
