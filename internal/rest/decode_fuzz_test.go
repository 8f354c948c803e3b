package rest

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/lethehq/lethe"
)

// Fuzz targets for every request decoder. Each also runs as a normal test
// over its seeds. The shared properties: a decoder never panics; an error is
// a *lethe.Error with a client-side code (bad_request, invalid, too_large),
// never internal; a result is well-formed and decodes to itself again.

// mustClientError fails unless err is a *lethe.Error with a client-side code,
// a message and well-formed details.
func mustClientError(t *testing.T, err error) {
	t.Helper()
	e, ok := err.(*lethe.Error)
	if !ok {
		t.Fatalf("error %T %v is not a *lethe.Error", err, err)
	}
	switch e.Code {
	case lethe.EBadRequest, lethe.EInvalid, lethe.ETooLarge:
	default:
		t.Fatalf("error code %q, want bad_request, invalid or too_large: %v", e.Code, e)
	}
	if e.Message == "" {
		t.Fatalf("error without message: %#v", e)
	}
	for _, d := range e.Details {
		if d.Field == "" || d.Problem == "" {
			t.Fatalf("detail without field or problem: %#v", e)
		}
	}
}

// userBodySeeds are bodies for the user decoders, valid and not.
var userBodySeeds = []string{
	`{"ref":"emp-1","firstName":"Ada","lastName":"Lovelace","email":"ada@example.com"}`,
	`{"ref":" r ","firstName":"A","lastName":"B","loginMethod":"ref","role":"administrator","jobTitle":"J",
	  "managerRef":"m","startDate":"2024-01-15","endDate":"2030-06-30T17:30:00+02:00","timeZone":"Europe/London",
	  "languageCode":"en-gb","sso":true,"domain":"d.example","additionalFields":{"department":"Sales","n":[1,{"x":null}]}}`,
	`{"ref":"r","firstName":null,"email":"","role":"","loginMethod":" ref ","sso":null,"additionalFields":null}`,
	`{"ref":"r","startDate":"","endDate":null}`,
	`{"ref":"r","startDate":"2024-01-15 10:00:00","endDate":"2024-01-15T10:00"}`,
	`{}`, ``, `   `, `null`, `[]`, `[{"ref":"r"}]`, `"s"`, `5`, `{`, `{"ref":}`, `{"a":1} x`,
	`{"ref":5}`, `{"ref":"r","firstName":5}`, `{"ref":"r","sso":"yes"}`, `{"ref":"r","startDate":20240101}`,
	`{"ref":"r","startDate":"yesterday"}`, `{"ref":"r","additionalFields":"x"}`, `{"ref":"r","additionalFields":[1]}`,
	`{"ref":"r","additionalFields":{"a":1,"a":2}}`, `{"ref":"\u0000\ud800"}`, "{\"ref\":\"\xff\xfe\"}",
	`{"ref":"r","endDate":"0001-01-01"}`, `{"ref":"r","endDate":"9999-12-31T23:59:59.999999999-23:59"}`,
	`{"ref":"r","role":"superuser","loginMethod":"sms"}`, `{"ref":"   "}`, `{"ref":"r","email":"A@B.example"}`,
	`{"endDate":"2025-12-31"}`, `{"endDate":""}`, `{"endDate":5}`, `{"endDate":"soon"}`,
	strings.Repeat(`[`, 20000),
}

