package scim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"

	"github.com/lethehq/lethe"
)

// timeFormat is how SCIM dates are written: RFC 3339, UTC, milliseconds.
const timeFormat = "2006-01-02T15:04:05.000Z"

// userDoc renders a user as its SCIM document, with meta.version set.
// mapping is the tenant's additionalFields mapping; base the absolute URL
// of /scim/v2.
func userDoc(u *lethe.SCIMUser, mapping map[string]string, base string) doc {
	id := string(u.ID)
	p := u.Person
	if p == nil {
		p = &lethe.Person{}
	}
	d := doc{"id": id, "userName": p.Ref, "active": u.State != lethe.StateSuspended, "displayName": p.FullName(),
		"name": doc{"givenName": p.FirstName, "familyName": p.LastName, "formatted": p.FullName()}}
	setText(d, "externalId", u.ExternalID)
	if p.Email != "" {
		d["emails"] = []any{doc{"value": p.Email, "type": "work", "primary": true}}
	}
	setText(d, "title", p.JobTitle)
	setText(d, "preferredLanguage", p.LanguageCode)
	setText(d, "timezone", p.TimeZone)
	ent := doc{}
	d[enterprise] = ent
	if u.Manager != nil {
		mid := string(u.Manager.ID)
		ent["manager"] = doc{"value": mid, "$ref": base + "/Users/" + mid, "displayName": u.Manager.Name}
	}
	renderExtra(d, p.AdditionalFields, mapping)
	schemas := []any{userSchema}
	if len(ent) == 0 {
		delete(d, enterprise)
	} else {
		schemas = append(schemas, enterprise)
	}
	d["schemas"] = schemas
	d["meta"] = doc{"resourceType": "User", "created": u.CreatedAt.UTC().Format(timeFormat),
		"lastModified": u.UpdatedAt.UTC().Format(timeFormat), "location": base + "/Users/" + id}
	setVersion(d)
	return d
}

func setText(d doc, key, v string) {
	if v != "" {
		d[key] = v
	}
}

// renderExtra writes the mapped additionalFields of a user into d, each
// at its SCIM path.
func renderExtra(d doc, raw json.RawMessage, mapping map[string]string) {
	if len(raw) == 0 || len(mapping) == 0 {
		return
	}
	var af map[string]json.RawMessage
	if json.Unmarshal(raw, &af) != nil {
		return
	}
	for _, path := range slices.Sorted(maps.Keys(mapping)) {
		b, ok := af[mapping[path]]
		if !ok {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) == nil && v != nil {
			// A mapping path that does not resolve is skipped.
			_ = applyPath(userResource, d, "replace", path, v)
		}
	}
}

// userState is what Lethe keeps of a SCIM user document.
type userState struct {
	ref, email, first, last, title, lang, tz string
	managerID, externalID                    string
	active, activeSet                        bool
	extra                                    map[string]any // additionalFields key → value
}

// readUser reads what Lethe keeps from a user document (canonical keys).
// An attribute of the wrong type is 400 invalidValue naming it.
func readUser(d doc, mapping map[string]string) (userState, error) {
	var s userState
	var err error
	text := func(dst *string, v any, attr string) {
		if err != nil || v == nil {
			return
		}
		str, ok := v.(string)
		if !ok {
			err = badValue(attr, "must be a string")
		}
		*dst = str
	}
	text(&s.ref, d["userName"], "userName")
	text(&s.externalID, d["externalId"], "externalId")
	text(&s.title, d["title"], "title")
	text(&s.lang, d["preferredLanguage"], "preferredLanguage")
	text(&s.tz, d["timezone"], "timezone")
	switch name := d["name"].(type) {
	case map[string]any:
		text(&s.first, name["givenName"], "name.givenName")
		text(&s.last, name["familyName"], "name.familyName")
	case nil:
	default:
		return s, badValue("name", "must be an object")
	}
	if err != nil {
		return s, err
	}
	if s.email, err = readEmail(d["emails"]); err != nil {
		return s, err
	}
	if v, ok := d["active"]; ok && v != nil {
		if s.active, ok = boolOf(v); !ok {
			return s, badValue("active", "must be true or false")
		}
		s.activeSet = true
	}
	if s.managerID, err = readManager(d); err != nil {
		return s, err
	}
	s.extra = readExtra(d, mapping)
	return s, nil
}

