package sqldb

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/testdb"
)

// countingQuerier counts the statements run through it.
type countingQuerier struct {
	db *sql.DB
	n  int
}

func (c *countingQuerier) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	c.n++
	return c.db.QueryContext(ctx, q, args...)
}

// TestFindUserLinks_Statements: the links of a page of 1000 users are one
// statement, however many links each has; 1001 users are two (ADR 0025).
func TestFindUserLinks_Statements(t *testing.T) {
	db, err := Open(context.Background(), testdb.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, _, err := NewTenantService(db).CreateTenant(context.Background(), "acme", "Acme"); err != nil {
		t.Fatal(err)
	}
	ctx := lethe.WithActor(context.Background(), lethe.Actor{TenantID: "acme", Source: lethe.SourceCLI, Name: "t"})
	var users []lethe.LearnerID
	for _, ref := range []string{"ann", "bea", "cal"} {
		email, name := ref+"@example.com", "N"
		u, err := NewUserService(db).CreateUser(ctx, ref, lethe.UserFields{Email: &email, FirstName: &name, LastName: &name})
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, u.ID)
	}
	aud := NewAudienceService(db)
	org, err := aud.CreateAudience(ctx, lethe.AudienceFields{Name: linksPtr("Org")})
	if err != nil {
		t.Fatal(err)
	}
	team, err := aud.CreateAudience(ctx, lethe.AudienceFields{Name: linksPtr("Team"), ParentID: &org.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := aud.AddMembers(ctx, team.ID, []string{"ann", "bea"}); err != nil {
		t.Fatal(err)
	}
	tags := NewTagService(db)
	for _, n := range []string{"Go", "rust"} {
		if _, err := tags.CreateTag(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tags.AddLearnerTags(ctx, users[0], []string{"rust", "go"}); err != nil {
		t.Fatal(err)
	}
	if _, err := tags.UpdateSkills(ctx, users[1], []lethe.SkillUpdate{{TagName: "Go", Level: linksPtr(2)}}); err != nil {
		t.Fatal(err)
	}
	ids := append([]lethe.LearnerID{}, users...)
	for len(ids) < linksPerStatement {
		ids = append(ids, lethe.LearnerID(lethe.NewID(time.Now())))
	}
	want := map[lethe.LearnerID]*lethe.UserLinks{
		users[0]: {Audiences: []string{team.ID}, Interests: []string{"Go", "rust"}},
		users[1]: {Audiences: []string{team.ID}, Skills: []lethe.UserSkill{{TagName: "Go", Level: linksPtr(2)}}},
	}
	for _, c := range []struct {
		ids        []lethe.LearnerID
		statements int
	}{{ids[:1], 1}, {ids, 1}, {append(ids, "another"), 2}, {nil, 0}} {
		q := &countingQuerier{db: db.read}
		got, err := findUserLinks(ctx, q, db.dialect.memberLearners, "acme", c.ids)
		if err != nil {
			t.Fatal(err)
		}
		if q.n != c.statements {
			t.Errorf("%d users: %d statements, want %d", len(c.ids), q.n, c.statements)
		}
		for _, l := range got {
			for i := range l.Skills {
				l.Skills[i].TagID = ""
			}
		}
		w := want
		if len(c.ids) == 1 { // the statement for one user is another
			w = map[lethe.LearnerID]*lethe.UserLinks{users[0]: want[users[0]]}
		}
		if len(c.ids) > 0 {
			if d := cmp.Diff(w, got); d != "" {
				t.Errorf("%d users: links (-want +got):\n%s", len(c.ids), d)
			}
		}
	}
	// Another tenant sees none of them.
	other, err := findUserLinks(ctx, &countingQuerier{db: db.read}, db.dialect.memberLearners, "other", users)
	if err != nil || len(other) != 0 {
		t.Errorf("other tenant: %v, %v", other, err)
	}
}

func linksPtr[T any](v T) *T { return &v }
