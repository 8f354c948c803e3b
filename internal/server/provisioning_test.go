package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// envelope is a provisioning event of spec §10.1.
func envelope(tb testing.TB, id, eventType string, user map[string]any) string {
	tb.Helper()
	return MustJSON(tb, map[string]any{
		"id": id, "timestamp": "2025-03-01T09:00:00Z", "eventType": eventType,
		"content": map[string]any{"user": user},
	})
}

// MustEvent posts an event that must succeed and checks the whole answer.
func (s *testServer) MustEvent(tb testing.TB, as Tenant, body, id, eventType, outcome string, replayed bool) string {
	tb.Helper()
	got := s.MustOK(tb, as, http.StatusOK, "POST", "/rest/v1/webhooks", body)
	userID := MustID(tb, map[string]any{"id": got["userId"]})
	MustDiff(tb, "event answer", map[string]any{
		"success": true, "id": id, "eventType": eventType, "outcome": outcome, "userId": userID, "replayed": replayed,
	}, got)
	return userID
}

func TestProvisioning_Events(t *testing.T) {
	s := MustStartServer(t)
	joined := envelope(t, "evt-1", "user_joined", map[string]any{
		"ref": "p-1", "email": "p1@example.com", "firstName": "Pat", "lastName": "One", "jobTitle": "Analyst",
		"managerRef": "p-boss", "startDate": "2025-03-01", "timeZone": "Europe/Dublin", "languageCode": "en-ie",
	})
	var id string

	t.Run("OKJoinedCreates", func(t *testing.T) {
		id = s.MustEvent(t, s.A, joined, "evt-1", "user_joined", "created", false)
		got := s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/users/ref/p-1", "")
		MustDiff(t, "BasicUser", map[string]any{
			"id": id, "ref": "p-1", "firstName": "Pat", "lastName": "One", "email": "p1@example.com",
			"role": "learner", "status": "new", "additionalFields": map[string]any{}, "languageCode": "en-ie",
			"positions": []any{map[string]any{
				"id": id, "title": "Analyst", "ouId": nil, "isActive": true,
				"manager":   map[string]any{"id": nil, "name": nil, "ref": "p-boss"},
				"startDate": "2025-03-01T00:00:00.000Z", "endDate": nil, "createdAt": T0, "updatedAt": T0,
			}},
		}, got)
	})
	t.Run("OKUpdated", func(t *testing.T) {
		s.Clock.Advance(time.Minute)
		body := envelope(t, "evt-2", "user_updated", map[string]any{"ref": "p-1", "jobTitle": "Lead"})
		if got := s.MustEvent(t, s.A, body, "evt-2", "user_updated", "updated", false); got != id {
			t.Errorf("userId = %s, want %s", got, id)
		}
		u := s.MustGetUser(t, s.A, id)
		if title := u["positions"].([]any)[0].(map[string]any)["title"]; title != "Lead" || u["firstName"] != "Pat" {
			t.Errorf("after update: title %v, firstName %v", title, u["firstName"])
		}
	})
	t.Run("OKReplayReturnsFirstOutcome", func(t *testing.T) {
		s.Clock.Advance(time.Minute)
		before := s.MustGetUser(t, s.A, id)
		if got := s.MustEvent(t, s.A, joined, "evt-1", "user_joined", "created", true); got != id {
			t.Errorf("userId = %s, want %s", got, id)
		}
		// The later update stays: the replay changed nothing.
		MustDiff(t, "user after replay", before, s.MustGetUser(t, s.A, id))
	})
	t.Run("ErrSameIDOtherBody", func(t *testing.T) {
		other := envelope(t, "evt-1", "user_joined", map[string]any{
			"ref": "p-1", "email": "p1@example.com", "firstName": "Pat", "lastName": "Changed",
		})
		res := s.Do(t, s.A, "POST", "/rest/v1/webhooks", other)
		body := MustError(t, res, http.StatusConflict, "conflict", "id")
		if p := MustProblem(t, body, "id"); p != "reused" {
			t.Errorf("problem = %q, want reused", p)
		}
		MustNotContain(t, res, "p1@example.com", "Pat", "Changed", "p-1")
		if u := s.MustGetUser(t, s.A, id); u["lastName"] != "One" {
			t.Errorf("lastName = %v after a refused event", u["lastName"])
		}
	})
	t.Run("OKSuspendedWithEndDate", func(t *testing.T) {
		body := envelope(t, "evt-3", "user_suspended", map[string]any{"ref": "p-1", "endDate": "2025-03-31T17:00:00+01:00"})
		s.MustEvent(t, s.A, body, "evt-3", "user_suspended", "suspended", false)
		u := s.MustGetUser(t, s.A, id)
		pos := u["positions"].([]any)[0].(map[string]any)
		if u["status"] != "inactive" || pos["endDate"] != "2025-03-31T16:00:00.000Z" || pos["isActive"] != false {
			t.Errorf("after suspension: status %v, endDate %v, isActive %v", u["status"], pos["endDate"], pos["isActive"])
		}
	})
	t.Run("OKJoinedReactivatesAndUpdates", func(t *testing.T) {
		body := envelope(t, "evt-4", "user_joined", map[string]any{
			"ref": "p-1", "email": "p1@example.com", "firstName": "Pat", "lastName": "One", "jobTitle": "Rehired",
		})
		if got := s.MustEvent(t, s.A, body, "evt-4", "user_joined", "reactivated", false); got != id {
			t.Errorf("userId = %s, want the same user %s", got, id)
		}
		u := s.MustGetUser(t, s.A, id)
		pos := u["positions"].([]any)[0].(map[string]any)
		if u["status"] != "new" || pos["title"] != "Rehired" || pos["endDate"] != nil {
			t.Errorf("after rejoin: status %v, title %v, endDate %v", u["status"], pos["title"], pos["endDate"])
		}
	})
	t.Run("OKJoinedForActiveUserUpdates", func(t *testing.T) {
		body := envelope(t, "evt-5", "user_joined", map[string]any{
			"ref": "p-1", "email": "p1@example.com", "firstName": "Patricia", "lastName": "One",
		})
		s.MustEvent(t, s.A, body, "evt-5", "user_joined", "updated", false)
		if u := s.MustGetUser(t, s.A, id); u["firstName"] != "Patricia" {
			t.Errorf("firstName = %v", u["firstName"])
		}
	})
	t.Run("ErrUpdatedUnknownRef", func(t *testing.T) {
		for _, typ := range []string{"user_updated", "user_suspended", "user_deleted"} {
			body := envelope(t, "evt-unknown-"+typ, typ, map[string]any{"ref": "nobody", "jobTitle": "x"})
			MustError(t, s.Do(t, s.A, "POST", "/rest/v1/webhooks", body), http.StatusNotFound, "not_found")
		}
	})
	t.Run("OKFailedEventNotRecorded", func(t *testing.T) {
		bad := envelope(t, "evt-6", "user_joined", map[string]any{
			"ref": "p-2", "email": "not-an-email", "firstName": "Sam", "lastName": "Two",
		})
		res := s.Do(t, s.A, "POST", "/rest/v1/webhooks", bad)
		MustError(t, res, http.StatusUnprocessableEntity, "invalid", "email")
		MustNotContain(t, res, "not-an-email", "Sam", "p-2")
		fixed := envelope(t, "evt-6", "user_joined", map[string]any{
			"ref": "p-2", "email": "p2@example.com", "firstName": "Sam", "lastName": "Two",
		})
		s.MustEvent(t, s.A, fixed, "evt-6", "user_joined", "created", false)
		// A 404 is not recorded either.
		// (Sent after p-3 is created below: one sent before would be
		// about someone else, see TestProvisioning_StaleEvents.)
		ghost := strings.Replace(envelope(t, "evt-7", "user_updated", map[string]any{"ref": "p-3", "jobTitle": "x"}),
			"2025-03-01T09:00:00Z", "2025-03-01T09:30:00Z", 1)
		MustError(t, s.Do(t, s.A, "POST", "/rest/v1/webhooks", ghost), http.StatusNotFound, "not_found")
		s.MustCreateUser(t, s.A, "p-3", nil)
		s.MustEvent(t, s.A, ghost, "evt-7", "user_updated", "updated", false)
	})
	t.Run("OKDeletedErases", func(t *testing.T) {
		body := envelope(t, "evt-8", "user_deleted", map[string]any{"ref": "p-1"})
		s.MustEvent(t, s.A, body, "evt-8", "user_deleted", "erased", false)
		MustError(t, s.Do(t, s.A, "GET", "/rest/v1/users/ref/p-1", ""), http.StatusNotFound, "not_found")
		u := s.MustGetUser(t, s.A, id)
		if u["deleted"] != true || u["ref"] != nil || u["email"] != nil || u["firstName"] != nil {
			t.Errorf("after user_deleted: %v", u)
		}
		erasure := s.MustOK(t, s.A, http.StatusOK, "GET", "/lethe/v1/erasures/"+id, "")
		if erasure["source"] != "provisioning" || erasure["actor"] != "provisioning-webhook" {
			t.Errorf("erasure = %v, want source provisioning", erasure)
		}
		// The event hashes of the erased person were cleared: the five events
		// that named p-1 and were recorded (evt-1 … evt-5).
		MustDiff(t, "erased", map[string]any{"person": 1.0, "managerRefs": 0.0, "provisioningEventHashes": 5.0, "memberships": 0.0, "managerRoles": 0.0,
			"activityText": 0.0, "accountDetails": 0.0, "cpdText": 0.0, "dataKeys": 0.0, "skills": 0.0, "tags": 0.0, "pendingErasures": 0.0,
			"idempotentAnswers": 0.0, "deliveryResponses": 0.0, "eventPayloads": 0.0}, erasure["erased"])
	})
	t.Run("OKReplayAfterErasure", func(t *testing.T) {
		// Each replay answers its first outcome, brings nobody back, and no
		// longer names the erased learner: an envelope id must not lead to
		// their kept records, whatever body comes with it.
		changed := strings.Replace(joined, "Analyst", "Other", 1)
		for _, r := range []struct{ id, typ, outcome, body string }{
			{"evt-1", "user_joined", "created", joined},
			{"evt-1", "user_joined", "created", changed},
			{"evt-2", "user_updated", "updated", envelope(t, "evt-2", "user_updated", map[string]any{"ref": "p-1", "jobTitle": "Lead"})},
			{"evt-8", "user_deleted", "erased", envelope(t, "evt-8", "user_deleted", map[string]any{"ref": "p-1"})},
		} {
			res := s.Do(t, s.A, "POST", "/rest/v1/webhooks", r.body)
			MustStatus(t, res, http.StatusOK)
			MustDiff(t, "replay of "+r.id, map[string]any{"success": true, "id": r.id, "eventType": r.typ, "outcome": r.outcome,
				"userId": "", "replayed": true}, res.Object(t))
			MustNotContain(t, res, id, "p-1", "p1@example.com")
		}
		MustError(t, s.Do(t, s.A, "GET", "/rest/v1/users/ref/p-1", ""), http.StatusNotFound, "not_found")
		// A new envelope sent before the erasure (an HR system's delayed
		// retry) is refused: the tombstone of the ref says when it was erased.
		stale := envelope(t, "evt-9", "user_joined", map[string]any{
			"ref": "p-1", "email": "p1@example.com", "firstName": "Pat", "lastName": "One",
		})
		MustError(t, s.Do(t, s.A, "POST", "/rest/v1/webhooks", stale), http.StatusConflict, "conflict", "timestamp")
		staleUpdate := envelope(t, "evt-9b", "user_updated", map[string]any{"ref": "p-1", "jobTitle": "Ghost"})
		MustError(t, s.Do(t, s.A, "POST", "/rest/v1/webhooks", staleUpdate), http.StatusConflict, "conflict", "timestamp")
		// Deleting the erased ref again is idempotent.
		MustDiff(t, "delete again", map[string]any{"success": true, "id": "evt-9c", "eventType": "user_deleted", "outcome": "erased",
			"userId": "", "replayed": false}, s.MustOK(t, s.A, http.StatusOK, "POST", "/rest/v1/webhooks",
			envelope(t, "evt-9c", "user_deleted", map[string]any{"ref": "p-1"})))
		// One sent after the erasure creates the ref again, as a new user.
		again := strings.Replace(stale, "2025-03-01T09:00:00Z", "2025-03-01T09:30:00Z", 1)
		if got := s.MustEvent(t, s.A, again, "evt-9", "user_joined", "created", false); got == id {
			t.Errorf("the erased user %s came back", id)
		}
	})
	t.Run("OKHistorySource", func(t *testing.T) {
		hist := s.MustOK(t, s.A, http.StatusOK, "GET", "/lethe/v1/users/"+id+"/status-history", "")["results"].([]any)
		for _, h := range hist {
			m := h.(map[string]any)
			if m["source"] != "provisioning" || m["actor"] != "provisioning-webhook" {
				t.Errorf("history entry %v, want source provisioning", m)
			}
		}
		if len(hist) != 4 {
			t.Errorf("history has %d entries, want created, suspended, reactivated, erased", len(hist))
		}
	})
}

