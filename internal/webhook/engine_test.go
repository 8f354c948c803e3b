package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
	"github.com/lethehq/lethe/internal/testdb"
	"github.com/lethehq/lethe/internal/webhook"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// receiver counts the deliveries it gets, by webhook-id, and checks their
// signatures.
type receiver struct {
	t      testing.TB
	secret []byte
	mu     sync.Mutex
	got    map[string]int
	order  []string // eventType of each, in arrival order
	total  atomic.Int64
	answer func(w http.ResponseWriter, r *http.Request) bool // true: answered
}

func newReceiver(t testing.TB, secret string) (*receiver, *httptest.Server) {
	rc := &receiver{t: t, secret: []byte(secret), got: map[string]int{}}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	return rc, srv
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if rc.answer != nil && rc.answer(w, r) {
		return
	}
	body, _ := io.ReadAll(r.Body)
	want := http.Header{}
	ts, _ := strconv.ParseInt(r.Header.Get("Webhook-Timestamp"), 10, 64)
	webhook.Sign(want, rc.secret, r.Header.Get("Webhook-Id"), time.Unix(ts, 0), body)
	if r.Header.Get("Webhook-Signature") != want.Get("Webhook-Signature") || r.Header.Get("X-Hmac-Signature") != want.Get("X-Hmac-Signature") {
		rc.t.Errorf("bad signature on %s", r.Header.Get("Webhook-Id"))
	}
	var ev struct{ EventType, DispatchedAt string }
	if err := json.Unmarshal(body, &ev); err != nil || ev.DispatchedAt == "" {
		rc.t.Errorf("body %s: %v", body, err)
	}
	rc.mu.Lock()
	rc.got[r.Header.Get("Webhook-Id")]++
	rc.order = append(rc.order, ev.EventType)
	rc.mu.Unlock()
	rc.total.Add(1)
	w.WriteHeader(http.StatusNoContent)
}

func (rc *receiver) distinct() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.got)
}

type fixture struct {
	db  *sqldb.DB
	a   context.Context
	svc *sqldb.WebhookService
}

func newFixture(t testing.TB, dsn string) *fixture {
	db, err := sqldb.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.AllowPrivateWebhooks = true
	if _, _, err := sqldb.NewTenantService(db).CreateTenant(context.Background(), "hooks", "Hooks"); err != nil && lethe.ErrorCode(err) != lethe.EConflict {
		t.Fatal(err)
	}
	a := lethe.WithActor(context.Background(), lethe.Actor{TenantID: "hooks", Source: lethe.SourceAPI, Name: "test"})
	return &fixture{db: db, a: a, svc: sqldb.NewWebhookService(db)}
}

