package server_test

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Response shapes of spec §6.
var (
	lifecycleKeys = []string{"id", "loginMethod", "ref", "email", "firstName", "lastName", "role", "jobTitle",
		"managerRef", "startDate", "endDate", "timeZone", "languageCode", "active", "createdAt", "updatedAt", "sso",
		"domain", "additionalFields"}
	userKeys = []string{"id", "ref", "firstName", "lastName", "email", "role", "status", "positions",
		"additionalFields", "languageCode", "deleted", "compliance", "level", "firstLogin", "lastLogin", "tags",
		"usersFollowing", "tagsFollowing", "createdAt", "updatedAt", "hasPicture", "timeZone", "summary", "relevancy",
		"rank", "agreedTerms", "onboarded", "audiences", "singleSignOn"}
	basicUserKeys = []string{"id", "ref", "firstName", "lastName", "email", "role", "status", "positions",
		"additionalFields", "languageCode"}
)

// fullUser is the User of GET /rest/v1/user/{id} with every default; callers
// override what they expect to differ.
func fullUser(id string, over map[string]any) map[string]any {
	u := map[string]any{
		"id": id, "ref": nil, "firstName": nil, "lastName": nil, "email": nil, "role": "learner", "status": "new",
		"positions": []any{}, "additionalFields": map[string]any{}, "languageCode": nil, "deleted": false,
		"compliance": 0.0, "level": 0.0, "firstLogin": nil, "lastLogin": nil,
		"tags": map[string]any{"skills": []any{}}, "usersFollowing": []any{}, "tagsFollowing": []any{},
		"createdAt": T0, "updatedAt": T0, "hasPicture": false, "timeZone": nil, "summary": nil, "relevancy": 0.0,
		"rank": map[string]any{"currentCategory": nil, "currentLevel": 0.0}, "agreedTerms": nil, "onboarded": nil,
		"audiences": []any{}, "singleSignOn": false,
	}
	for k, v := range over {
		u[k] = v
	}
	return u
}

// MustDiff fails when got differs from want.
func MustDiff(tb testing.TB, what string, want, got any) {
	tb.Helper()
	if diff := cmp.Diff(want, got); diff != "" {
		tb.Fatalf("%s mismatch (-want +got):\n%s", what, diff)
	}
}

