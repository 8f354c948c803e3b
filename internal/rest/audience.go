package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/lethehq/lethe"
)

// audienceJSON is the vendor's Audience (§6.4).
type audienceJSON struct {
	ID            string              `json:"id"`
	Name          string              `json:"name"`
	Reference     *string             `json:"reference"`
	APIControlled bool                `json:"apiControlled"`
	Category      string              `json:"category"`
	Type          string              `json:"type"`
	Parent        *audienceParentJSON `json:"parent"`
	CreatedAt     string              `json:"createdAt"`
	UpdatedAt     string              `json:"updatedAt"`
}

type audienceParentJSON struct {
	ID        string  `json:"id"`
	Name      string  `json:"name"`
	Reference *string `json:"reference"`
}

func toAudienceJSON(a *lethe.Audience) audienceJSON {
	out := audienceJSON{ID: a.ID, Name: a.Name, Reference: strPtr(a.Reference), APIControlled: a.APIControlled,
		Category: string(a.Category), Type: a.Type, CreatedAt: formatTime(a.CreatedAt), UpdatedAt: formatTime(a.UpdatedAt)}
	if p := a.Parent; p != nil {
		out.Parent = &audienceParentJSON{ID: p.ID, Name: p.Name, Reference: strPtr(p.Reference)}
	}
	return out
}

// memberJSON is the vendor's Member (§6.5).
type memberJSON struct {
	UserID    string  `json:"userId"`
	Reference *string `json:"reference"`
	Email     *string `json:"email"`
}

// audienceManagerJSON is the vendor's Manager (§6.5).
type audienceManagerJSON struct {
	memberJSON
	Permissions lethe.ManagerPermissions `json:"permissions"`
}

// membersResultJSON is the answer of adding or replacing members or
// managers (§6.6): failure only when some failed.
type membersResultJSON struct {
	Success resultPartJSON[referenceJSON] `json:"success"`
	Failure *resultPartJSON[failureJSON]  `json:"failure,omitempty"`
}

type resultPartJSON[T any] struct {
	Count    int `json:"count"`
	Entities []T `json:"entities"`
}

type referenceJSON struct {
	Reference string `json:"reference"`
}

type failureJSON struct {
	Reason    string `json:"reason"`
	Reference string `json:"reference"`
}

// membersAnswer is 200 when every user was added, 207 otherwise.
func membersAnswer(res *lethe.MembersResult) (int, any, error) {
	out := membersResultJSON{Success: resultPartJSON[referenceJSON]{Count: len(res.Added), Entities: []referenceJSON{}}}
	for _, r := range res.Added {
		out.Success.Entities = append(out.Success.Entities, referenceJSON{Reference: r})
	}
	if len(res.Failed) == 0 {
		return http.StatusOK, out, nil
	}
	out.Failure = &resultPartJSON[failureJSON]{Count: len(res.Failed)}
	for _, f := range res.Failed {
		out.Failure.Entities = append(out.Failure.Entities, failureJSON{Reason: f.Reason, Reference: f.Reference})
	}
	return http.StatusMultiStatus, out, nil
}

// decodeAudienceFields reads name, reference and parentId, and on create
// category.
func decodeAudienceFields(body []byte, create bool) (lethe.AudienceFields, error) {
	var f lethe.AudienceFields
	obj, err := decodeObject(body, !create)
	if err != nil {
		return f, err
	}
	for _, s := range []struct {
		name string
		dst  **string
	}{{"name", &f.Name}, {"reference", &f.Reference}, {"parentId", &f.ParentID}} {
		if *s.dst, err = optString(obj, s.name); err != nil {
			return f, err
		}
	}
	if !create {
		return f, nil
	}
	if f.Name == nil || strings.TrimSpace(*f.Name) == "" {
		return f, lethe.FieldErrorf(lethe.EInvalid, "name", "required", "name is required")
	}
	c, err := optString(obj, "category")
	if err != nil || c == nil || *c == "" {
		return f, err
	}
	cat := lethe.AudienceCategory(strings.TrimSpace(*c))
	if !cat.Valid() {
		return f, lethe.FieldErrorf(lethe.EInvalid, "category", "invalid", "category must be 'audience' or 'structure'")
	}
	f.Category = &cat
	return f, nil
}

func decodeCreateAudience(body []byte) (lethe.AudienceFields, error) {
	return decodeAudienceFields(body, true)
}
func decodeUpdateAudience(body []byte) (lethe.AudienceFields, error) {
	return decodeAudienceFields(body, false)
}

// decodeArray parses a body that must be a top-level JSON array.
func decodeArray(body []byte, what string) ([]json.RawMessage, error) {
	notArray := lethe.Errorf(lethe.EBadRequest, "The request body must be a JSON array of %s.", what)
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, notArray
	}
	var items []json.RawMessage
	if err := json.Unmarshal(body, &items); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return nil, notArray
		}
		return nil, lethe.Errorf(lethe.EBadRequest, "The request body is not valid JSON.")
	}
	if items == nil {
		return nil, notArray
	}
	return items, nil
}