// TestProvisioning_StaleEvents: an event sent before the ref's holder
// existed, or before the ref's previous holder was erased, was about
// someone else and touches no one, whoever holds the ref now.
func TestProvisioning_StaleEvents(t *testing.T) {
	s := MustStartServer(t)
	event := func(id, typ, ts string, user map[string]any) string {
		return MustJSON(t, map[string]any{"id": id, "timestamp": ts, "eventType": typ, "content": map[string]any{"user": user}})
	}
	old := s.MustEvent(t, s.A, event("evt-s1", "user_joined", "2025-03-01T09:00:00Z", map[string]any{
		"ref": "EMP002", "email": "alan@example.com", "firstName": "Alan", "lastName": "Turing"}), "evt-s1", "user_joined", "created", false)
	s.Clock.Advance(time.Minute) // 09:01:00.123: the erasure
	s.MustEvent(t, s.A, event("evt-s2", "user_deleted", "2025-03-01T09:01:00Z", map[string]any{"ref": "EMP002"}),
		"evt-s2", "user_deleted", "erased", false)
	s.Clock.Advance(time.Hour) // 10:01:00.123: a new person takes the ref
	joan := MustID(t, s.MustCreateUser(t, s.A, "EMP002", map[string]any{"email": "joan@example.com", "firstName": "Joan"}))
	if joan == old {
		t.Fatal("the new holder has the erased learner's id")
	}
	before := s.MustGetUser(t, s.A, joan)
	mustStale := func(t *testing.T, body, problem string) {
		t.Helper()
		res := s.Do(t, s.A, "POST", "/rest/v1/webhooks", body)
		got := MustError(t, res, http.StatusConflict, "conflict", "timestamp")
		if p := MustProblem(t, got, "timestamp"); p != problem {
			t.Errorf("problem = %q, want %q", p, problem)
		}
		MustNotContain(t, res, joan, old, "Ghost")
		MustDiff(t, "new holder", before, s.MustGetUser(t, s.A, joan))
	}

	t.Run("ErrBeforeErasure", func(t *testing.T) {
		for i, typ := range []string{"user_updated", "user_suspended", "user_deleted", "user_joined"} {
			mustStale(t, event(fmt.Sprintf("evt-s3-%d", i), typ, "2025-03-01T09:00:30Z", map[string]any{
				"ref": "EMP002", "jobTitle": "Ghost", "email": "alan@example.com", "firstName": "Alan", "lastName": "Turing"}),
				"before_erasure")
		}
	})
	t.Run("ErrBeforeCreation", func(t *testing.T) {
		// After the erasure, but before the new holder existed (by more
		// than the minute of clock skew allowed against Lethe's clock).
		for i, typ := range []string{"user_updated", "user_suspended", "user_deleted"} {
			mustStale(t, event(fmt.Sprintf("evt-s4-%d", i), typ, "2025-03-01T09:59:00Z", map[string]any{
				"ref": "EMP002", "jobTitle": "Ghost"}), "before_creation")
		}
	})
	t.Run("OKAfterCreation", func(t *testing.T) {
		// Whole seconds on a sender's clock a little behind Lethe's.
		s.MustEvent(t, s.A, event("evt-s5", "user_updated", "2025-03-01T10:01:00Z", map[string]any{"ref": "EMP002", "jobTitle": "Cryptanalyst"}),
			"evt-s5", "user_updated", "updated", false)
		if title := s.MustGetUser(t, s.A, joan)["positions"].([]any)[0].(map[string]any)["title"]; title != "Cryptanalyst" {
			t.Errorf("title = %v", title)
		}
	})
	t.Run("SenderClock", func(t *testing.T) {
		// A holder created by an event is born at that event's timestamp,
		// on the sender's clock (here 30 s ahead of Lethe's 10:01:00.123).
		s.MustEvent(t, s.A, event("evt-s6", "user_joined", "2025-03-01T10:01:30Z", map[string]any{
			"ref": "EMP010", "email": "emp10@example.com", "firstName": "Ten", "lastName": "Ten"}), "evt-s6", "user_joined", "created", false)
		res := s.Do(t, s.A, "POST", "/rest/v1/webhooks", event("evt-s7", "user_updated", "2025-03-01T10:01:29Z",
			map[string]any{"ref": "EMP010", "jobTitle": "Ghost"}))
		if p := MustProblem(t, MustError(t, res, http.StatusConflict, "conflict", "timestamp"), "timestamp"); p != "before_creation" {
			t.Errorf("problem = %q, want before_creation", p)
		}
		s.MustEvent(t, s.A, event("evt-s8", "user_updated", "2025-03-01T10:01:31Z", map[string]any{"ref": "EMP010", "jobTitle": "Real"}),
			"evt-s8", "user_updated", "updated", false)
	})
}

