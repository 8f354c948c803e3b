package rest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lethehq/lethe"
)

// tagJSON is the vendor's Tag (§6.14). Lethe has no campaigns: always [].
type tagJSON struct {
	Tag       string   `json:"tag"`
	ID        string   `json:"id"`
	Contents  []string `json:"contents"`
	Campaigns []string `json:"campaigns"`
	Interests []string `json:"interests"`
	Skills    []string `json:"skills"`
}

func ids[T ~string](in []T) []string {
	out := make([]string, len(in))
	for i, v := range in {
		out[i] = string(v)
	}
	return out
}

func toTagJSON(t *lethe.Tag) tagJSON {
	return tagJSON{Tag: t.Name, ID: t.ID, Contents: ids(t.ContentIDs), Campaigns: []string{},
		Interests: ids(t.Interests), Skills: ids(t.Skills)}
}

// skillLevelJSON is the vendor's skill level (§6.14).
type skillLevelJSON struct {
	Name      string `json:"name"`
	IsEnabled bool   `json:"isEnabled"`
	Value     int    `json:"value"`
}

// maxTagName is the longest tag name, in characters.
const maxTagName = 200

// decodeTagName reads the required name member of a tag.
func decodeTagName(body []byte) (string, error) {
	obj, err := decodeObject(body, false)
	if err != nil {
		return "", err
	}
	s, err := optString(obj, "name")
	if err != nil {
		return "", err
	}
	if s == nil || strings.TrimSpace(*s) == "" {
		return "", lethe.FieldErrorf(lethe.EInvalid, "name", "required", "name is required")
	}
	if n := strings.TrimSpace(*s); utf8.RuneCountInString(n) > maxTagName || strings.ContainsRune(n, 0) || !utf8.ValidString(n) {
		return "", lethe.FieldErrorf(lethe.EInvalid, "name", "invalid", "name must be at most %d characters of text", maxTagName)
	}
	return strings.TrimSpace(*s), nil
}

// decodeTagNames reads field as an array of 1-100 non-empty tag names.
func decodeTagNames(obj map[string]json.RawMessage, field string) ([]string, error) {
	raw, ok := obj[field]
	if !ok || isNull(raw) {
		return nil, lethe.FieldErrorf(lethe.EInvalid, field, "required", "%s is required", field)
	}
	var names []string
	if err := json.Unmarshal(raw, &names); err != nil {
		return nil, typeError(field, "an array of tag names")
	}
	if len(names) < 1 || len(names) > lethe.MaxTagsPerRequest {
		return nil, lethe.FieldErrorf(lethe.EInvalid, field, "out_of_range", "%s must name 1 to %d tags", field, lethe.MaxTagsPerRequest)
	}
	for i, n := range names {
		if strings.TrimSpace(n) == "" {
			return nil, lethe.FieldErrorf(lethe.EInvalid, fmt.Sprintf("%s[%d]", field, i), "required", "tag names must not be empty")
		}
		if err := checkText(fmt.Sprintf("%s[%d]", field, i), n, maxTagName); err != nil {
			return nil, err
		}
	}
	return names, nil
}

// decodeAddTags reads {tags: [...]}.
func decodeAddTags(body []byte) ([]string, error) {
	obj, err := decodeObject(body, false)
	if err != nil {
		return nil, err
	}
	return decodeTagNames(obj, "tags")
}

// decodePatchOp checks {op, path} of a learner PATCH.
func decodePatchOp(obj map[string]json.RawMessage, op, path string) error {
	for _, m := range []struct{ field, want string }{{"op", op}, {"path", path}} {
		s, err := optString(obj, m.field)
		if err != nil {
			return err
		}
		if s == nil || strings.TrimSpace(*s) != m.want {
			return lethe.FieldErrorf(lethe.EInvalid, m.field, "invalid", "%s must be %q", m.field, m.want)
		}
	}
	return nil
}

// decodeRemoveTags reads {op: "remove", path: "tags", value: [...]}.
func decodeRemoveTags(body []byte) ([]string, error) {
	obj, err := decodeObject(body, false)
	if err != nil {
		return nil, err
	}
	if err := decodePatchOp(obj, "remove", "tags"); err != nil {
		return nil, err
	}
	return decodeTagNames(obj, "value")
}

