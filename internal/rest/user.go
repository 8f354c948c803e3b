package rest

import (
	"net/http"
	"strings"

	"github.com/lethehq/lethe"
)

// POST /rest/v2/users
func (h *Handler) createUser(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ref, f, err := decodeCreateUser(body)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	u, err := h.Users.CreateUser(r.Context(), ref, f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, toLifecycleJSON(u))
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
func (h *Handler) updateUser(w http.ResponseWriter, r *http.Request) {
	ref, err := refFromPath(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	body, err := readBody(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	f, err := decodeUpdateUser(body)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	u, err := h.Users.UpdateUser(r.Context(), lethe.ByRef(ref), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toLifecycleJSON(u))
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
func (h *Handler) suspendUser(w http.ResponseWriter, r *http.Request) {
	ref, err := refFromPath(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	body, err := readBody(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	f, err := decodeSuspend(body)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	u, err := h.Users.SuspendUser(r.Context(), lethe.ByRef(ref), f.EndDate)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toLifecycleJSON(u))
}

// DELETE /rest/v2/users/ref/{ref}: erase the person, keep the history.
func (h *Handler) deleteUser(w http.ResponseWriter, r *http.Request) {
	ref, err := refFromPath(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if _, err := h.Users.EraseUser(r.Context(), lethe.ByRef(ref)); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"success": true})
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
func (h *Handler) searchUsers(w http.ResponseWriter, r *http.Request) {
	s, err := parseUserSearch(r.URL.Query())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	users, total, err := h.Users.FindUsers(r.Context(), s.filter)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	now := h.now()
	out := make([]userJSON, len(users))
	for i, u := range users {
		out[i] = toUserJSON(u, now)
	}
	writeJSON(w, http.StatusOK, newPage(out, total, s.paging))
}

// GET /rest/v1/user/{id}: erased users answer with deleted true and no
// personal field.
func (h *Handler) getUser(w http.ResponseWriter, r *http.Request) {
	id, err := userIDFromPath(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	u, err := h.Users.FindUser(r.Context(), lethe.ByID(id))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toUserJSON(u, h.now()))
}

// GET /rest/v1/users/ref/{ref}
func (h *Handler) getUserByRef(w http.ResponseWriter, r *http.Request) {
	ref, err := refFromPath(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	u, err := h.Users.FindUser(r.Context(), lethe.ByRef(ref))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toBasicUserJSON(u, h.now()))
}

// POST /lethe/v1/users/{id}/reactivate: a rehire comes back with every
// record. The body may carry v2 update fields; the old end date is cleared
// unless a new one is given.
func (h *Handler) reactivateUser(w http.ResponseWriter, r *http.Request) {
	id, err := userIDFromPath(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	body, err := readBody(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	f, err := decodeUpdateUser(body)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	u, err := h.Users.ReactivateUser(r.Context(), lethe.ByID(id), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toLifecycleJSON(u))
}

// POST /lethe/v1/users/{id}/logins: records a sign-in (from an SSO or
// front-end integration); the first one turns a "new" user "active".
func (h *Handler) recordLogin(w http.ResponseWriter, r *http.Request) {
	id, err := userIDFromPath(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	u, err := h.Users.RecordLogin(r.Context(), lethe.ByID(id))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toUserJSON(u, h.now()))
}

// GET /lethe/v1/users/{id}/status-history
func (h *Handler) statusHistory(w http.ResponseWriter, r *http.Request) {
	id, err := userIDFromPath(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	changes, err := h.Users.FindStatusHistory(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := make([]statusChangeJSON, len(changes))
	for i, c := range changes {
		out[i] = statusChangeJSON{From: strPtr(string(c.From)), To: string(c.To), Reason: c.Reason,
			Actor: c.Actor, Source: string(c.Source), At: formatTime(c.At)}
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": out})
}

// GET /lethe/v1/erasures/{userId}
func (h *Handler) getErasure(w http.ResponseWriter, r *http.Request) {
	id, err := userIDFromPath(r, "userId")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	e, err := h.Users.FindErasure(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, erasureJSON{UserID: string(e.LearnerID), ErasedAt: formatTime(e.ErasedAt),
		Source: string(e.Source), Actor: e.Actor, Erased: e.Erased, Kept: e.Kept})
}
