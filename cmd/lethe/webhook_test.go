package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
	"github.com/lethehq/lethe/internal/testdb"
)

// webhookSecret is the secret the tests set: no output may show it.
const webhookSecret = "whsec-never-shown-0123456789"

// webhookJSON runs a webhook command with --json and decodes what it
// printed into v.
func webhookJSON(t *testing.T, v any, args ...string) {
	t.Helper()
	stdout, stderr, err := cli(t, append(append([]string{"webhook"}, args...), "--json")...)
	if err != nil {
		t.Fatalf("webhook %v: %v\n%s", args, err, stderr)
	}
	if strings.Contains(stdout, webhookSecret) {
		t.Fatalf("webhook %v printed the secret: %s", args, stdout)
	}
	if err := json.Unmarshal([]byte(stdout), v); err != nil {
		t.Fatalf("webhook %v printed %q: %v", args, stdout, err)
	}
}

// createUserIn creates a user in tenant through the store, as the API
// would: the change writes its user.created event.
func createUserIn(t *testing.T, dsn, tenant string) {
	t.Helper()
	db, err := sqldb.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := lethe.WithActor(t.Context(), lethe.Actor{TenantID: lethe.TenantID(tenant), Source: lethe.SourceCLI, Name: "test"})
	first, last, email := "Ada", "Hook", "ada.hook@example.com"
	if _, err := sqldb.NewUserService(db).CreateUser(ctx, "HOOK-1", lethe.UserFields{FirstName: &first, LastName: &last,
		Email: &email}); err != nil {
		t.Fatalf("create user: %v", err)
	}
}

// TestRun_Webhook: lethe webhook creates, lists, changes and deletes a
// tenant's subscriptions on the database, lists the deliveries a change
// made and queues them again, and never shows a secret.
func TestRun_Webhook(t *testing.T) {
	t.Parallel()
	dsn := testdb.DSN(t)
	tenant, _ := MustCreateTenant(t, dsn, "Hooks")
	in := []string{"--tenant", tenant, "--db", dsn}

	var sub map[string]any
	webhookJSON(t, &sub, append([]string{"create", "--url", "https://hooks.example.com/lethe", "--type", "user_subscription",
		"--type", "completion_subscription,content_subscription", "--secret", webhookSecret}, in...)...)
	id, _ := sub["id"].(string)
	if !strings.HasPrefix(id, "sub_") || sub["url"] != "https://hooks.example.com/lethe" || sub["enabled"] != true ||
		sub["hasSecret"] != true || sub["disabledReason"] != nil || sub["failingSince"] != nil || len(sub) != 9 {
		t.Fatalf("create --json = %v", sub)
	}
	if types, _ := json.Marshal(sub["types"]); string(types) != `["user_subscription","completion_subscription","content_subscription"]` {
		t.Errorf("types = %s", types)
	}
	for _, k := range []string{"createdAt", "updatedAt"} {
		if s, _ := sub[k].(string); !validJSONTime(s) {
			t.Errorf("%s = %v, want 2006-01-02T15:04:05.000Z", k, sub[k])
		}
	}

	var list []map[string]any
	webhookJSON(t, &list, append([]string{"list"}, in...)...)
	if len(list) != 1 || list[0]["id"] != id || list[0]["hasSecret"] != true {
		t.Fatalf("list --json = %v", list)
	}
	table, _, err := cli(t, append([]string{"webhook", "list"}, in...)...)
	if err != nil || !strings.HasPrefix(table, "SUBSCRIPTION ID") || !strings.Contains(table, id) ||
		!strings.Contains(table, "user_subscription,completion_subscription,content_subscription") ||
		strings.Contains(table, webhookSecret) {
		t.Errorf("list (table) = %q, %v", table, err)
	}

	webhookJSON(t, &sub, append([]string{"update", id, "--type", "user_subscription", "--disable"}, in...)...)
	if types, _ := json.Marshal(sub["types"]); string(types) != `["user_subscription"]` || sub["enabled"] != false ||
		sub["hasSecret"] != true {
		t.Fatalf("update --type --disable = %v", sub)
	}
	webhookJSON(t, &sub, append([]string{"update", id, "--enable", "--no-secret"}, in...)...)
	if sub["enabled"] != true || sub["hasSecret"] != false || sub["url"] != "https://hooks.example.com/lethe" {
		t.Fatalf("update --enable --no-secret = %v", sub)
	}
	text, _, err := cli(t, append([]string{"webhook", "update", id, "--url", "https://hooks.example.com/v2"}, in...)...)
	if err != nil || !strings.Contains(text, "url:             https://hooks.example.com/v2\n") || !strings.Contains(text, "status:          enabled\n") {
		t.Errorf("update --url (text) = %q, %v", text, err)
	}

	testWebhookDeliveries(t, dsn, tenant, id)

	if out, _, err := cli(t, append([]string{"webhook", "delete", id}, in...)...); err != nil || !strings.Contains(out, id) {
		t.Fatalf("delete = %q, %v", out, err)
	}
	webhookJSON(t, &list, append([]string{"list"}, in...)...)
	if len(list) != 0 {
		t.Errorf("list after delete = %v, want none", list)
	}
	if _, _, err := cli(t, append([]string{"webhook", "delete", id}, in...)...); err == nil || isUsageError(err) {
		t.Errorf("delete again = %v, want a not-found error", err)
	}
}