// decodeUpdateSkills reads {op: "update", path: "skills", value: [{tagName, level, targetLevel}]}.
func decodeUpdateSkills(body []byte) ([]lethe.SkillUpdate, error) {
	obj, err := decodeObject(body, false)
	if err != nil {
		return nil, err
	}
	if err := decodePatchOp(obj, "update", "skills"); err != nil {
		return nil, err
	}
	raw, ok := obj["value"]
	if !ok || isNull(raw) {
		return nil, lethe.FieldErrorf(lethe.EInvalid, "value", "required", "value is required")
	}
	var items []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, typeError("value", "an array of skills")
	}
	if len(items) < 1 || len(items) > lethe.MaxTagsPerRequest {
		return nil, lethe.FieldErrorf(lethe.EInvalid, "value", "out_of_range", "value must hold 1 to %d skills", lethe.MaxTagsPerRequest)
	}
	out := make([]lethe.SkillUpdate, len(items))
	for i, item := range items {
		prefix := fmt.Sprintf("value[%d].", i)
		if item == nil {
			return nil, typeError(fmt.Sprintf("value[%d]", i), "an object")
		}
		name, err := optString(item, "tagName")
		if err != nil {
			return nil, typeError(prefix+"tagName", "a string")
		}
		if name == nil || strings.TrimSpace(*name) == "" {
			return nil, lethe.FieldErrorf(lethe.EInvalid, prefix+"tagName", "required", "tagName is required")
		}
		if err := checkText(prefix+"tagName", *name, maxTagName); err != nil {
			return nil, err
		}
		out[i].TagName = *name
		for _, l := range []struct {
			field string
			dst   **int
		}{{"level", &out[i].Level}, {"targetLevel", &out[i].TargetLevel}} {
			v, err := optIntAt(item, l.field, prefix+l.field)
			if err != nil {
				return nil, err
			}
			if v != nil && *v < lethe.MinSkillLevel {
				return nil, lethe.FieldErrorf(lethe.EInvalid, prefix+l.field, "out_of_range", "%s must be at least %d", l.field, lethe.MinSkillLevel)
			}
			*l.dst = v
		}
	}
	return out, nil
}

// optIntAt reads an integer member (null reads as absent); name is the field
// named in errors.
func optIntAt(obj map[string]json.RawMessage, field, name string) (*int, error) {
	raw, ok := obj[field]
	if !ok || isNull(raw) {
		return nil, nil
	}
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil || f != float64(int(f)) || f > 1e9 || f < -1e9 {
		return nil, lethe.FieldErrorf(lethe.EInvalid, name, "invalid", "%s must be an integer", name)
	}
	n := int(f)
	return &n, nil
}

// decodeSkillLevels reads a bare array of {name, value, isEnabled|enabled}.
func decodeSkillLevels(body []byte) ([]lethe.SkillLevel, error) {
	var items []map[string]json.RawMessage
	if err := json.Unmarshal(body, &items); err != nil {
		return nil, lethe.Errorf(lethe.EBadRequest, "The request body must be a JSON array of skill levels.")
	}
	if len(items) > 100 {
		return nil, lethe.FieldErrorf(lethe.EInvalid, "levels", "out_of_range", "at most 100 skill levels")
	}
	seen := map[int]bool{}
	out := make([]lethe.SkillLevel, len(items))
	for i, item := range items {
		at := func(f string) string { return fmt.Sprintf("[%d].%s", i, f) }
		if item == nil {
			return nil, typeError(fmt.Sprintf("[%d]", i), "an object")
		}
		name, err := optString(item, "name")
		if err != nil {
			return nil, typeError(at("name"), "a string")
		}
		if name == nil || strings.TrimSpace(*name) == "" || !utf8.ValidString(*name) || strings.ContainsRune(*name, 0) {
			return nil, lethe.FieldErrorf(lethe.EInvalid, at("name"), "required", "name is required")
		}
		if err := checkText(at("name"), *name, maxTagName); err != nil {
			return nil, err
		}
		v, err := optIntAt(item, "value", at("value"))
		if err != nil {
			return nil, err
		}
		if v == nil || *v < lethe.MinSkillLevel {
			return nil, lethe.FieldErrorf(lethe.EInvalid, at("value"), "required", "value is required, an integer of at least %d", lethe.MinSkillLevel)
		}
		if seen[*v] {
			return nil, lethe.FieldErrorf(lethe.EInvalid, at("value"), "duplicate", "value %d is given twice", *v)
		}
		seen[*v] = true
		enabled := true
		for _, f := range []string{"isEnabled", "enabled"} {
			b, err := optBool(item, f)
			if err != nil {
				return nil, typeError(at(f), "a boolean")
			}
			if b != nil {
				enabled = *b
			}
		}
		out[i] = lethe.SkillLevel{Name: strings.TrimSpace(*name), Value: *v, Enabled: enabled}
	}
	return out, nil
}

// parseUpdatedSincePage reads page, perPage (1-1000, default 100) and updatedSince.
func parseUpdatedSincePage(q map[string][]string) (paging, *time.Time, error) {
	p, err := parsePaging(q, 100, 1000)
	if err != nil {
		return p, nil, err
	}
	t, err := queryTime(q, "updatedSince")
	return p, t, err
}

