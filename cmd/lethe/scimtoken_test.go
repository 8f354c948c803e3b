package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lethehq/lethe/internal/testdb"
)

// TestRun_SCIMToken: lethe tenant scim-token create, list and revoke work
// on the database while a server runs on it, and the server sees their
// effect at once.
func TestRun_SCIMToken(t *testing.T) {
	t.Parallel()
	t.Run("OKCreateListRevoke", func(t *testing.T) {
		t.Parallel()
		srv := MustRunMain(t)
		stdout, stderr, err := cli(t, "tenant", "scim-token", "create", srv.TenantID, "--db", srv.DSN, "--name", "entra-prod", "--json")
		if err != nil {
			t.Fatalf("create: %v %s", err, stderr)
		}
		var created struct{ Token, ID, Name, CreatedAt, TenantID string }
		if err := json.Unmarshal([]byte(stdout), &created); err != nil || created.Token == "" || created.ID == "" ||
			created.Name != "entra-prod" || created.TenantID != srv.TenantID {
			t.Fatalf("create --json printed %q (%v)", stdout, err)
		}
		if _, err := time.Parse(time.RFC3339, created.CreatedAt); err != nil {
			t.Errorf("createdAt %q: %v", created.CreatedAt, err)
		}
		if got := scimGet(t, srv.URL, created.Token); got != http.StatusOK {
			t.Errorf("the new token at /scim/v2: %d, want 200", got)
		}

		// Plain output shows the secret once, with the warning.
		text, _, err := cli(t, "tenant", "scim-token", "create", srv.TenantID, "--db", srv.DSN)
		if err != nil || !strings.HasPrefix(text, "scim token: ") || !strings.Contains(text, "cannot be shown again") ||
			!strings.Contains(text, "name:       scim\n") {
			t.Errorf("create (text) = %q, %v", text, err)
		}

		list, _, err := cli(t, "tenant", "scim-token", "list", srv.TenantID, "--db", srv.DSN, "--json")
		var tokens []map[string]any
		if err != nil || json.Unmarshal([]byte(list), &tokens) != nil || len(tokens) != 2 {
			t.Fatalf("list --json = %q, %v", list, err)
		}
		if tokens[0]["id"] != created.ID || tokens[0]["name"] != "entra-prod" || tokens[1]["name"] != "scim" {
			t.Errorf("list = %v, want both, oldest first", tokens)
		}
		if strings.Contains(list, created.Token) || len(tokens[0]) != 4 {
			t.Errorf("list prints more than id, name, createdAt and lastUsedAt: %s", list)
		}
		// The API lists what the CLI made.
		if api := apiGet(t, srv, "/lethe/v1/scim/tokens"); !strings.Contains(api, created.ID) || strings.Contains(api, created.Token) {
			t.Errorf("GET /lethe/v1/scim/tokens = %s", api)
		}
		table, _, err := cli(t, "tenant", "scim-token", "list", srv.TenantID, "--db", srv.DSN)
		if err != nil || !strings.HasPrefix(table, "TOKEN ID") || !strings.Contains(table, "entra-prod") || strings.Contains(table, created.Token) {
			t.Errorf("list (table) = %q, %v", table, err)
		}

		out, stderr, err := cli(t, "tenant", "scim-token", "revoke", srv.TenantID, created.ID, "--db", srv.DSN)
		if err != nil || !strings.Contains(out, "revoked") {
			t.Fatalf("revoke = %q, %v %s", out, err, stderr)
		}
		if got := scimGet(t, srv.URL, created.Token); got != http.StatusUnauthorized {
			t.Errorf("the revoked token at /scim/v2: %d, want 401 at once", got)
		}
		list, _, _ = cli(t, "tenant", "scim-token", "list", srv.TenantID, "--db", srv.DSN, "--json")
		if strings.Contains(list, created.ID) {
			t.Errorf("list after revoke = %s", list)
		}
		_, _, err = cli(t, "tenant", "scim-token", "revoke", srv.TenantID, created.ID, "--db", srv.DSN)
		if err == nil || isUsageError(err) || !strings.Contains(err.Error(), "not found") {
			t.Errorf("revoke twice = %v, want a not-found error", err)
		}
	})
	t.Run("ErrOtherTenant", func(t *testing.T) {
		t.Parallel()
		db := testdb.DSN(t)
		a, _ := MustCreateTenant(t, db, "A")
		b, _ := MustCreateTenant(t, db, "B")
		stdout, _, err := cli(t, "tenant", "scim-token", "create", a, "--db", db, "--json")
		var created struct{ ID string }
		if err != nil || json.Unmarshal([]byte(stdout), &created) != nil {
			t.Fatalf("create = %q, %v", stdout, err)
		}
		if _, _, err := cli(t, "tenant", "scim-token", "revoke", b, created.ID, "--db", db); err == nil || !strings.Contains(err.Error(), "not found") {
			t.Errorf("revoke of another tenant's token = %v, want not found", err)
		}
		if list, _, _ := cli(t, "tenant", "scim-token", "list", b, "--db", db, "--json"); strings.TrimSpace(list) != "[]" {
			t.Errorf("tenant B's list = %q, want []", list)
		}
		_, _, err = cli(t, "tenant", "scim-token", "list", "no-such-tenant", "--db", db)
		if err == nil || isUsageError(err) || !strings.Contains(err.Error(), "not found") {
			t.Errorf("list of an unknown tenant = %v, want a not-found error", err)
		}
	})
	t.Run("ErrUsage", func(t *testing.T) {
		t.Parallel()
		db := testdb.DSN(t)
		for _, args := range [][]string{
			{"tenant", "scim-token"}, {"tenant", "scim-token", "mint"},
			{"tenant", "scim-token", "create", "--db", db},
			{"tenant", "scim-token", "create", "t", "u", "--db", db},
			{"tenant", "scim-token", "create", "t", "--name", "", "--db", db},
			{"tenant", "scim-token", "create", "t", "--name", strings.Repeat("n", 101), "--db", db},
			{"tenant", "scim-token", "list", "--db", db},
			{"tenant", "scim-token", "revoke", "t", "--db", db},
			{"tenant", "scim-token", "revoke", "t", "id", "extra", "--db", db},
		} {
			if _, _, err := cli(t, args...); !isUsageError(err) {
				t.Errorf("%q = %v, want a usage error (exit 2)", args, err)
			}
		}
	})
}

// scimGet is the status of GET /scim/v2/Users with a bearer token.
func scimGet(tb testing.TB, base, token string) int {
	tb.Helper()
	req, _ := http.NewRequest("GET", base+"/scim/v2/Users?count=1", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// apiGet is the body of an authenticated GET on the server.
func apiGet(tb testing.TB, srv *testServer, path string) string {
	tb.Helper()
	req, _ := http.NewRequest("GET", srv.URL+path, nil)
	req.SetBasicAuth(srv.TenantID, srv.APIKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		tb.Fatalf("GET %s: %d %s", path, res.StatusCode, b)
	}
	return string(b)
}
