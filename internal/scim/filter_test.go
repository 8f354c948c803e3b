package scim

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lethehq/lethe"
)

func leaf(op, attr string, v any) *lethe.SCIMFilter {
	return &lethe.SCIMFilter{Op: op, Attr: attr, Value: v}
}

func node(op string, l, r *lethe.SCIMFilter) *lethe.SCIMFilter {
	return &lethe.SCIMFilter{Op: op, Left: l, Right: r}
}

func TestParseFilter(t *testing.T) {
	date := time.Date(2011, 5, 13, 4, 42, 34, 0, time.UTC)
	tests := []struct {
		name, filter string
		groups       bool
		want         *lethe.SCIMFilter
	}{
		{"empty", "  ", false, nil},
		{"entra connectivity", `userName eq "random"`, false, leaf("eq", "userName", "random")},
		{"attribute and operator case", `UserName Eq "x"`, false, leaf("eq", "userName", "x")},
		{"core URN prefix", `urn:ietf:params:scim:schemas:core:2.0:User:userName eq "a"`, false, leaf("eq", "userName", "a")},
		{"leading space", ` externalId eq "E1"`, false, leaf("eq", "externalId", "E1")},
		{"emails without sub-attribute", `emails co "@x.example"`, false, leaf("co", "emails.value", "@x.example")},
		{"emails value path", `emails[type eq "work" and value sw "a"]`, false,
			node("and", leaf("pr", "emails.value", nil), leaf("sw", "emails.value", "a"))},
		{"mixed case and parentheses", `name.FamilyName eq "Employee" and (emails.Value co "example.com" or emails.Value ew ".org")`, false,
			node("and", leaf("eq", "name.familyName", "Employee"),
				node("or", leaf("co", "emails.value", "example.com"), leaf("ew", "emails.value", ".org")))},
		{"not", `not (title pr)`, false, &lethe.SCIMFilter{Op: "not", Left: leaf("pr", "title", nil)}},
		{"boolean", `active eq true`, false, leaf("eq", "active", true)},
		{"string boolean", `active ne "False"`, false, leaf("ne", "active", false)},
		{"date", `meta.lastModified gt "2011-05-13T04:42:34Z"`, false, leaf("gt", "meta.lastModified", date)},
		{"date with offset", `meta.Created le "2011-05-13T06:42:34+02:00"`, false, leaf("le", "meta.created", date)},
		{"escaped quote", `userName eq "a\"b"`, false, leaf("eq", "userName", `a"b`)},
		{"unicode escape", `name.givenName eq "Ren\u00e9e"`, false, leaf("eq", "name.givenName", "Renée")},
		{"unicode", `name.givenName eq "Renée"`, false, leaf("eq", "name.givenName", "Renée")},
		{"display name", `displayName eq "Ada Lovelace"`, false, leaf("eq", "displayName", "Ada Lovelace")},
		{"group name", `DisplayName eq "Sales"`, true, leaf("eq", "displayName", "Sales")},
		{"group member", `members[value eq "L1"]`, true, leaf("eq", "members.value", "L1")},
		{"group member attribute", `members.value eq "L1" or externalId eq "g"`, true,
			node("or", leaf("eq", "members.value", "L1"), leaf("eq", "externalId", "g"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, attrs := userResource, userFilters
			if tt.groups {
				res, attrs = groupResource, groupFilters
			}
			got, err := parseFilter(tt.filter, res, attrs)
			if err != nil {
				t.Fatalf("parseFilter(%q): %v", tt.filter, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseFilter(%q) (-want +got):\n%s", tt.filter, diff)
			}
		})
	}
}

func TestParseFilterRefuses(t *testing.T) {
	for _, f := range []string{
		`active gt true`, `active eq "maybe"`, `active co "t"`, `userName gt "a"`, `title le "x"`,
		`meta.created gt "yesterday"`, `meta.created co "2011"`, `meta.created gt 2015-10-10T14:38:21Z`,
		`nickName eq "x"`, `emails.type eq "work"`, `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "x"`,
		`userName eq 1`, `userName eq null`, `userName eq "a" and`, `userName sw O`, `(userName eq "a"`, `userName eq 'a'`,
		`emails[value eq "a"` + "]" + `[x eq "y"]`, `members[value eq "a"]`, `groups eq "x"`,
		strings.Repeat(`userName eq "a" or `, 300) + `userName eq "b"`,
	} {
		_, err := parseFilter(f, userResource, userFilters)
		var se *Error
		if !errors.As(err, &se) || se.Status != 400 || se.Type != typeInvalidFilter {
			t.Errorf("parseFilter(%q) = %v, want 400 invalidFilter", f, err)
		}
		if err != nil && strings.Contains(err.Error(), `"a"`) {
			t.Errorf("parseFilter(%q): the error repeats a value: %v", f, err)
		}
	}
}

func TestFilterShapeHidesValues(t *testing.T) {
	f, err := parseFilter(`userName eq "ada@example.com" or (emails co "lovelace" and not (active eq false))`, userResource, userFilters)
	if err != nil {
		t.Fatal(err)
	}
	got := filterShape(f)
	want := "(userName eq ? or (emails.value co ? and not (active eq ?)))"
	if got != want {
		t.Errorf("filterShape = %q, want %q", got, want)
	}
}

func TestQueryParams(t *testing.T) {
	tests := []struct {
		p                   listParams
		offset, limit       int
		sortBy              string
		descending, refused bool
	}{
		{p: listParams{startIndex: 1, count: 2}, offset: 0, limit: 2},
		{p: listParams{startIndex: 0, count: 100}, offset: 0, limit: 100},
		{p: listParams{startIndex: -5, count: 10}, offset: 0, limit: 10},
		{p: listParams{startIndex: 11, count: 5000}, offset: 10, limit: maxCount},
		{p: listParams{startIndex: 1, count: 0}, offset: 0, limit: 0},
		{p: listParams{startIndex: 1, count: -3}, offset: 0, limit: 0},
		{p: listParams{startIndex: 1, count: 1, sortBy: "Name.FamilyName", sortOrder: "Descending"}, limit: 1, sortBy: "name.familyName", descending: true},
		{p: listParams{startIndex: 1, count: 1, sortBy: "urn:ietf:params:scim:schemas:core:2.0:User:userName"}, limit: 1, sortBy: "userName"},
		{p: listParams{startIndex: 1, count: 1, sortBy: "nickName"}, refused: true},
		{p: listParams{startIndex: 1, count: 1, sortOrder: "up"}, refused: true},
	}
	for _, tt := range tests {
		q, err := tt.p.query(userResource, userFilters)
		if tt.refused {
			if err == nil {
				t.Errorf("%+v: no error", tt.p)
			}
			continue
		}
		if err != nil || q.Offset != tt.offset || q.Limit != tt.limit || q.SortBy != tt.sortBy || q.Descending != tt.descending {
			t.Errorf("%+v: got %+v, %v", tt.p, q, err)
		}
	}
}
