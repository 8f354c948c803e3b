package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lethehq/lethe"
)

// MaxBodyBytes is the largest request body accepted.
const MaxBodyBytes = 1 << 20

// readBody reads the whole body within MaxBodyBytes.
func readBody(r *http.Request) ([]byte, error) { return readBodyLimit(r, MaxBodyBytes, "1 MiB") }

// BodyLimit is the largest body of a route pattern, and its size in words.
func BodyLimit(pattern string) (int64, string) {
	switch pattern {
	case "POST /lethe/v1/activities": // a batch of up to 1,000 activities
		return MaxActivityBodyBytes, "8 MiB"
	case "POST /lethe/v1/jobs": // a CSV of many users
		return MaxJobBodyBytes, sizeWords(MaxJobBodyBytes)
	}
	return MaxBodyBytes, "1 MiB"
}

// readBodyLimit reads the whole body within limit bytes (said in words).
func readBodyLimit(r *http.Request, limit int64, words string) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, limit))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, lethe.Errorf(lethe.ETooLarge, "The request body must be at most %s.", words)
	}
	if err != nil {
		return nil, lethe.Errorf(lethe.EBadRequest, "The request body could not be read.")
	}
	if path, dup := duplicateKey(b); dup {
		// encoding/json keeps the last of two members of one name, so
		// {"dryRun":true,…,"dryRun":false} would run for real.
		return nil, lethe.FieldErrorf(lethe.EBadRequest, path, "duplicate", "%s appears more than once in the request body", path)
	}
	return b, nil
}

// decodeObject parses a JSON object into its members. An empty body counts
// as {} when allowEmpty is set.
func decodeObject(body []byte, allowEmpty bool) (map[string]json.RawMessage, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		if allowEmpty {
			return map[string]json.RawMessage{}, nil
		}
		return nil, lethe.Errorf(lethe.EBadRequest, "The request body must be a JSON object.")
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return nil, lethe.Errorf(lethe.EBadRequest, "The request body must be a JSON object.")
		}
		return nil, lethe.Errorf(lethe.EBadRequest, "The request body is not valid JSON.")
	}
	if obj == nil {
		return nil, lethe.Errorf(lethe.EBadRequest, "The request body must be a JSON object.")
	}
	return obj, nil
}

func typeError(field, want string) error {
	return lethe.FieldErrorf(lethe.EBadRequest, field, "type", "%s must be %s", field, want)
}

func isNull(raw json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(raw), []byte("null")) }

// optString reads a string member; JSON null reads as "" (clear).
func optString(obj map[string]json.RawMessage, field string) (*string, error) {
	raw, ok := obj[field]
	if !ok {
		return nil, nil
	}
	s := ""
	if !isNull(raw) {
		var ok bool
		if s, ok = decodeString(raw); !ok {
			return nil, typeError(field, "a string")
		}
	}
	return &s, nil
}

// decodeString reads a JSON string value. Most strings have no escapes,
// and are read without the reflection of json.Unmarshal (a tenth of the
// time); any other is read by it, which also refuses what is not a string.
func decodeString(raw json.RawMessage) (string, bool) {
	if n := len(raw); n >= 2 && raw[0] == '"' && raw[n-1] == '"' {
		inner := raw[1 : n-1]
		plain := utf8.Valid(inner)
		for _, c := range inner {
			if c < 0x20 || c == '\\' || c == '"' {
				plain = false
				break
			}
		}
		if plain {
			return string(inner), true
		}
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

func optBool(obj map[string]json.RawMessage, field string) (*bool, error) {
	raw, ok := obj[field]
	if !ok || isNull(raw) {
		return nil, nil
	}
	var b bool
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, typeError(field, "a boolean")
	}
	return &b, nil
}

// optDate reads a date member; null or "" reads as the zero time (clear).
func optDate(obj map[string]json.RawMessage, field string) (*time.Time, error) {
	s, err := optString(obj, field)
	if err != nil || s == nil {
		return nil, err
	}
	if strings.TrimSpace(*s) == "" {
		return &time.Time{}, nil
	}
	t, err := parseTime(*s)
	if err != nil {
		return nil, lethe.FieldErrorf(lethe.EInvalid, field, "invalid",
			"%s must be a date (YYYY-MM-DD) or an ISO 8601 date-time", field)
	}
	return &t, nil
}

// timeLayouts are the accepted date and date-time forms. A value without a
// zone is UTC.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

// parseTime parses a date or date-time in any of timeLayouts. The result
// must fall in the years 1-9999 in UTC, so that it prints in the response
// format, and must not be the zero time, which means "no date".
func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			if t = t.UTC(); t.IsZero() || t.Year() < 1 || t.Year() > 9999 {
				break
			}
			return t, nil
		}
	}
	return time.Time{}, errors.New("not a date")
}

// formatTime is the one response time format: UTC with milliseconds and Z.
func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func formatTimePtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := formatTime(*t)
	return &s
}

