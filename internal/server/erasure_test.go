package server_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
)

// MustPublicKey answers GET /lethe/v1/erasures/public-key.
func (s *testServer) MustPublicKey(tb testing.TB, as Tenant) ed25519.PublicKey {
	tb.Helper()
	got := s.MustOK(tb, as, http.StatusOK, "GET", "/lethe/v1/erasures/public-key", "")
	if got["algorithm"] != "Ed25519" {
		tb.Fatalf("public key = %v", got)
	}
	pub, err := base64.StdEncoding.DecodeString(got["publicKey"].(string))
	if err != nil || len(pub) != ed25519.PublicKeySize {
		tb.Fatalf("public key %v: %v", got["publicKey"], err)
	}
	return pub
}

// mustHistoryUser creates a user with a login, a membership (of an audience
// with an assignment) and an activity: an account with history.
func (s *testServer) mustHistoryUser(tb testing.TB, as Tenant, ref string) string {
	tb.Helper()
	id := MustID(tb, s.MustCreateUser(tb, as, ref, map[string]any{"jobTitle": ref + "-title"}))
	s.MustOK(tb, as, http.StatusOK, "POST", "/lethe/v1/users/"+id+"/logins", "")
	s.MustOK(tb, as, http.StatusOK, "POST", "/lethe/v1/activities", `{"activities":[{"id":"`+ref+`-a1","type":"commented","userId":"`+id+
		`","date":"`+T0+`","data":{"comment":"`+ref+`-comment"}}]}`)
	return id
}

func TestErasure_Receipt(t *testing.T) {
	s := MustStartServer(t)
	id := s.mustHistoryUser(t, s.A, "rcpt-canary-1")
	s.MustOK(t, s.A, http.StatusOK, "DELETE", "/rest/v2/users/ref/rcpt-canary-1", "")
	res := s.Do(t, s.A, "GET", "/lethe/v1/erasures/"+id, "")
	MustStatus(t, res, http.StatusOK)
	receipt := res.Body
	pub := s.MustPublicKey(t, s.A)
	t.Run("OKSignedAndVerified", func(t *testing.T) {
		if err := lethe.VerifyReceipt(pub, receipt); err != nil {
			t.Fatalf("receipt does not verify: %v\n%s", err, receipt)
		}
		got := res.Object(t)
		v := got["verification"].(map[string]any)
		if got["mode"] != "erase" || got["irreversible"] != true || v["passed"] != true || len(v["checks"].([]any)) < 8 {
			t.Errorf("receipt = %v", got)
		}
		if got["kept"].(map[string]any)["activities"] != 1.0 || got["keptPolicies"].(map[string]any)["activities"] != "pseudonymize" {
			t.Errorf("kept = %v, %v", got["kept"], got["keptPolicies"])
		}
		if got["erased"].(map[string]any)["person"] != 1.0 || got["erased"].(map[string]any)["dataKeys"] != 1.0 {
			t.Errorf("erased = %v", got["erased"])
		}
		MustNotContain(t, res, "rcpt-canary-1", "First", "Last", "@example.com")
	})
	t.Run("ErrTampered", func(t *testing.T) {
		for _, edit := range [][2]string{{`"person":1`, `"person":0`}, {`"mode":"erase"`, `"mode":"anonymize"`},
			{`"receiptVersion":1`, `"receiptVersion":1,"extra":true`}} {
			changed := bytes.Replace(receipt, []byte(edit[0]), []byte(edit[1]), 1)
			if bytes.Equal(changed, receipt) {
				t.Fatalf("%q is not in the receipt: %s", edit[0], receipt)
			}
			if err := lethe.VerifyReceipt(pub, changed); err == nil {
				t.Errorf("a receipt with %q changed to %q verifies", edit[0], edit[1])
			}
		}
		other, _, _ := ed25519.GenerateKey(nil)
		if err := lethe.VerifyReceipt(other, receipt); err == nil {
			t.Error("the receipt verifies against another key")
		}
	})
	t.Run("ErrNotErased", func(t *testing.T) {
		live := MustID(t, s.MustCreateUser(t, s.A, "rcpt-live", nil))
		MustError(t, s.Do(t, s.A, "GET", "/lethe/v1/erasures/"+live, ""), http.StatusNotFound, "not_found")
	})
}

