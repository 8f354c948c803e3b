package seed

import (
	"context"
	"fmt"
	"time"

	"github.com/lethehq/lethe"
)

// The columns a load writes hold times as Unix milliseconds.
func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

const dayMS = 24 * 60 * 60 * 1000

// seedID is a time-ordered id whose random half is the row number, so seeded
// ids are unique and deterministic.
func seedID(t time.Time, i int) string {
	id := lethe.NewID(t)
	return id[:12] + fmt.Sprintf("%012x", i)
}

// actorTenant is the tenant of the actor in ctx (the loader checked there
// is one).
func actorTenant(ctx context.Context) lethe.TenantID {
	a, _ := lethe.ActorFrom(ctx)
	return a.TenantID
}
