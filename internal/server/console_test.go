package server_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
)

// The admin console's pages and actions, through real HTTP with a cookie
// jar, as a browser sends them (with its Origin header on every post).

const consolePassword = "correct horse battery"

// browser is a console client: a cookie jar, and the last page read.
type browser struct {
	tb     testing.TB
	s      *testServer
	client *http.Client
	last   string
}

func (s *testServer) newBrowser(tb testing.TB) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		tb.Fatal(err)
	}
	return &browser{tb: tb, s: s, client: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// page is a console answer: its status, headers and HTML.
type page struct {
	Status int
	Header http.Header
	HTML   string
}

func (b *browser) do(req *http.Request) *page {
	b.tb.Helper()
	res, err := b.client.Do(req)
	if err != nil {
		b.tb.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		b.tb.Fatal(err)
	}
	b.last = string(body)
	return &page{Status: res.StatusCode, Header: res.Header, HTML: string(body)}
}

func (b *browser) get(path string) *page {
	b.tb.Helper()
	req, err := http.NewRequest(http.MethodGet, b.s.URL+path, nil)
	if err != nil {
		b.tb.Fatal(err)
	}
	return b.do(req)
}

// post sends a form as a browser does, from the console's own origin.
func (b *browser) post(path string, form url.Values) *page {
	b.tb.Helper()
	req, err := http.NewRequest(http.MethodPost, b.s.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.s.URL)
	return b.do(req)
}

var hiddenInput = regexp.MustCompile(`name="(csrf|once)" value="([^"]*)"`)

// form is the hidden fields (csrf, once) of the last page read, with more.
func (b *browser) form(kv ...string) url.Values {
	b.tb.Helper()
	v := url.Values{}
	for _, m := range hiddenInput.FindAllStringSubmatch(b.last, -1) {
		v.Set(m[1], m[2])
	}
	if v.Get("csrf") == "" {
		b.tb.Fatalf("the last page has no csrf field:\n%s", b.last)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// mustConsoleAccount makes an account with consolePassword in tenant.
func (s *testServer) mustConsoleAccount(tb testing.TB, tenant, email string, role lethe.ConsoleRole) *lethe.ConsoleAccount {
	tb.Helper()
	accounts := sqldb.NewConsoleService(s.db)
	ctx := lethe.WithActor(context.Background(), lethe.Actor{TenantID: lethe.TenantID(tenant), Source: lethe.SourceCLI, Name: "test"})
	a, token, err := accounts.CreateConsoleAccount(ctx, email, role)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := accounts.SetConsolePassword(context.Background(), token, consolePassword); err != nil {
		tb.Fatal(err)
	}
	return a
}

// signIn signs the browser in and checks where it lands.
func (b *browser) signIn(tenant, email string) {
	b.tb.Helper()
	b.get("/admin/signin")
	p := b.post("/admin/signin", b.form("tenant", tenant, "email", email, "password", consolePassword))
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/admin/people" {
		b.tb.Fatalf("sign in: %d %s\n%s", p.Status, p.Header.Get("Location"), p.HTML)
	}
	b.get("/admin/people")
}

// tenantCtx is tenant's actor for setting up data through the store.
func tenantCtx(tenant string) context.Context {
	return lethe.WithActor(context.Background(), lethe.Actor{TenantID: lethe.TenantID(tenant), Source: lethe.SourceCLI, Name: "test"})
}

func mustUser(tb testing.TB, s *testServer, tenant, ref, email string) *lethe.User {
	tb.Helper()
	first, last := "Ada", "Lovelace-"+ref
	u, err := sqldb.NewUserService(s.db).CreateUser(tenantCtx(tenant), ref, lethe.UserFields{FirstName: &first, LastName: &last, Email: &email})
	if err != nil {
		tb.Fatal(err)
	}
	return u
}

func TestConsole_SignIn(t *testing.T) {
	s := MustStartServer(t)
	s.mustConsoleAccount(t, s.A.ID, "ops@a.test", lethe.RoleAdmin)
	mustUser(t, s, s.A.ID, "P-1", "p1@a.test")
	b := s.newBrowser(t)

	if p := b.get("/admin/people"); p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Header.Get("Location"), "/admin/signin") {
		t.Fatalf("people without a session: %d %s", p.Status, p.Header.Get("Location"))
	}
	p := b.get("/admin/signin")
	if p.Status != http.StatusOK || !strings.Contains(p.Header.Get("Content-Security-Policy"), "script-src 'self'") ||
		p.Header.Get("Cache-Control") != "no-store" || p.Header.Get("X-Frame-Options") != "DENY" {
		t.Fatalf("sign-in page: %d %v", p.Status, p.Header)
	}
	// A wrong password, an unknown email and another tenant all answer the
	// same, and the form keeps what was typed.
	for _, c := range []struct{ tenant, email, password string }{
		{s.A.ID, "ops@a.test", "wrong password!"}, {s.A.ID, "nobody@a.test", consolePassword}, {s.B.ID, "ops@a.test", consolePassword},
	} {
		p := b.post("/admin/signin", b.form("tenant", c.tenant, "email", c.email, "password", c.password))
		if p.Status != http.StatusUnauthorized || !strings.Contains(p.HTML, "is not right") || !strings.Contains(p.HTML, `value="`+c.email+`"`) {
			t.Fatalf("sign in as %+v: %d\n%s", c, p.Status, p.HTML)
		}
	}
	b.get("/admin/signin")
	p = b.post("/admin/signin", b.form("tenant", s.A.ID, "email", "OPS@a.test", "password", consolePassword))
	if p.Status != http.StatusSeeOther {
		t.Fatalf("sign in: %d\n%s", p.Status, p.HTML)
	}
	cookie := p.Header.Get("Set-Cookie")
	for _, want := range []string{"lethe_console=", "HttpOnly", "SameSite=Strict", "Path=/admin"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("session cookie %q lacks %s", cookie, want)
		}
	}
	if p := b.get("/admin/people"); p.Status != http.StatusOK || !strings.Contains(p.HTML, "P-1") || strings.Contains(p.HTML, "<script>") {
		t.Fatalf("people: %d\n%s", p.Status, p.HTML)
	}
	// Signing out ends the session: the cookie no longer opens a page.
	b.post("/admin/signout", b.form())
	if p := b.get("/admin/people"); p.Status != http.StatusSeeOther {
		t.Fatalf("people after sign-out: %d", p.Status)
	}
}

