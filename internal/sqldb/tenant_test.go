package sqldb_test

import (
	"context"
	"testing"
	"time"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
	"github.com/lethehq/lethe/internal/testdb"
)

func TestTenantService_Authenticate(t *testing.T) {
	dsn := testdb.DSN(t)
	db := MustOpenDSN(t, dsn)
	svc := sqldb.NewTenantService(db)
	ctx := context.Background()
	tn, key, err := svc.CreateTenant(ctx, "", "Acme")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := lethe.ParseID(string(tn.ID)); !ok {
		t.Errorf("generated tenant id %q is not a 24-hex id", tn.ID)
	}
	t.Run("OK", func(t *testing.T) {
		got, err := svc.Authenticate(ctx, tn.ID, key)
		if err != nil || got.ID != tn.ID || got.Name != "Acme" {
			t.Fatalf("Authenticate = %+v, %v", got, err)
		}
	})
	for name, c := range map[string]struct {
		id  lethe.TenantID
		key string
	}{
		"ErrWrongKey":      {tn.ID, key + "x"},
		"ErrEmptyKey":      {tn.ID, ""},
		"ErrUnknownTenant": {"nobody", key},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := svc.Authenticate(ctx, c.id, c.key); lethe.ErrorCode(err) != lethe.EUnauthenticated {
				t.Fatalf("err = %v, want unauthenticated", err)
			}
		})
	}
	t.Run("OKRotate", func(t *testing.T) {
		newKey, err := svc.RotateTenantKey(ctx, tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Authenticate(ctx, tn.ID, key); lethe.ErrorCode(err) != lethe.EUnauthenticated {
			t.Errorf("old key still works: %v", err)
		}
		if _, err := svc.Authenticate(ctx, tn.ID, newKey); err != nil {
			t.Errorf("new key: %v", err)
		}
	})
	// Another process sharing the database (the CLI) rotates the key: the
	// new key works at once, the old one within the cache's second.
	t.Run("OKRotateElsewhere", func(t *testing.T) {
		old, err := svc.RotateTenantKey(ctx, tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Authenticate(ctx, tn.ID, old); err != nil {
			t.Fatal(err)
		}
		newKey, err := sqldb.NewTenantService(MustOpenDSN(t, dsn)).RotateTenantKey(ctx, tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Authenticate(ctx, tn.ID, newKey); err != nil {
			t.Errorf("new key: %v", err)
		}
		deadline := time.Now().Add(3 * time.Second)
		for {
			_, err := svc.Authenticate(ctx, tn.ID, old)
			if lethe.ErrorCode(err) == lethe.EUnauthenticated {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("old key still works 3 s after another process rotated it: %v", err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	t.Run("ErrRotateUnknown", func(t *testing.T) {
		if _, err := svc.RotateTenantKey(ctx, "nobody"); lethe.ErrorCode(err) != lethe.ENotFound {
			t.Fatalf("err = %v, want not_found", err)
		}
	})
}

func TestTenantService_CreateTenant(t *testing.T) {
	db := MustOpenDB(t)
	svc := sqldb.NewTenantService(db)
	ctx := context.Background()
	if _, _, err := svc.CreateTenant(ctx, "acme", "Acme"); err != nil {
		t.Fatal(err)
	}
	t.Run("ErrDuplicate", func(t *testing.T) {
		if _, _, err := svc.CreateTenant(ctx, "acme", "Again"); lethe.ErrorCode(err) != lethe.EConflict {
			t.Fatalf("err = %v, want conflict", err)
		}
	})
	t.Run("ErrColonInID", func(t *testing.T) {
		if _, _, err := svc.CreateTenant(ctx, "a:b", "X"); lethe.ErrorCode(err) != lethe.EInvalid {
			t.Fatalf("err = %v, want invalid", err)
		}
	})
	t.Run("ErrNoName", func(t *testing.T) {
		if _, _, err := svc.CreateTenant(ctx, "", "  "); lethe.ErrorCode(err) != lethe.EInvalid {
			t.Fatalf("err = %v, want invalid", err)
		}
	})
	t.Run("OKList", func(t *testing.T) {
		ts, err := svc.FindTenants(ctx)
		if err != nil || len(ts) != 1 || ts[0].ID != "acme" {
			t.Fatalf("FindTenants = %v, %v", ts, err)
		}
	})
}
