package client

import (
	"context"
	"net/url"
	"strconv"
	"time"
)

// Audience is a structure (a grouping of audiences) or an audience (a group
// of people under a structure). Parent is nil for top-level structures.
type Audience struct {
	ID            string          `json:"id"`
	Name          string          `json:"name"`
	Reference     string          `json:"reference"`
	APIControlled bool            `json:"apiControlled"`
	Category      string          `json:"category"` // "structure" or "audience"
	Type          string          `json:"type"`     // "manual" for audiences created through the API
	Parent        *AudienceParent `json:"parent"`
	CreatedAt     time.Time       `json:"createdAt"`
	UpdatedAt     time.Time       `json:"updatedAt"`
}

// AudienceParent names an audience's parent.
type AudienceParent struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Reference string `json:"reference"`
}

// Audience categories.
const (
	CategoryStructure = "structure"
	CategoryAudience  = "audience"
)

// AudienceFields creates or changes an audience. Nil fields are not sent.
// ParentID takes the parent's id or reference; Category is read on create
// only (default: "structure" without a parent, "audience" with one).
type AudienceFields struct {
	Name      *string `json:"name,omitempty"`
	Reference *string `json:"reference,omitempty"`
	ParentID  *string `json:"parentId,omitempty"`
	Category  *string `json:"category,omitempty"`
}

// AudienceParams selects audiences for ListAudiences.
type AudienceParams struct {
	APIControlled *bool
	UpdatedSince  *time.Time
	Page          int // 1-based; 0 means 1
	PerPage       int // 1-1000; 0 means the server's default, 100
}

func pageQuery(q url.Values, page, perPage int) url.Values {
	if page > 0 {
		q.Set("page", strconv.Itoa(page))
	}
	if perPage > 0 {
		q.Set("perPage", strconv.Itoa(perPage))
	}
	return q
}

// ListAudiences returns one page of audiences ordered by id (GET
// /rest/v1/audiences).
func (c *Client) ListAudiences(ctx context.Context, p AudienceParams) (*Page[Audience], error) {
	q := pageQuery(url.Values{}, p.Page, p.PerPage)
	if p.APIControlled != nil {
		q.Set("apiControlled", strconv.FormatBool(*p.APIControlled))
	}
	if p.UpdatedSince != nil {
		q.Set("updatedSince", p.UpdatedSince.UTC().Format(time.RFC3339Nano))
	}
	var out Page[Audience]
	return &out, c.do(ctx, call{method: "GET", pattern: "/rest/v1/audiences", query: q}, &out)
}

// CreateAudience creates a structure or an audience (POST /rest/v1/audiences).
func (c *Client) CreateAudience(ctx context.Context, f AudienceFields) (*Audience, error) {
	return doInto[Audience](ctx, c, call{method: "POST", pattern: "/rest/v1/audiences", in: f})
}

// GetAudience returns the audience with the given id or reference.
func (c *Client) GetAudience(ctx context.Context, audience string) (*Audience, error) {
	if audience == "" {
		return nil, errEmpty("audience")
	}
	return doInto[Audience](ctx, c, call{method: "GET", pattern: "/rest/v1/audiences/{audienceId}", args: []string{audience}})
}

// UpdateAudience renames an audience or moves it under another structure
// (PATCH /rest/v1/audiences/{audienceId}). Category is not sent.
func (c *Client) UpdateAudience(ctx context.Context, audience string, f AudienceFields) (*Audience, error) {
	if audience == "" {
		return nil, errEmpty("audience")
	}
	f.Category = nil
	return doInto[Audience](ctx, c, call{method: "PATCH", pattern: "/rest/v1/audiences/{audienceId}", args: []string{audience}, in: f})
}

// DeleteAudience deletes an audience without children; its assignments are
// archived and its enrolments kept.
func (c *Client) DeleteAudience(ctx context.Context, audience string) error {
	if audience == "" {
		return errEmpty("audience")
	}
	return c.do(ctx, call{method: "DELETE", pattern: "/rest/v1/audiences/{audienceId}", args: []string{audience}}, nil)
}

// Member is a member of an audience.
type Member struct {
	UserID    string `json:"userId"`
	Reference string `json:"reference"`
	Email     string `json:"email"`
}

// ListMembers returns one page of an audience's members (page and perPage
// as in AudienceParams; 0 means the default).
func (c *Client) ListMembers(ctx context.Context, audience string, page, perPage int) (*Page[Member], error) {
	if audience == "" {
		return nil, errEmpty("audience")
	}
	var out Page[Member]
	return &out, c.do(ctx, call{method: "GET", pattern: "/rest/v1/audiences/{audienceId}/members", args: []string{audience},
		query: pageQuery(url.Values{}, page, perPage)}, &out)
}

