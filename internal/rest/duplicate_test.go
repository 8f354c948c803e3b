package rest

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lethehq/lethe"
)

func TestDuplicateKey(t *testing.T) {
	for body, want := range map[string]string{
		`{"dryRun":true,"action":"delete","dryRun":false}`:               "dryRun",
		`{"a":{"b":1,"c":{"d":1,"d":2}}}`:                                "a.c.d",
		`{"identifiers":[{"ref":"x"},{"id":"y"},{"ref":"z","ref":"w"}]}`: "identifiers[2].ref",
		`[{"a":1},{"a":1,"a":1}]`:                                        "[1].a",
		`{"additionalFields":{"k1":1,"k2":[1,{"x":[]}],"k1":2}}`:         "additionalFields.k1",
		`{"a":1,"\u0061":2}`:                                             "a", // the same name escaped
		`{"a":[{"b":1}],"c":2,"a":3}`:                                    "a",
		`{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,` + //
			`"k10":0,"k11":1,"k12":2,"k13":3,"k14":4,"k15":5,"k16":6,"k17":7,"k3":8}`: "k3", // past the slice, in the set
	} {
		if got, ok := duplicateKey([]byte(body)); !ok || got != want {
			t.Errorf("duplicateKey(%s) = %q, %v; want %q", body, got, ok, want)
		}
	}
	for _, body := range []string{
		``, `{}`, `[]`, `null`, `"a"`, `{"a":1,"b":{"a":1},"c":[{"a":1},{"a":2}]}`, `{"a":"a","b":"a"}`,
		`{"A":1,"a":2}`, `{"a":1`, `{"a":1} {"a":2}`, `[1,"x",{"y":[2,3]},{"y":4}]`,
		strings.Repeat(`[`, 1_000_000), strings.Repeat(`{"a":`, 20_000) + `{"b":1,"b":2}`, // deeper than the decoder goes
	} {
		if got, ok := duplicateKey([]byte(body)); ok {
			t.Errorf("duplicateKey(%s) = %q, want none", body, got)
		}
	}
}

// TestReadBody_Duplicate: every body is read through readBodyLimit, which
// refuses a duplicate member with 400 naming it.
func TestReadBody_Duplicate(t *testing.T) {
	r := httptest.NewRequest("POST", "/lethe/v1/users/bulk", strings.NewReader(
		`{"action":"delete","identifiers":[{"ref":"a"}],"dryRun":true,"dryRun":false}`))
	_, err := readBody(r)
	e, ok := err.(*lethe.Error)
	if !ok || e.Code != lethe.EBadRequest || len(e.Details) != 1 || e.Details[0].Field != "dryRun" || e.Details[0].Problem != "duplicate" {
		t.Fatalf("readBody = %#v", err)
	}
}

// FuzzDuplicateKey: the walk never panics; a duplicate it reports is a
// name that two members of one object really share, which decoding into a
// map loses.
func FuzzDuplicateKey(f *testing.F) {
	for _, s := range []string{
		`{"a":1,"a":2}`, `{"a":{"b":[{"c":1,"c":2}]}}`, `[{"x":1},{"x":1}]`, `{"a":1,"b":2}`, `{`, `}`, `]`, `[}`,
		`{"a":1,"\u0061":2}`, `{"a" 1}`, `{1:2}`, `{"a":1,}`, "{\"\xff\":1,\"\xfe\":2}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		path, dup := duplicateKey([]byte(body))
		if !dup {
			return
		}
		if path == "" && !strings.HasPrefix(body, "{") && !strings.Contains(body, `""`) {
			t.Fatalf("duplicate with an empty path in %q", body)
		}
		var v any
		if json.Unmarshal([]byte(body), &v) != nil {
			return // reported before the syntax error the decoder finds later
		}
		if count(v) >= tokens(t, body) {
			t.Fatalf("duplicate %q reported, but decoding %q loses no member", path, body)
		}
	})
}

// count is the number of object members in a decoded value.
func count(v any) int {
	n := 0
	switch v := v.(type) {
	case map[string]any:
		for _, x := range v {
			n += 1 + count(x)
		}
	case []any:
		for _, x := range v {
			n += count(x)
		}
	}
	return n
}

// tokens is the number of object members written in a body.
func tokens(t *testing.T, body string) int {
	dec := json.NewDecoder(strings.NewReader(body))
	n := 0
	var stack []bool // object?
	want := []bool{}
	for {
		tok, err := dec.Token()
		if err != nil {
			return n
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{':
				stack, want = append(stack, true), append(want, true)
			case '[':
				stack, want = append(stack, false), append(want, false)
			default:
				stack, want = stack[:len(stack)-1], want[:len(want)-1]
				if len(stack) > 0 && stack[len(stack)-1] {
					want[len(want)-1] = true
				}
			}
			continue
		}
		if len(stack) > 0 && stack[len(stack)-1] {
			if want[len(want)-1] {
				n++
			}
			want[len(want)-1] = !want[len(want)-1]
		}
	}
}

// TestDecodePermissions_ExactNames: permissions are read by their exact
// names. encoding/json would match the struct's fields ignoring case and
// folding ſ to s, so two members the duplicate check tells apart would set
// one right, the last one winning: "manage" true then "Manage" false
// granted nothing.
func TestDecodePermissions_ExactNames(t *testing.T) {
	for body, want := range map[string][3]bool{ // canViewLearnPage, insights, manage
		`{"peopleManager":{"manage":true,"Manage":false}}`:                   {false, false, true},
		`{"peopleManager":{"insights":false,"inſights":true}}`:               {false, false, false},
		`{"peopleManager":{"manage":true},"PeopleManager":{"manage":false}}`: {false, false, true},
		`{"peopleManager":{"canViewLearnPage":true,"insights":true}}`:        {true, true, false},
	} {
		r := httptest.NewRequest("PUT", "/x", strings.NewReader(`[{"reference":"m1","permissions":`+body+`}]`))
		b, err := readBody(r)
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		grants, err := decodeManagers(b)
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		pm := grants[0].Permissions.PeopleManager
		if got := [3]bool{pm.CanViewLearnPage, pm.Insights, pm.Manage}; got != want {
			t.Errorf("%s: peopleManager = %v, want %v", body, got, want)
		}
	}
	_, err := decodeManagers([]byte(`[{"reference":"m1","permissions":{"peopleManager":{"manage":"yes"}}}]`))
	if e, ok := err.(*lethe.Error); !ok || len(e.Details) != 1 || e.Details[0].Field != "permissions.peopleManager.manage" {
		t.Errorf("a string permission = %v, want a type error naming it", err)
	}
}
