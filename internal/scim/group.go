package scim

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/lethehq/lethe"
)

// groupDoc renders a group as its SCIM document. Its version covers the
// group's own attributes and lastModified (which every member change
// moves), not its members, so that a GET with excludedAttributes=members
// shows the same version.
func groupDoc(g *lethe.SCIMGroup, base string) doc {
	d := doc{"schemas": []any{groupSchema}, "id": g.ID, "displayName": g.Name,
		"meta": doc{"resourceType": "Group", "created": g.CreatedAt.UTC().Format(timeFormat),
			"lastModified": g.UpdatedAt.UTC().Format(timeFormat), "location": base + "/Groups/" + g.ID}}
	setText(d, "externalId", g.Reference)
	setVersion(d)
	if g.Members != nil {
		members := make([]any, 0, len(g.Members))
		for _, m := range g.Members {
			members = append(members, doc{"value": string(m), "$ref": base + "/Users/" + string(m), "type": "User"})
		}
		d["members"] = members
	}
	return d
}

// groupState is what Lethe keeps of a group document.
type groupState struct {
	name, externalID string
	members          []lethe.LearnerID
}

// readGroup reads a group document (canonical keys).
func readGroup(d doc) (groupState, error) {
	var s groupState
	for _, f := range []struct {
		attr string
		dst  *string
	}{{"displayName", &s.name}, {"externalId", &s.externalID}} {
		switch v := d[f.attr].(type) {
		case nil:
		case string:
			*f.dst = v
		default:
			return s, badValue(f.attr, "must be a string")
		}
	}
	var list []any
	switch v := d["members"].(type) {
	case nil:
	case []any:
		list = v
	default:
		return s, badValue("members", "must be an array of objects")
	}
	s.members = []lethe.LearnerID{}
	seen := map[lethe.LearnerID]bool{}
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return s, badValue("members", "must be an array of objects with a value")
		}
		v, _ := lookup(m, "value")
		id, ok := v.(string)
		if !ok || id == "" {
			return s, badValue("members.value", "must be a user's id")
		}
		if lid := lethe.LearnerID(id); !seen[lid] {
			seen[lid] = true
			s.members = append(s.members, lid)
		}
	}
	return s, nil
}

// groupEdit is the change from before to after.
func groupEdit(before, after groupState) *lethe.SCIMGroupEdit {
	e := &lethe.SCIMGroupEdit{}
	if after.name != before.name {
		e.Name = &after.name
	}
	if after.externalID != before.externalID {
		e.ExternalID = &after.externalID
	}
	b, a := slices.Clone(before.members), slices.Clone(after.members)
	slices.Sort(b)
	slices.Sort(a)
	if !slices.Equal(a, b) {
		e.Members = &after.members
	}
	return e
}

// maxIDsPerLookup bounds the ids one member-name lookup filters on.
const maxIDsPerLookup = 50

