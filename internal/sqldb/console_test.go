package sqldb_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
	"github.com/lethehq/lethe/internal/testdb"
)

// testTOTP is the RFC 6238 code (SHA-1, six digits, 30 s) of a base32
// secret at t, written here apart from the store's own.
func testTOTP(tb testing.TB, secret string, t time.Time) string {
	tb.Helper()
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		tb.Fatalf("secret %q is not base32 without padding: %v", secret, err)
	}
	return testHOTP(key, uint64(t.Unix()/30))
}

func testHOTP(key []byte, counter uint64) string {
	msg := binary.BigEndian.AppendUint64(nil, counter)
	m := hmac.New(sha1.New, key)
	m.Write(msg)
	h := m.Sum(nil)
	o := int(h[19] & 15)
	v := (int(h[o])&0x7f)<<24 | int(h[o+1])<<16 | int(h[o+2])<<8 | int(h[o+3])
	return fmt.Sprintf("%06d", v%1000000)
}

func TestTestHOTP_RFC6238(t *testing.T) {
	// RFC 6238 appendix B, SHA-1, the last six of the eight digits.
	key := []byte("12345678901234567890")
	for at, want := range map[int64]string{59: "287082", 1111111109: "081804", 1234567890: "005924", 2000000000: "279037"} {
		if got := testHOTP(key, uint64(at/30)); got != want {
			t.Errorf("code at %d = %s, want %s", at, got, want)
		}
	}
}

// consoleFixture is a database with a clock, two tenants and the service.
type consoleFixture struct {
	dsn  string
	db   *sqldb.DB
	c    *clock
	a, b context.Context
	svc  *sqldb.ConsoleService
}

func newConsoleFixture(t *testing.T) *consoleFixture {
	f := &consoleFixture{dsn: testdb.DSN(t), c: &clock{t: time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)}}
	f.db = MustOpenDSN(t, f.dsn)
	f.db.Now = f.c.now
	f.a, f.b = MustTenant(t, f.db, "con-a"), MustTenant(t, f.db, "con-b")
	f.svc = sqldb.NewConsoleService(f.db)
	return f
}

// account creates an account of ctx's tenant with password.
func (f *consoleFixture) account(t *testing.T, ctx context.Context, email, password string) *lethe.ConsoleAccount {
	t.Helper()
	a, token, err := f.svc.CreateConsoleAccount(ctx, email, lethe.RoleOperator)
	if err != nil {
		t.Fatalf("create %s: %v", email, err)
	}
	if _, err := f.svc.SetConsolePassword(context.Background(), token, password); err != nil {
		t.Fatalf("set password: %v", err)
	}
	return a
}

func (f *consoleFixture) signIn(t *testing.T, tenant lethe.TenantID, email, password, code string) (string, *lethe.ConsoleSession) {
	t.Helper()
	token, s, err := f.svc.ConsoleSignIn(context.Background(), tenant, email, password, code)
	if err != nil {
		t.Fatalf("sign in %s: %v", email, err)
	}
	return token, s
}

func wantCode(t *testing.T, what string, err error, code lethe.Code, fieldName string) {
	t.Helper()
	if lethe.ErrorCode(err) != code || field(err) != fieldName {
		t.Errorf("%s: %v (field %q), want %s naming %q", what, err, field(err), code, fieldName)
	}
}