func TestConsole_SignInThrottled(t *testing.T) {
	s := MustStartServer(t)
	s.mustConsoleAccount(t, s.A.ID, "ops@a.test", lethe.RoleAdmin)
	b := s.newBrowser(t)
	b.get("/admin/signin")
	for range 5 {
		b.post("/admin/signin", b.form("tenant", s.A.ID, "email", "ops@a.test", "password", "not the password"))
	}
	// The sixth attempt is refused before the password is checked, even the right one.
	p := b.post("/admin/signin", b.form("tenant", s.A.ID, "email", "ops@a.test", "password", consolePassword))
	if p.Status != http.StatusTooManyRequests || p.Header.Get("Retry-After") == "" {
		t.Fatalf("sixth attempt: %d %v", p.Status, p.Header)
	}
	s.Clock.Advance(16 * time.Minute)
	b.signIn(s.A.ID, "ops@a.test")
}

func TestConsole_CSRF(t *testing.T) {
	s := MustStartServer(t)
	s.mustConsoleAccount(t, s.A.ID, "ops@a.test", lethe.RoleAdmin)
	u := mustUser(t, s, s.A.ID, "P-1", "p1@a.test")
	b := s.newBrowser(t)
	b.signIn(s.A.ID, "ops@a.test")
	b.get("/admin/people/" + string(u.ID) + "/suspend")
	form := b.form()
	noToken := url.Values{"once": {form.Get("once")}}
	if p := b.post("/admin/people/"+string(u.ID)+"/suspend", noToken); p.Status != http.StatusForbidden {
		t.Fatalf("a post without the CSRF token: %d", p.Status)
	}
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/admin/people/"+string(u.ID)+"/suspend", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	if p := b.do(req); p.Status != http.StatusForbidden {
		t.Fatalf("a post from another origin: %d", p.Status)
	}
	got, err := sqldb.NewUserService(s.db).FindUser(tenantCtx(s.A.ID), lethe.ByID(u.ID))
	if err != nil || got.State != lethe.StateActive {
		t.Fatalf("after refused posts: %v %v; want the user active", got, err)
	}
}

