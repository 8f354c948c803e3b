package bench

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// recorder collects the measurements of one worker.
type recorder struct {
	lat        []time.Duration
	ops, errs  int64
	items      int64
	first      *Error
	firstAt    time.Time
	rng        *rand.Rand
	worker, op int // for unique names
}

func newRecorder(worker int) *recorder {
	return &recorder{worker: worker, rng: rand.New(rand.NewPCG(rand.Uint64(), uint64(worker)))}
}

// measure times one request: f returns how many items it moved. A request
// cut short because the run is being cancelled is not counted.
func (r *recorder) measure(ctx context.Context, f func() (int, error)) {
	start := time.Now()
	n, err := f()
	d := time.Since(start)
	if err != nil && ctx.Err() != nil {
		return
	}
	r.lat = append(r.lat, d)
	r.ops++
	if err != nil {
		r.fail(start, err)
		return
	}
	r.items += int64(n)
}

func (r *recorder) fail(at time.Time, err error) {
	r.errs++
	if r.first == nil {
		r.first, r.firstAt = toError(err), at
	}
}

// merge adds the recorders' counts into res and computes the latencies.
func merge(res *Result, recs ...*recorder) (items int64) {
	var lat []time.Duration
	var firstAt time.Time
	for _, r := range recs {
		lat = append(lat, r.lat...)
		res.Operations += r.ops
		res.Errors += r.errs
		items += r.items
		if r.first != nil && (res.FirstError == nil || r.firstAt.Before(firstAt)) {
			res.FirstError, firstAt = r.first, r.firstAt
		}
	}
	res.LatencyMs = percentiles(lat)
	return items
}

func percentiles(lat []time.Duration) *Latency {
	if len(lat) == 0 {
		return nil
	}
	slices.Sort(lat)
	at := func(p float64) float64 {
		// Nearest rank: the ⌈p·n⌉-th sample; the epsilon keeps 0.95·20
		// (19.000000000000004 in floating point) at rank 19.
		rank := int(math.Ceil(p*float64(len(lat)) - 1e-9))
		return ms(lat[max(0, min(rank-1, len(lat)-1))])
	}
	return &Latency{P50: at(0.50), P95: at(0.95), P99: at(0.99), Max: ms(lat[len(lat)-1])}
}

func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

// finish fills the rates of res.
func finish(res *Result, elapsed time.Duration, unit string, items int64) {
	res.Seconds = elapsed.Seconds()
	if res.Seconds > 0 {
		res.OpsPerSecond = float64(res.Operations) / res.Seconds
	}
	if unit != "" {
		res.ItemUnit, res.Items = unit, &items
		rate := 0.0
		if res.Seconds > 0 {
			rate = float64(items) / res.Seconds
		}
		res.ItemsPerSecond = &rate
	}
}

// setupFailed is the result of a scenario that could not prepare its run.
func setupFailed(err error) Result {
	return Result{Errors: 1, FirstError: toError(err)}
}

// timed runs op on b.concurrency workers for b.duration, or until op
// returns false (no more work). op times its requests with rec.measure.
func (b *runner) timed(ctx context.Context, unit string, op func(ctx context.Context, rec *recorder) bool) Result {
	recs := make([]*recorder, b.concurrency)
	start := time.Now()
	deadline := start.Add(b.duration)
	var wg sync.WaitGroup
	for i := range recs {
		recs[i] = newRecorder(i)
		wg.Go(func() {
			for more := true; more && time.Now().Before(deadline) && ctx.Err() == nil; {
				more = op(ctx, recs[i])
			}
		})
	}
	wg.Wait()
	var res Result
	items := merge(&res, recs...)
	finish(&res, time.Since(start), unit, items)
	return res
}

func (r *recorder) pick(ids []string) string { return ids[r.rng.IntN(len(ids))] }