func TestConsoleService_Accounts(t *testing.T) {
	f := newConsoleFixture(t)
	ctx := context.Background()
	a, token, err := f.svc.CreateConsoleAccount(f.a, " Ops.Lead@Example.com ", lethe.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^adm_[0-9a-f]{24}$`).MatchString(a.ID) || a.Email != "Ops.Lead@Example.com" || a.Role != lethe.RoleAdmin ||
		a.HasPassword || a.TOTP || a.TenantID != "con-a" || !a.CreatedAt.Equal(f.c.t) || a.LastLoginAt != nil {
		t.Fatalf("created %+v", a)
	}
	if !regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`).MatchString(token) {
		t.Fatalf("set-password token %q, want 32 bytes of base64url", token)
	}
	t.Run("ErrCreate", func(t *testing.T) {
		for _, e := range []string{"", "nobody", "a b@example.com", "Ops <ops@example.com>", "x@example.com\u200b"} {
			_, _, err := f.svc.CreateConsoleAccount(f.a, e, lethe.RoleViewer)
			wantCode(t, fmt.Sprintf("email %q", e), err, lethe.EInvalid, "email")
		}
		for _, r := range []lethe.ConsoleRole{"", "root", "Admin"} {
			_, _, err := f.svc.CreateConsoleAccount(f.a, "r@example.com", r)
			wantCode(t, fmt.Sprintf("role %q", r), err, lethe.EInvalid, "role")
		}
		_, _, err := f.svc.CreateConsoleAccount(f.a, "OPS.LEAD@example.COM", lethe.RoleViewer)
		wantCode(t, "the same email in other case", err, lethe.EConflict, "email")
		if strings.Contains(lethe.ErrorMessage(err), "ops.lead") {
			t.Errorf("the conflict names the email: %q", lethe.ErrorMessage(err))
		}
		if _, _, err := f.svc.CreateConsoleAccount(f.b, "ops.lead@example.com", lethe.RoleViewer); err != nil {
			t.Errorf("the same email in another tenant: %v", err)
		}
		if _, _, err := f.svc.CreateConsoleAccount(ctx, "x@example.com", lethe.RoleViewer); lethe.ErrorCode(err) == "" {
			t.Error("created without an actor")
		}
	})
	t.Run("ErrPassword", func(t *testing.T) {
		for _, p := range []string{"", "short", strings.Repeat("é", lethe.MinConsolePasswordLength-1),
			strings.Repeat("x", lethe.MaxConsolePasswordLength+1)} {
			_, err := f.svc.SetConsolePassword(ctx, token, p)
			wantCode(t, fmt.Sprintf("password of %d characters", len([]rune(p))), err, lethe.EInvalid, "password")
		}
		for _, bad := range []string{"", "x", token + "x", strings.ToUpper(token)} {
			_, err := f.svc.SetConsolePassword(ctx, bad, "long enough password")
			wantCode(t, "unknown token", err, lethe.EUnauthenticated, "")
		}
	})
	t.Run("OKPassword", func(t *testing.T) {
		got, err := f.svc.SetConsolePassword(ctx, token, "correct horse battery")
		if err != nil || got.ID != a.ID || !got.HasPassword {
			t.Fatalf("SetConsolePassword = %+v, %v", got, err)
		}
		_, err = f.svc.SetConsolePassword(ctx, token, "another password")
		wantCode(t, "the token used again", err, lethe.EUnauthenticated, "")
		f.signIn(t, "con-a", "ops.lead@example.com", "correct horse battery", "")
	})
	t.Run("ErrLinkExpired", func(t *testing.T) {
		f.c.t = f.c.t.Add(time.Minute) // listed after the first
		_, tok, err := f.svc.CreateConsoleAccount(f.a, "late@example.com", lethe.RoleViewer)
		if err != nil {
			t.Fatal(err)
		}
		start := f.c.t
		defer func() { f.c.t = start }()
		f.c.t = start.Add(lethe.ConsoleSetPasswordLifetime)
		_, err = f.svc.SetConsolePassword(ctx, tok, "long enough password")
		wantCode(t, "a token after 72 hours", err, lethe.EUnauthenticated, "")
		f.c.t = start.Add(lethe.ConsoleSetPasswordLifetime - time.Minute)
		if _, err := f.svc.SetConsolePassword(ctx, tok, "long enough password"); err != nil {
			t.Errorf("a token a minute before it expires: %v", err)
		}
	})
	t.Run("OKList", func(t *testing.T) {
		list, err := f.svc.FindConsoleAccounts(f.a)
		if err != nil || len(list) != 2 || list[0].ID != a.ID || !list[0].HasPassword || list[0].LastLoginAt == nil ||
			list[1].Email != "late@example.com" {
			t.Fatalf("FindConsoleAccounts = %+v, %v", list, err)
		}
		if list, err := f.svc.FindConsoleAccounts(f.b); err != nil || len(list) != 1 || list[0].Email != "ops.lead@example.com" {
			t.Fatalf("the other tenant's accounts = %+v, %v", list, err)
		}
	})
}

