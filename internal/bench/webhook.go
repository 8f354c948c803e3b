package bench

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/lethehq/lethe/client"
)

// With --webhook, bench subscribes a receiver of its own to every event
// type before the scenarios run, so each write also emits and delivers
// events. After each scenario it waits until the outbox has drained and
// reports how many events arrived and how long the drain took after the
// scenario's end; a delivery whose signature does not verify is an error.

// webhookSecret keys the bench subscription's signatures.
const webhookSecret = "bench-webhook-secret"

// receiver is bench's local webhook receiver.
type receiver struct {
	srv       *http.Server
	url       string
	delivered atomic.Int64
	bad       atomic.Int64
}

func startReceiver() (*receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("bench: webhook receiver: %w", err)
	}
	rc := &receiver{url: "http://" + ln.Addr().String() + "/hook"}
	rc.srv = &http.Server{Handler: rc, ReadHeaderTimeout: 10 * time.Second}
	go rc.srv.Serve(ln)
	return rc, nil
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, err := client.VerifyRequest(webhookSecret, r, time.Now()); err != nil {
		rc.bad.Add(1)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	rc.delivered.Add(1)
	w.WriteHeader(http.StatusNoContent)
}

func (rc *receiver) close() { rc.srv.Close() }

// subscribe subscribes the receiver to every type of event.
func (b *runner) subscribe(ctx context.Context, url string) (string, error) {
	body := fmt.Sprintf(`{"url": %q, "secret": %q, "types": ["user_subscription", "completion_subscription",
		"assignment_subscription", "content_subscription"]}`, url, webhookSecret)
	var sub struct{ ID string }
	if err := b.lethe(ctx, http.MethodPost, "/lethe/v1/webhooks/subscriptions", body, http.StatusCreated, &sub); err != nil {
		return "", fmt.Errorf("bench: subscribe the webhook receiver: %w", err)
	}
	return sub.ID, nil
}

// pendingDeliveries is how many deliveries of the subscription wait.
func (b *runner) pendingDeliveries(ctx context.Context, sub string) (int, error) {
	var page struct {
		Pagination struct{ TotalResults int } `json:"pagination"`
	}
	err := b.lethe(ctx, http.MethodGet, "/lethe/v1/webhooks/subscriptions/"+sub+"/deliveries?state=pending&perPage=1", "", http.StatusOK, &page)
	return page.Pagination.TotalResults, err
}

// drain waits until the subscription has no pending delivery (at most
// ten minutes) and notes in res what arrived and how long it took.
func (b *runner) drain(ctx context.Context, rc *receiver, sub string, before int64, res *Result) {
	start := time.Now()
	for deadline := start.Add(10 * time.Minute); ; {
		n, err := b.pendingDeliveries(ctx, sub)
		if err != nil || time.Now().After(deadline) {
			if err == nil {
				err = fmt.Errorf("%d deliveries still pending after 10 minutes", n)
			}
			res.Errors++
			if res.FirstError == nil {
				res.FirstError = toError(err)
			}
			break
		}
		if n == 0 {
			break
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
	delivered, drained := rc.delivered.Load()-before, time.Since(start).Seconds()
	res.EventsDelivered, res.EventsDrainedSeconds = &delivered, &drained
	if bad := rc.bad.Load(); bad > 0 && res.FirstError == nil {
		res.Errors += bad
		res.FirstError = &Error{Message: fmt.Sprintf("%d deliveries failed signature verification", bad)}
	}
}

// benchHooks are the receiver and its subscription.
type benchHooks struct {
	rc  *receiver
	sub string
}

// startWebhook starts the receiver and subscribes it, when on.
func (b *runner) startWebhook(ctx context.Context, on bool) (*benchHooks, error) {
	if !on {
		return nil, nil
	}
	rc, err := startReceiver()
	if err != nil {
		return nil, err
	}
	sub, err := b.subscribe(ctx, rc.url)
	if err != nil {
		rc.close()
		return nil, err
	}
	fmt.Fprintf(b.log, "bench: webhook receiver at %s (subscription %s)\n", rc.url, sub)
	return &benchHooks{rc: rc, sub: sub}, nil
}