func TestUsers_Create(t *testing.T) {
	s := MustStartServer(t)

	t.Run("OK", func(t *testing.T) {
		body := `{"ref":"emp-001","firstName":"Ada","lastName":"Lovelace","email":"ada@example.com"}`
		res := s.Do(t, s.A, "POST", "/rest/v2/users", body)
		MustStatus(t, res, http.StatusCreated)
		got := res.Object(t)
		MustKeys(t, got, lifecycleKeys...)
		id := MustID(t, got)
		MustDiff(t, "UserLifecycle", map[string]any{
			"id": id, "loginMethod": "email", "ref": "emp-001", "email": "ada@example.com", "firstName": "Ada",
			"lastName": "Lovelace", "role": "learner", "jobTitle": nil, "managerRef": nil, "startDate": nil,
			"endDate": nil, "timeZone": nil, "languageCode": nil, "active": true, "createdAt": T0, "updatedAt": T0,
			"sso": false, "domain": nil, "additionalFields": map[string]any{},
		}, got)

		full := s.MustGetUser(t, s.A, id)
		MustKeys(t, full, userKeys...)
		MustDiff(t, "User", fullUser(id, map[string]any{
			"ref": "emp-001", "firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com",
		}), full)

		basic := s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/users/ref/emp-001", "")
		MustKeys(t, basic, basicUserKeys...)
		MustDiff(t, "BasicUser", map[string]any{
			"id": id, "ref": "emp-001", "firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com",
			"role": "learner", "status": "new", "positions": []any{}, "additionalFields": map[string]any{},
			"languageCode": nil,
		}, basic)
	})

	t.Run("OKEveryField", func(t *testing.T) {
		got := s.MustOK(t, s.A, http.StatusCreated, "POST", "/rest/v2/users", MustJSON(t, map[string]any{
			"ref": "  emp-002 ", "firstName": " Grace ", "lastName": "Hopper", "email": "Grace.Hopper@Example.com",
			"loginMethod": "email", "role": "administrator", "jobTitle": "Rear Admiral", "managerRef": "emp-001",
			"startDate": "2024-01-15", "endDate": "2030-06-30T17:30:00+02:00", "timeZone": "Europe/London",
			"languageCode": "EN-GB", "sso": true, "domain": "navy.example",
			"additionalFields": map[string]any{"department": "Sales", "level": 3, "tags": []any{"a", "b"}},
			"unknownMember":    "ignored",
		}))
		id := MustID(t, got)
		MustDiff(t, "UserLifecycle", map[string]any{
			"id": id, "loginMethod": "email", "ref": "emp-002", "email": "Grace.Hopper@Example.com",
			"firstName": "Grace", "lastName": "Hopper", "role": "administrator", "jobTitle": "Rear Admiral",
			"managerRef": "emp-001", "startDate": "2024-01-15T00:00:00.000Z", "endDate": "2030-06-30T15:30:00.000Z",
			"timeZone": "Europe/London", "languageCode": "en-gb", "active": true, "createdAt": T0, "updatedAt": T0,
			"sso": true, "domain": "navy.example",
			"additionalFields": map[string]any{"department": "Sales", "level": 3.0, "tags": []any{"a", "b"}},
		}, got)
		mgr := MustID(t, s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/users/ref/emp-001", ""))
		MustDiff(t, "User", fullUser(id, map[string]any{
			"ref": "emp-002", "firstName": "Grace", "lastName": "Hopper", "email": "Grace.Hopper@Example.com",
			"role": "administrator", "languageCode": "en-gb", "timeZone": "Europe/London", "singleSignOn": true,
			"additionalFields": map[string]any{"department": "Sales", "level": 3.0, "tags": []any{"a", "b"}},
			"positions": []any{map[string]any{
				"id": id, "title": "Rear Admiral", "ouId": nil, "isActive": true,
				"manager":   map[string]any{"id": mgr, "name": "Ada Lovelace", "ref": "emp-001"},
				"startDate": "2024-01-15T00:00:00.000Z", "endDate": "2030-06-30T15:30:00.000Z",
				"createdAt": T0, "updatedAt": T0,
			}},
		}), s.MustGetUser(t, s.A, id))
	})

	t.Run("OKLoginMethodRefWithoutEmail", func(t *testing.T) {
		got := s.MustCreateUser(t, s.A, "emp-003", map[string]any{"email": nil, "loginMethod": "ref"})
		if got["email"] != nil || got["loginMethod"] != "ref" {
			t.Errorf("email = %v, loginMethod = %v; want null and ref", got["email"], got["loginMethod"])
		}
		got = s.MustCreateUser(t, s.A, "emp-004", map[string]any{"email": "", "loginMethod": "ref"})
		if got["email"] != nil {
			t.Errorf("email = %v, want null", got["email"])
		}
	})

	t.Run("OKEmptyRoleAndLoginMethodMeanDefault", func(t *testing.T) {
		got := s.MustCreateUser(t, s.A, "emp-005", map[string]any{"role": "", "loginMethod": ""})
		if got["role"] != "learner" || got["loginMethod"] != "email" {
			t.Errorf("role = %v, loginMethod = %v; want learner and email", got["role"], got["loginMethod"])
		}
	})

	t.Run("OKIDsAreDistinctAndOrdered", func(t *testing.T) {
		var prev string
		for i := range 5 {
			s.Clock.Advance(time.Millisecond)
			id := MustID(t, s.MustCreateUser(t, s.A, "ordered-"+string(rune('a'+i)), nil))
			if id <= prev {
				t.Fatalf("id %s is not after %s", id, prev)
			}
			prev = id
		}
	})

	// The canaries must never appear in an error answer.
	const (
		canaryRef   = "canary-ref-5f1e"
		canaryEmail = "canary.mail.5f1e@example.com"
		canaryFirst = "Canaryfirst5f1e"
		canaryLast  = "Canarylast5f1e"
	)
	canaries := []string{canaryRef, canaryEmail, canaryFirst, canaryLast}
	base := map[string]any{"ref": canaryRef, "firstName": canaryFirst, "lastName": canaryLast, "email": canaryEmail}
	with := func(over map[string]any) string {
		m := map[string]any{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range over {
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		return MustJSON(t, m)
	}

	invalid := []struct {
		name    string
		body    string
		field   string
		problem string
	}{
		{"ErrEmailRequired", with(map[string]any{"email": nil}), "email", "required"},
		{"ErrEmailEmpty", with(map[string]any{"email": ""}), "email", "required"},
		{"ErrEmailRequiredWithLoginMethodEmail", with(map[string]any{"email": nil, "loginMethod": "email"}), "email", "required"},
		{"ErrEmailInvalid", with(map[string]any{"email": "canary.mail.5f1e at example.com"}), "email", "invalid"},
		{"ErrEmailWithName", with(map[string]any{"email": "Canaryfirst5f1e <canary.mail.5f1e@example.com>"}), "email", "invalid"},
		{"ErrRoleInvalid", with(map[string]any{"role": "superuser"}), "role", "invalid"},
		{"ErrLoginMethodInvalid", with(map[string]any{"loginMethod": "sms", "email": canaryEmail}), "loginMethod", "invalid"},
		{"ErrRefMissing", with(map[string]any{"ref": nil}), "ref", "required"},
		{"ErrRefBlank", with(map[string]any{"ref": "   "}), "ref", "required"},
		{"ErrRefTooLong", with(map[string]any{"ref": strings.Repeat("r", 256)}), "ref", "too_long"},
		{"ErrRefControl", with(map[string]any{"ref": "canary-ref\x015f1e"}), "ref", "invalid"},
		{"ErrFirstNameMissing", with(map[string]any{"firstName": nil}), "firstName", "required"},
		{"ErrLastNameEmpty", with(map[string]any{"lastName": ""}), "lastName", "required"},
		{"ErrFirstNameTooLong", with(map[string]any{"firstName": strings.Repeat("é", 256)}), "firstName", "too_long"},
		{"ErrStartDate", with(map[string]any{"startDate": "yesterday"}), "startDate", "invalid"},
		{"ErrEndDate", with(map[string]any{"endDate": "2024-13-45"}), "endDate", "invalid"},
		{"ErrEndBeforeStart", with(map[string]any{"startDate": "2024-02-01", "endDate": "2024-01-31"}), "endDate", "invalid"},
		{"ErrTimeZone", with(map[string]any{"timeZone": "Mars/Olympus"}), "timeZone", "invalid"},
		{"ErrLanguageCode", with(map[string]any{"languageCode": "english!"}), "languageCode", "invalid"},
		{"ErrOwnManager", with(map[string]any{"managerRef": canaryRef}), "managerRef", "invalid"},
	}
	for _, c := range invalid {
		t.Run(c.name, func(t *testing.T) {
			res := s.Do(t, s.A, "POST", "/rest/v2/users", c.body)
			body := MustError(t, res, http.StatusUnprocessableEntity, "invalid", c.field)
			if got := MustProblem(t, body, c.field); got != c.problem {
				t.Errorf("problem = %q, want %q", got, c.problem)
			}
			MustNotContain(t, res, canaries...)
		})
	}

	t.Run("ErrEveryBrokenRule", func(t *testing.T) {
		res := s.Do(t, s.A, "POST", "/rest/v2/users", `{"ref":"many","role":"x","loginMethod":"y"}`)
		body := MustError(t, res, http.StatusUnprocessableEntity, "invalid", "firstName", "lastName", "loginMethod", "role", "email")
		if body["message"] != "firstName is required" {
			t.Errorf("message = %q, want the first rule's", body["message"])
		}
	})

	t.Run("ErrRefTaken", func(t *testing.T) {
		s.MustCreateUser(t, s.A, canaryRef, map[string]any{"firstName": canaryFirst, "lastName": canaryLast, "email": canaryEmail})
		res := s.Do(t, s.A, "POST", "/rest/v2/users", with(map[string]any{"email": "other.5f1e@example.com"}))
		body := MustError(t, res, http.StatusConflict, "conflict", "ref")
		if p := MustProblem(t, body, "ref"); p != "taken" {
			t.Errorf("problem = %q, want taken", p)
		}
		MustNotContain(t, res, canaries...)
	})

	t.Run("ErrEmailTakenAnyCase", func(t *testing.T) {
		for _, email := range []string{canaryEmail, strings.ToUpper(canaryEmail), "Canary.Mail.5F1E@Example.COM"} {
			res := s.Do(t, s.A, "POST", "/rest/v2/users", with(map[string]any{"ref": "other-5f1e", "email": email}))
			body := MustError(t, res, http.StatusConflict, "conflict", "email")
			if p := MustProblem(t, body, "email"); p != "taken" {
				t.Errorf("problem = %q, want taken", p)
			}
			MustNotContain(t, res, append(canaries, email)...)
		}
		// Nothing was created by the refused requests.
		MustError(t, s.Do(t, s.A, "GET", "/rest/v1/users/ref/other-5f1e", ""), http.StatusNotFound, "not_found")
	})

	t.Run("OKSameRefInOtherTenant", func(t *testing.T) {
		got := s.MustCreateUser(t, s.B, canaryRef, map[string]any{"email": canaryEmail})
		a := s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/users/ref/"+canaryRef, "")
		if got["id"] == a["id"] {
			t.Errorf("tenants share the id %v", got["id"])
		}
	})

	t.Run("OKNoPersonalDataInLogs", func(t *testing.T) {
		logs := s.Logs.String()
		for _, c := range canaries {
			if strings.Contains(strings.ToLower(logs), strings.ToLower(c)) {
				t.Errorf("logs contain %q", c)
			}
		}
		if !strings.Contains(logs, `"route":"POST /rest/v2/users"`) {
			t.Errorf("access log lacks the route pattern: %.300s", logs)
		}
	})
}

// MustOneCreated checks the answers of concurrent creations of one user:
// exactly one 201, and for every other request the 409 a sequential request
// gets, with field in its details (the same body on both databases).
func MustOneCreated(tb testing.TB, answers []*response, field string) {
	tb.Helper()
	created := 0
	for i, res := range answers {
		switch res.Status {
		case http.StatusCreated:
			created++
		case http.StatusConflict:
			body := MustError(tb, res, http.StatusConflict, "conflict", field)
			if p := MustProblem(tb, body, field); p != "taken" {
				tb.Errorf("request %d: problem = %q, want taken", i, p)
			}
		default:
			tb.Errorf("request %d: %s", i, res)
		}
	}
	if created != 1 {
		tb.Fatalf("%d requests created the user, want exactly 1", created)
	}
}

func TestUsers_CreateConcurrent(t *testing.T) {
	const n = 20
	t.Run("OKSameRef", func(t *testing.T) {
		s := MustStartServer(t)
		reqs := make([]*http.Request, n)
		for i := range reqs {
			reqs[i] = s.NewRequest(t, s.A, "POST", "/rest/v2/users",
				`{"ref":"same-ref","firstName":"F","lastName":"L","loginMethod":"ref"}`)
		}
		MustOneCreated(t, s.SendAll(t, reqs), "ref")
		page := s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/users", "")
		if got := page["pagination"].(map[string]any)["totalResults"]; got != 1.0 {
			t.Errorf("totalResults = %v, want 1", got)
		}
	})
	t.Run("OKSameEmailAnyCase", func(t *testing.T) {
		s := MustStartServer(t)
		reqs := make([]*http.Request, n)
		for i := range reqs {
			// Every request has its own ref and spells the email differently.
			email := []byte("same.person@example.com")
			for j := range email {
				if (i>>(j%5))&1 == 1 {
					email[j] = bytes.ToUpper(email[j : j+1])[0]
				}
			}
			reqs[i] = s.NewRequest(t, s.A, "POST", "/rest/v2/users", MustJSON(t, map[string]any{
				"ref": fmt.Sprintf("case-%02d", i), "firstName": "F", "lastName": "L", "email": string(email),
			}))
		}
		MustOneCreated(t, s.SendAll(t, reqs), "email")
		page := s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/users", "")
		if got := page["pagination"].(map[string]any)["totalResults"]; got != 1.0 {
			t.Errorf("totalResults = %v, want 1", got)
		}
	})
}

// TestUsers_UpdateConcurrent sends changes to different fields of one user at
// once, and sign-ins beside them: afterwards every change is there (no
// request overwrote another's with what it read before).
func TestUsers_UpdateConcurrent(t *testing.T) {
	s := MustStartServer(t)
	id := MustID(t, s.MustCreateUser(t, s.A, "busy", nil))
	s.MustCreateUser(t, s.A, "boss-1", nil)
	s.MustCreateUser(t, s.A, "boss-2", nil)
	for round := 1; round <= 3; round++ {
		// Each PATCH changes one field to this round's value.
		v := func(s string) string { return fmt.Sprintf("%s-%d", s, round) }
		pick := func(vs ...string) string { return vs[round-1] }
		role, login := pick("learneradmin", "administrator", "learner"), pick("ref", "email", "ref")
		tz, lang := pick("Europe/Oslo", "Asia/Tokyo", "UTC"), pick("nb", "ja", "de")
		patches := []map[string]any{
			{"firstName": v("First")},
			{"lastName": v("Last")},
			{"email": v("busy") + "@example.com"},
			{"jobTitle": v("Job")},
			{"managerRef": v("boss")},
			{"domain": v("d") + ".example"},
			{"timeZone": tz},
			{"languageCode": lang},
			{"role": role},
			{"loginMethod": login},
			{"sso": round%2 == 1},
			{"startDate": fmt.Sprintf("2024-0%d-01", round)},
			{"endDate": fmt.Sprintf("2031-0%d-01", round)},
			{"additionalFields": map[string]any{"round": round}},
		}
		var reqs []*http.Request
		for _, p := range patches {
			reqs = append(reqs, s.NewRequest(t, s.A, "PATCH", "/rest/v2/users/ref/busy", MustJSON(t, p)))
		}
		for len(reqs) < 20 {
			reqs = append(reqs, s.NewRequest(t, s.A, "POST", "/lethe/v1/users/"+id+"/logins", ""))
		}
		for i, res := range s.SendAll(t, reqs) {
			if res.Status != http.StatusOK {
				t.Fatalf("round %d, request %d (%s %s): %s", round, i, reqs[i].Method, reqs[i].URL.Path, res)
			}
		}
		got := s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v2/users/ref/busy", "{}")
		got["updatedAt"] = nil
		MustDiff(t, fmt.Sprintf("user after round %d", round), map[string]any{
			"id": id, "ref": "busy", "firstName": v("First"), "lastName": v("Last"), "email": v("busy") + "@example.com",
			"jobTitle": v("Job"), "managerRef": v("boss"), "domain": v("d") + ".example",
			"timeZone": tz, "languageCode": lang, "role": role, "loginMethod": login, "sso": round%2 == 1,
			"startDate": fmt.Sprintf("2024-0%d-01T00:00:00.000Z", round), "endDate": fmt.Sprintf("2031-0%d-01T00:00:00.000Z", round),
			"additionalFields": map[string]any{"round": float64(round)}, "active": true, "createdAt": T0, "updatedAt": nil,
		}, got)
		if u := s.MustGetUser(t, s.A, id); u["status"] != "active" || u["firstLogin"] != T0 || u["lastLogin"] != T0 {
			t.Fatalf("round %d: status %v, firstLogin %v, lastLogin %v; want the sign-ins recorded", round, u["status"], u["firstLogin"], u["lastLogin"])
		}
	}
}

func TestUsers_Dates(t *testing.T) {
	s := MustStartServer(t)
	id := MustID(t, s.MustCreateUser(t, s.A, "dates", nil))
	cases := []struct{ in, want string }{
		{"2024-02-29T23:59:59.999+01:00", "2024-02-29T22:59:59.999Z"},
		{"1969-12-31T23:59:59.999Z", "1969-12-31T23:59:59.999Z"},
		{"9999-12-31T23:59:59.999Z", "9999-12-31T23:59:59.999Z"},
		{"2024-01-15", "2024-01-15T00:00:00.000Z"},
		{"2024-01-15T10:20:30Z", "2024-01-15T10:20:30.000Z"},
		{"2024-01-15T10:20:30.456789Z", "2024-01-15T10:20:30.456Z"},
		{"2024-01-15T10:20:30+02:00", "2024-01-15T08:20:30.000Z"},
		{"2024-01-15T23:30:00-05:00", "2024-01-16T04:30:00.000Z"},
		{"2024-01-15T10:20:30", "2024-01-15T10:20:30.000Z"},
		{"2024-01-15T10:20", "2024-01-15T10:20:00.000Z"},
		{"2024-01-15 10:20:30", "2024-01-15T10:20:30.000Z"},
		{" 2024-01-15 ", "2024-01-15T00:00:00.000Z"},
	}
	for _, c := range cases {
		t.Run("OK/"+c.in, func(t *testing.T) {
			got := s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v2/users/ref/dates",
				MustJSON(t, map[string]any{"startDate": c.in, "endDate": c.in}))
			if got["startDate"] != c.want || got["endDate"] != c.want {
				t.Errorf("startDate %v, endDate %v; want %s", got["startDate"], got["endDate"], c.want)
			}
			// Read back from the database, by id, by ref and in a search.
			pos := s.MustGetUser(t, s.A, id)["positions"].([]any)[0].(map[string]any)
			byRef := s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/users/ref/dates", "")["positions"].([]any)[0].(map[string]any)
			found := s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/users", "")["results"].([]any)[0].(map[string]any)["positions"].([]any)[0].(map[string]any)
			for _, p := range []map[string]any{pos, byRef, found} {
				if p["startDate"] != c.want || p["endDate"] != c.want {
					t.Errorf("read back: startDate %v, endDate %v; want %s", p["startDate"], p["endDate"], c.want)
				}
			}
		})
	}
	t.Run("OKClockToTheMillisecondInUTC", func(t *testing.T) {
		// The clock runs in another zone and below the millisecond; stored
		// and answered times are UTC milliseconds, truncated.
		s.Clock.Set(time.Date(2025, 6, 30, 23, 59, 59, 999_999_999, time.FixedZone("", 2*3600)))
		const want = "2025-06-30T21:59:59.999Z"
		id := MustID(t, s.MustCreateUser(t, s.A, "clock-ms", nil))
		u := s.MustGetUser(t, s.A, id)
		if u["createdAt"] != want || u["updatedAt"] != want {
			t.Errorf("createdAt %v, updatedAt %v; want %s", u["createdAt"], u["updatedAt"], want)
		}
		refs, _ := s.searchRefs(t, s.A, "updatedSince=2025-06-30T21:59:59.999Z")
		MustDiff(t, "updated since the millisecond", []string{"clock-ms"}, refs)
		refs, _ = s.searchRefs(t, s.A, "updatedSince=2025-07-01T00:00:00.000%2B02:00")
		MustDiff(t, "updated since the next millisecond", []string{}, refs)
	})
	t.Run("OKClear", func(t *testing.T) {
		for _, clear := range []string{`""`, `null`} {
			s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v2/users/ref/dates", `{"startDate":"2024-01-01","endDate":"2024-02-01"}`)
			got := s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v2/users/ref/dates",
				`{"startDate":`+clear+`,"endDate":`+clear+`}`)
			if got["startDate"] != nil || got["endDate"] != nil {
				t.Errorf("%s: startDate %v, endDate %v; want null", clear, got["startDate"], got["endDate"])
			}
		}
	})
	// The last three fall outside the years 1-9999 in UTC (or are the zero
	// time) and could not be answered in the response format.
	for _, bad := range []string{"15/01/2024", "2024-1-5", "2024-01-15T25:00:00Z", "now", "1705312800",
		"0001-01-01", "9999-12-31T23:59:59-23:59", "0000-12-31T23:00:00+02:00"} {
		t.Run("Err/"+bad, func(t *testing.T) {
			res := s.Do(t, s.A, "PATCH", "/rest/v2/users/ref/dates", MustJSON(t, map[string]any{"startDate": bad}))
			MustError(t, res, http.StatusUnprocessableEntity, "invalid", "startDate")
		})
	}
}

func TestUsers_AdditionalFields(t *testing.T) {
	s := MustStartServer(t)
	fields := map[string]any{
		"department": "Sales & <Marketing>", "level": 3.5, "remote": true, "none": nil,
		"nested": map[string]any{"a": []any{1.0, "two"}}, "unicode": "Zoë ✓",
	}
	// Written by hand: json.Marshal would escape the HTML characters.
	created := s.MustOK(t, s.A, http.StatusCreated, "POST", "/rest/v2/users", `{"ref":"extra","firstName":"First",
		"lastName":"Last","email":"extra@example.com","additionalFields":{"department":"Sales & <Marketing>",
		"level":3.5,"remote":true,"none":null,"nested":{"a":[1,"two"]},"unicode":"Zoë ✓"}}`)
	id := MustID(t, created)
	MustDiff(t, "create", fields, created["additionalFields"])
	MustDiff(t, "get by id", fields, s.MustGetUser(t, s.A, id)["additionalFields"])
	MustDiff(t, "get by ref", fields, s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/users/ref/extra", "")["additionalFields"])
	page := s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/users", "")
	MustDiff(t, "search", fields, page["results"].([]any)[0].(map[string]any)["additionalFields"])
	// The stored JSON reads back as written: no HTML escaping.
	res := s.Do(t, s.A, "GET", "/rest/v1/user/"+id, "")
	if !bytes.Contains(res.Body, []byte(`"Sales & <Marketing>"`)) {
		t.Errorf("additionalFields not returned verbatim: %s", res.Body)
	}

	t.Run("OKReplace", func(t *testing.T) {
		got := s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v2/users/ref/extra", `{"additionalFields":{"k":"v"}}`)
		MustDiff(t, "replaced", map[string]any{"k": "v"}, got["additionalFields"])
	})
	t.Run("OKUnchangedWhenAbsent", func(t *testing.T) {
		got := s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v2/users/ref/extra", `{"jobTitle":"X"}`)
		MustDiff(t, "kept", map[string]any{"k": "v"}, got["additionalFields"])
	})
	t.Run("OKNullClears", func(t *testing.T) {
		got := s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v2/users/ref/extra", `{"additionalFields":null}`)
		MustDiff(t, "cleared", map[string]any{}, got["additionalFields"])
	})
}

func TestUsers_Manager(t *testing.T) {
	s := MustStartServer(t)
	emp := s.MustCreateUser(t, s.A, "emp", map[string]any{"managerRef": "boss"})
	id := MustID(t, emp)
	if emp["managerRef"] != "boss" {
		t.Fatalf("managerRef = %v", emp["managerRef"])
	}
	pos := func() any { return s.MustGetUser(t, s.A, id)["positions"].([]any)[0].(map[string]any)["manager"] }
	MustDiff(t, "manager before", map[string]any{"id": nil, "name": nil, "ref": "boss"}, pos())

	boss := MustID(t, s.MustCreateUser(t, s.A, "boss", map[string]any{"firstName": "Maggie", "lastName": "Boss"}))
	MustDiff(t, "manager after", map[string]any{"id": boss, "name": "Maggie Boss", "ref": "boss"}, pos())
	basic := s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/users/ref/emp", "")
	MustDiff(t, "manager by ref", map[string]any{"id": boss, "name": "Maggie Boss", "ref": "boss"},
		basic["positions"].([]any)[0].(map[string]any)["manager"])

	// A manager in another tenant with the same ref is never resolved.
	other := s.MustCreateUser(t, s.B, "emp2", map[string]any{"managerRef": "boss"})
	MustDiff(t, "manager across tenants", map[string]any{"id": nil, "name": nil, "ref": "boss"},
		s.MustGetUser(t, s.B, MustID(t, other))["positions"].([]any)[0].(map[string]any)["manager"])

	// Erasing the manager clears the reports' manager ref: it identifies the
	// erased person, and a later user with the same ref is not their manager.
	before := s.MustGetUser(t, s.A, id)["updatedAt"]
	s.Clock.Advance(time.Second)
	s.MustOK(t, s.A, http.StatusOK, "DELETE", "/rest/v2/users/ref/boss", "")
	after := s.MustGetUser(t, s.A, id)
	if got := after["positions"].([]any); len(got) != 0 {
		t.Fatalf("positions after the manager's erasure = %v, want none", got)
	}
	if after["updatedAt"] == before {
		t.Fatalf("updatedAt did not move when the manager ref was cleared, so syncs would miss it")
	}
	lc := s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v2/users/ref/emp", "{}")
	if lc["managerRef"] != nil {
		t.Fatalf("managerRef after the manager's erasure = %v, want null", lc["managerRef"])
	}
	s.MustCreateUser(t, s.A, "boss", map[string]any{"firstName": "New", "lastName": "Person"})
	if got := s.MustGetUser(t, s.A, id)["positions"].([]any); len(got) != 0 {
		t.Fatalf("a new user with the erased manager's ref became the manager: %v", got)
	}
}

func TestUsers_Update(t *testing.T) {
	s := MustStartServer(t)
	created := s.MustCreateUser(t, s.A, "upd", map[string]any{
		"jobTitle": "Clerk", "timeZone": "Europe/Paris", "languageCode": "fr", "startDate": "2024-01-01",
		"role": "learneradmin", "domain": "d.example", "sso": true, "additionalFields": map[string]any{"a": 1},
	})
	id := MustID(t, created)
	s.MustCreateUser(t, s.A, "taken", map[string]any{"email": "taken@example.com"})

	t.Run("OKNoChangeKeepsUpdatedAt", func(t *testing.T) {
		before := s.MustGetUser(t, s.A, id)["updatedAt"]
		s.Clock.Advance(time.Hour)
		s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v2/users/ref/upd", `{}`)
		s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v2/users/ref/upd", `{"jobTitle":"Clerk","sso":true}`)
		if after := s.MustGetUser(t, s.A, id)["updatedAt"]; after != before {
			t.Fatalf("updatedAt moved from %v to %v on an update that changed nothing", before, after)
		}
	})
	t.Run("OKPartial", func(t *testing.T) {
		later := s.Clock.Advance(time.Hour)
		got := s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v2/users/ref/upd", `{"jobTitle":"Manager"}`)
		MustKeys(t, got, lifecycleKeys...)
		want := map[string]any{}
		for k, v := range created {
			want[k] = v
		}
		want["jobTitle"] = "Manager"
		want["updatedAt"] = later.Format("2006-01-02T15:04:05.000Z")
		MustDiff(t, "UserLifecycle", want, got)
		created = got
	})
	t.Run("OKEmptyBody", func(t *testing.T) {
		got := s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v2/users/ref/upd", `{}`)
		got["updatedAt"] = created["updatedAt"]
		MustDiff(t, "UserLifecycle", created, got)
	})
	t.Run("OKEmptyStringClears", func(t *testing.T) {
		got := s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v2/users/ref/upd",
			`{"jobTitle":"","domain":"","timeZone":"","languageCode":"","managerRef":null}`)
		for _, k := range []string{"jobTitle", "domain", "timeZone", "languageCode", "managerRef"} {
			if got[k] != nil {
				t.Errorf("%s = %v, want null", k, got[k])
			}
		}
		if got["firstName"] != "First" || got["startDate"] != "2024-01-01T00:00:00.000Z" {
			t.Errorf("unrelated fields changed: %v", got)
		}
	})
	t.Run("OKEmptyRoleUnchanged", func(t *testing.T) {
		got := s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v2/users/ref/upd", `{"role":"","loginMethod":""}`)
		if got["role"] != "learneradmin" || got["loginMethod"] != "email" {
			t.Errorf("role %v, loginMethod %v; want unchanged", got["role"], got["loginMethod"])
		}
	})
	t.Run("OKEveryField", func(t *testing.T) {
		got := s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v2/users/ref/upd", MustJSON(t, map[string]any{
			"firstName": "Neo", "lastName": "Anderson", "email": "neo@example.com", "loginMethod": "ref",
			"role": "administrator", "jobTitle": "The One", "managerRef": "taken", "startDate": "2024-02-02",
			"endDate": "2031-01-01", "timeZone": "UTC", "languageCode": "en", "sso": false, "domain": "m.example",
			"additionalFields": map[string]any{"b": 2},
		}))
		got["updatedAt"] = nil
		MustDiff(t, "UserLifecycle", map[string]any{
			"id": id, "loginMethod": "ref", "ref": "upd", "email": "neo@example.com", "firstName": "Neo",
			"lastName": "Anderson", "role": "administrator", "jobTitle": "The One", "managerRef": "taken",
			"startDate": "2024-02-02T00:00:00.000Z", "endDate": "2031-01-01T00:00:00.000Z", "timeZone": "UTC",
			"languageCode": "en", "active": true, "createdAt": T0, "updatedAt": nil, "sso": false,
			"domain": "m.example", "additionalFields": map[string]any{"b": 2.0},
		}, got)
	})
	t.Run("ErrEmptyFirstName", func(t *testing.T) {
		body := MustError(t, s.Do(t, s.A, "PATCH", "/rest/v2/users/ref/upd", `{"firstName":""}`),
			http.StatusUnprocessableEntity, "invalid", "firstName")
		if p := MustProblem(t, body, "firstName"); p != "required" {
			t.Errorf("problem = %q", p)
		}
		if got := s.MustGetUser(t, s.A, id)["firstName"]; got != "Neo" {
			t.Errorf("firstName = %v after a refused update", got)
		}
	})
	t.Run("ErrClearEmailWithEmailLogin", func(t *testing.T) {
		MustError(t, s.Do(t, s.A, "PATCH", "/rest/v2/users/ref/upd", `{"email":"","loginMethod":"email"}`),
			http.StatusUnprocessableEntity, "invalid", "email")
	})
	t.Run("ErrInvalidRole", func(t *testing.T) {
		MustError(t, s.Do(t, s.A, "PATCH", "/rest/v2/users/ref/upd", `{"role":"root"}`),
			http.StatusUnprocessableEntity, "invalid", "role")
	})
	t.Run("ErrEmailTaken", func(t *testing.T) {
		res := s.Do(t, s.A, "PATCH", "/rest/v2/users/ref/upd", `{"email":"TAKEN@example.com"}`)
		MustError(t, res, http.StatusConflict, "conflict", "email")
		MustNotContain(t, res, "taken@example.com")
	})
	t.Run("OKOwnEmailAnotherCase", func(t *testing.T) {
		got := s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v2/users/ref/upd", `{"email":"NEO@example.com"}`)
		if got["email"] != "NEO@example.com" {
			t.Errorf("email = %v", got["email"])
		}
	})
	t.Run("ErrUnknownRef", func(t *testing.T) {
		MustError(t, s.Do(t, s.A, "PATCH", "/rest/v2/users/ref/nobody", `{"jobTitle":"x"}`), http.StatusNotFound, "not_found")
		MustError(t, s.Do(t, s.A, "PATCH", "/rest/v2/users/ref/nobody/suspend", `{}`), http.StatusNotFound, "not_found")
		MustError(t, s.Do(t, s.A, "DELETE", "/rest/v2/users/ref/nobody", ``), http.StatusNotFound, "not_found")
		MustError(t, s.Do(t, s.A, "GET", "/rest/v1/users/ref/nobody", ``), http.StatusNotFound, "not_found")
	})
}