// checkUserFields checks a decoded UserFields, applies it to a fresh user
// and validates the result (which must not panic), and decodes its
// re-encoding, which must give the same fields.
func checkUserFields(t *testing.T, ref string, f lethe.UserFields) {
	t.Helper()
	if f.Role != nil && strings.TrimSpace(string(*f.Role)) != string(*f.Role) {
		t.Fatalf("role %q is not trimmed", *f.Role)
	}
	if f.LoginMethod != nil && strings.TrimSpace(string(*f.LoginMethod)) != string(*f.LoginMethod) {
		t.Fatalf("loginMethod %q is not trimmed", *f.LoginMethod)
	}
	for _, d := range []*time.Time{f.StartDate, f.EndDate} {
		if d != nil && !d.IsZero() && d.Location() != time.UTC {
			t.Fatalf("date %v is not UTC", d)
		}
	}
	if f.AdditionalFields != nil && !bytes.Equal(f.AdditionalFields, []byte("null")) {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(f.AdditionalFields, &m); err != nil || m == nil {
			t.Fatalf("additionalFields %q is not a JSON object", f.AdditionalFields)
		}
		var compact bytes.Buffer
		if json.Compact(&compact, f.AdditionalFields) != nil || !bytes.Equal(compact.Bytes(), f.AdditionalFields) {
			t.Fatalf("additionalFields %q is not compact", f.AdditionalFields)
		}
	}

	p := &lethe.Person{Ref: ref}
	l := &lethe.Learner{State: lethe.StateActive, Role: lethe.RoleLearner, LoginMethod: lethe.LoginEmail}
	f.Apply(p, l)
	if err := lethe.ValidateUser(p, l); err != nil {
		if lethe.ErrorCode(err) != lethe.EInvalid {
			t.Fatalf("ValidateUser: %v, want an invalid error", err)
		}
		mustClientError(t, err)
	}

	again, err := decodeUpdateUser(encodeUserFields(t, f))
	if err != nil {
		t.Fatalf("re-encoded fields do not decode: %v", err)
	}
	if !sameUserFields(f, again) {
		t.Fatalf("round trip changed the fields:\n got %s\nwant %s", encodeUserFields(t, again), encodeUserFields(t, f))
	}
}

// encodeUserFields writes f as a v2 update body.
func encodeUserFields(t *testing.T, f lethe.UserFields) []byte {
	t.Helper()
	m := map[string]any{}
	str := func(name string, v *string) {
		if v != nil {
			m[name] = *v
		}
	}
	str("firstName", f.FirstName)
	str("lastName", f.LastName)
	str("email", f.Email)
	str("jobTitle", f.JobTitle)
	str("managerRef", f.ManagerRef)
	str("domain", f.Domain)
	str("timeZone", f.TimeZone)
	str("languageCode", f.LanguageCode)
	if f.Role != nil {
		m["role"] = string(*f.Role)
	}
	if f.LoginMethod != nil {
		m["loginMethod"] = string(*f.LoginMethod)
	}
	date := func(name string, v *time.Time) {
		switch {
		case v == nil:
		case v.IsZero():
			m[name] = ""
		default:
			m[name] = v.Format(time.RFC3339Nano)
		}
	}
	date("startDate", f.StartDate)
	date("endDate", f.EndDate)
	if f.SSO != nil {
		m["sso"] = *f.SSO
	}
	if f.AdditionalFields != nil {
		m["additionalFields"] = f.AdditionalFields
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatalf("encode fields: %v", err)
	}
	return b
}

func sameUserFields(a, b lethe.UserFields) bool {
	ptr := func(x, y *string) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	tm := func(x, y *time.Time) bool { return (x == nil) == (y == nil) && (x == nil || x.Equal(*y)) }
	// Strings decoded from JSON are valid UTF-8 already, so they survive
	// re-encoding byte for byte.
	return ptr(a.FirstName, b.FirstName) && ptr(a.LastName, b.LastName) && ptr(a.Email, b.Email) &&
		ptr(a.JobTitle, b.JobTitle) && ptr(a.ManagerRef, b.ManagerRef) && ptr(a.Domain, b.Domain) &&
		ptr(a.TimeZone, b.TimeZone) && ptr(a.LanguageCode, b.LanguageCode) &&
		ptr((*string)(a.Role), (*string)(b.Role)) && ptr((*string)(a.LoginMethod), (*string)(b.LoginMethod)) &&
		tm(a.StartDate, b.StartDate) && tm(a.EndDate, b.EndDate) &&
		(a.SSO == nil) == (b.SSO == nil) && (a.SSO == nil || *a.SSO == *b.SSO) &&
		sameJSON(a.AdditionalFields, b.AdditionalFields)
}

// sameJSON compares two JSON texts by value: escapes such as \u0026 and &
// spell the same string.
func sameJSON(a, b json.RawMessage) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return bytes.Equal(a, b)
	}
	return reflect.DeepEqual(x, y)
}