// readEmail picks the email Lethe keeps: the work one, else the primary
// one, else the first.
func readEmail(v any) (string, error) {
	if v == nil {
		return "", nil
	}
	if m, ok := v.(map[string]any); ok {
		v = []any{m}
	}
	list, ok := v.([]any)
	if !ok {
		return "", badValue("emails", "must be an array of objects")
	}
	pick := -1
	for _, rank := range []func(doc) bool{
		func(m doc) bool { t, _ := lookup(m, "type"); s, _ := t.(string); return strings.EqualFold(s, "work") },
		func(m doc) bool { p, _ := lookup(m, "primary"); b, _ := boolOf(p); return b },
		func(doc) bool { return true },
	} {
		for i, e := range list {
			m, ok := e.(map[string]any)
			if !ok {
				return "", badValue("emails", "must be an array of objects")
			}
			if v, _ := lookup(m, "value"); v != nil && pick < 0 && rank(m) {
				pick = i
			}
		}
		if pick >= 0 {
			break
		}
	}
	if pick < 0 {
		return "", nil
	}
	v, _ = lookup(list[pick].(map[string]any), "value")
	s, ok := v.(string)
	if !ok {
		return "", badValue("emails.value", "must be a string")
	}
	return s, nil
}

// readManager reads the enterprise manager's id: an object with a value,
// or (as Entra sends it on PATCH) the id itself.
func readManager(d doc) (string, error) {
	ent, ok := d[enterprise].(map[string]any)
	if !ok {
		return "", nil
	}
	v := ent["manager"]
	if m, ok := v.(map[string]any); ok {
		v, _ = lookup(m, "value")
	}
	if v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", badValue(enterprise+":manager.value", "must be a string")
	}
	return s, nil
}

// readExtra reads the values of the tenant's mapped attributes.
func readExtra(d doc, mapping map[string]string) map[string]any {
	out := map[string]any{}
	for path, key := range mapping {
		if v, ok := getPath(userResource, d, path); ok && v != nil {
			out[key] = v
		}
	}
	return out
}

// getPath reads the value a path points to in d: the first value its
// filter selects, or nothing.
func getPath(res *resource, d doc, path string) (any, bool) {
	t, err := resolve(res, deepCopy(d).(map[string]any), path)
	if err != nil {
		return nil, false
	}
	v, ok := t.obj[t.key]
	if !ok {
		return nil, false
	}
	if t.filter != nil {
		list, _ := v.([]any)
		v, ok = nil, false
		for _, e := range list {
			if m, _ := matches(t.filter, e, nil); m {
				v, ok = e, true
				break
			}
		}
	}
	if t.sub == "" || !ok {
		return v, ok
	}
	if list, isList := v.([]any); isList && len(list) > 0 {
		v = list[0]
	}
	m, isMap := v.(map[string]any)
	if !isMap {
		return nil, false
	}
	return lookup(m, t.sub)
}

// userEdit is the change that turns before into after, the states of the
// user's document before and after a PUT or PATCH. managerRef resolves a
// manager's id to its ref. cur is the stored user.
func userEdit(before, after userState, cur *lethe.SCIMUser, managerRef func(string) (string, error)) (*lethe.SCIMUserEdit, error) {
	e := &lethe.SCIMUserEdit{}
	f := &e.Fields
	text := func(dst **string, b, a string) {
		if a != b {
			*dst = &a
		}
	}
	text(&f.FirstName, before.first, after.first)
	text(&f.LastName, before.last, after.last)
	text(&f.JobTitle, before.title, after.title)
	text(&f.LanguageCode, before.lang, after.lang)
	text(&f.TimeZone, before.tz, after.tz)
	text(&e.ExternalID, before.externalID, after.externalID)
	text(&e.Ref, before.ref, after.ref)
	if after.email != before.email {
		if after.email == "" {
			f.NullEmail = true
		} else {
			f.Email = &after.email
		}
	}
	if after.managerID != before.managerID {
		ref := ""
		if after.managerID != "" {
			var err error
			if ref, err = managerRef(after.managerID); err != nil {
				return nil, err
			}
		}
		f.ManagerRef = &ref
	}
	if after.activeSet && after.active != before.active {
		e.Active = &after.active
	}
	if !reflect.DeepEqual(before.extra, after.extra) {
		var raw json.RawMessage
		if cur.Person != nil {
			raw = cur.Person.AdditionalFields
		}
		f.AdditionalFields = mergeExtra(raw, before.extra, after.extra)
	}
	return e, nil
}

// mergeExtra writes the mapped keys of after over the user's
// additionalFields, removing mapped keys that after drops and keeping
// every key SCIM does not map.
func mergeExtra(raw json.RawMessage, before, after map[string]any) json.RawMessage {
	af := map[string]json.RawMessage{}
	if len(raw) > 0 {
		json.Unmarshal(raw, &af)
	}
	for k := range before {
		delete(af, k)
	}
	for k, v := range after {
		b, err := json.Marshal(v)
		if err == nil {
			af[k] = b
		}
	}
	if len(af) == 0 {
		return json.RawMessage("null")
	}
	b, _ := json.Marshal(af)
	return b
}