func TestErasure_Anonymize(t *testing.T) {
	s := MustStartServer(t)
	id := s.mustHistoryUser(t, s.A, "anon-canary-1")
	s.MustOK(t, s.A, http.StatusCreated, "POST", "/rest/v1/audiences", `{"name":"Org","reference":"ORG"}`)
	s.MustOK(t, s.A, http.StatusOK, "POST", "/rest/v1/audiences/ORG/members", `["anon-canary-1"]`)
	res := s.Do(t, s.A, "POST", "/lethe/v1/users/"+id+"/anonymize", "")
	MustStatus(t, res, http.StatusOK)
	t.Run("OKReceipt", func(t *testing.T) {
		if err := lethe.VerifyReceipt(s.MustPublicKey(t, s.A), res.Body); err != nil {
			t.Fatal(err)
		}
		got := res.Object(t)
		if got["mode"] != "anonymize" || got["irreversible"] != true || !strings.Contains(got["statement"].(string), "cannot be undone") ||
			got["verification"].(map[string]any)["passed"] != true {
			t.Errorf("receipt = %v", got)
		}
		if got["erased"].(map[string]any)["memberships"] != 1.0 || got["kept"].(map[string]any)["activities"] != 1.0 {
			t.Errorf("receipt counts = %v %v", got["erased"], got["kept"])
		}
	})
	t.Run("OKAccountStaysRandom", func(t *testing.T) {
		u := s.MustGetUser(t, s.A, id)
		if u["deleted"] != false || u["status"] != "inactive" || !strings.HasPrefix(u["firstName"].(string), "anon-") ||
			!strings.HasSuffix(u["email"].(string), "@anonymized.invalid") || u["ref"] == "anon-canary-1" {
			t.Errorf("anonymized user = %v", u)
		}
		MustError(t, s.Do(t, s.A, "GET", "/rest/v1/users/ref/anon-canary-1", ""), http.StatusNotFound, "not_found")
		members := s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/audiences/ORG/members", "")
		MustDiff(t, "members", []any{}, members["results"])
		acts := s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/activities?perPage=1000", "")["results"].([]any)
		if len(acts) != 1 || acts[0].(map[string]any)["user"] != id || len(acts[0].(map[string]any)["data"].(map[string]any)) != 0 {
			t.Errorf("activities kept = %v", acts)
		}
		res := s.Do(t, s.A, "GET", "/rest/v1/user/"+id, "")
		MustNotContain(t, res, "anon-canary-1")
	})
	t.Run("ErrIrreversible", func(t *testing.T) {
		MustError(t, s.Do(t, s.A, "POST", "/lethe/v1/users/"+id+"/reactivate", ""), http.StatusConflict, "conflict", "user")
		// Anonymizing again answers the same record; the ref is free.
		again := s.MustOK(t, s.A, http.StatusOK, "POST", "/lethe/v1/users/"+id+"/anonymize", "")
		if again["erasedAt"] != res.Object(t)["erasedAt"] {
			t.Errorf("second anonymization = %v", again)
		}
		if MustID(t, s.MustCreateUser(t, s.A, "anon-canary-1", map[string]any{"email": "new@example.com"})) == id {
			t.Error("the new user with the old ref has the anonymized id")
		}
		MustError(t, s.Do(t, s.A, "POST", "/lethe/v1/users/000000000000000000000000/anonymize", ""), http.StatusNotFound, "not_found")
	})
}