func TestConsole_Delete(t *testing.T) {
	s := MustStartServer(t)
	admin := s.mustConsoleAccount(t, s.A.ID, "ops@a.test", lethe.RoleOperator)
	u := mustUser(t, s, s.A.ID, "LEAVER-1", "leaver@a.test")
	content := strings.Repeat("0", 23) + "7"
	title, kind := "Fire safety", "video"
	ctx := tenantCtx(s.A.ID)
	if _, err := sqldb.NewContentService(s.db).CreateContent(ctx, content, lethe.ContentFields{Title: &title, Type: &kind}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := sqldb.NewCompletionService(s.db).CreateCompletion(ctx, u.ID, content, s.Clock.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	b := s.newBrowser(t)
	b.signIn(s.A.ID, "ops@a.test")

	// Found by email, through a post: the email stays out of the URL.
	if p := b.post("/admin/people/search", b.form("q", "LEAVER@a.test")); p.Status != http.StatusOK || !strings.Contains(p.HTML, "/admin/people/"+string(u.ID)) {
		t.Fatalf("search by email: %d\n%s", p.Status, p.HTML)
	}
	if p := b.get("/admin/people/" + string(u.ID)); !strings.Contains(p.HTML, "<dt>Completions</dt><dd>1") || !strings.Contains(p.HTML, "<code>"+content+"</code>") {
		t.Fatalf("the person's records:\n%s", p.HTML)
	}
	p := b.get("/admin/people/" + string(u.ID) + "/delete")
	if p.Status != http.StatusOK || !strings.Contains(p.HTML, "completions: 1") || !strings.Contains(p.HTML, "person: 1") {
		t.Fatalf("confirmation: %d\n%s", p.Status, p.HTML)
	}
	if strings.Contains(p.Header.Get("Content-Type"), "json") || !strings.Contains(p.HTML, "cannot be undone") {
		t.Fatalf("confirmation does not warn:\n%s", p.HTML)
	}
	form := b.form()
	p = b.post("/admin/people/"+string(u.ID)+"/delete", form)
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/admin/people/"+string(u.ID)+"?done=delete" {
		t.Fatalf("delete: %d %s\n%s", p.Status, p.Header.Get("Location"), p.HTML)
	}
	p = b.get(p.Header.Get("Location"))
	if !strings.Contains(p.HTML, "Erasure receipt") || !strings.Contains(p.HTML, "Nothing erased is left") ||
		!strings.Contains(p.HTML, "<dt>Completions</dt><dd>1") ||
		strings.Contains(p.HTML, "leaver@a.test") || strings.Contains(p.HTML, "Lovelace") {
		t.Fatalf("person page after the erasure:\n%s", p.HTML)
	}
	// The same form again acts once.
	if p := b.post("/admin/people/"+string(u.ID)+"/delete", form); p.Status != http.StatusSeeOther || !strings.HasSuffix(p.Header.Get("Location"), "done=repeated") {
		t.Fatalf("the form sent twice: %d %s", p.Status, p.Header.Get("Location"))
	}
	// The trail names the console account.
	e, err := sqldb.NewUserService(s.db).FindErasure(ctx, u.ID)
	if err != nil || e.Source != lethe.SourceConsole || e.Actor != admin.ID {
		t.Fatalf("erasure by %v/%q (%v), want console/%s", e.Source, e.Actor, err, admin.ID)
	}
	if strings.Contains(s.Logs.String(), "leaver@a.test") || strings.Contains(s.Logs.String(), "LEAVER") {
		t.Fatal("the logs hold the person's data")
	}
}

func TestConsole_RefusalsAndRoles(t *testing.T) {
	s := MustStartServer(t)
	s.mustConsoleAccount(t, s.A.ID, "viewer@a.test", lethe.RoleViewer)
	s.mustConsoleAccount(t, s.A.ID, "ops@a.test", lethe.RoleOperator)
	u := mustUser(t, s, s.A.ID, "P-1", "p1@a.test")
	if _, err := sqldb.NewUserService(s.db).RecordLogin(tenantCtx(s.A.ID), lethe.ByID(u.ID)); err != nil {
		t.Fatal(err)
	}
	viewer := s.newBrowser(t)
	viewer.signIn(s.A.ID, "viewer@a.test")
	if p := viewer.get("/admin/people/" + string(u.ID)); p.Status != http.StatusOK || strings.Contains(p.HTML, "/suspend") {
		t.Fatalf("a viewer's person page: %d (offers actions?)\n%s", p.Status, p.HTML)
	}
	if p := viewer.get("/admin/people/" + string(u.ID) + "/suspend"); p.Status != http.StatusForbidden {
		t.Fatalf("a viewer's confirmation page: %d", p.Status)
	}
	if p := viewer.post("/admin/people/"+string(u.ID)+"/suspend", viewer.form("once", strings.Repeat("x", 43))); p.Status != http.StatusForbidden {
		t.Fatalf("a viewer's suspend: %d", p.Status)
	}

	ops := s.newBrowser(t)
	ops.signIn(s.A.ID, "ops@a.test")
	// A used account cannot be purged: the page says why and offers no button.
	p := ops.get("/admin/people/" + string(u.ID) + "/purge")
	if p.Status != http.StatusOK || !strings.Contains(p.HTML, "cannot be purged") || strings.Contains(p.HTML, `name="once"`) {
		t.Fatalf("purge of a used account:\n%s", p.HTML)
	}
	// A bad end date is shown next to its field, with what was typed.
	ops.get("/admin/people/" + string(u.ID) + "/suspend")
	p = ops.post("/admin/people/"+string(u.ID)+"/suspend", ops.form("endDate", "31/01/2027"))
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.HTML, `value="31/01/2027"`) || !strings.Contains(p.HTML, "endDate-error") {
		t.Fatalf("bad end date: %d\n%s", p.Status, p.HTML)
	}
	p = ops.post("/admin/people/"+string(u.ID)+"/suspend", ops.form("endDate", "2027-01-31"))
	if p.Status != http.StatusSeeOther {
		t.Fatalf("suspend: %d\n%s", p.Status, p.HTML)
	}
	got, err := sqldb.NewUserService(s.db).FindUser(tenantCtx(s.A.ID), lethe.ByID(u.ID))
	if err != nil || got.State != lethe.StateSuspended || got.EndDate == nil {
		t.Fatalf("after suspend: %+v %v", got, err)
	}
	// Another tenant's person is not found.
	other := mustUser(t, s, s.B.ID, "B-1", "b1@b.test")
	if p := ops.get("/admin/people/" + string(other.ID)); p.Status != http.StatusNotFound {
		t.Fatalf("another tenant's person: %d", p.Status)
	}
}

