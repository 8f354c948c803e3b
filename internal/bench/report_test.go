package bench_test

import (
	"strings"
	"testing"

	"github.com/lethehq/lethe/internal/bench"
)

func TestReport_WriteTable(t *testing.T) {
	t.Parallel()
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		items, rate, rss := int64(12345), 2469.0, int64(64<<20)
		r := &bench.Report{Server: "http://127.0.0.1:8080", StartedServer: true, Database: "sqlite", Concurrency: 2, DurationSeconds: 5,
			NotRun: []string{"bulk-delete"}, Scenarios: []bench.Result{
				{Name: "full-sync", Operations: 62, Seconds: 5, OpsPerSecond: 12.4, ItemUnit: "users", Items: &items, ItemsPerSecond: &rate,
					LatencyMs: &bench.Latency{P50: 1.234, P95: 12.34, P99: 123.4, Max: 1234}, ServerPeakRSSBytes: &rss},
				{Name: "enrolments", Skipped: "no assignment has enrolments"},
				{Name: "get-user", Operations: 3, Errors: 1, FirstError: &bench.Error{Status: 404, Message: "user not found"}, Seconds: 5,
					OpsPerSecond: 0.6},
			}}
		if r.Failed() != true {
			t.Error("a report with an error is not Failed")
		}
		var b strings.Builder
		r.WriteTable(&b)
		out := b.String()
		for _, want := range []string{
			"server http://127.0.0.1:8080 (started by bench, sqlite), 2 workers, 5s per timed scenario\n",
			"full-sync   62   0       5.00s  12.4   2,469 users/s  1.23ms  12.3ms  123ms  1.23s  64.0 MiB\n",
			"enrolments  skipped: no assignment has enrolments\n",
			"full-sync: 12,345 users in 5.00s\n",
			"get-user: first error: 404 user not found\n",
			"not run (they erase users; name them in --scenarios): bulk-delete\n",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("table lacks %q:\n%s", want, out)
			}
		}
	})
}
