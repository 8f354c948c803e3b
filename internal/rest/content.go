package rest

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/lethehq/lethe"
)

// contentJSON is the vendor's Content (§6.10).
type contentJSON struct {
	ID             string             `json:"id"`
	Title          string             `json:"title"`
	Description    string             `json:"description"`
	Tags           []string           `json:"tags"`
	Type           string             `json:"type"`
	CreatedAt      string             `json:"createdAt"`
	UpdatedAt      string             `json:"updatedAt"`
	Author         *string            `json:"author"`
	IsOfficial     bool               `json:"isOfficial"`
	Duration       *durationJSON      `json:"duration"`
	ContentHistory []contentEventJSON `json:"contentHistory"`
	ArchivedAt     *string            `json:"archivedAt,omitempty"` // Lethe's own
}

type durationJSON struct {
	Value *int   `json:"value"`
	Unit  string `json:"unit"`
}

type contentEventJSON struct {
	Action      string        `json:"action"`
	Timestamp   string        `json:"timestamp"`
	PerformedBy performerJSON `json:"performedBy"`
}

type performerJSON struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

func toContentJSON(c *lethe.Content) contentJSON {
	out := contentJSON{ID: c.ID, Title: c.Title, Description: c.Description, Tags: c.Tags, Type: c.Type,
		CreatedAt: formatTime(c.CreatedAt), UpdatedAt: formatTime(c.UpdatedAt), IsOfficial: c.IsOfficial,
		ContentHistory: make([]contentEventJSON, len(c.History)), ArchivedAt: formatTimePtr(c.ArchivedAt)}
	if out.Tags == nil {
		out.Tags = []string{}
	}
	if c.Author != "" {
		out.Author = strPtr(string(c.Author))
	}
	if c.DurationMinutes != nil {
		out.Duration = &durationJSON{Value: c.DurationMinutes, Unit: "minutes"}
	}
	for i, e := range c.History {
		out.ContentHistory[i] = contentEventJSON{Action: e.Action, Timestamp: formatTime(e.Timestamp),
			PerformedBy: performerJSON{Type: e.ActorType, Value: e.Actor}}
	}
	return out
}

// decodeContent reads a content body: id (create only), title, description,
// type, tags, duration {value, unit: "minutes"}, isOfficial, author.
func decodeContent(body []byte, create bool) (string, lethe.ContentFields, error) {
	var f lethe.ContentFields
	obj, err := decodeObject(body, !create)
	if err != nil {
		return "", f, err
	}
	id := ""
	if create {
		s, err := optString(obj, "id")
		if err != nil {
			return "", f, err
		}
		if s != nil {
			id = strings.TrimSpace(*s)
			if _, ok := lethe.ParseID(id); id != "" && !ok {
				return "", f, lethe.FieldErrorf(lethe.EInvalid, "id", "invalid", "id must be 24 hexadecimal characters")
			}
		}
	}
	for _, s := range []struct {
		name string
		dst  **string
	}{{"title", &f.Title}, {"description", &f.Description}, {"type", &f.Type}, {"author", &f.Author}} {
		if *s.dst, err = optString(obj, s.name); err != nil {
			return "", f, err
		}
	}
	if f.IsOfficial, err = optBool(obj, "isOfficial"); err != nil {
		return "", f, err
	}
	if raw, ok := obj["tags"]; ok {
		tags := []string{}
		if !isNull(raw) {
			if err := json.Unmarshal(raw, &tags); err != nil {
				return "", f, typeError("tags", "an array of strings")
			}
		}
		f.Tags = &tags
	}
	if raw, ok := obj["duration"]; ok {
		var d *int
		if !isNull(raw) {
			dobj, err := decodeObject(raw, false)
			if err != nil {
				return "", f, typeError("duration", "an object {value, unit}")
			}
			if u, err := optString(dobj, "unit"); err != nil {
				return "", f, typeError("duration.unit", "a string")
			} else if u != nil && *u != "" && *u != "minutes" {
				return "", f, lethe.FieldErrorf(lethe.EInvalid, "duration.unit", "invalid", "duration.unit must be minutes")
			}
			if v, ok := dobj["value"]; ok && !isNull(v) {
				var n float64
				if err := json.Unmarshal(v, &n); err != nil {
					return "", f, typeError("duration.value", "a number")
				}
				if n < 0 || n > 1_000_000 || n != float64(int(n)) {
					return "", f, lethe.FieldErrorf(lethe.EInvalid, "duration.value", "out_of_range",
						"duration.value must be a whole number of minutes between 0 and 1000000")
				}
				i := int(n)
				d = &i
			}
		}
		f.DurationMinutes = &d
	}
	return id, f, nil
}

// parseContentList reads page, perPage (1-1000, default 20), types,
// omitTypes (ignored when types is given) and updatedSince.
func parseContentList(q map[string][]string) (lethe.ContentFilter, paging, error) {
	var f lethe.ContentFilter
	p, err := parsePaging(q, 20, 1000)
	if err != nil {
		return f, p, err
	}
	f.Offset, f.Limit = p.offset(), p.perPage
	types := func(name string) ([]string, error) {
		list := commaList(first(q, name))
		for i, t := range list {
			list[i] = strings.ToLower(t)
			if !lethe.IsContentType(list[i]) {
				return nil, lethe.FieldErrorf(lethe.EInvalid, name, "invalid", "%s must list types from %s", name, strings.Join(lethe.ContentTypes, ", "))
			}
		}
		return list, nil
	}
	if f.Types, err = types("types"); err != nil {
		return f, p, err
	}
	if len(f.Types) == 0 {
		if f.OmitTypes, err = types("omitTypes"); err != nil {
			return f, p, err
		}
	}
	f.UpdatedSince, err = queryTime(q, "updatedSince")
	return f, p, err
}

// GET /rest/v1/contents: paged envelope.
func (h *Handler) listContents(r *http.Request) (int, any, error) {
	f, p, err := parseContentList(r.URL.Query())
	if err != nil {
		return 0, nil, err
	}
	list, total, err := h.Contents.FindContents(r.Context(), f)
	if err != nil {
		return 0, nil, err
	}
	out := make([]contentJSON, len(list))
	for i, c := range list {
		out[i] = toContentJSON(c)
	}
	return http.StatusOK, newPage(out, total, p), nil
}

// GET /rest/v1/contents/{id}
func (h *Handler) getContent(r *http.Request) (int, any, error) {
	c, err := h.Contents.FindContentByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toContentJSON(c), nil
}

// POST /lethe/v1/contents: 201 Content.
func (h *Handler) createContent(r *http.Request) (int, any, error) {
	body, err := readBody(r)
	if err != nil {
		return 0, nil, err
	}
	id, f, err := decodeContent(body, true)
	if err != nil {
		return 0, nil, err
	}
	c, err := h.Contents.CreateContent(r.Context(), id, f)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, toContentJSON(c), nil
}

// PATCH /lethe/v1/contents/{id}
func (h *Handler) updateContent(r *http.Request) (int, any, error) {
	body, err := readBody(r)
	if err != nil {
		return 0, nil, err
	}
	_, f, err := decodeContent(body, false)
	if err != nil {
		return 0, nil, err
	}
	c, err := h.Contents.UpdateContent(r.Context(), r.PathValue("id"), f)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toContentJSON(c), nil
}

// POST /lethe/v1/contents/{id}/archive
func (h *Handler) archiveContent(r *http.Request) (int, any, error) {
	c, err := h.Contents.ArchiveContent(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toContentJSON(c), nil
}