func TestConsole_SessionExpires(t *testing.T) {
	s := MustStartServer(t)
	s.mustConsoleAccount(t, s.A.ID, "ops@a.test", lethe.RoleAdmin)
	b := s.newBrowser(t)
	b.signIn(s.A.ID, "ops@a.test")
	s.Clock.Advance(lethe.ConsoleIdleTimeout + time.Minute)
	if p := b.get("/admin/people"); p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/admin/signin?expired=1" {
		t.Fatalf("an idle session: %d %s", p.Status, p.Header.Get("Location"))
	}
}

// totpCode is RFC 6238's code of secret (base32, no padding) at t.
func totpCode(tb testing.TB, secret string, t time.Time) string {
	tb.Helper()
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		tb.Fatal(err)
	}
	var counter [8]byte
	binary.BigEndian.PutUint64(counter[:], uint64(t.Unix()/30))
	m := hmac.New(sha1.New, key)
	m.Write(counter[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	n := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%06d", n%1_000_000)
}

var totpKey = regexp.MustCompile(`name="secret" value="([A-Z2-7]+)"`)

func TestConsole_TOTP(t *testing.T) {
	s := MustStartServer(t)
	s.mustConsoleAccount(t, s.A.ID, "ops@a.test", lethe.RoleViewer)
	b := s.newBrowser(t)
	b.signIn(s.A.ID, "ops@a.test")
	b.get("/admin/account")
	p := b.post("/admin/account/totp", b.form())
	m := totpKey.FindStringSubmatch(p.HTML)
	if p.Status != http.StatusOK || m == nil || !strings.Contains(p.HTML, "otpauth://totp/Lethe:adm_") || strings.Contains(p.HTML, "otpauth://totp/Lethe:ops") {
		t.Fatalf("start: %d\n%s", p.Status, p.HTML)
	}
	secret := m[1]
	if p := b.post("/admin/account/totp/confirm", b.form("secret", secret, "code", "000000")); p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.HTML, "code-error") {
		t.Fatalf("a wrong code: %d\n%s", p.Status, p.HTML)
	}
	if p := b.post("/admin/account/totp/confirm", b.form("code", totpCode(t, secret, s.Clock.Now()))); p.Status != http.StatusSeeOther {
		t.Fatalf("the right code: %d\n%s", p.Status, p.HTML)
	}
	b.get("/admin/account")
	b.post("/admin/signout", b.form())
	// Now sign-in needs the code: without it, and with the code already used, it is refused.
	s.Clock.Advance(30 * time.Second)
	b.get("/admin/signin")
	if p := b.post("/admin/signin", b.form("tenant", s.A.ID, "email", "ops@a.test", "password", consolePassword)); p.Status != http.StatusUnauthorized {
		t.Fatalf("sign in without the code: %d", p.Status)
	}
	code := totpCode(t, secret, s.Clock.Now())
	if p := b.post("/admin/signin", b.form("tenant", s.A.ID, "email", "ops@a.test", "password", consolePassword, "code", code)); p.Status != http.StatusSeeOther {
		t.Fatalf("sign in with the code: %d\n%s", p.Status, p.HTML)
	}
	b2 := s.newBrowser(t)
	b2.get("/admin/signin")
	if p := b2.post("/admin/signin", b2.form("tenant", s.A.ID, "email", "ops@a.test", "password", consolePassword, "code", code)); p.Status != http.StatusUnauthorized {
		t.Fatalf("the same code replayed: %d", p.Status)
	}
}

// upload posts the bulk form as a browser does: the CSRF token first, then
// the action, the end date and the file.
func (b *browser) upload(csrf string, fields [][2]string, file string) *page {
	b.tb.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if csrf != "" {
		mw.WriteField("csrf", csrf)
	}
	for _, f := range fields {
		mw.WriteField(f[0], f[1])
	}
	fw, err := mw.CreateFormFile("file", "people.csv")
	if err != nil {
		b.tb.Fatal(err)
	}
	io.WriteString(fw, file)
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, b.s.URL+"/admin/bulk", &body)
	if err != nil {
		b.tb.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", b.s.URL)
	return b.do(req)
}

func mustRunJobs(tb testing.TB, s *testServer) {
	tb.Helper()
	if _, err := sqldb.NewJobService(s.db).RunJobs(context.Background()); err != nil {
		tb.Fatal(err)
	}
}