// newUserFields are the fields of a user created from state s. A user the
// identity provider sends without an email signs in with its ref (its
// userName), as Lethe requires of a user without one.
func newUserFields(s userState, managerRef string) lethe.UserFields {
	var f lethe.UserFields
	if s.email == "" {
		ref := lethe.LoginRef
		f.LoginMethod = &ref
	}
	opt := func(dst **string, v string) {
		if v != "" {
			*dst = &v
		}
	}
	opt(&f.FirstName, s.first)
	opt(&f.LastName, s.last)
	opt(&f.Email, s.email)
	opt(&f.JobTitle, s.title)
	opt(&f.LanguageCode, s.lang)
	opt(&f.TimeZone, s.tz)
	opt(&f.ManagerRef, managerRef)
	if len(s.extra) > 0 {
		f.AdditionalFields = mergeExtra(nil, nil, s.extra)
	}
	return f
}

// userID reads a path id as a learner id; a malformed one names no user.
func userID(s string) (lethe.LearnerID, error) {
	id, ok := lethe.ParseID(s)
	if !ok {
		return "", errorf(http.StatusNotFound, "", "User not found.")
	}
	return lethe.LearnerID(id), nil
}

func (h *Handler) listOrGetUser(r *http.Request, rt route) (*reply, error) {
	p, err := paramsFromURL(r.URL.Query())
	if err != nil {
		return nil, err
	}
	if rt.id == "" {
		return h.listUsers(r, p)
	}
	id, err := userID(rt.id)
	if err != nil {
		return nil, err
	}
	mapping, err := h.mapping(r.Context())
	if err != nil {
		return nil, err
	}
	u, err := h.SCIM.FindSCIMUser(r.Context(), id)
	if err != nil {
		return nil, err
	}
	d := userDoc(u, mapping, baseURL(r))
	v := versionOf(d)
	if notModified(r, v) {
		return &reply{status: http.StatusNotModified, etag: v}, nil
	}
	return &reply{status: http.StatusOK, body: p.project(userResource, d), etag: v}, nil
}

func (h *Handler) searchUsers(r *http.Request, _ route) (*reply, error) {
	return h.search(r, h.listUsers)
}

func (h *Handler) listUsers(r *http.Request, p listParams) (*reply, error) {
	q, err := p.query(userResource, userFilters)
	if err != nil {
		return nil, err
	}
	mapping, err := h.mapping(r.Context())
	if err != nil {
		return nil, err
	}
	h.logQuery(r, q)
	users, total, err := h.SCIM.FindSCIMUsers(r.Context(), q)
	if err != nil {
		return nil, err
	}
	base := baseURL(r)
	resources := make([]any, 0, len(users))
	for _, u := range users[:min(len(users), q.Limit)] {
		resources = append(resources, p.project(userResource, userDoc(u, mapping, base)))
	}
	return &reply{status: http.StatusOK, body: listResponse(resources, total, p.startIndex)}, nil
}

// logQuery logs the shape of a query's filter, never its values.
func (h *Handler) logQuery(r *http.Request, q lethe.SCIMQuery) {
	if h.Logger != nil && q.Filter != nil {
		h.Logger.DebugContext(r.Context(), "scim query", "request_id", r.Header.Get("X-Request-Id"),
			"route", h.Route(r), "filter", filterShape(q.Filter))
	}
}

// mappedSchema reports whether the tenant's mapping names attributes of
// the extension urn (an identity provider's custom extension).
func mappedSchema(mapping map[string]string, urn string) bool {
	for path := range mapping {
		if len(path) > len(urn) && strings.EqualFold(path[:len(urn)+1], urn+":") {
			return true
		}
	}
	return false
}

// readUserBody reads the user document of a POST or PUT.
func readUserBody(r *http.Request, mapping map[string]string) (userState, error) {
	d, err := readDoc(r)
	if err != nil {
		return userState{}, err
	}
	if err := checkSchemas(d, func(urn string) bool { return userResource.knownSchema(urn) || mappedSchema(mapping, urn) }); err != nil {
		return userState{}, err
	}
	userResource.canonical(d)
	s, err := readUser(d, mapping)
	if err != nil {
		return s, err
	}
	if strings.TrimSpace(s.ref) == "" {
		return s, badValue("userName", "is required")
	}
	return s, nil
}