// MembersResult is the answer of adding or replacing members or managers.
// Failure is nil when every user was added (HTTP 200); otherwise the
// server answered 207 and Failure lists who was not, and why ("unknown
// user", "suspended", "deleted", "duplicate").
type MembersResult struct {
	Success struct {
		Count    int `json:"count"`
		Entities []struct {
			Reference string `json:"reference"`
		} `json:"entities"`
	} `json:"success"`
	Failure *struct {
		Count    int `json:"count"`
		Entities []struct {
			Reason    string `json:"reason"`
			Reference string `json:"reference"`
		} `json:"entities"`
	} `json:"failure"`
}

// AddMembers adds 1-100 users, named by email, ref or id, to an audience
// and enrols them in its assignments. A partial success is not an error:
// see MembersResult.Failure.
func (c *Client) AddMembers(ctx context.Context, audience string, users []string) (*MembersResult, error) {
	return c.changeMembers(ctx, "POST", audience, users)
}

// ReplaceMembers makes the members exactly the users given (1-100) that can
// be added; the others leave, and their enrolments become unassigned.
func (c *Client) ReplaceMembers(ctx context.Context, audience string, users []string) (*MembersResult, error) {
	return c.changeMembers(ctx, "PATCH", audience, users)
}

func (c *Client) changeMembers(ctx context.Context, method, audience string, users []string) (*MembersResult, error) {
	if audience == "" {
		return nil, errEmpty("audience")
	}
	if users == nil {
		users = []string{}
	}
	return doInto[MembersResult](ctx, c, call{method: method, pattern: "/rest/v1/audiences/{audienceId}/members",
		args: []string{audience}, in: users})
}

// RemoveMember removes the user (email, ref or id) from an audience.
func (c *Client) RemoveMember(ctx context.Context, audience, user string) error {
	if audience == "" || user == "" {
		return errEmpty("audience and user")
	}
	return c.do(ctx, call{method: "DELETE", pattern: "/rest/v1/audiences/{audienceId}/members/{user}", args: []string{audience, user}}, nil)
}

// ManagerPermissions are an audience manager's rights. Administrator is
// allowed on structures only.
type ManagerPermissions struct {
	AudienceManager struct {
		ManageContent bool `json:"manageContent"`
		Assignments   bool `json:"assignments"`
	} `json:"audienceManager"`
	PeopleManager struct {
		CanViewLearnPage bool `json:"canViewLearnPage"`
		Insights         bool `json:"insights"`
		Manage           bool `json:"manage"`
	} `json:"peopleManager"`
	Administrator *struct {
		CanAddAudienceManagers bool `json:"canAddAudienceManagers"`
	} `json:"administrator,omitempty"`
}

// ManagerGrant names a user (email, ref or id) to manage an audience.
type ManagerGrant struct {
	Reference   string             `json:"reference"`
	Permissions ManagerPermissions `json:"permissions"`
}

// AudienceManager is a manager of an audience.
type AudienceManager struct {
	Member
	Permissions ManagerPermissions `json:"permissions"`
}

// ListManagers returns every manager of an audience.
func (c *Client) ListManagers(ctx context.Context, audience string) ([]AudienceManager, error) {
	if audience == "" {
		return nil, errEmpty("audience")
	}
	var out []AudienceManager
	return out, c.do(ctx, call{method: "GET", pattern: "/rest/v1/audiences/{audienceId}/managers", args: []string{audience}}, &out)
}

// AddManagers adds 1-100 managers; an existing manager gets the new
// permissions.
func (c *Client) AddManagers(ctx context.Context, audience string, grants []ManagerGrant) (*MembersResult, error) {
	return c.changeManagers(ctx, "POST", audience, grants)
}

// ReplaceManagers makes the managers exactly the users given that can be added.
func (c *Client) ReplaceManagers(ctx context.Context, audience string, grants []ManagerGrant) (*MembersResult, error) {
	return c.changeManagers(ctx, "PATCH", audience, grants)
}

func (c *Client) changeManagers(ctx context.Context, method, audience string, grants []ManagerGrant) (*MembersResult, error) {
	if audience == "" {
		return nil, errEmpty("audience")
	}
	if grants == nil {
		grants = []ManagerGrant{}
	}
	return doInto[MembersResult](ctx, c, call{method: method, pattern: "/rest/v1/audiences/{audienceId}/managers",
		args: []string{audience}, in: grants})
}

// RemoveManager removes the manager (email, ref or id) from an audience.
func (c *Client) RemoveManager(ctx context.Context, audience, user string) error {
	if audience == "" || user == "" {
		return errEmpty("audience and user")
	}
	return c.do(ctx, call{method: "DELETE", pattern: "/rest/v1/audiences/{audienceId}/managers/{user}", args: []string{audience, user}}, nil)
}
