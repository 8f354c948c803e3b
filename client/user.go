package client

import (
	"context"
	"encoding/json"
	"iter"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Status is a user's status as the vendor names it.
type Status string

// User statuses.
const (
	StatusNew      Status = "new"      // never signed in
	StatusActive   Status = "active"   // signed in at least once
	StatusInactive Status = "inactive" // suspended or deleted
	StatusExpired  Status = "expired"  // the end date has passed
)

// Role is a user's role.
type Role string

// Roles.
const (
	RoleAdministrator Role = "administrator"
	RoleLearnerAdmin  Role = "learneradmin"
	RoleLearner       Role = "learner"
)

// LoginMethod says how a user signs in.
type LoginMethod string

// Login methods.
const (
	LoginEmail LoginMethod = "email" // with the email address (the default)
	LoginRef   LoginMethod = "ref"   // with the ref; the email may then be empty
)

// Ptr returns a pointer to v. It fills the optional fields of UserFields:
//
//	client.UserFields{JobTitle: client.Ptr("Engineer"), Role: client.Ptr(client.RoleAdministrator)}
func Ptr[T any](v T) *T { return &v }

// User is the vendor's full user, as answered by GetUser, SearchUsers and
// RecordLogin. Text fields that the server sends as null read as "", and
// times it sends as null read as nil. For an erased user (Deleted set) every
// personal field is empty.
type User struct {
	ID               string         `json:"id"`
	Ref              string         `json:"ref"`
	FirstName        string         `json:"firstName"`
	LastName         string         `json:"lastName"`
	Email            string         `json:"email"`
	Role             Role           `json:"role"`
	Status           Status         `json:"status"`
	Positions        []Position     `json:"positions"`
	AdditionalFields map[string]any `json:"additionalFields"`
	LanguageCode     string         `json:"languageCode"`
	Deleted          bool           `json:"deleted"`
	Compliance       float64        `json:"compliance"`
	Level            int            `json:"level"`
	FirstLogin       *time.Time     `json:"firstLogin"`
	LastLogin        *time.Time     `json:"lastLogin"`
	Tags             *UserTags      `json:"tags"`
	UsersFollowing   []string       `json:"usersFollowing"`
	TagsFollowing    []string       `json:"tagsFollowing"` // names of the tags the user follows, by name ignoring case
	CreatedAt        *time.Time     `json:"createdAt"`
	UpdatedAt        *time.Time     `json:"updatedAt"`
	HasPicture       bool           `json:"hasPicture"`
	TimeZone         string         `json:"timeZone"`
	Summary          string         `json:"summary"`
	Relevancy        float64        `json:"relevancy"`
	Rank             Rank           `json:"rank"`
	AgreedTerms      *bool          `json:"agreedTerms"`
	Onboarded        *bool          `json:"onboarded"`
	Audiences        []string       `json:"audiences"` // ids of the audiences the user is a member of, by id
	SingleSignOn     bool           `json:"singleSignOn"`
}

// UserTags is the tags object of a User: the user's skills, by tag name
// ignoring case. An erased user has none.
type UserTags struct {
	Skills []UserSkill `json:"skills"`
}

// UserSkill is a user's level and target level in one skill (a tag), in the
// shape UpdateUserSkills sends: nil when never given, -1 for not assessed.
type UserSkill struct {
	TagName     string `json:"tagName"`
	Level       *int   `json:"level"`
	TargetLevel *int   `json:"targetLevel"`
}

// Rank is a user's gamification rank.
type Rank struct {
	CurrentCategory string `json:"currentCategory"`
	CurrentLevel    int    `json:"currentLevel"`
}

// Position is a job held by a user. Lethe keeps at most one, made of the job
// title, manager and employment dates.
type Position struct {
	ID        string     `json:"id"`
	Title     string     `json:"title"`
	Manager   *Manager   `json:"manager"`
	OuID      string     `json:"ouId"`
	IsActive  bool       `json:"isActive"`
	StartDate *time.Time `json:"startDate"`
	EndDate   *time.Time `json:"endDate"`
	CreatedAt *time.Time `json:"createdAt"`
	UpdatedAt *time.Time `json:"updatedAt"`
}

// Manager is the manager of a position. Ref is the managerRef given for the
// user; ID and Name are set when a user with that ref exists.
type Manager struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Ref  string `json:"ref"`
}

