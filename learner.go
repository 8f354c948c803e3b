package lethe

import "time"

// State is the stored lifecycle state of a learner. The vendor-visible Status
// is derived from it, the end date and the first login (see StatusAt).
type State string

// Learner states.
const (
	StateActive    State = "active"    // may use the platform
	StateSuspended State = "suspended" // left or blocked; reversible
	StateDeleted   State = "deleted"   // personal data erased; irreversible
)

// Role is a user's role, as the vendor names it.
type Role string

// Roles.
const (
	RoleAdministrator Role = "administrator"
	RoleLearnerAdmin  Role = "learneradmin"
	RoleLearner       Role = "learner"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	return r == RoleAdministrator || r == RoleLearnerAdmin || r == RoleLearner
}

// LoginMethod says how a user signs in: with an email address or with the ref.
type LoginMethod string

// Login methods.
const (
	LoginEmail LoginMethod = "email"
	LoginRef   LoginMethod = "ref"
)

// Valid reports whether m is a known login method.
func (m LoginMethod) Valid() bool { return m == LoginEmail || m == LoginRef }

// Learner is the pseudonymous side of a user: everything that stays after the
// person is erased. It holds no personal data.
type Learner struct {
	ID           LearnerID
	State        State
	Role         Role
	LoginMethod  LoginMethod
	SSO          bool
	EndDate      *time.Time // employment end; the user is "expired" from then on
	FirstLoginAt *time.Time
	LastLoginAt  *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
	DeletedAt    *time.Time
	// AnonymizedAt is set when the account was anonymized: it stays
	// suspended for good, with random personal fields.
	AnonymizedAt *time.Time
}

// Equal reports whether l and m hold the same values.
func (l *Learner) Equal(m *Learner) bool {
	return l.ID == m.ID && l.State == m.State && l.Role == m.Role && l.LoginMethod == m.LoginMethod &&
		l.SSO == m.SSO && sameTime(l.EndDate, m.EndDate) && sameTime(l.FirstLoginAt, m.FirstLoginAt) &&
		sameTime(l.LastLoginAt, m.LastLoginAt) && l.CreatedAt.Equal(m.CreatedAt) && l.UpdatedAt.Equal(m.UpdatedAt) &&
		sameTime(l.DeletedAt, m.DeletedAt) && sameTime(l.AnonymizedAt, m.AnonymizedAt)
}

func sameTime(a, b *time.Time) bool { return (a == nil) == (b == nil) && (a == nil || a.Equal(*b)) }