// decodeMembers reads a bare JSON array of user emails, refs or ids.
func decodeMembers(body []byte) ([]string, error) {
	items, err := decodeArray(body, "user emails, refs or ids")
	if err != nil {
		return nil, err
	}
	out := make([]string, len(items))
	for i, raw := range items {
		if err := json.Unmarshal(raw, &out[i]); err != nil || isNull(raw) {
			return nil, lethe.Errorf(lethe.EBadRequest, "The request body must be a JSON array of user emails, refs or ids.")
		}
	}
	return out, checkCount(len(out), "members")
}

func checkCount(n int, field string) error {
	if n == 0 || n > lethe.MaxMembersPerRequest {
		return lethe.FieldErrorf(lethe.EInvalid, field, "count", "%s must list between 1 and %d users", field, lethe.MaxMembersPerRequest)
	}
	return nil
}

// decodeManagers reads a bare JSON array of {reference, permissions}.
func decodeManagers(body []byte) ([]lethe.ManagerGrant, error) {
	items, err := decodeArray(body, "manager objects")
	if err != nil {
		return nil, err
	}
	out := make([]lethe.ManagerGrant, len(items))
	for i, raw := range items {
		obj, err := decodeObject(raw, false)
		if err != nil {
			return nil, lethe.Errorf(lethe.EBadRequest, "Each manager must be an object {reference, permissions}.")
		}
		ref, err := optString(obj, "reference")
		if err != nil {
			return nil, err
		}
		if ref == nil || *ref == "" {
			return nil, lethe.FieldErrorf(lethe.EInvalid, "reference", "required", "reference is required for every manager")
		}
		out[i].Reference = *ref
		if raw, ok := obj["permissions"]; ok && !isNull(raw) {
			if out[i].Permissions, err = decodePermissions(raw); err != nil {
				return nil, err
			}
		}
	}
	return out, checkCount(len(out), "managers")
}

// decodePermissions reads a manager's permissions by their exact names,
// as every other member is read: encoding/json would match a struct's
// fields ignoring case (and folding ſ to s), so "manage" and "Manage" would
// both set one right, the last one winning, past the duplicate check.
// Other names are ignored, as elsewhere.
func decodePermissions(raw json.RawMessage) (lethe.ManagerPermissions, error) {
	var p lethe.ManagerPermissions
	bad := typeError("permissions", "an object of boolean permissions")
	obj, err := decodeObject(raw, false)
	if err != nil {
		return p, bad
	}
	group := func(name string, fields map[string]*bool) (bool, error) {
		raw, ok := obj[name]
		if !ok || isNull(raw) {
			return false, nil
		}
		g, err := decodeObject(raw, false)
		if err != nil {
			return false, bad
		}
		for field, dst := range fields {
			v, err := optBool(g, field)
			if err != nil {
				return false, typeError("permissions."+name+"."+field, "a boolean")
			}
			if v != nil {
				*dst = *v
			}
		}
		return true, nil
	}
	if _, err := group("audienceManager", map[string]*bool{
		"manageContent": &p.AudienceManager.ManageContent, "assignments": &p.AudienceManager.Assignments,
	}); err != nil {
		return p, err
	}
	if _, err := group("peopleManager", map[string]*bool{
		"canViewLearnPage": &p.PeopleManager.CanViewLearnPage, "insights": &p.PeopleManager.Insights, "manage": &p.PeopleManager.Manage,
	}); err != nil {
		return p, err
	}
	var admin bool
	present, err := group("administrator", map[string]*bool{"canAddAudienceManagers": &admin})
	if err != nil {
		return p, err
	}
	if present {
		p.Administrator = &struct {
			CanAddAudienceManagers bool `json:"canAddAudienceManagers"`
		}{admin}
	}
	return p, nil
}

// audienceList is the parsed query of GET /rest/v1/audiences.
type audienceList struct {
	filter lethe.AudienceFilter
	paging paging
}

func parseAudienceList(q map[string][]string) (audienceList, error) {
	var l audienceList
	var err error
	if l.paging, err = parsePaging(q, 100, 1000); err != nil {
		return l, err
	}
	l.filter.Offset, l.filter.Limit = l.paging.offset(), l.paging.perPage
	if l.filter.UpdatedSince, err = queryTime(q, "updatedSince"); err != nil {
		return l, err
	}
	l.filter.APIControlled, err = queryBool(q, "apiControlled")
	return l, err
}

// GET /rest/v1/audiences
func (h *Handler) listAudiences(r *http.Request) (int, any, error) {
	l, err := parseAudienceList(r.URL.Query())
	if err != nil {
		return 0, nil, err
	}
	list, total, err := h.Audiences.FindAudiences(r.Context(), l.filter)
	if err != nil {
		return 0, nil, err
	}
	out := make([]audienceJSON, len(list))
	for i, a := range list {
		out[i] = toAudienceJSON(a)
	}
	return http.StatusOK, newPage(out, total, l.paging), nil
}

