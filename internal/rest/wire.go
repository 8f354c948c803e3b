package rest

import (
	"encoding/json"
	"time"

	"github.com/lethehq/lethe"
)

// userJSON is the vendor's full User (search results and get by id): the
// BasicUser fields and more.
type userJSON struct {
	basicUserJSON
	Deleted        bool                `json:"deleted"`
	Compliance     int                 `json:"compliance"`
	Level          int                 `json:"level"`
	FirstLogin     *string             `json:"firstLogin"`
	LastLogin      *string             `json:"lastLogin"`
	Tags           map[string][]string `json:"tags"`
	UsersFollowing []string            `json:"usersFollowing"`
	TagsFollowing  []string            `json:"tagsFollowing"`
	CreatedAt      *string             `json:"createdAt"`
	UpdatedAt      *string             `json:"updatedAt"`
	HasPicture     bool                `json:"hasPicture"`
	TimeZone       *string             `json:"timeZone"`
	Summary        *string             `json:"summary"`
	Relevancy      int                 `json:"relevancy"`
	Rank           rankJSON            `json:"rank"`
	AgreedTerms    *bool               `json:"agreedTerms"`
	Onboarded      *bool               `json:"onboarded"`
	Audiences      []string            `json:"audiences"`
	SingleSignOn   bool                `json:"singleSignOn"`
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

func toUserJSON(u *lethe.User, now time.Time) userJSON {
	out := userJSON{
		basicUserJSON: basicUserJSON{
			ID: string(u.ID), Status: string(lethe.StatusAt(&u.Learner, now)), Positions: positions(u, now),
			AdditionalFields: additional(u.Person), Role: strPtr(string(u.Role)),
		},
		Deleted: u.Deleted(), Tags: map[string][]string{"skills": {}}, UsersFollowing: []string{}, TagsFollowing: []string{},
		CreatedAt: formatTimePtr(&u.CreatedAt), UpdatedAt: formatTimePtr(&u.UpdatedAt), Audiences: []string{},
	}
	if p := u.Person; p != nil {
		out.Ref, out.FirstName, out.LastName, out.Email = &p.Ref, &p.FirstName, &p.LastName, strPtr(p.Email)
		out.LanguageCode, out.TimeZone = strPtr(p.LanguageCode), strPtr(p.TimeZone)
		out.FirstLogin, out.LastLogin = formatTimePtr(u.FirstLoginAt), formatTimePtr(u.LastLoginAt)
		out.SingleSignOn = u.SSO
	}
	return out
}

func toBasicUserJSON(u *lethe.User, now time.Time) basicUserJSON {
	return toUserJSON(u, now).basicUserJSON
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
