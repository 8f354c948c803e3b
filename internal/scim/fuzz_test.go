package scim

import (
	"errors"
	"testing"

	"github.com/lethehq/lethe"
)

// FuzzPatch checks that no PATCH body, however odd, panics or fails with
// anything but a SCIM client error.
func FuzzPatch(f *testing.F) {
	for _, s := range []string{
		`[{"op":"replace","value":{"active":false}}]`,
		`[{"op":"Replace","path":"emails[type eq \"work\"].value","value":"a@b.c"}]`,
		`[{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"L2"}]`,
		`[{"op":"remove","path":"members[value eq \"L1\"]"}]`,
		`[{"op":"add","path":"name","value":{"givenName":[1]}}]`,
		`[{"op":"add","value":{"emails":{"value":3},"name.givenName":null,"urn:x:y":{"z":1}}}]`,
		`[{"op":"replace","path":"addresses[not (type pr)].x","value":{"a":1}}]`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := decodeDoc([]byte(ops(s)))
		if err != nil {
			return
		}
		list, err := readPatch(d)
		if err != nil {
			mustClientError(t, err)
			return
		}
		for _, res := range []*resource{userResource, groupResource} {
			var cur doc
			if res == userResource {
				cur = userDoc(testUser(), lethe.DefaultSCIMAdditionalFields(), base)
			} else {
				cur = groupDoc(groupState0(), base)
			}
			if err := applyPatch(res, cur, "L1", list); err != nil {
				mustClientError(t, err)
				continue
			}
			if res == userResource {
				_, err = readUser(cur, lethe.DefaultSCIMAdditionalFields())
			} else {
				_, err = readGroup(cur)
			}
			if err != nil {
				mustClientError(t, err)
			}
		}
	})
}

// FuzzFilter checks that no filter panics or fails but with 400.
func FuzzFilter(f *testing.F) {
	for _, s := range []string{`userName eq "a"`, `emails[type eq "work" and value co "@"]`, `not (meta.created gt "2020-01-01T00:00:00Z")`,
		`members[value eq "x"] or displayName sw "a"`, `title eq "\u00e9\"\\"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, attrs := range []filterAttrs{userFilters, groupFilters} {
			if _, err := parseFilter(s, userResource, attrs); err != nil {
				mustClientError(t, err)
			}
		}
	})
}

func mustClientError(t *testing.T, err error) {
	t.Helper()
	var se *Error
	if !errors.As(err, &se) || se.Status < 400 || se.Status > 499 {
		t.Fatalf("not a client error: %v", err)
	}
}