func TestConsole_BulkCSV(t *testing.T) {
	s := MustStartServer(t)
	s.mustConsoleAccount(t, s.A.ID, "ops@a.test", lethe.RoleOperator)
	s.mustConsoleAccount(t, s.A.ID, "viewer@a.test", lethe.RoleViewer)
	u1, u2 := mustUser(t, s, s.A.ID, "B-1", "b1@a.test"), mustUser(t, s, s.A.ID, "B-2", "b2@a.test")
	b := s.newBrowser(t)
	b.signIn(s.A.ID, "ops@a.test")
	b.get("/admin/bulk")
	csrf := b.form().Get("csrf")
	// Bad input is shown next to its field and nothing is made.
	p := b.upload(csrf, [][2]string{{"action", "explode"}}, "ref\nB-1\n")
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.HTML, "action-error") {
		t.Fatalf("a bad action: %d\n%s", p.Status, p.HTML)
	}
	if p := b.upload(csrf, [][2]string{{"action", "suspend"}}, "colour\nred\n"); p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.HTML, "file-error") {
		t.Fatalf("a CSV without an id, ref or email column: %d\n%s", p.Status, p.HTML)
	}
	if p := b.upload("", [][2]string{{"action", "suspend"}}, "ref\nB-1\n"); p.Status != http.StatusForbidden {
		t.Fatalf("an upload without the CSRF token: %d", p.Status)
	}
	// A dry run first: the page shows each row, and nothing changes.
	p = b.upload(csrf, [][2]string{{"action", "suspend"}, {"endDate", "2027-01-31"}}, "ref\nB-1\nNOBODY\nB-2\n")
	if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Header.Get("Location"), "/admin/jobs/") {
		t.Fatalf("upload: %d\n%s", p.Status, p.HTML)
	}
	dryURL := p.Header.Get("Location")
	if p := b.get(dryURL); !strings.Contains(p.HTML, `http-equiv="refresh"`) {
		t.Fatalf("a queued job's page does not reload itself:\n%s", p.HTML)
	}
	mustRunJobs(t, s)
	p = b.get(dryURL)
	if !strings.Contains(p.HTML, "Dry run") || !strings.Contains(p.HTML, string(u1.ID)) || !strings.Contains(p.HTML, "unknown user") ||
		!strings.Contains(p.HTML, "Run it for real") || strings.Contains(p.HTML, "NOBODY") || strings.Contains(p.HTML, `http-equiv="refresh"`) {
		t.Fatalf("the dry run's page:\n%s", p.HTML)
	}
	users := sqldb.NewUserService(s.db)
	if got, _ := users.FindUser(tenantCtx(s.A.ID), lethe.ByID(u1.ID)); got.State != lethe.StateActive {
		t.Fatal("the dry run suspended the user")
	}
	// A viewer may read the job but not run it.
	viewer := s.newBrowser(t)
	viewer.signIn(s.A.ID, "viewer@a.test")
	if p := viewer.get(dryURL); p.Status != http.StatusOK || strings.Contains(p.HTML, "Run it for real") {
		t.Fatalf("a viewer's job page: %d", p.Status)
	}
	if p := viewer.post(dryURL+"/run", viewer.form("once", strings.Repeat("x", 43))); p.Status != http.StatusForbidden {
		t.Fatalf("a viewer running the job: %d", p.Status)
	}
	// Run for real: the two people are suspended, with the end date.
	form := b.form()
	p = b.post(dryURL+"/run", form)
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") == dryURL {
		t.Fatalf("run: %d %s\n%s", p.Status, p.Header.Get("Location"), p.HTML)
	}
	realURL := p.Header.Get("Location")
	if p := b.post(dryURL+"/run", form); p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/admin/jobs" {
		t.Fatalf("the run form sent twice: %d %s", p.Status, p.Header.Get("Location"))
	}
	mustRunJobs(t, s)
	for _, u := range []*lethe.User{u1, u2} {
		got, err := users.FindUser(tenantCtx(s.A.ID), lethe.ByID(u.ID))
		if err != nil || got.State != lethe.StateSuspended || got.EndDate == nil {
			t.Fatalf("after the job: %+v %v", got, err)
		}
	}
	if jobs, total, err := sqldb.NewJobService(s.db).FindJobs(tenantCtx(s.A.ID), lethe.JobFilter{Limit: 10}); err != nil || total != 2 {
		t.Fatalf("jobs: %d (%v), want the dry run and one real job", total, err)
	} else if jobs[0].Source != lethe.SourceConsole {
		t.Fatalf("the job's source is %q, want console", jobs[0].Source)
	}
	p = b.get(realURL + "/results.csv")
	lines := strings.Split(strings.TrimSpace(p.HTML), "\n")
	if p.Status != http.StatusOK || len(lines) != 3 || lines[0] != "line,userId,action,outcome,reason" || strings.Contains(p.HTML, "B-1") {
		t.Fatalf("results: %d\n%s", p.Status, p.HTML)
	}
}

