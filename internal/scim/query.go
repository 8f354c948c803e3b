package scim

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/lethehq/lethe"
)

// Paging limits.
const (
	defaultCount = 100
	maxCount     = 1000
)

// listParams are the query parameters of a list or search (RFC 7644
// §3.4.2), from the URL or a SearchRequest body.
type listParams struct {
	filter              string
	startIndex, count   int
	sortBy, sortOrder   string
	attributes, exclude []string
}

// queryParam returns the first value of the query parameter name, whose
// name ignores case.
func queryParam(q url.Values, name string) string {
	for k, v := range q {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

// projection reads attributes and excludedAttributes, for the answer to a
// write.
func projection(r *http.Request) listParams {
	q := r.URL.Query()
	return listParams{attributes: splitList(queryParam(q, "attributes")), exclude: splitList(queryParam(q, "excludedAttributes"))}
}

// paramsFromURL reads list parameters; their names ignore case.
func paramsFromURL(q url.Values) (listParams, error) {
	get := func(name string) string { return queryParam(q, name) }
	p := listParams{filter: get("filter"), sortBy: get("sortBy"), sortOrder: get("sortOrder"),
		attributes: splitList(get("attributes")), exclude: splitList(get("excludedAttributes"))}
	var err error
	if p.startIndex, err = intParam("startIndex", get("startIndex"), 1); err != nil {
		return p, err
	}
	if p.count, err = intParam("count", get("count"), defaultCount); err != nil {
		return p, err
	}
	return p, nil
}

func intParam(name, v string, def int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return 0, errorf(http.StatusBadRequest, typeInvalidValue, "%s must be an integer.", name)
	}
	return n, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// paramsFromSearch reads a SearchRequest body (POST /.search).
func paramsFromSearch(d doc) (listParams, error) {
	p := listParams{startIndex: 1, count: defaultCount}
	if err := checkSchemas(d, func(u string) bool { return strings.EqualFold(u, searchSchema) }); err != nil {
		return p, err
	}
	text := func(name string, dst *string) error {
		v, _ := lookup(d, name)
		if v == nil {
			return nil
		}
		s, ok := v.(string)
		if !ok {
			return badValue(name, "must be a string")
		}
		*dst = s
		return nil
	}
	num := func(name string, dst *int) error {
		v, _ := lookup(d, name)
		if v == nil {
			return nil
		}
		n, ok := numberOf(v)
		if !ok || n != float64(int(n)) {
			return badValue(name, "must be an integer")
		}
		*dst = int(n)
		return nil
	}
	list := func(name string, dst *[]string) error {
		v, _ := lookup(d, name)
		switch v := v.(type) {
		case nil:
		case string:
			*dst = splitList(v)
		case []any:
			for _, e := range v {
				s, ok := e.(string)
				if !ok {
					return badValue(name, "must be an array of attribute paths")
				}
				*dst = append(*dst, splitList(s)...)
			}
		default:
			return badValue(name, "must be an array of attribute paths")
		}
		return nil
	}
	for _, err := range []error{text("filter", &p.filter), text("sortBy", &p.sortBy), text("sortOrder", &p.sortOrder),
		num("startIndex", &p.startIndex), num("count", &p.count),
		list("attributes", &p.attributes), list("excludedAttributes", &p.exclude)} {
		if err != nil {
			return p, err
		}
	}
	return p, nil
}

// query turns list parameters into a domain query over a resource whose
// filterable (and sortable) attributes are attrs.
func (p listParams) query(res *resource, attrs filterAttrs) (lethe.SCIMQuery, error) {
	var q lethe.SCIMQuery
	f, err := parseFilter(p.filter, res, attrs)
	if err != nil {
		return q, err
	}
	q.Filter = f
	if p.sortBy != "" {
		name := strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(p.sortBy, res.core.ID), ":"))
		def, ok := attrs[name]
		if !ok || name == "emails" || name == "members" || name == "members.value" {
			return q, badValue("sortBy", "names an attribute Lethe cannot sort on")
		}
		q.SortBy = def[0]
	}
	switch strings.ToLower(p.sortOrder) {
	case "", "ascending":
	case "descending":
		q.Descending = true
	default:
		return q, badValue("sortOrder", "must be ascending or descending")
	}
	q.Offset = max(p.startIndex, 1) - 1
	q.Limit = min(max(p.count, 0), maxCount)
	return q, nil
}

