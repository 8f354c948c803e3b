package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/client"
	"github.com/lethehq/lethe/internal/testdb"
)

// canaryPerson is a user whose every personal value is a unique string.
type canaryPerson struct {
	ref, first, last, email, job, custom, actText, clientID, cpdName, cpdNote, eventID string
}

func newCanary(tag string) canaryPerson {
	c := "Cnry" + tag
	return canaryPerson{ref: c + "-REF-77", first: c + "Firstname", last: c + "Lastname", email: strings.ToLower(c) + ".mail@canary.example",
		job: c + " Job Title", custom: c + "-custom-value", actText: c + " commented on the course", clientID: c + "-REF-77-activity-1",
		cpdName: c + " mentoring with a colleague", cpdNote: c + " private note", eventID: "evt-" + c + "-REF-77-joined"}
}

func (p canaryPerson) values() []string {
	return []string{p.ref, p.first, p.last, p.email, p.job, p.custom, p.actText, p.clientID, p.cpdName, p.cpdNote, p.eventID}
}

// TestErasure_NoPersonalByteSurvives is issue 6's proof: users with a
// record of every kind are erased (one by a provisioning event, one over
// REST); after the server stops, no canary value of theirs is readable in
// any file of the data directory (SQLite, with its WAL) or in any page of
// the PostgreSQL schema after the vacuum and rewrite, nor in the logs;
// their learning records are still there and counted.
func TestErasure_NoPersonalByteSurvives(t *testing.T) {
	srv := MustRunMain(t)
	ctx := t.Context()
	c := srv.Client
	kept := newCanary("Keep")
	gone := []canaryPerson{newCanary("GoneA"), newCanary("GoneB")}
	for _, p := range gone {
		srv.remember(p.values()...)
	}
	content, err := c.CreateContent(ctx, client.ContentFields{Title: client.Ptr("Course"), Type: client.Ptr("video"),
		Duration: client.Ptr(&client.Duration{Value: client.Ptr(30), Unit: "minutes"})})
	if err != nil {
		t.Fatal(err)
	}
	org, err := c.CreateAudience(ctx, client.AudienceFields{Name: client.Ptr("Org"), Reference: client.Ptr("ORG")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateAudience(ctx, client.AudienceFields{Name: client.Ptr("Team"), Reference: client.Ptr("TEAM"), ParentID: &org.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateTag(ctx, "Canary topic"); err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for i, p := range append([]canaryPerson{kept}, gone...) {
		f := client.UserFields{FirstName: &p.first, LastName: &p.last, Email: &p.email, JobTitle: &p.job,
			AdditionalFields: json.RawMessage(`{"department":"` + p.custom + `"}`)}
		if i == 0 {
			f.ManagerRef = &gone[0].ref // the kept user reports to an erased one
		}
		if i == 1 {
			// The first is created by a provisioning event whose id holds the ref.
			res, err := c.SendProvisioningEvent(ctx, client.ProvisioningEvent{ID: p.eventID, Timestamp: time.Now(),
				Type: client.EventUserJoined, Ref: p.ref, Fields: f})
			if err != nil {
				t.Fatal(err)
			}
			ids[p.ref] = res.UserID
		} else {
			u, err := c.CreateUser(ctx, p.ref, f)
			if err != nil {
				t.Fatal(err)
			}
			ids[p.ref] = u.ID
		}
		id := ids[p.ref]
		if _, err := c.RecordLogin(ctx, id); err != nil {
			t.Fatal(err)
		}
		if _, err := c.AddMembers(ctx, "TEAM", []string{p.ref}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.AddManagers(ctx, "ORG", []client.ManagerGrant{{Reference: p.email}}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.AddUserTags(ctx, id, []string{"Canary topic"}); err != nil {
			t.Fatal(err)
		}
		level := 2
		if _, err := c.UpdateUserSkills(ctx, id, []client.SkillUpdate{{TagName: "Canary topic", Level: &level}}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.IngestActivities(ctx, []client.NewActivity{{ID: p.clientID, Type: "commented", UserID: id,
			Date: time.Now().Add(-time.Hour), ContextType: "content", ContextID: content.ID, Name: p.actText,
			Data: json.RawMessage(`{"comment":"` + p.actText + `"}`), With: json.RawMessage(`{"name":"` + p.first + `"}`)}}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.CreateCPDEntry(ctx, client.NewCPDEntry{UserID: id, Activity: &client.CPDActivity{Type: "mentoring", Name: p.cpdName},
			EntryDate: time.Now().Add(-time.Hour), DurationMinutes: 60, Description: p.cpdNote}); err != nil {
			t.Fatal(err)
		}
	}
	assignment, err := c.CreateAssignment(ctx, client.AssignmentFields{AudienceID: "TEAM", ContentID: &content.ID})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range append([]canaryPerson{kept}, gone...) {
		if _, err := c.CreateCompletion(ctx, ids[p.ref], content.ID, time.Now().Add(-time.Minute)); err != nil {
			t.Fatal(err)
		}
	}

	// An idempotent bulk call names the people before they are erased: its
	// kept answer must not name them afterwards, on the wire or on disk.
	bulk := client.BulkRequest{Action: "suspend", DryRun: true, Identifiers: []client.Identifier{{Email: gone[0].email},
		{Ref: gone[1].ref}, {Email: kept.email}}}
	if _, err := c.BulkUsers(ctx, bulk, "canary-bulk"); err != nil {
		t.Fatal(err)
	}

	// Erase: one by a provisioning event (its id holds the ref), one over REST.
	if _, err := c.SendProvisioningEvent(ctx, client.ProvisioningEvent{ID: "evt-" + gone[0].ref + "-deleted", Timestamp: time.Now(),
		Type: client.EventUserDeleted, Ref: gone[0].ref}); err != nil {
		t.Fatal(err)
	}
	srv.remember("evt-" + gone[0].ref + "-deleted")
	if err := c.DeleteUser(ctx, gone[1].ref); err != nil {
		t.Fatal(err)
	}

	t.Run("OKRecordsKeptAndCounted", func(t *testing.T) {
		enrolments, err := c.ListEnrolments(ctx, assignment.ID, client.EnrolmentParams{})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range gone {
			id := ids[p.ref]
			completions, err := c.ListCompletions(ctx, client.CompletionParams{UserID: id})
			if err != nil || len(completions) != 1 {
				t.Errorf("%s's completions after erasure: %v, %v", id, completions, err)
			}
			if !slices.ContainsFunc(enrolments, func(e client.Enrolment) bool { return e.UserID == id && e.Status == "unassigned" }) {
				t.Errorf("%s's enrolment is not kept as unassigned: %v", id, enrolments)
			}
			e, err := c.GetErasure(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if e.Kept["activities"] != 1 || e.Kept["completions"] != 1 || e.Kept["enrolments"] != 1 || e.Kept["cpdEntries"] != 2 ||
				!e.Verification.Passed {
				t.Errorf("%s's receipt: kept %v, verification %+v", id, e.Kept, e.Verification)
			}
		}
		page, err := c.ListActivities(ctx, client.ActivityParams{PerPage: 1000})
		if err != nil || page.Pagination.TotalResults != 3 {
			t.Errorf("activities after erasure: %v, %v", page, err)
		}
	})

	t.Run("OKIdempotentReplayBlind", func(t *testing.T) {
		again, err := c.BulkUsers(ctx, bulk, "canary-bulk")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(again)
		for _, p := range gone {
			for _, v := range []string{p.email, p.ref, ids[p.ref]} {
				if strings.Contains(string(b), v) {
					t.Errorf("the replay after the erasure names %q: %s", v, b)
				}
			}
		}
		if r := again.Results[2]; r.UserID == nil || *r.UserID != ids[kept.ref] || r.Identifier.Email != kept.email {
			t.Errorf("the kept user's result = %s", b)
		}
	})

	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	var canaries []string
	for _, p := range gone {
		canaries = append(canaries, p.values()...)
	}
	control := []string{kept.email, kept.ref, kept.first}
	var found []string
	switch testdb.Kind() {
	case "sqlite":
		found = testdb.Residue(t, srv.DSN, append(control, canaries...)...)
		// The data directory holds the database and nothing else that
		// could keep a copy (no journal, no temp files left behind).
		entries, _ := os.ReadDir(filepath.Dir(srv.DSN))
		for _, e := range entries {
			if !strings.HasPrefix(e.Name(), "lethe.db") {
				t.Errorf("unexpected file in the data directory: %s", e.Name())
			}
		}
	case "postgres":
		found = mustPostgresResidue(t, srv.DSN, canaries, append(control, canaries...)...)
	}
	for _, v := range control {
		if !slices.Contains(found, v) {
			t.Fatalf("the kept user's %q is not found: the search proves nothing", v)
		}
	}
	for _, v := range canaries {
		if slices.Contains(found, v) {
			t.Errorf("erased value %q is still readable in the database (%s)", v, testdb.Kind())
		}
	}
}

// TestErasure_CLI: lethe erasure show prints the receipt as signed, and
// lethe erasure verify accepts it and refuses it once changed.
func TestErasure_CLI(t *testing.T) {
	srv := MustRunMain(t)
	ctx := t.Context()
	u := mustCreate(t, srv, "CLI-1", personFields("Clia", "Erased", "clia.erased@example.com"))
	if err := srv.Client.DeleteUser(ctx, "CLI-1"); err != nil {
		t.Fatal(err)
	}
	remote := []string{"--server", srv.URL, "--tenant", srv.TenantID, "--key", srv.APIKey}
	out, stderr, err := cli(t, append(append([]string{"erasure", "show"}, remote...), u.ID)...)
	if err != nil {
		t.Fatalf("erasure show: %v\n%s", err, stderr)
	}
	if !strings.Contains(out, `"userId": "`+u.ID+`"`) || strings.Contains(out, "Clia") {
		t.Errorf("erasure show printed %s", out)
	}
	key, err := srv.Client.GetErasurePublicKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "receipt.json")
	if err := os.WriteFile(file, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Run("OKValid", func(t *testing.T) {
		out, _, err := cli(t, "erasure", "verify", "--public-key", key.PublicKey, file)
		if err != nil || !strings.Contains(out, "receipt is valid") {
			t.Errorf("verify = %q, %v", out, err)
		}
	})
	t.Run("ErrTampered", func(t *testing.T) {
		tampered := filepath.Join(dir, "tampered.json")
		if err := os.WriteFile(tampered, []byte(strings.Replace(out, `"person": 1`, `"person": 0`, 1)), 0o600); err != nil {
			t.Fatal(err)
		}
		_, _, err := cli(t, "erasure", "verify", "--public-key", key.PublicKey, tampered)
		if err == nil || isUsageError(err) {
			t.Errorf("verify of a tampered receipt = %v, want exit 1", err)
		}
	})
	t.Run("ErrUsage", func(t *testing.T) {
		for _, args := range [][]string{{"erasure"}, {"erasure", "verify", file}, {"erasure", "verify", "--public-key", "short", file},
			{"erasure", "show"}, {"erasure", "show", "--server", srv.URL, u.ID}} {
			if _, _, err := cli(t, args...); !isUsageError(err) {
				t.Errorf("%v = %v, want a usage error", args, err)
			}
		}
	})
}

// TestTrail_Verify: the trail of a server's work verifies; editing,
// removing or appending to it in the database makes lethe trail verify
// fail.
func TestTrail_Verify(t *testing.T) {
	srv := MustRunMain(t)
	ctx := t.Context()
	for _, ref := range []string{"TR-1", "TR-2"} {
		mustCreate(t, srv, ref, personFields("Trail", "User", strings.ToLower(ref)+"@example.com"))
		if _, err := srv.Client.SuspendUser(ctx, ref, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := srv.Client.DeleteUser(ctx, "TR-1"); err != nil {
		t.Fatal(err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	out, _, err := cli(t, "trail", "verify", "--db", srv.DSN)
	if err != nil || !strings.Contains(out, "audit trail intact: 5 entries") {
		t.Fatalf("trail verify = %q, %v", out, err)
	}
	raw := rawDB(t, srv.DSN)
	exec := func(q string) {
		t.Helper()
		if _, err := raw.ExecContext(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for _, c := range []struct{ name, edit, undo, want string }{
		{"Edited", `UPDATE audit_trail SET action = 'user.updated' WHERE seq = 3`,
			`UPDATE audit_trail SET action = 'user.created' WHERE seq = 3`, "entry 3: was changed"},
		{"Removed", `DELETE FROM audit_trail WHERE seq = 2`, "", "entry 2: missing"},
		{"Truncated", `DELETE FROM audit_trail WHERE seq = 5`, "", "entries were removed from the end"},
	} {
		t.Run("Err"+c.name, func(t *testing.T) {
			exec(c.edit)
			out, _, err := cli(t, "trail", "verify", "--db", srv.DSN)
			if err == nil || isUsageError(err) || !strings.Contains(out, c.want) {
				t.Errorf("trail verify after %s = %q, %v; want exit 1 naming %q", c.edit, out, err, c.want)
			}
			if c.undo != "" {
				exec(c.undo)
			}
		})
	}
}

// TestTrail_Anchors: a trail cut at its end with its head rewritten to
// match, or deleted whole with its head, still verifies on its own (the
// limit of a trail checked against itself), but not against an anchor
// kept outside the database: a signed checkpoint (lethe trail checkpoint)
// or an erasure receipt, which carries the trail's head at the erasure.
// A changed or foreign-signed anchor is refused.
func TestTrail_Anchors(t *testing.T) {
	srv := MustRunMain(t)
	ctx := t.Context()
	tenant := srv.TenantID
	mustCreate(t, srv, "TA-1", personFields("Anchor", "One", "ta-1@example.com"))
	mustCreate(t, srv, "TA-2", personFields("Anchor", "Two", "ta-2@example.com"))
	if _, err := srv.Client.SuspendUser(ctx, "TA-2", nil); err != nil {
		t.Fatal(err)
	}
	erased := mustCreate(t, srv, "TA-3", personFields("Anchor", "Three", "ta-3@example.com"))
	if err := srv.Client.DeleteUser(ctx, "TA-3"); err != nil { // entry 5, the trail's head
		t.Fatal(err)
	}
	receipt, err := srv.Client.GetErasureReceipt(ctx, erased.ID)
	if err != nil {
		t.Fatal(err)
	}
	var rc client.Erasure
	if err := json.Unmarshal(receipt, &rc); err != nil {
		t.Fatal(err)
	}
	if rc.Trail == nil || rc.Trail.Seq != 5 || len(rc.Trail.Hash) != 64 {
		t.Fatalf("the receipt's trail = %+v, want entry 5 (the erasure's) with a SHA-256 hash", rc.Trail)
	}
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	receiptFile := filepath.Join(dir, "receipt.json")
	if err := os.WriteFile(receiptFile, receipt, 0o600); err != nil {
		t.Fatal(err)
	}
	out, stderr, err := cli(t, "trail", "checkpoint", "--db", srv.DSN)
	if err != nil {
		t.Fatalf("trail checkpoint: %v\n%s", err, stderr)
	}
	var cp struct {
		Kind  string `json:"kind"`
		Heads []struct {
			TenantID string `json:"tenantId"`
			Seq      int64  `json:"seq"`
			Hash     string `json:"hash"`
		} `json:"heads"`
	}
	if err := json.Unmarshal([]byte(out), &cp); err != nil || cp.Kind != "lethe.trail-checkpoint" || len(cp.Heads) != 1 ||
		cp.Heads[0].TenantID != tenant || cp.Heads[0].Seq != 5 || cp.Heads[0].Hash != rc.Trail.Hash {
		t.Fatalf("checkpoint = %s (%v), want the tenant's head at entry 5, the receipt's", out, err)
	}
	checkpointFile := filepath.Join(dir, "checkpoint.json")
	if err := os.WriteFile(checkpointFile, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	verify := func(anchors ...string) (string, error) {
		t.Helper()
		args := []string{"trail", "verify", "--db", srv.DSN}
		for _, a := range anchors {
			args = append(args, "--anchor", a)
		}
		out, _, err := cli(t, args...)
		if isUsageError(err) {
			t.Fatalf("trail verify %v: usage error %v", anchors, err)
		}
		return out, err
	}
	t.Run("OKAnchorsReached", func(t *testing.T) {
		out, err := verify(checkpointFile, receiptFile)
		if err != nil || !strings.Contains(out, "audit trail intact: 5 entries, reaching 2 anchor(s)") {
			t.Errorf("trail verify with a checkpoint and a receipt = %q, %v", out, err)
		}
	})
	t.Run("ErrForged", func(t *testing.T) {
		changed := filepath.Join(dir, "changed.json")
		if err := os.WriteFile(changed, []byte(strings.Replace(out, `"seq": 5`, `"seq": 4`, 1)), 0o600); err != nil {
			t.Fatal(err)
		}
		_, other, _ := ed25519.GenerateKey(nil)
		foreign, err := lethe.SignReceipt(other, map[string]any{"checkpointVersion": 1, "kind": "lethe.trail-checkpoint",
			"heads": []map[string]any{{"tenantId": tenant, "seq": 1, "hash": strings.Repeat("00", 32)}}})
		if err != nil {
			t.Fatal(err)
		}
		foreignFile := filepath.Join(dir, "foreign.json")
		if err := os.WriteFile(foreignFile, foreign, 0o600); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{changed, foreignFile} {
			if _, err := verify(f); err == nil || !strings.Contains(err.Error(), "refused") {
				t.Errorf("trail verify --anchor %s = %v, want the anchor refused", filepath.Base(f), err)
			}
		}
	})
	raw := rawDB(t, srv.DSN)
	exec := func(q string) {
		t.Helper()
		if _, err := raw.ExecContext(context.Background(), q, tenant); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for _, c := range []struct{ name, note string }{
		{"Truncated", "the last two entries removed and the head rewritten to match"},
		{"DeletedWhole", "every entry and the head deleted"},
	} {
		t.Run("Err"+c.name, func(t *testing.T) {
			if c.name == "Truncated" {
				exec(`DELETE FROM audit_trail WHERE tenant_id = $1 AND seq > 3`)
				exec(`UPDATE audit_heads SET seq = 3, hash = (SELECT hash FROM audit_trail WHERE tenant_id = $1 AND seq = 3) WHERE tenant_id = $1`)
			} else {
				exec(`DELETE FROM audit_trail WHERE tenant_id = $1`)
				exec(`DELETE FROM audit_heads WHERE tenant_id = $1`)
			}
			// Without an anchor the rest of the trail is a valid chain.
			if out, err := verify(); err != nil || !strings.Contains(out, "audit trail intact") {
				t.Errorf("trail verify without anchors, %s = %q, %v; want it to pass (the limit anchors lift)", c.note, out, err)
			}
			for _, a := range []string{checkpointFile, receiptFile} {
				out, err := verify(a)
				if err == nil || !strings.Contains(out, "tenant "+tenant+", entry 5: the trail no longer reaches anchor "+a) {
					t.Errorf("trail verify --anchor %s, %s = %q, %v; want exit 1 naming the tenant and the anchor", filepath.Base(a), c.note, out, err)
				}
			}
		})
	}
}
