package sqldb_test

import (
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
)

// TestWriteTx_Conflict checks that a write transaction PostgreSQL aborted
// for a deadlock runs again, and that one which keeps conflicting answers
// 503 (retry), never a 500. SQLite serialises its writers and never
// retries.
func TestWriteTx_Conflict(t *testing.T) {
	db := MustOpenDB(t)
	ctx := MustTenant(t, db, "acme")
	deadlock := &pgconn.PgError{Code: "40P01", Message: "deadlock detected"}
	t.Run("OKRunsAgain", func(t *testing.T) {
		statements, failed := 0, false
		db.SetFailpoint(func(string) error {
			statements++
			if !failed {
				failed = true
				return deadlock
			}
			return nil
		})
		defer db.SetFailpoint(nil)
		u, err := sqldb.NewUserService(db).CreateUser(ctx, "CONFLICT-1", person("CONFLICT-1"))
		if db.Dialect() == "sqlite" {
			if !errors.Is(err, deadlock) {
				t.Fatalf("CreateUser = %v, want the injected error unretried", err)
			}
			return
		}
		if err != nil || u.Person.Ref != "CONFLICT-1" {
			t.Fatalf("CreateUser = %+v, %v", u, err)
		}
		if _, err := sqldb.NewUserService(db).FindUser(ctx, lethe.ByRef("CONFLICT-1")); err != nil {
			t.Fatalf("the user of the second attempt: %v", err)
		}
	})
	t.Run("ErrKeepsConflicting", func(t *testing.T) {
		db.SetFailpoint(func(string) error { return deadlock })
		defer db.SetFailpoint(nil)
		_, err := sqldb.NewUserService(db).CreateUser(ctx, "CONFLICT-2", person("CONFLICT-2"))
		if db.Dialect() == "sqlite" {
			if !errors.Is(err, deadlock) {
				t.Fatalf("CreateUser = %v, want the injected error unretried", err)
			}
			return
		}
		if lethe.ErrorCode(err) != lethe.EUnavailable {
			t.Fatalf("CreateUser = %v, want %s", err, lethe.EUnavailable)
		}
	})
}

func person(ref string) lethe.UserFields {
	return lethe.UserFields{FirstName: strp("First"), LastName: strp("Last"), Email: strp(ref + "@example.com")}
}