func TestConsole_DormantAudit(t *testing.T) {
	s := MustStartServer(t)
	s.mustConsoleAccount(t, s.A.ID, "ops@a.test", lethe.RoleOperator)
	var never []*lethe.User
	for _, ref := range []string{"D-1", "D-2", "D-3"} {
		never = append(never, mustUser(t, s, s.A.ID, ref, strings.ToLower(ref)+"@a.test"))
	}
	admin := lethe.RoleAdministrator
	first, last, email := "Root", "Admin", "root@a.test"
	rootUser, err := sqldb.NewUserService(s.db).CreateUser(tenantCtx(s.A.ID), "ADMIN-1", lethe.UserFields{FirstName: &first, LastName: &last,
		Email: &email, Role: &admin})
	if err != nil {
		t.Fatal(err)
	}
	s.Clock.Advance(100 * lethe.Day)
	active := mustUser(t, s, s.A.ID, "FRESH-1", "fresh@a.test")
	b := s.newBrowser(t)
	b.signIn(s.A.ID, "ops@a.test")
	b.get("/admin/audits")
	// Bad input stays in its field, with the problem next to it.
	p := b.post("/admin/audits", b.form("neverLoggedInDays", "ninety"))
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.HTML, "never-error") || !strings.Contains(p.HTML, `value="ninety"`) {
		t.Fatalf("bad days: %d\n%s", p.Status, p.HTML)
	}
	if p := b.post("/admin/audits", b.form("neverLoggedInDays", "")); p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.HTML, "at least one rule") {
		t.Fatalf("no rule: %d\n%s", p.Status, p.HTML)
	}
	p = b.post("/admin/audits", b.form("neverLoggedInDays", "90", "excludeAdmins", "1"))
	if p.Status != http.StatusSeeOther {
		t.Fatalf("audit: %d\n%s", p.Status, p.HTML)
	}
	jobURL := p.Header.Get("Location")
	p = b.get(jobURL)
	for _, u := range never {
		if !strings.Contains(p.HTML, string(u.ID)) {
			t.Fatalf("the preview lacks %s:\n%s", u.ID, p.HTML)
		}
	}
	if strings.Contains(p.HTML, string(active.ID)) || strings.Contains(p.HTML, string(rootUser.ID)) || !strings.Contains(p.HTML, "Apply the audit") || !strings.Contains(p.HTML, "purge") {
		t.Fatalf("the preview:\n%s", p.HTML)
	}
	// The reviewer keeps D-3: ticked and excluded, it is left alone.
	if p := b.post(jobURL+"/exclude", b.form("userId", string(never[2].ID))); p.Status != http.StatusSeeOther {
		t.Fatalf("exclude: %d\n%s", p.Status, p.HTML)
	}
	if p := b.get(jobURL + "?done=excluded"); !strings.Contains(p.HTML, "excluded") || strings.Contains(p.HTML, `value="`+string(never[2].ID)+`"`) {
		t.Fatalf("the preview after the exclusion:\n%s", p.HTML)
	}
	form := b.form()
	if p := b.post(jobURL+"/apply", form); p.Status != http.StatusSeeOther {
		t.Fatalf("apply: %d\n%s", p.Status, p.HTML)
	}
	mustRunJobs(t, s)
	users := sqldb.NewUserService(s.db)
	if _, err := users.FindUser(tenantCtx(s.A.ID), lethe.ByID(never[2].ID)); err != nil {
		t.Fatalf("the excluded account after the audit: %v", err)
	}
	for _, u := range never[:2] {
		if _, err := users.FindUser(tenantCtx(s.A.ID), lethe.ByID(u.ID)); lethe.ErrorCode(err) != lethe.ENotFound {
			t.Fatalf("a never-used account after the audit: %v, want purged", err)
		}
	}
	if _, err := users.FindUser(tenantCtx(s.A.ID), lethe.ByID(active.ID)); err != nil {
		t.Fatalf("the fresh account: %v", err)
	}
	if p := b.get("/admin/audits"); !strings.Contains(p.HTML, jobURL[len("/admin/jobs/"):]) {
		t.Fatalf("the audits list lacks the audit:\n%s", p.HTML)
	}
}