// testWebhookDeliveries: a user created in the tenant is a pending
// delivery to subscription sub; redeliver queues it again once it failed.
func testWebhookDeliveries(t *testing.T, dsn, tenant, sub string) {
	in := []string{"--tenant", tenant, "--db", dsn}
	var ds []map[string]any
	webhookJSON(t, &ds, append([]string{"deliveries"}, in...)...)
	if len(ds) != 0 {
		t.Fatalf("deliveries before any change = %v", ds)
	}
	createUserIn(t, dsn, tenant)
	webhookJSON(t, &ds, append([]string{"deliveries", "--subscription", sub, "--state", "pending"}, in...)...)
	if len(ds) != 1 || ds[0]["eventType"] != "user.created" || ds[0]["subscriptionId"] != sub || ds[0]["state"] != "pending" ||
		ds[0]["attempts"] != 0.0 || ds[0]["deliveredAt"] != nil || ds[0]["lastStatus"] != nil || ds[0]["lastError"] != nil ||
		len(ds[0]) != 11 {
		t.Fatalf("deliveries --json = %v, want the user.created delivery, pending", ds)
	}
	event, _ := ds[0]["eventId"].(string)
	if s, _ := ds[0]["nextAttemptAt"].(string); !validJSONTime(s) || event == "" {
		t.Errorf("delivery = %v, want an event id and a next attempt", ds[0])
	}
	table, _, err := cli(t, append([]string{"webhook", "deliveries"}, in...)...)
	if err != nil || !strings.HasPrefix(table, "DELIVERY ID") || !strings.Contains(table, event) || !strings.Contains(table, "pending") {
		t.Errorf("deliveries (table) = %q, %v", table, err)
	}
	webhookJSON(t, &ds, append([]string{"deliveries", "--state", "delivered"}, in...)...)
	if len(ds) != 0 {
		t.Errorf("deliveries --state delivered = %v, want none", ds)
	}
	// Pending, it is left as it is; given up (by disabling), it is queued
	// again once the subscription is enabled.
	if out, _, err := cli(t, append([]string{"webhook", "redeliver", event}, in...)...); err != nil || out != "queued 0 deliveries of event "+event+" again\n" {
		t.Errorf("redeliver of a pending delivery = %q, %v", out, err)
	}
	for _, flag := range []string{"--disable", "--enable"} {
		if _, stderr, err := cli(t, append([]string{"webhook", "update", sub, flag}, in...)...); err != nil {
			t.Fatalf("update %s: %v %s", flag, err, stderr)
		}
	}
	webhookJSON(t, &ds, append([]string{"deliveries", "--event", event}, in...)...)
	if len(ds) != 1 || ds[0]["state"] != "failed" || ds[0]["lastError"] != "subscription disabled" {
		t.Fatalf("deliveries after disabling = %v, want it failed", ds)
	}
	var queued map[string]any
	webhookJSON(t, &queued, append([]string{"redeliver", event, "--subscription", sub}, in...)...)
	if queued["eventId"] != event || queued["queued"] != 1.0 {
		t.Errorf("redeliver --json = %v, want 1 queued", queued)
	}
	webhookJSON(t, &ds, append([]string{"deliveries", "--state", "pending", "--limit", "1"}, in...)...)
	if len(ds) != 1 || ds[0]["eventId"] != event {
		t.Errorf("deliveries after redeliver = %v, want it pending", ds)
	}
	_, stderr, err := cli(t, append([]string{"webhook", "redeliver", "evt_nobody"}, in...)...)
	if err == nil || isUsageError(err) || !strings.Contains(stderr, "not found") {
		t.Errorf("redeliver of an unknown event = %v, stderr %q; want not found", err, stderr)
	}
}