// BasicUser is the vendor's short user, as answered by GetUserByRef.
type BasicUser struct {
	ID               string         `json:"id"`
	Ref              string         `json:"ref"`
	FirstName        string         `json:"firstName"`
	LastName         string         `json:"lastName"`
	Email            string         `json:"email"`
	Role             Role           `json:"role"`
	Status           Status         `json:"status"`
	Positions        []Position     `json:"positions"`
	AdditionalFields map[string]any `json:"additionalFields"`
	LanguageCode     string         `json:"languageCode"`
}

// UserLifecycle is the user as answered by the lifecycle writes: CreateUser,
// UpdateUser, SuspendUser and ReactivateUser. Active is false while the
// user is suspended.
type UserLifecycle struct {
	ID               string         `json:"id"`
	LoginMethod      LoginMethod    `json:"loginMethod"`
	Ref              string         `json:"ref"`
	Email            string         `json:"email"`
	FirstName        string         `json:"firstName"`
	LastName         string         `json:"lastName"`
	Role             Role           `json:"role"`
	JobTitle         string         `json:"jobTitle"`
	ManagerRef       string         `json:"managerRef"`
	StartDate        *time.Time     `json:"startDate"`
	EndDate          *time.Time     `json:"endDate"`
	TimeZone         string         `json:"timeZone"`
	LanguageCode     string         `json:"languageCode"`
	Active           bool           `json:"active"`
	CreatedAt        time.Time      `json:"createdAt"`
	UpdatedAt        time.Time      `json:"updatedAt"`
	SSO              bool           `json:"sso"`
	Domain           string         `json:"domain"`
	AdditionalFields map[string]any `json:"additionalFields"`
}

// UserFields is the set of fields sent to create, update, reactivate or
// provision a user. A nil field is not sent and leaves the value unchanged;
// a pointer to "" clears an optional text field; a pointer to the zero
// time clears a date. AdditionalFields, when not nil, replaces the whole
// custom-field object: it must hold a JSON object, or JSON null to clear it.
//
// For CreateUser, FirstName and LastName are required, and Email unless
// LoginMethod is LoginRef.
type UserFields struct {
	FirstName        *string
	LastName         *string
	Email            *string
	LoginMethod      *LoginMethod
	Role             *Role
	JobTitle         *string
	ManagerRef       *string
	StartDate        *time.Time
	EndDate          *time.Time
	TimeZone         *string // an IANA name such as "Europe/London"
	LanguageCode     *string // a tag such as "en-gb"
	SSO              *bool
	Domain           *string
	AdditionalFields json.RawMessage
}

// userFieldsJSON is UserFields on the wire, with the ref where the request
// carries one (create and provisioning events).
type userFieldsJSON struct {
	Ref              string          `json:"ref,omitempty"`
	FirstName        *string         `json:"firstName,omitempty"`
	LastName         *string         `json:"lastName,omitempty"`
	Email            *string         `json:"email,omitempty"`
	LoginMethod      *LoginMethod    `json:"loginMethod,omitempty"`
	Role             *Role           `json:"role,omitempty"`
	JobTitle         *string         `json:"jobTitle,omitempty"`
	ManagerRef       *string         `json:"managerRef,omitempty"`
	StartDate        *string         `json:"startDate,omitempty"`
	EndDate          *string         `json:"endDate,omitempty"`
	TimeZone         *string         `json:"timeZone,omitempty"`
	LanguageCode     *string         `json:"languageCode,omitempty"`
	SSO              *bool           `json:"sso,omitempty"`
	Domain           *string         `json:"domain,omitempty"`
	AdditionalFields json.RawMessage `json:"additionalFields,omitempty"`
}

// wireTime formats a request date: nil stays unset, the zero time becomes ""
// (clear), anything else an RFC 3339 UTC date-time.
func wireTime(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := ""
	if !t.IsZero() {
		s = t.UTC().Format(time.RFC3339Nano)
	}
	return &s
}

func (f UserFields) wire(ref string) userFieldsJSON {
	return userFieldsJSON{
		Ref: ref, FirstName: f.FirstName, LastName: f.LastName, Email: f.Email,
		LoginMethod: f.LoginMethod, Role: f.Role, JobTitle: f.JobTitle, ManagerRef: f.ManagerRef,
		StartDate: wireTime(f.StartDate), EndDate: wireTime(f.EndDate), TimeZone: f.TimeZone,
		LanguageCode: f.LanguageCode, SSO: f.SSO, Domain: f.Domain, AdditionalFields: f.AdditionalFields,
	}
}

