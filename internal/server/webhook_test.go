package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
)

// Webhook subscriptions, their deliveries and attempts at
// /lethe/v1/webhooks.

// subscriptionKeys are the members of a subscription: never its secret.
var subscriptionKeys = []string{"id", "url", "types", "enabled", "hasSecret", "disabledReason", "failingSince", "createdAt", "updatedAt"}

// deliveryKeys are the members of a delivery.
var deliveryKeys = []string{"id", "eventId", "eventType", "subscriptionId", "state", "attempts", "nextAttemptAt", "deliveredAt",
	"lastStatus", "lastError", "createdAt"}

// mustSubscribe creates a subscription of tenant as and returns it.
func (s *testServer) mustSubscribe(tb testing.TB, as Tenant, body string) map[string]any {
	tb.Helper()
	got := s.MustOK(tb, as, http.StatusCreated, "POST", "/lethe/v1/webhooks/subscriptions", body)
	MustKeys(tb, got, subscriptionKeys...)
	if id, _ := got["id"].(string); !strings.HasPrefix(id, "sub_") {
		tb.Fatalf("subscription id = %v", got["id"])
	}
	return got
}

// deliveries answers a paged list of deliveries and returns its results.
func (s *testServer) deliveries(tb testing.TB, as Tenant, path string) ([]map[string]any, map[string]any) {
	tb.Helper()
	page := s.MustOK(tb, as, http.StatusOK, "GET", path, "")
	var out []map[string]any
	for _, d := range page["results"].([]any) {
		m := d.(map[string]any)
		MustKeys(tb, m, deliveryKeys...)
		out = append(out, m)
	}
	return out, page["pagination"].(map[string]any)
}

// mustAttemptAll has the store lease every due delivery and record one
// attempt of each, answered status with response.
func (s *testServer) mustAttemptAll(tb testing.TB, status int, response string) int {
	tb.Helper()
	ctx := context.Background()
	w := sqldb.NewWebhookService(s.db)
	due, err := w.ClaimDeliveries(ctx, "test", 100, time.Minute, nil)
	if err != nil {
		tb.Fatal(err)
	}
	var results []lethe.DeliveryResult
	for _, d := range due {
		results = append(results, lethe.DeliveryResult{TenantID: d.TenantID, DeliveryID: d.ID, At: s.Clock.Now(), Status: status,
			LatencyMS: 12, Response: response})
	}
	if err := w.FinishDeliveries(ctx, results); err != nil {
		tb.Fatal(err)
	}
	return len(due)
}

