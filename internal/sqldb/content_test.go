package sqldb_test

import (
	"context"
	"testing"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
)

// MustCreateContent creates a video with each of ids in the tenant of ctx.
func MustCreateContent(tb testing.TB, ctx context.Context, db *sqldb.DB, ids ...string) {
	tb.Helper()
	contents := sqldb.NewContentService(db)
	for _, id := range ids {
		title, typ := "Content "+id, "video"
		if _, err := contents.CreateContent(ctx, id, lethe.ContentFields{Title: &title, Type: &typ}); err != nil {
			tb.Fatalf("create content %s: %v", id, err)
		}
	}
}