// listResponse is a ListResponse message. Resources is never null.
func listResponse(resources []any, total, startIndex int) doc {
	if resources == nil {
		resources = []any{}
	}
	return doc{"schemas": []any{listSchema}, "totalResults": total, "itemsPerPage": len(resources),
		"startIndex": max(startIndex, 1), "Resources": resources}
}

// project applies attributes and excludedAttributes to a rendered
// document; id and schemas are always kept.
func (p listParams) project(res *resource, d doc) doc {
	if len(p.attributes) > 0 {
		out := doc{"id": d["id"], "schemas": d["schemas"]}
		for _, a := range p.attributes {
			copyPath(res, d, out, a)
		}
		return out
	}
	for _, a := range p.exclude {
		removePath(res, d, a)
	}
	return d
}

// splitAttrPath reads an attributes entry: the extension it is in ("" for
// the core schema), the attribute and the sub-attribute.
func splitAttrPath(res *resource, path string) (ext, name, sub string) {
	if e := res.extension(path); e != nil {
		return e.ID, "", ""
	}
	if len(path) > len(res.core.ID)+1 && strings.EqualFold(path[:len(res.core.ID)+1], res.core.ID+":") {
		path = path[len(res.core.ID)+1:]
	}
	for _, e := range res.extensions {
		if len(path) > len(e.ID)+1 && strings.EqualFold(path[:len(e.ID)+1], e.ID+":") {
			ext, path = e.ID, path[len(e.ID)+1:]
		}
	}
	name, sub, _ = strings.Cut(path, ".")
	return ext, name, sub
}

func copyPath(res *resource, from, to doc, path string) {
	ext, name, sub := splitAttrPath(res, path)
	if ext != "" {
		src, ok := from[ext].(map[string]any)
		if !ok {
			return
		}
		if name == "" {
			to[ext] = src
			return
		}
		dst, _ := to[ext].(map[string]any)
		if dst == nil {
			dst = doc{}
			to[ext] = dst
		}
		from, to = src, dst
	}
	k := keyOf(from, name)
	v, ok := from[k]
	if !ok {
		return
	}
	if sub == "" {
		to[k] = v
		return
	}
	switch v := v.(type) {
	case map[string]any:
		dst, _ := to[k].(map[string]any)
		if dst == nil {
			dst = doc{}
			to[k] = dst
		}
		if sv, ok := lookup(v, sub); ok {
			dst[keyOf(v, sub)] = sv
		}
	case []any:
		out := make([]any, 0, len(v))
		for _, e := range v {
			if m, ok := e.(map[string]any); ok {
				if sv, ok := lookup(m, sub); ok {
					out = append(out, doc{keyOf(m, sub): sv})
				}
			}
		}
		to[k] = out
	}
}

func removePath(res *resource, d doc, path string) {
	ext, name, sub := splitAttrPath(res, path)
	if ext != "" {
		if name == "" {
			delete(d, ext)
			return
		}
		m, ok := d[ext].(map[string]any)
		if !ok {
			return
		}
		d = m
	}
	k := keyOf(d, name)
	if k == "id" || k == "schemas" {
		return
	}
	if sub == "" {
		delete(d, k)
		return
	}
	switch v := d[k].(type) {
	case map[string]any:
		delete(v, keyOf(v, sub))
	case []any:
		for _, e := range v {
			if m, ok := e.(map[string]any); ok {
				delete(m, keyOf(m, sub))
			}
		}
	}
}

// wantsMembers reports whether a projection shows members.
func (p listParams) wantsMembers() bool {
	for _, a := range p.exclude {
		if strings.EqualFold(a, "members") || strings.EqualFold(a, groupSchema+":members") {
			return false
		}
	}
	if len(p.attributes) == 0 {
		return true
	}
	for _, a := range p.attributes {
		_, name, _ := splitAttrPath(groupResource, a)
		if strings.EqualFold(name, "members") {
			return true
		}
	}
	return false
}

// search answers POST /.search: the SearchRequest body read as the list
// parameters of a GET, then the list.
func (h *Handler) search(r *http.Request, list func(*http.Request, listParams) (*reply, error)) (*reply, error) {
	d, err := readDoc(r)
	if err != nil {
		return nil, err
	}
	p, err := paramsFromSearch(d)
	if err != nil {
		return nil, err
	}
	return list(r, p)
}
