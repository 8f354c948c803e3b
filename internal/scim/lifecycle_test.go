package scim_test

import (
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/lethehq/lethe"
)

const (
	coreUser  = `"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]`
	patchOps  = `"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]`
	enterpris = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
)

func userBody(userName, email string, extra ...string) string {
	b := `{` + coreUser + `,"userName":"` + userName + `","name":{"givenName":"Kit","familyName":"Marlowe"},` +
		`"emails":[{"value":"` + email + `","type":"work","primary":true}],"active":true`
	for _, e := range extra {
		b += "," + e
	}
	return b + `}`
}

func patchBody(ops string) string { return `{` + patchOps + `,"Operations":` + ops + `}` }

// mustCreate creates a user as tenant A and returns its id.
func (h *harness) mustCreate(t *testing.T, userName, email string, extra ...string) string {
	t.Helper()
	r := h.do(t, h.TokenA, "POST", "/scim/v2/Users", userBody(userName, email, extra...))
	mustStatus(t, r, 201)
	id, _ := r.JSON(t)["id"].(string)
	if r.Header.Get("Location") != h.URL+"/scim/v2/Users/"+id {
		t.Fatalf("Location = %q", r.Header.Get("Location"))
	}
	return id
}

func TestConcurrentPatchesAllLand(t *testing.T) {
	h := start(t)
	mapping := map[string]string{}
	for i := range 20 {
		mapping[fmt.Sprintf("urn:example:lethe:1.0:User:f%d", i)] = fmt.Sprintf("f%d", i)
	}
	if _, err := h.settings.UpdateSettings(h.as(h.tenantA), lethe.SettingsUpdate{SCIMAdditionalFields: &mapping}); err != nil {
		t.Fatal(err)
	}
	id := h.mustCreate(t, "kit", "kit@example.org")
	var wg sync.WaitGroup
	errs := make(chan string, 20)
	for i := range 20 {
		wg.Go(func() {
			r := h.do(t, h.TokenA, "PATCH", "/scim/v2/Users/"+id,
				patchBody(fmt.Sprintf(`[{"op":"add","path":"urn:example:lethe:1.0:User:f%d","value":"v%d"}]`, i, i)))
			if r.Status != 200 {
				errs <- r.String()
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("PATCH: %s", e)
	}
	u, err := h.users.FindUser(h.as(h.tenantA), lethe.ByID(lethe.LearnerID(id)))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if !strings.Contains(string(u.Person.AdditionalFields), fmt.Sprintf(`"f%d":"v%d"`, i, i)) {
			t.Errorf("additionalFields lost f%d: %s", i, u.Person.AdditionalFields)
		}
	}
	g := h.do(t, h.TokenA, "GET", "/scim/v2/Users/"+id, "").JSON(t)
	if ext, _ := g["urn:example:lethe:1.0:User"].(map[string]any); len(ext) != 20 {
		t.Errorf("the mapped attributes read back as %v", g["urn:example:lethe:1.0:User"])
	}
}

func TestMultiOpPatchIsAtomic(t *testing.T) {
	h := start(t)
	id := h.mustCreate(t, "kit", "kit@example.org", `"title":"Poet"`)
	before := h.do(t, h.TokenA, "GET", "/scim/v2/Users/"+id, "")
	for _, tc := range []struct{ ops, scimType, names string }{
		{`[{"op":"replace","path":"title","value":"Spy"},{"op":"replace","path":"active","value":7}]`, "invalidValue", "active"},
		{`[{"op":"replace","path":"title","value":"Spy"},{"op":"replace","path":"timezone","value":"Mars/Olympus"}]`, "invalidValue", "timezone"},
		{`[{"op":"replace","path":"title","value":"Spy"},{"op":"replace","path":"id","value":"x"}]`, "mutability", "id"},
		{`[{"op":"replace","value":{"active":false}},{"op":"remove","path":"emails["}]`, "invalidPath", ""},
	} {
		r := h.do(t, h.TokenA, "PATCH", "/scim/v2/Users/"+id, patchBody(tc.ops))
		m := mustSCIMError(t, r, 400, tc.scimType)
		if !strings.Contains(m["detail"].(string), tc.names) {
			t.Errorf("detail %q does not name %s", m["detail"], tc.names)
		}
	}
	after := h.do(t, h.TokenA, "GET", "/scim/v2/Users/"+id, "")
	if string(after.Body) != string(before.Body) {
		t.Errorf("a refused PATCH changed the user:\nbefore %s\nafter  %s", before.Body, after.Body)
	}
}

func TestPatchOfAttributesNotKept(t *testing.T) {
	h := start(t)
	id := h.mustCreate(t, "kit", "kit@example.org")
	before := h.do(t, h.TokenA, "GET", "/scim/v2/Users/"+id, "").JSON(t)
	r := h.do(t, h.TokenA, "PATCH", "/scim/v2/Users/"+id,
		patchBody(`[{"op":"add","path":"nickName","value":"Kit"},{"op":"Replace","path":"addresses[type eq \"work\"].locality","value":"Canterbury"}]`))
	mustStatus(t, r, 200)
	if got := r.JSON(t); got["meta"].(map[string]any)["version"] != before["meta"].(map[string]any)["version"] || got["nickName"] != nil {
		t.Errorf("PATCH of attributes Lethe does not keep changed the user: %s", r.Body)
	}
}

func TestDeleteIsFinal(t *testing.T) {
	h := start(t)
	id := h.mustCreate(t, "kit", "kit@example.org")
	mustStatus(t, h.do(t, h.TokenA, "DELETE", "/scim/v2/Users/"+id, ""), 204)
	mustSCIMError(t, h.do(t, h.TokenA, "GET", "/scim/v2/Users/"+id, ""), 404, "")
	mustSCIMError(t, h.do(t, h.TokenA, "PATCH", "/scim/v2/Users/"+id, patchBody(`[{"op":"replace","value":{"active":true}}]`)), 404, "")
	mustSCIMError(t, h.do(t, h.TokenA, "PUT", "/scim/v2/Users/"+id, userBody("kit", "kit@example.org")), 404, "")
	mustSCIMError(t, h.do(t, h.TokenA, "DELETE", "/scim/v2/Users/"+id, ""), 404, "")
	again := h.mustCreate(t, "KIT", "kit@example.org")
	if again == id {
		t.Fatal("the new user got the erased user's id")
	}
	u, err := h.users.FindUser(h.as(h.tenantA), lethe.ByID(lethe.LearnerID(id)))
	if err != nil || !u.Deleted() {
		t.Fatalf("the first user is not erased: %+v %v", u, err)
	}
}

func TestDeleteUnderGracePeriod(t *testing.T) {
	h := start(t)
	grace := 30
	if _, err := h.settings.UpdateSettings(h.as(h.tenantA), lethe.SettingsUpdate{GraceDays: &grace}); err != nil {
		t.Fatal(err)
	}
	id := h.mustCreate(t, "kit", "kit@example.org")
	mustStatus(t, h.do(t, h.TokenA, "DELETE", "/scim/v2/Users/"+id, ""), 204)
	mustSCIMError(t, h.do(t, h.TokenA, "GET", "/scim/v2/Users/"+id, ""), 404, "")
	mustSCIMError(t, h.do(t, h.TokenA, "PATCH", "/scim/v2/Users/"+id, patchBody(`[{"op":"replace","path":"active","value":true}]`)), 404, "")
	r := h.do(t, h.TokenA, "GET", "/scim/v2/Users?filter=userName%20eq%20%22kit%22", "")
	if r.JSON(t)["totalResults"] != float64(0) {
		t.Errorf("a user whose erasure is scheduled is listed: %s", r.Body)
	}
	u, err := h.users.FindUser(h.as(h.tenantA), lethe.ByID(lethe.LearnerID(id)))
	if err != nil || u.State != lethe.StateSuspended {
		t.Fatalf("under a grace period the user is suspended until erased: %+v %v", u, err)
	}
}

func TestTokens(t *testing.T) {
	h := start(t)
	id := h.mustCreate(t, "kit", "kit@example.org")
	for _, auth := range []string{"", "Bearer", "Bearer nope", "Basic " + h.TokenA} {
		r := h.do(t, "", "GET", "/scim/v2/Users", "", "Authorization", auth)
		mustSCIMError(t, r, 401, "")
		if r.Header.Get("WWW-Authenticate") != "Bearer" {
			t.Errorf("WWW-Authenticate = %q", r.Header.Get("WWW-Authenticate"))
		}
	}
	// Tenant B sees nothing of tenant A.
	mustSCIMError(t, h.do(t, h.TokenB, "GET", "/scim/v2/Users/"+id, ""), 404, "")
	mustSCIMError(t, h.do(t, h.TokenB, "PATCH", "/scim/v2/Users/"+id, patchBody(`[{"op":"replace","value":{"active":false}}]`)), 404, "")
	mustSCIMError(t, h.do(t, h.TokenB, "DELETE", "/scim/v2/Users/"+id, ""), 404, "")
	if r := h.do(t, h.TokenB, "GET", "/scim/v2/Users?filter=userName%20eq%20%22kit%22", ""); r.JSON(t)["totalResults"] != float64(0) {
		t.Errorf("tenant B lists tenant A's user: %s", r.Body)
	}
	mustStatus(t, h.do(t, h.TokenB, "POST", "/scim/v2/Users", userBody("kit", "kit@example.org")), 201)
	// A revoked token is refused at once.
	toks, err := h.tokens.FindSCIMTokens(h.as(h.tenantA))
	if err != nil || len(toks) != 1 {
		t.Fatal(toks, err)
	}
	if err := h.tokens.RevokeSCIMToken(h.as(h.tenantA), toks[0].ID); err != nil {
		t.Fatal(err)
	}
	mustSCIMError(t, h.do(t, h.TokenA, "GET", "/scim/v2/Users/"+id, ""), 401, "")
}

func TestIfMatch(t *testing.T) {
	h := start(t)
	id := h.mustCreate(t, "kit", "kit@example.org")
	r := h.do(t, h.TokenA, "GET", "/scim/v2/Users/"+id, "")
	v := r.Header.Get("ETag")
	if !strings.HasPrefix(v, `W/"`) || r.JSON(t)["meta"].(map[string]any)["version"] != v {
		t.Fatalf("ETag %q, body %s", v, r.Body)
	}
	mustStatus(t, h.do(t, h.TokenA, "GET", "/scim/v2/Users/"+id, "", "If-None-Match", v), 304)
	r = h.do(t, h.TokenA, "PATCH", "/scim/v2/Users/"+id, patchBody(`[{"op":"replace","path":"title","value":"Poet"}]`), "If-Match", v)
	mustStatus(t, r, 200)
	if r.Header.Get("ETag") == v {
		t.Error("the version did not change")
	}
	mustSCIMError(t, h.do(t, h.TokenA, "PATCH", "/scim/v2/Users/"+id, patchBody(`[{"op":"replace","path":"title","value":"Spy"}]`), "If-Match", v), 412, "")
	mustSCIMError(t, h.do(t, h.TokenA, "PUT", "/scim/v2/Users/"+id, userBody("kit", "kit@example.org"), "If-Match", v), 412, "")
	mustSCIMError(t, h.do(t, h.TokenA, "DELETE", "/scim/v2/Users/"+id, "", "If-Match", v), 412, "")
	if got := h.do(t, h.TokenA, "GET", "/scim/v2/Users/"+id, "").JSON(t); got["title"] != "Poet" {
		t.Errorf("a stale If-Match changed the user: %v", got)
	}
	mustStatus(t, h.do(t, h.TokenA, "PATCH", "/scim/v2/Users/"+id, patchBody(`[{"op":"replace","path":"title","value":"Spy"}]`), "If-Match", "*"), 200)
}

func TestBadInput(t *testing.T) {
	h := start(t)
	id := h.mustCreate(t, "kit", "kit@example.org")
	h.mustCreate(t, "marlowe", "marlowe@example.org")
	tests := []struct {
		name, method, path, body string
		status                   int
		scimType, names          string
	}{
		{"malformed JSON", "POST", "/scim/v2/Users", `{"userName":`, 400, "invalidSyntax", ""},
		{"not an object", "POST", "/scim/v2/Users", `[1]`, 400, "invalidSyntax", ""},
		{"trailing data", "POST", "/scim/v2/Users", userBody("a", "a@example.org") + `{}`, 400, "invalidSyntax", ""},
		{"unknown schema", "POST", "/scim/v2/Users", `{"schemas":["urn:example:Thing"],"userName":"x"}`, 400, "invalidValue", "schemas"},
		{"no userName", "POST", "/scim/v2/Users", `{` + coreUser + `,"name":{"givenName":"A","familyName":"B"}}`, 400, "invalidValue", "userName"},
		{"userName not a string", "POST", "/scim/v2/Users", `{` + coreUser + `,"userName":5}`, 400, "invalidValue", "userName"},
		{"active not a boolean", "POST", "/scim/v2/Users", userBody("b", "b@example.org", `"active":"yes"`), 400, "invalidValue", "active"},
		{"emails not an array", "POST", "/scim/v2/Users", userBody("b", "b@example.org", `"emails":"b@example.org"`), 400, "invalidValue", "emails"},
		{"store rule named in SCIM", "POST", "/scim/v2/Users", userBody("b", "b@example.org", `"preferredLanguage":"not a language"`), 400, "invalidValue", "preferredLanguage"},
		{"bad email", "POST", "/scim/v2/Users", userBody("b", "not-an-email"), 400, "invalidValue", "emails"},
		{"email taken", "POST", "/scim/v2/Users", userBody("other", "KIT@example.org"), 409, "uniqueness", "emails"},
		{"unknown manager", "POST", "/scim/v2/Users", userBody("b", "b@example.org", `"`+enterpris+`":{"manager":{"value":"SuzzyQ"}}`), 400, "invalidValue", "manager"},
		{"own manager", "PATCH", "/scim/v2/Users/" + id, patchBody(`[{"op":"add","path":"` + enterpris + `:manager","value":"` + id + `"}]`), 400, "invalidValue", "manager"},
		{"bad filter", "GET", "/scim/v2/Users?filter=userName%20eq", "", 400, "invalidFilter", ""},
		{"active gt true", "GET", "/scim/v2/Users?filter=active%20gt%20true", "", 400, "invalidFilter", "active"},
		{"unquoted value", "GET", "/scim/v2/Users?filter=userName%20sw%20O", "", 400, "invalidFilter", ""},
		{"bad date", "GET", "/scim/v2/Users?filter=meta.lastModified%20gt%20%22yesterday%22", "", 400, "invalidFilter", "meta.lastModified"},
		{"filter too deep", "GET", "/scim/v2/Users?filter=" + strings.Repeat("not%20(", 70) + "title%20pr" + strings.Repeat(")", 70), "", 400, "invalidFilter", "filter"},
		{"bad count", "GET", "/scim/v2/Users?count=many", "", 400, "invalidValue", "count"},
		{"bad sortBy", "GET", "/scim/v2/Users?sortBy=password", "", 400, "invalidValue", "sortBy"},
		{"search body", "POST", "/scim/v2/Users/.search", `{"filter":7}`, 400, "invalidValue", "filter"},
		{"patch not a PatchOp", "PATCH", "/scim/v2/Users/" + id, `{"Operations":{}}`, 400, "invalidSyntax", "Operations"},
		{"unknown path", "GET", "/scim/v2/Nope", "", 404, "", ""},
		{"too deep", "GET", "/scim/v2/Users/" + id + "/x", "", 404, "", ""},
		{"malformed id", "GET", "/scim/v2/Users/%25zz", "", 404, "", ""},
		{"unknown user", "GET", "/scim/v2/Users/01JNOSUCHUSER0000000000000", "", 404, "", ""},
		{"unknown group", "PATCH", "/scim/v2/Groups/nope", patchBody(`[{"op":"remove","path":"members"}]`), 404, "", ""},
		{"wrong method", "DELETE", "/scim/v2/Users", "", 405, "", "DELETE"},
		{"group without name", "POST", "/scim/v2/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"]}`, 400, "invalidValue", "displayName"},
		{"group with an unknown member", "POST", "/scim/v2/Groups", `{"displayName":"G","members":[{"value":"01JNOSUCHUSER0000000000000"}]}`, 400, "invalidValue", "members"},
		{"group member not an object", "POST", "/scim/v2/Groups", `{"displayName":"G","members":["` + id + `"]}`, 400, "invalidValue", "members"},
		{"rename onto a taken userName", "PATCH", "/scim/v2/Users/" + id, patchBody(`[{"op":"Replace","path":"userName","value":"MARLOWE"}]`), 409, "uniqueness", "userName"},
		{"rename to nothing", "PATCH", "/scim/v2/Users/" + id, patchBody(`[{"op":"Replace","path":"userName","value":" "}]`), 400, "invalidValue", "userName"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.do(t, h.TokenA, tt.method, tt.path, tt.body)
			m := mustSCIMError(t, r, tt.status, tt.scimType)
			if !strings.Contains(m["detail"].(string), tt.names) {
				t.Errorf("detail %q does not name %q", m["detail"], tt.names)
			}
			if strings.Contains(string(r.Body), "kit@example.org") || strings.Contains(strings.ToLower(string(r.Body)), "suzzyq") {
				t.Errorf("the error repeats a value: %s", r.Body)
			}
		})
	}
	r := h.do(t, h.TokenA, "POST", "/scim/v2/Users", userBody("c", "c@example.org"), "Content-Type", "text/plain")
	mustSCIMError(t, r, 415, "")
	big := userBody("c", "c@example.org", `"nickName":"`+strings.Repeat("x", 1<<20)+`"`)
	mustSCIMError(t, h.do(t, h.TokenA, "POST", "/scim/v2/Users", big), 413, "")
	if h.do(t, h.TokenA, "DELETE", "/scim/v2/Users", "").Header.Get("Allow") != "GET, POST" {
		t.Error("405 without Allow")
	}
}

func TestDeleteInRestrictedMode(t *testing.T) {
	h := start(t)
	mode := lethe.DeletionModeRestricted
	if _, err := h.settings.UpdateSettings(h.as(h.tenantA), lethe.SettingsUpdate{DeletionMode: &mode}); err != nil {
		t.Fatal(err)
	}
	id := h.mustCreate(t, "kit", "kit@example.org")
	if _, err := h.users.RecordLogin(h.as(h.tenantA), lethe.ByID(lethe.LearnerID(id))); err != nil {
		t.Fatal(err)
	}
	m := mustSCIMError(t, h.do(t, h.TokenA, "DELETE", "/scim/v2/Users/"+id, ""), 409, "")
	if !strings.Contains(m["detail"].(string), lethe.HistoryGuidance) {
		t.Errorf("detail %q lacks the guidance", m["detail"])
	}
	mustStatus(t, h.do(t, h.TokenA, "GET", "/scim/v2/Users/"+id, ""), 200)
	// Deactivation is what a restricted tenant's identity provider does.
	r := h.do(t, h.TokenA, "PATCH", "/scim/v2/Users/"+id, patchBody(`[{"op":"replace","value":{"active":false}}]`))
	mustStatus(t, r, 200)
}

func TestTenantMapping(t *testing.T) {
	h := start(t)
	const acme = "urn:ietf:params:scim:schemas:extension:acme:2.0:User"
	mapping := lethe.DefaultSCIMAdditionalFields()
	mapping[acme+":badge"] = "badgeNumber"
	mapping["nickName"] = "nick"
	if _, err := h.settings.UpdateSettings(h.as(h.tenantA), lethe.SettingsUpdate{SCIMAdditionalFields: &mapping}); err != nil {
		t.Fatal(err)
	}
	body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","` + enterpris + `","` + acme + `"],"userName":"kit",` +
		`"name":{"givenName":"Kit","familyName":"Marlowe"},"emails":[{"value":"kit@example.org","type":"work"}],"nickName":"Kit",` +
		`"` + acme + `":{"badge":1593},"` + enterpris + `":{"division":"Stage"}}`
	r := h.do(t, h.TokenA, "POST", "/scim/v2/Users", body)
	mustStatus(t, r, 201)
	id := r.JSON(t)["id"].(string)
	u, err := h.users.FindUser(h.as(h.tenantA), lethe.ByID(lethe.LearnerID(id)))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(u.Person.AdditionalFields); got != `{"badgeNumber":1593,"division":"Stage","nick":"Kit"}` {
		t.Errorf("additionalFields = %s", got)
	}
	g := h.do(t, h.TokenA, "GET", "/scim/v2/Users/"+id, "").JSON(t)
	if g["nickName"] != "Kit" || g[acme].(map[string]any)["badge"] != float64(1593) || g[enterpris].(map[string]any)["division"] != "Stage" {
		t.Errorf("read back: %v", g)
	}
	// A PUT that leaves out a mapped attribute clears it, and keeps keys
	// SCIM does not map.
	if _, err := h.users.UpdateUser(h.as(h.tenantA), lethe.ByID(lethe.LearnerID(id)), lethe.UserFields{
		AdditionalFields: []byte(`{"badgeNumber":1593,"division":"Stage","nick":"Kit","shoe":42}`)}); err != nil {
		t.Fatal(err)
	}
	mustStatus(t, h.do(t, h.TokenA, "PUT", "/scim/v2/Users/"+id, userBody("kit", "kit@example.org", `"nickName":"Kit"`)), 200)
	u, _ = h.users.FindUser(h.as(h.tenantA), lethe.ByID(lethe.LearnerID(id)))
	if got := string(u.Person.AdditionalFields); got != `{"nick":"Kit","shoe":42}` {
		t.Errorf("after PUT additionalFields = %s", got)
	}
	r = h.do(t, h.TokenA, "POST", "/scim/v2/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:example:unmapped:2.0:User"],"userName":"x"}`)
	mustSCIMError(t, r, 400, "invalidValue")
}

func TestCreateWithoutEmail(t *testing.T) {
	h := start(t)
	r := h.do(t, h.TokenA, "POST", "/scim/v2/Users", `{`+coreUser+`,"userName":"kiosk-7","name":{"givenName":"Kiosk","familyName":"Seven"}}`)
	mustStatus(t, r, 201)
	m := r.JSON(t)
	if m["emails"] != nil {
		t.Errorf("emails: %v", m["emails"])
	}
	u, err := h.users.FindUser(h.as(h.tenantA), lethe.ByRef("kiosk-7"))
	if err != nil || u.LoginMethod != lethe.LoginRef {
		t.Fatalf("user %+v, %v: want login method ref", u, err)
	}
	id := m["id"].(string)
	r = h.do(t, h.TokenA, "PATCH", "/scim/v2/Users/"+id, patchBody(`[{"op":"Add","path":"emails[type eq \"work\"].value","value":"kiosk7@example.org"}]`))
	mustStatus(t, r, 200)
	if e := r.JSON(t)["emails"].([]any)[0].(map[string]any)["value"]; e != "kiosk7@example.org" {
		t.Errorf("email added: %v", e)
	}
	r = h.do(t, h.TokenA, "PATCH", "/scim/v2/Users/"+id, patchBody(`[{"op":"remove","path":"emails"}]`))
	mustStatus(t, r, 200)
	if r.JSON(t)["emails"] != nil {
		t.Errorf("a user signing in by ref keeps an email SCIM removed: %s", r.Body)
	}
}

// Identity providers rename people whose sign-in name changes: PATCH and
// PUT of userName rename the user, who keeps their id and history, and the
// old name is free.
func TestRename(t *testing.T) {
	h := start(t)
	id := h.mustCreate(t, "kit@old.example", "kit@example.org")
	r := h.do(t, h.TokenA, "PATCH", "/scim/v2/Users/"+id, patchBody(`[{"op":"Replace","path":"userName","value":"kit@new.example"}]`))
	mustStatus(t, r, 200)
	if got := r.JSON(t); got["userName"] != "kit@new.example" || got["id"] != id {
		t.Fatalf("after the rename: %v", got)
	}
	list := h.do(t, h.TokenA, "GET", "/scim/v2/Users?filter="+url.QueryEscape(`userName eq "KIT@NEW.EXAMPLE"`), "").JSON(t)
	if list["totalResults"] != float64(1) {
		t.Fatalf("the new name finds %v users", list["totalResults"])
	}
	r = h.do(t, h.TokenA, "PUT", "/scim/v2/Users/"+id, userBody("kit@third.example", "kit@example.org"))
	if mustStatus(t, r, 200); r.JSON(t)["userName"] != "kit@third.example" {
		t.Fatalf("PUT did not rename: %s", r.Body)
	}
	if other := h.mustCreate(t, "kit@old.example", "kit2@example.org"); other == id {
		t.Fatal("the old name still led to the renamed user")
	}
}

// The answer to a PATCH that removes the manager shows no manager: the
// store's copy of the user must not keep the one it resolved before.
func TestRemoveManagerAnswer(t *testing.T) {
	h := start(t)
	boss := h.mustCreate(t, "boss", "boss@example.org")
	id := h.mustCreate(t, "kit", "kit@example.org")
	path := enterpris + ":manager"
	r := h.do(t, h.TokenA, "PATCH", "/scim/v2/Users/"+id, patchBody(`[{"op":"Add","path":"`+path+`","value":"`+boss+`"}]`))
	mustStatus(t, r, 200)
	if ext, _ := r.JSON(t)[enterpris].(map[string]any); ext == nil || ext["manager"] == nil {
		t.Fatalf("no manager after the add: %s", r.Body)
	}
	r = h.do(t, h.TokenA, "PATCH", "/scim/v2/Users/"+id, patchBody(`[{"op":"Remove","path":"`+path+`"}]`))
	mustStatus(t, r, 200)
	for name, got := range map[string]map[string]any{"PATCH answer": r.JSON(t), "GET": h.do(t, h.TokenA, "GET", "/scim/v2/Users/"+id, "").JSON(t)} {
		if ext, _ := got[enterpris].(map[string]any); ext != nil && ext["manager"] != nil {
			t.Errorf("%s still shows the manager: %v", name, ext)
		}
	}
}
