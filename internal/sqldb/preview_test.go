package sqldb_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
	"github.com/lethehq/lethe/internal/testdb"
)

// TestUserService_PreviewErasure previews each action on a person with a
// record of every kind: nothing changes (every row the registry knows of
// stays as it was, and the trail does not grow), and the counts are those
// the erasure then writes.
func TestUserService_PreviewErasure(t *testing.T) {
	dsn := testdb.DSN(t)
	db := MustOpenDSN(t, dsn)
	raw := rawDB(t, dsn)
	ctx := MustTenant(t, db, "preview")
	users := sqldb.NewUserService(db)
	trail := func() int {
		var n int
		if err := raw.QueryRow(`SELECT COUNT(*) FROM audit_trail WHERE tenant_id = 'preview'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	u := MustHistory(t, ctx, db, "PREVIEW-1")
	before, entries := snapshot(t, raw, "preview", u.ID, "PREVIEW-1"), trail()

	d, err := users.PreviewErasure(ctx, lethe.ByID(u.ID), lethe.ActionDelete)
	if err != nil || d.Outcome != lethe.DeletionErased || d.Erasure == nil {
		t.Fatalf("preview delete = %+v, %v; want an erasure", d, err)
	}
	anon, err := users.PreviewErasure(ctx, lethe.ByRef("PREVIEW-1"), lethe.ActionAnonymize)
	if err != nil || anon.Erasure == nil || anon.Erasure.Mode != lethe.ModeAnonymize {
		t.Fatalf("preview anonymize = %+v, %v", anon, err)
	}
	if _, err := users.PreviewErasure(ctx, lethe.ByID(u.ID), lethe.ActionPurge); lethe.ErrorCode(err) != lethe.EConflict {
		t.Fatalf("preview purge of a user with history: %v, want EConflict", err)
	}
	if _, err := users.PreviewErasure(ctx, lethe.ByID(u.ID), lethe.ActionSuspend); lethe.ErrorCode(err) != lethe.EInvalid {
		t.Fatalf("preview suspend: %v, want EInvalid", err)
	}
	if diff := cmp.Diff(before, snapshot(t, raw, "preview", u.ID, "PREVIEW-1")); diff != "" {
		t.Fatalf("the previews changed the person's rows (-before +after):\n%s", diff)
	}
	if n := trail(); n != entries {
		t.Fatalf("the trail grew from %d to %d entries", entries, n)
	}
	if d.Erasure.Kept["completions"] != 1 || d.Erasure.Erased["person"] != 1 {
		t.Fatalf("preview counts: erased %v, kept %v", d.Erasure.Erased, d.Erasure.Kept)
	}

	e, err := users.EraseUser(ctx, lethe.ByID(u.ID))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(e.Erased, d.Erasure.Erased); diff != "" {
		t.Errorf("erased counts: the erasure differs from its preview (-erasure +preview):\n%s", diff)
	}
	if diff := cmp.Diff(e.Kept, d.Erasure.Kept); diff != "" {
		t.Errorf("kept counts: the erasure differs from its preview (-erasure +preview):\n%s", diff)
	}
	if _, err := users.PreviewErasure(ctx, lethe.ByID(u.ID), lethe.ActionDelete); lethe.ErrorCode(err) != lethe.EConflict {
		t.Fatalf("preview of an erased user: %v, want EConflict", err)
	}
}

// TestUserService_PreviewErasure_Policy previews a deletion under each
// tenant policy: restricted mode refuses a person with history, saying
// why; a grace period schedules, and still counts what the erasure at its
// end will take; a never-used account can be purged.
func TestUserService_PreviewErasure_Policy(t *testing.T) {
	db := MustOpenDB(t)
	ctx := MustTenant(t, db, "policy")
	users, settings := sqldb.NewUserService(db), sqldb.NewSettingsService(db)
	u := MustHistory(t, ctx, db, "POLICY-1")
	fresh := MustCreateUser(t, ctx, db, "POLICY-NEW", lethe.UserFields{})
	if d, err := users.PreviewErasure(ctx, lethe.ByID(fresh.ID), lethe.ActionPurge); err != nil || d.Outcome != "purged" {
		t.Fatalf("preview purge of a never-used account = %+v, %v", d, err)
	}
	mode := lethe.DeletionModeRestricted
	if _, err := settings.UpdateSettings(ctx, lethe.SettingsUpdate{DeletionMode: &mode}); err != nil {
		t.Fatal(err)
	}
	if _, err := users.PreviewErasure(ctx, lethe.ByID(u.ID), lethe.ActionDelete); lethe.ErrorCode(err) != lethe.EConflict {
		t.Fatalf("restricted mode: %v, want EConflict", err)
	}
	mode, grace := lethe.DeletionModeErase, 30
	if _, err := settings.UpdateSettings(ctx, lethe.SettingsUpdate{DeletionMode: &mode, GraceDays: &grace}); err != nil {
		t.Fatal(err)
	}
	d, err := users.PreviewErasure(ctx, lethe.ByID(u.ID), lethe.ActionDelete)
	if err != nil || d.Outcome != lethe.DeletionScheduled || d.DueAt == nil || d.Erasure == nil || d.Erasure.Kept["completions"] != 1 {
		t.Fatalf("grace period: %+v, %v; want scheduled, with the counts", d, err)
	}
	if got, err := users.FindUser(ctx, lethe.ByID(u.ID)); err != nil || got.State != lethe.StateActive {
		t.Fatalf("after the preview: %v, %v; want the user as before", got, err)
	}
}

// TestUserService_FindErasures pages the tenant's erasures newest first,
// and says when another page follows; another tenant's are not listed.
func TestUserService_FindErasures(t *testing.T) {
	db := MustOpenDB(t)
	ctx, other := MustTenant(t, db, "erasures"), MustTenant(t, db, "erasures-other")
	users := sqldb.NewUserService(db)
	var ids []lethe.LearnerID
	for i := range 3 {
		u := MustCreateUser(t, ctx, db, fmt.Sprintf("E-%d", i), lethe.UserFields{})
		if _, err := users.EraseUser(ctx, lethe.ByID(u.ID)); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID)
		db.Now = func(at time.Time) func() time.Time { return func() time.Time { return at } }(db.Now().Add(time.Second))
	}
	o := MustCreateUser(t, other, db, "O-1", lethe.UserFields{})
	if _, err := users.EraseUser(other, lethe.ByID(o.ID)); err != nil {
		t.Fatal(err)
	}
	page, more, err := users.FindErasures(ctx, 0, 2)
	if err != nil || !more || len(page) != 2 || page[0].LearnerID != ids[2] || page[1].LearnerID != ids[1] {
		t.Fatalf("first page: %v more=%v %v; want the two newest and more", page, more, err)
	}
	page, more, err = users.FindErasures(ctx, 2, 2)
	if err != nil || more || len(page) != 1 || page[0].LearnerID != ids[0] || page[0].Mode != lethe.ModeErase {
		t.Fatalf("second page: %v more=%v %v; want the oldest and no more", page, more, err)
	}
}
