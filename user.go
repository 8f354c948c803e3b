package lethe

import (
	"bytes"
	"context"
	"encoding/json"
	"net/mail"
	"strings"
	"time"
	_ "time/tzdata" // time zones validate the same on hosts without a zoneinfo database
	"unicode"
	"unicode/utf8"
)

// User is a learner together with its person: what the user endpoints read
// and write. Person is nil once the user is erased.
type User struct {
	Learner
	Person  *Person
	Manager *Manager // the user named by Person.ManagerRef, when it exists
}

// Manager is the resolved manager of a user.
type Manager struct {
	ID   LearnerID
	Ref  string
	Name string
}

// UserLinks is what the full user resource shows of a user beyond its own
// record: the audiences it is a member of, its skills and the tags it
// follows (its interests). They describe the person and go with it, so an
// erased user has none (ADR 0025).
type UserLinks struct {
	Audiences []string    // audience ids, ordered by id
	Skills    []UserSkill // ordered by tag name, ignoring case
	Interests []string    // tag names, ordered ignoring case
}

// UserSkill is a learner's level and target level in one skill (a tag); a
// nil level was never given, -1 means "not assessed".
type UserSkill struct {
	TagID       string
	TagName     string
	Level       *int
	TargetLevel *int
}

// Deleted reports whether the user has been erased.
func (u *User) Deleted() bool { return u.State == StateDeleted }

// UserKey selects one user by id or by ref; exactly one is set.
type UserKey struct {
	ID  LearnerID
	Ref string
}

// ByID selects a user by learner id.
func ByID(id LearnerID) UserKey { return UserKey{ID: id} }

// ByRef selects a user by ref. Erased users have no ref.
func ByRef(ref string) UserKey { return UserKey{Ref: ref} }

// UserFields is a set of changes to a user. A nil field means "not given".
// For the optional text fields an empty string clears the value; for role and
// login method an empty string counts as not given (integrations send the
// empty strings of unset form fields). A zero time clears a date.
// AdditionalFields replaces the whole object; JSON null clears it.
type UserFields struct {
	FirstName        *string
	LastName         *string
	Email            *string
	LoginMethod      *LoginMethod
	Role             *Role
	JobTitle         *string
	ManagerRef       *string
	Domain           *string
	TimeZone         *string
	LanguageCode     *string
	StartDate        *time.Time
	EndDate          *time.Time
	SSO              *bool
	AdditionalFields json.RawMessage
	// NullEmail says an update sent email as null (Email is then nil): it
	// clears the email where none is required (the login method after the
	// change is ref) and is not given otherwise (ADR 0025).
	NullEmail bool
}

// Apply writes the given fields onto p and l.
func (f *UserFields) Apply(p *Person, l *Learner) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = strings.TrimSpace(*src)
		}
	}
	set(&p.FirstName, f.FirstName)
	set(&p.LastName, f.LastName)
	if f.Email != nil {
		p.Email = CleanEmail(*f.Email)
	}
	set(&p.JobTitle, f.JobTitle)
	set(&p.ManagerRef, f.ManagerRef)
	set(&p.Domain, f.Domain)
	set(&p.TimeZone, f.TimeZone)
	if f.LanguageCode != nil {
		p.LanguageCode = strings.ToLower(strings.TrimSpace(*f.LanguageCode))
	}
	if f.LoginMethod != nil && *f.LoginMethod != "" {
		l.LoginMethod = *f.LoginMethod
	}
	if f.Role != nil && *f.Role != "" {
		l.Role = *f.Role
	}
	if f.Email == nil && f.NullEmail && l.LoginMethod == LoginRef {
		p.Email = ""
	}
	if f.StartDate != nil {
		p.StartDate = dateOrNil(*f.StartDate)
	}
	if f.EndDate != nil {
		l.EndDate = dateOrNil(*f.EndDate)
	}
	if f.SSO != nil {
		l.SSO = *f.SSO
	}
	if f.AdditionalFields != nil {
		if bytes.Equal(bytes.TrimSpace(f.AdditionalFields), []byte("null")) {
			p.AdditionalFields = nil
		} else {
			p.AdditionalFields = f.AdditionalFields
		}
	}
}

func dateOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// Field limits.
const (
	MaxRefLength   = 255
	MaxTextLength  = 255
	MaxEmailLength = 254
)

// ValidateUser checks the invariants of a user as it would be stored. It
// reports every broken rule; the message names the first. Messages never
// contain the offending value.
func ValidateUser(p *Person, l *Learner) error { return ValidateUserChange(p, l, nil) }

