package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/lethehq/lethe/client"
)

// TestClient_ContentAndActivity drives the catalogue and activity
// ingestion through the SDK against a real server.
func TestClient_ContentAndActivity(t *testing.T) {
	t.Parallel()
	srv := MustRunMain(t)
	ctx := t.Context()
	c := srv.Client
	ada := mustCreate(t, srv, "E2E-ACT-ADA", personFields("Adelaide", "Acton", "adelaide.acton@example.com"))

	// Catalogue: create, update, list, archive.
	minutes := 20
	dur := &client.Duration{Value: &minutes, Unit: "minutes"}
	video, err := c.CreateContent(ctx, client.ContentFields{Title: client.Ptr("Ladders"), Type: client.Ptr("video"),
		Tags: &[]string{"safety"}, Duration: &dur, IsOfficial: client.Ptr(true)})
	if err != nil || video.Title != "Ladders" || video.Duration == nil || *video.Duration.Value != 20 || len(video.ContentHistory) != 1 {
		t.Fatalf("create content = %+v, %v", video, err)
	}
	if _, err := c.CreateContent(ctx, client.ContentFields{Title: client.Ptr("Notes"), Type: client.Ptr("article")}); err != nil {
		t.Fatal(err)
	}
	var noDur *client.Duration
	if video, err = c.UpdateContent(ctx, video.ID, client.ContentFields{Title: client.Ptr("Ladders 2"), Duration: &noDur}); err != nil ||
		video.Title != "Ladders 2" || video.Duration != nil || len(video.ContentHistory) != 2 {
		t.Fatalf("update content = %+v, %v", video, err)
	}
	page, err := c.ListContents(ctx, client.ContentParams{Types: []string{"video"}})
	if err != nil || len(page.Results) != 1 || page.Results[0].ID != video.ID || page.Pagination.TotalResults != 1 {
		t.Fatalf("list videos = %+v, %v", page, err)
	}
	var apiErr *client.Error
	if _, err := c.GetContent(ctx, "c0000000000000000000000f"); !errors.As(err, &apiErr) || apiErr.Status != 404 {
		t.Fatalf("missing content: %v", err)
	}

	// Activities: ingest twice (idempotent), log in, complete, read back.
	base := time.Now().UTC().Add(-time.Hour).Truncate(time.Millisecond)
	batch := []client.NewActivity{
		{ID: "e2e-login", Type: "loggedin", UserRef: "E2E-ACT-ADA", Date: base},
		{ID: "e2e-view", Type: "viewed", UserID: ada.ID, Date: base.Add(time.Minute), ContextType: "content", ContextID: video.ID,
			Data: json.RawMessage(`{"duration":"60"}`)},
		{ID: "e2e-done", Type: "completed", UserID: ada.ID, Date: base.Add(2 * time.Minute), ContextType: "content", ContextID: video.ID},
	}
	for i, want := range []client.IngestResult{{Received: 3, Stored: 3}, {Received: 3, Duplicates: 3}} {
		got, err := c.IngestActivities(ctx, batch)
		if err != nil || *got != want {
			t.Fatalf("ingest %d = %+v, %v; want %+v", i, got, err, want)
		}
	}
	bad := []client.NewActivity{{ID: "x", Type: "danced", UserID: ada.ID, Date: base}}
	if _, err := c.IngestActivities(ctx, bad); !errors.As(err, &apiErr) || apiErr.Status != 422 {
		t.Fatalf("bad batch: %v", err)
	}
	u, err := c.GetUser(ctx, ada.ID)
	if err != nil || u.Status != "active" || u.FirstLogin == nil {
		t.Fatalf("user after loggedin = %+v, %v", u, err)
	}
	comps, err := c.ListCompletions(ctx, client.CompletionParams{UserID: ada.ID})
	if err != nil || len(comps) != 1 || comps[0].ContentID != video.ID {
		t.Fatalf("completions = %+v, %v", comps, err)
	}
	from, to := base.Add(-time.Second), base.Add(time.Hour)
	var ids []string
	for a, err := range c.AllActivities(ctx, client.ActivityParams{From: &from, To: &to, PerPage: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.Type)
	}
	if fmt.Sprint(ids) != "[loggedin viewed completed]" {
		t.Fatalf("activities = %v", ids)
	}
	page2, err := c.ListActivities(ctx, client.ActivityParams{Actions: []string{"viewed"}, ContentIDs: []string{video.ID}})
	if err != nil || len(page2.Results) != 1 {
		t.Fatalf("viewed = %+v, %v", page2, err)
	}
	if got, err := c.GetActivity(ctx, page2.Results[0].ID); err != nil || got.User != ada.ID || string(got.Data) != `{"duration":"60"}` {
		t.Fatalf("get activity = %+v, %v", got, err)
	}

	// Archived content leaves the list and stays readable.
	if video, err = c.ArchiveContent(ctx, video.ID); err != nil || video.ArchivedAt == nil {
		t.Fatalf("archive = %+v, %v", video, err)
	}
	if page, err = c.ListContents(ctx, client.ContentParams{}); err != nil || len(page.Results) != 1 {
		t.Fatalf("list after archive = %+v, %v", page, err)
	}
}
