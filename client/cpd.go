package client

import (
	"context"
	"net/url"
	"strings"
	"time"
)

// CPDCategory groups CPD log entries.
type CPDCategory struct {
	CategoryID string `json:"categoryId"`
	Name       string `json:"name"`
}

// CPDRequirement is the number of CPD minutes an audience's members must log.
type CPDRequirement struct {
	AudienceRequirementID string     `json:"audienceRequirementId"`
	AudienceID            string     `json:"audienceId"`
	RequiredMinutes       int        `json:"requiredMinutes"`
	CreatedAt             time.Time  `json:"createdAt"`
	UpdatedAt             *time.Time `json:"updatedAt"`
}

// CPDActivity is what a CPD entry logs.
type CPDActivity struct {
	Type string `json:"type"`
	Name string `json:"name"`
}

// CPDEntry is one CPD log entry of a user.
type CPDEntry struct {
	LogEntryID      string       `json:"logEntryId"`
	UserID          string       `json:"userId"`
	Activity        CPDActivity  `json:"activity"`
	Category        *CPDCategory `json:"category"`
	EntryDate       time.Time    `json:"entryDate"`
	DurationMinutes int          `json:"durationMinutes"`
	Description     *string      `json:"description"`
	IsVerified      bool         `json:"isVerified"`
}

// NewCPDEntry is a manual CPD entry for CreateCPDEntry.
type NewCPDEntry struct {
	UserID          string       `json:"userId"`
	CategoryID      string       `json:"categoryId,omitempty"`
	Activity        *CPDActivity `json:"activity,omitempty"`
	EntryDate       time.Time    `json:"entryDate"`
	DurationMinutes int          `json:"durationMinutes"`
	Description     string       `json:"description,omitempty"`
}

// CPDUserSummary is a user's CPD minutes in a period.
type CPDUserSummary struct {
	UserID          string `json:"userId"`
	DurationMinutes int    `json:"durationMinutes"`
}

// cpdTime is the query format of CPD dates.
func cpdTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05") }

// ListCPDCategories returns one page of CPD categories ordered by id.
func (c *Client) ListCPDCategories(ctx context.Context, page, perPage int) (*Page[CPDCategory], error) {
	var out Page[CPDCategory]
	return &out, c.do(ctx, call{method: "GET", pattern: "/rest/v1/cpdCategories", query: pageQuery(url.Values{}, page, perPage)}, &out)
}

// GetCPDCategory returns one CPD category.
func (c *Client) GetCPDCategory(ctx context.Context, id string) (*CPDCategory, error) {
	if id == "" {
		return nil, errEmpty("id")
	}
	return doInto[CPDCategory](ctx, c, call{method: "GET", pattern: "/rest/v1/cpdCategories/{id}", args: []string{id}})
}

// CreateCPDCategory creates a CPD category (POST /lethe/v1/cpd/categories).
func (c *Client) CreateCPDCategory(ctx context.Context, name string) (*CPDCategory, error) {
	return doInto[CPDCategory](ctx, c, call{method: "POST", pattern: "/lethe/v1/cpd/categories", in: map[string]string{"name": name}})
}

// ListCPDRequirements returns one page of CPD requirements ordered by id.
func (c *Client) ListCPDRequirements(ctx context.Context, page, perPage int) (*Page[CPDRequirement], error) {
	var out Page[CPDRequirement]
	return &out, c.do(ctx, call{method: "GET", pattern: "/rest/v1/cpdRequirementSummaries", query: pageQuery(url.Values{}, page, perPage)}, &out)
}

// GetCPDRequirement returns one CPD requirement.
func (c *Client) GetCPDRequirement(ctx context.Context, id string) (*CPDRequirement, error) {
	if id == "" {
		return nil, errEmpty("id")
	}
	return doInto[CPDRequirement](ctx, c, call{method: "GET", pattern: "/rest/v1/cpdRequirementSummaries/{id}", args: []string{id}})
}

// CreateCPDRequirement sets the minutes an audience (id or reference) must
// log (POST /lethe/v1/cpd/requirements).
func (c *Client) CreateCPDRequirement(ctx context.Context, audience string, requiredMinutes int) (*CPDRequirement, error) {
	return doInto[CPDRequirement](ctx, c, call{method: "POST", pattern: "/lethe/v1/cpd/requirements",
		in: map[string]any{"audienceId": audience, "requiredMinutes": requiredMinutes}})
}

// ListCPDEntries returns one page of CPD entries ordered by id, dated from
// from to to when they are given.
func (c *Client) ListCPDEntries(ctx context.Context, from, to *time.Time, page, perPage int) (*Page[CPDEntry], error) {
	q := pageQuery(url.Values{}, page, perPage)
	if from != nil {
		q.Set("entryDateFrom", cpdTime(*from))
	}
	if to != nil {
		q.Set("entryDateTo", cpdTime(*to))
	}
	var out Page[CPDEntry]
	return &out, c.do(ctx, call{method: "GET", pattern: "/rest/v1/cpdEntries", query: q}, &out)
}

// GetCPDEntry returns one CPD entry.
func (c *Client) GetCPDEntry(ctx context.Context, id string) (*CPDEntry, error) {
	if id == "" {
		return nil, errEmpty("id")
	}
	return doInto[CPDEntry](ctx, c, call{method: "GET", pattern: "/rest/v1/cpdEntries/{id}", args: []string{id}})
}

// CreateCPDEntry logs a manual, unverified CPD entry (POST /lethe/v1/cpd/entries).
func (c *Client) CreateCPDEntry(ctx context.Context, e NewCPDEntry) (*CPDEntry, error) {
	return doInto[CPDEntry](ctx, c, call{method: "POST", pattern: "/lethe/v1/cpd/entries", in: e})
}

// ListCPDUserSummaries sums the CPD minutes of each user (all, or userIDs)
// dated from from to to.
func (c *Client) ListCPDUserSummaries(ctx context.Context, from, to time.Time, userIDs []string, page, perPage int) (*Page[CPDUserSummary], error) {
	q := pageQuery(url.Values{}, page, perPage)
	q.Set("entryDateFrom", cpdTime(from))
	q.Set("entryDateTo", cpdTime(to))
	if len(userIDs) > 0 {
		q.Set("userIds", strings.Join(userIDs, ","))
	}
	var out Page[CPDUserSummary]
	return &out, c.do(ctx, call{method: "GET", pattern: "/rest/v1/cpdUserLogSummaries", query: q}, &out)
}
