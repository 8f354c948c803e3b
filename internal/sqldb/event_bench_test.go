package sqldb_test

import (
	"fmt"
	"testing"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
)

// BenchmarkEvents_Cost measures what emitting events adds to a user's
// create and erasure at the store: each case runs with no subscription and
// with one that takes every type (nothing delivers meanwhile).
//
//	go test -run '^$' -bench Events_Cost -benchtime 3000x ./internal/sqldb
func BenchmarkEvents_Cost(b *testing.B) {
	for _, subscribed := range []bool{false, true} {
		name := map[bool]string{false: "none", true: "subscribed"}[subscribed]
		db := MustOpenDB(b)
		db.AllowPrivateWebhooks = true
		ctx := MustTenant(b, db, lethe.TenantID("cost-"+name))
		if subscribed {
			if _, err := sqldb.NewWebhookService(db).CreateSubscription(ctx, "http://127.0.0.1:9/h",
				lethe.SubscriptionTypes[:4], "k", true); err != nil {
				b.Fatal(err)
			}
		}
		users := sqldb.NewUserService(db)
		var ids []lethe.LearnerID
		erased := 0 // with -count N, each run erases the users the last left
		b.Run("Create/"+name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				ref := fmt.Sprintf("u-%d-%d", len(ids), i)
				i++
				u, err := users.CreateUser(ctx, ref, lethe.UserFields{FirstName: strp("F"), LastName: strp("L"), Email: strp(ref + "@example.com")})
				if err != nil {
					b.Fatal(err)
				}
				ids = append(ids, u.ID)
			}
		})
		b.Run("Erase/"+name, func(b *testing.B) {
			for b.Loop() {
				if erased >= len(ids) {
					b.Skip("fewer users than erasures: give -benchtime Nx")
				}
				if _, err := users.EraseUser(ctx, lethe.ByID(ids[erased])); err != nil {
					b.Fatal(err)
				}
				erased++
			}
		})
	}
}
