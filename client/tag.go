package client

import (
	"context"
	"net/url"
	"time"
)

// Tag is a topic of content, learners' interests and skills.
type Tag struct {
	Tag       string   `json:"tag"` // the name
	ID        string   `json:"id"`
	Contents  []string `json:"contents"`
	Campaigns []string `json:"campaigns"`
	Interests []string `json:"interests"` // user ids
	Skills    []string `json:"skills"`    // user ids
}

// SkillLevel is one level of the skill scale.
type SkillLevel struct {
	Name      string `json:"name"`
	IsEnabled bool   `json:"isEnabled"`
	Value     int    `json:"value"`
}

// SkillUpdate sets a user's level and target level in a skill; nil keeps
// the stored value, -1 means not assessed.
type SkillUpdate struct {
	TagName     string `json:"tagName"`
	Level       *int   `json:"level,omitempty"`
	TargetLevel *int   `json:"targetLevel,omitempty"`
}

// StatusMessage is the answer of the user tag and skill writes.
type StatusMessage struct {
	Status  int    `json:"status"`
	Message string `json:"message"`
}

// ListTags returns one page of tags ordered by id (GET /rest/v1/tags);
// perPage 1-1000, 0 means 100.
func (c *Client) ListTags(ctx context.Context, page, perPage int, updatedSince *time.Time) (*Page[Tag], error) {
	q := pageQuery(url.Values{}, page, perPage)
	if updatedSince != nil {
		q.Set("updatedSince", updatedSince.UTC().Format(time.RFC3339Nano))
	}
	var out Page[Tag]
	return &out, c.do(ctx, call{method: "GET", pattern: "/rest/v1/tags", query: q}, &out)
}

// GetTag returns one tag.
func (c *Client) GetTag(ctx context.Context, id string) (*Tag, error) {
	if id == "" {
		return nil, errEmpty("id")
	}
	return doInto[Tag](ctx, c, call{method: "GET", pattern: "/rest/v1/tags/{id}", args: []string{id}})
}

// CreateTag creates a tag (POST /lethe/v1/tags); names are unique ignoring case.
func (c *Client) CreateTag(ctx context.Context, name string) (*Tag, error) {
	return doInto[Tag](ctx, c, call{method: "POST", pattern: "/lethe/v1/tags", in: map[string]string{"name": name}})
}

// RenameTag renames a tag (PATCH /lethe/v1/tags/{id}).
func (c *Client) RenameTag(ctx context.Context, id, name string) (*Tag, error) {
	if id == "" {
		return nil, errEmpty("id")
	}
	return doInto[Tag](ctx, c, call{method: "PATCH", pattern: "/lethe/v1/tags/{id}", args: []string{id}, in: map[string]string{"name": name}})
}

// AddUserTags adds 1-100 existing tags to a user's interests.
func (c *Client) AddUserTags(ctx context.Context, userID string, tags []string) (*StatusMessage, error) {
	if userID == "" {
		return nil, errEmpty("userID")
	}
	return doInto[StatusMessage](ctx, c, call{method: "POST", pattern: "/rest/v1/users/{id}/tags", args: []string{userID},
		in: map[string]any{"tags": tags}})
}

// RemoveUserTags removes 1-100 tags from a user's interests.
func (c *Client) RemoveUserTags(ctx context.Context, userID string, tags []string) (*StatusMessage, error) {
	if userID == "" {
		return nil, errEmpty("userID")
	}
	return doInto[StatusMessage](ctx, c, call{method: "PATCH", pattern: "/rest/v1/users/{id}/tags", args: []string{userID},
		in: map[string]any{"op": "remove", "path": "tags", "value": tags}})
}

// UpdateUserSkills sets 1-100 of a user's skills.
func (c *Client) UpdateUserSkills(ctx context.Context, userID string, skills []SkillUpdate) (*StatusMessage, error) {
	if userID == "" {
		return nil, errEmpty("userID")
	}
	return doInto[StatusMessage](ctx, c, call{method: "PATCH", pattern: "/rest/v1/users/{id}/skills", args: []string{userID},
		in: map[string]any{"op": "update", "path": "skills", "value": skills}})
}

// GetSkillLevels returns the skill scale ordered by value.
func (c *Client) GetSkillLevels(ctx context.Context) ([]SkillLevel, error) {
	var out []SkillLevel
	return out, c.do(ctx, call{method: "GET", pattern: "/rest/v1/skills/levels"}, &out)
}

// SetSkillLevels replaces the skill scale (PUT /lethe/v1/skills/levels).
func (c *Client) SetSkillLevels(ctx context.Context, levels []SkillLevel) ([]SkillLevel, error) {
	var out []SkillLevel
	return out, c.do(ctx, call{method: "PUT", pattern: "/lethe/v1/skills/levels", in: levels}, &out)
}
