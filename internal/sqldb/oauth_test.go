package sqldb_test

import (
	"encoding/base64"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
	"github.com/lethehq/lethe/internal/testdb"
)

func TestOAuthService(t *testing.T) {
	dsn := testdb.DSN(t)
	db := MustOpenDSN(t, dsn)
	c := &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	db.Now = c.now
	a, b := MustTenant(t, db, "oauth-a"), MustTenant(t, db, "oauth-b")
	svc := sqldb.NewOAuthService(db)

	cl, secret, err := svc.CreateOAuthClient(a, " hr-sync ", []string{"api/write api/read", "api/read"})
	if err != nil {
		t.Fatal(err)
	}
	if cl.Name != "hr-sync" || !slices.Equal(cl.Scopes, []string{"api/read", "api/write"}) || !strings.HasPrefix(secret, "lethe_ocs_") {
		t.Fatalf("created %+v", cl)
	}
	if res := testdb.Residue(t, dsn, secret, strings.TrimPrefix(secret, "lethe_ocs_")); len(res) != 0 {
		t.Fatalf("the secret is stored: %v", res)
	}
	t.Run("OKList", func(t *testing.T) {
		list, err := svc.FindOAuthClients(a)
		if err != nil || len(list) != 1 || list[0].ID != cl.ID || !slices.Equal(list[0].Scopes, cl.Scopes) {
			t.Fatalf("FindOAuthClients = %+v, %v", list, err)
		}
		if list, err := svc.FindOAuthClients(b); err != nil || len(list) != 0 {
			t.Fatalf("other tenant's clients = %+v, %v", list, err)
		}
	})
	t.Run("ErrCreate", func(t *testing.T) {
		for _, sc := range [][]string{nil, {}, {" "}, {"api/everything"}, {"api/read", "API/READ"}} {
			if _, _, err := svc.CreateOAuthClient(a, "x", sc); lethe.ErrorCode(err) != lethe.EInvalid || field(err) != "scopes" {
				t.Errorf("scopes %q: %v, want invalid scopes", sc, err)
			}
		}
		for _, n := range []string{"", " ", strings.Repeat("x", lethe.MaxOAuthClientNameLength+1), "a\tb"} {
			if _, _, err := svc.CreateOAuthClient(a, n, []string{"api/read"}); lethe.ErrorCode(err) != lethe.EInvalid || field(err) != "name" {
				t.Errorf("name %q: %v, want invalid name", n, err)
			}
		}
	})
	t.Run("OKIssueVerify", func(t *testing.T) {
		tok, issued, err := svc.IssueOAuthToken(a, "oauth-a", cl.ID, secret, nil)
		if err != nil || !slices.Equal(issued.Scopes, cl.Scopes) || !issued.ExpiresAt.Equal(c.t.Add(time.Hour)) {
			t.Fatalf("IssueOAuthToken = %+v, %v", issued, err)
		}
		got, err := svc.AuthenticateOAuth(b, tok)
		if err != nil || got.TenantID != "oauth-a" || got.ClientID != cl.ID || !slices.Equal(got.Scopes, cl.Scopes) {
			t.Fatalf("AuthenticateOAuth = %+v, %v", got, err)
		}
		if list, _ := svc.FindOAuthClients(a); list[0].LastUsedAt == nil || !list[0].LastUsedAt.Equal(c.t) {
			t.Errorf("last used = %v, want %v", list[0].LastUsedAt, c.t)
		}
		tok2, narrow, err := svc.IssueOAuthToken(a, "oauth-a", cl.ID, secret, []string{"api/read"})
		if err != nil || !slices.Equal(narrow.Scopes, []string{"api/read"}) || tok2 == tok {
			t.Fatalf("narrow token = %+v, %v", narrow, err)
		}
		// Tampered: a payload claiming more scopes with the old MAC.
		body, mac, _ := strings.Cut(strings.TrimPrefix(tok2, "lethe_oat_"), ".")
		raw, _ := base64.RawURLEncoding.DecodeString(body)
		forged := strings.Replace(string(raw), `"api/read"`, `"api/read api/write"`, 1)
		bad := []string{"", "garbage", tok + "x", "lethe_oat_" + base64.RawURLEncoding.EncodeToString([]byte(forged)) + "." + mac,
			"lethe_oat_" + body + "." + mac[:len(mac)-2] + "AA", "lethe_oat_" + body}
		for _, s := range bad {
			if _, err := svc.AuthenticateOAuth(a, s); lethe.ErrorCode(err) != lethe.EUnauthenticated {
				t.Errorf("AuthenticateOAuth(%.20q) = %v, want unauthenticated", s, err)
			}
		}
		c.t = c.t.Add(time.Hour)
		if _, err := svc.AuthenticateOAuth(a, tok); lethe.ErrorCode(err) != lethe.EUnauthenticated {
			t.Errorf("expired token = %v, want unauthenticated", err)
		}
		c.t = c.t.Add(-time.Second)
		if _, err := svc.AuthenticateOAuth(a, tok); err != nil {
			t.Errorf("a token a second before expiry: %v", err)
		}
	})
	t.Run("ErrIssue", func(t *testing.T) {
		cases := []struct {
			tenant  lethe.TenantID
			id, sec string
			scopes  []string
			code    lethe.Code
		}{
			{"oauth-b", cl.ID, secret, nil, lethe.EUnauthenticated},
			{"oauth-a", cl.ID, secret + "x", nil, lethe.EUnauthenticated},
			{"oauth-a", "nobody", secret, nil, lethe.EUnauthenticated},
			{"oauth-a", "", "", nil, lethe.EUnauthenticated},
			{"oauth-a", cl.ID, secret, []string{"api/all"}, lethe.EInvalid},
			{"oauth-a", cl.ID, secret, []string{"bogus"}, lethe.EInvalid},
		}
		for _, k := range cases {
			if _, _, err := svc.IssueOAuthToken(a, k.tenant, k.id, k.sec, k.scopes); lethe.ErrorCode(err) != k.code {
				t.Errorf("IssueOAuthToken(%s, %s, %v) = %v, want %s", k.tenant, k.id, k.scopes, err, k.code)
			}
		}
	})
	t.Run("OKRevokeEverywhere", func(t *testing.T) {
		tok, _, err := svc.IssueOAuthToken(a, "oauth-a", cl.ID, secret, nil)
		if err != nil {
			t.Fatal(err)
		}
		other := MustOpenDSN(t, dsn) // a second process on the same database
		other.Now = c.now
		if _, err := sqldb.NewOAuthService(other).AuthenticateOAuth(a, tok); err != nil {
			t.Fatal(err)
		}
		if err := svc.RevokeOAuthClient(b, cl.ID); lethe.ErrorCode(err) != lethe.ENotFound {
			t.Fatalf("revoke by another tenant = %v, want not found", err)
		}
		if err := svc.RevokeOAuthClient(a, cl.ID); err != nil {
			t.Fatal(err)
		}
		for _, s := range []*sqldb.OAuthService{svc, sqldb.NewOAuthService(other)} {
			if _, err := s.AuthenticateOAuth(a, tok); lethe.ErrorCode(err) != lethe.EUnauthenticated {
				t.Errorf("revoked client's token = %v, want refused at once", err)
			}
		}
		if _, _, err := svc.IssueOAuthToken(a, "oauth-a", cl.ID, secret, nil); lethe.ErrorCode(err) != lethe.EUnauthenticated {
			t.Errorf("revoked client's token request = %v", err)
		}
		if err := svc.RevokeOAuthClient(a, cl.ID); lethe.ErrorCode(err) != lethe.ENotFound {
			t.Errorf("second revoke = %v, want not found", err)
		}
	})
}

func field(err error) string { f, _ := errField(err); return f }
