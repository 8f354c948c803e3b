package scim_test

import (
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lethehq/lethe"
)

const coreGroup = `"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"]`

// total GETs path and returns totalResults.
func (h *harness) total(t *testing.T, token, path string) any {
	t.Helper()
	r := h.do(t, token, "GET", path, "")
	mustStatus(t, r, 200)
	return r.JSON(t)["totalResults"]
}

// mustGroup creates a group of members as tenant A and returns its id.
func (h *harness) mustGroup(t *testing.T, name string, members ...string) string {
	t.Helper()
	var ms []string
	for _, m := range members {
		ms = append(ms, `{"value":"`+m+`"}`)
	}
	r := h.do(t, h.TokenA, "POST", "/scim/v2/Groups", `{`+coreGroup+`,"displayName":"`+name+`","members":[`+strings.Join(ms, ",")+`]}`)
	mustStatus(t, r, 201)
	return r.JSON(t)["id"].(string)
}

// mustBeGone checks that no SCIM path shows the deleted user id (userName
// kit, externalId ext-kit, email kit@example.org) or its membership of group.
func (h *harness) mustBeGone(t *testing.T, id, group string) {
	t.Helper()
	mustSCIMError(t, h.do(t, h.TokenA, "GET", "/scim/v2/Users/"+id, ""), 404, "")
	mustSCIMError(t, h.do(t, h.TokenA, "PATCH", "/scim/v2/Users/"+id, patchBody(`[{"op":"replace","value":{"active":true}}]`)), 404, "")
	mustSCIMError(t, h.do(t, h.TokenA, "PUT", "/scim/v2/Users/"+id, userBody("kit", "kit@example.org")), 404, "")
	mustSCIMError(t, h.do(t, h.TokenA, "DELETE", "/scim/v2/Users/"+id, ""), 404, "")
	for _, f := range []string{`userName eq "kit"`, `externalId eq "ext-kit"`, `emails.value eq "kit@example.org"`,
		`emails co "kit"`, `id eq "` + id + `"`, `name.familyName eq "Marlowe"`, `active eq false`} {
		r := h.do(t, h.TokenA, "GET", "/scim/v2/Users?filter="+url.QueryEscape(f), "")
		if mustStatus(t, r, 200); strings.Contains(string(r.Body), id) || strings.Contains(string(r.Body), "kit@example.org") {
			t.Errorf("filter %s finds the deleted user: %s", f, r.Body)
		}
		r = h.do(t, h.TokenA, "POST", "/scim/v2/Users/.search", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":"`+
			strings.ReplaceAll(f, `"`, `\"`)+`"}`)
		if mustStatus(t, r, 200); strings.Contains(string(r.Body), id) {
			t.Errorf(".search %s finds the deleted user: %s", f, r.Body)
		}
	}
	if n := h.total(t, h.TokenA, "/scim/v2/Users"); n != float64(1) { // the report
		t.Errorf("the unfiltered list counts the deleted user: %v", n)
	}
	g := h.do(t, h.TokenA, "GET", "/scim/v2/Groups/"+group, "")
	if mustStatus(t, g, 200); strings.Contains(string(g.Body), id) {
		t.Errorf("the group still lists the deleted member: %s", g.Body)
	}
	for _, f := range []string{`members.value eq "` + id + `"`, `members pr`} {
		if n := h.total(t, h.TokenA, "/scim/v2/Groups?filter="+url.QueryEscape(f)); n != float64(0) {
			t.Errorf("group filter %s still sees the deleted member: %v", f, n)
		}
	}
}

func TestAttackErasureLeavesNoTrace(t *testing.T) {
	for _, grace := range []int{0, 30} {
		t.Run(map[int]string{0: "erase", 30: "grace"}[grace], func(t *testing.T) {
			h := start(t)
			if _, err := h.settings.UpdateSettings(h.as(h.tenantA), lethe.SettingsUpdate{GraceDays: &grace}); err != nil {
				t.Fatal(err)
			}
			id := h.mustCreate(t, "kit", "kit@example.org", `"externalId":"ext-kit"`)
			group := h.mustGroup(t, "Poets", id)
			rep := h.mustCreate(t, "rep", "rep@example.org", `"`+enterpris+`":{"manager":{"value":"`+id+`"}}`)
			mustStatus(t, h.do(t, h.TokenA, "PATCH", "/scim/v2/Users/"+id, patchBody(`[{"op":"replace","value":{"active":false}}]`)), 200)
			mustStatus(t, h.do(t, h.TokenA, "PATCH", "/scim/v2/Users/"+id, patchBody(`[{"op":"replace","value":{"active":true}}]`)), 200)
			mustStatus(t, h.do(t, h.TokenA, "DELETE", "/scim/v2/Users/"+id, ""), 204)
			h.mustBeGone(t, id, group)
			// A member list naming the deleted id adds nothing back.
			r := h.do(t, h.TokenA, "PATCH", "/scim/v2/Groups/"+group, patchBody(`[{"op":"add","path":"members","value":[{"value":"`+id+`"}]}]`))
			if r.Status >= 500 || strings.Contains(string(h.do(t, h.TokenA, "GET", "/scim/v2/Groups/"+group, "").Body), id) {
				t.Errorf("adding the deleted id to a group: %s", r)
			}
			if grace > 0 {
				h.db.Now = func() time.Time { return time.Now().Add(31 * lethe.Day) }
				if n, err := h.users.RunDueErasures(h.as(h.tenantA)); err != nil || n != 1 {
					t.Fatalf("RunDueErasures = %d, %v", n, err)
				}
				h.mustBeGone(t, id, group)
			}
			e, err := h.users.FindErasure(h.as(h.tenantA), lethe.LearnerID(id))
			if err != nil || e.Source != lethe.SourceSCIM {
				t.Fatalf("the receipt does not name SCIM: %+v %v", e, err)
			}
			again := h.mustCreate(t, "Kit", "kit@example.org")
			got := h.do(t, h.TokenA, "GET", "/scim/v2/Users/"+again, "")
			if again == id || strings.Contains(string(got.Body), "ext-kit") {
				t.Errorf("the reused userName is linked to the erased user: %s", got.Body)
			}
			if g := h.do(t, h.TokenA, "GET", "/scim/v2/Groups/"+group, ""); strings.Contains(string(g.Body), again) {
				t.Errorf("the new user inherited the erased user's group: %s", g.Body)
			}
			if r := h.do(t, h.TokenA, "GET", "/scim/v2/Users/"+rep, ""); strings.Contains(string(r.Body), "manager") {
				t.Errorf("the new user inherited the erased user's reports: %s", r.Body)
			}
		})
	}
}

func TestAttackTenantIsolation(t *testing.T) {
	h := start(t)
	a := h.mustCreate(t, "kit", "kit@example.org", `"externalId":"ext-kit"`)
	group := h.mustGroup(t, "Poets", a)
	b := h.do(t, h.TokenB, "POST", "/scim/v2/Users", userBody("bee", "bee@example.org"))
	mustStatus(t, b, 201)
	bid := b.JSON(t)["id"].(string)
	for _, p := range []string{"/scim/v2/Users/" + a, "/scim/v2/Groups/" + group} {
		mustSCIMError(t, h.do(t, h.TokenB, "GET", p, ""), 404, "")
		mustSCIMError(t, h.do(t, h.TokenB, "PATCH", p, patchBody(`[{"op":"replace","path":"displayName","value":"x"}]`)), 404, "")
		mustSCIMError(t, h.do(t, h.TokenB, "DELETE", p, ""), 404, "")
	}
	mustSCIMError(t, h.do(t, h.TokenB, "PUT", "/scim/v2/Users/"+a, userBody("kit", "kit@example.org")), 404, "")
	mustSCIMError(t, h.do(t, h.TokenB, "PUT", "/scim/v2/Groups/"+group, `{`+coreGroup+`,"displayName":"x"}`), 404, "")
	for _, f := range []string{`id eq "` + a + `"`, `externalId eq "ext-kit"`, `emails.value eq "kit@example.org"`, `userName pr`} {
		q := url.QueryEscape(f)
		if n := h.total(t, h.TokenB, "/scim/v2/Users?filter="+q); n != float64(map[bool]int{true: 1}[f == "userName pr"]) {
			t.Errorf("tenant B filter %s: %v", f, n)
		}
		r := h.do(t, h.TokenB, "POST", "/scim/v2/Users/.search", `{"filter":"`+strings.ReplaceAll(f, `"`, `\"`)+`"}`)
		if strings.Contains(string(r.Body), a) || strings.Contains(string(r.Body), "kit@") {
			t.Errorf("tenant B .search %s: %s", f, r.Body)
		}
	}
	for _, f := range []string{`members.value eq "` + a + `"`, `displayName eq "Poets"`, `id eq "` + group + `"`} {
		if n := h.total(t, h.TokenB, "/scim/v2/Groups?filter="+url.QueryEscape(f)); n != float64(0) {
			t.Errorf("tenant B group filter %s: %v", f, n)
		}
	}
	// Tenant B names tenant A's ids as members and as a manager.
	mustSCIMError(t, h.do(t, h.TokenB, "POST", "/scim/v2/Groups", `{"displayName":"G","members":[{"value":"`+a+`"}]}`), 400, "invalidValue")
	bg := h.do(t, h.TokenB, "POST", "/scim/v2/Groups", `{"displayName":"G"}`)
	mustStatus(t, bg, 201)
	gid := bg.JSON(t)["id"].(string)
	mustSCIMError(t, h.do(t, h.TokenB, "PATCH", "/scim/v2/Groups/"+gid, patchBody(`[{"op":"add","path":"members","value":[{"value":"`+a+`"}]}]`)), 400, "invalidValue")
	mustSCIMError(t, h.do(t, h.TokenB, "PATCH", "/scim/v2/Users/"+bid, patchBody(`[{"op":"add","path":"`+enterpris+`:manager","value":"`+a+`"}]`)), 400, "invalidValue")
	mustSCIMError(t, h.do(t, h.TokenB, "POST", "/scim/v2/Users", userBody("b2", "b2@example.org", `"`+enterpris+`":{"manager":{"value":"`+a+`"}}`)), 400, "invalidValue")
	// A's group and user are untouched.
	if g := h.do(t, h.TokenA, "GET", "/scim/v2/Groups/"+group, "").JSON(t); g["displayName"] != "Poets" || len(g["members"].([]any)) != 1 {
		t.Errorf("tenant A's group changed: %v", g)
	}
	mustStatus(t, h.do(t, h.TokenA, "GET", "/scim/v2/Users/"+a, ""), 200)
	toks, err := h.tokens.FindSCIMTokens(h.as(h.tenantA))
	if err != nil || len(toks) != 1 {
		t.Fatal(toks, err)
	}
	if err := h.tokens.RevokeSCIMToken(h.as("tenant-b"), toks[0].ID); lethe.ErrorCode(err) != lethe.ENotFound {
		t.Errorf("tenant B revoking tenant A's token: %v", err)
	}
	mustStatus(t, h.do(t, h.TokenA, "GET", "/scim/v2/Users/"+a, ""), 200)
}

func TestAttackConcurrency(t *testing.T) {
	h := start(t)
	var ids []string
	for i := range 20 {
		ids = append(ids, h.mustCreate(t, "u"+string(rune('a'+i)), "u"+string(rune('a'+i))+"@example.org"))
	}
	group := h.mustGroup(t, "All")
	statuses := make(chan int, 20)
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Go(func() {
			statuses <- h.do(t, h.TokenA, "PATCH", "/scim/v2/Groups/"+group,
				patchBody(`[{"op":"add","path":"members","value":[{"value":"`+id+`"}]}]`)).Status
		})
	}
	wg.Wait()
	close(statuses)
	for s := range statuses {
		if s != 200 && s != 204 {
			t.Errorf("group PATCH: %d", s)
		}
	}
	g := h.do(t, h.TokenA, "GET", "/scim/v2/Groups/"+group, "").JSON(t)
	if m, _ := g["members"].([]any); len(m) != 20 {
		t.Errorf("%d of 20 concurrent member adds landed", len(m))
	}
	created := make(chan *res, 20)
	for range 20 {
		wg.Go(func() { created <- h.do(t, h.TokenA, "POST", "/scim/v2/Users", userBody("same", "same@example.org")) })
	}
	wg.Wait()
	close(created)
	n := map[int]int{}
	for r := range created {
		n[r.Status]++
		if r.Status == 409 && !strings.Contains(string(r.Body), "uniqueness") {
			t.Errorf("409 without uniqueness: %s", r.Body)
		}
	}
	if n[201] != 1 || n[409] != 19 {
		t.Errorf("20 concurrent creates of one userName: %v", n)
	}
	for i := range 10 {
		id := h.mustCreate(t, "race"+string(rune('a'+i)), "race"+string(rune('a'+i))+"@example.org")
		wg.Go(func() { h.do(t, h.TokenA, "PUT", "/scim/v2/Users/"+id, userBody("racer", "racer@example.org")) })
		wg.Go(func() { h.do(t, h.TokenA, "DELETE", "/scim/v2/Users/"+id, "") })
		wg.Wait()
		mustSCIMError(t, h.do(t, h.TokenA, "GET", "/scim/v2/Users/"+id, ""), 404, "")
		u, err := h.users.FindUser(h.as(h.tenantA), lethe.ByID(lethe.LearnerID(id)))
		if err != nil || !u.Deleted() || u.Person != nil {
			t.Fatalf("a PUT racing a DELETE resurrected the user: %+v %v", u, err)
		}
	}
}

// badReq is a request of TestAttackBadInputNever500; ctype "-" sends no
// Content-Type.
type badReq struct{ method, path, body, ctype string }

// badRequests are hostile requests against user id and group.
func badRequests(id, group string) []badReq {
	var many []string
	for range 10000 {
		many = append(many, `{"value":"`+id+`"}`)
	}
	deep := strings.Repeat(`{"a":`, 5000) + "1" + strings.Repeat("}", 5000)
	huge := "/scim/v2/Users?filter=" + url.QueryEscape(strings.Repeat(`userName eq "kit@example.org" or `, 2000)+`userName eq "x"`)
	reqs := []badReq{
		{"GET", huge, "", ""},
		{"GET", "/scim/v2/Users?filter=" + url.QueryEscape(strings.Repeat("(", 3000)+`userName eq "x"`+strings.Repeat(")", 3000)), "", ""},
		{"POST", "/scim/v2/Users", deep, ""},
		{"POST", "/scim/v2/Users", `{"userName":"a` + "\xff\xfe" + `","emails":[{"value":"a@example.org"}]}`, ""},
		{"POST", "/scim/v2/Users", userBody("nul\\u0000name", "nul@example.org"), ""},
		{"POST", "/scim/v2/Users", userBody("nul2", "nul2@example.org", `"title":"a\u0000b"`), ""},
		{"POST", "/scim/v2/Users", userBody("nul3", "nul3@example.org", `"externalId":"a\u0000b"`), ""},
		{"POST", "/scim/v2/Users", `{"userName":["x"],"name":5,"emails":[5],"active":{}}`, ""},
		{"POST", "/scim/v2/Users", userBody("num", "num@example.org", `"title":5,"timezone":1.5,"preferredLanguage":true`), ""},
		{"POST", "/scim/v2/Users", userBody("num2", "num2@example.org", `"externalId":12`), ""},
		{"POST", "/scim/v2/Users", userBody("num3", "num3@example.org", `"`+enterpris+`":{"manager":5,"department":{"x":1}}`), ""},
		{"POST", "/scim/v2/Users", userBody("num4", "num4@example.org", `"`+enterpris+`":"x"`), ""},
		{"POST", "/scim/v2/Groups", `{"displayName":"G","members":[{"value":5}]}`, ""},
		{"POST", "/scim/v2/Groups", `{"displayName":"G` + "\u0000" + `"}`, ""},
		{"POST", "/scim/v2/Groups", `{"displayName":5}`, ""},
		{"POST", "/scim/v2/Groups", `{"displayName":"G","externalId":"e\u0000"}`, ""},
		{"PATCH", "/scim/v2/Groups/" + group, patchBody(`[{"op":"add","path":"members","value":[` + strings.Join(many, ",") + `]}]`), ""},
		{"PATCH", "/scim/v2/Groups/" + group, patchBody(`[{"op":"remove","path":"members[value eq 5]"}]`), ""},
		{"PATCH", "/scim/v2/Groups/" + group, patchBody(`[{"op":"remove","path":"members[value eq \"\u0000\"]"}]`), ""},
		{"PATCH", "/scim/v2/Groups/" + group, patchBody(`[{"op":"replace","path":"members","value":"x"}]`), ""},
		{"PATCH", "/scim/v2/Groups/" + group, patchBody(`[{"op":"add","value":{"members":5}}]`), ""},
		{"PATCH", "/scim/v2/Users/" + id, patchBody(`[{"op":"replace","path":"emails[type eq ]","value":"x"}]`), ""},
		{"PATCH", "/scim/v2/Users/" + id, patchBody(`[{"op":"replace","path":"emails[type eq \"work\" and (]","value":"x"}]`), ""},
		{"PATCH", "/scim/v2/Users/" + id, patchBody(`[{"op":"replace","path":"emails[value co \"a\"].value.x","value":"x"}]`), ""},
		{"PATCH", "/scim/v2/Users/" + id, patchBody(`[{"op":"replace","path":"name[givenName eq \"Kit\"]","value":"x"}]`), ""},
		{"PATCH", "/scim/v2/Users/" + id, patchBody(`[{"op":"replace","path":"` + enterpris + `:manager.value","value":5}]`), ""},
		{"PATCH", "/scim/v2/Users/" + id, patchBody(`[{"op":"replace","path":"` + enterpris + `:manager","value":{"value":["x"]}}]`), ""},
		{"PATCH", "/scim/v2/Users/" + id, patchBody(`[{"op":"replace","path":"emails","value":[{"value":5}]}]`), ""},
		{"PATCH", "/scim/v2/Users/" + id, patchBody(`[{"op":"replace","path":"name","value":"x"}]`), ""},
		{"PATCH", "/scim/v2/Users/" + id, patchBody(`[{"op":"replace","path":"name.givenName","value":{"a":1}}]`), ""},
		{"PATCH", "/scim/v2/Users/" + id, patchBody(`[{"op":5,"path":"title","value":"x"}]`), ""},
		{"PATCH", "/scim/v2/Users/" + id, patchBody(`[{"op":"replace","path":5,"value":"x"}]`), ""},
		{"PATCH", "/scim/v2/Users/" + id, patchBody(`[{"op":"replace","value":5}]`), ""},
		{"PATCH", "/scim/v2/Users/" + id, patchBody(`[{"op":"replace","value":{"userName":null}}]`), ""},
		{"PATCH", "/scim/v2/Users/" + id, patchBody(`[{"op":"remove","path":"userName"}]`), ""},
		{"PATCH", "/scim/v2/Users/" + id, patchBody(`[{"op":"replace","path":"externalId","value":"` + strings.Repeat("é", 70000) + `"}]`), ""},
		{"PATCH", "/scim/v2/Users/" + id, patchBody(`[{"op":"replace","path":"title","value":"` + strings.Repeat("x", 900000) + `"}]`), ""},
		{"PATCH", "/scim/v2/Users/" + id, patchBody(`null`), ""},
		{"PATCH", "/scim/v2/Users/" + id, `{"Operations":[null]}`, ""},
		{"PUT", "/scim/v2/Users/" + id, `{"userName":"kit","emails":[{"value":"kit@example.org"}],"active":"False"}`, ""},
		{"PUT", "/scim/v2/Users/" + id, `{}`, ""},
		{"PUT", "/scim/v2/Groups/" + group, `{"displayName":"G","members":null}`, ""},
		{"POST", "/scim/v2/Users/.search", `{"startIndex":"x","count":1e300,"sortBy":5,"attributes":"x"}`, ""},
		{"POST", "/scim/v2/Users/.search", `{"startIndex":-9223372036854775808,"count":9223372036854775807}`, ""},
		{"POST", "/scim/v2/Users/.search", `{"startIndex":1.5,"count":-1}`, ""},
		{"POST", "/scim/v2/Groups/.search", `{"filter":"members[value eq \"x\"]"}`, ""},
		{"POST", "/scim/v2/Users", userBody("ct", "ct@example.org"), "-"},
		{"POST", "/scim/v2/Users", userBody("ct2", "ct2@example.org"), "application/json; charset=utf-8"},
		{"POST", "/scim/v2/Users", userBody("ct3", "ct3@example.org"), ";;;"},
		{"POST", "/scim/v2/Users", userBody("ct4", "ct4@example.org"), "application/scim+json; charset=latin1"},
		{"PATCH", "/scim/v2/Users/" + id, "", ""},
	}
	for _, q := range []string{"startIndex=-1", "startIndex=0", "startIndex=9223372036854775807", "startIndex=9223372036854775808",
		"count=-5", "count=9223372036854775807", "count=99999999999999999999", "startIndex=9223372036854775807&count=9223372036854775807",
		"attributes=" + url.QueryEscape("!!,,urn:x:,emails[type eq \"w\"],meta.version.x"), "excludedAttributes=" + url.QueryEscape("id,,,:"),
		"sortOrder=sideways", "sortBy=" + url.QueryEscape("emails[type eq \"work\"]"), "filter=" + url.QueryEscape(`emails[type eq "work" and value co "@"]`),
		"filter=" + url.QueryEscape(`meta.created gt "2026-01-01T00:00:00Z" and meta.lastModified le "9999-12-31T23:59:59Z"`),
		"filter=" + url.QueryEscape(`meta.created gt "-99999-01-01T00:00:00Z"`), "filter=" + url.QueryEscape(`userName eq "a\u0000b"`),
		"filter=" + url.QueryEscape("userName eq \"\xff\""), "filter=" + url.QueryEscape(`userName eq 5`), "filter=" + url.QueryEscape(`userName eq null`),
		"filter=" + url.QueryEscape(`active eq "False"`), "filter=" + url.QueryEscape(`emails.value gt "a"`), "filter=" + url.QueryEscape(`urn:x:y eq "z"`)} {
		reqs = append(reqs, badReq{"GET", "/scim/v2/Users?" + q, "", ""}, badReq{"GET", "/scim/v2/Groups?" + q, "", ""})
	}
	for _, a := range []string{"id", "userName", "externalId", "emails.value", "name.givenName", "name.familyName", "displayName", "title",
		"active", "meta.created", "meta.lastModified", "members.value", "members", "emails", "name", "nope", enterpris + ":department"} {
		reqs = append(reqs, badReq{"GET", "/scim/v2/Users?sortBy=" + url.QueryEscape(a), "", ""}, badReq{"GET", "/scim/v2/Groups?sortBy=" + url.QueryEscape(a) + "&sortOrder=descending", "", ""})
	}
	return reqs
}

func TestAttackBadInputNever500(t *testing.T) {
	h := start(t)
	id := h.mustCreate(t, "kit", "kit@example.org", `"externalId":"secret-ext"`)
	group := h.mustGroup(t, "Poets", id)
	reqs := badRequests(id, group)
	for _, q := range reqs {
		hdr := []string{}
		if q.ctype == "-" {
			hdr = []string{"Content-Type", ""}
		} else if q.ctype != "" {
			hdr = []string{"Content-Type", q.ctype}
		}
		r := h.do(t, h.TokenA, q.method, q.path, q.body, hdr...)
		label := q.method + " " + q.path
		if len(label) > 120 {
			label = label[:120]
		}
		if r.Status >= 500 {
			t.Errorf("%s (%.80s): %s", label, q.body, r)
			continue
		}
		if r.Status >= 400 {
			st, _ := r.JSON(t)["scimType"].(string)
			mustSCIMError(t, r, r.Status, st)
		}
	}
	logs := h.Logs.String()
	for _, secret := range []string{"kit@example.org", "secret-ext", "Marlowe", `"Kit"`} {
		if strings.Contains(logs, secret) {
			t.Errorf("the logs carry %q", secret)
		}
	}
}

// TestAttackQuirks walks the rows of the Okta/Entra table of
// research/go-ecosystem.md §1 that the replays do not cover.
func TestAttackQuirks(t *testing.T) {
	h := start(t)
	r := h.do(t, h.TokenA, "POST", "/scim/v2/Users", `{`+coreUser+`,"UserName":"kit","Name":{"GivenName":"Kit","FamilyName":"Marlowe"},`+
		`"Emails":[{"Value":"kit@example.org","Type":"work","Primary":"True"}],"Active":"True","ExternalId":"ext-kit"}`)
	mustStatus(t, r, 201)
	id := r.JSON(t)["id"].(string)
	got := h.do(t, h.TokenA, "GET", "/scim/v2/Users/"+id, "").JSON(t)
	if got["userName"] != "kit" || got["active"] != true || got["externalId"] != "ext-kit" ||
		got["name"].(map[string]any)["familyName"] != "Marlowe" || !strings.Contains(string(h.do(t, h.TokenA, "GET", "/scim/v2/Users/"+id, "").Body), "kit@example.org") {
		t.Errorf("mixed-case attribute names are not read: %v", got)
	}
	group := h.mustGroup(t, "Poets", id)
	for _, p := range []string{
		"/scim/v2/users?filter=" + url.QueryEscape(`UserName eq "KIT"`),
		"/scim/v2/Users/?filter=" + url.QueryEscape(`name.FamilyName eq "marlowe"`),
		"/scim/v2/USERS?filter=" + url.QueryEscape(`Emails.Value eq "Kit@Example.org"`),
		"/scim/v2/Users?filter=" + url.QueryEscape(`ExternalId eq "ext-kit"`),
		"/scim/v2/Users?filter=" + url.QueryEscape(`Active eq true`),
		"/scim/v2/Users?filter=" + url.QueryEscape(`active eq true`) + "&startIndex=1&count=100",
		"/scim/v2/groups/?filter=" + url.QueryEscape(`DisplayName eq "poets"`),
		"/scim/v2/Groups?filter=" + url.QueryEscape(`Members[Value eq "`+id+`"]`),
	} {
		if n := h.total(t, h.TokenA, p); n != float64(1) {
			t.Errorf("GET %s: totalResults %v, want 1", p, n)
		}
	}
	// Entra's string booleans, capitalised ops and a deactivated user read back.
	mustStatus(t, h.do(t, h.TokenA, "PATCH", "/scim/v2/Users/"+id, patchBody(`[{"op":"Replace","path":"Active","value":"False"}]`)), 200)
	if got := h.do(t, h.TokenA, "GET", "/scim/v2/Users?filter="+url.QueryEscape(`userName eq "kit"`), "").JSON(t); got["totalResults"] != float64(1) ||
		got["Resources"].([]any)[0].(map[string]any)["active"] != false {
		t.Errorf("the deactivated user is not found with active false: %v", got)
	}
	mustStatus(t, h.do(t, h.TokenA, "PUT", "/scim/v2/Users/"+id, userBody("kit", "kit@example.org", `"active":true`)), 200)
	// Okta's PUT-style deprovisioning.
	r = h.do(t, h.TokenA, "PUT", "/scim/v2/Users/"+id, strings.Replace(userBody("kit", "kit@example.org"), `"active":true`, `"active":false`, 1))
	if mustStatus(t, r, 200); r.JSON(t)["active"] != false {
		t.Errorf("PUT active false: %s", r.Body)
	}
	g := h.do(t, h.TokenA, "GET", "/scim/v2/Groups/"+group, "").JSON(t)
	if m, _ := g["members"].([]any); len(m) != 1 || m[0].(map[string]any)["display"] == nil {
		t.Errorf("GET /Groups/{id}: members without display: %v", g)
	}
	if g := h.do(t, h.TokenA, "GET", "/scim/v2/Groups/"+group+"?excludedAttributes=members", "").JSON(t); g["members"] != nil {
		t.Errorf("excludedAttributes=members: %v", g)
	}
	mustStatus(t, h.do(t, h.TokenA, "GET", "/scim/v2/serviceConfiguration", ""), 200)
	mustStatus(t, h.do(t, h.TokenA, "GET", "/scim/v2/ServiceProviderConfig/", ""), 200)
}

// A manager whose erasure is scheduled is gone for SCIM: their reports no
// longer show them (id and name) as manager.
func TestAttackScheduledManagerHidden(t *testing.T) {
	h := start(t)
	grace := 30
	if _, err := h.settings.UpdateSettings(h.as(h.tenantA), lethe.SettingsUpdate{GraceDays: &grace}); err != nil {
		t.Fatal(err)
	}
	boss := h.mustCreate(t, "boss", "boss@example.org")
	rep := h.mustCreate(t, "rep", "rep@example.org", `"`+enterpris+`":{"manager":{"value":"`+boss+`"}}`)
	if !strings.Contains(string(h.do(t, h.TokenA, "GET", "/scim/v2/Users/"+rep, "").Body), boss) {
		t.Fatal("the manager is not shown to begin with")
	}
	mustStatus(t, h.do(t, h.TokenA, "DELETE", "/scim/v2/Users/"+boss, ""), 204)
	get := h.do(t, h.TokenA, "GET", "/scim/v2/Users/"+rep, "")
	for i, r := range []*res{get,
		h.do(t, h.TokenA, "GET", "/scim/v2/Users?filter="+url.QueryEscape(`userName eq "rep"`), ""),
		h.do(t, h.TokenA, "GET", "/scim/v2/Users?filter="+url.QueryEscape(`userName sw "re"`), ""),
		h.do(t, h.TokenA, "POST", "/scim/v2/Users/.search", `{"filter":"userName eq \"rep\""}`),
		h.do(t, h.TokenA, "PATCH", "/scim/v2/Users/"+rep, patchBody(`[{"op":"replace","path":"title","value":"Clerk"}]`), "If-Match", get.Header.Get("ETag")),
		h.do(t, h.TokenA, "PUT", "/scim/v2/Users/"+rep, userBody("rep", "rep@example.org", `"title":"Scribe"`)),
	} {
		if r.Status != 200 || strings.Contains(string(r.Body), boss) {
			t.Errorf("request %d: a report shows the manager whose erasure is scheduled: %s", i, r)
		}
	}
}

// Filter semantics agree on both databases: case, LIKE wildcards in
// values, missing attributes under ne and not.
func TestAttackFilterSemantics(t *testing.T) {
	h := start(t)
	kit := h.mustCreate(t, "kit_1", "Kit.M@Example.org", `"externalId":"Ext%1"`, `"title":"Poet"`)
	other := h.mustCreate(t, "kitx1", "other@example.org")
	for f, want := range map[string][]string{
		`emails.value co "KIT"`:                             {kit},
		`emails.value sw "kit.m@"`:                          {kit},
		`emails.value ew "EXAMPLE.ORG"`:                     {kit, other},
		`emails.value eq "KIT.M@example.ORG"`:               {kit},
		`userName co "_"`:                                   {kit},
		`userName sw "KIT_"`:                                {kit},
		`externalId sw "Ext%"`:                              {kit},
		`externalId sw "ext%"`:                              {},
		`externalId co "%"`:                                 {kit},
		`title ne "Poet"`:                                   {other},
		`not (title eq "Poet")`:                             {other},
		`not (title pr)`:                                    {other},
		`not (externalId pr)`:                               {other},
		`externalId ne "Ext%1"`:                             {other},
		`title co "oe" or externalId eq "nope"`:             {kit},
		`name.givenName eq "kit" and not (userName ew "1")`: {},
	} {
		r := h.do(t, h.TokenA, "GET", "/scim/v2/Users?filter="+url.QueryEscape(f), "")
		mustStatus(t, r, 200)
		var got []string
		for _, u := range r.JSON(t)["Resources"].([]any) {
			got = append(got, u.(map[string]any)["id"].(string))
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("filter %s = %v, want %v", f, got, want)
		}
	}
}

// A userName with non-ASCII letters is found by the look-up an identity
// provider makes before it creates (on PostgreSQL the ref column's "C"
// collation folded only ASCII while the value was folded fully: the
// look-up found nothing and the create was 409, a sync stuck for good).
func TestAttackNonASCIIUserName(t *testing.T) {
	h := start(t)
	id := h.mustCreate(t, "ÉVA.Ünal", "eva@example.org")
	for _, f := range []string{`userName eq "ÉVA.Ünal"`, `userName eq "Éva.Ünal"`, `userName sw "ÉVA"`, `userName ew "ÜNAL"`,
		`userName co "A.Ü"`, `userName eq "ÉVA.Ünal" and active eq true`} {
		r := h.do(t, h.TokenA, "GET", "/scim/v2/Users?filter="+url.QueryEscape(f), "")
		if mustStatus(t, r, 200); r.JSON(t)["totalResults"] != float64(1) || !strings.Contains(string(r.Body), id) {
			t.Errorf("filter %s: %s", f, r.Body)
		}
	}
	for _, name := range []string{"ÉVA.Ünal", "Éva.Ünal"} {
		mustSCIMError(t, h.do(t, h.TokenA, "POST", "/scim/v2/Users", userBody(name, "eva2@example.org")), 409, "uniqueness")
	}
}

// Concurrent creates that clash by case, renames onto one userName and
// groups of one externalId: exactly one wins, the rest are 409 uniqueness.
func TestAttackConcurrentUniqueness(t *testing.T) {
	h := start(t)
	var ids []string
	for i := range 10 {
		ids = append(ids, h.mustCreate(t, "r"+string(rune('a'+i)), "r"+string(rune('a'+i))+"@example.org"))
	}
	var wg sync.WaitGroup
	run := func(name string, n int, req func(i int) *res) {
		t.Helper()
		out := make(chan *res, n)
		for i := range n {
			wg.Go(func() { out <- req(i) })
		}
		wg.Wait()
		close(out)
		count := map[int]int{}
		for r := range out {
			count[r.Status]++
			if r.Status == 409 && !strings.Contains(string(r.Body), `"uniqueness"`) {
				t.Errorf("%s: 409 without uniqueness: %s", name, r.Body)
			}
			if r.Status >= 500 {
				t.Errorf("%s: %s", name, r)
			}
		}
		if count[409] != n-1 || count[200]+count[201] != 1 {
			t.Errorf("%s: %v, want one success and %d 409", name, count, n-1)
		}
	}
	run("creates by case", 10, func(i int) *res {
		name := "Bob"
		if i%2 == 1 {
			name = "bOB"
		}
		return h.do(t, h.TokenA, "POST", "/scim/v2/Users", userBody(name, "bob"+string(rune('a'+i))+"@example.org"))
	})
	run("renames", 10, func(i int) *res {
		return h.do(t, h.TokenA, "PATCH", "/scim/v2/Users/"+ids[i], patchBody(`[{"op":"replace","path":"userName","value":"`+[]string{"Same", "SAME"}[i%2]+`"}]`))
	})
	run("groups", 10, func(i int) *res {
		return h.do(t, h.TokenA, "POST", "/scim/v2/Groups", `{"displayName":"G","externalId":"grp-1"}`)
	})
}

// Under a grace period a PUT with active true racing the DELETE never
// cancels the scheduled erasure: the user stays gone for SCIM.
func TestAttackPutRacingGraceDelete(t *testing.T) {
	h := start(t)
	grace := 30
	if _, err := h.settings.UpdateSettings(h.as(h.tenantA), lethe.SettingsUpdate{GraceDays: &grace}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 10 {
		name := "race" + string(rune('a'+i))
		id := h.mustCreate(t, name, name+"@example.org")
		mustStatus(t, h.do(t, h.TokenA, "PATCH", "/scim/v2/Users/"+id, patchBody(`[{"op":"replace","path":"active","value":false}]`)), 200)
		wg.Go(func() {
			h.do(t, h.TokenA, "PUT", "/scim/v2/Users/"+id, userBody(name, name+"@example.org", `"active":true`))
		})
		wg.Go(func() { h.do(t, h.TokenA, "DELETE", "/scim/v2/Users/"+id, "") })
		wg.Wait()
		mustSCIMError(t, h.do(t, h.TokenA, "GET", "/scim/v2/Users/"+id, ""), 404, "")
		if u, err := h.users.FindUser(h.as(h.tenantA), lethe.ByID(lethe.LearnerID(id))); err != nil || u.State != lethe.StateSuspended {
			t.Fatalf("a PUT racing a DELETE under a grace period reactivated the user: %+v %v", u, err)
		}
	}
}