// An anonymized account is final: no write path gives it a person again,
// and the receipt that says so stays true. Erasing it is the one change
// allowed, by its id; its old ref names no one.
func TestErasure_AnonymizedIsFinal(t *testing.T) {
	s := MustStartServer(t)
	id := s.mustHistoryUser(t, s.A, "final-canary")
	s.MustOK(t, s.A, http.StatusOK, "POST", "/rest/v1/webhooks", envelope(t, "evt-final-1", "user_updated",
		map[string]any{"ref": "final-canary", "jobTitle": "Before"}))
	receipt := s.Do(t, s.A, "POST", "/lethe/v1/users/"+id+"/anonymize", "")
	MustStatus(t, receipt, http.StatusOK)
	before := s.MustGetUser(t, s.A, id)
	anonRef := before["ref"].(string)
	// Every refusal names the account, says it can only be erased, and
	// echoes nothing that was sent.
	mustRefused := func(t *testing.T, res *response) {
		t.Helper()
		body := MustError(t, res, http.StatusConflict, "conflict", "user")
		if p := MustProblem(t, body, "user"); p != "anonymized" {
			t.Errorf("problem = %q, want anonymized", p)
		}
		if msg := body["message"].(string); !strings.Contains(msg, "only erased") || !strings.Contains(msg, "/lethe/v1/users/{id}") {
			t.Errorf("message = %q, want guidance to erase", msg)
		}
		MustNotContain(t, res, "Real", "real.person@example.com")
	}

	t.Run("ErrRESTWrites", func(t *testing.T) {
		mustRefused(t, s.Do(t, s.A, "PATCH", "/rest/v2/users/ref/"+anonRef,
			`{"firstName":"Real","lastName":"Person","email":"real.person@example.com"}`))
		mustRefused(t, s.Do(t, s.A, "PATCH", "/rest/v2/users/ref/"+anonRef, `{}`))
		mustRefused(t, s.Do(t, s.A, "PATCH", "/rest/v2/users/ref/"+anonRef+"/suspend", `{"endDate":"2030-01-01"}`))
		mustRefused(t, s.Do(t, s.A, "POST", "/lethe/v1/users/"+id+"/reactivate", ""))
		mustRefused(t, s.Do(t, s.A, "POST", "/rest/v1/users/"+id+"/tags", `{"tags":["Real"]}`))
	})
	t.Run("ErrProvisioning", func(t *testing.T) {
		for i, ev := range []struct {
			typ  string
			user map[string]any
		}{
			{"user_updated", map[string]any{"ref": anonRef, "firstName": "Real", "email": "real.person@example.com"}},
			{"user_suspended", map[string]any{"ref": anonRef, "endDate": "2030-01-01T00:00:00Z"}},
			{"user_joined", map[string]any{"ref": anonRef, "firstName": "Real", "lastName": "Person", "email": "real.person@example.com"}},
		} {
			body := MustJSON(t, map[string]any{"id": fmt.Sprintf("evt-final-w%d", i), "eventType": ev.typ,
				"content": map[string]any{"user": ev.user}})
			mustRefused(t, s.Do(t, s.A, "POST", "/rest/v1/webhooks", body))
		}
	})
	t.Run("SkippedBulk", func(t *testing.T) {
		for _, body := range []string{
			`{"action":"suspend","endDate":"2030-01-01","identifiers":[{"id":"` + id + `"}]}`,
			`{"action":"reactivate","identifiers":[{"id":"` + id + `"}]}`,
		} {
			got := s.MustOK(t, s.A, 207, "POST", "/lethe/v1/users/bulk", body)
			item := got["results"].([]any)[0].(map[string]any)
			if item["outcome"] != "skipped" || item["reason"] != "anonymized" {
				t.Errorf("bulk %s: %v, want skipped: anonymized", body, item)
			}
		}
	})
	t.Run("OKUnchangedAndReceiptTrue", func(t *testing.T) {
		MustDiff(t, "anonymized user", before, s.MustGetUser(t, s.A, id))
		if err := lethe.VerifyReceipt(s.MustPublicKey(t, s.A), receipt.Body); err != nil {
			t.Fatal(err)
		}
		now := s.MustOK(t, s.A, http.StatusOK, "GET", "/lethe/v1/erasures/"+id, "")
		if now["verification"].(map[string]any)["passed"] != true {
			t.Errorf("verification = %v", now["verification"])
		}
	})
	t.Run("OKReplayNamesNoOne", func(t *testing.T) {
		res := s.Do(t, s.A, "POST", "/rest/v1/webhooks", envelope(t, "evt-final-1", "user_updated",
			map[string]any{"ref": "final-canary", "jobTitle": "Before"}))
		MustStatus(t, res, http.StatusOK)
		if got := res.Object(t); got["replayed"] != true || got["userId"] != "" {
			t.Errorf("replay after anonymization = %v, want replayed without the learner", got)
		}
		MustNotContain(t, res, id, anonRef)
	})
	t.Run("ErrOldRefNamesNoOne", func(t *testing.T) {
		// Not a repeated erasure: the account stays, and nothing leads
		// from the old ref to it.
		MustError(t, s.Do(t, s.A, "DELETE", "/rest/v2/users/ref/final-canary", ""), http.StatusNotFound, "not_found")
		MustError(t, s.Do(t, s.A, "POST", "/rest/v1/webhooks", MustJSON(t, map[string]any{"id": "evt-final-d", "eventType": "user_deleted",
			"content": map[string]any{"user": map[string]any{"ref": "final-canary"}}})), http.StatusNotFound, "not_found")
		MustDiff(t, "anonymized user", before, s.MustGetUser(t, s.A, id))
	})
	t.Run("OKEraseByID", func(t *testing.T) {
		got := s.MustOK(t, s.A, http.StatusOK, "DELETE", "/lethe/v1/users/"+id, "")
		if got["outcome"] != "erased" {
			t.Errorf("delete = %v", got)
		}
		u := s.MustGetUser(t, s.A, id)
		if u["deleted"] != true || u["ref"] != nil || u["firstName"] != nil {
			t.Errorf("after erasure: %v", u)
		}
		e := s.MustOK(t, s.A, http.StatusOK, "GET", "/lethe/v1/erasures/"+id, "")
		if e["mode"] != "erase" || e["verification"].(map[string]any)["passed"] != true {
			t.Errorf("receipt after erasure = %v", e)
		}
	})
}