func TestUsers_Suspend(t *testing.T) {
	s := MustStartServer(t)
	id1 := MustID(t, s.MustCreateUser(t, s.A, "s1", map[string]any{"jobTitle": "Clerk"}))
	id2 := MustID(t, s.MustCreateUser(t, s.A, "s2", nil))

	t.Run("OKEmptyObject", func(t *testing.T) {
		got := s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v2/users/ref/s1/suspend", `{}`)
		MustKeys(t, got, lifecycleKeys...)
		if got["active"] != false || got["endDate"] != nil || got["id"] != id1 {
			t.Errorf("suspend = %v; want active false, endDate null", got)
		}
		full := s.MustGetUser(t, s.A, id1)
		if full["status"] != "inactive" {
			t.Errorf("status = %v, want inactive", full["status"])
		}
		if pos := full["positions"].([]any)[0].(map[string]any); pos["isActive"] != false {
			t.Errorf("position isActive = %v, want false", pos["isActive"])
		}
	})
	t.Run("OKEndDate", func(t *testing.T) {
		got := s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v2/users/ref/s2/suspend", `{"endDate":"2025-12-31"}`)
		if got["active"] != false || got["endDate"] != "2025-12-31T00:00:00.000Z" {
			t.Errorf("suspend = %v; want active false and the end date", got)
		}
		if st := s.MustGetUser(t, s.A, id2)["status"]; st != "inactive" {
			t.Errorf("status = %v, want inactive", st)
		}
	})
	t.Run("OKAgainOnlyMovesEndDate", func(t *testing.T) {
		got := s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v2/users/ref/s2/suspend", `{"endDate":"2025-11-30T12:00:00Z"}`)
		if got["endDate"] != "2025-11-30T12:00:00.000Z" || got["active"] != false {
			t.Errorf("suspend again = %v", got)
		}
		hist := s.MustOK(t, s.A, http.StatusOK, "GET", "/lethe/v1/users/"+id2+"/status-history", "")["results"].([]any)
		if len(hist) != 2 {
			t.Errorf("history has %d entries, want created and one suspension: %v", len(hist), hist)
		}
	})
	t.Run("ErrInvalidEndDate", func(t *testing.T) {
		MustError(t, s.Do(t, s.A, "PATCH", "/rest/v2/users/ref/s1/suspend", `{"endDate":"soon"}`),
			http.StatusUnprocessableEntity, "invalid", "endDate")
	})
	t.Run("ErrUnknownRef", func(t *testing.T) {
		MustError(t, s.Do(t, s.A, "PATCH", "/rest/v2/users/ref/nobody/suspend", `{}`), http.StatusNotFound, "not_found")
	})
	t.Run("ErrLoginWhileSuspended", func(t *testing.T) {
		MustError(t, s.Do(t, s.A, "POST", "/lethe/v1/users/"+id1+"/logins", ""), http.StatusConflict, "conflict")
	})
}

