package scim

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
)

// contentType is what every answer is.
const contentType = "application/scim+json"

// MaxBody bounds a request body.
const MaxBody = 1 << 20

// doc is a SCIM resource or message as JSON: numbers stay json.Number, so
// that what Lethe does not interpret goes back out as it came.
type doc = map[string]any

// writeDoc answers v as SCIM JSON. HTML characters are not escaped.
func writeDoc(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"schemas":["` + errorSchema + `"],"status":"500","detail":"An internal error has occurred."}` + "\n")
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// readDoc reads a request body that must be one JSON object.
func readDoc(r *http.Request) (doc, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/scim+json" && mt != "application/json") {
			return nil, errorf(http.StatusUnsupportedMediaType, "", "The body must be application/scim+json or application/json.")
		}
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errorf(http.StatusRequestEntityTooLarge, "", "The request body must be at most 1 MiB.")
		}
		return nil, errorf(http.StatusBadRequest, typeInvalidSyntax, "The request body could not be read.")
	}
	if len(b) > MaxBody {
		return nil, errorf(http.StatusRequestEntityTooLarge, "", "The request body must be at most 1 MiB.")
	}
	return decodeDoc(b)
}

// decodeDoc decodes one JSON object.
func decodeDoc(b []byte) (doc, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var d doc
	if err := dec.Decode(&d); err != nil || d == nil {
		return nil, errorf(http.StatusBadRequest, typeInvalidSyntax, "The request body must be a JSON object.")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errorf(http.StatusBadRequest, typeInvalidSyntax, "The request body must hold one JSON object.")
	}
	return d, nil
}

// checkSchemas checks the schemas attribute of a body: when present, an
// array of strings, each one of want (ignoring case).
func checkSchemas(d doc, want func(string) bool) error {
	v, ok := lookup(d, "schemas")
	if !ok || v == nil {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		return badValue("schemas", "must be an array of schema URNs")
	}
	for _, s := range list {
		urn, ok := s.(string)
		if !ok {
			return badValue("schemas", "must be an array of schema URNs")
		}
		if !want(urn) {
			return badValue("schemas", "names a schema this endpoint does not serve")
		}
	}
	return nil
}

// lookup returns the value of key in d, ignoring the key's case.
func lookup(d doc, key string) (any, bool) {
	if v, ok := d[key]; ok {
		return v, true
	}
	for k, v := range d {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

// keyOf returns the key of d that equals key ignoring case, or key.
func keyOf(d doc, key string) string {
	if _, ok := d[key]; ok {
		return key
	}
	for k := range d {
		if strings.EqualFold(k, key) {
			return k
		}
	}
	return key
}

// deepCopy copies a decoded JSON value.
func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		s := make([]any, len(v))
		for i, e := range v {
			s[i] = deepCopy(e)
		}
		return s
	}
	return v
}