func TestProvisioning_Decode(t *testing.T) {
	s := MustStartServer(t)
	cases := []struct {
		name, body, field string
		status            int
	}{
		{"ErrIDMissing", `{"eventType":"user_joined","content":{"user":{"ref":"r"}}}`, "id", 422},
		{"ErrIDBlank", `{"id":"  ","eventType":"user_joined","content":{"user":{"ref":"r"}}}`, "id", 422},
		{"ErrIDTooLong", `{"id":"` + strings.Repeat("x", 201) + `","eventType":"user_deleted","content":{"user":{"ref":"r"}}}`, "id", 422},
		{"ErrIDType", `{"id":5,"eventType":"user_joined","content":{"user":{"ref":"r"}}}`, "id", 400},
		{"ErrEventTypeMissing", `{"id":"e","content":{"user":{"ref":"r"}}}`, "eventType", 422},
		{"ErrEventTypeUnknown", `{"id":"e","eventType":"user_exploded","content":{"user":{"ref":"r"}}}`, "eventType", 422},
		{"ErrContentMissing", `{"id":"e","eventType":"user_joined"}`, "content", 422},
		{"ErrContentNull", `{"id":"e","eventType":"user_joined","content":null}`, "content", 422},
		{"ErrContentType", `{"id":"e","eventType":"user_joined","content":[]}`, "content", 400},
		{"ErrUserMissing", `{"id":"e","eventType":"user_joined","content":{}}`, "content.user", 422},
		{"ErrUserType", `{"id":"e","eventType":"user_joined","content":{"user":"r"}}`, "content.user", 400},
		{"ErrRefMissing", `{"id":"e","eventType":"user_joined","content":{"user":{"email":"a@example.com"}}}`, "content.user.ref", 422},
		{"ErrRefBlankOnDelete", `{"id":"e","eventType":"user_deleted","content":{"user":{"ref":" "}}}`, "content.user.ref", 422},
		{"ErrFieldType", `{"id":"e","eventType":"user_updated","content":{"user":{"ref":"r","firstName":1}}}`, "content.user.firstName", 400},
		{"ErrEndDate", `{"id":"e","eventType":"user_suspended","content":{"user":{"ref":"r","endDate":"later"}}}`, "content.user.endDate", 422},
		{"ErrTimestamp", `{"id":"e","timestamp":"noon","eventType":"user_deleted","content":{"user":{"ref":"r"}}}`, "timestamp", 422},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code := "invalid"
			if c.status == 400 {
				code = "bad_request"
			}
			body := MustError(t, s.Do(t, s.A, "POST", "/rest/v1/webhooks", c.body), c.status, code, c.field)
			if c.status == 422 && c.field == "content.user.ref" && body["message"] != "content.user.ref is required" {
				t.Errorf("message = %q, want the qualified field", body["message"])
			}
		})
	}
	t.Run("OKNothingRecorded", func(t *testing.T) {
		// The refused envelopes used the id "e"; it is free.
		body := envelope(t, "e", "user_joined", map[string]any{"ref": "r", "firstName": "F", "lastName": "L", "email": "r@example.com"})
		s.MustEvent(t, s.A, body, "e", "user_joined", "created", false)
	})
}

