package rest

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lethehq/lethe"
)

// cpdCategoryJSON is the vendor's CPD category (§6.13).
type cpdCategoryJSON struct {
	CategoryID string `json:"categoryId"`
	Name       string `json:"name"`
}

// cpdRequirementJSON is the vendor's CPD requirement (§6.13).
type cpdRequirementJSON struct {
	AudienceRequirementID string  `json:"audienceRequirementId"`
	AudienceID            string  `json:"audienceId"`
	RequiredMinutes       int     `json:"requiredMinutes"`
	CreatedAt             string  `json:"createdAt"`
	UpdatedAt             *string `json:"updatedAt"`
}

type cpdActivityJSON struct {
	Type string `json:"type"`
	Name string `json:"name"`
}

// cpdEntryJSON is the vendor's CPD entry (§6.12); category is null when
// the entry has none.
type cpdEntryJSON struct {
	LogEntryID      string           `json:"logEntryId"`
	UserID          string           `json:"userId"`
	Activity        cpdActivityJSON  `json:"activity"`
	Category        *cpdCategoryJSON `json:"category"`
	EntryDate       string           `json:"entryDate"`
	DurationMinutes int              `json:"durationMinutes"`
	Description     *string          `json:"description"`
	IsVerified      bool             `json:"isVerified"`
}

type cpdUserSummaryJSON struct {
	UserID          string `json:"userId"`
	DurationMinutes int    `json:"durationMinutes"`
}

func toCPDRequirementJSON(r *lethe.CPDRequirement) cpdRequirementJSON {
	return cpdRequirementJSON{AudienceRequirementID: r.ID, AudienceID: r.AudienceID, RequiredMinutes: r.RequiredMinutes,
		CreatedAt: formatTime(r.CreatedAt), UpdatedAt: formatTimePtr(&r.UpdatedAt)}
}

func toCPDEntryJSON(e *lethe.CPDEntry) cpdEntryJSON {
	out := cpdEntryJSON{LogEntryID: e.ID, UserID: string(e.LearnerID), Activity: cpdActivityJSON{Type: e.ActivityType, Name: e.ActivityName},
		EntryDate: formatTime(e.EntryDate), DurationMinutes: e.DurationMinutes, Description: e.Description, IsVerified: e.IsVerified}
	if e.CategoryID != "" {
		out.Category = &cpdCategoryJSON{CategoryID: e.CategoryID, Name: e.CategoryName}
	}
	return out
}

// maxCPDText is the longest CPD name or description, in characters.
const maxCPDText = 10_000

// requiredText reads a required, non-empty string member of at most max characters.
func requiredText(obj map[string]json.RawMessage, field string, max int) (string, error) {
	s, err := optString(obj, field)
	if err != nil {
		return "", err
	}
	if s == nil || strings.TrimSpace(*s) == "" {
		return "", lethe.FieldErrorf(lethe.EInvalid, field, "required", "%s is required", field)
	}
	if err := checkText(field, *s, max); err != nil {
		return "", err
	}
	return strings.TrimSpace(*s), nil
}

func checkText(field, s string, max int) error {
	if utf8.RuneCountInString(s) > max || !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
		return lethe.FieldErrorf(lethe.EInvalid, field, "invalid", "%s must be at most %d characters of text", field, max)
	}
	return nil
}

// minutes reads a required integer of minutes, at least 0.
func minutes(obj map[string]json.RawMessage, field string) (int, error) {
	n, err := optIntAt(obj, field, field)
	if err != nil {
		return 0, err
	}
	if n == nil {
		return 0, lethe.FieldErrorf(lethe.EInvalid, field, "required", "%s is required", field)
	}
	if *n < 0 {
		return 0, lethe.FieldErrorf(lethe.EInvalid, field, "out_of_range", "%s must not be below zero", field)
	}
	return *n, nil
}

// decodeCPDCategory reads {name}.
func decodeCPDCategory(body []byte) (string, error) {
	obj, err := decodeObject(body, false)
	if err != nil {
		return "", err
	}
	return requiredText(obj, "name", maxTagName)
}

// decodeCPDRequirement reads {audienceId (id or reference), requiredMinutes}.
func decodeCPDRequirement(body []byte) (audience string, mins int, err error) {
	obj, err := decodeObject(body, false)
	if err != nil {
		return "", 0, err
	}
	if audience, err = requiredText(obj, "audienceId", maxTagName); err != nil {
		return "", 0, err
	}
	mins, err = minutes(obj, "requiredMinutes")
	return audience, mins, err
}

