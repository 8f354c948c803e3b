package rest

import (
	"net/http"
	"strings"
	"time"

	"github.com/lethehq/lethe"
)

// enrolmentJSON is the vendor's Enrolment (§6.8). availableDate and
// dueDate are those of the current cycle.
type enrolmentJSON struct {
	ID               string               `json:"id"`
	UserID           string               `json:"userId"`
	AssignmentID     string               `json:"assignmentId"`
	AudienceID       string               `json:"audienceId"`
	PrimaryContentID string               `json:"primaryContentId"`
	Status           string               `json:"status"`
	AvailableDate    string               `json:"availableDate"`
	DueDate          string               `json:"dueDate"`
	LastCompletedAt  *string              `json:"lastCompletedAt"`
	History          []enrolmentEventJSON `json:"history"`
	UpdatedAt        string               `json:"updatedAt"`
}

type enrolmentEventJSON struct {
	Type           string  `json:"type"`
	CompletionID   *string `json:"completionId"`
	PreviousStatus *string `json:"previousStatus"`
	NextStatus     string  `json:"nextStatus"`
	CreatedAt      string  `json:"createdAt"`
	UpdatedAt      string  `json:"updatedAt"`
}

func toEnrolmentJSON(e *lethe.Enrolment, now time.Time) enrolmentJSON {
	available, due, _ := e.CycleAt(now)
	out := enrolmentJSON{ID: e.ID, UserID: string(e.LearnerID), AssignmentID: e.AssignmentID, AudienceID: e.AudienceID,
		PrimaryContentID: e.PrimaryContentID, Status: string(lethe.EnrolmentStatusAt(e, now)),
		AvailableDate: formatTime(available), DueDate: formatTime(due), LastCompletedAt: formatTimePtr(e.LastCompletedAt),
		History: []enrolmentEventJSON{}, UpdatedAt: formatTime(e.UpdatedAt)}
	for _, ev := range e.History(now) {
		at := formatTime(ev.At)
		out.History = append(out.History, enrolmentEventJSON{Type: ev.Type, CompletionID: strPtr(ev.CompletionID),
			PreviousStatus: strPtr(string(ev.Previous)), NextStatus: string(ev.Next), CreatedAt: at, UpdatedAt: at})
	}
	return out
}

// parseEnrolmentList reads status, updatedAtFrom, updatedAtTo (which needs
// updatedAtFrom), page and perPage (1-100).
func parseEnrolmentList(q map[string][]string) (lethe.EnrolmentFilter, error) {
	var f lethe.EnrolmentFilter
	p, err := parsePaging(q, 100, 100)
	if err != nil {
		return f, err
	}
	f.Offset, f.Limit = p.offset(), p.perPage
	if f.UpdatedFrom, err = queryTime(q, "updatedAtFrom"); err != nil {
		return f, err
	}
	if f.UpdatedTo, err = queryTime(q, "updatedAtTo"); err != nil {
		return f, err
	}
	if f.UpdatedTo != nil && f.UpdatedFrom == nil {
		return f, lethe.FieldErrorf(lethe.EInvalid, "updatedAtTo", "requires_from", "updatedAtTo requires updatedAtFrom")
	}
	if v := strings.TrimSpace(first(q, "status")); v != "" {
		st, ok := lethe.ParseEnrolmentStatus(strings.ToLower(v))
		if !ok {
			return f, lethe.FieldErrorf(lethe.EInvalid, "status", "invalid",
				"status must be one of archived, complete, open, overdue, scheduled, unassigned")
		}
		f.Statuses = []lethe.EnrolmentStatus{st}
	}
	return f, nil
}

// GET /rest/v1/assignments/{assignmentId}/enrolments: a bare array.
func (h *Handler) listEnrolments(r *http.Request) (int, any, error) {
	f, err := parseEnrolmentList(r.URL.Query())
	if err != nil {
		return 0, nil, err
	}
	f.AssignmentID = r.PathValue("assignmentId")
	list, _, err := h.Enrolments.FindEnrolments(r.Context(), f)
	if err != nil {
		return 0, nil, err
	}
	now := h.now()
	out := make([]enrolmentJSON, len(list))
	for i, e := range list {
		out[i] = toEnrolmentJSON(e, now)
	}
	return http.StatusOK, out, nil
}

// GET /rest/v1/assignments/{assignmentId}/enrolments/{enrolmentId}
func (h *Handler) getEnrolment(r *http.Request) (int, any, error) {
	e, err := h.Enrolments.FindEnrolmentByID(r.Context(), r.PathValue("assignmentId"), r.PathValue("enrolmentId"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toEnrolmentJSON(e, h.now()), nil
}