// GET /rest/v1/tags: a paged envelope.
func (h *Handler) listTags(r *http.Request) (int, any, error) {
	p, since, err := parseUpdatedSincePage(r.URL.Query())
	if err != nil {
		return 0, nil, err
	}
	list, total, err := h.Tags.FindTags(r.Context(), lethe.TagFilter{UpdatedSince: since, Offset: p.offset(), Limit: p.perPage})
	if err != nil {
		return 0, nil, err
	}
	out := make([]tagJSON, len(list))
	for i, t := range list {
		out[i] = toTagJSON(t)
	}
	return http.StatusOK, newPage(out, total, p), nil
}

// GET /rest/v1/tags/{tagId}
func (h *Handler) getTag(r *http.Request) (int, any, error) {
	t, err := h.Tags.FindTagByID(r.Context(), r.PathValue("tagId"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toTagJSON(t), nil
}

// learnerBody reads the {userId} path value and the decoded body of a
// learner tag or skill write.
func learnerBody[T any](r *http.Request, decode func([]byte) (T, error)) (lethe.LearnerID, T, error) {
	var zero T
	id, err := userIDFromPath(r, "userId")
	if err != nil {
		return "", zero, err
	}
	body, err := readBody(r)
	if err != nil {
		return "", zero, err
	}
	v, err := decode(body)
	return id, v, err
}

// statusMessage is the {status, message} answer of the learner tag and skill writes.
func statusMessage(msg string) (int, any, error) {
	return http.StatusOK, map[string]any{"status": http.StatusOK, "message": msg}, nil
}

// POST /rest/v1/users/{userId}/tags
func (h *Handler) addUserTags(r *http.Request) (int, any, error) {
	id, names, err := learnerBody(r, decodeAddTags)
	if err != nil {
		return 0, nil, err
	}
	n, err := h.Tags.AddLearnerTags(r.Context(), id, names)
	if err != nil {
		return 0, nil, err
	}
	return statusMessage(fmt.Sprintf("%d tag(s) added successfully to the learner.", n))
}

// PATCH /rest/v1/users/{userId}/tags
func (h *Handler) removeUserTags(r *http.Request) (int, any, error) {
	id, names, err := learnerBody(r, decodeRemoveTags)
	if err != nil {
		return 0, nil, err
	}
	n, err := h.Tags.RemoveLearnerTags(r.Context(), id, names)
	if err != nil {
		return 0, nil, err
	}
	return statusMessage(fmt.Sprintf("%d tag(s) removed successfully from the learner.", n))
}

// PATCH /rest/v1/users/{userId}/skills
func (h *Handler) updateUserSkills(r *http.Request) (int, any, error) {
	id, skills, err := learnerBody(r, decodeUpdateSkills)
	if err != nil {
		return 0, nil, err
	}
	n, err := h.Tags.UpdateSkills(r.Context(), id, skills)
	if err != nil {
		return 0, nil, err
	}
	return statusMessage(fmt.Sprintf("%d skill(s) updated successfully for the learner.", n))
}

func toSkillLevelsJSON(levels []lethe.SkillLevel) []skillLevelJSON {
	out := make([]skillLevelJSON, len(levels))
	for i, l := range levels {
		out[i] = skillLevelJSON{Name: l.Name, IsEnabled: l.Enabled, Value: l.Value}
	}
	return out
}

// GET /rest/v1/skills/levels: a bare array.
func (h *Handler) getSkillLevels(r *http.Request) (int, any, error) {
	levels, err := h.Tags.FindSkillLevels(r.Context())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toSkillLevelsJSON(levels), nil
}

// PUT /lethe/v1/skills/levels: replaces the scale; answers it as GET does.
func (h *Handler) putSkillLevels(r *http.Request) (int, any, error) {
	body, err := readBody(r)
	if err != nil {
		return 0, nil, err
	}
	levels, err := decodeSkillLevels(body)
	if err != nil {
		return 0, nil, err
	}
	out, err := h.Tags.ReplaceSkillLevels(r.Context(), levels)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toSkillLevelsJSON(out), nil
}

// POST /lethe/v1/tags: 201 Tag.
func (h *Handler) createTag(r *http.Request) (int, any, error) {
	body, err := readBody(r)
	if err != nil {
		return 0, nil, err
	}
	name, err := decodeTagName(body)
	if err != nil {
		return 0, nil, err
	}
	t, err := h.Tags.CreateTag(r.Context(), name)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, toTagJSON(t), nil
}

// PATCH /lethe/v1/tags/{tagId}: rename.
func (h *Handler) renameTag(r *http.Request) (int, any, error) {
	body, err := readBody(r)
	if err != nil {
		return 0, nil, err
	}
	name, err := decodeTagName(body)
	if err != nil {
		return 0, nil, err
	}
	t, err := h.Tags.RenameTag(r.Context(), r.PathValue("tagId"), name)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toTagJSON(t), nil
}
