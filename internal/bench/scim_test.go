package bench_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/lethehq/lethe/internal/bench"
)

// TestBench_SCIMScenarios: scim-sync runs after create-users and before
// the reads, scim-lookup among the reads, both by default; the table shows
// scim-sync in users per second and scim-lookup's percentiles.
func TestBench_SCIMScenarios(t *testing.T) {
	t.Parallel()
	t.Run("OKOrderAndSelection", func(t *testing.T) {
		t.Parallel()
		names := strings.Split(bench.ScenarioNames(false), ",")
		if i := slices.Index(names, "scim-sync"); i != 1 || names[0] != "create-users" || names[2] != "get-user" || names[3] != "scim-lookup" {
			t.Errorf("scenarios %v, want create-users, scim-sync, get-user, scim-lookup first", names)
		}
		got, err := bench.SelectScenarios("scim-lookup, scim-sync")
		if err != nil || !slices.Equal(got, []string{"scim-lookup", "scim-sync"}) {
			t.Errorf("SelectScenarios = %v, %v", got, err)
		}
		if def, _ := bench.SelectScenarios(""); !slices.Contains(def, "scim-sync") || !slices.Contains(def, "scim-lookup") {
			t.Errorf("default scenarios %v lack the SCIM ones", def)
		}
	})
	t.Run("OKTable", func(t *testing.T) {
		t.Parallel()
		users, rate := int64(2000), 1000.0
		r := &bench.Report{Server: "http://127.0.0.1:8080", Concurrency: 8, DurationSeconds: 10, NotRun: []string{}, Scenarios: []bench.Result{
			{Name: "scim-sync", Operations: 2000, Seconds: 2, OpsPerSecond: 1000, ItemUnit: "users", Items: &users, ItemsPerSecond: &rate,
				LatencyMs: &bench.Latency{P50: 7.5, P95: 9, P99: 12, Max: 30}},
			{Name: "scim-lookup", Operations: 5000, Seconds: 10, OpsPerSecond: 500, LatencyMs: &bench.Latency{P50: 0.8, P95: 1.5, P99: 2.25, Max: 9}},
		}}
		var b strings.Builder
		r.WriteTable(&b)
		for _, want := range []string{
			"scim-sync    2000  0       2.00s   1,000  1,000 users/s  7.50ms  9.00ms  12.0ms  30.0ms  n/a\n",
			"scim-lookup  5000  0       10.00s  500    -              0.80ms  1.50ms  2.25ms  9.00ms  n/a\n",
			"scim-sync: 2,000 users in 2.00s\n",
		} {
			if !strings.Contains(b.String(), want) {
				t.Errorf("table lacks %q:\n%s", want, b.String())
			}
		}
	})
}
