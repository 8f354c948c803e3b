package server_test

import (
	"encoding/json"
	"net/http"
	"testing"
)

// TestUsers_UpdateNullRequired pins ADR 0025: workflow tools send every
// form field of a v2 update, untouched ones as null. null on a field every
// user must have (firstName, lastName, email, role, loginMethod, sso) reads
// as not sent; null on an optional field still clears it. The rule holds on
// every route that takes v2 update fields: PATCH by ref, and the
// reactivation by id.
func TestUsers_UpdateNullRequired(t *testing.T) {
	s := MustStartServer(t)
	// Every field of the form, the untouched required ones as null.
	const form = `{"firstName":null,"lastName":null,"email":null,"role":null,"loginMethod":null,"sso":null,
		"jobTitle":null,"managerRef":null,"domain":null,"timeZone":null,"languageCode":null,
		"startDate":null,"endDate":null,"additionalFields":null,"FIELD":"VALUE"}`
	full := map[string]any{"email": "ada@example.com", "role": "administrator", "sso": true, "jobTitle": "Clerk",
		"domain": "example.com", "timeZone": "Europe/London", "languageCode": "en-gb", "startDate": "2024-01-01",
		"additionalFields": map[string]any{"department": "Sales"}}
	check := func(t *testing.T, got map[string]any, field, value string) {
		t.Helper()
		want := map[string]any{"firstName": "First", "lastName": "Last", "email": "ada@example.com",
			"role": "administrator", "loginMethod": "email", "sso": true,
			"jobTitle": nil, "managerRef": nil, "domain": nil, "timeZone": nil, "languageCode": nil,
			"startDate": nil, "endDate": nil}
		if field != "" {
			want[field] = value
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s = %v, want %v", k, got[k], v)
			}
		}
		MustDiff(t, "additionalFields (cleared)", map[string]any{}, got["additionalFields"])
	}
	t.Run("OKPatchByRef", func(t *testing.T) {
		id := MustID(t, s.MustCreateUser(t, s.A, "ada", full))
		body := replaceField(form, "jobTitle", `"Senior Clerk"`)
		got := s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v2/users/ref/ada", body)
		check(t, got, "jobTitle", "Senior Clerk")
		user := s.MustGetUser(t, s.A, id)
		if user["firstName"] != "First" || user["email"] != "ada@example.com" {
			t.Errorf("user = %v", user)
		}
		// Only null is "not sent": an empty required name is still refused.
		MustError(t, s.Do(t, s.A, "PATCH", "/rest/v2/users/ref/ada", `{"firstName":""}`), http.StatusUnprocessableEntity, "invalid", "firstName")
		MustError(t, s.Do(t, s.A, "PATCH", "/rest/v2/users/ref/ada", `{"email":""}`), http.StatusUnprocessableEntity, "invalid", "email")
	})
	t.Run("OKReactivateByID", func(t *testing.T) {
		s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v2/users/ref/ada", MustJSON(t, full))
		id := MustID(t, s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v2/users/ref/ada/suspend", `{}`))
		got := s.MustOK(t, s.A, http.StatusOK, "POST", "/lethe/v1/users/"+id+"/reactivate", replaceField(form, "domain", `"navy.example"`))
		check(t, got, "domain", "navy.example")
		if got["active"] != true {
			t.Errorf("active = %v", got["active"])
		}
	})
	// email is required unless the login method is ref: there null clears
	// it, as "" does (ADR 0003, question 13).
	t.Run("OKNullEmailClearsWithLoginMethodRef", func(t *testing.T) {
		s.MustCreateUser(t, s.A, "bob", map[string]any{"email": "bob@example.com", "loginMethod": "ref"})
		got := s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v2/users/ref/bob", `{"email":null,"firstName":null,"loginMethod":null}`)
		if got["email"] != nil || got["firstName"] != "First" || got["loginMethod"] != "ref" {
			t.Errorf("null email of a ref login = %v, want cleared, the rest kept", got)
		}
		s.MustCreateUser(t, s.A, "cy", map[string]any{"email": "cy@example.com"})
		got = s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v2/users/ref/cy", `{"email":null,"loginMethod":"ref"}`)
		if got["email"] != nil || got["loginMethod"] != "ref" {
			t.Errorf("null email with a change to ref login = %v, want cleared", got)
		}
		s.MustCreateUser(t, s.A, "dee", map[string]any{"email": "dee@example.com", "loginMethod": "ref"})
		if got = s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v2/users/ref/dee", `{"email":""}`); got["email"] != nil {
			t.Errorf("email = %v after \"\", want null", got["email"])
		}
	})
	t.Run("OKNullEmailKeptWithLoginMethodEmail", func(t *testing.T) {
		s.MustCreateUser(t, s.A, "eve", map[string]any{"email": "eve@example.com", "loginMethod": "ref"})
		got := s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v2/users/ref/eve", `{"email":null,"loginMethod":"email"}`)
		if got["email"] != "eve@example.com" || got["loginMethod"] != "email" {
			t.Errorf("null email with a change to email login = %v, want the email kept", got)
		}
	})
	t.Run("ErrCreateStillNeedsThem", func(t *testing.T) {
		MustError(t, s.Do(t, s.A, "POST", "/rest/v2/users", `{"ref":"cat","firstName":null,"lastName":"Test","email":"cat@example.com"}`),
			http.StatusUnprocessableEntity, "invalid", "firstName")
	})
}

// replaceField sets field of the JSON object text body to the JSON value.
func replaceField(body, field, value string) string {
	var obj map[string]any
	if err := jsonUnmarshal([]byte(body), &obj); err != nil {
		panic(err)
	}
	var v any
	if err := jsonUnmarshal([]byte(value), &v); err != nil {
		panic(err)
	}
	obj[field] = v
	out, err := json.Marshal(obj)
	if err != nil {
		panic(err)
	}
	return string(out)
}