func TestErasure_Purge(t *testing.T) {
	s := MustStartServer(t)
	t.Run("OKNeverUsed", func(t *testing.T) {
		id := MustID(t, s.MustCreateUser(t, s.A, "purge-empty", nil))
		s.MustOK(t, s.A, http.StatusCreated, "POST", "/rest/v1/audiences", `{"name":"Org","reference":"ORG"}`)
		s.MustOK(t, s.A, http.StatusOK, "POST", "/rest/v1/audiences/ORG/members", `["purge-empty"]`)
		got := s.MustOK(t, s.A, http.StatusOK, "DELETE", "/lethe/v1/users/"+id+"?mode=purge", "")
		MustDiff(t, "purge", map[string]any{"success": true, "userId": id, "outcome": "purged"}, got)
		MustError(t, s.Do(t, s.A, "GET", "/rest/v1/user/"+id, ""), http.StatusNotFound, "not_found")
		MustError(t, s.Do(t, s.A, "GET", "/lethe/v1/users/"+id+"/status-history", ""), http.StatusNotFound, "not_found")
		MustDiff(t, "members", []any{}, s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/audiences/ORG/members", "")["results"])
		page := s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/users", "")
		if page["pagination"].(map[string]any)["totalResults"] != 0.0 {
			t.Errorf("users after purge = %v", page["pagination"])
		}
	})
	t.Run("ErrHasHistory", func(t *testing.T) {
		id := s.mustHistoryUser(t, s.A, "purge-used")
		e := MustError(t, s.Do(t, s.A, "DELETE", "/lethe/v1/users/"+id+"?mode=purge", ""), http.StatusConflict, "conflict")
		msg := e["message"].(string)
		for _, want := range []string{"has signed in", "has 1 activity", "Suspend", "erase", "anonymize"} {
			if !strings.Contains(msg, want) {
				t.Errorf("message %q does not say %q", msg, want)
			}
		}
		s.MustGetUser(t, s.A, id)
	})
	t.Run("ErrBadInput", func(t *testing.T) {
		id := MustID(t, s.MustCreateUser(t, s.A, "purge-bad", nil))
		MustError(t, s.Do(t, s.A, "DELETE", "/lethe/v1/users/"+id+"?mode=shred", ""), http.StatusUnprocessableEntity, "invalid", "mode")
		MustError(t, s.Do(t, s.A, "DELETE", "/lethe/v1/users/000000000000000000000000?mode=purge", ""), http.StatusNotFound, "not_found")
		s.MustOK(t, s.A, http.StatusOK, "DELETE", "/lethe/v1/users/"+id, "")
		MustError(t, s.Do(t, s.A, "DELETE", "/lethe/v1/users/"+id+"?mode=purge", ""), http.StatusConflict, "conflict")
		// Deleting an erased user by id again changes nothing.
		MustDiff(t, "again", map[string]any{"success": true, "userId": id, "outcome": "repeated"},
			s.MustOK(t, s.A, http.StatusOK, "DELETE", "/lethe/v1/users/"+id, ""))
	})
}

func TestErasure_Settings(t *testing.T) {
	s := MustStartServer(t)
	t.Run("OKDefaults", func(t *testing.T) {
		MustDiff(t, "settings", map[string]any{"deletion": map[string]any{"mode": "erase", "graceDays": 0.0, "tombstoneDays": 30.0},
			"audits": map[string]any{"dormant": nil}, "scim": map[string]any{"additionalFields": defaultSCIMMapping()}, "updatedAt": nil}, s.MustOK(t, s.A, http.StatusOK, "GET", "/lethe/v1/settings", ""))
	})
	t.Run("ErrBadInput", func(t *testing.T) {
		for body, field := range map[string]string{
			`{"deletion":{"mode":"shred"}}`: "deletion.mode", `{"deletion":{"graceDays":-1}}`: "deletion.graceDays",
			`{"deletion":{"graceDays":1.5}}`: "deletion.graceDays", `{"deletion":{"tombstoneDays":99999}}`: "deletion.tombstoneDays",
			`{"deletion":{"colour":"red"}}`: "deletion.colour", `{"theme":"dark"}`: "theme",
		} {
			MustError(t, s.Do(t, s.A, "PATCH", "/lethe/v1/settings", body), http.StatusUnprocessableEntity, "invalid", field)
		}
		MustError(t, s.Do(t, s.A, "PATCH", "/lethe/v1/settings", `{"deletion":{"graceDays":"7"}}`), http.StatusBadRequest, "bad_request", "deletion.graceDays")
		MustError(t, s.Do(t, s.A, "PATCH", "/lethe/v1/settings", `{"deletion":5}`), http.StatusBadRequest, "bad_request", "deletion")
	})
	t.Run("OKRestricted", func(t *testing.T) {
		got := s.MustOK(t, s.A, http.StatusOK, "PATCH", "/lethe/v1/settings", `{"deletion":{"mode":"restricted"}}`)
		if got["deletion"].(map[string]any)["mode"] != "restricted" || got["updatedAt"] == nil {
			t.Errorf("settings = %v", got)
		}
		used := s.mustHistoryUser(t, s.A, "restricted-used")
		e := MustError(t, s.Do(t, s.A, "DELETE", "/rest/v2/users/ref/restricted-used", ""), http.StatusConflict, "conflict")
		if msg := e["message"].(string); !strings.Contains(msg, "restricted") || !strings.Contains(msg, "anonymize") {
			t.Errorf("message = %q", msg)
		}
		MustError(t, s.Do(t, s.A, "POST", "/rest/v1/webhooks", envelope(t, "evt-r1", "user_deleted", map[string]any{"ref": "restricted-used"})),
			http.StatusConflict, "conflict")
		s.MustGetUser(t, s.A, used)
		// Suspend and anonymize remain; an account without history may go.
		s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v2/users/ref/restricted-used/suspend", `{}`)
		s.MustOK(t, s.A, http.StatusOK, "POST", "/lethe/v1/users/"+used+"/anonymize", "")
		s.MustCreateUser(t, s.A, "restricted-empty", nil)
		s.MustOK(t, s.A, http.StatusOK, "DELETE", "/rest/v2/users/ref/restricted-empty", "")
		s.MustOK(t, s.A, http.StatusOK, "PATCH", "/lethe/v1/settings", `{"deletion":{"mode":"erase"}}`)
	})
}

func TestErasure_GracePeriod(t *testing.T) {
	s := MustStartServer(t)
	users := sqldb.NewUserService(s.db)
	run := func(t *testing.T) int {
		t.Helper()
		n, err := users.RunDueErasures(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	s.MustOK(t, s.A, http.StatusOK, "PATCH", "/lethe/v1/settings", `{"deletion":{"graceDays":7}}`)
	id := s.mustHistoryUser(t, s.A, "grace-1")
	t.Run("OKDeleteSuspends", func(t *testing.T) {
		s.MustOK(t, s.A, http.StatusOK, "DELETE", "/rest/v2/users/ref/grace-1", "")
		u := s.MustGetUser(t, s.A, id)
		if u["status"] != "inactive" || u["deleted"] != false || u["ref"] != "grace-1" {
			t.Errorf("during the grace period: %v", u)
		}
		e := MustError(t, s.Do(t, s.A, "GET", "/lethe/v1/erasures/"+id, ""), http.StatusNotFound, "not_found")
		if !strings.Contains(e["message"].(string), "scheduled") {
			t.Errorf("receipt during the grace period: %v", e)
		}
		got := s.MustOK(t, s.A, http.StatusOK, "DELETE", "/lethe/v1/users/"+id, "")
		if got["outcome"] != "repeated" || got["dueAt"] != "2025-03-08T09:00:00.123Z" {
			t.Errorf("second delete = %v", got)
		}
		if n := run(t); n != 0 {
			t.Errorf("%d erased before the grace period ended", n)
		}
	})
	t.Run("OKReactivationCancels", func(t *testing.T) {
		s.MustOK(t, s.A, http.StatusOK, "POST", "/lethe/v1/users/"+id+"/reactivate", "")
		s.Clock.Set(t0.Add(8 * 24 * time.Hour))
		if n := run(t); n != 0 {
			t.Errorf("%d erased after the reactivation", n)
		}
		if u := s.MustGetUser(t, s.A, id); u["status"] != "active" || u["ref"] != "grace-1" {
			t.Errorf("after the reactivation: %v", u)
		}
	})
	t.Run("OKErasedWhenDue", func(t *testing.T) {
		s.MustOK(t, s.A, http.StatusOK, "DELETE", "/rest/v2/users/ref/grace-1", "")
		s.Clock.Set(t0.Add(15*24*time.Hour + time.Minute))
		if n := run(t); n != 1 {
			t.Fatalf("%d erased when the grace period ended, want 1", n)
		}
		if u := s.MustGetUser(t, s.A, id); u["deleted"] != true || u["firstName"] != nil {
			t.Errorf("after the grace period: %v", u)
		}
		rc := s.MustOK(t, s.A, http.StatusOK, "GET", "/lethe/v1/erasures/"+id, "")
		if rc["requestedAt"] == rc["erasedAt"] || rc["source"] != "api" || rc["verification"].(map[string]any)["passed"] != true {
			t.Errorf("receipt = %v", rc)
		}
		if n := run(t); n != 0 {
			t.Errorf("ran again: %d", n)
		}
	})
}
