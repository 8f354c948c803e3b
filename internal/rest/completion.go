package rest

import (
	"net/http"
	"strings"
	"time"

	"github.com/lethehq/lethe"
)

// completionJSON is the vendor's Completion (§6.9). Lethe has no content
// versions or skills yet: contentVersion is 1, skills empty, activeUntil null.
type completionJSON struct {
	ID             string   `json:"id"`
	UserID         string   `json:"userId"`
	ContentID      string   `json:"contentId"`
	ContentVersion int      `json:"contentVersion"`
	Skills         []string `json:"skills"`
	CompletionType string   `json:"completionType"`
	HadDueDate     bool     `json:"hadDueDate"`
	IsRPL          bool     `json:"isRPL"`
	CompletedAt    string   `json:"completedAt"`
	ActiveUntil    *string  `json:"activeUntil"`
}

func toCompletionJSON(c *lethe.Completion) completionJSON {
	return completionJSON{ID: c.ID, UserID: string(c.LearnerID), ContentID: c.ContentID, ContentVersion: 1,
		Skills: []string{}, CompletionType: c.Type, HadDueDate: c.HadDueDate, IsRPL: c.IsRPL,
		CompletedAt: formatTime(c.CompletedAt)}
}

// newCompletion is a decoded POST /rest/v1/learning/completions.
type newCompletion struct {
	learner     lethe.LearnerID
	contentID   string
	completedAt time.Time
}

// decodeCreateCompletion reads {userId, contentId, completedAt}, all required.
func decodeCreateCompletion(body []byte) (newCompletion, error) {
	var c newCompletion
	obj, err := decodeObject(body, false)
	if err != nil {
		return c, err
	}
	user, err := optString(obj, "userId")
	if err != nil {
		return c, err
	}
	if user == nil || strings.TrimSpace(*user) == "" {
		return c, lethe.FieldErrorf(lethe.EInvalid, "userId", "required", "userId is required")
	}
	id, ok := lethe.ParseID(strings.TrimSpace(*user))
	if !ok {
		return c, lethe.FieldErrorf(lethe.EInvalid, "userId", "invalid", "userId must be a user id of 24 hexadecimal characters")
	}
	c.learner = lethe.LearnerID(id)
	content, err := optContentID(obj, "contentId")
	if err != nil {
		return c, err
	}
	if content == nil {
		return c, lethe.FieldErrorf(lethe.EInvalid, "contentId", "required", "contentId is required")
	}
	c.contentID = *content
	at, err := optDate(obj, "completedAt")
	if err != nil {
		return c, err
	}
	if at == nil || at.IsZero() {
		return c, lethe.FieldErrorf(lethe.EInvalid, "completedAt", "required", "completedAt is required")
	}
	c.completedAt = *at
	return c, nil
}

// parseCompletionList reads contentId, isRPL, userId,
// completedDateRangeStart and End, page and perPage (1-1000, default 1000).
func parseCompletionList(q map[string][]string) (lethe.CompletionFilter, error) {
	var f lethe.CompletionFilter
	p, err := parsePaging(q, 1000, 1000)
	if err != nil {
		return f, err
	}
	f.Offset, f.Limit = p.offset(), p.perPage
	if v := strings.TrimSpace(first(q, "contentId")); v != "" {
		f.ContentID = strings.ToLower(v)
	}
	if v := strings.TrimSpace(first(q, "userId")); v != "" {
		f.LearnerID = lethe.LearnerID(strings.ToLower(v))
	}
	if f.IsRPL, err = queryBool(q, "isRPL"); err != nil {
		return f, err
	}
	if f.CompletedFrom, err = queryTime(q, "completedDateRangeStart"); err != nil {
		return f, err
	}
	f.CompletedUntil, err = queryTime(q, "completedDateRangeEnd")
	if err == nil && f.CompletedUntil != nil && len(strings.TrimSpace(first(q, "completedDateRangeEnd"))) == len("2006-01-02") {
		// A date alone ends at the end of that day.
		end := f.CompletedUntil.Add(lethe.Day - time.Millisecond)
		f.CompletedUntil = &end
	}
	return f, err
}

// GET /rest/v1/learning/completions: a bare array.
func (h *Handler) listCompletions(r *http.Request) (int, any, error) {
	f, err := parseCompletionList(r.URL.Query())
	if err != nil {
		return 0, nil, err
	}
	list, _, err := h.Completions.FindCompletions(r.Context(), f)
	if err != nil {
		return 0, nil, err
	}
	out := make([]completionJSON, len(list))
	for i, c := range list {
		out[i] = toCompletionJSON(c)
	}
	return http.StatusOK, out, nil
}

// GET /rest/v1/learning/completions/{id}
func (h *Handler) getCompletion(r *http.Request) (int, any, error) {
	c, err := h.Completions.FindCompletionByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toCompletionJSON(c), nil
}

// POST /rest/v1/learning/completions: 201 {statementId} when recorded, 200
// with the existing statementId when the same completion exists.
func (h *Handler) createCompletion(r *http.Request) (int, any, error) {
	body, err := readBody(r)
	if err != nil {
		return 0, nil, err
	}
	nc, err := decodeCreateCompletion(body)
	if err != nil {
		return 0, nil, err
	}
	c, created, err := h.Completions.CreateCompletion(r.Context(), nc.learner, nc.contentID, nc.completedAt)
	if err != nil {
		return 0, nil, err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return status, map[string]string{"statementId": c.ID}, nil
}