// decodeUserFields reads the user members shared by v2 create and update and
// by provisioning events. Unknown members are ignored, as the vendor does.
func decodeUserFields(obj map[string]json.RawMessage) (lethe.UserFields, error) {
	var f lethe.UserFields
	var err error
	strs := []struct {
		name string
		dst  **string
	}{
		{"firstName", &f.FirstName}, {"lastName", &f.LastName}, {"email", &f.Email},
		{"jobTitle", &f.JobTitle}, {"managerRef", &f.ManagerRef}, {"domain", &f.Domain},
		{"timeZone", &f.TimeZone}, {"languageCode", &f.LanguageCode},
	}
	for _, s := range strs {
		if *s.dst, err = optString(obj, s.name); err != nil {
			return f, err
		}
	}
	if f.Email != nil {
		// In NFC from here on, so that every comparison (the tombstones
		// of erased users too) sees one form of the address.
		*f.Email = lethe.CleanEmail(*f.Email)
	}
	if s, err := optString(obj, "role"); err != nil {
		return f, err
	} else if s != nil {
		r := lethe.Role(strings.TrimSpace(*s))
		f.Role = &r
	}
	if s, err := optString(obj, "loginMethod"); err != nil {
		return f, err
	} else if s != nil {
		m := lethe.LoginMethod(strings.TrimSpace(*s))
		f.LoginMethod = &m
	}
	if f.StartDate, err = optDate(obj, "startDate"); err != nil {
		return f, err
	}
	if f.EndDate, err = optDate(obj, "endDate"); err != nil {
		return f, err
	}
	if f.SSO, err = optBool(obj, "sso"); err != nil {
		return f, err
	}
	if raw, ok := obj["additionalFields"]; ok {
		if isNull(raw) {
			f.AdditionalFields = json.RawMessage("null")
		} else {
			var m map[string]json.RawMessage
			if json.Unmarshal(raw, &m) != nil || !utf8.Valid(raw) {
				// Stored as written, so it must be UTF-8 as JSON requires
				// (PostgreSQL refuses anything else).
				return f, typeError("additionalFields", "a JSON object")
			}
			compact := new(bytes.Buffer)
			if err := json.Compact(compact, raw); err != nil {
				return f, typeError("additionalFields", "a JSON object")
			}
			f.AdditionalFields = compact.Bytes()
		}
	}
	return f, nil
}

// decodeRef reads the required ref member.
func decodeRef(obj map[string]json.RawMessage) (string, error) {
	s, err := optString(obj, "ref")
	if err != nil {
		return "", err
	}
	if s == nil || strings.TrimSpace(*s) == "" {
		return "", lethe.FieldErrorf(lethe.EInvalid, "ref", "required", "ref is required")
	}
	return strings.TrimSpace(*s), nil
}

// paging is a parsed page request.
type paging struct{ page, perPage int }

func (p paging) offset() int { return (p.page - 1) * p.perPage }

// parsePaging reads page and perPage (and its legacy alias limit; perPage
// wins when both are given). A perPage or limit above max reads as max
// (ADR 0025): the vendor's connectors send 1000 whatever a list's maximum;
// what is not an integer, or is below 1, is refused.
func parsePaging(q map[string][]string, def, max int) (paging, error) {
	p := paging{page: 1, perPage: def}
	n, ok, err := intParam(q, "page", 1, 1_000_000_000/max, false)
	if err != nil {
		return p, err
	} else if ok {
		p.page = n
	}
	for _, name := range []string{"perPage", "limit"} {
		if n, ok, err = intParam(q, name, 1, max, true); err != nil {
			return p, err
		} else if ok {
			p.perPage = n
			return p, nil
		}
	}
	return p, nil
}

// intParam reads an integer query parameter in [min, max]; with clamp set,
// a value above max (even one too large for int) reads as max.
func intParam(q map[string][]string, name string, min, max int, clamp bool) (int, bool, error) {
	v := strings.TrimSpace(first(q, name))
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false, lethe.FieldErrorf(lethe.EBadRequest, name, "type", "%s must be an integer", name)
	}
	if clamp && (n > max || (err != nil && n > 0)) {
		return max, true, nil
	}
	// An integer too large for int is out of range, like any other.
	if err != nil || n < min || n > max {
		return 0, false, lethe.FieldErrorf(lethe.EInvalid, name, "out_of_range", "%s must be between %d and %d", name, min, max)
	}
	return n, true, nil
}

func first(q map[string][]string, name string) string {
	if v := q[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// commaList splits a comma-separated query value, dropping empty items.
func commaList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// pageJSON is the vendor's paged envelope.
type pageJSON[T any] struct {
	Results    []T            `json:"results"`
	Pagination paginationJSON `json:"pagination"`
}

type paginationJSON struct {
	TotalResults int `json:"totalResults"`
	TotalPages   int `json:"totalPages"`
	Page         int `json:"page"`
	PerPage      int `json:"perPage"`
}

func newPage[T any](results []T, total int, p paging) pageJSON[T] {
	if results == nil {
		results = []T{}
	}
	return pageJSON[T]{Results: results, Pagination: paginationJSON{
		TotalResults: total, TotalPages: (total + p.perPage - 1) / p.perPage, Page: p.page, PerPage: p.perPage,
	}}
}

// queryTime reads a date or date-time query parameter.
func queryTime(q map[string][]string, name string) (*time.Time, error) {
	v := strings.TrimSpace(first(q, name))
	if v == "" {
		return nil, nil
	}
	t, err := parseTime(v)
	if err != nil {
		return nil, lethe.FieldErrorf(lethe.EInvalid, name, "invalid", "%s must be a date (YYYY-MM-DD) or an ISO 8601 date-time", name)
	}
	return &t, nil
}

// queryBool reads a boolean query parameter: true or false.
func queryBool(q map[string][]string, name string) (*bool, error) {
	switch strings.ToLower(strings.TrimSpace(first(q, name))) {
	case "":
		return nil, nil
	case "true":
		b := true
		return &b, nil
	case "false":
		b := false
		return &b, nil
	}
	return nil, lethe.FieldErrorf(lethe.EInvalid, name, "invalid", "%s must be true or false", name)
}