// addDisplays fills members[].display with the members' full names, in
// one query per maxIDsPerLookup members.
func (h *Handler) addDisplays(ctx context.Context, docs []doc) error {
	var ids []string
	for _, d := range docs {
		list, _ := d["members"].([]any)
		for _, e := range list {
			ids = append(ids, e.(doc)["value"].(string))
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	names := map[string]string{}
	for chunk := range slices.Chunk(ids, maxIDsPerLookup) {
		users, _, err := h.SCIM.FindSCIMUsers(ctx, lethe.SCIMQuery{Filter: idsFilter(chunk), Limit: len(chunk)})
		if err != nil {
			return err
		}
		for _, u := range users {
			if u.Person != nil {
				names[string(u.ID)] = u.Person.FullName()
			}
		}
	}
	for _, d := range docs {
		list, _ := d["members"].([]any)
		for _, e := range list {
			m := e.(doc)
			if n, ok := names[m["value"].(string)]; ok {
				m["display"] = n
			}
		}
	}
	return nil
}

// idsFilter is id eq a or id eq b …, as a balanced tree.
func idsFilter(ids []string) *lethe.SCIMFilter {
	if len(ids) == 1 {
		return &lethe.SCIMFilter{Op: lethe.SCIMEq, Attr: "id", Value: ids[0]}
	}
	mid := len(ids) / 2
	return &lethe.SCIMFilter{Op: lethe.SCIMOr, Left: idsFilter(ids[:mid]), Right: idsFilter(ids[mid:])}
}

func (h *Handler) listOrGetGroup(r *http.Request, rt route) (*reply, error) {
	p, err := paramsFromURL(r.URL.Query())
	if err != nil {
		return nil, err
	}
	if rt.id == "" {
		return h.listGroups(r, p)
	}
	g, err := h.SCIM.FindSCIMGroup(r.Context(), rt.id, p.wantsMembers())
	if err != nil {
		return nil, err
	}
	d := groupDoc(g, baseURL(r))
	v := versionOf(d)
	if notModified(r, v) {
		return &reply{status: http.StatusNotModified, etag: v}, nil
	}
	if err := h.addDisplays(r.Context(), []doc{d}); err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, body: p.project(groupResource, d), etag: v}, nil
}

func (h *Handler) searchGroups(r *http.Request, _ route) (*reply, error) {
	return h.search(r, h.listGroups)
}

func (h *Handler) listGroups(r *http.Request, p listParams) (*reply, error) {
	q, err := p.query(groupResource, groupFilters)
	if err != nil {
		return nil, err
	}
	q.Members = p.wantsMembers()
	h.logQuery(r, q)
	groups, total, err := h.SCIM.FindSCIMGroups(r.Context(), q)
	if err != nil {
		return nil, err
	}
	base := baseURL(r)
	docs := make([]doc, 0, len(groups))
	for _, g := range groups[:min(len(groups), q.Limit)] {
		docs = append(docs, groupDoc(g, base))
	}
	if err := h.addDisplays(r.Context(), docs); err != nil {
		return nil, err
	}
	resources := make([]any, 0, len(docs))
	for _, d := range docs {
		resources = append(resources, p.project(groupResource, d))
	}
	return &reply{status: http.StatusOK, body: listResponse(resources, total, p.startIndex)}, nil
}

// readGroupBody reads the group document of a POST or PUT.
func readGroupBody(r *http.Request) (groupState, error) {
	d, err := readDoc(r)
	if err != nil {
		return groupState{}, err
	}
	if err := checkSchemas(d, groupResource.knownSchema); err != nil {
		return groupState{}, err
	}
	groupResource.canonical(d)
	s, err := readGroup(d)
	if err == nil && strings.TrimSpace(s.name) == "" {
		err = badValue("displayName", "is required")
	}
	return s, err
}

func (h *Handler) createGroup(r *http.Request, _ route) (*reply, error) {
	s, err := readGroupBody(r)
	if err != nil {
		return nil, err
	}
	g, err := h.SCIM.CreateSCIMGroup(r.Context(), s.name, s.externalID, s.members)
	if err != nil {
		return nil, err
	}
	return h.groupReply(r, g, http.StatusCreated)
}

func (h *Handler) groupReply(r *http.Request, g *lethe.SCIMGroup, status int) (*reply, error) {
	d, p := groupDoc(g, baseURL(r)), projection(r)
	if !p.wantsMembers() {
		delete(d, "members")
	}
	if err := h.addDisplays(r.Context(), []doc{d}); err != nil {
		return nil, err
	}
	rep := &reply{status: status, body: p.project(groupResource, d), etag: versionOf(d)}
	if status == http.StatusCreated {
		rep.location = baseURL(r) + "/Groups/" + g.ID
	}
	return rep, nil
}

func (h *Handler) replaceGroup(r *http.Request, rt route) (*reply, error) {
	next, err := readGroupBody(r)
	if err != nil {
		return nil, err
	}
	return h.editGroup(r, rt.id, func(groupState, doc) (groupState, error) { return next, nil })
}

func (h *Handler) patchGroup(r *http.Request, rt route) (*reply, error) {
	d, err := readDoc(r)
	if err != nil {
		return nil, err
	}
	ops, err := readPatch(d)
	if err != nil {
		return nil, err
	}
	return h.editGroup(r, rt.id, func(_ groupState, cur doc) (groupState, error) {
		if err := applyPatch(groupResource, cur, rt.id, ops); err != nil {
			return groupState{}, err
		}
		s, err := readGroup(cur)
		if err == nil && strings.TrimSpace(s.name) == "" {
			err = badValue("displayName", "is required")
		}
		return s, err
	})
}

// editGroup changes a group inside SCIMService.EditSCIMGroup, as editUser
// does a user.
func (h *Handler) editGroup(r *http.Request, id string, change func(groupState, doc) (groupState, error)) (*reply, error) {
	base := baseURL(r)
	g, err := h.SCIM.EditSCIMGroup(r.Context(), id, func(cur *lethe.SCIMGroup) (*lethe.SCIMGroupEdit, error) {
		if cur.Members == nil {
			cur.Members = []lethe.LearnerID{}
		}
		d := groupDoc(cur, base)
		if err := checkIfMatch(r, d); err != nil {
			return nil, err
		}
		before, err := readGroup(d)
		if err != nil {
			return nil, err
		}
		after, err := change(before, deepCopy(d).(map[string]any))
		if err != nil {
			return nil, err
		}
		return groupEdit(before, after), nil
	})
	if err != nil {
		return nil, err
	}
	return h.groupReply(r, g, http.StatusOK)
}

func (h *Handler) deleteGroup(r *http.Request, rt route) (*reply, error) {
	ctx := r.Context()
	if r.Header.Get("If-Match") != "" {
		g, err := h.SCIM.FindSCIMGroup(ctx, rt.id, true)
		if err != nil {
			return nil, err
		}
		if err := checkIfMatch(r, groupDoc(g, baseURL(r))); err != nil {
			return nil, err
		}
	}
	if err := h.SCIM.DeleteSCIMGroup(ctx, rt.id); err != nil {
		return nil, err
	}
	return &reply{status: http.StatusNoContent}, nil
}