func TestWebhookSubscriptions(t *testing.T) {
	s := MustStartServer(t)
	const secret = "canary-secret-5d1e"
	var bodies []*response // every answer: none may carry the secret
	do := func(as Tenant, method, path, body string) *response {
		t.Helper()
		res := s.Do(t, as, method, path, body)
		bodies = append(bodies, res)
		return res
	}
	res := do(s.A, "POST", "/lethe/v1/webhooks/subscriptions",
		`{"url":"https://hooks.example.com/lethe","types":["user_subscription","completion_subscription"],"secret":"`+secret+`","other":1}`)
	MustStatus(t, res, http.StatusCreated)
	sub := res.Object(t)
	MustKeys(t, sub, subscriptionKeys...)
	id := sub["id"].(string)
	MustDiff(t, "created", map[string]any{"id": id, "url": "https://hooks.example.com/lethe",
		"types": []any{"user_subscription", "completion_subscription"}, "enabled": true, "hasSecret": true,
		"disabledReason": nil, "failingSince": nil, "createdAt": T0, "updatedAt": T0}, sub)
	path := "/lethe/v1/webhooks/subscriptions/" + id
	t.Run("OKRead", func(t *testing.T) {
		MustDiff(t, "GET", sub, s.MustOK(t, s.A, http.StatusOK, "GET", path, ""))
		list := do(s.A, "GET", "/lethe/v1/webhooks/subscriptions", "")
		MustStatus(t, list, http.StatusOK)
		MustDiff(t, "list", []any{sub}, mustArray(t, list))
	})
	t.Run("OKPatch", func(t *testing.T) {
		later := s.Clock.Advance(time.Minute).Format("2006-01-02T15:04:05.000Z")
		res := do(s.A, "PATCH", path, `{"enabled":false}`)
		MustStatus(t, res, http.StatusOK)
		got := res.Object(t)
		if got["enabled"] != false || got["updatedAt"] != later || got["createdAt"] != T0 || got["hasSecret"] != true ||
			got["disabledReason"] != nil {
			t.Errorf("disabled = %v", got)
		}
		MustDiff(t, "GET after disabling", got, s.MustOK(t, s.A, http.StatusOK, "GET", path, ""))
		res = do(s.A, "PATCH", path, `{"secret":""}`)
		MustStatus(t, res, http.StatusOK)
		if got := res.Object(t); got["hasSecret"] != false || got["enabled"] != false {
			t.Errorf("secret removed = %v", got)
		}
		res = do(s.A, "PATCH", path, `{"url":"https://other.example.com/h","types":["content_subscription"],"secret":"`+secret+`2","enabled":true}`)
		MustStatus(t, res, http.StatusOK)
		got = res.Object(t)
		if got["url"] != "https://other.example.com/h" || got["hasSecret"] != true || got["enabled"] != true ||
			MustJSON(t, got["types"]) != `["content_subscription"]` {
			t.Errorf("changed = %v", got)
		}
		MustDiff(t, "GET after the change", got, s.MustOK(t, s.A, http.StatusOK, "GET", path, ""))
	})
	t.Run("OKDisabledAtCreation", func(t *testing.T) {
		off := s.mustSubscribe(t, s.A, `{"url":"https://hooks.example.com/off","types":["user_subscription"],"enabled":false}`)
		if off["enabled"] != false || off["hasSecret"] != false {
			t.Errorf("created disabled = %v", off)
		}
		got := s.MustOK(t, s.A, http.StatusOK, "GET", "/lethe/v1/webhooks/subscriptions/"+off["id"].(string), "")
		if got["enabled"] != false {
			t.Errorf("read back = %v", got)
		}
		// A disabled subscription takes no events.
		s.MustCreateUser(t, s.A, "off-user", nil)
		if got, _ := s.deliveries(t, s.A, "/lethe/v1/webhooks/subscriptions/"+off["id"].(string)+"/deliveries"); len(got) != 0 {
			t.Errorf("deliveries of a disabled subscription = %v", got)
		}
	})
	t.Run("ErrTypes", func(t *testing.T) {
		for body, field := range map[string]string{
			`{"url":5,"types":["user_subscription"]}`:                                      "url",
			`{"url":"https://x.example.com","types":"user_subscription"}`:                  "types",
			`{"url":"https://x.example.com","types":[1]}`:                                  "types",
			`{"url":"https://x.example.com","types":["user_subscription"],"secret":true}`:  "secret",
			`{"url":"https://x.example.com","types":["user_subscription"],"enabled":"no"}`: "enabled",
		} {
			MustError(t, do(s.A, "POST", "/lethe/v1/webhooks/subscriptions", body), http.StatusBadRequest, "bad_request", field)
			MustError(t, do(s.A, "PATCH", path, body), http.StatusBadRequest, "bad_request", field)
		}
		for _, body := range []string{"", "[]", "{", `"x"`} {
			MustError(t, do(s.A, "POST", "/lethe/v1/webhooks/subscriptions", body), http.StatusBadRequest, "bad_request")
			MustError(t, do(s.A, "PATCH", path, body), http.StatusBadRequest, "bad_request")
		}
	})
	t.Run("OKDelete", func(t *testing.T) {
		if res := do(s.A, "DELETE", path, ""); res.Status != http.StatusNoContent || len(res.Body) != 0 {
			t.Fatalf("DELETE = %s", res)
		}
		MustError(t, do(s.A, "GET", path, ""), http.StatusNotFound, "not_found")
		MustError(t, do(s.A, "DELETE", path, ""), http.StatusNotFound, "not_found")
		for _, sub := range mustArray(t, do(s.A, "GET", "/lethe/v1/webhooks/subscriptions", "")) {
			if sub.(map[string]any)["id"] == id {
				t.Errorf("the deleted subscription is listed")
			}
		}
	})
	for _, res := range bodies {
		MustNotContain(t, res, secret)
	}
	MustNotContain(t, &response{Body: []byte(s.Logs.String())}, secret)
}