func TestConsole_Receipts(t *testing.T) {
	s := MustStartServer(t)
	s.mustConsoleAccount(t, s.A.ID, "dpo@a.test", lethe.RoleViewer)
	u := mustUser(t, s, s.A.ID, "GONE-1", "gone@a.test")
	if _, err := sqldb.NewUserService(s.db).EraseUser(tenantCtx(s.A.ID), lethe.ByID(u.ID)); err != nil {
		t.Fatal(err)
	}
	b := s.newBrowser(t)
	b.signIn(s.A.ID, "dpo@a.test")
	if p := b.get("/admin/receipts"); p.Status != http.StatusOK || !strings.Contains(p.HTML, "/admin/receipts/"+string(u.ID)) {
		t.Fatalf("receipts: %d\n%s", p.Status, p.HTML)
	}
	p := b.get("/admin/receipts/" + string(u.ID))
	if p.Status != http.StatusOK || !strings.Contains(p.HTML, "Valid</span>") || !strings.Contains(p.HTML, "Nothing erased can be found") {
		t.Fatalf("receipt: %d\n%s", p.Status, p.HTML)
	}
	p = b.get("/admin/receipts/" + string(u.ID) + "/receipt.json")
	if p.Status != http.StatusOK || !strings.Contains(p.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("download: %d %v", p.Status, p.Header)
	}
	receipt := p.HTML
	pub := s.db.SigningKey().Public().(ed25519.PublicKey)
	if err := lethe.VerifyReceipt(pub, []byte(strings.TrimSpace(receipt))); err != nil {
		t.Fatalf("the downloaded receipt does not verify: %v\n%s", err, receipt)
	}
	if strings.Contains(receipt, "gone@a.test") || strings.Contains(receipt, "GONE-1") {
		t.Fatalf("the receipt holds personal data:\n%s", receipt)
	}
	// Handed back, it checks; changed, it does not.
	b.get("/admin/receipts/verify")
	if p := b.post("/admin/receipts/verify", b.form("receipt", receipt)); !strings.Contains(p.HTML, "unchanged since") {
		t.Fatalf("checking the receipt:\n%s", p.HTML)
	}
	tampered := strings.Replace(receipt, `"mode":"erase"`, `"mode":"anonymize"`, 1)
	if tampered == receipt {
		t.Fatal("the test could not change the receipt")
	}
	if p := b.post("/admin/receipts/verify", b.form("receipt", tampered)); !strings.Contains(p.HTML, "does not match") {
		t.Fatalf("checking a changed receipt:\n%s", p.HTML)
	}
	if p := b.post("/admin/receipts/verify", b.form("receipt", "not json")); p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("checking garbage: %d", p.Status)
	}
	// Another tenant's console does not find it.
	s.mustConsoleAccount(t, s.B.ID, "dpo@b.test", lethe.RoleAdmin)
	other := s.newBrowser(t)
	other.signIn(s.B.ID, "dpo@b.test")
	if p := other.get("/admin/receipts/" + string(u.ID)); p.Status != http.StatusNotFound {
		t.Fatalf("another tenant's receipt: %d", p.Status)
	}
	other.get("/admin/receipts/verify")
	if p := other.post("/admin/receipts/verify", other.form("receipt", receipt)); !strings.Contains(p.HTML, "another organisation") {
		t.Fatalf("another tenant checking the receipt:\n%s", p.HTML)
	}
}

var shownSecret = regexp.MustCompile(`<code class="secret">([^<]+)</code>`)

