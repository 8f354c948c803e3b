package main

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
	"github.com/lethehq/lethe/internal/testdb"
)

// linkToken is the token of a set-password link printed by admin create,
// checked to be on the console's page of base.
func linkToken(t *testing.T, link, base string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || !strings.HasPrefix(link, base+"/admin/password?token=") || len(u.Query().Get("token")) != 43 {
		t.Fatalf("set-password link %q, want %s/admin/password?token=TOKEN", link, base)
	}
	return u.Query().Get("token")
}

// TestRun_Admin: lethe admin create prints a set-password link whose token
// works once; admin list shows the accounts.
func TestRun_Admin(t *testing.T) {
	t.Parallel()
	dsn := testdb.DSN(t)
	tenant, _ := MustCreateTenant(t, dsn, "Console organisation")
	stdout, stderr, err := cli(t, "admin", "create", "--tenant", tenant, "--db", dsn, "--email", "Ops@Example.com",
		"--role", "operator", "--url", "https://lethe.example.org/", "--json")
	if err != nil {
		t.Fatalf("create: %v %s", err, stderr)
	}
	var created map[string]string
	if err := json.Unmarshal([]byte(stdout), &created); err != nil || len(created) != 4 || !strings.HasPrefix(created["id"], "adm_") ||
		created["email"] != "Ops@Example.com" || created["role"] != "operator" {
		t.Fatalf("create --json printed %q (%v)", stdout, err)
	}
	token := linkToken(t, created["setPasswordUrl"], "https://lethe.example.org")
	text, _, err := cli(t, "admin", "create", "--tenant", tenant, "--db", dsn, "--email", "viewer@example.com", "--role", "viewer")
	if err != nil || !strings.HasPrefix(text, "console account: adm_") || !strings.Contains(text, "works once, for 72 hours") {
		t.Fatalf("create (text) = %q, %v", text, err)
	}
	linkToken(t, strings.TrimSpace(text[strings.LastIndex(text, "\n  ")+3:]), defaultConsoleBase)

	db, err := sqldb.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	svc := sqldb.NewConsoleService(db)
	if _, err := svc.SetConsolePassword(context.Background(), token, "a long password"); err != nil {
		t.Fatalf("the printed link's token: %v", err)
	}
	if _, err := svc.SetConsolePassword(context.Background(), token, "a long password"); lethe.ErrorCode(err) != lethe.EUnauthenticated {
		t.Errorf("the token used twice: %v", err)
	}
	if _, _, err := svc.ConsoleSignIn(context.Background(), lethe.TenantID(tenant), "ops@example.com", "a long password", ""); err != nil {
		t.Errorf("sign in: %v", err)
	}
	db.Close()

	list, _, err := cli(t, "admin", "list", "--tenant", tenant, "--db", dsn, "--json")
	var accounts []map[string]any
	if err != nil || json.Unmarshal([]byte(list), &accounts) != nil || len(accounts) != 2 || accounts[0]["id"] != created["id"] ||
		accounts[0]["passwordSet"] != true || accounts[0]["totp"] != false || accounts[0]["lastLoginAt"] == nil ||
		accounts[1]["passwordSet"] != false || accounts[1]["lastLoginAt"] != nil || strings.Contains(list, token) {
		t.Fatalf("list --json = %q, %v", list, err)
	}
	table, _, err := cli(t, "admin", "list", "--tenant", tenant, "--db", dsn)
	lines := strings.Split(strings.TrimSpace(table), "\n")
	if err != nil || len(lines) != 3 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(lines[0], "LAST SIGN-IN") ||
		!strings.Contains(lines[1], "Ops@Example.com") || !strings.Contains(lines[2], "never") {
		t.Errorf("list = %q, %v", table, err)
	}

	for _, c := range []struct {
		args  []string
		usage bool
		want  string
	}{
		{[]string{"--email", "x@example.com", "--role", "root"}, true, "--role"},
		{[]string{"--email", "not an email", "--role", "admin"}, true, "--email"},
		{[]string{"--role", "admin"}, true, "--email"},
		{[]string{"--email", "x@example.com", "--role", "admin", "--url", "lethe.example.org"}, true, "--url"},
		{[]string{"--email", "OPS@example.com", "--role", "admin"}, false, "email"},
	} {
		_, stderr, err := cli(t, append([]string{"admin", "create", "--tenant", tenant, "--db", dsn}, c.args...)...)
		if err == nil || isUsageError(err) != c.usage || !strings.Contains(stderr, c.want) {
			t.Errorf("create %v = %v (usage %v), stderr %q; want usage %v naming %s", c.args, err, isUsageError(err), stderr, c.usage, c.want)
		}
	}
	for _, args := range [][]string{
		{"admin", "create", "--db", dsn, "--email", "x@example.com", "--role", "admin"},
		{"admin", "list", "--tenant", "nobody", "--db", dsn},
		{"admin", "list", "--db", dsn},
	} {
		if _, _, err := cli(t, args...); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
