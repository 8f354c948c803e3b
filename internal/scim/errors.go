package scim

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/lethehq/lethe"
)

// errorSchema is the URN of SCIM error bodies.
const errorSchema = "urn:ietf:params:scim:api:messages:2.0:Error"

// SCIM error types (RFC 7644 §3.12).
const (
	typeUniqueness    = "uniqueness"
	typeInvalidFilter = "invalidFilter"
	typeInvalidSyntax = "invalidSyntax"
	typeInvalidPath   = "invalidPath"
	typeInvalidValue  = "invalidValue"
	typeMutability    = "mutability"
	typeNoTarget      = "noTarget"
)

// Error is a SCIM error answer. Detail is safe to show: it names
// attributes and never carries the values sent.
type Error struct {
	Status int
	Type   string
	Detail string
}

func (e *Error) Error() string { return fmt.Sprintf("scim: %d %s: %s", e.Status, e.Type, e.Detail) }

// errorf returns a SCIM error with a formatted detail.
func errorf(status int, typ, format string, args ...any) *Error {
	return &Error{Status: status, Type: typ, Detail: fmt.Sprintf(format, args...)}
}

// badValue is a 400 invalidValue about one attribute.
func badValue(attr, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Type: typeInvalidValue, Detail: attr + ": " + fmt.Sprintf(format, args...)}
}

// errStale answers an If-Match that names another version.
var errStale = errorf(http.StatusPreconditionFailed, "", "The resource has changed: its version does not match If-Match.")

// statusOf maps each domain error code to its HTTP status.
var statusOf = map[lethe.Code]int{
	lethe.EBadRequest:      http.StatusBadRequest,
	lethe.EInvalid:         http.StatusBadRequest,
	lethe.ENotFound:        http.StatusNotFound,
	lethe.EConflict:        http.StatusConflict,
	lethe.EUnauthenticated: http.StatusUnauthorized,
	lethe.EForbidden:       http.StatusForbidden,
	lethe.ETooLarge:        http.StatusRequestEntityTooLarge,
	lethe.EUnavailable:     http.StatusServiceUnavailable,
	lethe.EInternal:        http.StatusInternalServerError,
}

// userAttrOf names the SCIM attribute of a Lethe user field.
var userAttrOf = map[string]string{
	"ref":              "userName",
	"email":            "emails",
	"firstName":        "name.givenName",
	"lastName":         "name.familyName",
	"jobTitle":         "title",
	"languageCode":     "preferredLanguage",
	"timeZone":         "timezone",
	"managerRef":       lethe.SCIMEnterpriseSchema + ":manager",
	"externalId":       "externalId",
	"additionalFields": "additionalFields",
}

// groupAttrOf names the SCIM attribute of a Lethe audience field.
var groupAttrOf = map[string]string{
	"name":       "displayName",
	"reference":  "externalId",
	"externalId": "externalId",
	"members":    "members",
}

// asSCIM turns any error into a SCIM error. Domain field names become SCIM
// attribute names through attrOf; an internal error reveals nothing.
func asSCIM(err error, attrOf map[string]string) *Error {
	var se *Error
	if errors.As(err, &se) {
		return se
	}
	var le *lethe.Error
	if !errors.As(err, &le) {
		return errorf(http.StatusInternalServerError, "", "An internal error has occurred.")
	}
	status, ok := statusOf[le.Code]
	if !ok || le.Code == lethe.EInternal {
		return errorf(http.StatusInternalServerError, "", "An internal error has occurred.")
	}
	e := &Error{Status: status, Detail: le.Message}
	var attr, problem string
	if len(le.Details) > 0 {
		attr, problem = le.Details[0].Field, le.Details[0].Problem
		if a, ok := attrOf[attr]; ok {
			attr = a
		}
	}
	switch le.Code {
	case lethe.EBadRequest:
		e.Type = typeInvalidSyntax
	case lethe.EInvalid:
		e.Type = typeInvalidValue
		if attr == "filter" {
			e.Type = typeInvalidFilter
		}
		if attr != "" {
			e.Detail = attr + ": " + le.Message
		}
	case lethe.EConflict:
		if problem == "taken" || problem == "duplicate" || strings.Contains(le.Message, "already exists") {
			e.Type = typeUniqueness
			if attr != "" {
				e.Detail = attr + " is already taken."
			}
		}
	}
	return e
}

// errorBody is the SCIM error document.
type errorBody struct {
	Schemas  []string `json:"schemas"`
	Status   string   `json:"status"`
	ScimType string   `json:"scimType,omitempty"`
	Detail   string   `json:"detail"`
}

// writeError answers e in the SCIM error schema.
func writeError(w http.ResponseWriter, e *Error) {
	switch e.Status {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", "Bearer")
	case http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", "1")
	}
	writeDoc(w, e.Status, errorBody{Schemas: []string{errorSchema}, Status: fmt.Sprint(e.Status), ScimType: e.Type, Detail: e.Detail})
}
