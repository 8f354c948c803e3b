package bench

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/lethehq/lethe/client"
)

// idFeed hands out the ids of the tenant's live users in chunks, paging
// through the users in id order. Erased users stay in that list, so
// erasing the users already handed out moves no page.
type idFeed struct {
	ch        chan []string
	ready     chan struct{} // closed once the buffer is full or the list has ended
	readyOnce sync.Once
	err       error // the paging error, if any; read it after ch is closed
}

// feedLiveUsers starts an idFeed of up to limit users (0: all) in chunks of
// up to size, buffering up to buffer chunks ahead of their readers. It
// stops at the end of the list, at limit, at the first error or when ctx
// ends.
func (b *runner) feedLiveUsers(ctx context.Context, limit, size, buffer int) *idFeed {
	f := &idFeed{ch: make(chan []string, buffer), ready: make(chan struct{})}
	markReady := func() { f.readyOnce.Do(func() { close(f.ready) }) }
	go func() {
		defer markReady()
		defer close(f.ch)
		var chunk []string
		sent := 0
		send := func() bool {
			if len(chunk) == 0 {
				return true
			}
			select {
			case f.ch <- chunk:
			case <-ctx.Done():
				return false
			}
			sent += len(chunk)
			chunk = nil
			if len(f.ch) == cap(f.ch) {
				markReady()
			}
			return true
		}
		for page := 1; ; page++ {
			res, err := b.c.SearchUsers(ctx, client.SearchParams{PerPage: pageUsers, Page: page})
			if err != nil {
				if ctx.Err() == nil {
					f.err = err
				}
				return
			}
			for _, u := range res.Results {
				if u.Deleted {
					continue
				}
				chunk = append(chunk, u.ID)
				if limit > 0 && sent+len(chunk) == limit {
					send()
					return
				}
				if len(chunk) == size && !send() {
					return
				}
			}
			if len(res.Results) < pageUsers {
				send()
				return
			}
		}
	}()
	return f
}

// drain waits for the feeder to end and returns its error.
func (f *idFeed) drain() error {
	for range f.ch {
	}
	return f.err
}

// bulk-delete: POST /lethe/v1/users/bulk erasing 1,000 live users a call,
// for --duration or until no live user is left.
func (b *runner) bulkDelete(ctx context.Context) Result {
	feedCtx, stop := context.WithCancel(ctx)
	defer stop()
	// Ids are paged in ahead of the workers, two chunks each, so the clock
	// starts with work queued and paging rarely holds a worker up.
	feed := b.feedLiveUsers(feedCtx, 0, batchSize, 2*b.concurrency)
	select {
	case <-feed.ready:
	case <-ctx.Done():
		return Result{}
	}
	res := b.timed(ctx, "users", func(ctx context.Context, rec *recorder) bool {
		ids, ok := <-feed.ch
		if !ok {
			return false
		}
		req := client.BulkRequest{Action: "delete", Identifiers: make([]client.Identifier, len(ids))}
		for i, id := range ids {
			req.Identifiers[i] = client.Identifier{ID: id}
		}
		rec.measure(ctx, func() (int, error) {
			out, err := b.c.BulkUsers(ctx, req, "")
			if err != nil {
				return 0, err
			}
			if n := out.Summary["failed"] + out.Summary["skipped"]; n > 0 {
				return 0, &Error{Status: out.Status, Message: fmt.Sprintf("%d of %d users were not erased", n, len(ids))}
			}
			return out.Summary["done"], nil
		})
		return true
	})
	stop()
	if err := feed.drain(); err != nil {
		res.Errors++
		if res.FirstError == nil {
			res.FirstError = toError(err)
		}
	}
	if res.Operations == 0 && res.Errors == 0 {
		return Result{Skipped: "the tenant has no live users"}
	}
	return res
}

// erasure-job: POST /lethe/v1/jobs deleting up to --job-users live users
// named in a CSV, then GET /lethe/v1/jobs/{id} until it has finished; a
// reader beside it makes get-user and search-status calls about 100 times
// a second.
func (b *runner) erasureJob(ctx context.Context) Result {
	p, err := b.population(ctx)
	if err != nil {
		return setupFailed(err)
	}
	pages, err := b.searchPages(ctx)
	if err != nil {
		return setupFailed(err)
	}
	feed := b.feedLiveUsers(ctx, b.jobUsers, b.jobUsers, 1)
	ids := <-feed.ch
	if err := feed.drain(); err != nil {
		return setupFailed(err)
	}
	if len(ids) == 0 {
		return Result{Skipped: "the tenant has no live users"}
	}
	fmt.Fprintf(b.log, "bench: erasure-job: %d users\n", len(ids))
	csv := "id\n" + strings.Join(ids, "\n") + "\n"

	// The reader stops between reads once the job has finished: a read
	// in flight then completes and counts.
	stopReads := make(chan struct{})
	reader := newRecorder(0)
	var reads sync.WaitGroup
	start := time.Now()
	reads.Go(func() {
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ctx.Err() == nil; i++ {
			if i%2 == 0 && len(p.sample) > 0 {
				id := reader.pick(p.sample)
				reader.measure(ctx, func() (int, error) {
					_, err := b.c.GetUser(ctx, id)
					return 1, err
				})
			} else {
				b.searchActive(ctx, reader, pages)
			}
			select {
			case <-stopReads:
				return
			case <-ctx.Done():
			case <-tick.C:
			}
		}
	})
	job, jobErr := b.runJob(ctx, csv, start)
	elapsed := time.Since(start)
	close(stopReads)
	reads.Wait()

	res := Result{Operations: 1}
	var processed int64
	switch {
	case jobErr != nil:
		res.Errors, res.FirstError = 1, toError(jobErr)
	case job.State != "succeeded":
		res.Errors, res.FirstError = 1, &Error{Message: fmt.Sprintf("job %s ended %s", job.ID, job.State)}
	case job.Failed > 0:
		res.Errors, res.FirstError = int64(job.Failed), &Error{Message: fmt.Sprintf("job %s: %d of %d users failed", job.ID, job.Failed, job.Total)}
	}
	if job != nil {
		processed = int64(job.Done - job.Failed)
	}
	finish(&res, elapsed, "users", processed)
	rr := &Reads{}
	rres := Result{}
	merge(&rres, reader)
	rr.Operations, rr.Errors, rr.FirstError, rr.LatencyMs = rres.Operations, rres.Errors, rres.FirstError, rres.LatencyMs
	if s := elapsed.Seconds(); s > 0 {
		rr.OpsPerSecond = float64(rr.Operations) / s
	}
	res.Reads = rr
	return res
}

// runJob queues the erasure job and polls it until it has finished, every
// twentieth of the time so far (10–250 ms), so the total is measured to
// about 5%.
func (b *runner) runJob(ctx context.Context, csv string, start time.Time) (*client.Job, error) {
	job, err := b.c.CreateJob(ctx, client.NewJob{Action: "delete", Selector: client.JobSelector{CSV: &csv}})
	if err != nil {
		return nil, err
	}
	for !job.Finished() {
		wait := min(250*time.Millisecond, max(10*time.Millisecond, time.Since(start)/20))
		select {
		case <-ctx.Done():
			return job, ctx.Err()
		case <-time.After(wait):
		}
		next, err := b.c.GetJob(ctx, job.ID)
		if err != nil {
			return job, err
		}
		job = next
	}
	return job, nil
}
