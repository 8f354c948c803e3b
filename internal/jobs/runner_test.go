package jobs_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lethehq/lethe/internal/jobs"
)

// wait fails the test unless ch delivers within a generous deadline (the
// loops themselves run on millisecond pauses, so a pass is quick).
func wait(t *testing.T, ch <-chan int, what string) int {
	t.Helper()
	select {
	case n := <-ch:
		return n
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not happen", what)
		return 0
	}
}

// steps returns a step that reports each run's number on the channel.
func steps() (func(context.Context), <-chan int, *atomic.Int64) {
	ch := make(chan int, 100)
	var n atomic.Int64
	return func(context.Context) { ch <- int(n.Add(1)) }, ch, &n
}

func TestLoop_Ticks(t *testing.T) {
	t.Parallel()
	t.Run("OKAtStartThenEveryPause", func(t *testing.T) {
		t.Parallel()
		step, ran, _ := steps()
		r := jobs.NewRunner(context.Background())
		r.Go(jobs.Loop{Every: time.Millisecond, Step: step})
		for i := 1; i <= 3; i++ {
			if n := wait(t, ran, "a run"); n != i {
				t.Fatalf("run %d reported %d", i, n)
			}
		}
		r.Stop()
	})
	t.Run("OKDelayWaitsAPauseFirst", func(t *testing.T) {
		t.Parallel()
		step, ran, n := steps()
		wake := make(chan struct{})
		r := jobs.NewRunner(context.Background())
		r.Go(jobs.Loop{Every: time.Hour, Delay: true, Wake: wake, Step: step})
		wake <- struct{}{} // received only once the loop waits: no run came before it
		wait(t, ran, "the woken run")
		r.Stop()
		if got := n.Load(); got != 1 {
			t.Errorf("%d runs, want only the woken one", got)
		}
	})
}

func TestLoop_Wake(t *testing.T) {
	t.Parallel()
	t.Run("OKRunsAtOnce", func(t *testing.T) {
		t.Parallel()
		step, ran, n := steps()
		wake := make(chan struct{}, 1)
		r := jobs.NewRunner(context.Background())
		r.Go(jobs.Loop{Every: time.Hour, Wake: wake, Step: step})
		wait(t, ran, "the run at start")
		for i := 2; i <= 4; i++ {
			wake <- struct{}{}
			if got := wait(t, ran, "a woken run"); got != i {
				t.Fatalf("woken run %d reported %d", i, got)
			}
		}
		r.Stop()
		if got := n.Load(); got != 4 {
			t.Errorf("%d runs, want the one at start and three woken (the hour never passed)", got)
		}
	})
}

func TestRunner_Stop(t *testing.T) {
	t.Parallel()
	t.Run("OKWaitsForTheStepInFlight", func(t *testing.T) {
		t.Parallel()
		started, ended := make(chan struct{}), make(chan struct{})
		var after atomic.Bool
		r := jobs.NewRunner(context.Background())
		r.Go(jobs.Loop{Every: time.Millisecond, Step: func(ctx context.Context) {
			if after.Load() {
				t.Error("a step ran after Stop returned")
			}
			select {
			case <-started:
				return
			default:
				close(started)
			}
			<-ctx.Done() // a long step that ends with its context
			close(ended)
		}})
		<-started
		r.Stop()
		after.Store(true)
		select {
		case <-ended:
		default:
			t.Error("Stop returned before the step in flight ended")
		}
		r.Stop() // a second Stop is harmless
	})
	t.Run("OKParentContextEnds", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(context.Background())
		step, ran, _ := steps()
		r := jobs.NewRunner(ctx)
		r.Go(jobs.Loop{Every: time.Hour, Step: step})
		wait(t, ran, "the run at start")
		cancel()
		r.Stop() // returns: the loop saw ctx end
	})
}

// lockedBuffer is a log destination shared by a loop and the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// fakeJobs fails its first run, then runs 3 items a time, and counts sweeps.
type fakeJobs struct {
	runs, sweeps atomic.Int64
	ran          chan int
}

func (f *fakeJobs) RunJobs(context.Context) (int, error) {
	n := f.runs.Add(1)
	defer func() { f.ran <- int(n) }()
	if n == 1 {
		return 0, errors.New("database is locked")
	}
	return 3, nil
}