// TestWebhookSubscriptions_Invalid: what lethe.ValidateSubscription
// refuses is 422 naming the field, on create and on change.
func TestWebhookSubscriptions_Invalid(t *testing.T) {
	s := MustStartServer(t)
	ok := s.mustSubscribe(t, s.A, `{"url":"https://hooks.example.com/ok","types":["user_subscription"]}`)
	path := "/lethe/v1/webhooks/subscriptions/" + ok["id"].(string)
	cases := []struct {
		name, body, field, problem string
		patch                      bool // the same body is refused by PATCH
	}{
		{"NotHTTPS", `{"url":"http://hooks.example.com/x","types":["user_subscription"]}`, "url", "not_https", true},
		{"Loopback", `{"url":"https://127.0.0.1/x","types":["user_subscription"]}`, "url", "private", true},
		{"Private", `{"url":"https://10.1.2.3:8443/x","types":["user_subscription"]}`, "url", "private", true},
		{"Localhost", `{"url":"https://localhost/x","types":["user_subscription"]}`, "url", "private", true},
		{"Credentials", `{"url":"https://u:p@hooks.example.com/x","types":["user_subscription"]}`, "url", "invalid", true},
		{"Relative", `{"url":"/hook","types":["user_subscription"]}`, "url", "invalid", true},
		{"EmptyURL", `{"url":"","types":["user_subscription"]}`, "url", "required", true},
		{"NullURL", `{"url":null,"types":["user_subscription"]}`, "url", "required", true},
		{"MissingURL", `{"types":["user_subscription"]}`, "url", "required", false},
		{"LongURL", `{"url":"https://hooks.example.com/` + strings.Repeat("a", 2000) + `","types":["user_subscription"]}`, "url", "too_long", true},
		{"EmptyTypes", `{"url":"https://hooks.example.com/x","types":[]}`, "types", "required", true},
		{"NullTypes", `{"url":"https://hooks.example.com/x","types":null}`, "types", "required", true},
		{"MissingTypes", `{"url":"https://hooks.example.com/x"}`, "types", "required", false},
		{"UnknownType", `{"url":"https://hooks.example.com/x","types":["user_subscription","nope"]}`, "types", "invalid", true},
		{"LongSecret", `{"url":"https://hooks.example.com/x","types":["user_subscription"],"secret":"` + strings.Repeat("s", 201) + `"}`, "secret", "too_long", true},
	}
	for _, c := range cases {
		t.Run("Err"+c.name, func(t *testing.T) {
			body := MustError(t, s.Do(t, s.A, "POST", "/lethe/v1/webhooks/subscriptions", c.body), http.StatusUnprocessableEntity, "invalid", c.field)
			if got := MustProblem(t, body, c.field); got != c.problem {
				t.Errorf("problem = %q, want %q", got, c.problem)
			}
			if c.patch {
				body := MustError(t, s.Do(t, s.A, "PATCH", path, c.body), http.StatusUnprocessableEntity, "invalid", c.field)
				if got := MustProblem(t, body, c.field); got != c.problem {
					t.Errorf("PATCH problem = %q, want %q", got, c.problem)
				}
			}
		})
	}
	t.Run("ErrAll", func(t *testing.T) {
		MustError(t, s.Do(t, s.A, "POST", "/lethe/v1/webhooks/subscriptions", `{"secret":"`+strings.Repeat("s", 201)+`"}`),
			http.StatusUnprocessableEntity, "invalid", "url", "types", "secret")
	})
	t.Run("OKSecretAtLimit", func(t *testing.T) {
		s.mustSubscribe(t, s.A, `{"url":"https://hooks.example.com/x","types":["user_subscription"],"secret":"`+strings.Repeat("s", 200)+`"}`)
	})
	// Nothing refused was stored or changed.
	list := mustArray(t, s.Do(t, s.A, "GET", "/lethe/v1/webhooks/subscriptions", ""))
	if len(list) != 2 {
		t.Errorf("subscriptions = %v", list)
	}
	MustDiff(t, "after refused changes", ok, s.MustOK(t, s.A, http.StatusOK, "GET", path, ""))
}

