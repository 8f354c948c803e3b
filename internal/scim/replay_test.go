package scim_test

import "testing"

// TestOktaSequence replays what Okta sends: the connectivity test, the
// lookup before create, create, PUT profile pushes, deprovisioning by
// PATCH without path and by PUT, reactivation, and Group Push.
func TestOktaSequence(t *testing.T) {
	h := start(t)
	h.replay(t, "testdata/okta.json", map[string]string{})
}

// TestEntraSequence replays what Entra ID sends: the userName eq random
// connectivity test, lookups by userName and externalId, create,
// capitalised Replace and Add ops with string booleans, value-filter and
// enterprise-URN paths (manager included), disable, enable, groups with
// excludedAttributes=members and the non-RFC member removal, and delete.
func TestEntraSequence(t *testing.T) {
	h := start(t)
	h.replay(t, "testdata/entra.json", map[string]string{})
}
