package rest

import (
	"net/http"
	"strings"

	"github.com/lethehq/lethe"
)

// POST /rest/v2/users
func (h *Handler) createUser(r *http.Request) (int, any, error) {
	body, err := readBody(r)
	if err != nil {
		return 0, nil, err
	}
	ref, f, err := decodeCreateUser(body)
	if err != nil {
		return 0, nil, err
	}
	u, err := h.Users.CreateUser(r.Context(), ref, f)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, toLifecycleJSON(u), nil
}

func decodeCreateUser(body []byte) (string, lethe.UserFields, error) {
	obj, err := decodeObject(body, false)
	if err != nil {
		return "", lethe.UserFields{}, err
	}
	f, err := decodeUserFields(obj)
	if err != nil {
		return "", f, err
	}
	ref, err := decodeRef(obj)
	return ref, f, err
}

func decodeUpdateUser(body []byte) (lethe.UserFields, error) {
	obj, err := decodeObject(body, true)
	if err != nil {
		return lethe.UserFields{}, err
	}
	return decodeUserFields(obj)
}

// PATCH /rest/v2/users/ref/{ref}
func (h *Handler) updateUser(r *http.Request) (int, any, error) {
	ref, err := refFromPath(r)
	if err != nil {
		return 0, nil, err
	}
	body, err := readBody(r)
	if err != nil {
		return 0, nil, err
	}
	f, err := decodeUpdateUser(body)
	if err != nil {
		return 0, nil, err
	}
	u, err := h.Users.UpdateUser(r.Context(), lethe.ByRef(ref), f)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toLifecycleJSON(u), nil
}

// decodeSuspend reads {"endDate": …} or {}.
func decodeSuspend(body []byte) (*lethe.UserFields, error) {
	obj, err := decodeObject(body, true)
	if err != nil {
		return nil, err
	}
	end, err := optDate(obj, "endDate")
	return &lethe.UserFields{EndDate: end}, err
}

// PATCH /rest/v2/users/ref/{ref}/suspend
func (h *Handler) suspendUser(r *http.Request) (int, any, error) {
	ref, err := refFromPath(r)
	if err != nil {
		return 0, nil, err
	}
	body, err := readBody(r)
	if err != nil {
		return 0, nil, err
	}
	f, err := decodeSuspend(body)
	if err != nil {
		return 0, nil, err
	}
	u, err := h.Users.SuspendUser(r.Context(), lethe.ByRef(ref), f.EndDate)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toLifecycleJSON(u), nil
}

// DELETE /rest/v2/users/ref/{ref}: erase the person, keep the history, as
// the tenant's deletion policy says (at once, after a grace period, or
// refused in restricted mode). Deleting a ref erased earlier succeeds again.
func (h *Handler) deleteUser(r *http.Request) (int, any, error) {
	ref, err := refFromPath(r)
	if err != nil {
		return 0, nil, err
	}
	if _, err := h.Users.DeleteUser(r.Context(), lethe.ByRef(ref)); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]bool{"success": true}, nil
}

// userSearch is the parsed query of GET /rest/v1/users.
type userSearch struct {
	filter lethe.UserFilter
	paging paging
}

