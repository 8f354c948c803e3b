package lethe

import (
	"encoding/json"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"
)

// Person is the personal data of a learner. It lives in its own table and is
// hard-deleted when the user is erased. Nothing outside the person table may
// copy these values.
type Person struct {
	Ref              string
	Email            string // empty when the user signs in with the ref
	FirstName        string
	LastName         string
	JobTitle         string
	ManagerRef       string
	Domain           string
	TimeZone         string
	LanguageCode     string
	StartDate        *time.Time
	AdditionalFields json.RawMessage // a JSON object, or nil
}

// Equal reports whether p and q hold the same values.
func (p *Person) Equal(q *Person) bool {
	return p.Ref == q.Ref && p.Email == q.Email && p.FirstName == q.FirstName && p.LastName == q.LastName &&
		p.JobTitle == q.JobTitle && p.ManagerRef == q.ManagerRef && p.Domain == q.Domain &&
		p.TimeZone == q.TimeZone && p.LanguageCode == q.LanguageCode && sameTime(p.StartDate, q.StartDate) &&
		string(p.AdditionalFields) == string(q.AdditionalFields)
}

// FullName is "First Last".
func (p *Person) FullName() string { return strings.TrimSpace(p.FirstName + " " + p.LastName) }

// NormalizeEmail gives the form in which emails are compared:
// case-insensitive, and in Unicode NFC, so that an address typed with a
// precomposed é or with e and a combining accent is one address.
func NormalizeEmail(email string) string { return norm.NFC.String(strings.ToLower(CleanEmail(email))) }

// CleanEmail gives the form in which an email is stored: trimmed, in
// Unicode NFC, its case kept.
func CleanEmail(email string) string { return norm.NFC.String(strings.TrimSpace(email)) }
