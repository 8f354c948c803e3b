package jobs

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Loop is one piece of periodic background work.
type Loop struct {
	// Every is the pause between the end of one run and the start of the
	// next.
	Every time.Duration
	// Delay makes the first run wait Every; by default it runs at start.
	Delay bool
	// Wake, when not nil, runs the step at once on a receive (a request
	// that queued work); the pause then starts again.
	Wake <-chan struct{}
	// Step is the work. It should return soon after ctx ends.
	Step func(ctx context.Context)
}

// run runs l until ctx ends.
func (l Loop) run(ctx context.Context) {
	if !l.Delay {
		l.Step(ctx)
	}
	t := time.NewTimer(l.Every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-l.Wake:
		case <-t.C:
		}
		if ctx.Err() != nil {
			return
		}
		l.Step(ctx)
		t.Reset(l.Every)
	}
}

// Runner runs loops until Stop, which returns once every loop has ended:
// serve stops its runner before it closes the database.
type Runner struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// NewRunner returns a runner whose loops end when ctx ends or at Stop.
func NewRunner(ctx context.Context) *Runner {
	ctx, cancel := context.WithCancel(ctx)
	return &Runner{ctx: ctx, cancel: cancel}
}

// Go starts l on its own goroutine.
func (r *Runner) Go(l Loop) {
	r.wg.Go(func() { l.run(r.ctx) })
}

// Stop ends every loop and waits for them; a step in flight sees its
// context end. It may be called more than once.
func (r *Runner) Stop() {
	r.cancel()
	r.wg.Wait()
}

// counted runs f and logs what it did: its error under failed (not when the
// loop is stopping, which cuts steps short), or a count above zero under
// did, with the key unit.
func counted(ctx context.Context, logger *slog.Logger, failed, did, unit string, f func(context.Context) (int, error)) {
	n, err := f(ctx)
	switch {
	case err != nil && ctx.Err() == nil:
		logger.Error(failed, "error", err.Error())
	case n > 0:
		logger.Info(did, unit, n)
	}
}