// TestWebhookSubscriptions_AllowPrivate: with the operator's switch, http
// and private addresses are accepted.
func TestWebhookSubscriptions_AllowPrivate(t *testing.T) {
	s := MustStartServer(t)
	s.db.AllowPrivateWebhooks = true
	for _, url := range []string{"http://127.0.0.1:9/hook", "https://10.0.0.7/hook", "http://localhost:8080/"} {
		if got := s.mustSubscribe(t, s.A, `{"url":"`+url+`","types":["user_subscription"]}`); got["url"] != url {
			t.Errorf("url = %v, want %s", got["url"], url)
		}
	}
	body := MustError(t, s.Do(t, s.A, "POST", "/lethe/v1/webhooks/subscriptions", `{"url":"ftp://127.0.0.1/","types":["user_subscription"]}`),
		http.StatusUnprocessableEntity, "invalid", "url")
	if got := MustProblem(t, body, "url"); got != "invalid" {
		t.Errorf("problem = %q", got)
	}
}

// TestWebhookScopes: the routes need the API key, or a token with
// api/webhooks or api/all; api/read and api/write are 403.
func TestWebhookScopes(t *testing.T) {
	s := MustStartServer(t)
	sub := s.mustSubscribe(t, s.A, `{"url":"https://hooks.example.com/a","types":["user_subscription"],"secret":"canary-7"}`)
	subPath := "/lethe/v1/webhooks/subscriptions/" + sub["id"].(string)
	s.MustCreateUser(t, s.A, "scope-user", nil)
	got, _ := s.deliveries(t, s.A, subPath+"/deliveries")
	if len(got) != 1 {
		t.Fatalf("deliveries = %v", got)
	}
	event, delivery := got[0]["eventId"].(string), got[0]["id"].(string)
	routes := []struct{ method, path, body string }{
		{"POST", "/lethe/v1/webhooks/subscriptions", `{"url":"https://hooks.example.com/b","types":["user_subscription"]}`},
		{"GET", "/lethe/v1/webhooks/subscriptions", ""},
		{"GET", subPath, ""},
		{"PATCH", subPath, `{"enabled":true}`},
		{"GET", subPath + "/deliveries", ""},
		{"GET", "/lethe/v1/webhooks/events/" + event + "/deliveries", ""},
		{"POST", "/lethe/v1/webhooks/events/" + event + "/redeliver", ""},
		{"GET", "/lethe/v1/webhooks/deliveries/" + delivery + "/attempts", ""},
		{"DELETE", subPath, ""},
	}
	id, secret := s.mustClient(t, s.A, "api/read", "api/write", "api/webhooks", "api/all")
	for _, scope := range []string{"api/read", "api/write", "api/read api/write"} {
		tok := s.mustToken(t, s.A.ID, id, secret, scope)
		for _, rt := range routes {
			res := s.bearer(t, tok, rt.method, rt.path, rt.body)
			MustError(t, res, http.StatusForbidden, "forbidden")
			MustNotContain(t, res, sub["id"].(string), event)
		}
	}
	// Nothing was changed by a refused request.
	MustDiff(t, "after refusals", sub, s.MustOK(t, s.A, http.StatusOK, "GET", subPath, ""))
	if n := len(mustArray(t, s.Do(t, s.A, "GET", "/lethe/v1/webhooks/subscriptions", ""))); n != 1 {
		t.Fatalf("subscriptions = %d after refusals", n)
	}
	for _, scope := range []string{"api/webhooks", "api/all"} {
		tok := s.mustToken(t, s.A.ID, id, secret, scope)
		for _, rt := range routes[:len(routes)-1] {
			res := s.bearer(t, tok, rt.method, rt.path, rt.body)
			if res.Status < 200 || res.Status > 299 {
				t.Errorf("%s: %s %s = %s", scope, rt.method, rt.path, res)
			}
			MustNotContain(t, res, "canary-7")
		}
	}
	tok := s.mustToken(t, s.A.ID, id, secret, "api/webhooks")
	MustError(t, s.bearer(t, tok, "GET", "/rest/v1/users", ""), http.StatusForbidden, "forbidden")
	if res := s.bearer(t, tok, "DELETE", subPath, ""); res.Status != http.StatusNoContent {
		t.Errorf("DELETE with api/webhooks = %s", res)
	}
}

