package lethe_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lethehq/lethe"
)

// validUser returns a person and learner that pass ValidateUser.
func validUser() (*lethe.Person, *lethe.Learner) {
	return &lethe.Person{Ref: "emp-1", FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com"},
		&lethe.Learner{State: lethe.StateActive, Role: lethe.RoleLearner, LoginMethod: lethe.LoginEmail}
}

func date(s string) *time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return &t
}

func TestUser_Validate(t *testing.T) {
	ok := []struct {
		name string
		edit func(p *lethe.Person, l *lethe.Learner)
	}{
		{"OK", func(p *lethe.Person, l *lethe.Learner) {}},
		{"OKLoginRefWithoutEmail", func(p *lethe.Person, l *lethe.Learner) { p.Email, l.LoginMethod = "", lethe.LoginRef }},
		{"OKLoginRefWithEmail", func(p *lethe.Person, l *lethe.Learner) { l.LoginMethod = lethe.LoginRef }},
		{"OKEveryRole", func(p *lethe.Person, l *lethe.Learner) { l.Role = lethe.RoleLearnerAdmin }},
		{"OKAdministrator", func(p *lethe.Person, l *lethe.Learner) { l.Role = lethe.RoleAdministrator }},
		{"OKEveryOptionalField", func(p *lethe.Person, l *lethe.Learner) {
			p.JobTitle, p.ManagerRef, p.Domain, p.TimeZone, p.LanguageCode = "Clerk", "boss", "example.com", "Europe/London", "en-gb"
			p.StartDate, l.EndDate = date("2024-01-01"), date("2025-01-01")
			p.AdditionalFields = json.RawMessage(`{"department":"Sales"}`)
		}},
		{"OKEndEqualsStart", func(p *lethe.Person, l *lethe.Learner) {
			p.StartDate, l.EndDate = date("2024-01-01"), date("2024-01-01")
		}},
		{"OKEndWithoutStart", func(p *lethe.Person, l *lethe.Learner) { l.EndDate = date("2000-01-01") }},
		{"OKTimeZoneUTC", func(p *lethe.Person, l *lethe.Learner) { p.TimeZone = "UTC" }},
		{"OKTimeZoneEtc", func(p *lethe.Person, l *lethe.Learner) { p.TimeZone = "Etc/GMT+5" }},
		{"OKLanguageShort", func(p *lethe.Person, l *lethe.Learner) { p.LanguageCode = "fr" }},
		{"OKLanguageThreeLetters", func(p *lethe.Person, l *lethe.Learner) { p.LanguageCode = "fil" }},
		{"OKLanguageSubtags", func(p *lethe.Person, l *lethe.Learner) { p.LanguageCode = "zh-hant-tw" }},
		{"OKLanguageNumericSubtag", func(p *lethe.Person, l *lethe.Learner) { p.LanguageCode = "es-419" }},
		{"OKRefMaxLength", func(p *lethe.Person, l *lethe.Learner) { p.Ref = strings.Repeat("r", lethe.MaxRefLength) }},
		{"OKNameMaxRunes", func(p *lethe.Person, l *lethe.Learner) { p.FirstName = strings.Repeat("é", lethe.MaxTextLength) }},
		{"OKRefWithSlashAndAt", func(p *lethe.Person, l *lethe.Learner) { p.Ref = "dept/a@b c" }},
		{"OKUnicodeName", func(p *lethe.Person, l *lethe.Learner) { p.FirstName, p.LastName = "Zoë", "Ōtsuka 大塚" }},
		{"OKEmptyAdditionalFields", func(p *lethe.Person, l *lethe.Learner) { p.AdditionalFields = json.RawMessage(`{}`) }},
		{"OKManagerRefOther", func(p *lethe.Person, l *lethe.Learner) { p.ManagerRef = "emp-2" }},
	}
	for _, c := range ok {
		t.Run(c.name, func(t *testing.T) {
			p, l := validUser()
			c.edit(p, l)
			if err := lethe.ValidateUser(p, l); err != nil {
				t.Fatalf("ValidateUser: %v", err)
			}
		})
	}

	bad := []struct {
		name           string
		edit           func(p *lethe.Person, l *lethe.Learner)
		field, problem string
		value          string // the offending value, which the message must not contain
	}{
		{"ErrRefRequired", func(p *lethe.Person, l *lethe.Learner) { p.Ref = "" }, "ref", "required", ""},
		{"ErrRefTooLong", func(p *lethe.Person, l *lethe.Learner) { p.Ref = strings.Repeat("q", 256) }, "ref", "too_long", strings.Repeat("q", 256)},
		{"ErrRefControl", func(p *lethe.Person, l *lethe.Learner) { p.Ref = "emp\x00secret" }, "ref", "invalid", "emp\x00secret"},
		{"ErrRefNewline", func(p *lethe.Person, l *lethe.Learner) { p.Ref = "emp\nsecret" }, "ref", "invalid", "emp\nsecret"},
		{"ErrRefInvalidUTF8", func(p *lethe.Person, l *lethe.Learner) { p.Ref = "emp\xffsecret" }, "ref", "invalid", "emp\xffsecret"},
		{"ErrFirstNameRequired", func(p *lethe.Person, l *lethe.Learner) { p.FirstName = "" }, "firstName", "required", ""},
		{"ErrFirstNameTooLong", func(p *lethe.Person, l *lethe.Learner) { p.FirstName = strings.Repeat("é", 256) }, "firstName", "too_long", strings.Repeat("é", 256)},
		{"ErrFirstNameControl", func(p *lethe.Person, l *lethe.Learner) { p.FirstName = "Ada\tSecret" }, "firstName", "invalid", "Ada\tSecret"},
		{"ErrLastNameRequired", func(p *lethe.Person, l *lethe.Learner) { p.LastName = "" }, "lastName", "required", ""},
		{"ErrLastNameControl", func(p *lethe.Person, l *lethe.Learner) { p.LastName = "Love\u0085lace" }, "lastName", "invalid", "Love\u0085lace"},
		{"ErrJobTitleTooLong", func(p *lethe.Person, l *lethe.Learner) { p.JobTitle = strings.Repeat("j", 256) }, "jobTitle", "too_long", strings.Repeat("j", 256)},
		{"ErrJobTitleControl", func(p *lethe.Person, l *lethe.Learner) { p.JobTitle = "Chief\x07Officer" }, "jobTitle", "invalid", "Chief\x07Officer"},
		{"ErrManagerRefTooLong", func(p *lethe.Person, l *lethe.Learner) { p.ManagerRef = strings.Repeat("m", 256) }, "managerRef", "too_long", strings.Repeat("m", 256)},
		{"ErrManagerRefControl", func(p *lethe.Person, l *lethe.Learner) { p.ManagerRef = "boss\x1b" }, "managerRef", "invalid", "boss\x1b"},
		{"ErrManagerRefSelf", func(p *lethe.Person, l *lethe.Learner) { p.ManagerRef = p.Ref }, "managerRef", "invalid", "emp-1"},
		{"ErrDomainTooLong", func(p *lethe.Person, l *lethe.Learner) { p.Domain = strings.Repeat("d", 256) }, "domain", "too_long", strings.Repeat("d", 256)},
		{"ErrDomainControl", func(p *lethe.Person, l *lethe.Learner) { p.Domain = "a\rb" }, "domain", "invalid", "a\rb"},
		{"ErrLoginMethodEmpty", func(p *lethe.Person, l *lethe.Learner) { l.LoginMethod = "" }, "loginMethod", "invalid", ""},
		{"ErrLoginMethodUnknown", func(p *lethe.Person, l *lethe.Learner) { l.LoginMethod = "smoke-signal" }, "loginMethod", "invalid", "smoke-signal"},
		{"ErrRoleEmpty", func(p *lethe.Person, l *lethe.Learner) { l.Role = "" }, "role", "invalid", ""},
		{"ErrRoleUnknown", func(p *lethe.Person, l *lethe.Learner) { l.Role = "overlord" }, "role", "invalid", "overlord"},
		{"ErrEmailRequired", func(p *lethe.Person, l *lethe.Learner) { p.Email = "" }, "email", "required", ""},
		{"ErrEmailInvalid", func(p *lethe.Person, l *lethe.Learner) { p.Email = "ada.secret" }, "email", "invalid", "ada.secret"},
		{"ErrEmailInvalidWithLoginRef", func(p *lethe.Person, l *lethe.Learner) { p.Email, l.LoginMethod = "ada.secret@", lethe.LoginRef }, "email", "invalid", "ada.secret@"},
		{"ErrTimeZoneUnknown", func(p *lethe.Person, l *lethe.Learner) { p.TimeZone = "Mars/Olympus_Mons" }, "timeZone", "invalid", "Mars/Olympus_Mons"},
		{"ErrTimeZoneLocal", func(p *lethe.Person, l *lethe.Learner) { p.TimeZone = "Local" }, "timeZone", "invalid", ""},
		{"ErrTimeZoneCase", func(p *lethe.Person, l *lethe.Learner) { p.TimeZone = "europe/london" }, "timeZone", "invalid", "europe/london"},
		{"ErrTimeZonePath", func(p *lethe.Person, l *lethe.Learner) { p.TimeZone = "../../etc/passwd" }, "timeZone", "invalid", "../../etc/passwd"},
		{"ErrTimeZoneAbsolute", func(p *lethe.Person, l *lethe.Learner) { p.TimeZone = "/usr/share/zoneinfo/UTC" }, "timeZone", "invalid", "/usr/share/zoneinfo/UTC"},
		{"ErrTimeZoneTooLong", func(p *lethe.Person, l *lethe.Learner) { p.TimeZone = "Europe/" + strings.Repeat("x", 60) }, "timeZone", "invalid", ""},
		{"ErrLanguageOneLetter", func(p *lethe.Person, l *lethe.Learner) { p.LanguageCode = "e" }, "languageCode", "invalid", ""},
		{"ErrLanguageWord", func(p *lethe.Person, l *lethe.Learner) { p.LanguageCode = "english" }, "languageCode", "invalid", "english"},
		{"ErrLanguageUnderscore", func(p *lethe.Person, l *lethe.Learner) { p.LanguageCode = "en_gb" }, "languageCode", "invalid", "en_gb"},
		{"ErrLanguageUpperCase", func(p *lethe.Person, l *lethe.Learner) { p.LanguageCode = "EN" }, "languageCode", "invalid", ""},
		{"ErrLanguageEmptySubtag", func(p *lethe.Person, l *lethe.Learner) { p.LanguageCode = "en-" }, "languageCode", "invalid", ""},
		{"ErrLanguageLongSubtag", func(p *lethe.Person, l *lethe.Learner) { p.LanguageCode = "en-abcdefghi" }, "languageCode", "invalid", "en-abcdefghi"},
		{"ErrLanguageTooLong", func(p *lethe.Person, l *lethe.Learner) { p.LanguageCode = "en" + strings.Repeat("-abcdefgh", 4) }, "languageCode", "invalid", ""},
		{"ErrEndBeforeStart", func(p *lethe.Person, l *lethe.Learner) {
			p.StartDate, l.EndDate = date("2024-01-02"), date("2024-01-01")
		}, "endDate", "invalid", ""},
		{"ErrAdditionalFieldsArray", func(p *lethe.Person, l *lethe.Learner) { p.AdditionalFields = json.RawMessage(`["secret"]`) }, "additionalFields", "invalid", "secret"},
		{"ErrAdditionalFieldsNull", func(p *lethe.Person, l *lethe.Learner) { p.AdditionalFields = json.RawMessage(`null`) }, "additionalFields", "invalid", ""},
		{"ErrAdditionalFieldsMalformed", func(p *lethe.Person, l *lethe.Learner) { p.AdditionalFields = json.RawMessage(`{"secret":`) }, "additionalFields", "invalid", "secret"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			p, l := validUser()
			c.edit(p, l)
			err := lethe.ValidateUser(p, l)
			var e *lethe.Error
			if !errors.As(err, &e) {
				t.Fatalf("ValidateUser = %v, want a *lethe.Error", err)
			}
			if e.Code != lethe.EInvalid {
				t.Errorf("code = %q, want invalid", e.Code)
			}
			want := []lethe.FieldError{{Field: c.field, Problem: c.problem}}
			if diff := cmp.Diff(want, e.Details); diff != "" {
				t.Errorf("details mismatch (-want +got):\n%s", diff)
			}
			if !strings.HasPrefix(e.Message, c.field+" ") {
				t.Errorf("message %q does not name %s first", e.Message, c.field)
			}
			if c.value != "" && strings.Contains(e.Message+e.Error(), c.value) {
				t.Errorf("message %q contains the value", e.Message)
			}
		})
	}

	t.Run("ErrEveryRule", func(t *testing.T) {
		p := &lethe.Person{ManagerRef: strings.Repeat("m", 300), AdditionalFields: json.RawMessage(`1`),
			TimeZone: "Nowhere", LanguageCode: "x", StartDate: date("2024-02-01")}
		l := &lethe.Learner{Role: "x", LoginMethod: "y", EndDate: date("2024-01-01")}
		err := lethe.ValidateUser(p, l)
		var e *lethe.Error
		if !errors.As(err, &e) {
			t.Fatalf("ValidateUser = %v", err)
		}
		want := []lethe.FieldError{
			{Field: "ref", Problem: "required"}, {Field: "firstName", Problem: "required"},
			{Field: "lastName", Problem: "required"}, {Field: "managerRef", Problem: "too_long"},
			{Field: "loginMethod", Problem: "invalid"}, {Field: "role", Problem: "invalid"},
			{Field: "email", Problem: "required"}, {Field: "timeZone", Problem: "invalid"},
			{Field: "languageCode", Problem: "invalid"}, {Field: "endDate", Problem: "invalid"},
			{Field: "additionalFields", Problem: "invalid"},
		}
		if diff := cmp.Diff(want, e.Details); diff != "" {
			t.Errorf("details mismatch (-want +got):\n%s", diff)
		}
		if e.Message != "ref is required" {
			t.Errorf("message = %q, want the first rule's", e.Message)
		}
	})
}

