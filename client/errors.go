package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// Error codes that Lethe puts in Error.Code. The vendor's own server sends
// no code; then Code is empty and Status tells what happened.
const (
	CodeInvalid          = "invalid"            // a value broke a validation rule (422)
	CodeBadRequest       = "bad_request"        // the request could not be read (400)
	CodeNotFound         = "not_found"          // 404
	CodeConflict         = "conflict"           // 409
	CodeUnauthenticated  = "unauthenticated"    // 401
	CodeForbidden        = "forbidden"          // 403
	CodeTooLarge         = "too_large"          // 413
	CodeMethodNotAllowed = "method_not_allowed" // 405
	CodeInternal         = "internal"           // 500
)

// Field problems that Lethe puts in FieldError.Problem.
const (
	ProblemRequired = "required" // the field is missing or empty
	ProblemInvalid  = "invalid"  // the value is malformed
	ProblemTooLong  = "too_long" // the value is too long
	ProblemTaken    = "taken"    // another user already has the value
	ProblemType     = "type"     // the JSON type is wrong
)

// Error is an API error: the server answered with a non-2xx status.
// Message is safe to show and log: the server never puts personal data in it.
type Error struct {
	// Status is the HTTP status code of the response.
	Status int
	// Code is Lethe's error code, one of the Code constants; empty when the
	// server sent none.
	Code string
	// Message explains the error in one sentence.
	Message string
	// Details names the fields at fault, if any.
	Details []FieldError
}

// FieldError names one request field and what is wrong with it.
type FieldError struct {
	// Field is the JSON name of the field, e.g. "email" or
	// "content.user.ref".
	Field string `json:"field"`
	// Problem is a short word such as "required", "invalid" or "taken".
	Problem string `json:"problem"`
}

// Error implements the error interface.
func (e *Error) Error() string {
	code := e.Code
	if code == "" {
		code = http.StatusText(e.Status)
	}
	return fmt.Sprintf("lethe: %d %s: %s", e.Status, code, e.Message)
}

// Problem returns the problem reported for field, or "" when the field is
// not named in Details.
func (e *Error) Problem(field string) string {
	for _, d := range e.Details {
		if d.Field == field {
			return d.Problem
		}
	}
	return ""
}

// ErrorCode returns the Code of err when it is or wraps an *Error, and ""
// otherwise (including for transport errors and nil).
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// IsNotFound reports whether err is an *Error with HTTP status 404.
func IsNotFound(err error) bool { return hasStatus(err, http.StatusNotFound) }

// IsConflict reports whether err is an *Error with HTTP status 409: a ref or
// email is taken, an event id was reused, or the user has been deleted.
func IsConflict(err error) bool { return hasStatus(err, http.StatusConflict) }

// IsUnauthenticated reports whether err is an *Error with HTTP status 401:
// the tenant id or API key is wrong.
func IsUnauthenticated(err error) bool { return hasStatus(err, http.StatusUnauthorized) }

func hasStatus(err error, status int) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == status
}

// maxErrorBody bounds how much of an error response is read.
const maxErrorBody = 64 << 10

// errorFromResponse builds an *Error from a non-2xx response. A body that is
// not the error object still gives an *Error with the status.
func errorFromResponse(resp *http.Response) *Error {
	e := &Error{Status: resp.StatusCode}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var wire struct {
		Error   string       `json:"error"`
		Message string       `json:"message"`
		Code    string       `json:"code"`
		Details []FieldError `json:"details"`
	}
	if json.Unmarshal(body, &wire) == nil {
		e.Code, e.Message = wire.Code, wire.Message
		if len(wire.Details) > 0 {
			e.Details = wire.Details
		}
		if e.Message == "" {
			e.Message = wire.Error
		}
	}
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	return e
}
