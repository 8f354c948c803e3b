package sqldb_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
	"github.com/lethehq/lethe/internal/testdb"
)

// BenchmarkUserService_FindUserLinks measures what the links add to a page
// of 1,000 users of GET /rest/v1/users (ADR 0025): each user in three
// audiences, with three interests and three skills.
func BenchmarkUserService_FindUserLinks(b *testing.B) {
	db, err := sqldb.Open(context.Background(), testdb.DSN(b))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, _, err := sqldb.NewTenantService(db).CreateTenant(context.Background(), "links", "Links"); err != nil {
		b.Fatal(err)
	}
	ctx := lethe.WithActor(context.Background(), lethe.Actor{TenantID: "links", Source: lethe.SourceCLI, Name: "bench"})
	users, aud, tags := sqldb.NewUserService(db), sqldb.NewAudienceService(db), sqldb.NewTagService(db)
	org, err := aud.CreateAudience(ctx, lethe.AudienceFields{Name: strp("Org")})
	if err != nil {
		b.Fatal(err)
	}
	var teams []string
	for i := range 3 {
		a, err := aud.CreateAudience(ctx, lethe.AudienceFields{Name: strp(fmt.Sprint("Team ", i)), ParentID: &org.ID})
		if err != nil {
			b.Fatal(err)
		}
		teams = append(teams, a.ID)
	}
	names := []string{"Go", "Rust", "Zig"}
	for _, n := range names {
		if _, err := tags.CreateTag(ctx, n); err != nil {
			b.Fatal(err)
		}
	}
	const n = 1000
	var refs []string
	for i := range n {
		ref, first := fmt.Sprintf("u%04d", i), "N"
		email := ref + "@example.com"
		u, err := users.CreateUser(ctx, ref, lethe.UserFields{Email: &email, FirstName: &first, LastName: &first})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tags.AddLearnerTags(ctx, u.ID, names); err != nil {
			b.Fatal(err)
		}
		level := i % 5
		if _, err := tags.UpdateSkills(ctx, u.ID, []lethe.SkillUpdate{{TagName: "Go", Level: &level}, {TagName: "Rust"}, {TagName: "Zig", TargetLevel: &level}}); err != nil {
			b.Fatal(err)
		}
		if refs = append(refs, ref); len(refs) == 100 {
			for _, t := range teams {
				if _, err := aud.AddMembers(ctx, t, refs); err != nil {
					b.Fatal(err)
				}
			}
			refs = refs[:0]
		}
	}
	b.Run("page", func(b *testing.B) {
		for b.Loop() {
			if got, _, err := users.FindUsers(ctx, lethe.UserFilter{Limit: n}); err != nil || len(got) != n {
				b.Fatal(len(got), err)
			}
		}
	})
	b.Run("page+links", func(b *testing.B) {
		for b.Loop() {
			got, _, err := users.FindUsers(ctx, lethe.UserFilter{Limit: n})
			if err != nil || len(got) != n {
				b.Fatal(len(got), err)
			}
			ids := make([]lethe.LearnerID, len(got))
			for i, u := range got {
				ids[i] = u.ID
			}
			links, err := users.FindUserLinks(ctx, ids)
			if err != nil || len(links) != n || len(links[ids[0]].Skills) != 3 || len(links[ids[0]].Audiences) != 3 {
				b.Fatal(len(links), err)
			}
		}
	})
}
