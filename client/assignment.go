package client

import (
	"context"
	"net/url"
	"time"
)

// Assignment asks an audience's members to complete content within
// CompletionPeriod days, again every Recurrence days when set.
type Assignment struct {
	ID                     string     `json:"id"`
	AudienceID             string     `json:"audienceId"`
	PrimaryContentID       string     `json:"primaryContentId"`
	AlternativeContentIDs  []string   `json:"alternativeContentIds"`
	HideAlternativeContent bool       `json:"hideAlternativeContent"`
	CompletionPeriod       int        `json:"completionPeriod"`
	Recurrence             *int       `json:"recurrence"`
	IsActive               bool       `json:"isActive"`
	IsDeleted              bool       `json:"isDeleted"`
	CreatedAt              *time.Time `json:"createdAt"`
	DeletedAt              *time.Time `json:"deletedAt"`
	UpdatedAt              *time.Time `json:"updatedAt"`
}

// AssignmentFields creates or changes an assignment. AudienceID (id or
// reference) is required on create and update; ContentID on create. Nil
// fields are not sent. HideAlternativeContent is sent on create only.
type AssignmentFields struct {
	AudienceID             string    `json:"audienceId"`
	ContentID              *string   `json:"contentId,omitempty"`
	AlternativeContentIDs  *[]string `json:"alternativeContentIds,omitempty"`
	HideAlternativeContent *bool     `json:"hideAlternativeContent,omitempty"`
	CompletionPeriod       *int      `json:"completionPeriod,omitempty"` // days; default 30
	Recurrence             *int      `json:"recurrence,omitempty"`       // days
}

// AssignmentParams selects assignments for ListAssignments.
type AssignmentParams struct {
	AudienceID   string // id or reference
	UpdatedSince *time.Time
	Page         int
	PerPage      int // 1-100
}

// ListAssignments returns assignments ordered by id, deleted ones included
// (GET /rest/v1/assignments).
func (c *Client) ListAssignments(ctx context.Context, p AssignmentParams) ([]Assignment, error) {
	q := pageQuery(url.Values{}, p.Page, p.PerPage)
	if p.AudienceID != "" {
		q.Set("audienceId", p.AudienceID)
	}
	if p.UpdatedSince != nil {
		q.Set("updatedSince", p.UpdatedSince.UTC().Format(time.RFC3339Nano))
	}
	var out []Assignment
	return out, c.do(ctx, call{method: "GET", pattern: "/rest/v1/assignments", query: q}, &out)
}

// CreateAssignment creates an assignment and enrols every member of its
// audience.
func (c *Client) CreateAssignment(ctx context.Context, f AssignmentFields) (*Assignment, error) {
	return doInto[Assignment](ctx, c, call{method: "POST", pattern: "/rest/v1/assignments", in: f})
}

// GetAssignment returns an assignment.
func (c *Client) GetAssignment(ctx context.Context, id string) (*Assignment, error) {
	if id == "" {
		return nil, errEmpty("id")
	}
	return doInto[Assignment](ctx, c, call{method: "GET", pattern: "/rest/v1/assignments/{assignmentId}", args: []string{id}})
}

// UpdateAssignment changes an assignment; f.AudienceID must name its audience.
func (c *Client) UpdateAssignment(ctx context.Context, id string, f AssignmentFields) (*Assignment, error) {
	if id == "" {
		return nil, errEmpty("id")
	}
	f.HideAlternativeContent = nil
	return doInto[Assignment](ctx, c, call{method: "PATCH", pattern: "/rest/v1/assignments/{assignmentId}", args: []string{id}, in: f})
}

// DeleteAssignment archives an assignment and its enrolments; audience (id
// or reference) must name its audience.
func (c *Client) DeleteAssignment(ctx context.Context, id, audience string) error {
	if id == "" {
		return errEmpty("id")
	}
	return c.do(ctx, call{method: "DELETE", pattern: "/rest/v1/assignments/{assignmentId}", args: []string{id},
		in: map[string]string{"audienceId": audience}}, nil)
}

// Enrolment statuses.
const (
	EnrolmentScheduled  = "scheduled"
	EnrolmentOpen       = "open"
	EnrolmentOverdue    = "overdue"
	EnrolmentComplete   = "complete"
	EnrolmentUnassigned = "unassigned"
	EnrolmentArchived   = "archived"
)

// Enrolment is one learner's obligation under an assignment.
// AvailableDate and DueDate are those of the current cycle.
type Enrolment struct {
	ID               string           `json:"id"`
	UserID           string           `json:"userId"`
	AssignmentID     string           `json:"assignmentId"`
	AudienceID       string           `json:"audienceId"`
	PrimaryContentID string           `json:"primaryContentId"`
	Status           string           `json:"status"`
	AvailableDate    time.Time        `json:"availableDate"`
	DueDate          time.Time        `json:"dueDate"`
	LastCompletedAt  *time.Time       `json:"lastCompletedAt"`
	History          []EnrolmentEvent `json:"history"`
	UpdatedAt        time.Time        `json:"updatedAt"`
}

// EnrolmentEvent is one status change of an enrolment.
type EnrolmentEvent struct {
	Type           string    `json:"type"`
	CompletionID   string    `json:"completionId"`
	PreviousStatus string    `json:"previousStatus"`
	NextStatus     string    `json:"nextStatus"`
	CreatedAt      time.Time `json:"createdAt"`
	UpdatedAt      time.Time `json:"updatedAt"`
}

// EnrolmentParams selects enrolments for ListEnrolments.
type EnrolmentParams struct {
	Status        string
	UpdatedAtFrom *time.Time
	UpdatedAtTo   *time.Time // needs UpdatedAtFrom
	Page          int
	PerPage       int // 1-100
}

// ListEnrolments returns the enrolments of an assignment ordered by id.
func (c *Client) ListEnrolments(ctx context.Context, assignment string, p EnrolmentParams) ([]Enrolment, error) {
	if assignment == "" {
		return nil, errEmpty("assignment")
	}
	q := pageQuery(url.Values{}, p.Page, p.PerPage)
	if p.Status != "" {
		q.Set("status", p.Status)
	}
	if p.UpdatedAtFrom != nil {
		q.Set("updatedAtFrom", p.UpdatedAtFrom.UTC().Format(time.RFC3339Nano))
	}
	if p.UpdatedAtTo != nil {
		q.Set("updatedAtTo", p.UpdatedAtTo.UTC().Format(time.RFC3339Nano))
	}
	var out []Enrolment
	return out, c.do(ctx, call{method: "GET", pattern: "/rest/v1/assignments/{assignmentId}/enrolments",
		args: []string{assignment}, query: q}, &out)
}

// GetEnrolment returns one enrolment of an assignment.
func (c *Client) GetEnrolment(ctx context.Context, assignment, id string) (*Enrolment, error) {
	if assignment == "" || id == "" {
		return nil, errEmpty("assignment and id")
	}
	return doInto[Enrolment](ctx, c, call{method: "GET", pattern: "/rest/v1/assignments/{assignmentId}/enrolments/{enrolmentId}",
		args: []string{assignment, id}})
}
