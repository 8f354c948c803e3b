package webhook

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/lethehq/lethe"
)

// Options configure an Engine; zero fields take the defaults.
type Options struct {
	Owner           string        // names this process in leases
	AllowPrivate    bool          // deliver to private, loopback and link-local addresses
	Timeout         time.Duration // per attempt; 15s
	Workers         int           // posts in flight in all; 128
	PerSubscription int           // posts in flight to one subscription; 32
	Lease           time.Duration // how long a claim holds a delivery; 60s
	Poll            time.Duration // how often to look for due deliveries without a wake-up; 1s
	Gather          time.Duration // how long a wake-up by a commit waits for more commits; 100ms
	Logger          *slog.Logger
	Now             func() time.Time
}

func (o *Options) defaults() {
	if o.Timeout <= 0 {
		o.Timeout = 15 * time.Second
	}
	if o.Workers <= 0 {
		o.Workers = 128
	}
	if o.PerSubscription <= 0 {
		o.PerSubscription = 32
	}
	if o.Lease <= 0 {
		o.Lease = 60 * time.Second
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Gather <= 0 {
		o.Gather = 100 * time.Millisecond
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Owner == "" {
		o.Owner = "lethe"
	}
}

// Engine delivers: it claims due deliveries with a lease, posts each, and
// writes the results back in batches. Every process runs one; leases keep
// them from sending the same delivery at once, and a process that dies
// leaves its leases to expire and the deliveries to be sent again, at
// least once in all. A subscription whose receiver hangs holds at most
// PerSubscription posts and twice that many claims: the others go on.
type Engine struct {
	store  lethe.DeliveryStore
	client *http.Client
	opts   Options
	wake   chan struct{}

	mu      sync.Mutex
	held    map[string]int // claimed and not yet finished, by subscription
	queued  map[string][]claim
	running map[string]int // posts in flight, by subscription
	posts   int            // posts in flight in all
	free    chan struct{}  // a post finished
	results chan lethe.DeliveryResult
}

// claim is a delivery this process holds, with when its lease ends.
type claim struct {
	d     lethe.DueDelivery
	until time.Time
}

// New returns an engine over store.
func New(store lethe.DeliveryStore, opts Options) *Engine {
	opts.defaults()
	return &Engine{store: store, client: NewClient(opts.AllowPrivate, opts.Timeout), opts: opts,
		wake: make(chan struct{}, 1), held: map[string]int{}, queued: map[string][]claim{}, running: map[string]int{},
		free: make(chan struct{}, 1), results: make(chan lethe.DeliveryResult, 4*opts.Workers)}
}

// Wake tells the engine deliveries were written; it never blocks.
func (e *Engine) Wake() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends, then waits for the posts in flight and
// writes their results.
func (e *Engine) Run(ctx context.Context) {
	var wg sync.WaitGroup
	done := make(chan struct{})
	go func() { e.finishLoop(); close(done) }()
	t := time.NewTicker(e.opts.Poll)
	defer t.Stop()
	for ctx.Err() == nil {
		if n, room := e.claim(ctx, &wg); n > 0 && n == room {
			continue // a full claim: more may be due at once
		}
		select {
		case <-ctx.Done():
		case <-e.free:
		case <-t.C:
		case <-e.wake:
			// A trickle of commits is gathered into fewer claims, so
			// that delivery takes the write lock (SQLite) a few times a
			// second, not once per request.
			select {
			case <-ctx.Done():
			case <-time.After(e.opts.Gather):
			}
		}
	}
	wg.Wait()
	close(e.results)
	<-done
}

// claim leases as many due deliveries as there is room for, and starts
// their posts; it returns how many it claimed, and the room it had.
func (e *Engine) claim(ctx context.Context, wg *sync.WaitGroup) (int, int) {
	e.mu.Lock()
	room := 2*e.opts.Workers - e.heldTotal()
	var busy []string
	for sub, n := range e.held {
		if n >= 2*e.opts.PerSubscription {
			busy = append(busy, sub)
		}
	}
	e.mu.Unlock()
	if room <= 0 {
		return 0, 0
	}
	due, err := e.store.ClaimDeliveries(ctx, e.opts.Owner, room, e.opts.Lease, busy)
	if err != nil && ctx.Err() == nil {
		e.opts.Logger.Warn("claim webhook deliveries", "error", err)
	}
	until := e.opts.Now().Add(e.opts.Lease - e.opts.Timeout)
	e.mu.Lock()
	for _, d := range due {
		e.held[d.SubscriptionID]++
		e.queued[d.SubscriptionID] = append(e.queued[d.SubscriptionID], claim{d: d, until: until})
	}
	e.startPosts(ctx, wg)
	e.mu.Unlock()
	return len(due), room
}

func (e *Engine) heldTotal() int {
	n := 0
	for _, h := range e.held {
		n += h
	}
	return n
}

// startPosts starts the queued posts there is room for. A claim whose
// lease would end before its post could time out is dropped unsent: the
// lease expires and the delivery is claimed again, so no two processes
// post it at once. Called with mu held.
func (e *Engine) startPosts(ctx context.Context, wg *sync.WaitGroup) {
	if ctx.Err() != nil {
		return // stopping: what is queued is left to its leases
	}
	for sub, q := range e.queued {
		for len(q) > 0 && e.posts < e.opts.Workers && e.running[sub] < e.opts.PerSubscription {
			c := q[0]
			q = q[1:]
			if e.opts.Now().After(c.until) {
				e.held[sub]--
				continue
			}
			e.posts++
			e.running[sub]++
			wg.Add(1)
			go e.post(ctx, wg, c.d)
		}
		if len(q) == 0 {
			delete(e.queued, sub)
		} else {
			e.queued[sub] = q
		}
		if e.held[sub] == 0 {
			delete(e.held, sub)
		}
	}
}

// post makes one attempt and hands its result to the finisher.
func (e *Engine) post(ctx context.Context, wg *sync.WaitGroup, d lethe.DueDelivery) {
	defer wg.Done()
	r := Post(context.WithoutCancel(ctx), e.client, &d, e.opts.Now)
	e.results <- r
	e.mu.Lock()
	e.posts--
	e.running[d.SubscriptionID]--
	if e.running[d.SubscriptionID] == 0 {
		delete(e.running, d.SubscriptionID)
	}
	e.held[d.SubscriptionID]--
	e.startPosts(ctx, wg)
	e.mu.Unlock()
	select {
	case e.free <- struct{}{}:
	default:
	}
}

// finishBatch is how many results one write takes at most; finishWait is
// how long the first result of a batch waits for others.
const (
	finishBatch = 500
	finishWait  = 100 * time.Millisecond
)

// finishLoop writes results in batches until results is closed. A batch
// the store refuses (the database is down) is tried again; if it never
// lands, the leases expire and the deliveries go out again.
func (e *Engine) finishLoop() {
	batch := make([]lethe.DeliveryResult, 0, finishBatch)
	for r := range e.results {
		batch = append(batch[:0], r)
		timer := time.NewTimer(finishWait)
	fill:
		for len(batch) < finishBatch {
			select {
			case r, ok := <-e.results:
				if !ok {
					break fill
				}
				batch = append(batch, r)
			case <-timer.C:
				break fill
			}
		}
		timer.Stop()
		e.finish(batch)
	}
}

func (e *Engine) finish(batch []lethe.DeliveryResult) {
	for try := 0; try < 5; try++ {
		err := e.store.FinishDeliveries(context.Background(), batch)
		if err == nil {
			return
		}
		e.opts.Logger.Warn("record webhook delivery results", "results", len(batch), "error", err)
		time.Sleep(time.Duration(try+1) * 200 * time.Millisecond)
	}
}