func TestConsoleService_SignIn(t *testing.T) {
	f := newConsoleFixture(t)
	ctx := context.Background()
	acc := f.account(t, f.a, "signer@example.com", "the right password")
	f.account(t, f.b, "elsewhere@example.com", "other tenant's pw")
	_, unset, err := f.svc.CreateConsoleAccount(f.a, "unset@example.com", lethe.RoleViewer)
	if err != nil || unset == "" {
		t.Fatal(err)
	}
	var message string
	for _, c := range []struct{ name, tenant, email, password string }{
		{"wrong password", "con-a", "signer@example.com", "the wrong password"},
		{"unknown email", "con-a", "nobody@example.com", "the right password"},
		{"another tenant's account", "con-a", "elsewhere@example.com", "other tenant's pw"},
		{"unknown tenant", "con-x", "signer@example.com", "the right password"},
		{"no password set", "con-a", "unset@example.com", ""},
		{"empty", "", "", ""},
	} {
		_, s, err := f.svc.ConsoleSignIn(ctx, lethe.TenantID(c.tenant), c.email, c.password, "")
		if lethe.ErrorCode(err) != lethe.EUnauthenticated || s != nil {
			t.Errorf("%s: %+v, %v; want unauthenticated", c.name, s, err)
		}
		if message == "" {
			message = lethe.ErrorMessage(err)
		} else if lethe.ErrorMessage(err) != message {
			t.Errorf("%s: message %q, want the same as every failure's, %q", c.name, lethe.ErrorMessage(err), message)
		}
	}
	token, s := f.signIn(t, "con-a", "  SIGNER@example.com", "the right password", "")
	if !regexp.MustCompile(`^ses_[0-9a-f]{24}$`).MatchString(s.ID) || s.Account.ID != acc.ID || s.Account.LastLoginAt == nil ||
		!s.CreatedAt.Equal(f.c.t) || !s.ExpiresAt.Equal(f.c.t.Add(12*time.Hour)) || len(s.CSRFToken) != 43 || len(token) != 43 {
		t.Fatalf("session %+v, token %q", s, token)
	}
	if a := s.ConsoleActor(); a.TenantID != "con-a" || a.Source != lethe.SourceConsole || a.Name != acc.ID {
		t.Errorf("actor %+v", a)
	}
	got, err := f.svc.ConsoleSession(ctx, token)
	if err != nil || got.ID != s.ID || got.CSRFToken != s.CSRFToken || got.Account.Email != "signer@example.com" {
		t.Fatalf("ConsoleSession = %+v, %v", got, err)
	}
	for _, bad := range []string{"", "nope", s.ID, s.CSRFToken, token[:42] + "A"} {
		if _, err := f.svc.ConsoleSession(ctx, bad); lethe.ErrorCode(err) != lethe.EUnauthenticated {
			t.Errorf("ConsoleSession(%q) = %v, want unauthenticated", bad, err)
		}
	}
	list, _ := f.svc.FindConsoleAccounts(f.a)
	for _, a := range list {
		if a.ID == acc.ID && (a.LastLoginAt == nil || !a.LastLoginAt.Equal(f.c.t)) {
			t.Errorf("last sign-in %v, want %v", a.LastLoginAt, f.c.t)
		}
	}
	if len(list) != 2 {
		t.Errorf("accounts %+v, want 2", list)
	}
}

