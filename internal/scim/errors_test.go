package scim

import (
	"errors"
	"fmt"
	"testing"

	"github.com/lethehq/lethe"
)

func TestAsSCIM(t *testing.T) {
	tests := []struct {
		err            error
		attrs          map[string]string
		status         int
		scimType, want string
	}{
		{lethe.FieldErrorf(lethe.EInvalid, "firstName", "required", "firstName is required"), userAttrOf, 400, typeInvalidValue, "name.givenName: firstName is required"},
		{lethe.FieldErrorf(lethe.EInvalid, "timeZone", "invalid", "timeZone must be an IANA time zone"), userAttrOf, 400, typeInvalidValue, "timezone: timeZone must be an IANA time zone"},
		{lethe.FieldErrorf(lethe.EInvalid, "name", "too_long", "name is too long"), groupAttrOf, 400, typeInvalidValue, "displayName: name is too long"},
		{lethe.FieldErrorf(lethe.EInvalid, "filter", "invalid", "unsupported"), userAttrOf, 400, typeInvalidFilter, "filter: unsupported"},
		{lethe.FieldErrorf(lethe.EConflict, "ref", "taken", "A user with this ref already exists."), userAttrOf, 409, typeUniqueness, "userName is already taken."},
		{lethe.FieldErrorf(lethe.EConflict, "reference", "taken", "An audience with this reference already exists."), groupAttrOf, 409, typeUniqueness, "externalId is already taken."},
		{lethe.Errorf(lethe.EConflict, "A user with this ref or email already exists."), userAttrOf, 409, typeUniqueness, "A user with this ref or email already exists."},
		{lethe.Errorf(lethe.EConflict, "The tenant's deletion mode is restricted."), userAttrOf, 409, "", "The tenant's deletion mode is restricted."},
		{lethe.Errorf(lethe.ENotFound, "User not found."), userAttrOf, 404, "", "User not found."},
		{lethe.Errorf(lethe.EBadRequest, "Malformed."), userAttrOf, 400, typeInvalidSyntax, "Malformed."},
		{lethe.Errorf(lethe.ETooLarge, "Too large."), userAttrOf, 413, "", "Too large."},
		{lethe.Errorf(lethe.EUnavailable, "Retry."), userAttrOf, 503, "", "Retry."},
		{lethe.Errorf(lethe.EInternal, "secret detail"), userAttrOf, 500, "", "An internal error has occurred."},
		{fmt.Errorf("query failed for ada@example.com: %w", errors.New("boom")), userAttrOf, 500, "", "An internal error has occurred."},
		{fmt.Errorf("wrapped: %w", badValue("active", "must be true or false")), userAttrOf, 400, typeInvalidValue, "active: must be true or false"},
	}
	for _, tt := range tests {
		e := asSCIM(tt.err, tt.attrs)
		if e.Status != tt.status || e.Type != tt.scimType || e.Detail != tt.want {
			t.Errorf("asSCIM(%v) = %+v, want %d %q %q", tt.err, e, tt.status, tt.scimType, tt.want)
		}
	}
}