// TestProvisioning_ReplayConcurrent delivers one event many times at once,
// as a retrying sender may: it is applied exactly once, and every delivery
// answers 200 with the same outcome and user, all but one as a replay.
func TestProvisioning_ReplayConcurrent(t *testing.T) {
	const n = 20
	s := MustStartServer(t)
	s.MustCreateUser(t, s.A, "known", nil)
	cases := []struct {
		name, body, eventType, outcome string
	}{
		{"OKJoinedCreates", envelope(t, "evt-c-1", "user_joined", map[string]any{
			"ref": "fresh", "email": "fresh@example.com", "firstName": "Fresh", "lastName": "Joiner",
		}), "user_joined", "created"},
		{"OKUpdated", envelope(t, "evt-c-2", "user_updated", map[string]any{"ref": "known", "jobTitle": "Busy"}),
			"user_updated", "updated"},
		{"OKSuspended", envelope(t, "evt-c-3", "user_suspended", map[string]any{"ref": "known"}),
			"user_suspended", "suspended"},
		{"OKDeleted", envelope(t, "evt-c-4", "user_deleted", map[string]any{"ref": "known"}),
			"user_deleted", "erased"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			reqs := make([]*http.Request, n)
			for i := range reqs {
				reqs[i] = s.NewRequest(t, s.A, "POST", "/rest/v1/webhooks", c.body)
			}
			var userID string
			applied := 0
			answers := s.SendAll(t, reqs)
			for i, res := range answers {
				if res.Status != http.StatusOK {
					t.Fatalf("delivery %d: %s", i, res)
				}
				if got := res.Object(t); got["replayed"] == false {
					userID = MustID(t, map[string]any{"id": got["userId"]})
				}
			}
			for i, res := range answers {
				got := res.Object(t)
				want := userID
				if got["replayed"] == true && c.outcome == "erased" {
					want = "" // a replay after the erasure does not name the erased learner
				}
				if got["replayed"] == false {
					applied++
				}
				got["replayed"] = nil
				MustDiff(t, fmt.Sprintf("delivery %d", i), map[string]any{
					"success": true, "id": got["id"], "eventType": c.eventType, "outcome": c.outcome, "userId": want, "replayed": nil,
				}, got)
			}
			if applied != 1 {
				t.Fatalf("%d deliveries applied the event, want exactly 1", applied)
			}
			// The status history shows the event once.
			hist := s.MustOK(t, s.A, http.StatusOK, "GET", "/lethe/v1/users/"+userID+"/status-history", "")["results"].([]any)
			reasons := []string{}
			for _, h := range hist {
				reasons = append(reasons, h.(map[string]any)["reason"].(string))
			}
			want := map[string][]string{
				"created": {"created"}, "updated": {"created"}, "suspended": {"created", "suspended"},
				"erased": {"created", "suspended", "erased"},
			}[c.outcome]
			MustDiff(t, "history reasons", want, reasons)
		})
	}
	page := s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/users", "")
	if got := page["pagination"].(map[string]any)["totalResults"]; got != 2.0 {
		t.Errorf("totalResults = %v, want 2 (known, erased, and fresh)", got)
	}
}