// TestWebhookNotFound: unknown ids, and tenant A's ids asked by tenant B,
// are 404 on every route that names one.
func TestWebhookNotFound(t *testing.T) {
	s := MustStartServer(t)
	sub := s.mustSubscribe(t, s.A, `{"url":"https://hooks.example.com/a","types":["user_subscription"]}`)["id"].(string)
	s.MustCreateUser(t, s.A, "nf-user", nil)
	got, _ := s.deliveries(t, s.A, "/lethe/v1/webhooks/subscriptions/"+sub+"/deliveries")
	if len(got) != 1 {
		t.Fatalf("deliveries = %v", got)
	}
	event, delivery := got[0]["eventId"].(string), got[0]["id"].(string)
	s.mustSubscribe(t, s.B, `{"url":"https://hooks.example.com/b","types":["user_subscription"]}`)
	for _, c := range []struct {
		as                  Tenant
		sub, event, deliver string
	}{
		{s.A, "sub_000000000000000000000000", "evt_000000000000000000000000", "dlv_000000000000000000000000"},
		{s.A, "nope", "nope", "nope"},
		{s.A, "%20", "%20", "%20"},
		{s.B, sub, event, delivery},
	} {
		for _, rt := range []struct{ method, path, body string }{
			{"GET", "/lethe/v1/webhooks/subscriptions/" + c.sub, ""},
			{"PATCH", "/lethe/v1/webhooks/subscriptions/" + c.sub, `{"enabled":false}`},
			{"PATCH", "/lethe/v1/webhooks/subscriptions/" + c.sub, `{"url":"https://evil.example.com/"}`},
			{"DELETE", "/lethe/v1/webhooks/subscriptions/" + c.sub, ""},
			{"GET", "/lethe/v1/webhooks/subscriptions/" + c.sub + "/deliveries", ""},
			{"GET", "/lethe/v1/webhooks/subscriptions/" + c.sub + "/deliveries?state=pending", ""},
			{"GET", "/lethe/v1/webhooks/events/" + c.event + "/deliveries", ""},
			{"GET", "/lethe/v1/webhooks/events/" + c.event + "/deliveries?state=failed", ""},
			{"POST", "/lethe/v1/webhooks/events/" + c.event + "/redeliver", ""},
			{"GET", "/lethe/v1/webhooks/deliveries/" + c.deliver + "/attempts", ""},
		} {
			res := s.Do(t, c.as, rt.method, rt.path, rt.body)
			MustError(t, res, http.StatusNotFound, "not_found")
			MustNotContain(t, res, "hooks.example.com")
		}
	}
	// subscriptionId names no subscription of the tenant: 404 naming it.
	for _, q := range []string{"sub_000000000000000000000000", sub} {
		MustError(t, s.Do(t, s.B, "POST", "/lethe/v1/webhooks/events/"+event+"/redeliver?subscriptionId="+q, ""),
			http.StatusNotFound, "not_found", "subscriptionId")
	}
	MustError(t, s.Do(t, s.A, "POST", "/lethe/v1/webhooks/events/"+event+"/redeliver?subscriptionId=sub_000000000000000000000000", ""),
		http.StatusNotFound, "not_found", "subscriptionId")
	// A's subscription is as it was.
	if got := s.MustOK(t, s.A, http.StatusOK, "GET", "/lethe/v1/webhooks/subscriptions/"+sub, ""); got["enabled"] != true ||
		got["url"] != "https://hooks.example.com/a" {
		t.Errorf("A's subscription = %v", got)
	}
}

