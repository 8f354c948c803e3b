package client

import (
	"context"
	"net/url"
	"strings"
	"time"
)

// Content is an item of the learning catalogue.
type Content struct {
	ID             string         `json:"id"`
	Title          string         `json:"title"`
	Description    string         `json:"description"`
	Tags           []string       `json:"tags"`
	Type           string         `json:"type"`
	CreatedAt      time.Time      `json:"createdAt"`
	UpdatedAt      time.Time      `json:"updatedAt"`
	Author         *string        `json:"author"` // a user id
	IsOfficial     bool           `json:"isOfficial"`
	Duration       *Duration      `json:"duration"`
	ContentHistory []ContentEvent `json:"contentHistory"`
	ArchivedAt     *time.Time     `json:"archivedAt"`
}

// Duration is how long content takes.
type Duration struct {
	Value *int   `json:"value"`
	Unit  string `json:"unit"` // "minutes"
}

// ContentEvent is one action on content: created, updated or archived.
type ContentEvent struct {
	Action      string    `json:"action"`
	Timestamp   time.Time `json:"timestamp"`
	PerformedBy struct {
		Type  string `json:"type"`
		Value string `json:"value"`
	} `json:"performedBy"`
}

// ContentFields creates or changes content. Nil fields are not sent. ID is
// read on create only (an import keeping its ids); Duration set to a
// pointer to nil clears it; Author "" clears it.
type ContentFields struct {
	ID          *string    `json:"id,omitempty"`
	Title       *string    `json:"title,omitempty"`
	Description *string    `json:"description,omitempty"`
	Type        *string    `json:"type,omitempty"`
	Tags        *[]string  `json:"tags,omitempty"`
	Duration    **Duration `json:"duration,omitempty"`
	IsOfficial  *bool      `json:"isOfficial,omitempty"`
	Author      *string    `json:"author,omitempty"`
}

// ContentParams selects content for ListContents.
type ContentParams struct {
	Types        []string
	OmitTypes    []string // ignored by the server when Types is set
	UpdatedSince *time.Time
	Page         int // 1-based; 0 means 1
	PerPage      int // 1-1000; 0 means the server's default, 20
}

// ListContents returns one page of live content ordered by id (GET
// /rest/v1/contents).
func (c *Client) ListContents(ctx context.Context, p ContentParams) (*Page[Content], error) {
	q := pageQuery(url.Values{}, p.Page, p.PerPage)
	if len(p.Types) > 0 {
		q.Set("types", strings.Join(p.Types, ","))
	}
	if len(p.OmitTypes) > 0 {
		q.Set("omitTypes", strings.Join(p.OmitTypes, ","))
	}
	if p.UpdatedSince != nil {
		q.Set("updatedSince", p.UpdatedSince.UTC().Format(time.RFC3339Nano))
	}
	var out Page[Content]
	return &out, c.do(ctx, call{method: "GET", pattern: "/rest/v1/contents", query: q}, &out)
}

// GetContent returns content, archived or not.
func (c *Client) GetContent(ctx context.Context, id string) (*Content, error) {
	if id == "" {
		return nil, errEmpty("id")
	}
	return doInto[Content](ctx, c, call{method: "GET", pattern: "/rest/v1/contents/{id}", args: []string{id}})
}

// CreateContent adds content to the catalogue (POST /lethe/v1/contents).
func (c *Client) CreateContent(ctx context.Context, f ContentFields) (*Content, error) {
	return doInto[Content](ctx, c, call{method: "POST", pattern: "/lethe/v1/contents", in: f})
}

// UpdateContent changes content (PATCH /lethe/v1/contents/{id}).
func (c *Client) UpdateContent(ctx context.Context, id string, f ContentFields) (*Content, error) {
	if id == "" {
		return nil, errEmpty("id")
	}
	f.ID = nil
	return doInto[Content](ctx, c, call{method: "PATCH", pattern: "/lethe/v1/contents/{id}", args: []string{id}, in: f})
}

// ArchiveContent archives content: it leaves the list but stays readable,
// and its completions stay. Archiving twice changes nothing.
func (c *Client) ArchiveContent(ctx context.Context, id string) (*Content, error) {
	if id == "" {
		return nil, errEmpty("id")
	}
	return doInto[Content](ctx, c, call{method: "POST", pattern: "/lethe/v1/contents/{id}/archive", args: []string{id}})
}
