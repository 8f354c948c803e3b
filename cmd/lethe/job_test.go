package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lethehq/lethe/internal/seed"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/rest"
	"github.com/lethehq/lethe/internal/sqldb"
	"github.com/lethehq/lethe/internal/testdb"
)

var (
	binaryOnce sync.Once
	binaryPath string
	binaryErr  error
)

// mustBinary builds the lethe binary once per test process.
func mustBinary(tb testing.TB) string {
	tb.Helper()
	binaryOnce.Do(func() {
		dir, err := os.MkdirTemp("", "lethe-bin-")
		if err != nil {
			binaryErr = err
			return
		}
		binaryPath = filepath.Join(dir, "lethe")
		out, err := exec.Command("go", "build", "-o", binaryPath, ".").CombinedOutput()
		if err != nil {
			binaryErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binaryErr != nil {
		tb.Fatal(binaryErr)
	}
	return binaryPath
}

// process is a `lethe serve` running as a process of its own, so a test can
// kill it as a crash would: no shutdown, no cleanup.
type process struct {
	cmd  *exec.Cmd
	URL  string
	logs *logBuffer
}

func mustStartProcess(tb testing.TB, dsn string, args ...string) *process {
	tb.Helper()
	p := &process{logs: newLogBuffer()}
	p.cmd = exec.Command(mustBinary(tb), append([]string{"serve", "--addr", "127.0.0.1:0", "--db", dsn}, args...)...)
	p.cmd.Stderr = p.logs
	if err := p.cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { p.kill() })
	select {
	case addr := <-p.logs.addr:
		p.URL = "http://" + addr
	case <-time.After(60 * time.Second):
		tb.Fatalf("the server process did not listen within 60s:\n%s", p.logs)
	}
	return p
}

// kill ends the process at once (SIGKILL) and waits for it.
func (p *process) kill() {
	if p.cmd.ProcessState == nil {
		p.cmd.Process.Kill()
		p.cmd.Wait()
	}
}

// TestJobs_SurviveACrash kills the server process in the middle of a job
// that erases users, starts it again, and checks that the job resumes where
// it stopped and finishes without acting on any user twice: every user is
// erased exactly once (one status change, one trail entry), and no item
// reads "already erased".
func TestJobs_SurviveACrash(t *testing.T) {
	dsn := testdb.DSN(t)
	tenant, key := MustCreateTenant(t, dsn, "Crash test")
	const users = 3000
	func() {
		db, err := sqldb.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		ctx := lethe.WithActor(context.Background(), lethe.Actor{TenantID: lethe.TenantID(tenant), Source: lethe.SourceCLI, Name: "seed"})
		if err := seed.Users(ctx, db, users, 3); err != nil {
			t.Fatal(err)
		}
	}()
	call := func(p *process, method, path, body string) map[string]any {
		t.Helper()
		req, _ := http.NewRequest(method, p.URL+path, strings.NewReader(body))
		req.SetBasicAuth(tenant, key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode/100 != 2 {
			t.Fatalf("%s %s: %d %v %v", method, path, res.StatusCode, out, err)
		}
		return out
	}
	p := mustStartProcess(t, dsn)
	job := call(p, "POST", "/lethe/v1/jobs", `{"action":"delete","confirmAll":true,"selector":{"query":{}}}`)
	id, total := job["id"].(string), job["total"].(float64)
	// Kill the process as soon as the job has made progress, well before
	// it can finish.
	deadline := time.Now().Add(60 * time.Second)
	for {
		job = call(p, "GET", "/lethe/v1/jobs/"+id, "")
		if done := job["done"].(float64); done > 0 {
			p.kill()
			if done >= total {
				t.Fatalf("the job finished (%v of %v) before the process was killed: the test proves nothing", done, total)
			}
			t.Logf("killed the server with %v of %v users done", done, total)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the job made no progress in 60s: %v", job)
		}
		time.Sleep(5 * time.Millisecond)
	}
	p = mustStartProcess(t, dsn)
	deadline = time.Now().Add(120 * time.Second)
	for job = call(p, "GET", "/lethe/v1/jobs/"+id, ""); job["state"] != "succeeded"; job = call(p, "GET", "/lethe/v1/jobs/"+id, "") {
		if time.Now().After(deadline) || job["state"] == "failed" {
			t.Fatalf("the job did not finish after the restart: %v", job)
		}
		time.Sleep(20 * time.Millisecond)
	}
	outcomes := job["outcomes"].(map[string]any)
	if outcomes["done"] != total || outcomes["unchanged"] != 0.0 || job["done"] != total {
		t.Errorf("after the restart: %v; want every user erased once", job)
	}
	p.kill()
	raw := rawDB(t, dsn)
	var erased, twice, audited int
	if err := raw.QueryRow(`SELECT COUNT(*) FROM status_history WHERE tenant_id = $1 AND reason = 'erased' AND source = 'bulk'`, tenant).Scan(&erased); err != nil {
		t.Fatal(err)
	}
	if err := raw.QueryRow(`SELECT COUNT(*) FROM (SELECT learner_id FROM status_history WHERE tenant_id = $1 AND reason = 'erased'
		GROUP BY learner_id HAVING COUNT(*) > 1) x`, tenant).Scan(&twice); err != nil {
		t.Fatal(err)
	}
	if err := raw.QueryRow(`SELECT COUNT(*) FROM audit_trail WHERE tenant_id = $1 AND action = 'user.erased'`, tenant).Scan(&audited); err != nil {
		t.Fatal(err)
	}
	if float64(erased) != total || twice != 0 || float64(audited) != total {
		t.Errorf("erasures recorded %d, users erased twice %d, audit entries %d; want %v, 0, %v", erased, twice, audited, total, total)
	}
	if out, _, err := cli(t, "trail", "verify", "--db", dsn); err != nil {
		t.Errorf("trail verify after the crash: %v\n%s", err, out)
	}
}

// TestJobs_SizeLimits: serve --max-job-items bounds a job: more users than
// that is 422 naming the selector, a body over JobLineBytes a user (but at
// least 1 MiB) is 413, and neither leaves a job behind.
func TestJobs_SizeLimits(t *testing.T) {
	dsn := testdb.DSN(t)
	srv := mustServe(t, dsn, "--max-job-items", "5")
	tenant, key := MustCreateTenant(t, dsn, "Limits")
	post := func(body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.URL+"/lethe/v1/jobs", strings.NewReader(body))
		req.SetBasicAuth(tenant, key)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
			t.Fatalf("answer: %v", err)
		}
		return res.StatusCode, out
	}
	field := func(out map[string]any) string {
		details, _ := out["details"].([]any)
		if len(details) != 1 {
			return ""
		}
		return details[0].(map[string]any)["field"].(string)
	}
	csv := func(n int) string {
		lines := []string{"ref"}
		for i := range n {
			lines = append(lines, fmt.Sprintf("R%d", i))
		}
		return strings.Join(lines, `\n`) + `\n`
	}
	if code, out := post(`{"action":"suspend","dryRun":true,"selector":{"csv":"` + csv(5) + `"}}`); code != http.StatusAccepted {
		t.Fatalf("a job of 5 users at a limit of 5: %d %v", code, out)
	}
	if code, out := post(`{"action":"suspend","dryRun":true,"selector":{"csv":"` + csv(6) + `"}}`); code != http.StatusUnprocessableEntity ||
		out["code"] != "invalid" || field(out) != "selector.csv" {
		t.Errorf("a job of 6 users at a limit of 5: %d %v, want 422 naming selector.csv", code, out)
	}
	big := `{"action":"suspend","dryRun":true,"selector":{"csv":"ref\n` + strings.Repeat(" ", rest.MaxBodyBytes) + `R1\n"}}`
	if code, out := post(big); code != http.StatusRequestEntityTooLarge || out["code"] != "too_large" {
		t.Errorf("a body of %d bytes at a limit of 1 MiB: %d %v, want 413", len(big), code, out)
	}
	jobs, err := sqldb.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer jobs.Close()
	ctx := lethe.WithActor(context.Background(), lethe.Actor{TenantID: lethe.TenantID(tenant), Source: lethe.SourceCLI, Name: "t"})
	if _, total, err := sqldb.NewJobService(jobs).FindJobs(ctx, lethe.JobFilter{Limit: 10}); err != nil || total != 1 {
		t.Errorf("jobs after two refusals: %d (%v), want only the accepted one", total, err)
	}
}