func FuzzDecodeCreateUser(f *testing.F) {
	for _, s := range userBodySeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ref, fields, err := decodeCreateUser(body)
		if err != nil {
			mustClientError(t, err)
			return
		}
		if ref == "" || strings.TrimSpace(ref) != ref {
			t.Fatalf("ref %q is empty or not trimmed", ref)
		}
		checkUserFields(t, ref, fields)
	})
}

func FuzzDecodeUpdateUser(f *testing.F) {
	for _, s := range userBodySeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fields, err := decodeUpdateUser(body)
		if err != nil {
			mustClientError(t, err)
			return
		}
		if len(bytes.TrimSpace(body)) == 0 && !sameUserFields(fields, lethe.UserFields{}) {
			t.Fatalf("an empty body changed fields")
		}
		checkUserFields(t, "ref", fields)
	})
}

func FuzzDecodeSuspend(f *testing.F) {
	for _, s := range userBodySeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fields, err := decodeSuspend(body)
		if err != nil {
			mustClientError(t, err)
			return
		}
		if fields == nil {
			t.Fatal("nil fields without error")
		}
		end := fields.EndDate
		if !sameUserFields(*fields, lethe.UserFields{EndDate: end}) {
			t.Fatalf("suspend decoded more than the end date: %s", encodeUserFields(t, *fields))
		}
		checkUserFields(t, "ref", *fields)
	})
}

