package scim

import (
	"errors"
	"strings"
	"sync"

	filter "github.com/scim2/filter-parser/v2"
)

// The filter parser allocates heavily: parsing the five mapped enterprise
// paths took over a third of the CPU of a SCIM create. Plain attribute
// paths (no value filter, so no value a client sent) are few, named by the
// schema and the tenants' mappings, and are parsed once. A path with a
// value filter may carry a person's email and is parsed every time.
const maxCachedPaths = 512

// maxPathLength bounds a PATCH path: the parser took 200 ms over a 50 kB
// attribute name, and a body may hold 1 MiB.
const maxPathLength = 1024

var errPathTooLong = errors.New("scim: path too long or nested too deep")

var pathCache struct {
	sync.RWMutex
	m map[string]filter.Path
}

// parsePath parses a PATCH or mapping path. The Path it returns is shared:
// callers must not change it.
func parsePath(raw string) (filter.Path, error) {
	raw = prepareFilter(raw)
	if len(raw) > maxPathLength || nesting(raw) > maxFilterNesting {
		return filter.Path{}, errPathTooLong
	}
	cacheable := !strings.ContainsAny(raw, `["`)
	if cacheable {
		pathCache.RLock()
		p, ok := pathCache.m[raw]
		pathCache.RUnlock()
		if ok {
			return p, nil
		}
	}
	p, err := filter.ParsePath([]byte(raw))
	if err != nil || !cacheable {
		return p, err
	}
	pathCache.Lock()
	if pathCache.m == nil {
		pathCache.m = map[string]filter.Path{}
	}
	if len(pathCache.m) < maxCachedPaths {
		pathCache.m[raw] = p
	}
	pathCache.Unlock()
	return p, nil
}