// searchRefs runs GET /rest/v1/users?query and returns the refs (or ids of
// erased users) in order, and the pagination.
func (s *testServer) searchRefs(tb testing.TB, as Tenant, query string) ([]string, map[string]any) {
	tb.Helper()
	page := s.MustOK(tb, as, http.StatusOK, "GET", "/rest/v1/users?"+query, "")
	MustKeys(tb, page, "results", "pagination")
	refs := []string{}
	prev := ""
	for _, r := range page["results"].([]any) {
		u := r.(map[string]any)
		MustKeys(tb, u, userKeys...)
		id := MustID(tb, u)
		if id <= prev {
			tb.Fatalf("results not ordered by id: %s after %s", id, prev)
		}
		prev = id
		if ref, ok := u["ref"].(string); ok {
			refs = append(refs, ref)
		} else {
			refs = append(refs, "erased:"+id)
		}
	}
	pg := page["pagination"].(map[string]any)
	MustKeys(tb, pg, "totalResults", "totalPages", "page", "perPage")
	return refs, pg
}

func TestUsers_Search(t *testing.T) {
	s := MustStartServer(t)
	// One user in every status, created a second apart so ids sort in order.
	step := func() { s.Clock.Advance(time.Second) }
	s.MustCreateUser(t, s.A, "u-new", nil)
	step()
	active := MustID(t, s.MustCreateUser(t, s.A, "u-active", nil))
	s.MustOK(t, s.A, http.StatusOK, "POST", "/lethe/v1/users/"+active+"/logins", "")
	step()
	s.MustCreateUser(t, s.A, "u-inactive", nil)
	s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v2/users/ref/u-inactive/suspend", `{}`)
	step()
	s.MustCreateUser(t, s.A, "u-expired", map[string]any{"endDate": "2024-12-31"})
	step()
	erased := MustID(t, s.MustCreateUser(t, s.A, "u-erased", nil))
	s.MustOK(t, s.A, http.StatusOK, "DELETE", "/rest/v2/users/ref/u-erased", "")
	step()
	// Tenant B's users never show in A's search.
	s.MustCreateUser(t, s.B, "b-user", nil)

	all := []string{"u-new", "u-active", "u-inactive", "u-expired", "erased:" + erased}
	cases := []struct {
		name, query string
		want        []string
	}{
		{"OKAll", "", all},
		{"OKStatusNew", "status=new", []string{"u-new"}},
		{"OKStatusActive", "status=active", []string{"u-active"}},
		{"OKStatusInactive", "status=inactive", []string{"u-inactive", "erased:" + erased}},
		{"OKStatusExpired", "status=expired", []string{"u-expired"}},
		{"OKStatuses", "statuses=active%2Cexpired", []string{"u-active", "u-expired"}},
		{"OKStatusesRawComma", "statuses=new,inactive", []string{"u-new", "u-inactive", "erased:" + erased}},
		{"OKStatusesSpacesAndCase", "statuses=+New+,+ACTIVE", []string{"u-new", "u-active"}},
		{"OKStatusesAll", "statuses=new,active,inactive,expired", all},
		{"OKOmitStatuses", "omitStatuses=inactive", []string{"u-new", "u-active", "u-expired"}},
		{"OKOmitStatusesList", "omitStatuses=new,active,expired", []string{"u-inactive", "erased:" + erased}},
		{"OKOmitAll", "omitStatuses=new,active,inactive,expired", []string{}},
		{"OKStatusesMinusOmit", "statuses=new,active&omitStatuses=new", []string{"u-active"}},
		{"OKStatusesAndStatus", "statuses=new,active&status=active", []string{"u-active"}},
		{"OKStatusesAndOtherStatus", "statuses=new,active&status=expired", []string{}},
		{"OKAllThree", "statuses=new,active,expired&status=expired&omitStatuses=inactive", []string{"u-expired"}},
		{"OKEmptyValuesIgnored", "status=&statuses=+&omitStatuses=", all},
		{"OKEmptyListsIgnored", "status=%2C&statuses=+,+,&omitStatuses=,", all},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			refs, pg := s.searchRefs(t, s.A, c.query)
			MustDiff(t, "results", c.want, refs)
			pages := 0.0
			if len(c.want) > 0 {
				pages = 1
			}
			MustDiff(t, "pagination", map[string]any{
				"totalResults": float64(len(c.want)), "totalPages": pages, "page": 1.0, "perPage": 100.0,
			}, pg)
		})
	}
	for _, q := range []string{"status=gone", "statuses=new,gone", "omitStatuses=deleted", "status=new%3Bactive"} {
		t.Run("ErrStatus/"+q, func(t *testing.T) {
			field := q[:strings.IndexByte(q, '=')]
			MustError(t, s.Do(t, s.A, "GET", "/rest/v1/users?"+q, ""), http.StatusUnprocessableEntity, "invalid", field)
		})
	}

	t.Run("OKDeletedFlag", func(t *testing.T) {
		page := s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/users?status=inactive", "")
		for _, r := range page["results"].([]any) {
			u := r.(map[string]any)
			if want := u["id"] == erased; u["deleted"] != want {
				t.Errorf("user %v: deleted = %v, want %v", u["id"], u["deleted"], want)
			}
		}
	})

	paging := []struct {
		name, query string
		want        []string
		pagination  [4]float64 // totalResults, totalPages, page, perPage
	}{
		{"OKFirstPage", "perPage=2", all[:2], [4]float64{5, 3, 1, 2}},
		{"OKSecondPage", "perPage=2&page=2", all[2:4], [4]float64{5, 3, 2, 2}},
		{"OKLastPage", "perPage=2&page=3", all[4:], [4]float64{5, 3, 3, 2}},
		{"OKBeyondTheEnd", "perPage=2&page=4", []string{}, [4]float64{5, 3, 4, 2}},
		{"OKFarBeyondTheEnd", "page=1000000", []string{}, [4]float64{5, 1, 1000000, 100}},
		{"OKLimitAlias", "limit=3", all[:3], [4]float64{5, 2, 1, 3}},
		{"OKPerPageWinsOverLimit", "perPage=4&limit=1", all[:4], [4]float64{5, 2, 1, 4}},
		{"OKMaxPerPage", "perPage=1000", all, [4]float64{5, 1, 1, 1000}},
		{"OKPerPageAboveMaxClamps", "perPage=1001", all, [4]float64{5, 1, 1, 1000}},
		{"OKPerPageHugeClamps", "perPage=99999999999999999999", all, [4]float64{5, 1, 1, 1000}},
		{"OKLimitAboveMaxClamps", "limit=5000", all, [4]float64{5, 1, 1, 1000}},
		{"OKMinPerPage", "perPage=1&page=5", all[4:], [4]float64{5, 5, 5, 1}},
		{"OKFilteredPaging", "omitStatuses=inactive&perPage=2&page=2", []string{"u-expired"}, [4]float64{3, 2, 2, 2}},
		{"OKEmptyValuesAreDefaults", "perPage=&page=&limit=", all, [4]float64{5, 1, 1, 100}},
	}
	for _, c := range paging {
		t.Run(c.name, func(t *testing.T) {
			refs, pg := s.searchRefs(t, s.A, c.query)
			MustDiff(t, "results", c.want, refs)
			MustDiff(t, "pagination", map[string]any{
				"totalResults": c.pagination[0], "totalPages": c.pagination[1], "page": c.pagination[2], "perPage": c.pagination[3],
			}, pg)
		})
	}
	badPaging := []struct {
		name, query, field string
		status             int
	}{
		{"ErrPerPageZero", "perPage=0", "perPage", http.StatusUnprocessableEntity},
		{"ErrPerPageNegative", "perPage=-5", "perPage", http.StatusUnprocessableEntity},
		{"ErrPerPageHugeNegative", "perPage=-99999999999999999999", "perPage", http.StatusUnprocessableEntity},
		{"ErrPerPageText", "perPage=abc", "perPage", http.StatusBadRequest},
		{"ErrPerPageFraction", "perPage=2.5", "perPage", http.StatusBadRequest},
		{"ErrLimitZero", "limit=0", "limit", http.StatusUnprocessableEntity},
		{"ErrLimitText", "limit=ten", "limit", http.StatusBadRequest},
		{"ErrPageZero", "page=0", "page", http.StatusUnprocessableEntity},
		{"ErrPageText", "page=one", "page", http.StatusBadRequest},
		{"ErrPageTooFar", "page=1000001", "page", http.StatusUnprocessableEntity},
	}
	for _, c := range badPaging {
		t.Run(c.name, func(t *testing.T) {
			code := "invalid"
			if c.status == http.StatusBadRequest {
				code = "bad_request"
			}
			MustError(t, s.Do(t, s.A, "GET", "/rest/v1/users?"+c.query, ""), c.status, code, c.field)
		})
	}
}