func TestConsole_Settings(t *testing.T) {
	s := MustStartServer(t)
	s.mustConsoleAccount(t, s.A.ID, "admin@a.test", lethe.RoleAdmin)
	s.mustConsoleAccount(t, s.A.ID, "ops@a.test", lethe.RoleOperator)
	ops := s.newBrowser(t)
	ops.signIn(s.A.ID, "ops@a.test")
	if p := ops.get("/admin/settings"); p.Status != http.StatusForbidden || strings.Contains(ops.last, "Rotate") {
		t.Fatalf("an operator's settings page: %d", p.Status)
	}
	b := s.newBrowser(t)
	b.signIn(s.A.ID, "admin@a.test")
	b.get("/admin/settings")
	// A bad grace period stays in its field.
	p := b.post("/admin/settings/deletion", b.form("mode", "erase", "graceDays", "a week"))
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.HTML, "grace-error") || !strings.Contains(p.HTML, `value="a week"`) {
		t.Fatalf("a bad grace period: %d\n%s", p.Status, p.HTML)
	}
	if p := b.post("/admin/settings/deletion", b.form("mode", "restricted", "graceDays", "14")); p.Status != http.StatusSeeOther {
		t.Fatalf("save the policy: %d\n%s", p.Status, p.HTML)
	}
	st, err := sqldb.NewSettingsService(s.db).FindSettings(tenantCtx(s.A.ID))
	if err != nil || st.Deletion.Mode != lethe.DeletionModeRestricted || st.Deletion.GraceDays != 14 {
		t.Fatalf("settings after the save: %+v %v", st, err)
	}
	// Rotating the key shows the new one once; the old one stops working.
	b.get("/admin/settings")
	p = b.post("/admin/settings/api-key", b.form())
	m := shownSecret.FindStringSubmatch(p.HTML)
	if m == nil {
		t.Fatalf("the new key is not shown:\n%s", p.HTML)
	}
	if res := s.Do(t, s.A, http.MethodGet, "/rest/v1/users", ""); res.Status != http.StatusUnauthorized {
		t.Fatalf("the old key after rotation: %d", res.Status)
	}
	if res := s.Do(t, Tenant{ID: s.A.ID, Key: m[1]}, http.MethodGet, "/rest/v1/users", ""); res.Status != http.StatusOK {
		t.Fatalf("the new key: %d", res.Status)
	}
	// A SCIM token: made, listed, revoked.
	p = b.post("/admin/settings/scim-tokens", b.form("name", "entra-prod"))
	if m := shownSecret.FindStringSubmatch(p.HTML); m == nil || !strings.Contains(p.HTML, "entra-prod") {
		t.Fatalf("a new SCIM token:\n%s", p.HTML)
	}
	tokens, err := sqldb.NewSCIMTokenService(s.db).FindSCIMTokens(tenantCtx(s.A.ID))
	if err != nil || len(tokens) != 1 {
		t.Fatalf("tokens: %v %v", tokens, err)
	}
	if p := b.post("/admin/settings/scim-tokens/"+tokens[0].ID+"/revoke", b.form()); p.Status != http.StatusSeeOther {
		t.Fatalf("revoke: %d", p.Status)
	}
	if tokens, _ := sqldb.NewSCIMTokenService(s.db).FindSCIMTokens(tenantCtx(s.A.ID)); len(tokens) != 0 {
		t.Fatal("the token is still there")
	}
	// An OAuth client needs a scope.
	b.get("/admin/settings")
	if p := b.post("/admin/settings/oauth-clients", b.form("name", "zapier")); p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.HTML, "client-error") {
		t.Fatalf("a client without scopes: %d\n%s", p.Status, p.HTML)
	}
	if p := b.post("/admin/settings/oauth-clients", b.form("name", "zapier", "scope", "api/read")); shownSecret.FindStringSubmatch(p.HTML) == nil {
		t.Fatalf("a new client:\n%s", p.HTML)
	}
	// A subscription's page lists its deliveries, with a redeliver button.
	sub, err := sqldb.NewWebhookService(s.db).CreateSubscription(tenantCtx(s.A.ID), "https://hooks.example.com/lethe",
		lethe.SubscriptionTypes[:1], "", true)
	if err != nil {
		t.Fatal(err)
	}
	mustUser(t, s, s.A.ID, "HOOKED-1", "hooked@a.test")
	if p := b.get("/admin/settings"); !strings.Contains(p.HTML, "/admin/settings/webhooks/"+sub.ID) {
		t.Fatalf("settings lack the subscription:\n%s", p.HTML)
	}
	p = b.get("/admin/settings/webhooks/" + sub.ID)
	if p.Status != http.StatusOK || !strings.Contains(p.HTML, "user.created") || !strings.Contains(p.HTML, "pending") {
		t.Fatalf("the subscription's page: %d\n%s", p.Status, p.HTML)
	}
	deliveries, _, err := sqldb.NewWebhookService(s.db).FindDeliveries(tenantCtx(s.A.ID), lethe.DeliveryQuery{SubscriptionID: sub.ID, Limit: 1})
	if err != nil || len(deliveries) != 1 {
		t.Fatalf("deliveries: %v %v", deliveries, err)
	}
	if p := b.post("/admin/settings/webhooks/"+sub.ID+"/redeliver", b.form("event", deliveries[0].EventID)); p.Status != http.StatusSeeOther {
		t.Fatalf("redeliver: %d\n%s", p.Status, p.HTML)
	} else if p := b.get(p.Header.Get("Location")); !strings.Contains(p.HTML, "Nothing was queued again") {
		t.Fatalf("redelivering a pending event:\n%s", p.HTML)
	}
	// Another tenant's token cannot be revoked from here.
	_, _, err = sqldb.NewSCIMTokenService(s.db).CreateSCIMToken(tenantCtx(s.B.ID), "b-token")
	if err != nil {
		t.Fatal(err)
	}
	bTokens, _ := sqldb.NewSCIMTokenService(s.db).FindSCIMTokens(tenantCtx(s.B.ID))
	if p := b.post("/admin/settings/scim-tokens/"+bTokens[0].ID+"/revoke", b.form()); p.Status != http.StatusNotFound {
		t.Fatalf("revoking another tenant's token: %d", p.Status)
	}
}

// TestConsole_HostileInput sends bytes no stored value holds (a NUL, bad
// UTF-8) to every filter and form that reaches the store: each is a 4xx
// or an empty answer, never a 500 (PostgreSQL refuses them as text).
func TestConsole_HostileInput(t *testing.T) {
	s := MustStartServer(t)
	s.mustConsoleAccount(t, s.A.ID, "ops@a.test", lethe.RoleAdmin)
	b := s.newBrowser(t)
	b.signIn(s.A.ID, "ops@a.test")
	for _, path := range []string{"/admin/trail?action=%00", "/admin/trail?action=%FF", "/admin/trail?subject=%00",
		"/admin/reports?audienceId=%00", "/admin/reports?audienceId=%FF", "/admin/jobs/%00", "/admin/settings/webhooks/%00",
		"/admin/people?status=%00"} {
		if p := b.get(path); p.Status >= 500 {
			t.Errorf("GET %s: %d", path, p.Status)
		}
	}
	b.get("/admin/audits")
	if p := b.post("/admin/audits", b.form("neverLoggedInDays", "90", "excludeAudiences", "\x00")); p.Status >= 500 {
		t.Errorf("an audit excluding a NUL audience: %d", p.Status)
	}
	b.get("/admin/people")
	if p := b.post("/admin/people/search", b.form("q", "a\x00@b")); p.Status >= 500 {
		t.Errorf("a search with a NUL: %d", p.Status)
	}
	b.get("/admin/settings")
	if p := b.post("/admin/settings/scim-tokens", b.form("name", "x\x00")); p.Status >= 500 {
		t.Errorf("a token name with a NUL: %d", p.Status)
	}
	if p := b.post("/admin/settings/scim-tokens/%00/revoke", b.form()); p.Status >= 500 {
		t.Errorf("revoking a NUL token: %d", p.Status)
	}
}
