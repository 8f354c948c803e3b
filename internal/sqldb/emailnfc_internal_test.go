package sqldb

import (
	"context"
	"testing"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/testdb"
)

// TestNormalizeStoredEmails: an address stored before emails were kept in
// NFC (its é as e and a combining accent) is brought to NFC at the next
// open, so the precomposed spelling finds the same person and cannot make
// a second one; an address that would become another person's is left as
// it was.
func TestNormalizeStoredEmails(t *testing.T) {
	const (
		nfc = "zo\u00e9@example.com"  // é precomposed
		nfd = "Zoe\u0301@example.com" // e + combining acute
	)
	dsn := testdb.DSN(t)
	db, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := NewTenantService(db).CreateTenant(context.Background(), "acme", "Acme"); err != nil {
		t.Fatal(err)
	}
	ctx := lethe.WithActor(context.Background(), lethe.Actor{TenantID: "acme", Source: lethe.SourceCLI, Name: "t"})
	users := NewUserService(db)
	fields := func(email string) lethe.UserFields {
		first, last := "Zoe", "Old"
		return lethe.UserFields{Email: &email, FirstName: &first, LastName: &last}
	}
	old, err := users.CreateUser(ctx, "zoe-old", fields("placeholder-1@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	twin, err := users.CreateUser(ctx, "twin-old", fields("placeholder-2@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	// As stored before: lower-cased, not normalized. The twin's address is
	// the same as another's once normalized: both could exist then.
	for _, p := range []struct{ id, email, norm string }{
		{string(old.ID), nfd, "zoe\u0301@example.com"},
		{string(twin.ID), "twin\u00e9@example.com", "twin\u00e9@example.com"},
	} {
		if _, err := db.write.Exec(`UPDATE people SET email = $2, email_norm = $3 WHERE tenant_id = 'acme' AND learner_id = $1`,
			p.id, p.email, p.norm); err != nil {
			t.Fatal(err)
		}
	}
	clash, err := users.CreateUser(ctx, "twin-clash", fields("placeholder-3@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.write.Exec(`UPDATE people SET email = $2, email_norm = $2 WHERE tenant_id = 'acme' AND learner_id = $1`,
		string(clash.ID), "twine\u0301@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.write.Exec(`DELETE FROM maintenance WHERE name = 'emails-nfc'`); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	users = NewUserService(db)
	norms := map[string]string{}
	for _, id := range []lethe.LearnerID{old.ID, twin.ID, clash.ID} {
		var norm string
		if err := db.read.QueryRow(`SELECT email_norm FROM people WHERE tenant_id = 'acme' AND learner_id = $1`, string(id)).Scan(&norm); err != nil {
			t.Fatal(err)
		}
		norms[string(id)] = norm
	}
	if norms[string(old.ID)] != nfc {
		t.Errorf("email_norm = %q, want %q in NFC", norms[string(old.ID)], nfc)
	}
	if norms[string(clash.ID)] != "twine\u0301@example.com" || norms[string(twin.ID)] != "twin\u00e9@example.com" {
		t.Errorf("clashing addresses = %q, %q; want both left as they were", norms[string(clash.ID)], norms[string(twin.ID)])
	}
	if _, err := users.CreateUser(ctx, "zoe-new", fields(nfc)); lethe.ErrorCode(err) != lethe.EConflict {
		t.Errorf("a second zoé in NFC: %v, want a conflict with the stored one", err)
	}
}
