package bench

import (
	"testing"
	"time"
)

func TestBench_Percentiles(t *testing.T) {
	t.Parallel()
	samples := func(n int) []time.Duration {
		var out []time.Duration
		for i := n; i >= 1; i-- { // unsorted on purpose
			out = append(out, time.Duration(i)*time.Millisecond)
		}
		return out
	}
	for _, tc := range []struct {
		n    int
		want Latency
	}{
		{1, Latency{P50: 1, P95: 1, P99: 1, Max: 1}},
		{3, Latency{P50: 2, P95: 3, P99: 3, Max: 3}},
		{20, Latency{P50: 10, P95: 19, P99: 20, Max: 20}},
		{100, Latency{P50: 50, P95: 95, P99: 99, Max: 100}},
		{1000, Latency{P50: 500, P95: 950, P99: 990, Max: 1000}},
	} {
		if got := percentiles(samples(tc.n)); got == nil || *got != tc.want {
			t.Errorf("percentiles of 1..%d ms = %+v, want %+v", tc.n, got, tc.want)
		}
	}
	if got := percentiles(nil); got != nil {
		t.Errorf("percentiles of nothing = %+v, want nil", got)
	}
}