// parseUserSearch reads page, perPage (limit), updatedSince, statuses,
// omitStatuses and status. The status filters combine: statuses and status
// each narrow the set, omitStatuses removes from it.
func parseUserSearch(q map[string][]string) (userSearch, error) {
	var s userSearch
	var err error
	if s.paging, err = parsePaging(q, 100, 1000); err != nil {
		return s, err
	}
	s.filter.Offset, s.filter.Limit = s.paging.offset(), s.paging.perPage
	if v := strings.TrimSpace(first(q, "updatedSince")); v != "" {
		t, err := parseTime(v)
		if err != nil {
			return s, lethe.FieldErrorf(lethe.EInvalid, "updatedSince", "invalid",
				"updatedSince must be a date (YYYY-MM-DD) or an ISO 8601 date-time")
		}
		s.filter.UpdatedSince = &t
	}
	set := map[lethe.Status]bool{}
	for _, st := range lethe.AllStatuses {
		set[st] = true
	}
	narrowed := false
	for _, name := range []string{"statuses", "status", "omitStatuses"} {
		// A value with no item, such as "" or ",", is not given: it must not
		// narrow the set to nothing.
		items := commaList(first(q, name))
		if len(items) == 0 {
			continue
		}
		given := map[lethe.Status]bool{}
		for _, item := range items {
			st, ok := lethe.ParseStatus(strings.ToLower(item))
			if !ok {
				return s, lethe.FieldErrorf(lethe.EInvalid, name, "invalid",
					"%s must be a comma-separated list of active, inactive, expired, new", name)
			}
			given[st] = true
		}
		narrowed = true
		for st := range set {
			if (name == "omitStatuses") == given[st] {
				delete(set, st)
			}
		}
	}
	if narrowed {
		s.filter.Statuses = []lethe.Status{}
		for _, st := range lethe.AllStatuses {
			if set[st] {
				s.filter.Statuses = append(s.filter.Statuses, st)
			}
		}
	}
	return s, nil
}

// GET /rest/v1/users
func (h *Handler) searchUsers(r *http.Request) (int, any, error) {
	s, err := parseUserSearch(r.URL.Query())
	if err != nil {
		return 0, nil, err
	}
	users, total, err := h.Users.FindUsers(r.Context(), s.filter)
	if err != nil {
		return 0, nil, err
	}
	now := h.now()
	out := make([]userJSON, len(users))
	for i, u := range users {
		out[i] = toUserJSON(u, now)
	}
	return http.StatusOK, newPage(out, total, s.paging), nil
}

// GET /rest/v1/user/{id}: erased users answer with deleted true and no
// personal field.
func (h *Handler) getUser(r *http.Request) (int, any, error) {
	id, err := userIDFromPath(r, "id")
	if err != nil {
		return 0, nil, err
	}
	u, err := h.Users.FindUser(r.Context(), lethe.ByID(id))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toUserJSON(u, h.now()), nil
}

// GET /rest/v1/users/ref/{ref}
func (h *Handler) getUserByRef(r *http.Request) (int, any, error) {
	ref, err := refFromPath(r)
	if err != nil {
		return 0, nil, err
	}
	u, err := h.Users.FindUser(r.Context(), lethe.ByRef(ref))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toBasicUserJSON(u, h.now()), nil
}

// POST /lethe/v1/users/{id}/reactivate: a rehire comes back with every
// record. The body may carry v2 update fields; the old end date is cleared
// unless a new one is given.
func (h *Handler) reactivateUser(r *http.Request) (int, any, error) {
	id, err := userIDFromPath(r, "id")
	if err != nil {
		return 0, nil, err
	}
	body, err := readBody(r)
	if err != nil {
		return 0, nil, err
	}
	f, err := decodeUpdateUser(body)
	if err != nil {
		return 0, nil, err
	}
	u, err := h.Users.ReactivateUser(r.Context(), lethe.ByID(id), f)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toLifecycleJSON(u), nil
}

// POST /lethe/v1/users/{id}/logins: records a sign-in (from an SSO or
// front-end integration); the first one turns a "new" user "active".
func (h *Handler) recordLogin(r *http.Request) (int, any, error) {
	id, err := userIDFromPath(r, "id")
	if err != nil {
		return 0, nil, err
	}
	u, err := h.Users.RecordLogin(r.Context(), lethe.ByID(id))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toUserJSON(u, h.now()), nil
}

// GET /lethe/v1/users/{id}/status-history
func (h *Handler) statusHistory(r *http.Request) (int, any, error) {
	id, err := userIDFromPath(r, "id")
	if err != nil {
		return 0, nil, err
	}
	changes, err := h.Users.FindStatusHistory(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	out := make([]statusChangeJSON, len(changes))
	for i, c := range changes {
		out[i] = statusChangeJSON{From: strPtr(string(c.From)), To: string(c.To), Reason: c.Reason,
			Actor: c.Actor, Source: string(c.Source), At: formatTime(c.At)}
	}
	return http.StatusOK, map[string]any{"results": out}, nil
}
