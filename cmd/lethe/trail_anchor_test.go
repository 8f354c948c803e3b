package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lethehq/lethe/internal/testdb"
)

// TestTrail_AnchorOfDeletedTenant: with a signed checkpoint kept, an
// entry before the anchor is rewritten and the tenant's row deleted (the
// sqlite3 shell does not enforce foreign keys; on PostgreSQL a superuser
// session with session_replication_role = replica). VerifyTrail walks only
// the tenants of the tenants table, so the anchors check walks the chain of
// an anchored tenant that is gone: `trail verify --anchor` must fail.
func TestTrail_AnchorOfDeletedTenant(t *testing.T) {
	srv := MustRunMain(t)
	ctx := t.Context()
	tenant := srv.TenantID
	mustCreate(t, srv, "RV-1", personFields("Anchor", "One", "rv-1@example.com"))
	mustCreate(t, srv, "RV-2", personFields("Anchor", "Two", "rv-2@example.com"))
	if _, err := srv.Client.SuspendUser(ctx, "RV-2", nil); err != nil {
		t.Fatal(err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	out, stderr, err := cli(t, "trail", "checkpoint", "--db", srv.DSN)
	if err != nil {
		t.Fatalf("trail checkpoint: %v\n%s", err, stderr)
	}
	cp := filepath.Join(t.TempDir(), "checkpoint.json")
	if err := os.WriteFile(cp, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	conn, err := rawDB(t, srv.DSN).Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if testdb.Kind() == "postgres" {
		if _, err := conn.ExecContext(ctx, `SET session_replication_role = replica`); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{
		`UPDATE audit_trail SET action = 'user.forged', actor = 'someone-else' WHERE tenant_id = $1 AND seq = 2`,
		`DELETE FROM tenants WHERE id = $1`,
	} {
		if _, err := conn.ExecContext(ctx, q, tenant); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	out, _, err = cli(t, "trail", "verify", "--db", srv.DSN, "--anchor", cp)
	if err == nil {
		t.Errorf("trail verify --anchor passed a trail whose entry 2 was rewritten (tenant row deleted): %q", strings.TrimSpace(out))
	}
}
