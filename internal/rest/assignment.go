package rest

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/lethehq/lethe"
)

// assignmentJSON is the vendor's Assignment (§6.7).
type assignmentJSON struct {
	ID                     string   `json:"id"`
	AudienceID             string   `json:"audienceId"`
	PrimaryContentID       string   `json:"primaryContentId"`
	AlternativeContentIDs  []string `json:"alternativeContentIds"`
	HideAlternativeContent bool     `json:"hideAlternativeContent"`
	CompletionPeriod       int      `json:"completionPeriod"`
	Recurrence             *int     `json:"recurrence"`
	IsActive               bool     `json:"isActive"`
	IsDeleted              bool     `json:"isDeleted"`
	CreatedAt              *string  `json:"createdAt"`
	DeletedAt              *string  `json:"deletedAt"`
	UpdatedAt              *string  `json:"updatedAt"`
}

func toAssignmentJSON(a *lethe.Assignment) assignmentJSON {
	alt := a.AlternativeContentIDs
	if alt == nil {
		alt = []string{}
	}
	return assignmentJSON{ID: a.ID, AudienceID: a.AudienceID, PrimaryContentID: a.PrimaryContentID,
		AlternativeContentIDs: alt, HideAlternativeContent: a.HideAlternativeContent,
		CompletionPeriod: a.CompletionPeriod, Recurrence: a.Recurrence, IsActive: !a.Deleted(), IsDeleted: a.Deleted(),
		CreatedAt: formatTimePtr(&a.CreatedAt), DeletedAt: formatTimePtr(a.DeletedAt), UpdatedAt: formatTimePtr(&a.UpdatedAt)}
}

// optInt reads an integer member; null reads as not given unless
// nullable, when it reads as 0 (clear).
func optInt(obj map[string]json.RawMessage, field string, nullable bool) (*int, error) {
	raw, ok := obj[field]
	if !ok {
		return nil, nil
	}
	if isNull(raw) {
		if nullable {
			return new(int), nil
		}
		return nil, nil
	}
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, typeError(field, "an integer")
	}
	if f != float64(int(f)) || f < 1 || f > lethe.MaxPeriodDays {
		return nil, lethe.FieldErrorf(lethe.EInvalid, field, "out_of_range", "%s must be an integer from 1 to %d", field, lethe.MaxPeriodDays)
	}
	n := int(f)
	return &n, nil
}

// optContentID reads a content id member: 24 hexadecimal characters.
func optContentID(obj map[string]json.RawMessage, field string) (*string, error) {
	s, err := optString(obj, field)
	if err != nil || s == nil {
		return s, err
	}
	id, ok := lethe.ParseID(strings.TrimSpace(*s))
	if !ok {
		return nil, lethe.FieldErrorf(lethe.EInvalid, field, "invalid", "%s must be 24 hexadecimal characters", field)
	}
	return &id, nil
}

// decodeAssignmentFields reads the members of create (all) and update
// (all but hideAlternativeContent). audienceId is required in both.
func decodeAssignmentFields(body []byte, create bool) (lethe.AssignmentFields, error) {
	var f lethe.AssignmentFields
	obj, err := decodeObject(body, false)
	if err != nil {
		return f, err
	}
	if f.AudienceID, err = optString(obj, "audienceId"); err != nil {
		return f, err
	}
	if f.AudienceID == nil || strings.TrimSpace(*f.AudienceID) == "" {
		return f, lethe.FieldErrorf(lethe.EInvalid, "audienceId", "required", "audienceId is required")
	}
	*f.AudienceID = strings.TrimSpace(*f.AudienceID)
	if f.ContentID, err = optContentID(obj, "contentId"); err != nil {
		return f, err
	}
	if create && f.ContentID == nil {
		return f, lethe.FieldErrorf(lethe.EInvalid, "contentId", "required", "contentId is required")
	}
	if raw, ok := obj["alternativeContentIds"]; ok && !isNull(raw) {
		var ids []string
		if err := json.Unmarshal(raw, &ids); err != nil {
			return f, typeError("alternativeContentIds", "an array of strings")
		}
		if len(ids) > lethe.MaxAlternativeContentIDs {
			return f, lethe.FieldErrorf(lethe.EInvalid, "alternativeContentIds", "too_many",
				"alternativeContentIds must have at most %d items", lethe.MaxAlternativeContentIDs)
		}
		for i, s := range ids {
			id, ok := lethe.ParseID(strings.TrimSpace(s))
			if !ok {
				return f, lethe.FieldErrorf(lethe.EInvalid, "alternativeContentIds", "invalid",
					"alternativeContentIds must hold ids of 24 hexadecimal characters")
			}
			ids[i] = id
		}
		if ids == nil {
			ids = []string{}
		}
		f.AlternativeContentIDs = &ids
	}
	if create {
		if f.HideAlternativeContent, err = optBool(obj, "hideAlternativeContent"); err != nil {
			return f, err
		}
	}
	if f.CompletionPeriod, err = optInt(obj, "completionPeriod", false); err != nil {
		return f, err
	}
	f.Recurrence, err = optInt(obj, "recurrence", true)
	return f, err
}