func TestUsers_SearchUpdatedSince(t *testing.T) {
	s := MustStartServer(t)
	s.MustCreateUser(t, s.A, "old", nil) // at t0
	s.Clock.Set(time.Date(2025, 3, 2, 0, 0, 0, 0, time.UTC))
	s.MustCreateUser(t, s.A, "mid", nil)
	s.Clock.Set(time.Date(2025, 3, 3, 12, 30, 0, 0, time.UTC))
	s.MustCreateUser(t, s.A, "new", nil)

	cases := []struct {
		name, since string
		want        []string
	}{
		{"OKDateOnly", "2025-03-02", []string{"mid", "new"}},
		{"OKOnOrAfter", "2025-03-03T12:30:00.000Z", []string{"new"}},
		{"OKJustAfter", "2025-03-03T12:30:00.001Z", []string{}},
		{"OKOffset", "2025-03-03T13:30:00%2B01:00", []string{"new"}},
		{"OKFormEncodedSpace", "2025-03-01+09%3A00%3A01", []string{"mid", "new"}},
		{"OKExactFirst", "2025-03-01T09:00:00.123Z", []string{"old", "mid", "new"}},
		{"OKBeforeEverything", "2000-01-01", []string{"old", "mid", "new"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			refs, _ := s.searchRefs(t, s.A, "updatedSince="+c.since)
			MustDiff(t, "results", c.want, refs)
		})
	}
	t.Run("OKUpdateMovesUserIn", func(t *testing.T) {
		s.Clock.Advance(time.Hour)
		s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v2/users/ref/old", `{"jobTitle":"Dev"}`)
		refs, _ := s.searchRefs(t, s.A, "updatedSince=2025-03-03T13:00:00Z")
		MustDiff(t, "results", []string{"old"}, refs)
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		MustError(t, s.Do(t, s.A, "GET", "/rest/v1/users?updatedSince=yesterday", ""),
			http.StatusUnprocessableEntity, "invalid", "updatedSince")
	})
}