// CreateUser creates a user with the given ref (POST /rest/v2/users). The ref
// and the email (compared case-insensitively) must not belong to another
// user: otherwise the error is a conflict whose Details name the field.
func (c *Client) CreateUser(ctx context.Context, ref string, f UserFields) (*UserLifecycle, error) {
	if ref == "" {
		return nil, errEmpty("ref")
	}
	return doInto[UserLifecycle](ctx, c, call{method: "POST", pattern: "/rest/v2/users", in: f.wire(ref)})
}

// UpdateUser changes the given fields of the user with ref (PATCH
// /rest/v2/users/ref/{ref}). Fields left nil keep their values.
func (c *Client) UpdateUser(ctx context.Context, ref string, f UserFields) (*UserLifecycle, error) {
	if ref == "" {
		return nil, errEmpty("ref")
	}
	return doInto[UserLifecycle](ctx, c, call{method: "PATCH", pattern: "/rest/v2/users/ref/{ref}", args: []string{ref}, in: f.wire("")})
}

// SuspendUser makes the user with ref inactive (PATCH
// /rest/v2/users/ref/{ref}/suspend), setting its end date when endDate is
// not nil. The user keeps every record and can be reactivated.
func (c *Client) SuspendUser(ctx context.Context, ref string, endDate *time.Time) (*UserLifecycle, error) {
	if ref == "" {
		return nil, errEmpty("ref")
	}
	var in struct {
		EndDate *string `json:"endDate,omitempty"`
	}
	in.EndDate = wireTime(endDate)
	return doInto[UserLifecycle](ctx, c, call{method: "PATCH", pattern: "/rest/v2/users/ref/{ref}/suspend", args: []string{ref}, in: in})
}

// DeleteUser erases the user with ref (DELETE /rest/v2/users/ref/{ref}): the
// personal data is removed for good, the learning records and status
// history stay under the user's id, and the ref becomes free.
func (c *Client) DeleteUser(ctx context.Context, ref string) error {
	if ref == "" {
		return errEmpty("ref")
	}
	return c.do(ctx, call{method: "DELETE", pattern: "/rest/v2/users/ref/{ref}", args: []string{ref}}, nil)
}

// GetUser returns the user with id (GET /rest/v1/user/{id}). Erased users are
// still found, with Deleted set.
func (c *Client) GetUser(ctx context.Context, id string) (*User, error) {
	if id == "" {
		return nil, errEmpty("id")
	}
	return doInto[User](ctx, c, call{method: "GET", pattern: "/rest/v1/user/{id}", args: []string{id}})
}

// GetUserByRef returns the user with ref (GET /rest/v1/users/ref/{ref}).
// Erased users have no ref, so they are not found this way.
func (c *Client) GetUserByRef(ctx context.Context, ref string) (*BasicUser, error) {
	if ref == "" {
		return nil, errEmpty("ref")
	}
	return doInto[BasicUser](ctx, c, call{method: "GET", pattern: "/rest/v1/users/ref/{ref}", args: []string{ref}})
}

// SearchParams selects a page of users. Zero values are not sent, so the
// server's defaults apply (page 1, 100 per page, every status).
type SearchParams struct {
	// Page is the 1-based page number.
	Page int
	// PerPage is the page size, 1 to 1000; the server reads a larger one as
	// 1000 and says so in Pagination.PerPage.
	PerPage int
	// Statuses keeps users with one of these statuses.
	Statuses []Status
	// OmitStatuses drops users with one of these statuses.
	OmitStatuses []Status
	// Status keeps users with this status.
	Status Status
	// UpdatedSince keeps users changed at or after this time.
	UpdatedSince time.Time
}