// TestProvisioning_FutureJoin: a user_joined with a timestamp far ahead (a
// sender's typo: 2099) makes the person born at most a minute from now,
// not in 2099, which would refuse every later event with a true timestamp
// as before_creation, user_deleted included: the feed could never erase
// them.
func TestProvisioning_FutureJoin(t *testing.T) {
	s := MustStartServer(t)
	event := func(id, typ, ts string, user map[string]any) string {
		return MustJSON(t, map[string]any{"id": id, "timestamp": ts, "eventType": typ, "content": map[string]any{"user": user}})
	}
	s.MustEvent(t, s.A, event("evt-f1", "user_joined", "2099-03-01T09:00:00Z", map[string]any{
		"ref": "EMP-F", "email": "f@example.com", "firstName": "Fut", "lastName": "Ure"}), "evt-f1", "user_joined", "created", false)
	s.Clock.Advance(2 * time.Minute)
	res := s.Do(t, s.A, "POST", "/rest/v1/webhooks", event("evt-f2", "user_deleted", "2025-03-01T09:02:00Z", map[string]any{"ref": "EMP-F"}))
	if res.Status != http.StatusOK {
		t.Errorf("user_deleted a day after the clock's real now = %d %s: the person can no longer be erased by the feed", res.Status, res.Body)
	}
}