// TestUsers_StatusFromClock checks that time-driven statuses are right as
// soon as the clock passes the end date, with no write in between.
func TestUsers_StatusFromClock(t *testing.T) {
	s := MustStartServer(t)
	end := t0.Add(time.Hour)
	id := MustID(t, s.MustCreateUser(t, s.A, "leaver", map[string]any{"endDate": end.Format(time.RFC3339Nano), "jobTitle": "Temp"}))
	s.Clock.Advance(time.Millisecond) // ids sort by creation
	logged := MustID(t, s.MustCreateUser(t, s.A, "leaver2", map[string]any{"endDate": end.Format(time.RFC3339Nano)}))
	s.MustOK(t, s.A, http.StatusOK, "POST", "/lethe/v1/users/"+logged+"/logins", "")

	check := func(t *testing.T, wantStatus string, wantActive bool) {
		t.Helper()
		u := s.MustGetUser(t, s.A, id)
		if u["status"] != wantStatus {
			t.Errorf("status = %v, want %s", u["status"], wantStatus)
		}
		if u["updatedAt"] != T0 {
			t.Errorf("updatedAt = %v: something was written", u["updatedAt"])
		}
		if pos := u["positions"].([]any)[0].(map[string]any); pos["isActive"] != wantActive {
			t.Errorf("isActive = %v, want %v", pos["isActive"], wantActive)
		}
		by := s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/users/ref/leaver", "")
		if by["status"] != wantStatus {
			t.Errorf("status by ref = %v, want %s", by["status"], wantStatus)
		}
		refs, _ := s.searchRefs(t, s.A, "status="+wantStatus)
		if !slices.Contains(refs, "leaver") {
			t.Errorf("search status=%s = %v, want leaver listed", wantStatus, refs)
		}
	}
	t.Run("OKBeforeEnd", func(t *testing.T) {
		s.Clock.Set(end.Add(-time.Millisecond))
		check(t, "new", true)
		if refs, _ := s.searchRefs(t, s.A, "status=expired"); len(refs) != 0 {
			t.Errorf("expired = %v before the end date", refs)
		}
	})
	t.Run("OKAtEnd", func(t *testing.T) {
		s.Clock.Set(end)
		check(t, "expired", false)
		refs, _ := s.searchRefs(t, s.A, "status=expired")
		MustDiff(t, "expired", []string{"leaver", "leaver2"}, refs)
		if refs, _ := s.searchRefs(t, s.A, "statuses=new,active"); len(refs) != 0 {
			t.Errorf("new or active = %v after the end date", refs)
		}
	})
	t.Run("OKEndDateMovedLater", func(t *testing.T) {
		s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v2/users/ref/leaver2", `{"endDate":"2030-01-01"}`)
		if st := s.MustGetUser(t, s.A, logged)["status"]; st != "active" {
			t.Errorf("status = %v, want active", st)
		}
	})
}

func TestUsers_Logins(t *testing.T) {
	s := MustStartServer(t)
	id := MustID(t, s.MustCreateUser(t, s.A, "login", nil))
	if st := s.MustGetUser(t, s.A, id)["status"]; st != "new" {
		t.Fatalf("status = %v, want new", st)
	}
	t.Run("OKFirst", func(t *testing.T) {
		first := s.Clock.Advance(time.Minute).Format("2006-01-02T15:04:05.000Z")
		got := s.MustOK(t, s.A, http.StatusOK, "POST", "/lethe/v1/users/"+id+"/logins", "")
		MustKeys(t, got, userKeys...)
		if got["status"] != "active" || got["firstLogin"] != first || got["lastLogin"] != first {
			t.Errorf("after first login: status %v, firstLogin %v, lastLogin %v", got["status"], got["firstLogin"], got["lastLogin"])
		}
		refs, _ := s.searchRefs(t, s.A, "status=active")
		MustDiff(t, "active", []string{"login"}, refs)
		refs, _ = s.searchRefs(t, s.A, "status=new")
		MustDiff(t, "new", []string{}, refs)
	})
	t.Run("OKSecondKeepsFirst", func(t *testing.T) {
		first := s.MustGetUser(t, s.A, id)["firstLogin"]
		last := s.Clock.Advance(time.Hour).Format("2006-01-02T15:04:05.000Z")
		got := s.MustOK(t, s.A, http.StatusOK, "POST", "/lethe/v1/users/"+id+"/logins", "")
		if got["firstLogin"] != first || got["lastLogin"] != last {
			t.Errorf("firstLogin %v (want %v), lastLogin %v (want %s)", got["firstLogin"], first, got["lastLogin"], last)
		}
	})
	t.Run("ErrUnknownID", func(t *testing.T) {
		MustError(t, s.Do(t, s.A, "POST", "/lethe/v1/users/ffffffffffffffffffffffff/logins", ""), http.StatusNotFound, "not_found")
		MustError(t, s.Do(t, s.A, "POST", "/lethe/v1/users/not-an-id/logins", ""), http.StatusNotFound, "not_found")
	})
}

