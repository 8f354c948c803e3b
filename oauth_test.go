package lethe_test

import (
	"testing"

	"github.com/lethehq/lethe"
)

func TestOAuthScopesAllow(t *testing.T) {
	all, read, write, hooks, scim := lethe.ScopeAll, lethe.ScopeRead, lethe.ScopeWrite, lethe.ScopeWebhooks, lethe.ScopeSCIM
	cases := []struct {
		scopes       []string
		method, path string
		want         bool
	}{
		{[]string{read}, "GET", "/rest/v2/users", true},
		{[]string{read}, "HEAD", "/rest/v2/users", true},
		{[]string{read}, "POST", "/rest/v2/users", false},
		{[]string{read}, "DELETE", "/rest/v2/users/x", false},
		{[]string{write}, "GET", "/rest/v2/users", true},
		{[]string{write}, "POST", "/rest/v2/users", true},
		{[]string{write}, "PATCH", "/lethe/v1/settings", true},
		{[]string{all}, "PUT", "/rest/v2/users/x", true},
		{nil, "GET", "/rest/v2/users", false},
		{[]string{hooks}, "GET", "/rest/v2/users", false},
		{[]string{hooks}, "POST", "/rest/v1/webhooks", true},
		{[]string{hooks}, "GET", "/rest/v1/webhooks", true},
		{[]string{hooks}, "DELETE", "/rest/v1/webhooks/abc", true},
		{[]string{hooks}, "GET", "/lethe/v1/webhooks/abc/deliveries", true},
		{[]string{read}, "GET", "/rest/v1/webhooks", false},
		{[]string{write}, "POST", "/lethe/v1/webhooks/abc", false},
		{[]string{all}, "POST", "/rest/v1/webhooks", true},
		{[]string{hooks}, "GET", "/rest/v1/webhooksx", false},
		{[]string{write}, "POST", "/lethe/v1/oauth/clients", false},
		{[]string{read}, "GET", "/lethe/v1/oauth/clients", false},
		{[]string{all}, "POST", "/lethe/v1/oauth/clients", true},
		{[]string{all}, "DELETE", "/lethe/v1/oauth/clients/c1", true},
		{[]string{write}, "DELETE", "/lethe/v1/scim/tokens/t1", false},
		{[]string{all}, "GET", "/lethe/v1/scim/tokens", true},
		{[]string{scim}, "GET", "/scim/v2/Users", true},
		{[]string{scim}, "POST", "/scim/v2/Users", true},
		{[]string{scim}, "GET", "/rest/v2/users", false},
		{[]string{all}, "GET", "/scim/v2/Users", false},
		{[]string{read, write, hooks}, "GET", "/scim/v2/Users", false},
		{[]string{scim}, "GET", "/lethe/v1/scim/tokens", false},
	}
	for _, c := range cases {
		if got := lethe.OAuthScopesAllow(c.scopes, c.method, c.path); got != c.want {
			t.Errorf("OAuthScopesAllow(%v, %s %s) = %v, want %v", c.scopes, c.method, c.path, got, c.want)
		}
	}
}
