package scim

import (
	"reflect"
	"strings"
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
		if len(raw) > maxFilterLength {
			return // parseFilter refuses it before either parser runs
		}
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

func TestNesting(t *testing.T) {
	tests := []struct {
		s    string
		want int
	}{
		{`userName eq "x"`, 0},
		{`(a pr) and (b pr)`, 1},
		{`emails[type eq "work" and (value co "x")]`, 2},
		{`userName eq "(((("`, 0},
		{`userName eq "a\"(((" or ((b pr))`, 2},
		{strings.Repeat("(", 40), 40},
	}
	for _, tt := range tests {
		if got := nesting(tt.s); got != tt.want {
			t.Errorf("nesting(%q) = %d, want %d", tt.s, got, tt.want)
		}
	}
}

// A filter or path the parser would take long over is refused before it
// runs: 4,096 open parentheses, a 50 kB attribute name.
func TestParserBounds(t *testing.T) {
	for _, raw := range []string{strings.Repeat("(", maxFilterLength), strings.Repeat("not (", 33) + "a pr" + strings.Repeat(")", 33)} {
		_, err := parseFilter(raw, userResource, userFilters)
		if e, ok := err.(*Error); !ok || e.Type != typeInvalidFilter {
			t.Errorf("filter of %d characters: %v", len(raw), err)
		}
	}
	if _, err := parseFilter(strings.Repeat("not (", 32)+"title pr"+strings.Repeat(")", 32), userResource, userFilters); err != nil {
		t.Errorf("a filter nested 32 deep: %v", err)
	}
	for _, raw := range []string{"a." + strings.Repeat("b", 50000), "emails[" + strings.Repeat("(", 40) + "value pr" + strings.Repeat(")", 40) + "]"} {
		if _, err := parsePath(raw); err == nil {
			t.Errorf("path of %d characters parsed", len(raw))
		}
	}
}
