package lethe

import (
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
