package rest

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

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

// decodeUpdateUser reads the body of a v2 update (and of a reactivation).
// null on a field every user must have reads as not sent: workflow tools
// send every form field, untouched ones as null (ADR 0025). null on an
// optional field still clears it; email is optional only with the login
// method ref, which the store knows (lethe.UserFields.NullEmail).
func decodeUpdateUser(body []byte) (lethe.UserFields, error) {
	obj, err := decodeObject(body, true)
	if err != nil {
		return lethe.UserFields{}, err
	}
	nullEmail := false
	for _, name := range requiredUserFields {
		if raw, ok := obj[name]; ok && isNull(raw) {
			delete(obj, name)
			nullEmail = nullEmail || name == "email"
		}
	}
	f, err := decodeUserFields(obj)
	f.NullEmail = nullEmail
	return f, err
}

// requiredUserFields are the members every user has, which null on an
// update does not clear.
var requiredUserFields = []string{"firstName", "lastName", "email", "role", "loginMethod", "sso"}

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
	links, err := h.userLinks(r.Context(), users...)
	if err != nil {
		return 0, nil, err
	}
	now := h.now()
	out := make([]userJSON, len(users))
	for i, u := range users {
		out[i] = toUserJSON(u, links[u.ID], now)
	}
	return http.StatusOK, newPage(out, total, s.paging), nil
}

