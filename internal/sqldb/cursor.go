package sqldb

import (
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lethehq/lethe"
)

// pageCursors remembers where the pages of user listings ended, so that the
// next page of a client reading page after page (a data connector's full
// sync) continues after the last id it was sent instead of stepping over
// every row before it: OFFSET costs one index step per skipped row, which
// makes reading n users O(n²) (see ADR 0012).
//
// A mark is used only when the listing has not changed since it was taken:
// it carries the listing's total and the tenant's latest learner update,
// and both must be the same when it is used. Every write to a learner row
// sets its updated_at to the time of the write, and the rows a listing
// holds change either through such a write or, for a status filter,
// through time alone (an end date passing), which moves learners out of a
// filter or into it but never both at once for one filter, and so changes
// its total. A mark that does not match is ignored and the page is read with
// OFFSET, as without the cache: the cache never changes what a page holds.
type pageCursors struct {
	mu    sync.Mutex
	marks map[cursorKey]cursorMark
	ring  []cursorKey // insertion order, for eviction
	next  int
	hits  int // marks used, for tests
}

// cursorCap bounds the marks kept: a full sync of 1,000,000 users at 200 a
// page leaves 5,000, of which only the latest few are read again (a retried
// page); older ones are dropped first.
const cursorCap = 4096

// cursorKey names the row at which a page starts: the offset in a tenant's
// listing under one filter.
type cursorKey struct {
	tenant lethe.TenantID
	filter string
	offset int
}

// cursorMark is the id of the row before that offset, and the state of the
// listing it was read from.
type cursorMark struct {
	after   string
	total   int
	updated int64
}

func newPageCursors() *pageCursors {
	return &pageCursors{marks: make(map[cursorKey]cursorMark), ring: make([]cursorKey, cursorCap)}
}

// get returns the id after which the page at k starts, if a mark for k was
// taken from a listing with that total and latest update.
func (c *pageCursors) get(k cursorKey, total int, updated int64) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := c.marks[k]
	if !ok || m.total != total || m.updated != updated {
		return "", false
	}
	c.hits++
	return m.after, true
}

// put records that the page at k starts after id.
func (c *pageCursors) put(k cursorKey, m cursorMark) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.marks[k]; ok {
		c.marks[k] = m
		return
	}
	if old := c.ring[c.next]; old != (cursorKey{}) {
		delete(c.marks, old)
	}
	c.ring[c.next] = k
	c.next = (c.next + 1) % len(c.ring)
	c.marks[k] = m
}

// userFilterKey is the part of a user filter that decides which rows a
// listing holds, in a canonical form.
func userFilterKey(f lethe.UserFilter) string {
	var b strings.Builder
	if f.Statuses != nil {
		s := make([]string, len(f.Statuses))
		for i, st := range f.Statuses {
			s[i] = string(st)
		}
		slices.Sort(s)
		b.WriteString("s=" + strings.Join(slices.Compact(s), ","))
	}
	if f.UpdatedSince != nil {
		b.WriteString(";u=" + strconv.FormatInt(f.UpdatedSince.UTC().Truncate(time.Millisecond).UnixMilli(), 10))
	}
	return b.String()
}