func TestUsers_Reactivate(t *testing.T) {
	s := MustStartServer(t)
	id := MustID(t, s.MustCreateUser(t, s.A, "rehire", map[string]any{"jobTitle": "Clerk"}))
	s.Clock.Advance(time.Minute)
	s.MustOK(t, s.A, http.StatusOK, "POST", "/lethe/v1/users/"+id+"/logins", "")
	firstLogin := s.MustGetUser(t, s.A, id)["firstLogin"]
	s.Clock.Advance(24 * time.Hour)
	s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v2/users/ref/rehire/suspend", `{"endDate":"2025-03-01"}`)
	s.Clock.Advance(30 * 24 * time.Hour)

	t.Run("OK", func(t *testing.T) {
		got := s.MustOK(t, s.A, http.StatusOK, "POST", "/lethe/v1/users/"+id+"/reactivate", `{"jobTitle":"Senior Clerk"}`)
		MustKeys(t, got, lifecycleKeys...)
		if got["id"] != id || got["active"] != true || got["endDate"] != nil || got["jobTitle"] != "Senior Clerk" {
			t.Errorf("reactivate = %v; want the same id, active, no end date, new job title", got)
		}
		u := s.MustGetUser(t, s.A, id)
		if u["status"] != "active" || u["firstLogin"] != firstLogin || u["createdAt"] != T0 {
			t.Errorf("after reactivation: status %v, firstLogin %v, createdAt %v", u["status"], u["firstLogin"], u["createdAt"])
		}
		by := s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/users/ref/rehire", "")
		if by["id"] != id {
			t.Errorf("ref now names %v, want %s", by["id"], id)
		}
	})
	t.Run("OKNewEndDate", func(t *testing.T) {
		s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v2/users/ref/rehire/suspend", `{}`)
		got := s.MustOK(t, s.A, http.StatusOK, "POST", "/lethe/v1/users/"+id+"/reactivate", `{"endDate":"2031-01-01"}`)
		if got["endDate"] != "2031-01-01T00:00:00.000Z" || got["active"] != true {
			t.Errorf("reactivate = %v", got)
		}
	})
	t.Run("OKAlreadyActive", func(t *testing.T) {
		got := s.MustOK(t, s.A, http.StatusOK, "POST", "/lethe/v1/users/"+id+"/reactivate", "")
		if got["active"] != true || got["endDate"] != nil {
			t.Errorf("reactivate = %v", got)
		}
	})
	t.Run("OKHistory", func(t *testing.T) {
		hist := s.MustOK(t, s.A, http.StatusOK, "GET", "/lethe/v1/users/"+id+"/status-history", "")
		var got []string
		for _, h := range hist["results"].([]any) {
			m := h.(map[string]any)
			from, _ := m["from"].(string)
			got = append(got, from+">"+m["to"].(string)+":"+m["reason"].(string))
		}
		MustDiff(t, "history", []string{
			">active:created", "active>suspended:suspended", "suspended>active:reactivated",
			"active>suspended:suspended", "suspended>active:reactivated",
		}, got)
	})
	t.Run("ErrInvalidField", func(t *testing.T) {
		s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v2/users/ref/rehire/suspend", `{}`)
		MustError(t, s.Do(t, s.A, "POST", "/lethe/v1/users/"+id+"/reactivate", `{"firstName":""}`),
			http.StatusUnprocessableEntity, "invalid", "firstName")
		if st := s.MustGetUser(t, s.A, id)["status"]; st != "inactive" {
			t.Errorf("status = %v after a refused reactivation, want inactive", st)
		}
	})
	t.Run("ErrErased", func(t *testing.T) {
		s.MustOK(t, s.A, http.StatusOK, "DELETE", "/rest/v2/users/ref/rehire", "")
		MustError(t, s.Do(t, s.A, "POST", "/lethe/v1/users/"+id+"/reactivate", ""), http.StatusConflict, "conflict")
		MustError(t, s.Do(t, s.A, "POST", "/lethe/v1/users/"+id+"/logins", ""), http.StatusConflict, "conflict")
	})
	t.Run("ErrUnknownID", func(t *testing.T) {
		MustError(t, s.Do(t, s.A, "POST", "/lethe/v1/users/ffffffffffffffffffffffff/reactivate", ""), http.StatusNotFound, "not_found")
		MustError(t, s.Do(t, s.A, "POST", "/lethe/v1/users/xyz/reactivate", ""), http.StatusNotFound, "not_found")
	})
}

func TestUsers_StatusHistory(t *testing.T) {
	s := MustStartServer(t)
	id := MustID(t, s.MustCreateUser(t, s.A, "hist", nil))
	t1 := s.Clock.Advance(time.Hour)
	s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v2/users/ref/hist/suspend", `{}`)
	t2 := s.Clock.Advance(time.Hour)
	s.MustOK(t, s.A, http.StatusOK, "POST", "/lethe/v1/users/"+id+"/reactivate", `{}`)
	t3 := s.Clock.Advance(time.Hour)
	s.MustOK(t, s.A, http.StatusOK, "POST", "/rest/v1/webhooks", MustJSON(t, map[string]any{
		"id": "evt-hist-1", "eventType": "user_suspended", "content": map[string]any{"user": map[string]any{"ref": "hist"}},
	}))
	t4 := s.Clock.Advance(time.Hour)
	s.MustOK(t, s.A, http.StatusOK, "DELETE", "/rest/v2/users/ref/hist", "")

	f := func(t time.Time) string { return t.Format("2006-01-02T15:04:05.000Z") }
	entry := func(from any, to, reason, actor, source, at string) map[string]any {
		return map[string]any{"from": from, "to": to, "reason": reason, "actor": actor, "source": source, "at": at}
	}
	got := s.MustOK(t, s.A, http.StatusOK, "GET", "/lethe/v1/users/"+id+"/status-history", "")
	MustKeys(t, got, "results")
	MustDiff(t, "history", []any{
		entry(nil, "active", "created", "api-key", "api", T0),
		entry("active", "suspended", "suspended", "api-key", "api", f(t1)),
		entry("suspended", "active", "reactivated", "api-key", "api", f(t2)),
		entry("active", "suspended", "suspended", "provisioning-webhook", "provisioning", f(t3)),
		entry("suspended", "deleted", "erased", "api-key", "api", f(t4)),
	}, got["results"])

	t.Run("OKSameMillisecond", func(t *testing.T) {
		// Changes within one clock tick keep their order.
		id := MustID(t, s.MustCreateUser(t, s.A, "flip", nil))
		want := []string{">active"}
		for range 10 {
			s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v2/users/ref/flip/suspend", `{}`)
			s.MustOK(t, s.A, http.StatusOK, "POST", "/lethe/v1/users/"+id+"/reactivate", `{}`)
			want = append(want, "active>suspended", "suspended>active")
		}
		var got []string
		for _, h := range s.MustOK(t, s.A, http.StatusOK, "GET", "/lethe/v1/users/"+id+"/status-history", "")["results"].([]any) {
			m := h.(map[string]any)
			from, _ := m["from"].(string)
			got = append(got, from+">"+m["to"].(string))
		}
		MustDiff(t, "history", want, got)
	})
	t.Run("ErrUnknownID", func(t *testing.T) {
		MustError(t, s.Do(t, s.A, "GET", "/lethe/v1/users/ffffffffffffffffffffffff/status-history", ""), http.StatusNotFound, "not_found")
	})
	t.Run("OKUpperCaseID", func(t *testing.T) {
		MustStatus(t, s.Do(t, s.A, "GET", "/lethe/v1/users/"+strings.ToUpper(id)+"/status-history", ""), http.StatusOK)
	})
}