// userLinks loads the audiences, skills and interests of the users that are
// not erased, in one call whatever their number.
func (h *Handler) userLinks(ctx context.Context, users ...*lethe.User) (map[lethe.LearnerID]*lethe.UserLinks, error) {
	ids := make([]lethe.LearnerID, 0, len(users))
	for _, u := range users {
		if !u.Deleted() {
			ids = append(ids, u.ID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return h.Users.FindUserLinks(ctx, ids)
}

// fullUser answers the full User of u, with its links.
func (h *Handler) fullUser(ctx context.Context, u *lethe.User) (int, any, error) {
	links, err := h.userLinks(ctx, u)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toUserJSON(u, links[u.ID], h.now()), nil
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
	return h.fullUser(r.Context(), u)
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
	return h.fullUser(r.Context(), u)
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

// userJSON is the vendor's full User (search results and get by id): the
// BasicUser fields and more.
type userJSON struct {
	basicUserJSON
	Deleted        bool         `json:"deleted"`
	Compliance     int          `json:"compliance"`
	Level          int          `json:"level"`
	FirstLogin     *string      `json:"firstLogin"`
	LastLogin      *string      `json:"lastLogin"`
	Tags           userTagsJSON `json:"tags"`
	UsersFollowing []string     `json:"usersFollowing"`
	TagsFollowing  []string     `json:"tagsFollowing"`
	CreatedAt      *string      `json:"createdAt"`
	UpdatedAt      *string      `json:"updatedAt"`
	HasPicture     bool         `json:"hasPicture"`
	TimeZone       *string      `json:"timeZone"`
	Summary        *string      `json:"summary"`
	Relevancy      int          `json:"relevancy"`
	Rank           rankJSON     `json:"rank"`
	AgreedTerms    *bool        `json:"agreedTerms"`
	Onboarded      *bool        `json:"onboarded"`
	Audiences      []string     `json:"audiences"`
	SingleSignOn   bool         `json:"singleSignOn"`
}

// userTagsJSON is the tags object of a full User: the user's skills, in
// the shape the skills update takes.
type userTagsJSON struct {
	Skills []userSkillJSON `json:"skills"`
}

type userSkillJSON struct {
	TagName     string `json:"tagName"`
	Level       *int   `json:"level"`
	TargetLevel *int   `json:"targetLevel"`
}

type rankJSON struct {
	CurrentCategory *string `json:"currentCategory"`
	CurrentLevel    int     `json:"currentLevel"`
}

// positionJSON is a user's position: Lethe keeps one, made of the job title,
// manager and employment dates.
type positionJSON struct {
	ID        string       `json:"id"`
	Title     *string      `json:"title"`
	Manager   *managerJSON `json:"manager"`
	OuID      *string      `json:"ouId"`
	IsActive  bool         `json:"isActive"`
	StartDate *string      `json:"startDate"`
	EndDate   *string      `json:"endDate"`
	CreatedAt *string      `json:"createdAt"`
	UpdatedAt *string      `json:"updatedAt"`
}

type managerJSON struct {
	ID   *string `json:"id"`
	Name *string `json:"name"`
	Ref  *string `json:"ref"`
}

// basicUserJSON is the vendor's BasicUser (get by ref).
type basicUserJSON struct {
	ID               string          `json:"id"`
	Ref              *string         `json:"ref"`
	FirstName        *string         `json:"firstName"`
	LastName         *string         `json:"lastName"`
	Email            *string         `json:"email"`
	Role             *string         `json:"role"`
	Status           string          `json:"status"`
	Positions        []positionJSON  `json:"positions"`
	AdditionalFields json.RawMessage `json:"additionalFields"`
	LanguageCode     *string         `json:"languageCode"`
}

// lifecycleJSON is the vendor's UserLifecycle (v2 create, update, suspend).
type lifecycleJSON struct {
	ID               string          `json:"id"`
	LoginMethod      string          `json:"loginMethod"`
	Ref              *string         `json:"ref"`
	Email            *string         `json:"email"`
	FirstName        *string         `json:"firstName"`
	LastName         *string         `json:"lastName"`
	Role             string          `json:"role"`
	JobTitle         *string         `json:"jobTitle"`
	ManagerRef       *string         `json:"managerRef"`
	StartDate        *string         `json:"startDate"`
	EndDate          *string         `json:"endDate"`
	TimeZone         *string         `json:"timeZone"`
	LanguageCode     *string         `json:"languageCode"`
	Active           bool            `json:"active"`
	CreatedAt        string          `json:"createdAt"`
	UpdatedAt        string          `json:"updatedAt"`
	SSO              bool            `json:"sso"`
	Domain           *string         `json:"domain"`
	AdditionalFields json.RawMessage `json:"additionalFields"`
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func additional(p *lethe.Person) json.RawMessage {
	switch {
	case p == nil:
		return json.RawMessage("null")
	case len(p.AdditionalFields) == 0:
		return json.RawMessage("{}")
	}
	return p.AdditionalFields
}

func positions(u *lethe.User, now time.Time) []positionJSON {
	p := u.Person
	if p == nil || (p.JobTitle == "" && p.ManagerRef == "" && p.StartDate == nil && u.EndDate == nil) {
		return []positionJSON{}
	}
	pos := positionJSON{
		ID: string(u.ID), Title: strPtr(p.JobTitle),
		IsActive:  lethe.StatusAt(&u.Learner, now) != lethe.StatusInactive && lethe.StatusAt(&u.Learner, now) != lethe.StatusExpired,
		StartDate: formatTimePtr(p.StartDate), EndDate: formatTimePtr(u.EndDate),
		CreatedAt: formatTimePtr(&u.CreatedAt), UpdatedAt: formatTimePtr(&u.UpdatedAt),
	}
	if p.ManagerRef != "" {
		pos.Manager = &managerJSON{Ref: strPtr(p.ManagerRef)}
		if m := u.Manager; m != nil {
			pos.Manager.ID, pos.Manager.Name = strPtr(string(m.ID)), strPtr(m.Name)
		}
	}
	return []positionJSON{pos}
}

// toUserJSON is u as a full User; links may be nil (none), and are not shown
// for an erased user.
func toUserJSON(u *lethe.User, links *lethe.UserLinks, now time.Time) userJSON {
	out := userJSON{
		basicUserJSON: basicUserJSON{
			ID: string(u.ID), Status: string(lethe.StatusAt(&u.Learner, now)), Positions: positions(u, now),
			AdditionalFields: additional(u.Person), Role: strPtr(string(u.Role)),
		},
		Deleted: u.Deleted(), Tags: userTagsJSON{Skills: []userSkillJSON{}}, UsersFollowing: []string{}, TagsFollowing: []string{},
		CreatedAt: formatTimePtr(&u.CreatedAt), UpdatedAt: formatTimePtr(&u.UpdatedAt), Audiences: []string{},
	}
	if p := u.Person; p != nil {
		out.Ref, out.FirstName, out.LastName, out.Email = &p.Ref, &p.FirstName, &p.LastName, strPtr(p.Email)
		out.LanguageCode, out.TimeZone = strPtr(p.LanguageCode), strPtr(p.TimeZone)
		out.FirstLogin, out.LastLogin = formatTimePtr(u.FirstLoginAt), formatTimePtr(u.LastLoginAt)
		out.SingleSignOn = u.SSO
	}
	if links != nil && !u.Deleted() {
		out.Audiences = append(out.Audiences, links.Audiences...)
		out.TagsFollowing = append(out.TagsFollowing, links.Interests...)
		for _, sk := range links.Skills {
			out.Tags.Skills = append(out.Tags.Skills, userSkillJSON{TagName: sk.TagName, Level: sk.Level, TargetLevel: sk.TargetLevel})
		}
	}
	return out
}

func toBasicUserJSON(u *lethe.User, now time.Time) basicUserJSON {
	return toUserJSON(u, nil, now).basicUserJSON
}

func toLifecycleJSON(u *lethe.User) lifecycleJSON {
	out := lifecycleJSON{
		ID: string(u.ID), LoginMethod: string(u.LoginMethod), Role: string(u.Role),
		EndDate: formatTimePtr(u.EndDate), Active: u.State == lethe.StateActive,
		CreatedAt: formatTime(u.CreatedAt), UpdatedAt: formatTime(u.UpdatedAt), SSO: u.SSO,
		AdditionalFields: additional(u.Person),
	}
	if p := u.Person; p != nil {
		out.Ref, out.Email, out.FirstName, out.LastName = &p.Ref, strPtr(p.Email), &p.FirstName, &p.LastName
		out.JobTitle, out.ManagerRef, out.StartDate = strPtr(p.JobTitle), strPtr(p.ManagerRef), formatTimePtr(p.StartDate)
		out.TimeZone, out.LanguageCode, out.Domain = strPtr(p.TimeZone), strPtr(p.LanguageCode), strPtr(p.Domain)
	}
	return out
}

// statusChangeJSON is one entry of GET /lethe/v1/users/{id}/status-history.
type statusChangeJSON struct {
	From   *string `json:"from"`
	To     string  `json:"to"`
	Reason string  `json:"reason"`
	Actor  string  `json:"actor"`
	Source string  `json:"source"`
	At     string  `json:"at"`
}