func FuzzDecodeProvisioningEvent(f *testing.F) {
	for _, s := range []string{
		`{"id":"evt-1","timestamp":"2025-03-01T09:00:00Z","eventType":"user_joined","content":{"user":{"ref":"r",
		  "email":"a@example.com","firstName":"A","lastName":"B","jobTitle":"J","managerRef":"m","startDate":"2024-01-01",
		  "timeZone":"UTC","languageCode":"en"}}}`,
		`{"id":"evt-2","eventType":"user_updated","content":{"user":{"ref":"r","jobTitle":""}}}`,
		`{"id":"evt-3","eventType":"user_suspended","content":{"user":{"ref":"r","endDate":"2025-03-31","firstName":"x"}}}`,
		`{"id":"evt-4","eventType":"user_deleted","content":{"user":{"ref":"r","email":"a@example.com"}}}`,
		`{"id":" evt-5 ","timestamp":"","eventType":"user_deleted","content":{"user":{"ref":" r "}}}`,
		`{"eventType":"user_joined","content":{"user":{"ref":"r"}}}`,
		`{"id":"","eventType":"user_joined","content":{"user":{"ref":"r"}}}`,
		`{"id":5,"eventType":"user_joined","content":{"user":{"ref":"r"}}}`,
		`{"id":"e","eventType":"user_exploded","content":{"user":{"ref":"r"}}}`,
		`{"id":"e","eventType":"user_joined"}`, `{"id":"e","eventType":"user_joined","content":null}`,
		`{"id":"e","eventType":"user_joined","content":{"user":[]}}`, `{"id":"e","eventType":"user_joined","content":{}}`,
		`{"id":"e","eventType":"user_joined","content":{"user":{"email":"a@example.com"}}}`,
		`{"id":"e","eventType":"user_updated","content":{"user":{"ref":"r","firstName":1}}}`,
		`{"id":"e","eventType":"user_suspended","content":{"user":{"ref":"r","endDate":"later"}}}`,
		`{"id":"e","timestamp":"noon","eventType":"user_deleted","content":{"user":{"ref":"r"}}}`,
		`{"id":"` + strings.Repeat("x", 201) + `","eventType":"user_deleted","content":{"user":{"ref":"r"}}}`,
		``, `{}`, `[]`, `null`, `{`, `"x"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := decodeProvisioningEvent(body)
		if ev.Digest != sha256.Sum256(body) {
			t.Fatal("digest is not the SHA-256 of the body")
		}
		if err != nil {
			mustClientError(t, err)
			return
		}
		if ev.ID == "" || strings.TrimSpace(ev.ID) != ev.ID || len(ev.ID) > 200 {
			t.Fatalf("id %q is empty, untrimmed or too long", ev.ID)
		}
		if !ev.Type.Valid() {
			t.Fatalf("event type %q is not valid", ev.Type)
		}
		if ev.Ref == "" || strings.TrimSpace(ev.Ref) != ev.Ref {
			t.Fatalf("ref %q is empty or not trimmed", ev.Ref)
		}
		switch ev.Type {
		case lethe.EventUserDeleted:
			if !sameUserFields(ev.Fields, lethe.UserFields{}) {
				t.Fatalf("user_deleted carries fields: %s", encodeUserFields(t, ev.Fields))
			}
		case lethe.EventUserSuspended:
			if !sameUserFields(ev.Fields, lethe.UserFields{EndDate: ev.Fields.EndDate}) {
				t.Fatalf("user_suspended carries more than the end date: %s", encodeUserFields(t, ev.Fields))
			}
		}
		checkUserFields(t, ev.Ref, ev.Fields)
	})
}

func FuzzParseUserSearch(f *testing.F) {
	for _, s := range []string{
		"", "page=2&perPage=50", "perPage=1000", "perPage=0", "perPage=1001", "perPage=abc", "perPage=-1",
		"perPage=99999999999999999999", "page=0", "page=1000000", "page=1000001", "limit=5", "limit=5&perPage=7",
		"perPage=&limit=", "updatedSince=2025-01-01", "updatedSince=2020-01-01+00%3A00%3A00",
		"updatedSince=2025-01-01T00:00:00%2B02:00", "updatedSince=yesterday", "status=new", "status=NEW",
		"statuses=active%2Cexpired", "statuses=new,,active,", "statuses=,", "omitStatuses=inactive",
		"statuses=new,active&omitStatuses=new&status=active", "status=gone", "omitStatuses=new,active,inactive,expired",
		"status=new&status=active", "perPage=+5", "perPage=%205%20", "page=1e3", "a=%zz", "status=new;active",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rawQuery string) {
		q, _ := url.ParseQuery(rawQuery) // the server reads what parses, as r.URL.Query does
		s, err := parseUserSearch(q)
		if err != nil {
			mustClientError(t, err)
			return
		}
		p := s.paging
		if p.page < 1 || p.page > 1_000_000 || p.perPage < 1 || p.perPage > 1000 {
			t.Fatalf("paging %+v out of bounds", p)
		}
		if s.filter.Offset != (p.page-1)*p.perPage || s.filter.Offset < 0 || s.filter.Limit != p.perPage {
			t.Fatalf("filter offset %d limit %d do not match paging %+v", s.filter.Offset, s.filter.Limit, p)
		}
		if u := s.filter.UpdatedSince; u != nil && u.Location() != time.UTC {
			t.Fatalf("updatedSince %v is not UTC", u)
		}
		given := false
		for _, name := range []string{"status", "statuses", "omitStatuses"} {
			given = given || len(commaList(first(q, name))) > 0
		}
		if !given && s.filter.Statuses != nil {
			t.Fatalf("statuses %v without a status parameter", s.filter.Statuses)
		}
		if given && s.filter.Statuses == nil {
			t.Fatal("a status parameter was ignored")
		}
		// Statuses is a subset of AllStatuses, in its order, without repeats.
		i := 0
		for _, st := range s.filter.Statuses {
			for i < len(lethe.AllStatuses) && lethe.AllStatuses[i] != st {
				i++
			}
			if i == len(lethe.AllStatuses) {
				t.Fatalf("statuses %v: not a subset of %v in order", s.filter.Statuses, lethe.AllStatuses)
			}
			i++
		}
		// omitStatuses alone removes exactly what it names.
		if omit := first(q, "omitStatuses"); len(commaList(first(q, "status"))) == 0 &&
			len(commaList(first(q, "statuses"))) == 0 && len(commaList(omit)) > 0 {
			for _, st := range lethe.AllStatuses {
				named := slices.ContainsFunc(commaList(omit), func(v string) bool { return strings.EqualFold(v, string(st)) })
				if slices.Contains(s.filter.Statuses, st) == named {
					t.Fatalf("omitStatuses=%q gave %v", omit, s.filter.Statuses)
				}
			}
		}
	})
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{
		"2024-01-15", "2024-01-15T10:20:30Z", "2024-01-15T10:20:30.123456789+05:30", "2024-01-15T10:20:30",
		"2024-01-15T10:20", "2024-01-15 10:20:30", "2024-01-15 10:20:30.5-08:00", " 2024-01-15 ", "0000-01-01",
		"9999-12-31T23:59:59.999999999Z", "2024-02-30", "2024-13-01", "24-01-15", "2024-01-15T25:00:00Z",
		"2024-01-15T10:20:30+24:00", "now", "", "1705312800", "2024-01-15T10:20:30.Z",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseTime(s)
		if err != nil {
			if !got.IsZero() {
				t.Fatalf("error with a time %v", got)
			}
			// Every caller turns the failure into a client error.
			_, err := optDate(map[string]json.RawMessage{"startDate": mustMarshal(t, s)}, "startDate")
			if strings.TrimSpace(s) != "" {
				if err == nil {
					t.Fatal("optDate accepted what parseTime refused")
				}
				mustClientError(t, err)
			}
			return
		}
		if got.Location() != time.UTC {
			t.Fatalf("time %v is not UTC", got)
		}
		// The result reads back: in full precision, and in the response format
		// to the millisecond.
		if again, err := parseTime(got.Format(time.RFC3339Nano)); err != nil || !again.Equal(got) {
			t.Fatalf("RFC 3339 round trip of %v: %v, %v", got, again, err)
		}
		out := formatTime(got)
		if again, err := parseTime(out); err != nil || !again.Equal(got.Truncate(time.Millisecond)) {
			t.Fatalf("response format %q of %v reads back as %v, %v", out, got, again, err)
		}
		if d, err := optDate(map[string]json.RawMessage{"startDate": mustMarshal(t, s)}, "startDate"); err != nil || d == nil || !d.Equal(got) {
			t.Fatalf("optDate(%q) = %v, %v; want %v", s, d, err, got)
		}
	})
}

func mustMarshal(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPaging_Parse pins the code of each kind of bad paging value.
func TestPaging_Parse(t *testing.T) {
	cases := []struct {
		query string
		code  lethe.Code
		field string
	}{
		{"perPage=0", lethe.EInvalid, "perPage"},
		{"perPage=-99999999999999999999", lethe.EInvalid, "perPage"},
		{"perPage=-1", lethe.EInvalid, "perPage"},
		{"limit=0", lethe.EInvalid, "limit"},
		{"perPage=abc", lethe.EBadRequest, "perPage"},
		{"page=0", lethe.EInvalid, "page"},
		{"limit=x", lethe.EBadRequest, "limit"},
	}
	for _, c := range cases {
		t.Run("Err"+c.query, func(t *testing.T) {
			q, _ := url.ParseQuery(c.query)
			_, err := parsePaging(q, 100, 1000)
			var e *lethe.Error
			if !errors.As(err, &e) || e.Code != c.code || len(e.Details) != 1 || e.Details[0].Field != c.field {
				t.Fatalf("parsePaging(%s) = %v, want %s about %s", c.query, err, c.code, c.field)
			}
		})
	}
}

// TestPaging_Clamp pins that a perPage or limit above the maximum reads as
// the maximum, on every list (ADR 0025).
func TestPaging_Clamp(t *testing.T) {
	for _, c := range []struct {
		query string
		max   int
		want  int
	}{
		{"perPage=1001", 1000, 1000}, {"perPage=1000", 100, 100}, {"limit=101", 100, 100},
		{"perPage=99999999999999999999", 100, 100}, {"perPage=5000&limit=7", 1000, 1000}, {"perPage=100", 100, 100},
	} {
		q, _ := url.ParseQuery(c.query)
		p, err := parsePaging(q, 20, c.max)
		if err != nil || p.perPage != c.want || p.page != 1 {
			t.Errorf("parsePaging(%s, max %d) = %+v, %v; want perPage %d", c.query, c.max, p, err, c.want)
		}
	}
}

// complianceBodySeeds are bodies for the audience, member, manager,
// assignment and completion decoders, valid and not.
var complianceBodySeeds = []string{
	`{"name":"Org","reference":"ORG"}`, `{"name":"Team","parentId":"ORG","category":"audience"}`,
	`{"name":" ","category":"team"}`, `{"name":5}`, `{"name":"x","category":null,"parentId":null}`,
	`["ada@example.com","EMP42","650000000000000000000001"]`, `[]`, `[1]`, `[null]`, `["a",["b"]]`,
	`[{"reference":"ada","permissions":{"audienceManager":{"manageContent":true},"administrator":{"canAddAudienceManagers":true}}}]`,
	`[{"reference":""}]`, `[{"permissions":{}}]`, `[{"reference":"a","permissions":{"peopleManager":{"manage":"yes"}}}]`, `["a"]`,
	`{"audienceId":"TEAM","contentId":"c00000000000000000000001","alternativeContentIds":["C00000000000000000000002"],
	  "hideAlternativeContent":true,"completionPeriod":30,"recurrence":365}`,
	`{"audienceId":"TEAM","contentId":"x"}`, `{"audienceId":"TEAM","contentId":"c00000000000000000000001","completionPeriod":1.5}`,
	`{"audienceId":"TEAM","contentId":"c00000000000000000000001","recurrence":null,"completionPeriod":null}`,
	`{"audienceId":"TEAM","contentId":"c00000000000000000000001","completionPeriod":1e300}`,
	`{"audienceId":"TEAM","alternativeContentIds":"x"}`, `{"audienceId":""}`, `{"audienceId":5}`,
	`{"userId":"650000000000000000000001","contentId":"c00000000000000000000001","completedAt":"2025-03-01"}`,
	`{"userId":"x","contentId":"c00000000000000000000001","completedAt":"2025-03-01T10:00:00+02:00"}`,
	`{"userId":"650000000000000000000001","contentId":"c00000000000000000000001","completedAt":""}`,
	``, `{}`, `null`, `{`, `"s"`, "[\"\xff\"]", `["\u0000"]`, strings.Repeat(`[`, 20000),
}

func FuzzDecodeAudience(f *testing.F) {
	for _, s := range complianceBodySeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, create := range []bool{true, false} {
			fields, err := decodeAudienceFields(body, create)
			if err != nil {
				mustClientError(t, err)
				continue
			}
			if create && (fields.Name == nil || strings.TrimSpace(*fields.Name) == "") {
				t.Fatal("create without a name")
			}
			if fields.Category != nil && (!create || !fields.Category.Valid()) {
				t.Fatalf("category %v accepted (create %v)", *fields.Category, create)
			}
		}
	})
}

func FuzzDecodeMembers(f *testing.F) {
	for _, s := range complianceBodySeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		users, err := decodeMembers(body)
		if err != nil {
			mustClientError(t, err)
			return
		}
		if len(users) == 0 || len(users) > lethe.MaxMembersPerRequest {
			t.Fatalf("%d users accepted", len(users))
		}
	})
}

func FuzzDecodeManagers(f *testing.F) {
	for _, s := range complianceBodySeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		grants, err := decodeManagers(body)
		if err != nil {
			mustClientError(t, err)
			return
		}
		if len(grants) == 0 || len(grants) > lethe.MaxMembersPerRequest {
			t.Fatalf("%d managers accepted", len(grants))
		}
		for _, g := range grants {
			if g.Reference == "" {
				t.Fatal("manager without reference")
			}
		}
	})
}

func FuzzDecodeAssignment(f *testing.F) {
	for _, s := range complianceBodySeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, create := range []bool{true, false} {
			a, err := decodeAssignmentFields(body, create)
			if err != nil {
				mustClientError(t, err)
				continue
			}
			if a.AudienceID == nil || *a.AudienceID == "" || (create && a.ContentID == nil) {
				t.Fatalf("required member missing: %+v", a)
			}
			if a.ContentID != nil {
				if id, ok := lethe.ParseID(*a.ContentID); !ok || id != *a.ContentID {
					t.Fatalf("content id %q", *a.ContentID)
				}
			}
			for _, p := range []*int{a.CompletionPeriod, a.Recurrence} {
				if p != nil && (*p < 0 || *p > lethe.MaxPeriodDays) {
					t.Fatalf("period %d out of range", *p)
				}
			}
			if a.CompletionPeriod != nil && *a.CompletionPeriod == 0 {
				t.Fatal("completion period 0")
			}
			if a.AlternativeContentIDs != nil && len(*a.AlternativeContentIDs) > lethe.MaxAlternativeContentIDs {
				t.Fatal("too many alternatives")
			}
		}
		if aud, err := decodeDeleteAssignment(body); err != nil {
			mustClientError(t, err)
		} else if aud == "" || strings.TrimSpace(aud) != aud {
			t.Fatalf("audienceId %q", aud)
		}
	})
}

func FuzzDecodeCreateCompletion(f *testing.F) {
	for _, s := range complianceBodySeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := decodeCreateCompletion(body)
		if err != nil {
			mustClientError(t, err)
			return
		}
		if _, ok := lethe.ParseID(string(c.learner)); !ok {
			t.Fatalf("user id %q", c.learner)
		}
		if _, ok := lethe.ParseID(c.contentID); !ok || c.completedAt.IsZero() || c.completedAt.Location() != time.UTC {
			t.Fatalf("completion %+v", c)
		}
	})
}

func FuzzParseComplianceLists(f *testing.F) {
	for _, s := range []string{
		"", "page=2&perPage=50", "perPage=1000", "perPage=101", "perPage=0", "limit=5", "apiControlled=true",
		"apiControlled=yes", "updatedSince=2025-01-01", "updatedSince=x", "audienceId=TEAM", "status=open", "status=late",
		"updatedAtFrom=2025-01-01&updatedAtTo=2025-02-01", "updatedAtTo=2025-02-01", "isRPL=false", "isRPL=1",
		"completedDateRangeStart=2025-01-01&completedDateRangeEnd=2025-01-31", "completedDateRangeEnd=9999-12-31",
		"contentId=C00000000000000000000001&userId=x", "%zz", "status=%00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		check := func(err error, offset, limit, max int) {
			t.Helper()
			if err != nil {
				mustClientError(t, err)
				return
			}
			if limit < 1 || limit > max || offset < 0 {
				t.Fatalf("paging offset %d limit %d (max %d)", offset, limit, max)
			}
		}
		al, err := parseAudienceList(q)
		check(err, al.filter.Offset, al.filter.Limit, 1000)
		as, err := parseAssignmentList(q)
		check(err, as.Offset, as.Limit, 100)
		el, err := parseEnrolmentList(q)
		check(err, el.Offset, el.Limit, 100)
		if err == nil && el.UpdatedTo != nil && el.UpdatedFrom == nil {
			t.Fatal("updatedAtTo without updatedAtFrom")
		}
		cl, err := parseCompletionList(q)
		check(err, cl.Offset, cl.Limit, 1000)
	})
}

// contentActivitySeeds are bodies for the content and activity decoders.
var contentActivitySeeds = []string{
	`{"Activities":[{"id":"a","type":"viewed","userRef":"r","date":"2025-03-01"}]}`, `{"activities":[null]}`,
	`{"n":1,"activities":[{"id":"a","type":"viewed","userRef":"r","date":"2025-03-01"}]}`, `{"activities":[]}`,
	`{"activities":null}`, `{"activities":[{"id":"a\u0041","type":"Viewed","userRef":" r ","date":"2025-03-01","data":{"a":[1]} }]}`,
	`{"title":"Fire","type":"video","description":"<p>x</p>","tags":["a"],"duration":{"value":15,"unit":"minutes"},"isOfficial":true,"author":"650000000000000000000001"}`,
	`{"id":"C00000000000000000000001","title":"x","type":"file","duration":null,"tags":null,"author":""}`,
	`{"title":"x","type":"video","duration":{"value":-1}}`, `{"title":"x","type":"video","duration":{"value":1.5}}`,
	`{"title":"x","type":"video","duration":{"value":1e300,"unit":"hours"}}`, `{"title":"x","type":"video","duration":[]}`,
	`{"title":5}`, `{"tags":"a"}`, `{"tags":[1]}`, `{"id":"nothex"}`, `{"title":"\u0000"}`,
	`{"activities":[{"id":"a1","type":"viewed","userId":"650000000000000000000001","date":"2025-03-01T08:00:00.123Z",
	  "contextType":"content","contextId":"C00000000000000000000001","name":"n","data":{"source":{"source":"feed"}},"with":{"u":1}}]}`,
	`{"activities":[{"id":"a1","type":"loggedin","userRef":"emp-1","date":"2025-03-01 08:00:00"}]}`,
	`{"activities":[{"id":"a1","type":"completed","userId":"650000000000000000000001","date":"2025-03-01","contextType":"content","contextId":"x"}]}`,
	`{"activities":[{"id":"","type":"viewed"}]}`, `{"activities":[{"id":"a","type":"danced"}]}`, `{"activities":[]}`,
	`{"activities":[1]}`, `{"activities":{}}`, `{"activities":[{"id":"a","type":"viewed","userId":"650000000000000000000001","date":"x"}]}`,
	`{"activities":[{"id":"a","type":"viewed","userId":"650000000000000000000001","date":"2025-03-01","data":[1]}]}`,
	`{"activities":[{"id":"\u0000","type":"viewed","userId":"650000000000000000000001","date":"2025-03-01"}]}`,
	``, `{}`, `null`, `{`, `[]`, "{\"title\":\"\xff\"}",
}

func FuzzDecodeContent(f *testing.F) {
	for _, s := range contentActivitySeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, create := range []bool{true, false} {
			id, fields, err := decodeContent(body, create)
			if err != nil {
				mustClientError(t, err)
				continue
			}
			if _, ok := lethe.ParseID(id); id != "" && (!create || !ok) {
				t.Fatalf("id %q accepted (create %v)", id, create)
			}
			if d := fields.DurationMinutes; d != nil && *d != nil && (**d < 0 || **d > 1_000_000) {
				t.Fatalf("duration %d accepted", **d)
			}
		}
	})
}

func FuzzDecodeActivities(f *testing.F) {
	for _, s := range contentActivitySeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		batch, err := decodeActivities(body)
		// The one-pass reading of a well-formed batch agrees with the
		// general one, also on its errors.
		general, gerr := decodeActivitiesGeneral(body)
		if !reflect.DeepEqual(batch, general) || fmt.Sprint(err) != fmt.Sprint(gerr) {
			t.Fatalf("decodeActivities = %+v, %v; the general path = %+v, %v", batch, err, general, gerr)
		}
		if err != nil {
			mustClientError(t, err)
			return
		}
		if len(batch) == 0 || len(batch) > lethe.MaxActivityBatch {
			t.Fatalf("%d activities accepted", len(batch))
		}
		for i, a := range batch {
			if a.ClientID == "" || !lethe.IsActivityType(a.Type) || a.Date.IsZero() || (a.User.ID == "" && a.User.Ref == "") {
				t.Fatalf("activity %d accepted: %+v", i, a)
			}
			for _, s := range []string{a.ClientID, a.Name, a.ContextID, a.ContextType, a.User.Ref} {
				if strings.ContainsRune(s, 0) || !utf8.ValidString(s) {
					t.Fatalf("activity %d holds text PostgreSQL refuses: %+v", i, a)
				}
			}
			for _, raw := range []json.RawMessage{a.Data, a.With} {
				var m map[string]any
				if raw != nil && (json.Unmarshal(raw, &m) != nil || m == nil) {
					t.Fatalf("activity %d data/with not an object: %s", i, raw)
				}
			}
		}
	})
}

func FuzzParseContentActivityLists(f *testing.F) {
	for _, s := range []string{"types=video,file&omitTypes=quiz&updatedSince=2025-01-01", "types=podcast", "omitTypes=video",
		"actions=viewed,completed&omitActions=liked&contentIds=a,b&contentType=content&timestampFrom=2025-03-01+00%3A00%3A00&timestampTo=2025-03-02",
		"timestampFrom=x", "perPage=200&page=3", "perPage=1001", "contentIds=%00", "contentType=%ff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		if cf, p, err := parseContentList(q); err != nil {
			mustClientError(t, err)
		} else if p.perPage < 1 || p.perPage > 1000 || cf.Limit != p.perPage || (len(cf.Types) > 0 && len(cf.OmitTypes) > 0) {
			t.Fatalf("content filter %+v, paging %+v", cf, p)
		}
		if af, p, err := parseActivityList(q); err != nil {
			mustClientError(t, err)
		} else {
			if p.perPage < 1 || p.perPage > 1000 || af.Limit != p.perPage {
				t.Fatalf("activity paging %+v", p)
			}
			for _, s := range append(af.ContentIDs, af.ContentType) {
				if strings.ContainsRune(s, 0) || !utf8.ValidString(s) {
					t.Fatalf("filter holds text PostgreSQL refuses: %+v", af)
				}
			}
		}
	})
}