// ValidateUserChange is ValidateUser for a change of a stored user whose
// person was before: a ref or email the change leaves as stored is not
// checked again. An earlier version accepted some that today's rules
// refuse (a ref of . or .., an email with an invisible character), and a
// change that does not touch them must not be refused for them.
func ValidateUserChange(p *Person, l *Learner, before *Person) error {
	refKept := before != nil && before.Ref == p.Ref
	emailKept := before != nil && before.Email == p.Email
	var errs []FieldError
	var first string
	add := func(field, problem, msg string) {
		if first == "" {
			first = msg
		}
		errs = append(errs, FieldError{Field: field, Problem: problem})
	}
	text := func(field, v string, required bool, max int) {
		switch {
		case v == "" && required:
			add(field, "required", field+" is required")
		case utf8.RuneCountInString(v) > max:
			add(field, "too_long", field+" must be at most "+itoa(max)+" characters")
		case !printable(v):
			add(field, "invalid", field+" must not contain control characters")
		}
	}
	if !refKept {
		text("ref", p.Ref, true, MaxRefLength)
		if DotSegment(p.Ref) {
			add("ref", "invalid", "ref must not be . or ..")
		}
	}
	text("firstName", p.FirstName, true, MaxTextLength)
	text("lastName", p.LastName, true, MaxTextLength)
	text("jobTitle", p.JobTitle, false, MaxTextLength)
	text("managerRef", p.ManagerRef, false, MaxRefLength)
	text("domain", p.Domain, false, MaxTextLength)
	if p.ManagerRef != "" && p.ManagerRef == p.Ref {
		add("managerRef", "invalid", "managerRef must not be the user's own ref")
	}
	if !l.LoginMethod.Valid() {
		add("loginMethod", "invalid", "loginMethod must be 'email' or 'ref'")
	}
	if !l.Role.Valid() {
		add("role", "invalid", "role must be 'administrator', 'learneradmin' or 'learner'")
	}
	switch {
	case p.Email == "" && l.LoginMethod != LoginRef:
		add("email", "required", "email is required unless loginMethod is 'ref'")
	case p.Email != "" && !emailKept && !ValidEmail(p.Email):
		add("email", "invalid", "email must be a valid email address")
	}
	if p.TimeZone != "" && !validTimeZone(p.TimeZone) {
		add("timeZone", "invalid", "timeZone must be an IANA time zone such as Europe/London")
	}
	if p.LanguageCode != "" && !validLanguageCode(p.LanguageCode) {
		add("languageCode", "invalid", "languageCode must be a language tag such as en-gb")
	}
	if p.StartDate != nil && l.EndDate != nil && l.EndDate.Before(*p.StartDate) {
		add("endDate", "invalid", "endDate must not be before startDate")
	}
	if len(p.AdditionalFields) > 0 {
		var obj map[string]json.RawMessage
		if json.Unmarshal(p.AdditionalFields, &obj) != nil || obj == nil {
			add("additionalFields", "invalid", "additionalFields must be a JSON object")
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return &Error{Code: EInvalid, Message: first, Details: errs}
}

// ValidEmail reports whether s is a plain address such as a@b.example. An
// address with a control or an invisible (format) character, such as a
// zero-width space, a soft hyphen or a bidirectional mark, is refused: it
// would look like another address.
func ValidEmail(s string) bool {
	if len(s) > MaxEmailLength || strings.ContainsAny(s, " <>\"") || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.In(r, unicode.Cc, unicode.Cf) {
			return false
		}
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	return at > 0 && at < len(s)-1
}

func validTimeZone(s string) bool {
	if s == "UTC" {
		return true
	}
	// "Local" loads as the server's own zone, which is not an IANA name.
	if s == "Local" || len(s) > 64 || strings.Contains(s, "..") || strings.HasPrefix(s, "/") {
		return false
	}
	_, err := time.LoadLocation(s)
	return err == nil
}

// validLanguageCode accepts BCP 47-like tags: a 2-3 letter language and
// optional 2-8 character alphanumeric subtags, e.g. "en", "en-gb", "zh-hant-tw".
func validLanguageCode(s string) bool {
	parts := strings.Split(s, "-")
	if n := len(parts[0]); n < 2 || n > 3 || !isAlpha(parts[0]) {
		return false
	}
	for _, p := range parts[1:] {
		if len(p) < 1 || len(p) > 8 || !isAlnum(p) {
			return false
		}
	}
	return len(s) <= 35
}

func isAlpha(s string) bool {
	for _, r := range s {
		if r < 'a' || r > 'z' {
			return false
		}
	}
	return true
}

func isAlnum(s string) bool {
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// DotSegment reports whether s is "." or "..": a path segment that URL
// clients resolve away, so an identifier that goes into a path must not be
// one (refs, audience references).
func DotSegment(s string) bool {
	s = strings.TrimSpace(s)
	return s == "." || s == ".."
}

func printable(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return false
		}
	}
	return true
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// UserFilter selects users for search. Statuses nil means every status; an
// empty non-nil slice matches nothing.
type UserFilter struct {
	Statuses     []Status
	UpdatedSince *time.Time
	Offset       int
	Limit        int
}

// UserService is the user lifecycle. Every method is scoped to the tenant of
// the Actor in ctx.
type UserService interface {
	// CreateUser creates a user. EConflict when the ref or the email (compared
	// case-insensitively) is taken by an undeleted user; EInvalid on a broken rule.
	CreateUser(ctx context.Context, ref string, f UserFields) (*User, error)
	// UpdateUser changes the given fields. ENotFound, EConflict, EInvalid.
	UpdateUser(ctx context.Context, key UserKey, f UserFields) (*User, error)
	// SuspendUser makes the user inactive, optionally setting an end date.
	// Suspending a suspended user only updates the end date.
	SuspendUser(ctx context.Context, key UserKey, endDate *time.Time) (*User, error)
	// ReactivateUser undoes a suspension and applies f (the end date is cleared
	// unless f sets one). The user keeps every record. EConflict when deleted.
	ReactivateUser(ctx context.Context, key UserKey, f UserFields) (*User, error)
	// EraseUser erases the user's personal data now and keeps the learning
	// records, in one transaction. The ref is free for a new, unlinked user.
	// EConflict when the tenant's deletion mode is restricted and the user
	// has history.
	EraseUser(ctx context.Context, key UserKey) (*Erasure, error)
	// DeleteUser is the vendor's delete, following the tenant's deletion
	// policy: it erases now, or suspends and schedules the erasure for the
	// end of the grace period, or (restricted mode, user with history)
	// refuses with EConflict. Deleting an erased user again, by id or by a
	// ref erased within the tombstone window, changes nothing.
	DeleteUser(ctx context.Context, key UserKey) (*Deletion, error)
	// AnonymizeUser keeps the account, suspended for good, with random
	// personal fields, and erases everything else as EraseUser does.
	AnonymizeUser(ctx context.Context, key UserKey) (*Erasure, error)
	// PurgeUser removes an account that was never used, and everything
	// about it. EConflict, saying why, when it has history.
	PurgeUser(ctx context.Context, key UserKey) error
	// PreviewErasure answers what action (ActionDelete, ActionAnonymize or
	// ActionPurge) would do to the user now, changing nothing: the
	// deletion it would make, with the erasure it would write (what would
	// be erased and what kept, by kind, from the personal-data registry),
	// or the error the action would return (EConflict saying why).
	PreviewErasure(ctx context.Context, key UserKey, action BulkAction) (*Deletion, error)
	// RecordLogin notes a sign-in: the first one turns a "new" user "active".
	RecordLogin(ctx context.Context, key UserKey) (*User, error)
	// FindUser returns one user; an erased user is found by id only.
	FindUser(ctx context.Context, key UserKey) (*User, error)
	// FindUserByEmail returns the user with email, compared as
	// NormalizeEmail does. ENotFound when none has it.
	FindUserByEmail(ctx context.Context, email string) (*User, error)
	// FindUsers returns a page of users ordered by id, and the total count.
	FindUsers(ctx context.Context, filter UserFilter) ([]*User, int, error)
	// FindUserLinks returns the links of the given users (a page of them)
	// in a constant number of statements, whatever their number. A user with
	// no link, or an id that names no user, has no entry.
	FindUserLinks(ctx context.Context, ids []LearnerID) (map[LearnerID]*UserLinks, error)
	// FindStatusHistory returns the user's status changes, oldest first.
	FindStatusHistory(ctx context.Context, id LearnerID) ([]*StatusChange, error)
	// FindErasures returns a page of the tenant's erasures and
	// anonymizations, newest first, without their counts or check; more
	// says whether another page follows.
	FindErasures(ctx context.Context, offset, limit int) (erasures []*Erasure, more bool, err error)
	// FindErasure returns the erasure record of an erased or anonymized
	// user, with its verification run now.
	FindErasure(ctx context.Context, id LearnerID) (*Erasure, error)
	// RunDueErasures erases the users whose grace period has ended, each in
	// its own transaction that checks again that the erasure still stands,
	// and drops expired tombstones. It returns how many it erased.
	RunDueErasures(ctx context.Context) (int, error)
}
