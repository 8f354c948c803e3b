package lethe

import (
	"errors"
	"fmt"
)

// Code classifies an Error. Each transport maps codes to its own representation
// in one table.
type Code string

// Error codes. The set is small and stable on purpose.
const (
	EInvalid         Code = "invalid"         // a value broke a validation rule (HTTP 422)
	EBadRequest      Code = "bad_request"     // the request could not be read: malformed JSON, wrong type (HTTP 400)
	ENotFound        Code = "not_found"       // HTTP 404
	EConflict        Code = "conflict"        // HTTP 409
	EUnauthenticated Code = "unauthenticated" // HTTP 401
	EForbidden       Code = "forbidden"       // HTTP 403
	ETooLarge        Code = "too_large"       // HTTP 413
	EUnavailable     Code = "unavailable"     // HTTP 503: the database cannot be reached; retry
	EInternal        Code = "internal"        // HTTP 500; the message is never shown to clients
)

// FieldError names one field and what is wrong with it. Problem is a short
// machine-friendly word such as "required", "invalid", "too_long" or "taken".
type FieldError struct {
	Field   string `json:"field"`
	Problem string `json:"problem"`
}

// Error is the domain error. Message is a sentence safe to show to a client: it
// never contains personal data.
type Error struct {
	Code    Code
	Message string
	Details []FieldError
}

func (e *Error) Error() string {
	return fmt.Sprintf("lethe error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns an *Error about one field.
func FieldErrorf(code Code, field, problem, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Details: []FieldError{{Field: field, Problem: problem}}}
}

// ErrorCode returns the code of err if it is (or wraps) an *Error, else EInternal.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorMessage returns the client-safe message of err, or a generic one for
// errors that are not *Error.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "An internal error has occurred."
}
