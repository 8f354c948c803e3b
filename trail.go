package lethe

import (
	"context"
	"strconv"
	"time"
)

// TrailPoint is an entry of a tenant's trail, by seq and hash. Seq 0
// with the zero hash is the start of an empty trail.
type TrailPoint struct {
	Seq  int64
	Hash []byte
}

// TrailEntry is one entry of a tenant's trail: who did what to whom,
// by internal ids and fixed words only.
type TrailEntry struct {
	Seq      int64
	At       time.Time
	Action   string // e.g. "user.erased"
	Source   Source
	Actor    string
	Subject  string // a learner id, or "" for the tenant
	Detail   string // a small JSON object of fixed words and numbers
	PrevHash []byte
	Hash     []byte
}

// TrailProblem is a break in a tenant's trail: an entry missing, changed,
// or not following the one before it.
type TrailProblem struct {
	TenantID TenantID
	Seq      int64
	Problem  string
}

func (p TrailProblem) String() string {
	return "tenant " + string(p.TenantID) + ", entry " + strconv.FormatInt(p.Seq, 10) + ": " + p.Problem
}

// TrailFilterWindow is how far back a filtered trail page looks: the
// latest this many entries of the tenant (lethe trail verify reads them
// all).
const TrailFilterWindow = 100_000

// TrailFilter selects entries of a tenant's trail, newest first.
type TrailFilter struct {
	Action  string // one action, such as "user.suspended"; "" for every action
	Subject string // a learner or console account id; "" for every subject
	// Offset entries are skipped, then up to Limit (1-1000) are returned.
	Offset, Limit int
}

// TrailService reads a tenant's trail. Every method is scoped to the
// tenant of the Actor in ctx.
type TrailService interface {
	// FindTrail returns the entries f selects, newest first; more reports
	// whether further entries follow. Without a filter a page is a range
	// of seq counted down from the head, so after entries were removed
	// (a broken trail) pages may overlap.
	FindTrail(ctx context.Context, f TrailFilter) (entries []*TrailEntry, more bool, err error)
	// TrailActions lists the actions of the tenant's latest trail entries, in order.
	TrailActions(ctx context.Context) ([]string, error)
	// VerifyTenantTrail walks the tenant's whole trail: entries numbered
	// from 1 without gaps, each hash the chain of the one before and the
	// entry, the last one the head. It returns how many entries it checked
	// and every break it found. It reads every entry: it takes time in
	// proportion to the trail.
	VerifyTenantTrail(ctx context.Context) (checked int, problems []TrailProblem, err error)
}
