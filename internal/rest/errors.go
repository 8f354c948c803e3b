package rest

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/lethehq/lethe"
)

// statusOf maps each domain error code to its HTTP status: the one table.
var statusOf = map[lethe.Code]int{
	lethe.EBadRequest:      http.StatusBadRequest,
	lethe.EInvalid:         http.StatusUnprocessableEntity,
	lethe.ENotFound:        http.StatusNotFound,
	lethe.EConflict:        http.StatusConflict,
	lethe.EUnauthenticated: http.StatusUnauthorized,
	lethe.EForbidden:       http.StatusForbidden,
	lethe.ETooLarge:        http.StatusRequestEntityTooLarge,
	lethe.EUnavailable:     http.StatusServiceUnavailable,
	lethe.EInternal:        http.StatusInternalServerError,
}

// errorBody is the vendor's error body plus Lethe's code and details.
type errorBody struct {
	Status  int                `json:"status"`
	Error   string             `json:"error"`
	Message string             `json:"message"`
	Code    string             `json:"code"`
	Details []lethe.FieldError `json:"details"`
}

// WriteError answers err in the vendor's error body. Errors that are not
// *lethe.Error become a generic 500 that reveals nothing.
func WriteError(w http.ResponseWriter, err error) {
	code := lethe.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		status, code = http.StatusInternalServerError, lethe.EInternal
	}
	var details []lethe.FieldError
	if e, ok := err.(*lethe.Error); ok {
		details = e.Details
	}
	WriteStatus(w, status, string(code), lethe.ErrorMessage(err), details)
}

// WriteStatus writes an error body with an explicit status and code.
func WriteStatus(w http.ResponseWriter, status int, code, message string, details []lethe.FieldError) {
	if details == nil {
		details = []lethe.FieldError{}
	}
	switch status {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Basic realm="lethe", charset="UTF-8"`)
	case http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, status, errorBody{Status: status, Error: http.StatusText(status), Message: message, Code: code, Details: details})
}

// writeJSON answers v as JSON. HTML characters are not escaped: the body is
// data, and stored custom fields must read back exactly as written.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"status":500,"error":"Internal Server Error","message":"An internal error has occurred.","code":"internal","details":[]}` + "\n")
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