func (f *fakeJobs) SweepJobs(context.Context) (int, error) { f.sweeps.Add(1); return 2, nil }

func TestDurableJobs(t *testing.T) {
	t.Parallel()
	t.Run("OKFailingStepKeepsTheLoop", func(t *testing.T) {
		t.Parallel()
		logs := &lockedBuffer{}
		f := &fakeJobs{ran: make(chan int, 100)}
		r := jobs.NewRunner(context.Background())
		r.Go(jobs.DurableJobs(f, nil, time.Millisecond, slog.New(slog.NewJSONHandler(logs, nil))))
		for want := 1; want <= 3; want++ {
			if got := wait(t, f.ran, "a run of the jobs"); got != want {
				t.Fatalf("run %d reported %d", want, got)
			}
		}
		r.Stop()
		out := logs.String()
		for _, want := range []string{`"msg":"run jobs","error":"database is locked"`, `"msg":"ran jobs","items":3`,
			`"msg":"removed expired jobs","jobs":2`} {
			if !strings.Contains(out, want) {
				t.Errorf("log lacks %s:\n%s", want, out)
			}
		}
		// The sweep runs at start, then once a minute: not on every run.
		if got := f.sweeps.Load(); got != 1 {
			t.Errorf("%d sweeps in a few milliseconds, want the one at start", got)
		}
	})
}

// fakePolicy records the order of the policy round's steps.
type fakePolicy struct {
	mu    sync.Mutex
	order []string
	done  chan int
}

func (f *fakePolicy) note(s string) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.order = append(f.order, s)
	if s == "audits" {
		f.done <- len(f.order)
	}
	return 0, nil
}
func (f *fakePolicy) PurgeAnswers(context.Context) (int, error)       { return f.note("answers") }
func (f *fakePolicy) RunDueErasures(context.Context) (int, error)     { return f.note("erasures") }
func (f *fakePolicy) RunScheduledAudits(context.Context) (int, error) { return f.note("audits") }

func TestPolicy(t *testing.T) {
	t.Parallel()
	t.Run("OKInOrderAtStart", func(t *testing.T) {
		t.Parallel()
		logs := &lockedBuffer{}
		f := &fakePolicy{done: make(chan int, 10)}
		r := jobs.NewRunner(context.Background())
		r.Go(jobs.Policy(f, f, f, time.Hour, slog.New(slog.NewJSONHandler(logs, nil))))
		wait(t, f.done, "the policy round")
		r.Stop()
		if got := strings.Join(f.order, ","); got != "answers,erasures,audits" {
			t.Errorf("policy steps ran %s, want answers,erasures,audits once", got)
		}
		if logs.String() != "" {
			t.Errorf("a round that did nothing logged:\n%s", logs)
		}
	})
}

// fakeRewriter is due every other check.
type fakeRewriter struct {
	checks, rewrites atomic.Int64
	checked          chan int
}

func (f *fakeRewriter) RewriteDue(context.Context) (bool, error) {
	n := f.checks.Add(1)
	defer func() { f.checked <- int(n) }()
	return n%2 == 0, nil
}
func (f *fakeRewriter) RewritePersonalData(context.Context) error { f.rewrites.Add(1); return nil }

func TestRewrite(t *testing.T) {
	t.Parallel()
	t.Run("OKOnlyWhenDue", func(t *testing.T) {
		t.Parallel()
		logs := &lockedBuffer{}
		f := &fakeRewriter{checked: make(chan int, 100)}
		r := jobs.NewRunner(context.Background())
		r.Go(jobs.Rewrite(f, time.Millisecond, slog.New(slog.NewJSONHandler(logs, nil))))
		for range 4 {
			wait(t, f.checked, "a rewrite check")
		}
		r.Stop()
		if c, w := f.checks.Load(), f.rewrites.Load(); w != c/2 {
			t.Errorf("%d rewrites in %d checks, want one every other (when due)", w, c)
		}
		if !strings.Contains(logs.String(), `"msg":"rewrote personal data","duration_ms":`) {
			t.Errorf("no rewrite logged:\n%s", logs)
		}
	})
}
