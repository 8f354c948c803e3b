package lethe

import (
	"encoding/json"
	"strings"
	"time"
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

// FullName is "First Last".
func (p *Person) FullName() string { return strings.TrimSpace(p.FirstName + " " + p.LastName) }

// NormalizeEmail gives the form in which emails are compared: case-insensitive.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }
