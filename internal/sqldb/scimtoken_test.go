package sqldb_test

import (
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
	"github.com/lethehq/lethe/internal/testdb"
)

func TestSCIMTokenService(t *testing.T) {
	dsn := testdb.DSN(t)
	db := MustOpenDSN(t, dsn)
	c := &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	db.Now = c.now
	a, b := MustTenant(t, db, "scim-a"), MustTenant(t, db, "scim-b")
	tokens := sqldb.NewSCIMTokenService(db)

	tok, secret, err := tokens.CreateSCIMToken(a, "  entra-prod ")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "lethe_scim_") || len(secret) != len("lethe_scim_")+64 || tok.Name != "entra-prod" ||
		tok.TenantID != "scim-a" || tok.LastUsedAt != nil {
		t.Fatalf("created %+v with secret of %d characters", tok, len(secret))
	}
	t.Run("OKAuthenticate", func(t *testing.T) {
		got, err := tokens.AuthenticateSCIM(a, secret)
		if err != nil || got.ID != tok.ID || got.TenantID != "scim-a" || got.LastUsedAt == nil || !got.LastUsedAt.Equal(c.t) {
			t.Fatalf("AuthenticateSCIM = %+v, %v", got, err)
		}
		// Within the minute the use is not written again.
		c.t = c.t.Add(30 * time.Second)
		list, err := tokens.FindSCIMTokens(a)
		if err != nil || len(list) != 1 || !list[0].LastUsedAt.Equal(c.t.Add(-30*time.Second)) {
			t.Fatalf("FindSCIMTokens = %+v, %v", list, err)
		}
		if _, err := tokens.AuthenticateSCIM(a, secret); err != nil {
			t.Fatal(err)
		}
		if list, _ = tokens.FindSCIMTokens(a); !list[0].LastUsedAt.Equal(c.t.Add(-30 * time.Second)) {
			t.Errorf("last used = %v, want unchanged within the minute", list[0].LastUsedAt)
		}
		c.t = c.t.Add(time.Minute)
		if _, err := tokens.AuthenticateSCIM(a, secret); err != nil {
			t.Fatal(err)
		}
		if list, _ = tokens.FindSCIMTokens(a); !list[0].LastUsedAt.Equal(c.t) {
			t.Errorf("last used = %v, want %v", list[0].LastUsedAt, c.t)
		}
	})
	t.Run("ErrWrongSecret", func(t *testing.T) {
		for _, s := range []string{"", secret + "x", "lethe_scim_" + strings.Repeat("0", 64), "\x00bad", string([]byte{0xff})} {
			if _, err := tokens.AuthenticateSCIM(a, s); lethe.ErrorCode(err) != lethe.EUnauthenticated {
				t.Errorf("AuthenticateSCIM(%q) = %v, want unauthenticated", s, err)
			}
		}
	})
	t.Run("ErrName", func(t *testing.T) {
		for _, n := range []string{"", "   ", strings.Repeat("x", lethe.MaxSCIMTokenNameLength+1), "a\nb"} {
			_, _, err := tokens.CreateSCIMToken(a, n)
			if lethe.ErrorCode(err) != lethe.EInvalid || func() string { f, _ := errField(err); return f }() != "name" {
				t.Errorf("CreateSCIMToken(%q) = %v, want invalid name", n, err)
			}
		}
		if _, _, err := tokens.CreateSCIMToken(a, strings.Repeat("é", lethe.MaxSCIMTokenNameLength)); err != nil {
			t.Errorf("a name of the longest length: %v", err)
		}
	})
	t.Run("ErrOtherTenant", func(t *testing.T) {
		if err := tokens.RevokeSCIMToken(b, tok.ID); lethe.ErrorCode(err) != lethe.ENotFound {
			t.Fatalf("revoke by another tenant = %v, want not found", err)
		}
		if list, err := tokens.FindSCIMTokens(b); err != nil || len(list) != 0 {
			t.Fatalf("another tenant's tokens = %+v, %v", list, err)
		}
		if _, err := tokens.AuthenticateSCIM(b, secret); err != nil {
			t.Fatalf("the token still works: %v", err)
		}
	})
	t.Run("OKRevokeEverywhere", func(t *testing.T) {
		other := MustOpenDSN(t, dsn) // a second process on the same database
		if _, err := sqldb.NewSCIMTokenService(other).AuthenticateSCIM(a, secret); err != nil {
			t.Fatal(err)
		}
		if err := tokens.RevokeSCIMToken(a, tok.ID); err != nil {
			t.Fatal(err)
		}
		for _, s := range []*sqldb.SCIMTokenService{tokens, sqldb.NewSCIMTokenService(other)} {
			if _, err := s.AuthenticateSCIM(a, secret); lethe.ErrorCode(err) != lethe.EUnauthenticated {
				t.Errorf("revoked token = %v, want refused at once", err)
			}
		}
		if err := tokens.RevokeSCIMToken(a, tok.ID); lethe.ErrorCode(err) != lethe.ENotFound {
			t.Errorf("second revoke = %v, want not found", err)
		}
	})
	t.Run("OKSetFixedToken", func(t *testing.T) {
		const fixed = "lethe_scim_demo_token"
		for range 2 { // setting it again replaces it
			if err := tokens.SetSCIMToken(a, "scim-b", "demo", fixed); err != nil {
				t.Fatal(err)
			}
		}
		got, err := tokens.AuthenticateSCIM(a, fixed)
		if err != nil || got.TenantID != "scim-b" || got.Name != "demo" {
			t.Fatalf("fixed token = %+v, %v", got, err)
		}
		if err := tokens.SetSCIMToken(a, "nobody", "demo", "lethe_scim_other"); lethe.ErrorCode(err) != lethe.ENotFound {
			t.Errorf("a token of no tenant = %v, want not found", err)
		}
		if list, _ := tokens.FindSCIMTokens(b); len(list) != 1 {
			t.Errorf("tokens of the demo tenant = %d, want 1", len(list))
		}
	})
}

// errField returns the field and problem err names, if any.
func errField(err error) (string, string) {
	var e *lethe.Error
	if errors.As(err, &e) && len(e.Details) > 0 {
		return e.Details[0].Field, e.Details[0].Problem
	}
	return "", ""
}

func TestSettingsService_SCIMMapping(t *testing.T) {
	db := MustOpenDB(t)
	ctx := MustTenant(t, db, "scim")
	settings := sqldb.NewSettingsService(db)
	s, err := settings.FindSettings(ctx)
	if err != nil || !maps.Equal(s.SCIM.AdditionalFields, lethe.DefaultSCIMAdditionalFields()) {
		t.Fatalf("default mapping = %v, %v", s.SCIM.AdditionalFields, err)
	}
	grace := 3
	if _, err := settings.UpdateSettings(ctx, lethe.SettingsUpdate{GraceDays: &grace}); err != nil {
		t.Fatal(err)
	}
	if s, _ = settings.FindSettings(ctx); !maps.Equal(s.SCIM.AdditionalFields, lethe.DefaultSCIMAdditionalFields()) {
		t.Errorf("mapping after another change = %v", s.SCIM.AdditionalFields)
	}
	m := map[string]string{lethe.SCIMEnterpriseSchema + ":department": "dept", "urn:x:badge": "badge"}
	if s, err = settings.UpdateSettings(ctx, lethe.SettingsUpdate{SCIMAdditionalFields: &m}); err != nil || !maps.Equal(s.SCIM.AdditionalFields, m) {
		t.Fatalf("update = %v, %v", s, err)
	}
	if _, err := settings.UpdateSettings(ctx, lethe.SettingsUpdate{GraceDays: &grace}); err != nil {
		t.Fatal(err)
	}
	if s, _ = settings.FindSettings(ctx); !maps.Equal(s.SCIM.AdditionalFields, m) || s.Deletion.GraceDays != 3 {
		t.Errorf("stored mapping = %v", s.SCIM.AdditionalFields)
	}
	empty := map[string]string{}
	if _, err := settings.UpdateSettings(ctx, lethe.SettingsUpdate{SCIMAdditionalFields: &empty}); err != nil {
		t.Fatal(err)
	}
	if s, _ = settings.FindSettings(ctx); s.SCIM.AdditionalFields == nil || len(s.SCIM.AdditionalFields) != 0 {
		t.Errorf("an emptied mapping = %v, want empty, not the default", s.SCIM.AdditionalFields)
	}
	bad := map[string]string{"a": "k", "b": "k"}
	if _, err := settings.UpdateSettings(ctx, lethe.SettingsUpdate{SCIMAdditionalFields: &bad}); lethe.ErrorCode(err) != lethe.EInvalid {
		t.Errorf("two attributes to one key: %v", err)
	}
}
