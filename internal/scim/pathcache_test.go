package scim

import (
	"reflect"
	"testing"
)

func TestParsePathCache(t *testing.T) {
	plain := "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"
	first, err := parsePath(plain)
	if err != nil {
		t.Fatal(err)
	}
	again, err := parsePath("  " + plain + " ")
	if err != nil || !reflect.DeepEqual(first, again) || first.AttributePath.AttributeName != "department" {
		t.Fatalf("cached parse = %+v, %v; first %+v", again, err, first)
	}
	pathCache.RLock()
	_, cached := pathCache.m[plain]
	pathCache.RUnlock()
	if !cached {
		t.Error("a plain path was not cached")
	}
	withValue := `emails[value eq "ann@example.org"].value`
	p, err := parsePath(withValue)
	if err != nil || p.ValueExpression == nil {
		t.Fatalf("value path = %+v, %v", p, err)
	}
	pathCache.RLock()
	_, cached = pathCache.m[withValue]
	pathCache.RUnlock()
	if cached {
		t.Error("a path holding a client's value was cached")
	}
	if _, err := parsePath("bad path!"); err == nil {
		t.Error("a bad path parsed")
	}
}
