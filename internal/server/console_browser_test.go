package server_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
)

// The console in a real browser: headless Chromium (Debian's chromium
// package; `make browser-deps` installs it in CI) driven by chromedp. Without
// Chromium the test skips, but not with CI=true. LETHE_SCREENSHOTS=DIR
// writes the main pages' screenshots there (docs/console holds them).

// mustBrowser starts a headless Chromium for the test.
func mustBrowser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium is not installed: CI must run the browser tests (make browser-deps)")
		}
		t.Skip("chromium is not installed (apt-get install chromium): skipping the browser test")
	}
	// Not t.TempDir: Chromium's children may still write there as it stops.
	dir, err := os.MkdirTemp("", "lethe-chromium")
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(dir), chromedp.WindowSize(1280, 900))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	// The whole browser lives as long as this context: it bounds the test.
	timed, cancelTimeout := context.WithTimeout(alloc, 2*time.Minute)
	ctx, cancelCtx := chromedp.NewContext(timed)
	t.Cleanup(func() {
		cancelCtx()
		cancelTimeout()
		cancelAlloc()
		for range 50 {
			if os.RemoveAll(dir) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// screenshot saves the page as name.png under LETHE_SCREENSHOTS, if set.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("LETHE_SCREENSHOTS")
	if dir == "" {
		return
	}
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644); err != nil {
		t.Fatal(err)
	}
}

func run(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

func mainText(t *testing.T, ctx context.Context) string {
	t.Helper()
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	if err != nil {
		t.Fatal(err)
	}
	return text
}

func browserSignIn(t *testing.T, ctx context.Context, s *testServer, tenant, email string) {
	t.Helper()
	run(t, ctx, chromedp.Navigate(s.URL+"/admin/signin"), chromedp.WaitVisible(chromedp.ID("#tenant")))
	screenshot(t, ctx, "signin")
	run(t, ctx,
		chromedp.SendKeys(chromedp.ID("#tenant"), tenant),
		chromedp.SendKeys(chromedp.ID("#email"), email),
		chromedp.SendKeys(chromedp.ID("#password"), consolePassword),
		chromedp.Click(chromedp.CSS(`form[action="/admin/signin"] button`)),
		chromedp.WaitVisible(chromedp.ID("#q")))
}

// TestConsoleBrowser_OffboardAndErase signs in, finds a leaver by email,
// deletes them through the confirmation and reads the receipt; a viewer is
// refused the action; an idle session sends the browser to sign in.
func TestConsoleBrowser_OffboardAndErase(t *testing.T) {
	s := MustStartServer(t)
	ctx := mustBrowser(t)
	s.mustConsoleAccount(t, s.A.ID, "ops@a.test", lethe.RoleAdmin)
	s.mustConsoleAccount(t, s.A.ID, "viewer@a.test", lethe.RoleViewer)
	for _, ref := range []string{"E-100", "E-101", "E-102"} {
		mustUser(t, s, s.A.ID, ref, strings.ToLower(ref)+"@a.test")
	}
	leaver := mustUser(t, s, s.A.ID, "LEAVER-9", "leaver9@a.test")
	content, title, kind := strings.Repeat("0", 23)+"9", "Data protection basics", "video"
	tctx := tenantCtx(s.A.ID)
	if _, err := sqldb.NewContentService(s.db).CreateContent(tctx, content, lethe.ContentFields{Title: &title, Type: &kind}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := sqldb.NewCompletionService(s.db).CreateCompletion(tctx, leaver.ID, content, s.Clock.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}

	browserSignIn(t, ctx, s, s.A.ID, "ops@a.test")
	screenshot(t, ctx, "people")
	run(t, ctx,
		chromedp.SendKeys(chromedp.ID("#q"), "leaver9@a.test"),
		chromedp.Submit(chromedp.ID("#q")),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/admin/people/`+string(leaver.ID)+`"]`)))
	location, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(location, "leaver9") {
		t.Fatalf("the search put the email in the URL: %s", location)
	}
	run(t, ctx, chromedp.Click(chromedp.CSS(`a[href="/admin/people/`+string(leaver.ID)+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href$="/delete"]`)))
	screenshot(t, ctx, "person")
	run(t, ctx, chromedp.Click(chromedp.CSS(`a[href$="/delete"]`)), chromedp.WaitVisible(chromedp.CSS(`button.danger`)))
	if text := mainText(t, ctx); !strings.Contains(text, "completions: 1") || !strings.Contains(text, "cannot be undone") {
		t.Fatalf("the confirmation does not say what is kept:\n%s", text)
	}
	screenshot(t, ctx, "confirm-delete")
	run(t, ctx, chromedp.Click(chromedp.CSS(`button.danger`)), chromedp.WaitVisible(chromedp.CSS(`.alert.notice`)))
	text := mainText(t, ctx)
	if !strings.Contains(text, "Erasure receipt") || !strings.Contains(text, "Nothing erased is left") || strings.Contains(text, "leaver9@a.test") {
		t.Fatalf("after the erasure:\n%s", text)
	}
	screenshot(t, ctx, "receipt")
	// The signed receipt, its signature checked in the page.
	run(t, ctx, chromedp.Click(chromedp.CSS(`a[href="/admin/receipts/`+string(leaver.ID)+`"]`)), chromedp.WaitVisible(chromedp.CSS(`a[href$="/receipt.json"]`)))
	if text := mainText(t, ctx); !strings.Contains(text, "Valid: Ed25519") || !strings.Contains(text, "Nothing erased can be found") {
		t.Fatalf("the receipt page:\n%s", text)
	}
	screenshot(t, ctx, "receipt-signed")
	run(t, ctx, chromedp.Navigate(s.URL+"/admin/trail"), chromedp.WaitVisible(chromedp.CSS("table")))
	screenshot(t, ctx, "trail")
	run(t, ctx, chromedp.Navigate(s.URL+"/admin/settings"), chromedp.WaitVisible(chromedp.ID("graceDays")))
	screenshot(t, ctx, "settings")

	// A viewer sees the person but is refused the action.
	run(t, ctx, chromedp.Click(chromedp.CSS(`button.link`)), chromedp.WaitVisible(chromedp.ID("#tenant")))
	browserSignIn(t, ctx, s, s.A.ID, "viewer@a.test")
	other := "/admin/people/" + string(mustUser(t, s, s.A.ID, "E-200", "e200@a.test").ID)
	run(t, ctx, chromedp.Navigate(s.URL+other+"/suspend"), chromedp.WaitVisible(chromedp.CSS("h1")))
	if text := mainText(t, ctx); !strings.Contains(text, "cannot do this") {
		t.Fatalf("a viewer's suspend page:\n%s", text)
	}

	// An idle session ends: the next page asks to sign in again.
	s.Clock.Advance(lethe.ConsoleIdleTimeout + time.Minute)
	run(t, ctx, chromedp.Navigate(s.URL+"/admin/people"), chromedp.WaitVisible(chromedp.ID("#tenant")))
	if text := mainText(t, ctx); !strings.Contains(text, "session has ended") {
		t.Fatalf("after the idle timeout:\n%s", text)
	}
}

// TestConsoleBrowser_BulkAndAudit uploads a CSV, reads the dry run, runs
// it for real and watches it finish; then runs a dormant audit, excludes a
// row and applies it; and a post without the form's token is refused.
func TestConsoleBrowser_BulkAndAudit(t *testing.T) {
	s := MustStartServer(t)
	ctx := mustBrowser(t)
	s.mustConsoleAccount(t, s.A.ID, "ops@a.test", lethe.RoleAdmin)
	for _, ref := range []string{"OLD-1", "OLD-2", "OLD-3"} {
		mustUser(t, s, s.A.ID, ref, strings.ToLower(ref)+"@a.test")
	}
	s.Clock.Advance(100 * lethe.Day)
	leavers := []*lethe.User{mustUser(t, s, s.A.ID, "L-1", "l1@a.test"), mustUser(t, s, s.A.ID, "L-2", "l2@a.test")}
	csvPath := filepath.Join(t.TempDir(), "leavers.csv")
	if err := os.WriteFile(csvPath, []byte("ref\nL-1\nNOBODY\nL-2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	browserSignIn(t, ctx, s, s.A.ID, "ops@a.test")

	run(t, ctx, chromedp.Navigate(s.URL+"/admin/bulk"), chromedp.WaitVisible(chromedp.ID("file")),
		chromedp.SetValue(chromedp.ID("action"), "suspend"), chromedp.SetUploadFiles(chromedp.ID("file"), []string{csvPath}))
	screenshot(t, ctx, "bulk")
	run(t, ctx, chromedp.Click(chromedp.CSS(`form[action="/admin/bulk"] button`)), chromedp.WaitVisible(chromedp.CSS("progress")))
	mustRunJobs(t, s)
	// The page reloads itself until the dry run is done.
	run(t, ctx, chromedp.WaitVisible(chromedp.CSS(`form[action$="/run"] button`)))
	if text := mainText(t, ctx); !strings.Contains(text, "unknown user") || !strings.Contains(text, "Ada Lovelace-L-1") {
		t.Fatalf("the dry run:\n%s", text)
	}
	screenshot(t, ctx, "bulk-dry-run")
	run(t, ctx, chromedp.Click(chromedp.CSS(`form[action$="/run"] button`)), chromedp.WaitVisible(chromedp.CSS("progress")))
	mustRunJobs(t, s)
	run(t, ctx, chromedp.WaitVisible(chromedp.CSS(`a[href$="/results.csv"]`)))
	if text := mainText(t, ctx); !strings.Contains(text, "succeeded") || !strings.Contains(text, "done: 2") {
		t.Fatalf("the job after it ran:\n%s", text)
	}
	for _, u := range leavers {
		if got, err := sqldb.NewUserService(s.db).FindUser(tenantCtx(s.A.ID), lethe.ByID(u.ID)); err != nil || got.State != lethe.StateSuspended {
			t.Fatalf("a leaver after the job: %+v %v", got, err)
		}
	}

	// A dormant audit: the three never-used accounts; one is excluded.
	run(t, ctx, chromedp.Navigate(s.URL+"/admin/audits"), chromedp.WaitVisible(chromedp.ID("neverLoggedInDays")))
	screenshot(t, ctx, "audit")
	run(t, ctx, chromedp.Click(chromedp.CSS(`form[action="/admin/audits"] button`)), chromedp.WaitVisible(chromedp.CSS(`input[name="userId"]`)))
	screenshot(t, ctx, "audit-preview")
	run(t, ctx, chromedp.Click(chromedp.CSS(`input[name="userId"]`)), chromedp.Click(chromedp.CSS(`form[action$="/exclude"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`.alert.notice`)), chromedp.Click(chromedp.CSS(`form[action$="/apply"] button`)),
		// Only the applied (queued) job's page has a progress bar: the apply has committed.
		chromedp.WaitVisible(chromedp.CSS("progress")))
	mustRunJobs(t, s)
	// The page reloads itself until the job is done.
	run(t, ctx, chromedp.WaitVisible(chromedp.CSS(`a[href$="/results.csv"]`)))
	if text := mainText(t, ctx); !strings.Contains(text, "excluded: 1") || !strings.Contains(text, "done: 2") {
		t.Fatalf("the applied audit:\n%s", text)
	}

	// A form without the session's token, posted from the console's own
	// origin (the page's script is the test's), is refused, and nothing changes.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const f = document.createElement("form"); f.method = "post";
		f.action = "/admin/people/`+string(leavers[0].ID)+`/reactivate"; const i = document.createElement("input");
		i.type = "hidden"; i.name = "once"; i.value = "`+strings.Repeat("x", 43)+`"; f.appendChild(i);
		document.body.appendChild(f); f.submit(); return true })()`)); err != nil {
		t.Fatal(err)
	}
	run(t, ctx, chromedp.WaitVisible(chromedp.CSS(".alert.error")))
	if text := mainText(t, ctx); !strings.Contains(text, "nothing was changed") {
		t.Fatalf("a form without the CSRF token:\n%s", text)
	}
	if got, _ := sqldb.NewUserService(s.db).FindUser(tenantCtx(s.A.ID), lethe.ByID(leavers[0].ID)); got.State != lethe.StateSuspended {
		t.Fatal("the form without a token reactivated the person")
	}
}