// POST /rest/v1/audiences
func (h *Handler) createAudience(r *http.Request) (int, any, error) {
	body, err := readBody(r)
	if err != nil {
		return 0, nil, err
	}
	f, err := decodeCreateAudience(body)
	if err != nil {
		return 0, nil, err
	}
	a, err := h.Audiences.CreateAudience(r.Context(), f)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, toAudienceJSON(a), nil
}

// GET /rest/v1/audiences/{audienceId}
func (h *Handler) getAudience(r *http.Request) (int, any, error) {
	a, err := h.Audiences.FindAudienceByID(r.Context(), r.PathValue("audienceId"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toAudienceJSON(a), nil
}

// PATCH /rest/v1/audiences/{audienceId}
func (h *Handler) updateAudience(r *http.Request) (int, any, error) {
	body, err := readBody(r)
	if err != nil {
		return 0, nil, err
	}
	f, err := decodeUpdateAudience(body)
	if err != nil {
		return 0, nil, err
	}
	a, err := h.Audiences.UpdateAudience(r.Context(), r.PathValue("audienceId"), f)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toAudienceJSON(a), nil
}

var success = map[string]bool{"success": true}

// DELETE /rest/v1/audiences/{audienceId}
func (h *Handler) deleteAudience(r *http.Request) (int, any, error) {
	if err := h.Audiences.DeleteAudience(r.Context(), r.PathValue("audienceId")); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, success, nil
}

// GET /rest/v1/audiences/{audienceId}/members
func (h *Handler) listMembers(r *http.Request) (int, any, error) {
	p, err := parsePaging(r.URL.Query(), 100, 1000)
	if err != nil {
		return 0, nil, err
	}
	list, total, err := h.Audiences.FindMembers(r.Context(), lethe.MemberFilter{
		Audience: r.PathValue("audienceId"), Offset: p.offset(), Limit: p.perPage})
	if err != nil {
		return 0, nil, err
	}
	out := make([]memberJSON, len(list))
	for i, m := range list {
		out[i] = toMemberJSON(m)
	}
	return http.StatusOK, newPage(out, total, p), nil
}

func toMemberJSON(m *lethe.Member) memberJSON {
	return memberJSON{UserID: string(m.UserID), Reference: strPtr(m.Reference), Email: strPtr(m.Email)}
}

// POST and PATCH /rest/v1/audiences/{audienceId}/members
func (h *Handler) changeMembers(replace bool) func(r *http.Request) (int, any, error) {
	return func(r *http.Request) (int, any, error) {
		body, err := readBody(r)
		if err != nil {
			return 0, nil, err
		}
		users, err := decodeMembers(body)
		if err != nil {
			return 0, nil, err
		}
		change := h.Audiences.AddMembers
		if replace {
			change = h.Audiences.ReplaceMembers
		}
		res, err := change(r.Context(), r.PathValue("audienceId"), users)
		if err != nil {
			return 0, nil, err
		}
		return membersAnswer(res)
	}
}

// DELETE /rest/v1/audiences/{audienceId}/members/{user}
func (h *Handler) removeMember(r *http.Request) (int, any, error) {
	if err := h.Audiences.RemoveMember(r.Context(), r.PathValue("audienceId"), r.PathValue("user")); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, success, nil
}

// GET /rest/v1/audiences/{audienceId}/managers: a bare array, not paged.
func (h *Handler) listManagers(r *http.Request) (int, any, error) {
	list, err := h.Audiences.FindManagers(r.Context(), r.PathValue("audienceId"))
	if err != nil {
		return 0, nil, err
	}
	out := make([]audienceManagerJSON, len(list))
	for i, m := range list {
		out[i] = audienceManagerJSON{memberJSON: toMemberJSON(&m.Member), Permissions: m.Permissions}
	}
	return http.StatusOK, out, nil
}

// POST and PATCH /rest/v1/audiences/{audienceId}/managers
func (h *Handler) changeManagers(replace bool) func(r *http.Request) (int, any, error) {
	return func(r *http.Request) (int, any, error) {
		body, err := readBody(r)
		if err != nil {
			return 0, nil, err
		}
		grants, err := decodeManagers(body)
		if err != nil {
			return 0, nil, err
		}
		change := h.Audiences.AddManagers
		if replace {
			change = h.Audiences.ReplaceManagers
		}
		res, err := change(r.Context(), r.PathValue("audienceId"), grants)
		if err != nil {
			return 0, nil, err
		}
		return membersAnswer(res)
	}
}

// DELETE /rest/v1/audiences/{audienceId}/managers/{user}
func (h *Handler) removeManager(r *http.Request) (int, any, error) {
	if err := h.Audiences.RemoveManager(r.Context(), r.PathValue("audienceId"), r.PathValue("user")); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, success, nil
}
