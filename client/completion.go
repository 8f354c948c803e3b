package client

import (
	"context"
	"net/url"
	"strconv"
	"time"
)

// Completion is a learner's completion of a piece of content.
type Completion struct {
	ID             string     `json:"id"`
	UserID         string     `json:"userId"`
	ContentID      string     `json:"contentId"`
	ContentVersion int        `json:"contentVersion"`
	Skills         []string   `json:"skills"`
	CompletionType string     `json:"completionType"`
	HadDueDate     bool       `json:"hadDueDate"`
	IsRPL          bool       `json:"isRPL"`
	CompletedAt    time.Time  `json:"completedAt"`
	ActiveUntil    *time.Time `json:"activeUntil"`
}

// CompletionParams selects completions for ListCompletions.
type CompletionParams struct {
	ContentID string
	UserID    string
	IsRPL     *bool
	From      *time.Time // completedAt >= From
	Until     *time.Time // completedAt <= Until
	Page      int
	PerPage   int // 1-1000; 0 means 1000
}

// ListCompletions returns completions ordered by id (GET
// /rest/v1/learning/completions).
func (c *Client) ListCompletions(ctx context.Context, p CompletionParams) ([]Completion, error) {
	q := pageQuery(url.Values{}, p.Page, p.PerPage)
	for k, v := range map[string]string{"contentId": p.ContentID, "userId": p.UserID} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if p.IsRPL != nil {
		q.Set("isRPL", strconv.FormatBool(*p.IsRPL))
	}
	if p.From != nil {
		q.Set("completedDateRangeStart", p.From.UTC().Format(time.RFC3339Nano))
	}
	if p.Until != nil {
		q.Set("completedDateRangeEnd", p.Until.UTC().Format(time.RFC3339Nano))
	}
	var out []Completion
	return out, c.do(ctx, call{method: "GET", pattern: "/rest/v1/learning/completions", query: q}, &out)
}

// GetCompletion returns one completion.
func (c *Client) GetCompletion(ctx context.Context, id string) (*Completion, error) {
	if id == "" {
		return nil, errEmpty("id")
	}
	return doInto[Completion](ctx, c, call{method: "GET", pattern: "/rest/v1/learning/completions/{id}", args: []string{id}})
}

// CreateCompletion records that the user completed the content at
// completedAt, and completes the user's open or overdue enrolments of it.
// Recording the same completion again answers the same statement id and
// creates nothing.
func (c *Client) CreateCompletion(ctx context.Context, userID, contentID string, completedAt time.Time) (statementID string, err error) {
	var out struct {
		StatementID string `json:"statementId"`
	}
	err = c.do(ctx, call{method: "POST", pattern: "/rest/v1/learning/completions", in: map[string]string{
		"userId": userID, "contentId": contentID, "completedAt": completedAt.UTC().Format(time.RFC3339Nano)}}, &out)
	return out.StatementID, err
}