// decodeCPDEntry reads {userId, categoryId?, activity? {type?, name?},
// entryDate, durationMinutes, description?}. A manual entry is never verified.
func decodeCPDEntry(body []byte) (*lethe.CPDEntry, error) {
	obj, err := decodeObject(body, false)
	if err != nil {
		return nil, err
	}
	var e lethe.CPDEntry
	user, err := requiredText(obj, "userId", 100)
	if err != nil {
		return nil, err
	}
	id, ok := lethe.ParseID(user)
	if !ok {
		return nil, lethe.FieldErrorf(lethe.EInvalid, "userId", "invalid", "userId must be a user id of 24 hexadecimal characters")
	}
	e.LearnerID = lethe.LearnerID(id)
	if s, err := optString(obj, "categoryId"); err != nil {
		return nil, err
	} else if s != nil && strings.TrimSpace(*s) != "" {
		c, ok := lethe.ParseID(strings.TrimSpace(*s))
		if !ok {
			return nil, lethe.FieldErrorf(lethe.EInvalid, "categoryId", "invalid", "categoryId must be 24 hexadecimal characters")
		}
		e.CategoryID = c
	}
	e.ActivityType = lethe.CPDActivityManual
	if raw, ok := obj["activity"]; ok && !isNull(raw) {
		var act map[string]json.RawMessage
		if json.Unmarshal(raw, &act) != nil || act == nil {
			return nil, typeError("activity", "an object")
		}
		for _, f := range []struct {
			name string
			dst  *string
		}{{"type", &e.ActivityType}, {"name", &e.ActivityName}} {
			s, err := optString(act, f.name)
			if err != nil {
				return nil, typeError("activity."+f.name, "a string")
			}
			if s != nil && strings.TrimSpace(*s) != "" {
				if err := checkText("activity."+f.name, *s, maxTagName); err != nil {
					return nil, err
				}
				*f.dst = strings.TrimSpace(*s)
			}
		}
	}
	at, err := optDate(obj, "entryDate")
	if err != nil {
		return nil, err
	}
	if at == nil || at.IsZero() {
		return nil, lethe.FieldErrorf(lethe.EInvalid, "entryDate", "required", "entryDate is required")
	}
	e.EntryDate = at.Truncate(time.Millisecond)
	if e.DurationMinutes, err = minutes(obj, "durationMinutes"); err != nil {
		return nil, err
	}
	if s, err := optString(obj, "description"); err != nil {
		return nil, err
	} else if s != nil && *s != "" {
		if err := checkText("description", *s, maxCPDText); err != nil {
			return nil, err
		}
		e.Description = s
	}
	return &e, nil
}

// parseCPDEntryList reads page, perPage (1-1000, default 100), entryDateFrom
// and entryDateTo (a date alone ends at the end of that day).
func parseCPDEntryList(q map[string][]string) (paging, lethe.CPDEntryFilter, error) {
	var f lethe.CPDEntryFilter
	p, err := parsePaging(q, 100, 1000)
	if err != nil {
		return p, f, err
	}
	f.Offset, f.Limit = p.offset(), p.perPage
	if f.EntryFrom, err = queryTime(q, "entryDateFrom"); err != nil {
		return p, f, err
	}
	f.EntryTo, err = queryEndTime(q, "entryDateTo")
	return p, f, err
}

// queryEndTime is queryTime where a date alone means the end of that day.
func queryEndTime(q map[string][]string, name string) (*time.Time, error) {
	t, err := queryTime(q, name)
	if err == nil && t != nil && len(strings.TrimSpace(first(q, name))) == len("2006-01-02") {
		end := t.Add(lethe.Day - time.Millisecond)
		t = &end
	}
	return t, err
}

// parseCPDSummaryList reads the required entryDateFrom and entryDateTo,
// userIds (a comma list), page and perPage (1-1000, default 100).
func parseCPDSummaryList(q map[string][]string) (paging, lethe.CPDSummaryFilter, error) {
	var f lethe.CPDSummaryFilter
	p, err := parsePaging(q, 100, 1000)
	if err != nil {
		return p, f, err
	}
	f.Offset, f.Limit = p.offset(), p.perPage
	from, err := queryTime(q, "entryDateFrom")
	if err != nil {
		return p, f, err
	}
	to, err := queryEndTime(q, "entryDateTo")
	if err != nil {
		return p, f, err
	}
	if from == nil {
		return p, f, lethe.FieldErrorf(lethe.EInvalid, "entryDateFrom", "required", "entryDateFrom is required (YYYY-MM-DDThh:mm:ss)")
	}
	if to == nil {
		return p, f, lethe.FieldErrorf(lethe.EInvalid, "entryDateTo", "required", "entryDateTo is required (YYYY-MM-DDThh:mm:ss)")
	}
	if to.Before(*from) {
		return p, f, lethe.FieldErrorf(lethe.EInvalid, "entryDateTo", "out_of_range", "entryDateTo must not be before entryDateFrom")
	}
	f.From, f.To = *from, *to
	list := commaList(first(q, "userIds"))
	if len(list) > 1000 {
		return p, f, lethe.FieldErrorf(lethe.EInvalid, "userIds", "out_of_range", "userIds must name at most 1000 users")
	}
	for _, u := range list {
		// A malformed id matches no one: it is kept as "", so that a list of
		// malformed ids still filters (to nobody) rather than selecting all.
		id, _ := lethe.ParseID(u)
		f.LearnerIDs = append(f.LearnerIDs, lethe.LearnerID(id))
	}
	return p, f, nil
}

