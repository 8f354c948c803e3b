package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/lethehq/lethe/internal/testdb"
)

type seedOutput struct {
	TenantID    string
	APIKey      string
	Users       int
	Records     int
	Enrolments  int
	Completions int
	CPDEntries  int
	Activities  int
	Assignments int
}

func mustSeed(t *testing.T, args ...string) seedOutput {
	t.Helper()
	stdout, stderr, err := cli(t, append([]string{"seed", "--json"}, args...)...)
	if err != nil {
		t.Fatalf("seed %v: %v\n%s", args, err, stderr)
	}
	var out seedOutput
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("seed printed %q: %v", stdout, err)
	}
	return out
}

func TestRun_Seed(t *testing.T) {
	t.Run("OKThenBench", func(t *testing.T) {
		t.Parallel()
		dsn := testdb.DSN(t)
		out := mustSeed(t, "--db", dsn, "--tenant", "acme", "--users", "500", "--records-per-user", "10")
		if out.TenantID != "acme" || !strings.HasPrefix(out.APIKey, "lethe_") || out.Users != 500 || out.Records != 5000 ||
			out.Enrolments == 0 || out.Completions == 0 || out.CPDEntries == 0 || out.Activities == 0 {
			t.Fatalf("seed = %+v, want tenant acme created with 500 users of 10 records each", out)
		}
		// The seeded tenant serves every read scenario of the bench.
		r, _ := mustBench(t, "--db", dsn, "--tenant", "acme", "--key", out.APIKey, "--duration", "300ms", "--concurrency", "2",
			"--scenarios", "get-user,search-status,full-sync,activity-window,enrolments")
		for _, s := range r.Scenarios {
			mustMeasured(t, s)
		}
		if fs := scenario(t, r, "full-sync"); fs.Items == nil || *fs.Items != 500 {
			t.Errorf("full-sync = %+v, want the 500 seeded users", fs)
		}
		// A tenant with users is not seeded again.
		_, stderr, err := cli(t, "seed", "--db", dsn, "--tenant", "acme", "--users", "10")
		if err == nil || isUsageError(err) || !strings.Contains(err.Error(), "already has users") {
			t.Errorf("seeding a tenant with users = %v (%s), want a runtime error", err, stderr)
		}
	})
	t.Run("OKExistingEmptyTenant", func(t *testing.T) {
		t.Parallel()
		dsn := testdb.DSN(t)
		id, _ := MustCreateTenant(t, dsn, "Empty organisation")
		out := mustSeed(t, "--db", dsn, "--tenant", id, "--users", "50", "--records-per-user", "0")
		if out.TenantID != id || out.APIKey != "" || out.Users != 50 || out.Records != 0 {
			t.Errorf("seed into an existing tenant = %+v, want 50 users, no records, and no key (its owner has it)", out)
		}
	})
	t.Run("ErrUsage", func(t *testing.T) {
		t.Parallel()
		for _, args := range [][]string{
			{"--users", "10"},
			{"--tenant", "t"},
			{"--tenant", "t", "--users", "0"},
			{"--tenant", "t", "--users", "10000001"},
			{"--tenant", "t", "--users", "10", "--records-per-user", "256"},
			{"--tenant", "t", "--users", "10", "--records-per-user", "-1"},
			{"--tenant", "t", "--users", "ten"},
			{"--tenant", "t", "--users", "10", "extra"},
		} {
			_, _, err := cli(t, append([]string{"seed", "--db", t.TempDir() + "/x.db"}, args...)...)
			if !isUsageError(err) {
				t.Errorf("seed %v = %v, want a usage error", args, err)
			}
		}
	})
}