func TestUserFields_Apply(t *testing.T) {
	str := func(s string) *string { return &s }
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	full := func() (*lethe.Person, *lethe.Learner) {
		s, e := start, end
		return &lethe.Person{
				Ref: "r", Email: "a@example.com", FirstName: "Ada", LastName: "Lovelace", JobTitle: "Clerk",
				ManagerRef: "boss", Domain: "example.com", TimeZone: "UTC", LanguageCode: "en", StartDate: &s,
				AdditionalFields: json.RawMessage(`{"a":1}`),
			}, &lethe.Learner{
				State: lethe.StateActive, Role: lethe.RoleLearnerAdmin, LoginMethod: lethe.LoginEmail, SSO: true, EndDate: &e,
			}
	}
	role := func(r lethe.Role) *lethe.Role { return &r }
	method := func(m lethe.LoginMethod) *lethe.LoginMethod { return &m }
	tm := func(t time.Time) *time.Time { return &t }
	yes, no := true, false
	paris := time.FixedZone("CET", 3600)

	cases := []struct {
		name string
		f    lethe.UserFields
		edit func(p *lethe.Person, l *lethe.Learner) // the expected change
	}{
		{"OKNothingGiven", lethe.UserFields{}, func(p *lethe.Person, l *lethe.Learner) {}},
		{"OKText", lethe.UserFields{FirstName: str("Grace"), LastName: str("Hopper"), Email: str("g@example.com"),
			JobTitle: str("Admiral"), ManagerRef: str("navy"), Domain: str("navy.example"), TimeZone: str("Europe/Paris"),
			LanguageCode: str("fr")}, func(p *lethe.Person, l *lethe.Learner) {
			p.FirstName, p.LastName, p.Email, p.JobTitle = "Grace", "Hopper", "g@example.com", "Admiral"
			p.ManagerRef, p.Domain, p.TimeZone, p.LanguageCode = "navy", "navy.example", "Europe/Paris", "fr"
		}},
		{"OKTrimmed", lethe.UserFields{FirstName: str("  Grace \t"), Email: str(" g@example.com\n")}, func(p *lethe.Person, l *lethe.Learner) {
			p.FirstName, p.Email = "Grace", "g@example.com"
		}},
		{"OKLanguageLowerCased", lethe.UserFields{LanguageCode: str(" EN-GB ")}, func(p *lethe.Person, l *lethe.Learner) {
			p.LanguageCode = "en-gb"
		}},
		{"OKEmptyClears", lethe.UserFields{Email: str(""), JobTitle: str(""), ManagerRef: str(""), Domain: str(""),
			TimeZone: str(""), LanguageCode: str("")}, func(p *lethe.Person, l *lethe.Learner) {
			p.Email, p.JobTitle, p.ManagerRef, p.Domain, p.TimeZone, p.LanguageCode = "", "", "", "", "", ""
		}},
		{"OKBlankClears", lethe.UserFields{JobTitle: str("   ")}, func(p *lethe.Person, l *lethe.Learner) { p.JobTitle = "" }},
		{"OKEmptyNameClears", lethe.UserFields{FirstName: str("")}, func(p *lethe.Person, l *lethe.Learner) { p.FirstName = "" }},
		{"OKEmptyRoleUnchanged", lethe.UserFields{Role: role("")}, func(p *lethe.Person, l *lethe.Learner) {}},
		{"OKEmptyLoginMethodUnchanged", lethe.UserFields{LoginMethod: method("")}, func(p *lethe.Person, l *lethe.Learner) {}},
		{"OKRole", lethe.UserFields{Role: role(lethe.RoleAdministrator)}, func(p *lethe.Person, l *lethe.Learner) {
			l.Role = lethe.RoleAdministrator
		}},
		{"OKInvalidRoleLeftToValidate", lethe.UserFields{Role: role("root")}, func(p *lethe.Person, l *lethe.Learner) { l.Role = "root" }},
		{"OKLoginMethod", lethe.UserFields{LoginMethod: method(lethe.LoginRef)}, func(p *lethe.Person, l *lethe.Learner) {
			l.LoginMethod = lethe.LoginRef
		}},
		{"OKZeroTimeClears", lethe.UserFields{StartDate: &time.Time{}, EndDate: &time.Time{}}, func(p *lethe.Person, l *lethe.Learner) {
			p.StartDate, l.EndDate = nil, nil
		}},
		{"OKDatesInUTC", lethe.UserFields{StartDate: tm(time.Date(2024, 6, 1, 1, 0, 0, 0, paris)), EndDate: tm(time.Date(2031, 1, 1, 0, 30, 0, 0, paris))},
			func(p *lethe.Person, l *lethe.Learner) {
				p.StartDate, l.EndDate = tm(time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)), tm(time.Date(2030, 12, 31, 23, 30, 0, 0, time.UTC))
			}},
		{"OKSSOFalse", lethe.UserFields{SSO: &no}, func(p *lethe.Person, l *lethe.Learner) { l.SSO = false }},
		{"OKSSOTrue", lethe.UserFields{SSO: &yes}, func(p *lethe.Person, l *lethe.Learner) {}},
		{"OKAdditionalFieldsReplaced", lethe.UserFields{AdditionalFields: json.RawMessage(`{"b":2}`)}, func(p *lethe.Person, l *lethe.Learner) {
			p.AdditionalFields = json.RawMessage(`{"b":2}`)
		}},
		{"OKAdditionalFieldsNullClears", lethe.UserFields{AdditionalFields: json.RawMessage(` null `)}, func(p *lethe.Person, l *lethe.Learner) {
			p.AdditionalFields = nil
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			gotP, gotL := full()
			c.f.Apply(gotP, gotL)
			wantP, wantL := full()
			c.edit(wantP, wantL)
			if diff := cmp.Diff(wantP, gotP); diff != "" {
				t.Errorf("person mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(wantL, gotL); diff != "" {
				t.Errorf("learner mismatch (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("OKRefAndStateNeverChange", func(t *testing.T) {
		p, l := full()
		f := lethe.UserFields{FirstName: str("X"), Role: role(lethe.RoleLearner)}
		f.Apply(p, l)
		if p.Ref != "r" || l.State != lethe.StateActive || l.ID != "" {
			t.Errorf("ref %q, state %q changed", p.Ref, l.State)
		}
	})
	t.Run("OKDatesCopied", func(t *testing.T) {
		p, l := full()
		s := time.Date(2024, 2, 2, 0, 0, 0, 0, time.UTC)
		f := lethe.UserFields{StartDate: &s, EndDate: &s}
		f.Apply(p, l)
		s = s.Add(time.Hour)
		if !p.StartDate.Equal(time.Date(2024, 2, 2, 0, 0, 0, 0, time.UTC)) || p.StartDate == l.EndDate {
			t.Errorf("dates alias the input: start %v, end %v", p.StartDate, l.EndDate)
		}
	})
}

func TestEmail_Valid(t *testing.T) {
	for _, s := range []string{
		"a@b.example", "ada.lovelace@example.com", "A.B+tag@Example.COM", "first_last-1@sub.domain.example",
		"x@localhost", "o'brien@example.ie", "user@[127.0.0.1]",
		strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".com",
	} {
		t.Run("OK/"+s, func(t *testing.T) {
			if !lethe.ValidEmail(s) {
				t.Errorf("ValidEmail(%q) = false", s)
			}
		})
	}
	for _, s := range []string{
		"", "a", "a@", "@b.example", "a b@example.com", "a@b example.com", "Ada <ada@example.com>",
		"<ada@example.com>", `"ada"@example.com`, " ada@example.com", "ada@example.com ", "ada@@example.com",
		"ada@example.com, bob@example.com", "ada@example.com (Ada)", "a\n@example.com", "ada.@example.com",
		strings.Repeat("a", 64) + "@" + strings.Repeat("b", 186) + ".com",
	} {
		t.Run("Err/"+s, func(t *testing.T) {
			if lethe.ValidEmail(s) {
				t.Errorf("ValidEmail(%q) = true", s)
			}
		})
	}
}

func TestPerson_FullName(t *testing.T) {
	cases := []struct{ first, last, want string }{
		{"Ada", "Lovelace", "Ada Lovelace"}, {"Ada", "", "Ada"}, {"", "Lovelace", "Lovelace"}, {"", "", ""},
	}
	for _, c := range cases {
		p := lethe.Person{FirstName: c.first, LastName: c.last}
		if got := p.FullName(); got != c.want {
			t.Errorf("FullName(%q, %q) = %q, want %q", c.first, c.last, got, c.want)
		}
	}
}

func TestEmail_Normalize(t *testing.T) {
	if got := lethe.NormalizeEmail("  Ada.Lovelace@Example.COM "); got != "ada.lovelace@example.com" {
		t.Errorf("NormalizeEmail = %q", got)
	}
}

func TestEmail_NFC(t *testing.T) {
	composed, decomposed := "Zo\u00e9@Example.com", "Zoe\u0301@Example.com"
	if a, b := lethe.NormalizeEmail(composed), lethe.NormalizeEmail(decomposed); a != b || a != "zo\u00e9@example.com" {
		t.Errorf("NormalizeEmail = %q and %q, want both zo\u00e9@example.com", a, b)
	}
	if got := lethe.CleanEmail(" " + decomposed + " "); got != composed {
		t.Errorf("CleanEmail = %q, want %q", got, composed)
	}
	p, l := validUser()
	f := lethe.UserFields{Email: &decomposed}
	f.Apply(p, l)
	if p.Email != composed || lethe.ValidateUser(p, l) != nil {
		t.Errorf("after Apply: %q, %v", p.Email, lethe.ValidateUser(p, l))
	}
}

func TestEmail_Invisible(t *testing.T) {
	for _, s := range []string{
		"ada\u200b@example.com", "ada\u00ad@example.com", "ada@exa\u200emple.com", "\u202eada@example.com",
		"ada\ufeff@example.com", "ada\u2060@example.com", "ada\x7f@example.com", "ada\u0085@example.com", "ada\xff@example.com",
	} {
		if lethe.ValidEmail(s) {
			t.Errorf("ValidEmail(%q) = true", s)
		}
		p, l := validUser()
		p.Email = s
		e, ok := lethe.ValidateUser(p, l).(*lethe.Error)
		if !ok || e.Code != lethe.EInvalid || len(e.Details) != 1 || e.Details[0].Field != "email" {
			t.Errorf("ValidateUser with email %q = %v", s, e)
		}
	}
	for _, s := range []string{"zo\u00e9@example.com", "ad\u00e5@b\u00fccher.example", "a@b.example"} {
		if !lethe.ValidEmail(s) {
			t.Errorf("ValidEmail(%q) = false", s)
		}
	}
}