func (f *fixture) subscribe(t testing.TB, url, secret string) *lethe.Subscription {
	s, err := f.svc.CreateSubscription(f.a, url, []lethe.SubscriptionType{lethe.UserSubscription}, secret, true)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (f *fixture) createUsers(t testing.TB, prefix string, n int) {
	users := sqldb.NewUserService(f.db)
	for i := range n {
		ref := fmt.Sprintf("%s-%d", prefix, i)
		if _, err := users.CreateUser(f.a, ref, lethe.UserFields{FirstName: new("F"), LastName: new("L"), Email: new(ref + "@example.com")}); err != nil {
			t.Fatal(err)
		}
	}
}

// run runs an engine until the test ends.
func run(t testing.TB, f *fixture, opts webhook.Options) *webhook.Engine {
	e := webhook.New(f.svc, opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return e
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func pending(t testing.TB, f *fixture) int {
	_, n, err := f.svc.FindDeliveries(f.a, lethe.DeliveryQuery{State: lethe.DeliveryPending, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Two processes deliver the same outbox: every event arrives, each once
// (no lease expired), and those of one user in order.
func TestEngine_TwoProcesses(t *testing.T) {
	dsn := testdb.DSN(t)
	f, g := newFixture(t, dsn), newFixture(t, dsn)
	rc, srv := newReceiver(t, "k")
	f.subscribe(t, srv.URL, "k")
	f.createUsers(t, "two", 200)
	u, err := sqldb.NewUserService(f.db).FindUser(f.a, lethe.ByRef("two-0"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := sqldb.NewUserService(f.db).UpdateUser(f.a, lethe.ByID(u.ID), lethe.UserFields{JobTitle: new(strconv.Itoa(i))}); err != nil {
			t.Fatal(err)
		}
	}
	run(t, f, webhook.Options{Owner: "p1", AllowPrivate: true, Poll: 50 * time.Millisecond})
	run(t, g, webhook.Options{Owner: "p2", AllowPrivate: true, Poll: 50 * time.Millisecond})
	waitFor(t, "every delivery", func() bool { return pending(t, f) == 0 })
	if rc.distinct() != 205 || rc.total.Load() != 205 {
		t.Fatalf("got %d distinct events in %d posts, want 205 once each", rc.distinct(), rc.total.Load())
	}
	ds, _, _ := f.svc.FindDeliveries(f.a, lethe.DeliveryQuery{Limit: 1000})
	var updates []time.Time
	for i := len(ds) - 1; i >= 0; i-- {
		if ds[i].EventType == lethe.UserUpdatedEvent {
			updates = append(updates, *ds[i].DeliveredAt)
		}
	}
	for i := 1; i < len(updates); i++ {
		if updates[i].Before(updates[i-1]) {
			t.Fatalf("updates of one user delivered out of order: %v", updates)
		}
	}
}

// A receiver that hangs holds its own deliveries only: another
// subscription's arrive meanwhile.
func TestEngine_HangingReceiverBlocksNoOne(t *testing.T) {
	f := newFixture(t, testdb.DSN(t))
	release := make(chan struct{})
	hang, hangSrv := newReceiver(t, "")
	hang.answer = func(w http.ResponseWriter, r *http.Request) bool {
		select {
		case <-release:
		case <-r.Context().Done():
		}
		return false
	}
	defer close(release)
	good, goodSrv := newReceiver(t, "")
	f.subscribe(t, hangSrv.URL, "")
	f.subscribe(t, goodSrv.URL, "")
	f.createUsers(t, "hang", 300)
	run(t, f, webhook.Options{AllowPrivate: true, Workers: 8, PerSubscription: 4, Poll: 50 * time.Millisecond, Timeout: 20 * time.Second})
	waitFor(t, "the good receiver's deliveries", func() bool { return good.distinct() == 300 })
}

// Without the operator's switch, a target that is loopback after DNS is
// refused at connect time, and redirects are answers, not followed.
func TestEngine_RefusesPrivateAndRedirects(t *testing.T) {
	_, srv := newReceiver(t, "")
	d := &lethe.DueDelivery{ID: "d", EventID: "e", URL: srv.URL, Payload: []byte(`{"eventType":"user.created"}`)}
	r := webhook.Post(context.Background(), webhook.NewClient(false, 5*time.Second), d, time.Now)
	if r.Status != 0 || r.Error != "private address refused" {
		t.Fatalf("loopback target: %+v", r)
	}
	named := *d
	named.URL = "http://localhost:" + srv.URL[len("http://127.0.0.1:"):]
	if r := webhook.Post(context.Background(), webhook.NewClient(false, 5*time.Second), &named, time.Now); r.Error != "private address refused" {
		t.Fatalf("a name resolving to loopback: %+v", r)
	}
	redirect := httptest.NewServer(http.RedirectHandler(srv.URL, http.StatusFound))
	defer redirect.Close()
	d.URL = redirect.URL
	if r := webhook.Post(context.Background(), webhook.NewClient(true, 5*time.Second), d, time.Now); r.Status != 302 || r.Error != "redirect not followed" {
		t.Fatalf("redirect: %+v", r)
	}
	body := webhook.Body(d, time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC))
	if string(body) != `{"dispatchedAt":"2026-01-02T03:04:05.006Z","eventType":"user.created"}` {
		t.Fatalf("body = %s", body)
	}
}

// BenchmarkDelivery measures delivery to a local receiver: LETHE_BENCH_EVENTS
// events (default 20000) written first, then delivered; it reports events/s.
//
//	go test -run '^$' -bench BenchmarkDelivery -benchtime=1x ./internal/webhook/
func BenchmarkDelivery(b *testing.B) {
	n := 20000
	if v, err := strconv.Atoi(os.Getenv("LETHE_BENCH_EVENTS")); err == nil && v > 0 {
		n = v
	}
	for b.Loop() {
		b.StopTimer()
		f := newFixture(b, testdb.DSN(b))
		rc, srv := newReceiver(b, "k")
		f.subscribe(b, srv.URL, "k")
		loadUsers(b, f, n)
		b.StartTimer()
		start := time.Now()
		e := webhook.New(f.svc, webhook.Options{AllowPrivate: true, Poll: 20 * time.Millisecond})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { e.Run(ctx); close(done) }()
		for pending(b, f) > 0 {
			time.Sleep(20 * time.Millisecond)
		}
		elapsed := time.Since(start)
		cancel()
		<-done
		if rc.distinct() != n {
			b.Fatalf("delivered %d of %d", rc.distinct(), n)
		}
		b.ReportMetric(float64(n)/elapsed.Seconds(), "events/s")
	}
}

// loadUsers creates n users in bulk-sized transactions through the bulk
// create path.
func loadUsers(b *testing.B, f *fixture, n int) {
	f.createUsers(b, "bench", n)
}
