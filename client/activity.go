package client

import (
	"context"
	"encoding/json"
	"iter"
	"net/url"
	"strings"
	"time"
)

// Activity is one thing a learner did.
type Activity struct {
	ID          string          `json:"id"`
	User        string          `json:"user"` // the user id
	Type        string          `json:"type"`
	Name        *string         `json:"name"`
	Date        time.Time       `json:"date"`
	ContextID   *string         `json:"contextId"`
	ContextType *string         `json:"contextType"`
	Data        json.RawMessage `json:"data"`
	With        json.RawMessage `json:"with"`
}

// NewActivity is an activity to ingest. ID is the sender's own id and the
// idempotency key: an id ingested before is not stored again. Give UserID
// or UserRef.
type NewActivity struct {
	ID          string          `json:"id"`
	Type        string          `json:"type"`
	UserID      string          `json:"userId,omitempty"`
	UserRef     string          `json:"userRef,omitempty"`
	Date        time.Time       `json:"date"`
	ContextType string          `json:"contextType,omitempty"`
	ContextID   string          `json:"contextId,omitempty"`
	Name        string          `json:"name,omitempty"`
	Data        json.RawMessage `json:"data,omitempty"`
	With        json.RawMessage `json:"with,omitempty"`
}

// IngestResult counts what an ingestion did.
type IngestResult struct {
	Received   int `json:"received"`
	Stored     int `json:"stored"`
	Duplicates int `json:"duplicates"`
}

// ActivityParams selects activities for ListActivities.
type ActivityParams struct {
	Actions     []string
	OmitActions []string // ignored by the server when Actions is set
	ContentIDs  []string
	ContentType string
	From, To    *time.Time // inclusive, to the second
	Page        int        // 1-based; 0 means 1
	PerPage     int        // 1-1000; 0 means the server's default, 20
}

const timestampLayout = "2006-01-02 15:04:05"

// ListActivities returns one page of activities ordered by date then id
// (GET /rest/v1/activities).
func (c *Client) ListActivities(ctx context.Context, p ActivityParams) (*Page[Activity], error) {
	q := pageQuery(url.Values{}, p.Page, p.PerPage)
	for k, v := range map[string][]string{"actions": p.Actions, "omitActions": p.OmitActions, "contentIds": p.ContentIDs} {
		if len(v) > 0 {
			q.Set(k, strings.Join(v, ","))
		}
	}
	if p.ContentType != "" {
		q.Set("contentType", p.ContentType)
	}
	if p.From != nil {
		q.Set("timestampFrom", p.From.UTC().Format(timestampLayout))
	}
	if p.To != nil {
		q.Set("timestampTo", p.To.UTC().Format(timestampLayout))
	}
	var out Page[Activity]
	return &out, c.do(ctx, call{method: "GET", pattern: "/rest/v1/activities", query: q}, &out)
}

// AllActivities walks every page from p.Page (default 1) on, as the
// Airbyte connector does: it stops at the first page shorter than
// p.PerPage (default 200), or than the page size the server reports when
// that is smaller. On an error it yields the error once and stops.
func (c *Client) AllActivities(ctx context.Context, p ActivityParams) iter.Seq2[Activity, error] {
	return func(yield func(Activity, error) bool) {
		if p.Page < 1 {
			p.Page = 1
		}
		if p.PerPage < 1 {
			p.PerPage = 200
		}
		for {
			page, err := c.ListActivities(ctx, p)
			if err != nil {
				yield(Activity{}, err)
				return
			}
			for _, a := range page.Results {
				if !yield(a, nil) {
					return
				}
			}
			// A short page is the last; short of the page size the server
			// used, which is smaller than the one asked for above its
			// maximum (it reads that as the maximum).
			size := p.PerPage
			if n := page.Pagination.PerPage; n > 0 && n < size {
				size = n
			}
			if len(page.Results) < size {
				return
			}
			p.Page++
		}
	}
}

// GetActivity returns one activity (GET /rest/v1/activity/{id}).
func (c *Client) GetActivity(ctx context.Context, id string) (*Activity, error) {
	if id == "" {
		return nil, errEmpty("id")
	}
	return doInto[Activity](ctx, c, call{method: "GET", pattern: "/rest/v1/activity/{id}", args: []string{id}})
}

// IngestActivities stores a batch of up to 1,000 activities (POST
// /lethe/v1/activities), all or nothing: an invalid item fails the batch
// with a 422 naming activities[i].field.
func (c *Client) IngestActivities(ctx context.Context, batch []NewActivity) (*IngestResult, error) {
	return doInto[IngestResult](ctx, c, call{method: "POST", pattern: "/lethe/v1/activities",
		in: map[string][]NewActivity{"activities": batch}})
}