func TestConsoleService_Timeouts(t *testing.T) {
	f := newConsoleFixture(t)
	ctx := context.Background()
	f.account(t, f.a, "idle@example.com", "idle password")
	raw := rawDB(t, f.dsn)
	seen := func(id string) (v int64) {
		if err := raw.QueryRow(`SELECT seen_at FROM console_sessions WHERE tenant_id = 'con-a' AND id = $1`, id).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	t.Run("ErrIdle", func(t *testing.T) {
		token, s := f.signIn(t, "con-a", "idle@example.com", "idle password", "")
		f.c.t = f.c.t.Add(29 * time.Minute)
		if _, err := f.svc.ConsoleSession(ctx, token); err != nil {
			t.Fatalf("after 29 minutes: %v", err)
		}
		// seen_at is written at most once a minute, not on every look-up.
		before := seen(s.ID)
		f.c.t = f.c.t.Add(30 * time.Second)
		got, err := f.svc.ConsoleSession(ctx, token)
		if err != nil || seen(s.ID) != before || got.SeenAt.UnixMilli() != before {
			t.Fatalf("seen within the minute: %v, %d then %d", err, before, seen(s.ID))
		}
		f.c.t = f.c.t.Add(31 * time.Minute)
		if _, err := f.svc.ConsoleSession(ctx, token); lethe.ErrorCode(err) != lethe.EUnauthenticated {
			t.Fatalf("after 31 idle minutes: %v, want unauthenticated", err)
		}
	})
	t.Run("ErrLifetime", func(t *testing.T) {
		token, s := f.signIn(t, "con-a", "idle@example.com", "idle password", "")
		for f.c.t.Add(20 * time.Minute).Before(s.ExpiresAt) {
			f.c.t = f.c.t.Add(20 * time.Minute)
			if _, err := f.svc.ConsoleSession(ctx, token); err != nil {
				t.Fatalf("used every 20 minutes, at %v: %v", f.c.t.Sub(s.CreatedAt), err)
			}
			if seen(s.ID) != f.c.t.UnixMilli() {
				t.Fatalf("seen_at not written after 20 minutes")
			}
		}
		f.c.t = s.ExpiresAt
		if _, err := f.svc.ConsoleSession(ctx, token); lethe.ErrorCode(err) != lethe.EUnauthenticated {
			t.Fatalf("12 hours after sign-in: %v, want unauthenticated", err)
		}
	})
}

func TestConsoleService_SignOut(t *testing.T) {
	f := newConsoleFixture(t)
	ctx := context.Background()
	f.account(t, f.a, "out@example.com", "sign-out password")
	alive := func(token string) bool { _, err := f.svc.ConsoleSession(ctx, token); return err == nil }
	t.Run("OKOne", func(t *testing.T) {
		one, _ := f.signIn(t, "con-a", "out@example.com", "sign-out password", "")
		two, _ := f.signIn(t, "con-a", "out@example.com", "sign-out password", "")
		if err := f.svc.ConsoleSignOut(ctx, one, false); err != nil {
			t.Fatal(err)
		}
		if alive(one) || !alive(two) {
			t.Fatalf("after signing out one: %v, %v; want ended, alive", alive(one), alive(two))
		}
		if err := f.svc.ConsoleSignOut(ctx, one, false); err != nil {
			t.Errorf("signing out an ended session: %v", err)
		}
		if err := f.svc.ConsoleSignOut(ctx, "garbage", true); err != nil {
			t.Errorf("signing out an unknown token: %v", err)
		}
	})
	t.Run("OKEverywhere", func(t *testing.T) {
		one, _ := f.signIn(t, "con-a", "out@example.com", "sign-out password", "")
		two, _ := f.signIn(t, "con-a", "out@example.com", "sign-out password", "")
		if err := f.svc.ConsoleSignOut(ctx, one, true); err != nil {
			t.Fatal(err)
		}
		if alive(one) || alive(two) {
			t.Fatalf("after signing out everywhere: %v, %v; want both ended", alive(one), alive(two))
		}
	})
	t.Run("OKNewPasswordEndsSessions", func(t *testing.T) {
		a, link, err := f.svc.CreateConsoleAccount(f.a, "reset@example.com", lethe.RoleViewer)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SetConsolePassword(ctx, link, "first password"); err != nil {
			t.Fatal(err)
		}
		one, _ := f.signIn(t, "con-a", "reset@example.com", "first password", "")
		bystander, _ := f.signIn(t, "con-a", "out@example.com", "sign-out password", "")
		link2, err := f.svc.NewPasswordLink(f.a, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.NewPasswordLink(f.b, a.ID); lethe.ErrorCode(err) != lethe.ENotFound {
			t.Errorf("a link for another tenant's account: %v", err)
		}
		if _, err := f.svc.SetConsolePassword(ctx, link2, "second password"); err != nil {
			t.Fatal(err)
		}
		if alive(one) || !alive(bystander) {
			t.Errorf("after a new password: %v, %v; want the account's session ended, another's alive", alive(one), alive(bystander))
		}
		if _, _, err := f.svc.ConsoleSignIn(ctx, "con-a", "reset@example.com", "first password", ""); lethe.ErrorCode(err) != lethe.EUnauthenticated {
			t.Errorf("the old password: %v", err)
		}
		f.signIn(t, "con-a", "reset@example.com", "second password", "")
	})
}

func TestConsoleService_TOTP(t *testing.T) {
	f := newConsoleFixture(t)
	ctx := context.Background()
	acc := f.account(t, f.a, "totp@example.com", "totp password")
	token, _ := f.signIn(t, "con-a", "totp@example.com", "totp password", "")
	if err := f.svc.ConfirmConsoleTOTP(ctx, token, "123456"); lethe.ErrorCode(err) != lethe.EInvalid || field(err) != "code" {
		t.Errorf("confirm before start: %v", err)
	}
	secret, link, err := f.svc.StartConsoleTOTP(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[A-Z2-7]{32}$`).MatchString(secret) {
		t.Errorf("secret %q, want 160 bits of base32 without padding", secret)
	}
	u, err := url.Parse(link)
	if err != nil || u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/Lethe:"+acc.ID ||
		u.Query().Get("secret") != secret || u.Query().Get("issuer") != "Lethe" || strings.Contains(link, "example.com") {
		t.Errorf("otpauth URL %q", link)
	}
	// Not in force until confirmed.
	f.signIn(t, "con-a", "totp@example.com", "totp password", "")
	right := testTOTP(t, secret, f.c.t)
	wrong := fmt.Sprintf("%06d", (atoi(right)+1)%1000000)
	for _, c := range []string{wrong, "", "abcdef", testTOTP(t, secret, f.c.t.Add(-90*time.Second))} {
		err := f.svc.ConfirmConsoleTOTP(ctx, token, c)
		wantCode(t, fmt.Sprintf("confirm with %q", c), err, lethe.EInvalid, "code")
	}
	if err := f.svc.ConfirmConsoleTOTP(ctx, token, right); err != nil {
		t.Fatalf("confirm with the right code: %v", err)
	}
	list, _ := f.svc.FindConsoleAccounts(f.a)
	if !list[0].TOTP {
		t.Fatalf("account %+v, want TOTP enrolled", list[0])
	}
	fail := func(what, code string) {
		t.Helper()
		if _, _, err := f.svc.ConsoleSignIn(ctx, "con-a", "totp@example.com", "totp password", code); lethe.ErrorCode(err) != lethe.EUnauthenticated {
			t.Errorf("sign-in %s: %v, want unauthenticated", what, err)
		}
	}
	fail("without a code", "")
	fail("with a wrong code", wrong)
	fail("with the code used to confirm", right)
	f.c.t = f.c.t.Add(30 * time.Second)
	next := testTOTP(t, secret, f.c.t)
	if _, _, err := f.svc.ConsoleSignIn(ctx, "con-a", "totp@example.com", "wrong password", next); lethe.ErrorCode(err) != lethe.EUnauthenticated {
		t.Errorf("the right code with a wrong password: %v", err)
	}
	f.signIn(t, "con-a", "totp@example.com", "totp password", next)
	fail("with the code replayed", next)
	// A code a step behind is accepted (clock drift), once.
	f.c.t = f.c.t.Add(60 * time.Second)
	f.signIn(t, "con-a", "totp@example.com", "totp password", testTOTP(t, secret, f.c.t.Add(-30*time.Second)))
	fail("with a code two steps ahead", testTOTP(t, secret, f.c.t.Add(60*time.Second)))
}

func atoi(s string) (n int) {
	fmt.Sscan(s, &n)
	return n
}

// TestConsoleService_NoSecretsKept: passwords, tokens and TOTP secrets are
// found nowhere in the database's files (or pages), and the trail names
// accounts by id, without email, password or token.
func TestConsoleService_NoSecretsKept(t *testing.T) {
	f := newConsoleFixture(t)
	ctx := context.Background()
	const password, email = "Canary-Password-4711", "canary.staff@example.com"
	a, link, err := f.svc.CreateConsoleAccount(f.a, email, lethe.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SetConsolePassword(ctx, link, password); err != nil {
		t.Fatal(err)
	}
	token, s := f.signIn(t, "con-a", email, password, "")
	secret, _, err := f.svc.StartConsoleTOTP(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	code := testTOTP(t, secret, f.c.t)
	if err := f.svc.ConfirmConsoleTOTP(ctx, token, code); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.ConsoleSignOut(ctx, token, true); err != nil {
		t.Fatal(err)
	}
	raw := rawDB(t, f.dsn)
	rows, err := raw.Query(`SELECT action, subject, actor, source, detail FROM audit_trail WHERE tenant_id = 'con-a' ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for rows.Next() {
		var action, subject, actor, source, detail string
		if err := rows.Scan(&action, &subject, &actor, &source, &detail); err != nil {
			t.Fatal(err)
		}
		actions = append(actions, action)
		entry := strings.Join([]string{action, subject, actor, source, detail}, " ")
		for _, c := range []string{password, email, "canary", link, token, secret, s.CSRFToken} {
			if strings.Contains(strings.ToLower(entry), strings.ToLower(c)) {
				t.Errorf("trail entry %q holds %q", entry, c)
			}
		}
		if subject != a.ID {
			t.Errorf("trail entry %q: subject %q, want the account id", entry, subject)
		}
	}
	rows.Close()
	want := "console.account.created console.password.set console.signin console.totp.enrolled console.signout"
	if got := strings.Join(actions, " "); got != want {
		t.Errorf("trail actions %q, want %q", got, want)
	}
	var hash string
	if err := raw.QueryRow(`SELECT password_hash FROM console_accounts WHERE tenant_id = 'con-a' AND id = $1`, a.ID).Scan(&hash); err != nil ||
		!regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`).MatchString(hash) {
		t.Errorf("password_hash %q, %v; want an argon2id PHC string", hash, err)
	}
	key, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if res := testdb.Residue(t, f.dsn, password, link, token, secret, string(key)); len(res) != 0 {
		t.Fatalf("kept in clear in the database: %q", res)
	}
	// The canary check can fail: the email is stored as given.
	if res := testdb.Residue(t, f.dsn, email); len(res) != 1 {
		t.Fatalf("Residue does not find the stored email: %q", res)
	}
}
