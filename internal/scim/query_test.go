package scim_test

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func TestListPagingSearchAndProjection(t *testing.T) {
	h := start(t)
	var ids []string
	for i := range 5 {
		ids = append(ids, h.mustCreate(t, fmt.Sprintf("user%d", i), fmt.Sprintf("user%d@example.org", i), fmt.Sprintf(`"title":"T%d"`, 4-i)))
	}
	slices.Sort(ids) // lists are in id order; ids made in one millisecond sort at random
	page := h.do(t, h.TokenA, "GET", "/scim/v2/Users?startIndex=2&count=2", "").JSON(t)
	res := page["Resources"].([]any)
	if page["totalResults"] != float64(5) || page["itemsPerPage"] != float64(2) || page["startIndex"] != float64(2) ||
		res[0].(map[string]any)["id"] != ids[1] || res[1].(map[string]any)["id"] != ids[2] {
		t.Errorf("page: %v", page)
	}
	zero := h.do(t, h.TokenA, "GET", "/scim/v2/Users?count=0", "").JSON(t)
	if zero["totalResults"] != float64(5) || len(zero["Resources"].([]any)) != 0 {
		t.Errorf("count=0: %v", zero)
	}
	low := h.do(t, h.TokenA, "GET", "/scim/v2/Users?startIndex=-3&count=1", "").JSON(t)
	if low["startIndex"] != float64(1) || low["Resources"].([]any)[0].(map[string]any)["id"] != ids[0] {
		t.Errorf("startIndex below 1: %v", low)
	}
	sorted := h.do(t, h.TokenA, "GET", "/scim/v2/Users?sortBy=title&sortOrder=descending&count=1", "").JSON(t)
	if sorted["Resources"].([]any)[0].(map[string]any)["title"] != "T4" {
		t.Errorf("sortBy: %v", sorted)
	}
	q := url.Values{"filter": {`userName sw "USER" and not (title eq "T0")`}, "attributes": {"userName,emails.value"}}
	r := h.do(t, h.TokenA, "GET", "/scim/v2/Users?"+q.Encode(), "").JSON(t)
	if r["totalResults"] != float64(4) {
		t.Errorf("filter: %v", r)
	}
	for _, e := range r["Resources"].([]any) {
		m := e.(map[string]any)
		if len(m) != 4 || m["title"] != nil || m["id"] == nil || m["schemas"] == nil || m["userName"] == nil {
			t.Errorf("attributes: %v", m)
		}
	}
	search := h.do(t, h.TokenA, "POST", "/scim/v2/Users/.search", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],`+
		`"filter":"emails.value ew \"3@example.org\" or userName eq \"user1\"","excludedAttributes":["emails","meta"],"sortBy":"userName","sortOrder":"descending","startIndex":1,"count":10}`)
	mustStatus(t, search, 200)
	s := search.JSON(t)
	res = s["Resources"].([]any)
	if s["totalResults"] != float64(2) || len(res) != 2 || res[0].(map[string]any)["userName"] != "user3" ||
		res[0].(map[string]any)["emails"] != nil || res[0].(map[string]any)["meta"] != nil {
		t.Errorf(".search: %s", search.Body)
	}
	for _, p := range []string{"/scim/v2/users/", "/SCIM/V2/USERS?filter=userName%20eq%20%22user1%22", "/scim/v2/Users/?filter=DisplayName+eq+%22Kit+Marlowe%22"} {
		mustStatus(t, h.do(t, h.TokenA, "GET", p, ""), 200)
	}
}

func TestDiscovery(t *testing.T) {
	h := start(t)
	for _, p := range []string{"/scim/v2/ServiceProviderConfig", "/scim/v2/serviceConfiguration", "/scim/v2/ResourceTypes", "/scim/v2/ResourceTypes/User",
		"/scim/v2/Schemas", "/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", "/scim/v2/schemas/urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"} {
		mustStatus(t, h.do(t, h.TokenA, "GET", p, ""), 200)
	}
	cfg := h.do(t, h.TokenA, "GET", "/scim/v2/ServiceProviderConfig", "").JSON(t)
	if cfg["patch"].(map[string]any)["supported"] != true || cfg["bulk"].(map[string]any)["supported"] != false ||
		cfg["filter"].(map[string]any)["maxResults"] != float64(1000) {
		t.Errorf("ServiceProviderConfig: %v", cfg)
	}
	types := h.do(t, h.TokenA, "GET", "/scim/v2/ResourceTypes", "").JSON(t)
	if types["totalResults"] != float64(2) {
		t.Errorf("ResourceTypes: %v", types)
	}
	user := h.do(t, h.TokenA, "GET", "/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", "").JSON(t)
	found := false
	for _, a := range user["attributes"].([]any) {
		if m := a.(map[string]any); m["name"] == "userName" {
			found = m["uniqueness"] == "server" && m["caseExact"] == false && m["required"] == true
		}
	}
	if !found {
		t.Errorf("userName in the User schema: %v", user)
	}
	mustSCIMError(t, h.do(t, h.TokenA, "GET", "/scim/v2/Schemas/urn:example", ""), 404, "")
	mustSCIMError(t, h.do(t, h.TokenA, "GET", "/scim/v2/ResourceTypes/Device", ""), 404, "")
	mustSCIMError(t, h.do(t, h.TokenA, "POST", "/scim/v2/Schemas", "{}"), 405, "")
}

func TestLogsNameRoutesNotValues(t *testing.T) {
	h := start(t)
	id := h.mustCreate(t, "kit", "kit.secret@example.org")
	h.do(t, h.TokenA, "GET", "/scim/v2/Users?filter="+url.QueryEscape(`emails.value eq "kit.secret@example.org"`), "")
	h.do(t, h.TokenA, "PATCH", "/scim/v2/Users/"+id, patchBody(`[{"op":"replace","path":"name.familyName","value":"Secretname"}]`))
	h.do(t, h.TokenA, "GET", "/scim/v2/Users?filter="+url.QueryEscape(`userName eq "kit.secret@example.org" and`), "")
	logs := h.Logs.String()
	for _, want := range []string{`"route":"scim /Users"`, `"route":"scim /Users/{id}"`, `"filter":"emails.value eq ?"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
	for _, secret := range []string{"kit.secret", "Secretname", id, h.TokenA} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs carry %q:\n%s", secret, logs)
		}
	}
}

func TestProjectionOfWrites(t *testing.T) {
	h := start(t)
	r := h.do(t, h.TokenA, "POST", "/scim/v2/Users?attributes=userName", userBody("kit", "kit@example.org"))
	mustStatus(t, r, 201)
	m := r.JSON(t)
	if len(m) != 3 || m["userName"] != "kit" {
		t.Errorf("POST with attributes: %s", r.Body)
	}
	id := m["id"].(string)
	r = h.do(t, h.TokenA, "PATCH", "/scim/v2/Users/"+id+"?excludedAttributes=emails,name", patchBody(`[{"op":"replace","path":"active","value":false}]`))
	mustStatus(t, r, 200)
	if m := r.JSON(t); m["emails"] != nil || m["name"] != nil || m["active"] != false {
		t.Errorf("PATCH with excludedAttributes: %s", r.Body)
	}
	r = h.do(t, h.TokenA, "POST", "/scim/v2/Groups?excludedAttributes=members", `{"displayName":"G","members":[{"value":"`+id+`"}]}`)
	mustStatus(t, r, 201)
	if m := r.JSON(t); m["members"] != nil || m["displayName"] != "G" {
		t.Errorf("POST /Groups with excludedAttributes: %s", r.Body)
	}
}