// TestWebhookDeliveries: a change a subscription takes is a pending
// delivery, listed under the subscription and under its event; attempts,
// states and redelivery read back as the store records them.
func TestWebhookDeliveries(t *testing.T) {
	s := MustStartServer(t)
	s.db.AllowPrivateWebhooks = true
	sub := s.mustSubscribe(t, s.A, `{"url":"http://127.0.0.1:9/hook","types":["user_subscription"]}`)["id"].(string)
	other := s.mustSubscribe(t, s.A, `{"url":"https://hooks.example.com/c","types":["completion_subscription"]}`)["id"].(string)
	subPath := "/lethe/v1/webhooks/subscriptions/" + sub
	user := MustID(t, s.MustCreateUser(t, s.A, "dlv-user", nil))
	got, pg := s.deliveries(t, s.A, subPath+"/deliveries")
	if len(got) != 1 {
		t.Fatalf("deliveries = %v", got)
	}
	d := got[0]
	id, event := d["id"].(string), d["eventId"].(string)
	if !strings.HasPrefix(id, "dlv_") || !strings.HasPrefix(event, "evt_") {
		t.Errorf("ids %s %s", id, event)
	}
	MustDiff(t, "delivery", map[string]any{"id": id, "eventId": event, "eventType": "user.created", "subscriptionId": sub,
		"state": "pending", "attempts": 0.0, "nextAttemptAt": T0, "deliveredAt": nil, "lastStatus": nil, "lastError": nil,
		"createdAt": T0}, d)
	MustDiff(t, "pagination", map[string]any{"totalResults": 1.0, "totalPages": 1.0, "page": 1.0, "perPage": 20.0}, pg)
	t.Run("OKByEventAndState", func(t *testing.T) {
		byEvent, _ := s.deliveries(t, s.A, "/lethe/v1/webhooks/events/"+event+"/deliveries")
		MustDiff(t, "by event", []map[string]any{d}, byEvent)
		pending, _ := s.deliveries(t, s.A, subPath+"/deliveries?state=pending")
		MustDiff(t, "pending", []map[string]any{d}, pending)
		for _, state := range []string{"delivered", "failed"} {
			if got, pg := s.deliveries(t, s.A, subPath+"/deliveries?state="+state); len(got) != 0 || pg["totalResults"] != 0.0 {
				t.Errorf("%s = %v", state, got)
			}
			if got, _ := s.deliveries(t, s.A, "/lethe/v1/webhooks/events/"+event+"/deliveries?state="+state); len(got) != 0 {
				t.Errorf("event's %s = %v", state, got)
			}
		}
		for _, q := range []string{"?state=bogus", "?state=PENDING", "?state=pending,failed"} {
			MustError(t, s.Do(t, s.A, "GET", subPath+"/deliveries"+q, ""), http.StatusUnprocessableEntity, "invalid", "state")
			MustError(t, s.Do(t, s.A, "GET", "/lethe/v1/webhooks/events/"+event+"/deliveries"+q, ""), http.StatusUnprocessableEntity, "invalid", "state")
		}
		MustError(t, s.Do(t, s.A, "GET", subPath+"/deliveries?perPage=x", ""), http.StatusBadRequest, "bad_request", "perPage")
		// The completion subscription took nothing.
		if got, _ := s.deliveries(t, s.A, "/lethe/v1/webhooks/subscriptions/"+other+"/deliveries"); len(got) != 0 {
			t.Errorf("other subscription's deliveries = %v", got)
		}
	})
	t.Run("OKPendingNotRedelivered", func(t *testing.T) {
		if got := mustArray(t, s.Do(t, s.A, "GET", "/lethe/v1/webhooks/deliveries/"+id+"/attempts", "")); len(got) != 0 {
			t.Errorf("attempts = %v", got)
		}
		MustDiff(t, "redeliver", map[string]any{"redelivered": 0.0},
			s.MustOK(t, s.A, http.StatusAccepted, "POST", "/lethe/v1/webhooks/events/"+event+"/redeliver", ""))
		MustDiff(t, "redeliver to sub", map[string]any{"redelivered": 0.0},
			s.MustOK(t, s.A, http.StatusAccepted, "POST", "/lethe/v1/webhooks/events/"+event+"/redeliver?subscriptionId="+sub, ""))
	})
	t.Run("OKAttempt", func(t *testing.T) {
		at := s.Clock.Advance(time.Second)
		if n := s.mustAttemptAll(t, 503, "busy"); n != 1 {
			t.Fatalf("claimed %d deliveries", n)
		}
		res := s.Do(t, s.A, "GET", "/lethe/v1/webhooks/deliveries/"+id+"/attempts", "")
		MustStatus(t, res, http.StatusOK)
		MustDiff(t, "attempts", []any{map[string]any{"at": at.Format("2006-01-02T15:04:05.000Z"), "status": 503.0, "error": nil,
			"latencyMs": 12.0, "response": "busy"}}, mustArray(t, res))
		got, _ := s.deliveries(t, s.A, subPath+"/deliveries")
		if d := got[0]; d["attempts"] != 1.0 || d["lastStatus"] != 503.0 || d["state"] != "pending" || d["nextAttemptAt"] == nil ||
			d["nextAttemptAt"] == T0 {
			t.Errorf("after an attempt = %v", d)
		}
	})
	t.Run("OKRedeliverFailed", func(t *testing.T) {
		// Disabling fails the pending delivery; once enabled again, a
		// redelivery queues it anew.
		s.MustOK(t, s.A, http.StatusOK, "PATCH", subPath, `{"enabled":false}`)
		got, _ := s.deliveries(t, s.A, subPath+"/deliveries?state=failed")
		if len(got) != 1 || got[0]["lastError"] != "subscription disabled" || got[0]["nextAttemptAt"] != nil {
			t.Fatalf("failed = %v", got)
		}
		MustDiff(t, "redeliver to a disabled subscription", map[string]any{"redelivered": 0.0},
			s.MustOK(t, s.A, http.StatusAccepted, "POST", "/lethe/v1/webhooks/events/"+event+"/redeliver", ""))
		s.MustOK(t, s.A, http.StatusOK, "PATCH", subPath, `{"enabled":true}`)
		MustDiff(t, "redeliver to another subscription", map[string]any{"redelivered": 0.0},
			s.MustOK(t, s.A, http.StatusAccepted, "POST", "/lethe/v1/webhooks/events/"+event+"/redeliver?subscriptionId="+other, ""))
		MustDiff(t, "redeliver", map[string]any{"redelivered": 1.0},
			s.MustOK(t, s.A, http.StatusAccepted, "POST", "/lethe/v1/webhooks/events/"+event+"/redeliver", ""))
		got, _ = s.deliveries(t, s.A, subPath+"/deliveries")
		if got[0]["state"] != "pending" || got[0]["attempts"] != 0.0 {
			t.Errorf("redelivered = %v", got[0])
		}
	})
	t.Run("OKPaging", func(t *testing.T) {
		s.Clock.Advance(time.Minute)
		s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v2/users/ref/dlv-user", `{"jobTitle":"Dev"}`)
		s.Clock.Advance(time.Minute)
		s.MustCreateUser(t, s.A, "dlv-user-2", nil)
		got, pg := s.deliveries(t, s.A, subPath+"/deliveries?perPage=2")
		MustDiff(t, "pagination", map[string]any{"totalResults": 3.0, "totalPages": 2.0, "page": 1.0, "perPage": 2.0}, pg)
		if len(got) != 2 || got[0]["eventType"] != "user.created" || got[1]["eventType"] != "user.updated" {
			t.Errorf("page 1 = %v", got)
		}
		got, _ = s.deliveries(t, s.A, subPath+"/deliveries?perPage=2&page=2")
		if len(got) != 1 || got[0]["id"] != id {
			t.Errorf("page 2 = %v", got)
		}
		got, pg = s.deliveries(t, s.A, subPath+"/deliveries?page=9")
		if len(got) != 0 || pg["totalResults"] != 3.0 {
			t.Errorf("page 9 = %v %v", got, pg)
		}
	})
	// The deliveries name the user by id only; no personal data.
	res := s.Do(t, s.A, "GET", subPath+"/deliveries", "")
	MustNotContain(t, res, "dlv-user@example.com", user)
}