// GET /rest/v1/cpdCategories: a paged envelope.
func (h *Handler) listCPDCategories(r *http.Request) (int, any, error) {
	p, since, err := parseUpdatedSincePage(r.URL.Query())
	if err != nil {
		return 0, nil, err
	}
	list, total, err := h.CPD.FindCategories(r.Context(), lethe.CPDFilter{UpdatedSince: since, Offset: p.offset(), Limit: p.perPage})
	if err != nil {
		return 0, nil, err
	}
	out := make([]cpdCategoryJSON, len(list))
	for i, c := range list {
		out[i] = cpdCategoryJSON{CategoryID: c.ID, Name: c.Name}
	}
	return http.StatusOK, newPage(out, total, p), nil
}

// GET /rest/v1/cpdCategories/{categoryId}
func (h *Handler) getCPDCategory(r *http.Request) (int, any, error) {
	c, err := h.CPD.FindCategoryByID(r.Context(), r.PathValue("categoryId"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, cpdCategoryJSON{CategoryID: c.ID, Name: c.Name}, nil
}

// GET /rest/v1/cpdEntries: a paged envelope.
func (h *Handler) listCPDEntries(r *http.Request) (int, any, error) {
	p, f, err := parseCPDEntryList(r.URL.Query())
	if err != nil {
		return 0, nil, err
	}
	list, total, err := h.CPD.FindEntries(r.Context(), f)
	if err != nil {
		return 0, nil, err
	}
	out := make([]cpdEntryJSON, len(list))
	for i, e := range list {
		out[i] = toCPDEntryJSON(e)
	}
	return http.StatusOK, newPage(out, total, p), nil
}

// GET /rest/v1/cpdEntries/{logEntryId}
func (h *Handler) getCPDEntry(r *http.Request) (int, any, error) {
	e, err := h.CPD.FindEntryByID(r.Context(), r.PathValue("logEntryId"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toCPDEntryJSON(e), nil
}

// GET /rest/v1/cpdRequirementSummaries: a paged envelope.
func (h *Handler) listCPDRequirements(r *http.Request) (int, any, error) {
	p, since, err := parseUpdatedSincePage(r.URL.Query())
	if err != nil {
		return 0, nil, err
	}
	list, total, err := h.CPD.FindRequirements(r.Context(), lethe.CPDFilter{UpdatedSince: since, Offset: p.offset(), Limit: p.perPage})
	if err != nil {
		return 0, nil, err
	}
	out := make([]cpdRequirementJSON, len(list))
	for i, c := range list {
		out[i] = toCPDRequirementJSON(c)
	}
	return http.StatusOK, newPage(out, total, p), nil
}

// GET /rest/v1/cpdRequirementSummaries/{audienceRequirementId}
func (h *Handler) getCPDRequirement(r *http.Request) (int, any, error) {
	c, err := h.CPD.FindRequirementByID(r.Context(), r.PathValue("audienceRequirementId"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toCPDRequirementJSON(c), nil
}

// GET /rest/v1/cpdUserLogSummaries: a paged envelope of {userId, durationMinutes}.
func (h *Handler) listCPDUserSummaries(r *http.Request) (int, any, error) {
	p, f, err := parseCPDSummaryList(r.URL.Query())
	if err != nil {
		return 0, nil, err
	}
	list, total, err := h.CPD.FindUserSummaries(r.Context(), f)
	if err != nil {
		return 0, nil, err
	}
	out := make([]cpdUserSummaryJSON, len(list))
	for i, s := range list {
		out[i] = cpdUserSummaryJSON{UserID: string(s.LearnerID), DurationMinutes: s.DurationMinutes}
	}
	return http.StatusOK, newPage(out, total, p), nil
}

// POST /lethe/v1/cpd/categories: 201 category.
func (h *Handler) createCPDCategory(r *http.Request) (int, any, error) {
	body, err := readBody(r)
	if err != nil {
		return 0, nil, err
	}
	name, err := decodeCPDCategory(body)
	if err != nil {
		return 0, nil, err
	}
	c, err := h.CPD.CreateCategory(r.Context(), name)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, cpdCategoryJSON{CategoryID: c.ID, Name: c.Name}, nil
}

// POST /lethe/v1/cpd/requirements: 201 requirement.
func (h *Handler) createCPDRequirement(r *http.Request) (int, any, error) {
	body, err := readBody(r)
	if err != nil {
		return 0, nil, err
	}
	audience, mins, err := decodeCPDRequirement(body)
	if err != nil {
		return 0, nil, err
	}
	c, err := h.CPD.CreateRequirement(r.Context(), audience, mins)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, toCPDRequirementJSON(c), nil
}

// POST /lethe/v1/cpd/entries: 201 entry (isVerified false).
func (h *Handler) createCPDEntry(r *http.Request) (int, any, error) {
	body, err := readBody(r)
	if err != nil {
		return 0, nil, err
	}
	e, err := decodeCPDEntry(body)
	if err != nil {
		return 0, nil, err
	}
	if err := h.CPD.CreateEntry(r.Context(), e); err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, toCPDEntryJSON(e), nil
}