func (h *Handler) createUser(r *http.Request, _ route) (*reply, error) {
	ctx := r.Context()
	mapping, err := h.mapping(ctx)
	if err != nil {
		return nil, err
	}
	s, err := readUserBody(r, mapping)
	if err != nil {
		return nil, err
	}
	managerRef := ""
	if s.managerID != "" {
		if managerRef, err = h.managerRef(ctx, s.managerID); err != nil {
			return nil, err
		}
	}
	u, err := h.SCIM.CreateSCIMUser(ctx, s.ref, newUserFields(s, managerRef), s.externalID, !s.activeSet || s.active)
	if err != nil {
		return nil, err
	}
	d := userDoc(u, mapping, baseURL(r))
	return &reply{status: http.StatusCreated, body: projection(r).project(userResource, d), etag: versionOf(d),
		location: baseURL(r) + "/Users/" + string(u.ID)}, nil
}

// managerRef resolves a manager's SCIM id to its ref: an id that names no
// user is 400 invalidValue.
func (h *Handler) managerRef(ctx context.Context, id string) (string, error) {
	bad := badValue(enterprise+":manager.value", "names no user")
	lid, ok := lethe.ParseID(id)
	if !ok {
		return "", bad
	}
	m, err := h.SCIM.FindSCIMUser(ctx, lethe.LearnerID(lid))
	if lethe.ErrorCode(err) == lethe.ENotFound || (err == nil && m.Person == nil) {
		return "", bad
	}
	if err != nil {
		return "", err
	}
	return m.Person.Ref, nil
}

func (h *Handler) replaceUser(r *http.Request, rt route) (*reply, error) {
	mapping, err := h.mapping(r.Context())
	if err != nil {
		return nil, err
	}
	next, err := readUserBody(r, mapping)
	if err != nil {
		return nil, err
	}
	return h.editUser(r, rt.id, mapping, func(cur userState, _ doc) (userState, error) {
		if !next.activeSet {
			next.active, next.activeSet = cur.active, true
		}
		return next, nil
	})
}

func (h *Handler) patchUser(r *http.Request, rt route) (*reply, error) {
	mapping, err := h.mapping(r.Context())
	if err != nil {
		return nil, err
	}
	d, err := readDoc(r)
	if err != nil {
		return nil, err
	}
	ops, err := readPatch(d)
	if err != nil {
		return nil, err
	}
	return h.editUser(r, rt.id, mapping, func(_ userState, cur doc) (userState, error) {
		if err := applyPatch(userResource, cur, rt.id, ops); err != nil {
			return userState{}, err
		}
		s, err := readUser(cur, mapping)
		if err == nil && strings.TrimSpace(s.ref) == "" {
			err = badValue("userName", "is required")
		}
		return s, err
	})
}

// errNeedManager stops an edit that needs a manager's ref resolved first.
var errNeedManager = errors.New("scim: manager to resolve")

// editUser changes a user inside SCIMService.EditSCIMUser: change gets the
// stored user's state and a copy of its document, and returns the new
// state. If-Match is checked against the locked user. A new manager is
// resolved outside the transaction and the edit run again.
func (h *Handler) editUser(r *http.Request, rawID string, mapping map[string]string,
	change func(userState, doc) (userState, error)) (*reply, error) {
	id, err := userID(rawID)
	if err != nil {
		return nil, err
	}
	ctx, base := r.Context(), baseURL(r)
	refs := map[string]string{}
	for range 3 {
		var need string
		u, err := h.SCIM.EditSCIMUser(ctx, id, func(cur *lethe.SCIMUser) (*lethe.SCIMUserEdit, error) {
			d := userDoc(cur, mapping, base)
			if err := checkIfMatch(r, d); err != nil {
				return nil, err
			}
			before, err := readUser(d, mapping)
			if err != nil {
				return nil, err
			}
			after, err := change(before, deepCopy(d).(map[string]any))
			if err != nil {
				return nil, err
			}
			return userEdit(before, after, cur, func(mid string) (string, error) {
				if ref, ok := refs[mid]; ok {
					return ref, nil
				}
				need = mid
				return "", errNeedManager
			})
		})
		if errors.Is(err, errNeedManager) {
			if refs[need], err = h.managerRef(ctx, need); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		d := userDoc(u, mapping, base)
		return &reply{status: http.StatusOK, body: projection(r).project(userResource, d), etag: versionOf(d)}, nil
	}
	return nil, errorf(http.StatusConflict, "", "The user's manager changed while it was being resolved; retry.")
}

func (h *Handler) deleteUser(r *http.Request, rt route) (*reply, error) {
	id, err := userID(rt.id)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	var mapping map[string]string
	if r.Header.Get("If-Match") != "" {
		if mapping, err = h.mapping(ctx); err != nil {
			return nil, err
		}
	}
	// If-Match is checked against the user locked in the deleting
	// transaction, so no change can slip in between.
	_, err = h.SCIM.DeleteSCIMUser(ctx, id, func(u *lethe.SCIMUser) error {
		if mapping == nil {
			return nil
		}
		return checkIfMatch(r, userDoc(u, mapping, baseURL(r)))
	})
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusNoContent}, nil
}
