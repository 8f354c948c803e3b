package sqldb_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
	"github.com/lethehq/lethe/internal/testdb"
)

// TestSCIM_ErasureCanary: a person created, edited, suspended and
// reactivated through SCIM, member of a SCIM group, then deleted as a SCIM
// DELETE deletes (UserService.DeleteUser) leaves nothing of theirs
// readable anywhere the database keeps data, is gone for SCIM, and their
// userName is free for a new, unlinked person.
func TestSCIM_ErasureCanary(t *testing.T) {
	ctx := context.Background()
	dsn := testdb.DSN(t)
	db, err := sqldb.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			db.Close()
		}
	}()
	actx := MustTenant(t, db, "scim")
	scim := sqldb.NewSCIMService(db)
	kept := mustSCIMUser(t, actx, scim, "CnryScimKept-REF", "Kept", "K", "cnry.scimkept@canary.example", "", "CnryScimKept-EXT")
	ref := "CnryScim-UserName"
	canaries := []string{ref, "cnryscim-username", "CnryScimFirst", "CnryScimLast", "cnry.scim.mail@canary.example",
		"CnryScim-ExternalId-1", "CnryScim-ExternalId-2", "CnryScimTitle", "CnryScimDept"}
	u := mustSCIMUser(t, actx, scim, ref, canaries[2], canaries[3], canaries[4], "", canaries[5])
	edit := func(e *lethe.SCIMUserEdit) {
		t.Helper()
		if _, err := scim.EditSCIMUser(actx, u.ID, func(*lethe.SCIMUser) (*lethe.SCIMUserEdit, error) { return e, nil }); err != nil {
			t.Fatal(err)
		}
	}
	edit(&lethe.SCIMUserEdit{ExternalID: &canaries[6], Fields: lethe.UserFields{JobTitle: &canaries[7],
		AdditionalFields: json.RawMessage(`{"department":"` + canaries[8] + `"}`)}})
	edit(&lethe.SCIMUserEdit{Active: new(false)})
	edit(&lethe.SCIMUserEdit{Active: new(true)})
	g, err := scim.CreateSCIMGroup(actx, "Canary group", "grp-canary", []lethe.LearnerID{u.ID, kept.ID})
	if err != nil {
		t.Fatal(err)
	}
	d, err := sqldb.NewUserService(db).DeleteUser(actx, lethe.ByID(u.ID))
	if err != nil || d.Outcome != lethe.DeletionErased {
		t.Fatalf("delete = %+v, %v", d, err)
	}
	if _, err := scim.FindSCIMUser(actx, u.ID); lethe.ErrorCode(err) != lethe.ENotFound {
		t.Errorf("FindSCIMUser after the erasure = %v, want not found", err)
	}
	if _, err := scim.EditSCIMUser(actx, u.ID, func(*lethe.SCIMUser) (*lethe.SCIMUserEdit, error) {
		return &lethe.SCIMUserEdit{Active: new(true)}, nil
	}); lethe.ErrorCode(err) != lethe.ENotFound {
		t.Errorf("a late edit of the erased user = %v, want not found (no resurrection)", err)
	}
	if got, err := scim.FindSCIMGroup(actx, g.ID, true); err != nil || !slices.Equal(got.Members, []lethe.LearnerID{kept.ID}) {
		t.Errorf("the group after the erasure = %+v, %v", got, err)
	}
	// The identity provider's token is in the search too: it must hold
	// nothing of the person (its label is found, proving scim_tokens is read).
	if _, _, err := sqldb.NewSCIMTokenService(db).CreateSCIMToken(actx, "CnryScimTokenLabel"); err != nil {
		t.Fatal(err)
	}
	control := []string{"CnryScimKept-REF", "CnryScimKept-EXT", "CnryScimTokenLabel"}
	found := scimResidue(t, db, dsn, control, canaries)
	closed = true
	for _, c := range control {
		if !slices.Contains(found, c) {
			t.Fatalf("the kept user's %q is not found: the search proves nothing", c)
		}
	}
	for _, c := range canaries {
		if slices.Contains(found, c) {
			t.Errorf("the erased person's %q is still readable", c)
		}
	}
	db = MustOpenDSN(t, dsn)
	scim = sqldb.NewSCIMService(db)
	again, err := scim.CreateSCIMUser(actx, ref, lethe.UserFields{FirstName: strp("New"), LastName: strp("Person"),
		Email: strp("new.person@example.com")}, "", true)
	if err != nil || again.ID == u.ID {
		t.Fatalf("a new user with the erased userName = %+v, %v", again, err)
	}
}

// scimResidue closes db and reports which of control and canaries can still
// be read where it keeps data (testdb.Residue). On PostgreSQL the erased rows
// are first vacuumed and the personal-data tables rewritten, until none of
// canaries is left or a deadline passes (another package's open transaction
// can hold a dead row back for a while).
func scimResidue(tb testing.TB, db *sqldb.DB, dsn string, control, canaries []string) []string {
	tb.Helper()
	all := append(slices.Clone(control), canaries...)
	if db.Dialect() == "postgres" {
		ctx := context.Background()
		for deadline := time.Now().Add(20 * time.Second); ; {
			if err := db.Scrub(ctx); err != nil {
				tb.Fatalf("scrub: %v", err)
			}
			if err := db.RewritePersonalData(ctx); err != nil {
				tb.Fatalf("rewrite personal data: %v", err)
			}
			found := testdb.Residue(tb, dsn, all...)
			if !slices.ContainsFunc(found, func(c string) bool { return slices.Contains(canaries, c) }) || time.Now().After(deadline) {
				break
			}
			time.Sleep(200 * time.Millisecond) // polling, with a deadline
		}
	}
	if err := db.Close(); err != nil {
		tb.Fatal(err)
	}
	return testdb.Residue(tb, dsn, all...)
}
