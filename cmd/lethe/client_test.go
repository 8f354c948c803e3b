package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// oauthToken asks the server's token endpoint for a token; it returns the
// status and the token.
func oauthToken(t *testing.T, base, tenant, id, secret string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/oauth2/token/"+tenant, strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(res.Body).Decode(&body)
	return res.StatusCode, body.AccessToken
}

// TestRun_Client: lethe client create, list and revoke work on the
// database while a server runs on it.
func TestRun_Client(t *testing.T) {
	t.Parallel()
	srv := MustRunMain(t)
	stdout, stderr, err := cli(t, "client", "create", "--tenant", srv.TenantID, "--db", srv.DSN, "--name", "hr-sync",
		"--scope", "api/read", "--scope", "api/write api/webhooks", "--json")
	if err != nil {
		t.Fatalf("create: %v %s", err, stderr)
	}
	var created map[string]string
	if err := json.Unmarshal([]byte(stdout), &created); err != nil || len(created) != 2 || created["clientId"] == "" ||
		created["clientSecret"] == "" {
		t.Fatalf("create --json printed %q (%v)", stdout, err)
	}
	if code, tok := oauthToken(t, srv.URL, srv.TenantID, created["clientId"], created["clientSecret"]); code != 200 || tok == "" {
		t.Fatalf("token for the new client: %d", code)
	}
	text, _, err := cli(t, "client", "create", "--tenant", srv.TenantID, "--db", srv.DSN, "--scope", "api/read")
	if err != nil || !strings.HasPrefix(text, "client id: ") || !strings.Contains(text, "shown once") {
		t.Errorf("create (text) = %q, %v", text, err)
	}
	list, _, err := cli(t, "client", "list", "--tenant", srv.TenantID, "--db", srv.DSN, "--json")
	var clients []map[string]any
	if err != nil || json.Unmarshal([]byte(list), &clients) != nil || len(clients) != 2 || clients[0]["clientId"] != created["clientId"] ||
		strings.Contains(list, created["clientSecret"]) {
		t.Fatalf("list --json = %q, %v", list, err)
	}
	if _, _, err := cli(t, "client", "revoke", "--tenant", srv.TenantID, "--db", srv.DSN, created["clientId"]); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	if code, _ := oauthToken(t, srv.URL, srv.TenantID, created["clientId"], created["clientSecret"]); code != 401 {
		t.Errorf("token for a revoked client: %d, want 401", code)
	}
	for _, args := range [][]string{
		{"client", "create", "--db", srv.DSN, "--scope", "api/read"},
		{"client", "create", "--tenant", srv.TenantID, "--db", srv.DSN},
		{"client", "create", "--tenant", srv.TenantID, "--db", srv.DSN, "--scope", "api/nope"},
		{"client", "revoke", "--tenant", srv.TenantID, "--db", srv.DSN, "nobody"},
		{"client", "list", "--tenant", "nobody", "--db", srv.DSN},
	} {
		if _, _, err := cli(t, args...); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
