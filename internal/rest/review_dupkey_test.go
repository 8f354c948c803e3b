package rest

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// TestReview_DuplicateFoldedName: decodeManagers decodes permissions into a
// struct, and encoding/json matches struct fields case-insensitively (with
// Unicode folding: ſ is s, K is k), keeping the last. The scanner compares
// names exactly, so two members that land in one field pass it, and
// {"manage":true,"Manage":false} silently grants nothing (or the reverse).
func TestReview_DuplicateFoldedName(t *testing.T) {
	for _, body := range []string{
		`[{"reference":"m1","permissions":{"peopleManager":{"manage":true,"Manage":false}}}]`,
		`[{"reference":"m1","permissions":{"peopleManager":{"insights":false,"inſights":true}}}]`,
		`[{"reference":"m1","permissions":{"peopleManager":{"manage":true},"PeopleManager":{"manage":false}}}]`,
	} {
		r := httptest.NewRequest("PUT", "/x", strings.NewReader(body))
		b, err := readBody(r)
		if err != nil {
			continue // refused as a duplicate: good
		}
		grants, err := decodeManagers(b)
		if err != nil {
			continue
		}
		t.Errorf("%s: accepted with two members collapsed into one field; decoded %+v", body, grants[0].Permissions.PeopleManager)
	}
}
