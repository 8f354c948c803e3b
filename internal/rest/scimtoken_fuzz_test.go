package rest

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/lethehq/lethe"
)

// FuzzDecodeSCIMTokenName: a body is a client error or a trimmed,
// printable name of 1 to lethe.MaxSCIMTokenNameLength characters.
func FuzzDecodeSCIMTokenName(f *testing.F) {
	for _, s := range []string{`{"name":"entra-prod"}`, `{"name":" okta "}`, `{}`, `{"name":""}`, `{"name":5}`,
		`{"name":"a","x":1}`, `{"name":"tab\t"}`, `[]`, `null`, ``, `{"name":"` + strings.Repeat("é", 101) + `"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		name, err := decodeSCIMTokenName(body)
		if err != nil {
			mustClientError(t, err)
			return
		}
		if name == "" || strings.TrimSpace(name) != name || utf8.RuneCountInString(name) > lethe.MaxSCIMTokenNameLength ||
			strings.IndexFunc(name, unicode.IsControl) >= 0 || !utf8.ValidString(name) {
			t.Fatalf("name %q passed", name)
		}
	})
}

// FuzzDecodeSettingsUpdate: a settings change is a client error, or one
// that lethe.SettingsUpdate.Apply accepts or refuses as a client error;
// an accepted SCIM mapping keeps within its limits.
func FuzzDecodeSettingsUpdate(f *testing.F) {
	for _, s := range []string{`{"scim":{"additionalFields":{"urn:x:a":"a"}}}`, `{"scim":{"additionalFields":{}}}`,
		`{"scim":{"additionalFields":{"a":"k","b":"k"}}}`, `{"scim":{"additionalFields":{"a":null}}}`, `{"scim":null}`,
		`{"scim":{"other":1}}`, `{"deletion":{"mode":"erase","graceDays":3}}`, `{"audits":{"dormant":null}}`, `{}`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		u, err := decodeSettingsUpdate(body)
		if err != nil {
			mustClientError(t, err)
			return
		}
		s := lethe.DefaultSettings()
		if err := u.Apply(&s); err != nil {
			mustClientError(t, err)
			return
		}
		if n := len(s.SCIM.AdditionalFields); n > lethe.MaxSCIMMappings {
			t.Fatalf("a mapping of %d attributes passed", n)
		}
		seen := map[string]bool{}
		for attr, key := range s.SCIM.AdditionalFields {
			if strings.TrimSpace(attr) == "" || strings.TrimSpace(key) == "" || seen[key] {
				t.Fatalf("mapping %v passed", s.SCIM.AdditionalFields)
			}
			seen[key] = true
		}
	})
}
