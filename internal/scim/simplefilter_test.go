package scim

import (
	"reflect"
	"testing"

	filter "github.com/scim2/filter-parser/v2"
)

// The fast path gives exactly what the parser gives, and leaves every
// other filter to it.
func TestSimpleEquality(t *testing.T) {
	fast := []string{
		`userName eq "ann@example.org"`,
		`userName eq "a b"`,
		`externalId eq "00u1ab2C"`,
		`emails.value eq "Ann@Example.org"`,
		`name.familyName  eq  "O'Brien"`,
		`userName eq ""`,
		`userName eq "Zoë"`,
		`x-y_1 eq "v"`,
	}
	for _, raw := range fast {
		got, ok := simpleEquality(raw)
		if !ok {
			t.Errorf("%s: not taken by the fast path", raw)
			continue
		}
		want, err := filter.ParseFilter([]byte(raw))
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: fast %#v, parser %#v (%v)", raw, got, want, err)
		}
	}
	slow := []string{
		`userName eq "x" or userName eq "y"`,
		`userName eq "x" and active eq true`,
		`userName Eq "x"`,
		`userName eq "a\"b"`,
		`userName eq "a\u0041"`,
		`userName eq x`,
		`userName eq "x`,
		`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "x"`,
		`emails[type eq "work"]`,
		`a.b.c eq "x"`,
		`1abc eq "x"`,
		`active eq true`,
		`title pr`,
		"userName eq \"a\tb\"",
		`(userName eq "x")`,
	}
	for _, raw := range slow {
		if e, ok := simpleEquality(raw); ok {
			t.Errorf("%s: taken by the fast path as %#v", raw, e)
		}
	}
}

func FuzzSimpleEquality(f *testing.F) {
	for _, s := range []string{`userName eq "x"`, `a.b eq "y z"`, `userName eq "x" or a eq "b"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, ok := simpleEquality(raw)
		if !ok {
			return
		}
		want, err := filter.ParseFilter([]byte(raw))
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: fast %#v, parser %#v (%v)", raw, got, want, err)
		}
	})
}
