package client

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Identifier names a user by exactly one of ID, Ref and Email.
type Identifier struct {
	ID    string `json:"id,omitempty"`
	Ref   string `json:"ref,omitempty"`
	Email string `json:"email,omitempty"`
}

// BulkRequest is a synchronous bulk call: up to 1,000 users.
type BulkRequest struct {
	Action      string       `json:"action"` // suspend, reactivate, delete, anonymize or purge
	Identifiers []Identifier `json:"identifiers"`
	EndDate     *time.Time   `json:"endDate,omitempty"` // suspend only
	DryRun      bool         `json:"dryRun,omitempty"`
}

// BulkItem is what a bulk call did to one user.
type BulkItem struct {
	Identifier Identifier `json:"identifier"`
	UserID     *string    `json:"userId"`
	Outcome    string     `json:"outcome"` // done, unchanged, skipped or failed
	Reason     *string    `json:"reason"`
}

// BulkResult is the answer of a bulk call. Status is 200 when every user
// ended as asked (done or unchanged), 207 otherwise.
type BulkResult struct {
	Status  int            `json:"-"`
	Action  string         `json:"action"`
	DryRun  bool           `json:"dryRun"`
	Summary map[string]int `json:"summary"`
	Results []BulkItem     `json:"results"`
}

// BulkUsers applies an action to up to 1,000 users (POST
// /lethe/v1/users/bulk). With an idempotency key, the call acts once:
// concurrent calls and retries within 24 hours answer the first answer, in
// which a result naming a person erased since has an empty Identifier and
// no UserID.
func (c *Client) BulkUsers(ctx context.Context, r BulkRequest, idempotencyKey string) (*BulkResult, error) {
	var out BulkResult
	cl := call{method: "POST", pattern: "/lethe/v1/users/bulk", in: r, status: &out.Status}
	if idempotencyKey != "" {
		cl.header = http.Header{"Idempotency-Key": {idempotencyKey}}
	}
	if err := c.do(ctx, cl, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Job is a durable job.
type Job struct {
	ID         string         `json:"id"`
	Kind       string         `json:"kind"`   // bulk or dormant
	Action     *string        `json:"action"` // nil for a dormant audit
	State      string         `json:"state"`  // preview, queued, running, succeeded, failed, cancelled
	DryRun     bool           `json:"dryRun"`
	Total      int            `json:"total"`
	Done       int            `json:"done"` // items processed
	Failed     int            `json:"failed"`
	Outcomes   map[string]int `json:"outcomes"`
	Actions    map[string]int `json:"actions"`
	CreatedAt  time.Time      `json:"createdAt"`
	StartedAt  *time.Time     `json:"startedAt"`
	FinishedAt *time.Time     `json:"finishedAt"`
}

// Finished reports whether the job will process no more items.
func (j *Job) Finished() bool {
	return j.State == "succeeded" || j.State == "failed" || j.State == "cancelled"
}

// JobQuery selects users for a job; nil fields do not restrict.
type JobQuery struct {
	Statuses        []string   `json:"statuses,omitempty"`
	CreatedBefore   *time.Time `json:"createdBefore,omitempty"`
	LastLoginBefore *time.Time `json:"lastLoginBefore,omitempty"`
	NeverLoggedIn   *bool      `json:"neverLoggedIn,omitempty"`
	HasHistory      *bool      `json:"hasHistory,omitempty"`
	EndDateBefore   *time.Time `json:"endDateBefore,omitempty"`
}

// JobSelector is exactly one of CSV, AudienceID and Query.
type JobSelector struct {
	CSV        *string   `json:"csv,omitempty"`
	AudienceID *string   `json:"audienceId,omitempty"`
	Query      *JobQuery `json:"query,omitempty"`
}

// NewJob is a job to queue.
type NewJob struct {
	Action     string      `json:"action"`
	Selector   JobSelector `json:"selector"`
	EndDate    *time.Time  `json:"endDate,omitempty"`
	DryRun     bool        `json:"dryRun,omitempty"`
	ConfirmAll bool        `json:"confirmAll,omitempty"`
}

// CreateJob queues a job (POST /lethe/v1/jobs).
func (c *Client) CreateJob(ctx context.Context, j NewJob) (*Job, error) {
	return doInto[Job](ctx, c, call{method: "POST", pattern: "/lethe/v1/jobs", in: j})
}

// GetJob returns a job and its progress (GET /lethe/v1/jobs/{id}).
func (c *Client) GetJob(ctx context.Context, id string) (*Job, error) {
	if id == "" {
		return nil, errEmpty("id")
	}
	return doInto[Job](ctx, c, call{method: "GET", pattern: "/lethe/v1/jobs/{id}", args: []string{id}})
}

// CancelJob cancels a job (POST /lethe/v1/jobs/{id}/cancel).
func (c *Client) CancelJob(ctx context.Context, id string) (*Job, error) {
	if id == "" {
		return nil, errEmpty("id")
	}
	return doInto[Job](ctx, c, call{method: "POST", pattern: "/lethe/v1/jobs/{id}/cancel", args: []string{id}})
}

// JobResults returns the per-item results CSV of a finished job or a
// preview (GET /lethe/v1/jobs/{id}/results). For a large job, WriteJobResults
// does not hold it in memory.
func (c *Client) JobResults(ctx context.Context, id string) ([]byte, error) {
	var b bytes.Buffer
	err := c.WriteJobResults(ctx, id, &b)
	return b.Bytes(), err
}

// WriteJobResults copies the per-item results CSV of a finished job or a
// preview to w as it arrives. An error after some lines were copied means
// the CSV was cut short.
func (c *Client) WriteJobResults(ctx context.Context, id string, w io.Writer) error {
	if id == "" {
		return errEmpty("id")
	}
	return c.do(ctx, call{method: "GET", pattern: "/lethe/v1/jobs/{id}/results", args: []string{id}, copyTo: w}, nil)
}

// DormantRules are the rules of a dormant-account audit.
type DormantRules struct {
	NeverLoggedInDays *int `json:"neverLoggedInDays,omitempty"`
	InactiveDays      *int `json:"inactiveDays,omitempty"`
	EndDatePassed     bool `json:"endDatePassed,omitempty"`
	Exclude           *struct {
		Roles     []string `json:"roles,omitempty"`
		Audiences []string `json:"audiences,omitempty"`
	} `json:"exclude,omitempty"`
}

// PreviewDormant previews a dormant-account audit (POST
// /lethe/v1/audits/dormant); the preview is a job in state preview.
func (c *Client) PreviewDormant(ctx context.Context, r DormantRules) (*Job, error) {
	return doInto[Job](ctx, c, call{method: "POST", pattern: "/lethe/v1/audits/dormant", in: r})
}

// ApplyDormant queues a preview as a job (POST
// /lethe/v1/audits/dormant/{id}/apply).
func (c *Client) ApplyDormant(ctx context.Context, id string) (*Job, error) {
	if id == "" {
		return nil, errEmpty("id")
	}
	return doInto[Job](ctx, c, call{method: "POST", pattern: "/lethe/v1/audits/dormant/{id}/apply", args: []string{id}})
}

// ListJobs returns a page of jobs, newest first; kind "" for every kind.
func (c *Client) ListJobs(ctx context.Context, kind string, page, perPage int) (*Page[Job], error) {
	q := url.Values{}
	if kind != "" {
		q.Set("kind", kind)
	}
	if page > 0 {
		q.Set("page", strconv.Itoa(page))
	}
	if perPage > 0 {
		q.Set("perPage", strconv.Itoa(perPage))
	}
	return doInto[Page[Job]](ctx, c, call{method: "GET", pattern: "/lethe/v1/jobs", query: q})
}
