package client_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lethehq/lethe/client"
)

// TestClient_UserLinks: a User carries its audience ids, skills and followed
// tags as the server answers them (ADR 0025).
func TestClient_UserLinks(t *testing.T) {
	f := mustFakeServer(t, ok(`{"id":"u1","deleted":false,"audiences":["a1","a2"],"tagsFollowing":["Go","rust"],
		"tags":{"skills":[{"tagName":"Go","level":2,"targetLevel":null},{"tagName":"rust","level":-1,"targetLevel":3}]}}`))
	u, err := client.New(f.srv.URL, "t", "k").GetUser(context.Background(), "u1")
	if err != nil {
		t.Fatal(err)
	}
	want := &client.UserTags{Skills: []client.UserSkill{
		{TagName: "Go", Level: client.Ptr(2)}, {TagName: "rust", Level: client.Ptr(-1), TargetLevel: client.Ptr(3)}}}
	if d := cmp.Diff(want, u.Tags); d != "" {
		t.Errorf("tags (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"a1", "a2"}, u.Audiences); d != "" {
		t.Errorf("audiences: %s", d)
	}
	if d := cmp.Diff([]string{"Go", "rust"}, u.TagsFollowing); d != "" {
		t.Errorf("tagsFollowing: %s", d)
	}
}