func validJSONTime(s string) bool {
	_, err := time.Parse(jsonTime, s)
	return err == nil && strings.HasSuffix(s, "Z") && len(s) == len(jsonTime)
}

// TestRun_WebhookErrors: a bad URL or type is an error naming the field,
// misuse a usage error, an unknown tenant, subscription or event an
// error; none leaves a subscription behind.
func TestRun_WebhookErrors(t *testing.T) {
	t.Parallel()
	dsn := testdb.DSN(t)
	tenant, _ := MustCreateTenant(t, dsn, "Hooks")
	in := []string{"--tenant", tenant, "--db", dsn}
	for _, c := range []struct {
		args  []string
		usage bool
		want  string
	}{
		{[]string{"create", "--url", "http://hooks.example.com/x", "--type", "user_subscription"}, true, "url is not_https"},
		{[]string{"create", "--url", "https://10.1.2.3/x", "--type", "user_subscription"}, true, "url is private"},
		{[]string{"create", "--url", "not a url", "--type", "user_subscription"}, true, "url is invalid"},
		{[]string{"create", "--type", "user_subscription"}, true, "url is required"},
		{[]string{"create", "--url", "https://hooks.example.com/x", "--type", "user_subscription,bogus"}, true, "types is invalid"},
		{[]string{"create", "--url", "https://hooks.example.com/x"}, true, "types is required"},
		{[]string{"create", "--url", "https://hooks.example.com/x", "--type", "user_subscription", "--secret", strings.Repeat("s", 201)}, true, "secret is too_long"},
		{[]string{"create", "--url", "https://hooks.example.com/x", "--type", "user_subscription", "--secret", ""}, true, "the secret is empty"},
		{[]string{"create", "--url", "https://hooks.example.com/x", "--type", "user_subscription", "--secret", "a", "--secret-stdin"}, true, "only one of"},
		{[]string{"create", "extra", "--url", "https://hooks.example.com/x", "--type", "user_subscription"}, true, "unexpected arguments"},
		{[]string{"update", "sub_nobody", "--enable"}, false, "Subscription not found"},
		{[]string{"update", "sub_nobody"}, true, "nothing to change"},
		{[]string{"update", "sub_nobody", "--enable", "--disable"}, true, "only one of --enable, --disable"},
		{[]string{"update", "sub_nobody", "--secret", "a", "--no-secret"}, true, "only one of"},
		{[]string{"update", "--enable"}, true, "exactly one subscription id"},
		{[]string{"delete", "sub_nobody"}, false, "Subscription not found"},
		{[]string{"deliveries", "--state", "lost"}, true, "--state must be"},
		{[]string{"deliveries", "--limit", "0"}, true, "--limit must be"},
		{[]string{"deliveries", "--subscription", "sub_nobody"}, false, "Subscription not found"},
		{[]string{"redeliver", "evt_nobody"}, false, "Event not found"},
		{[]string{"redeliver"}, true, "exactly one event id"},
	} {
		args := append(append([]string{"webhook"}, c.args...), in...)
		stdout, stderr, err := cli(t, args...)
		if err == nil || isUsageError(err) != c.usage || !strings.Contains(stderr, c.want) || strings.Count(stderr, "lethe: ") != 1 ||
			stdout != "" {
			t.Errorf("%v = %v (usage %v), stdout %q, stderr:\n%s\nwant an error saying %q", c.args, err, isUsageError(err), stdout, stderr, c.want)
		}
	}
	for _, args := range [][]string{
		{"create", "--db", dsn, "--url", "https://hooks.example.com/x", "--type", "user_subscription"},
		{"list", "--db", dsn}, {"update", "sub_x", "--enable", "--db", dsn}, {"delete", "sub_x", "--db", dsn},
		{"deliveries", "--db", dsn}, {"redeliver", "evt_x", "--db", dsn},
	} {
		if _, stderr, err := cli(t, append([]string{"webhook"}, args...)...); !isUsageError(err) || !strings.Contains(stderr, "--tenant is required") {
			t.Errorf("%v without --tenant = %v, stderr %q; want a usage error", args, err, stderr)
		}
		if _, stderr, err := cli(t, append(append([]string{"webhook"}, args...), "--tenant", "nobody")...); err == nil ||
			isUsageError(err) || !strings.Contains(stderr, `tenant "nobody" not found`) {
			t.Errorf("%v in an unknown tenant = %v, stderr %q; want an error", args, err, stderr)
		}
	}
	var list []map[string]any
	webhookJSON(t, &list, append([]string{"list"}, in...)...)
	if len(list) != 0 {
		t.Errorf("list after the errors = %v, want none", list)
	}
}

