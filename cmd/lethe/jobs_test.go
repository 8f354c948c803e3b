package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCLI_Bulk drives lethe users bulk, lethe jobs and lethe audit dormant
// against a running server.
func TestCLI_Bulk(t *testing.T) {
	srv := MustRunMain(t)
	ctx := t.Context()
	for _, ref := range []string{"CLI-B1", "CLI-B2", "CLI-B3"} {
		mustCreate(t, srv, ref, personFields("Bulk", "Person", strings.ToLower(ref)+"@example.com"))
	}
	remote := []string{"--server", srv.URL, "--tenant", srv.TenantID, "--key", srv.APIKey}
	dir := t.TempDir()
	file := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	run := func(args ...string) (string, string, error) {
		return cli(t, append(args, remote...)...)
	}
	t.Run("OKSync", func(t *testing.T) {
		leavers := file("leavers.csv", "\ufeffEmail,Name\ncli-b1@example.com,One\ncli-b2@example.com,Two\n")
		out, stderr, err := run("users", "bulk", "suspend", "--file", leavers)
		if err != nil || !strings.Contains(out, "suspend: 2 done, 0 unchanged, 0 skipped, 0 failed") {
			t.Errorf("users bulk = %q, %q, %v", out, stderr, err)
		}
		out, _, err = run("users", "bulk", "reactivate", "--file", leavers, "--dry-run", "--output", "csv")
		if err != nil || !strings.HasPrefix(out, "line,identifier,userId,outcome,reason\n2,cli-b1@example.com,") {
			t.Errorf("users bulk --output csv = %q, %v", out, err)
		}
		if u, err := srv.Client.GetUserByRef(ctx, "CLI-B1"); err != nil || u.Status != "inactive" {
			t.Errorf("after a dry run: %+v, %v", u, err)
		}
	})
	t.Run("ErrPartial", func(t *testing.T) {
		out, _, err := run("users", "bulk", "delete", "--file", file("mixed.csv", "ref\nCLI-B3\nNOBODY\n"), "--output", "json")
		if !errors.Is(err, errPartial) || !strings.Contains(out, `"failed": 1`) {
			t.Errorf("partial bulk = %q, %v; want exit 1 and the JSON answer", out, err)
		}
	})
	t.Run("OKJobBeyondAThousand", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("ref\nCLI-B2\n")
		for i := range 1100 {
			fmt.Fprintf(&b, "UNKNOWN-%d\n", i)
		}
		out, stderr, err := run("users", "bulk", "reactivate", "--file", file("many.csv", b.String()))
		if !errors.Is(err, errPartial) || !strings.Contains(out, "succeeded, 1101 of 1101 processed: 1 done, 0 unchanged, 0 skipped, 1100 failed") ||
			!strings.Contains(stderr, "1101 users") {
			t.Fatalf("bulk of 1,101 = %q, %q, %v", out, stderr, err)
		}
		id := strings.Fields(out)[1]
		out, _, _ = run("jobs", "watch", id, "--output", "csv")
		if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 1102 || !strings.HasSuffix(lines[1], ",reactivate,done,") {
			t.Errorf("jobs watch --output csv: %d lines, %q", len(lines), lines[:2])
		}
	})
	t.Run("OKAudit", func(t *testing.T) {
		out, _, err := run("audit", "dormant", "--never-logged-in", "--created-before", "0d")
		if err != nil || !strings.Contains(out, "2 users: 2 to purge, 0 to suspend") {
			t.Fatalf("audit dormant = %q, %v", out, err)
		}
		out, _, err = run("audit", "dormant", "--never-logged-in", "--exclude-role", "administrator", "--apply", "--output", "json")
		if err != nil || !strings.Contains(out, `"state": "succeeded"`) {
			t.Errorf("audit dormant --apply = %q, %v", out, err)
		}
	})
	t.Run("ErrUsage", func(t *testing.T) {
		for _, args := range [][]string{
			{"users", "bulk", "suspend"}, {"users", "bulk", "explode", "--file", "x.csv"}, {"users", "list"},
			{"users", "bulk", "suspend", "--file", "x.csv", "--output", "xml"}, {"users", "bulk", "suspend", "--file", "x.csv", "--end-date", "soon"},
			{"jobs"}, {"jobs", "watch"}, {"jobs", "explode", "x"},
			{"audit"}, {"audit", "dormant"}, {"audit", "dormant", "--inactive", "ten"}, {"audit", "dormant", "--created-before", "2y"},
		} {
			if _, _, err := run(args...); !isUsageError(err) {
				t.Errorf("%v = %v, want a usage error", args, err)
			}
		}
		if _, _, err := cli(t, "users", "bulk", "suspend", "--file", file("x.csv", "ref\nA\n")); !isUsageError(err) {
			t.Errorf("without credentials = %v, want a usage error", err)
		}
		if _, _, err := run("users", "bulk", "suspend", "--file", file("bad.csv", "Name\nA\n")); err == nil || isUsageError(err) ||
			!strings.Contains(err.Error(), "no id, ref or email column") {
			t.Errorf("a CSV without a user column = %v", err)
		}
		if _, _, err := run("users", "bulk", "suspend", "--file", file("quote.csv", "ref\nab\"c\n")); err == nil || isUsageError(err) ||
			!strings.Contains(err.Error(), "quote.csv is not valid CSV at line 2") {
			t.Errorf("a CSV with a stray quote = %v", err)
		}
	})
}