func decodeCreateAssignment(body []byte) (lethe.AssignmentFields, error) {
	return decodeAssignmentFields(body, true)
}

func decodeUpdateAssignment(body []byte) (lethe.AssignmentFields, error) {
	return decodeAssignmentFields(body, false)
}

// decodeDeleteAssignment reads the required {"audienceId": …}.
func decodeDeleteAssignment(body []byte) (string, error) {
	obj, err := decodeObject(body, true)
	if err != nil {
		return "", err
	}
	s, err := optString(obj, "audienceId")
	if err != nil {
		return "", err
	}
	if s == nil || strings.TrimSpace(*s) == "" {
		return "", lethe.FieldErrorf(lethe.EInvalid, "audienceId", "required", "audienceId is required")
	}
	return strings.TrimSpace(*s), nil
}

// parseAssignmentList reads the query of GET /rest/v1/assignments.
func parseAssignmentList(q map[string][]string) (lethe.AssignmentFilter, error) {
	var f lethe.AssignmentFilter
	p, err := parsePaging(q, 100, 100)
	if err != nil {
		return f, err
	}
	f.Offset, f.Limit = p.offset(), p.perPage
	f.AudienceID = strings.TrimSpace(first(q, "audienceId"))
	f.UpdatedSince, err = queryTime(q, "updatedSince")
	return f, err
}

// GET /rest/v1/assignments: a bare array, deleted assignments included.
func (h *Handler) listAssignments(r *http.Request) (int, any, error) {
	f, err := parseAssignmentList(r.URL.Query())
	if err != nil {
		return 0, nil, err
	}
	list, _, err := h.Assignments.FindAssignments(r.Context(), f)
	if err != nil {
		return 0, nil, err
	}
	out := make([]assignmentJSON, len(list))
	for i, a := range list {
		out[i] = toAssignmentJSON(a)
	}
	return http.StatusOK, out, nil
}

// POST /rest/v1/assignments
func (h *Handler) createAssignment(r *http.Request) (int, any, error) {
	body, err := readBody(r)
	if err != nil {
		return 0, nil, err
	}
	f, err := decodeCreateAssignment(body)
	if err != nil {
		return 0, nil, err
	}
	a, err := h.Assignments.CreateAssignment(r.Context(), f)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, toAssignmentJSON(a), nil
}

// GET /rest/v1/assignments/{assignmentId}
func (h *Handler) getAssignment(r *http.Request) (int, any, error) {
	a, err := h.Assignments.FindAssignmentByID(r.Context(), r.PathValue("assignmentId"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toAssignmentJSON(a), nil
}

// PATCH /rest/v1/assignments/{assignmentId}
func (h *Handler) updateAssignment(r *http.Request) (int, any, error) {
	body, err := readBody(r)
	if err != nil {
		return 0, nil, err
	}
	f, err := decodeUpdateAssignment(body)
	if err != nil {
		return 0, nil, err
	}
	a, err := h.Assignments.UpdateAssignment(r.Context(), r.PathValue("assignmentId"), f)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toAssignmentJSON(a), nil
}

// DELETE /rest/v1/assignments/{assignmentId} with body {"audienceId": …}
func (h *Handler) deleteAssignment(r *http.Request) (int, any, error) {
	body, err := readBody(r)
	if err != nil {
		return 0, nil, err
	}
	audience, err := decodeDeleteAssignment(body)
	if err != nil {
		return 0, nil, err
	}
	if err := h.Assignments.DeleteAssignment(r.Context(), r.PathValue("assignmentId"), audience); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, success, nil
}
