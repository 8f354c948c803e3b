package sqldb

import (
	"context"
	"testing"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/testdb"
)

// TestUpdate_StoredEmailKept: ValidEmail now refuses
// format characters (a soft hyphen), but addresses stored before were
// accepted and are not cleaned at Open (normalizeStoredEmails only
// changes NFC forms): a later change of such a user that does not touch
// the email must not answer 422 naming email.
func TestUpdate_StoredEmailKept(t *testing.T) {
	db, err := Open(context.Background(), testdb.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, _, err := NewTenantService(db).CreateTenant(context.Background(), "acme", "Acme"); err != nil {
		t.Fatal(err)
	}
	ctx := lethe.WithActor(context.Background(), lethe.Actor{TenantID: "acme", Source: lethe.SourceCLI, Name: "t"})
	users := NewUserService(db)
	email, first, last := "placeholder@example.com", "Ann", "Old"
	u, err := users.CreateUser(ctx, "ann", lethe.UserFields{Email: &email, FirstName: &first, LastName: &last})
	if err != nil {
		t.Fatal(err)
	}
	// As an earlier version stored it: accepted then (a soft hyphen).
	stored := "an\u00adn@example.com"
	if _, err := db.write.Exec(`UPDATE people SET email = $2, email_norm = $2 WHERE tenant_id = 'acme' AND learner_id = $1`,
		string(u.ID), stored); err != nil {
		t.Fatal(err)
	}
	title := "Engineer"
	if _, err := users.UpdateUser(ctx, lethe.ByRef("ann"), lethe.UserFields{JobTitle: &title}); err != nil {
		t.Errorf("changing the job title of a user whose stored email an earlier version accepted: %v", err)
	}
}