// TestRun_WebhookAllowPrivate: http:// and private addresses are taken with
// --allow-private or LETHE_WEBHOOKS_ALLOW_PRIVATE=true, for that command
// only; the secret can come from the standard input.
func TestRun_WebhookAllowPrivate(t *testing.T) {
	t.Parallel()
	dsn := testdb.DSN(t)
	tenant, _ := MustCreateTenant(t, dsn, "Hooks")
	in := []string{"--tenant", tenant, "--db", dsn}
	var sub map[string]any
	webhookJSON(t, &sub, append([]string{"create", "--url", "http://127.0.0.1:9/hook", "--type", "user_subscription", "--allow-private",
		"--disabled"}, in...)...)
	id, _ := sub["id"].(string)
	if sub["enabled"] != false || sub["url"] != "http://127.0.0.1:9/hook" {
		t.Fatalf("create --allow-private --disabled = %v", sub)
	}
	// Without the switch, a change of any field checks the URL again.
	if _, stderr, err := cli(t, append([]string{"webhook", "update", id, "--enable"}, in...)...); !isUsageError(err) ||
		!strings.Contains(stderr, "url is not_https") {
		t.Errorf("update of a private subscription without --allow-private = %v, stderr %q", err, stderr)
	}
	var stdout, stderr strings.Builder
	getenv := func(k string) string { return map[string]string{"LETHE_WEBHOOKS_ALLOW_PRIVATE": "true"}[k] }
	err := run(t.Context(), append([]string{"webhook", "update", id, "--enable", "--url", "http://192.168.1.2/hook", "--json"}, in...),
		getenv, &stdout, &stderr)
	if err != nil || !strings.Contains(stdout.String(), `"enabled":true`) || !strings.Contains(stdout.String(), "192.168.1.2") {
		t.Errorf("update with LETHE_WEBHOOKS_ALLOW_PRIVATE=true = %v, %s %s", err, stdout.String(), stderr.String())
	}

	var out bytes.Buffer
	root := newRoot(env{getenv: noEnv, stdout: &out, stderr: &bytes.Buffer{}})
	root.SetIn(strings.NewReader(webhookSecret + "\n"))
	root.SetArgs(append([]string{"webhook", "update", id, "--secret-stdin", "--allow-private", "--json"}, in...))
	if err := root.ExecuteContext(t.Context()); err != nil || !strings.Contains(out.String(), `"hasSecret":true`) ||
		strings.Contains(out.String(), webhookSecret) {
		t.Errorf("update --secret-stdin = %v, %s", err, out.String())
	}
	if help, _, _ := cli(t, "webhook", "create", "--help"); !strings.Contains(help, "[$LETHE_WEBHOOKS_ALLOW_PRIVATE]") {
		t.Errorf("create --help does not name LETHE_WEBHOOKS_ALLOW_PRIVATE:\n%s", help)
	}
}
