package scim

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lethehq/lethe"
)

const base = "https://lethe.example/scim/v2"

// testUser is the stored user the PATCH tests start from.
func testUser() *lethe.SCIMUser {
	t0 := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	return &lethe.SCIMUser{ExternalID: "okta-1", User: &lethe.User{
		Learner: lethe.Learner{ID: "L1", State: lethe.StateActive, CreatedAt: t0, UpdatedAt: t0},
		Person: &lethe.Person{Ref: "ada", Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace",
			JobTitle: "Analyst", LanguageCode: "en-gb", TimeZone: "Europe/London",
			AdditionalFields: json.RawMessage(`{"department":"Maths","shoe":"42"}`)},
		Manager: &lethe.Manager{ID: "L9", Ref: "babbage", Name: "Charles Babbage"},
	}}
}

func mustState(t *testing.T, u *lethe.SCIMUser) userState {
	t.Helper()
	s, err := readUser(userDoc(u, lethe.DefaultSCIMAdditionalFields(), base), lethe.DefaultSCIMAdditionalFields())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// patchUserDoc applies a PatchOp body to the test user's document.
func patchUserDoc(t *testing.T, body string) (userState, error) {
	t.Helper()
	d, err := decodeDoc([]byte(body))
	if err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	ops, err := readPatch(d)
	if err != nil {
		return userState{}, err
	}
	cur := userDoc(testUser(), lethe.DefaultSCIMAdditionalFields(), base)
	if err := applyPatch(userResource, cur, "L1", ops); err != nil {
		return userState{}, err
	}
	return readUser(cur, lethe.DefaultSCIMAdditionalFields())
}

func ops(list string) string {
	return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":` + list + `}`
}

func TestPatchUser(t *testing.T) {
	start := func() userState {
		return mustState(t, testUser())
	}
	tests := []struct {
		name, ops string
		want      func(*userState)
	}{
		{"okta deprovision without path", `[{"op":"replace","value":{"active":false}}]`, func(s *userState) { s.active = false }},
		{"entra string boolean", `[{"op":"Replace","path":"active","value":"False"}]`, func(s *userState) { s.active = false }},
		{"reactivate", `[{"op":"replace","path":"active","value":"True"}]`, func(s *userState) {}},
		{"upper-case op", `[{"op":"REPLACE","path":"title","value":"Engineer"}]`, func(s *userState) { s.title = "Engineer" }},
		{"entra work email", `[{"op":"Replace","path":"emails[type eq \"work\"].value","value":"ada@new.example"}]`,
			func(s *userState) { s.email = "ada@new.example" }},
		{"path case", `[{"op":"replace","path":"Emails[Type eq \"work\"].Value","value":"ada@new.example"}]`,
			func(s *userState) { s.email = "ada@new.example" }},
		{"name sub-attribute", `[{"op":"Replace","path":"name.givenName","value":"Augusta"}]`, func(s *userState) { s.first = "Augusta" }},
		{"core URN path", `[{"op":"replace","path":"urn:ietf:params:scim:schemas:core:2.0:User:name.familyName","value":"King"}]`,
			func(s *userState) { s.last = "King" }},
		{"add name merges", `[{"op":"add","path":"name","value":{"givenName":"Augusta"}}]`, func(s *userState) { s.first = "Augusta" }},
		{"no path, several attributes", `[{"op":"replace","value":{"userName":"ada2","name.familyName":"King","Title":"Lead","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department":"Logic"}}]`,
			func(s *userState) { s.ref, s.last, s.title, s.extra["department"] = "ada2", "King", "Lead", "Logic" }},
		{"no path, extension object", `[{"op":"add","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"costCenter":"CC1"}}}]`,
			func(s *userState) { s.extra["costCenter"] = "CC1" }},
		{"enterprise URN path", `[{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber","value":"701984"}]`,
			func(s *userState) { s.extra["employeeNumber"] = "701984" }},
		{"enterprise number value kept", `[{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter","value":4130}]`,
			func(s *userState) { s.extra["costCenter"] = json.Number("4130") }},
		{"entra manager as a string", `[{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"L7"}]`,
			func(s *userState) { s.managerID = "L7" }},
		{"manager object", `[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":{"value":"L8"}}]`,
			func(s *userState) { s.managerID = "L8" }},
		{"manager value path", `[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value","value":"L8"}]`,
			func(s *userState) { s.managerID = "L8" }},
		{"remove manager", `[{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}]`,
			func(s *userState) { s.managerID = "" }},
		{"remove department", `[{"op":"Remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"}]`,
			func(s *userState) { delete(s.extra, "department") }},
		{"remove title", `[{"op":"remove","path":"title"}]`, func(s *userState) { s.title = "" }},
		{"replace with null removes", `[{"op":"replace","path":"preferredLanguage","value":null}]`, func(s *userState) { s.lang = "" }},
		{"remove work email", `[{"op":"remove","path":"emails[type eq \"work\"]"}]`, func(s *userState) { s.email = "" }},
		{"externalId", `[{"op":"replace","path":"externalId","value":"okta-2"}]`, func(s *userState) { s.externalID = "okta-2" }},
		{"attributes Lethe does not keep", `[{"op":"add","path":"nickName","value":"Ada"},{"op":"replace","path":"phoneNumbers[type eq \"mobile\"].value","value":"+44 1"},{"op":"add","value":{"displayName":"Countess","x-custom":{"a":1}}},{"op":"replace","path":"urn:example:ext:1.0:User:badge","value":"B"}]`,
			func(s *userState) {}},
		{"remove something absent", `[{"op":"remove","path":"addresses[type eq \"home\"]"}]`, func(s *userState) {}},
		{"several ops in order", `[{"op":"replace","path":"title","value":"A"},{"op":"replace","path":"title","value":"B"},{"op":"remove","path":"timezone"}]`,
			func(s *userState) { s.title, s.tz = "B", "" }},
		{"id repeated without path", `[{"op":"replace","value":{"id":"L1","active":false}}]`, func(s *userState) { s.active = false }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := start()
			tt.want(&want)
			got, err := patchUserDoc(t, ops(tt.ops))
			if err != nil {
				t.Fatalf("patch: %v", err)
			}
			if diff := cmp.Diff(want, got, cmp.AllowUnexported(userState{})); diff != "" {
				t.Errorf("state (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPatchUserRefuses(t *testing.T) {
	tests := []struct{ name, body, scimType string }{
		{"read-only id", ops(`[{"op":"replace","path":"id","value":"L2"}]`), typeMutability},
		{"read-only meta", ops(`[{"op":"replace","path":"meta.version","value":"x"}]`), typeMutability},
		{"other id without path", ops(`[{"op":"replace","value":{"id":"L2"}}]`), typeMutability},
		{"remove without path", ops(`[{"op":"remove"}]`), typeNoTarget},
		{"no path and no object", ops(`[{"op":"replace","value":false}]`), typeInvalidValue},
		{"bad path", ops(`[{"op":"replace","path":"emails[","value":"x"}]`), typeInvalidPath},
		{"filter on a single value", ops(`[{"op":"replace","path":"title[value eq \"x\"]","value":"x"}]`), typeInvalidPath},
		{"sub-attribute of a string", ops(`[{"op":"replace","path":"userName.first","value":"x"}]`), typeInvalidPath},
		{"complex filter without a match", ops(`[{"op":"replace","path":"emails[type eq \"home\" or primary eq false].value","value":"x"}]`), typeNoTarget},
		{"wrong type", ops(`[{"op":"replace","path":"active","value":7}]`), typeInvalidValue},
		{"wrong type for text", ops(`[{"op":"replace","path":"title","value":{"a":1}}]`), typeInvalidValue},
		{"wrong type for name", ops(`[{"op":"replace","path":"name","value":"Ada"}]`), typeInvalidValue},
		{"email not a string", ops(`[{"op":"replace","path":"emails[type eq \"work\"].value","value":5}]`), typeInvalidValue},
		{"unknown op", ops(`[{"op":"move","path":"title"}]`), typeInvalidSyntax},
		{"operations not an array", ops(`{"op":"add"}`), typeInvalidSyntax},
		{"no operations", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}`, typeInvalidSyntax},
		{"unknown schema", `{"schemas":["urn:example:Patch"],"Operations":[]}`, typeInvalidValue},
		{"path not a string", ops(`[{"op":"add","path":5,"value":"x"}]`), typeInvalidPath},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := patchUserDoc(t, tt.body)
			var se *Error
			if !errors.As(err, &se) || se.Status != 400 || se.Type != tt.scimType {
				t.Fatalf("err = %v, want 400 %s", err, tt.scimType)
			}
		})
	}
}

func TestUserEditDiff(t *testing.T) {
	u := testUser()
	before := mustState(t, u)
	after := before
	after.extra = map[string]any{"department": "Logic"}
	after.title, after.email, after.managerID, after.active = "", "", "L7", false
	e, err := userEdit(before, after, u, func(id string) (string, error) { return "ref-of-" + id, nil })
	if err != nil {
		t.Fatal(err)
	}
	f := e.Fields
	if f.JobTitle == nil || *f.JobTitle != "" || !f.NullEmail || f.Email != nil || *f.ManagerRef != "ref-of-L7" ||
		e.Active == nil || *e.Active || f.FirstName != nil || e.ExternalID != nil {
		t.Errorf("edit = %+v", e)
	}
	// The key SCIM does not map (shoe) stays; the mapped one changes.
	if string(f.AdditionalFields) != `{"department":"Logic","shoe":"42"}` {
		t.Errorf("additionalFields = %s", f.AdditionalFields)
	}
	same, err := userEdit(before, before, u, nil)
	if err != nil || !cmp.Equal(*same, lethe.SCIMUserEdit{}) {
		t.Errorf("no change gave %+v, %v", same, err)
	}
}

func TestUserDocVersion(t *testing.T) {
	a := userDoc(testUser(), nil, base)
	b := userDoc(testUser(), nil, base)
	if versionOf(a) == "" || versionOf(a) != versionOf(b) {
		t.Fatalf("versions %q %q", versionOf(a), versionOf(b))
	}
	u := testUser()
	u.Person.JobTitle = "Lead"
	if versionOf(userDoc(u, nil, base)) == versionOf(a) {
		t.Error("a change kept the version")
	}
}

func groupState0() *lethe.SCIMGroup {
	t0 := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	return &lethe.SCIMGroup{Audience: &lethe.Audience{ID: "G1", Name: "Sales", Reference: "okta-g", CreatedAt: t0, UpdatedAt: t0},
		Members: []lethe.LearnerID{"L1", "L2"}}
}

func TestPatchGroup(t *testing.T) {
	tests := []struct {
		name, ops string
		want      []lethe.LearnerID
		wantName  string
	}{
		{"okta remove by filter", `[{"op":"remove","path":"members[value eq \"L1\"]"}]`, []lethe.LearnerID{"L2"}, "Sales"},
		{"okta add array", `[{"op":"add","path":"members","value":[{"value":"L3","display":"C"},{"value":"L1"}]}]`, []lethe.LearnerID{"L1", "L2", "L3"}, "Sales"},
		{"okta replace array", `[{"op":"replace","path":"members","value":[{"value":"L4"}]}]`, []lethe.LearnerID{"L4"}, "Sales"},
		{"entra remove list", `[{"op":"Remove","path":"members","value":[{"value":"L2"}]}]`, []lethe.LearnerID{"L1"}, "Sales"},
		{"remove all", `[{"op":"remove","path":"members"}]`, []lethe.LearnerID{}, "Sales"},
		{"remove absent member", `[{"op":"remove","path":"members[value eq \"L9\"]"}]`, []lethe.LearnerID{"L1", "L2"}, "Sales"},
		{"member ids compare exactly", `[{"op":"remove","path":"members[value eq \"l1\"]"}]`, []lethe.LearnerID{"L1", "L2"}, "Sales"},
		{"rename without path", `[{"op":"replace","value":{"id":"G1","displayName":"Sales EU"}}]`, []lethe.LearnerID{"L1", "L2"}, "Sales EU"},
		{"entra add", `[{"op":"Add","path":"members","value":[{"value":"L5"}]}]`, []lethe.LearnerID{"L1", "L2", "L5"}, "Sales"},
		{"add nothing", `[{"op":"add","path":"members","value":null},{"op":"add","path":"members"}]`, []lethe.LearnerID{"L1", "L2"}, "Sales"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, _ := decodeDoc([]byte(ops(tt.ops)))
			list, err := readPatch(d)
			if err != nil {
				t.Fatal(err)
			}
			cur := groupDoc(groupState0(), base)
			if err := applyPatch(groupResource, cur, "G1", list); err != nil {
				t.Fatal(err)
			}
			s, err := readGroup(cur)
			if err != nil {
				t.Fatal(err)
			}
			if !cmp.Equal(s.members, tt.want) || s.name != tt.wantName || s.externalID != "okta-g" {
				t.Errorf("got %+v", s)
			}
		})
	}
	d, _ := decodeDoc([]byte(ops(`[{"op":"add","path":"members","value":"string id 1"}]`)))
	list, _ := readPatch(d)
	cur := groupDoc(groupState0(), base)
	if err := applyPatch(groupResource, cur, "G1", list); err != nil {
		t.Fatal(err)
	}
	if _, err := readGroup(cur); err == nil {
		t.Error("a member that is not an object was accepted")
	}
}

func TestProjection(t *testing.T) {
	d := userDoc(testUser(), lethe.DefaultSCIMAdditionalFields(), base)
	got := listParams{attributes: []string{"userName", "emails.value", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "Name.GivenName"}}.project(userResource, d)
	want := doc{"id": "L1", "schemas": d["schemas"], "userName": "ada", "emails": []any{doc{"value": "ada@example.com"}},
		enterprise: doc{"department": "Maths"}, "name": doc{"givenName": "Ada"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("attributes (-want +got):\n%s", diff)
	}
	d = userDoc(testUser(), lethe.DefaultSCIMAdditionalFields(), base)
	got = listParams{exclude: []string{"emails", "id", "meta", enterprise}}.project(userResource, d)
	if _, ok := got["emails"]; ok || got["id"] != "L1" || got["meta"] != nil || got[enterprise] != nil {
		t.Errorf("excludedAttributes: %v", got)
	}
	if (listParams{exclude: []string{"Members"}}).wantsMembers() || !(listParams{}).wantsMembers() ||
		(listParams{attributes: []string{"displayName"}}).wantsMembers() {
		t.Error("wantsMembers")
	}
}

func TestParseRoute(t *testing.T) {
	tests := []struct{ path, kind, id, label string }{
		{"/scim/v2/Users", "users", "", "scim /Users"},
		{"/scim/v2/users/", "users", "", "scim /Users"},
		{"/SCIM/V2/Users/L1", "users", "L1", "scim /Users/{id}"},
		{"/scim/v2/Users/.search", "users.search", "", "scim /Users/.search"},
		{"/scim/v2/groups/G1/", "groups", "G1", "scim /Groups/{id}"},
		{"/scim/v2/serviceConfiguration", "config", "", "scim /serviceConfiguration"},
		{"/scim/v2/ResourceTypes/User", "types", "User", "scim /ResourceTypes/{name}"},
		{"/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", "schemas", "urn:ietf:params:scim:schemas:core:2.0:User", "scim /Schemas/{urn}"},
	}
	for _, tt := range tests {
		rt, ok := parseRoute(tt.path)
		if !ok || rt.kind != tt.kind || rt.id != tt.id || rt.label != tt.label {
			t.Errorf("parseRoute(%q) = %+v, %v", tt.path, rt, ok)
		}
	}
	for _, p := range []string{"/scim/v2", "/scim/v2/", "/scim/v2/Nope", "/scim/v2/Users/a/b", "/scim/v2/Users/..", "/scim/v2/Users/%2e%2e",
		"/scim/v2//Users", "/scim/v2x/Users", "/scim/v2/ServiceProviderConfig/x", "/scim/v2/Users//"} {
		if rt, ok := parseRoute(p); ok {
			t.Errorf("parseRoute(%q) = %+v, want no route", p, rt)
		}
	}
}