// TestUsers_Delete checks that delete erases the person and keeps the
// learner, down to the bytes of the database files.
func TestUsers_Delete(t *testing.T) {
	s := MustStartServer(t)
	// Canaries: personal values that occur nowhere else.
	const (
		email = "Erase.Me.Q7x9@Example.COM"
		first = "Quintessa7x9"
		last  = "Vandermolen7x9"
		job   = "Chief Canary Officer7x9"
		extra = "canary-extra-7x9"
	)
	created := s.MustCreateUser(t, s.A, "leaver-7", map[string]any{
		"email": email, "firstName": first, "lastName": last, "jobTitle": job, "timeZone": "Europe/Rome",
		"languageCode": "it", "managerRef": "boss-7", "startDate": "2020-01-01", "domain": "example.com",
		"additionalFields": map[string]any{"note": extra},
	})
	id := MustID(t, created)
	s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v2/users/ref/leaver-7", `{"jobTitle":"`+job+` II"}`)
	s.MustOK(t, s.A, http.StatusOK, "POST", "/lethe/v1/users/"+id+"/logins", "")
	// A provisioning event about the person; its hash must go too.
	s.MustOK(t, s.A, http.StatusOK, "POST", "/rest/v1/webhooks", MustJSON(t, map[string]any{
		"id": "evt-7", "eventType": "user_updated",
		"content": map[string]any{"user": map[string]any{"ref": "leaver-7", "lastName": last}},
	}))
	// An idempotent bulk call names the person: its kept answer names them
	// no more after the erasure (counted in the receipt), and no byte of
	// them is on disk.
	MustStatus(t, s.bulkWithKey(t, "before-the-erasure", `{"action":"suspend","dryRun":true,"identifiers":[{"email":"`+email+`"}]}`),
		http.StatusOK)
	erasedAt := s.Clock.Advance(time.Hour)

	res := s.Do(t, s.A, "DELETE", "/rest/v2/users/ref/leaver-7", "")
	MustStatus(t, res, http.StatusOK)
	MustDiff(t, "delete answer", map[string]any{"success": true}, res.Object(t))

	t.Run("ErrByRef", func(t *testing.T) {
		MustError(t, s.Do(t, s.A, "GET", "/rest/v1/users/ref/leaver-7", ""), http.StatusNotFound, "not_found")
		// Deleting the erased ref again is idempotent (its tombstone says it
		// was erased); a ref that never existed is 404.
		MustDiff(t, "delete again", map[string]any{"success": true}, s.MustOK(t, s.A, http.StatusOK, "DELETE", "/rest/v2/users/ref/leaver-7", ""))
		MustError(t, s.Do(t, s.A, "DELETE", "/rest/v2/users/ref/never-was", ""), http.StatusNotFound, "not_found")
		MustError(t, s.Do(t, s.A, "PATCH", "/rest/v2/users/ref/leaver-7", `{}`), http.StatusNotFound, "not_found")
	})
	t.Run("OKReplayNamesNoOne", func(t *testing.T) {
		// The envelope id no longer leads to the erased learner, whatever
		// body it comes with.
		for _, name := range []string{last, "Someone Else"} {
			res := s.Do(t, s.A, "POST", "/rest/v1/webhooks", MustJSON(t, map[string]any{
				"id": "evt-7", "eventType": "user_updated",
				"content": map[string]any{"user": map[string]any{"ref": "leaver-7", "lastName": name}},
			}))
			MustStatus(t, res, http.StatusOK)
			if got := res.Object(t); got["replayed"] != true || got["userId"] != "" {
				t.Errorf("replay after the erasure = %v, want replayed without the learner", got)
			}
			MustNotContain(t, res, id, "leaver-7", email, first, last)
		}
	})
	erasedAtS := erasedAt.Format("2006-01-02T15:04:05.000Z")
	wantErased := fullUser(id, map[string]any{
		"status": "inactive", "deleted": true, "additionalFields": nil, "updatedAt": erasedAtS,
	})
	t.Run("OKByID", func(t *testing.T) {
		got := s.MustGetUser(t, s.A, id)
		MustKeys(t, got, userKeys...)
		MustDiff(t, "erased User", wantErased, got)
	})
	t.Run("OKInSearch", func(t *testing.T) {
		page := s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/users", "")
		MustDiff(t, "search", []any{wantErased}, page["results"])
	})
	t.Run("OKErasureRecord", func(t *testing.T) {
		res := s.Do(t, s.A, "GET", "/lethe/v1/erasures/"+id, "")
		MustStatus(t, res, http.StatusOK)
		got := res.Object(t)
		if sig, _ := got["signature"].(map[string]any); sig["algorithm"] != "Ed25519" || sig["value"] == "" {
			t.Errorf("signature = %v", got["signature"])
		}
		delete(got, "signature") // checked against the public key in TestErasure_Receipt
		// The trail's head at the erasure (its own entry): checked against
		// the trail in TestTrail_Anchors.
		if tr, _ := got["trail"].(map[string]any); tr["seq"] == nil || len(tr["hash"].(string)) != 64 {
			t.Errorf("trail = %v, want the seq and hash of the trail's head", got["trail"])
		}
		delete(got, "trail")
		checks := []any{}
		for _, name := range []string{"person", "accountDetails", "pendingErasures", "idempotentAnswers", "provisioningEventHashes", "memberships",
			"managerRoles", "activityText", "tags", "skills", "cpdText", "dataKeys", "eventPayloads", "deliveryResponses"} {
			checks = append(checks, map[string]any{"name": name, "found": 0.0})
		}
		kept := map[string]any{"statusHistory": 2.0, "enrolments": 0.0, "completions": 0.0, "activities": 0.0, "cpdEntries": 0.0}
		policies := map[string]any{}
		for k := range kept {
			policies[k] = "pseudonymize"
		}
		MustDiff(t, "erasure", map[string]any{
			"receiptVersion": 1.0, "tenantId": "tenant-a", "userId": id, "mode": "erase", "irreversible": true,
			"statement":   "The person's personal data was erased and cannot be restored. The records listed as kept remain under the internal user id only; free text they carried was sealed under a key that was destroyed.",
			"requestedAt": erasedAtS, "erasedAt": erasedAtS, "source": "api", "actor": "api-key", "issuedAt": erasedAtS,
			"erased": map[string]any{"person": 1.0, "managerRefs": 0.0, "provisioningEventHashes": 1.0, "memberships": 0.0, "managerRoles": 0.0,
				"activityText": 0.0, "accountDetails": 0.0, "cpdText": 0.0, "dataKeys": 0.0, "skills": 0.0, "tags": 0.0, "pendingErasures": 0.0,
				"idempotentAnswers": 1.0, "deliveryResponses": 0.0, "eventPayloads": 0.0},
			"kept": kept, "keptPolicies": policies, "propagation": []any{}, "revision": 1.0,
			"verification": map[string]any{"passed": true, "checkedAt": erasedAtS, "checks": checks},
		}, got)
		MustNotContain(t, res, "leaver-7", email, first, last)
	})
	t.Run("ErrErasureOfLiveUser", func(t *testing.T) {
		live := MustID(t, s.MustCreateUser(t, s.A, "alive", nil))
		MustError(t, s.Do(t, s.A, "GET", "/lethe/v1/erasures/"+live, ""), http.StatusNotFound, "not_found")
		MustError(t, s.Do(t, s.A, "GET", "/lethe/v1/erasures/ffffffffffffffffffffffff", ""), http.StatusNotFound, "not_found")
	})
	t.Run("OKHistoryKept", func(t *testing.T) {
		hist := s.MustOK(t, s.A, http.StatusOK, "GET", "/lethe/v1/users/"+id+"/status-history", "")["results"].([]any)
		if len(hist) != 2 || hist[1].(map[string]any)["to"] != "deleted" {
			t.Errorf("history = %v", hist)
		}
	})
	t.Run("OKRefReusable", func(t *testing.T) {
		again := s.MustCreateUser(t, s.A, "leaver-7", map[string]any{"email": "someone.else@example.com"})
		newID := MustID(t, again)
		if newID == id {
			t.Fatalf("new user reuses the erased id %s", id)
		}
		by := s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/users/ref/leaver-7", "")
		if by["id"] != newID {
			t.Errorf("ref names %v, want the new user %s", by["id"], newID)
		}
		MustDiff(t, "old id", wantErased, s.MustGetUser(t, s.A, id))
		// The new user has no link to the old one.
		hist := s.MustOK(t, s.A, http.StatusOK, "GET", "/lethe/v1/users/"+newID+"/status-history", "")["results"].([]any)
		if len(hist) != 1 {
			t.Errorf("new user's history = %v, want only its creation", hist)
		}
		// The erased email is free again.
		s.MustCreateUser(t, s.A, "leaver-7b", map[string]any{"email": strings.ToLower(email)})
		s.MustOK(t, s.A, http.StatusOK, "DELETE", "/rest/v2/users/ref/leaver-7b", "")
	})
	t.Run("OKNoPersonalBytesOnDisk", func(t *testing.T) {
		const control = "someone.else@example.com" // a live user's email
		needles := []string{email, strings.ToLower(email), first, last, job, extra}
		found := MustResidue(t, s, append([]string{control}, needles...)...)
		// A control: the live user's email is stored, so the search can see
		// stored bytes and cannot pass vacuously.
		if !slices.Contains(found, control) {
			t.Fatalf("the live user's email %q was not found: the search cannot see stored bytes", control)
		}
		for _, needle := range needles {
			if slices.Contains(found, needle) {
				t.Errorf("the database still holds %q", needle)
			}
		}
		logs := strings.ToLower(s.Logs.String())
		for _, needle := range needles {
			if strings.Contains(logs, strings.ToLower(needle)) {
				t.Errorf("logs hold %q", needle)
			}
		}
	})
}