func (p SearchParams) query() url.Values {
	q := url.Values{}
	list := func(name string, ss []Status) {
		if len(ss) == 0 {
			return
		}
		parts := make([]string, len(ss))
		for i, s := range ss {
			parts[i] = string(s)
		}
		q.Set(name, strings.Join(parts, ","))
	}
	if p.Page > 0 {
		q.Set("page", strconv.Itoa(p.Page))
	}
	if p.PerPage > 0 {
		q.Set("perPage", strconv.Itoa(p.PerPage))
	}
	list("statuses", p.Statuses)
	list("omitStatuses", p.OmitStatuses)
	if p.Status != "" {
		q.Set("status", string(p.Status))
	}
	if !p.UpdatedSince.IsZero() {
		q.Set("updatedSince", p.UpdatedSince.UTC().Format(time.RFC3339Nano))
	}
	return q
}

// Page is one page of a paged list.
type Page[T any] struct {
	Results    []T        `json:"results"`
	Pagination Pagination `json:"pagination"`
}

// Pagination describes where a page lies in the whole list.
type Pagination struct {
	TotalResults int `json:"totalResults"`
	TotalPages   int `json:"totalPages"`
	Page         int `json:"page"`
	PerPage      int `json:"perPage"`
}

// SearchUsers returns one page of users ordered by id (GET /rest/v1/users).
// Erased users are included, with Deleted set.
func (c *Client) SearchUsers(ctx context.Context, p SearchParams) (*Page[User], error) {
	var out Page[User]
	if err := c.do(ctx, call{method: "GET", pattern: "/rest/v1/users", query: p.query()}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// AllUsers walks every page of the search from p.Page (default 1) on,
// yielding each user. On an error it yields the error once and stops.
// Users are ordered by id, which is creation order, so users created during
// the walk only add to its end; but with a status filter, a user whose status
// changes during the walk may be seen twice or missed, as with any
// page-number paging.
func (c *Client) AllUsers(ctx context.Context, p SearchParams) iter.Seq2[User, error] {
	return func(yield func(User, error) bool) {
		if p.Page < 1 {
			p.Page = 1
		}
		for {
			page, err := c.SearchUsers(ctx, p)
			if err != nil {
				yield(User{}, err)
				return
			}
			for _, u := range page.Results {
				if !yield(u, nil) {
					return
				}
			}
			if len(page.Results) == 0 || p.Page >= page.Pagination.TotalPages {
				return
			}
			p.Page++
		}
	}
}

// ReactivateUser undoes a suspension of the user with id (POST
// /lethe/v1/users/{id}/reactivate) and applies f. The user keeps its id and
// every record; the old end date is cleared unless f sets one. Erased users
// cannot be reactivated (a conflict).
func (c *Client) ReactivateUser(ctx context.Context, id string, f UserFields) (*UserLifecycle, error) {
	if id == "" {
		return nil, errEmpty("id")
	}
	return doInto[UserLifecycle](ctx, c, call{method: "POST", pattern: "/lethe/v1/users/{id}/reactivate", args: []string{id}, in: f.wire("")})
}

// RecordLogin notes that the user with id signed in (POST
// /lethe/v1/users/{id}/logins): the first sign-in turns a new user active.
// Suspended users cannot sign in (a conflict).
func (c *Client) RecordLogin(ctx context.Context, id string) (*User, error) {
	if id == "" {
		return nil, errEmpty("id")
	}
	return doInto[User](ctx, c, call{method: "POST", pattern: "/lethe/v1/users/{id}/logins", args: []string{id}})
}

// StatusChange is one entry of a user's status history. From and To are
// stored states: "active", "suspended" or "deleted"; From is empty for the
// first entry. Reason is a fixed word such as "created", "suspended",
// "reactivated" or "erased"; Source says through which surface the change
// came ("api", "provisioning", ...).
type StatusChange struct {
	From   string    `json:"from"`
	To     string    `json:"to"`
	Reason string    `json:"reason"`
	Actor  string    `json:"actor"`
	Source string    `json:"source"`
	At     time.Time `json:"at"`
}

// StatusHistory returns the status changes of the user with id, oldest
// first (GET /lethe/v1/users/{id}/status-history). The history outlives
// erasure.
func (c *Client) StatusHistory(ctx context.Context, id string) ([]StatusChange, error) {
	if id == "" {
		return nil, errEmpty("id")
	}
	var out struct {
		Results []StatusChange `json:"results"`
	}
	err := c.do(ctx, call{method: "GET", pattern: "/lethe/v1/users/{id}/status-history", args: []string{id}}, &out)
	if err != nil {
		return nil, err
	}
	return out.Results, nil
}
