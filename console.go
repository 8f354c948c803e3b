package lethe

import (
	"context"
	"time"
)

// The admin console (/admin) is for the people who decide a person's
// lifecycle without calling the API. They sign in with console accounts:
// per tenant, each with a role, a password kept only as an argon2id hash
// and, optionally, a TOTP second factor. A signed-in browser holds a
// session token; the store keeps only its hash. Every console action is
// in the trail with the account's id as actor (Source "console").

// SourceConsole marks changes made in the admin console.
const SourceConsole Source = "console"

// ConsoleRole is what a console account may do.
type ConsoleRole string

// Console roles: an admin does everything; an operator the lifecycle
// actions, bulk jobs and audits, not settings or credentials; a viewer
// only reads.
const (
	RoleAdmin    ConsoleRole = "admin"
	RoleOperator ConsoleRole = "operator"
	RoleViewer   ConsoleRole = "viewer"
)

// ConsoleRoles lists the roles, most powerful first.
var ConsoleRoles = []ConsoleRole{RoleAdmin, RoleOperator, RoleViewer}

// Valid reports whether r is a known role.
func (r ConsoleRole) Valid() bool {
	return r == RoleAdmin || r == RoleOperator || r == RoleViewer
}

// ConsolePermission is a kind of console action.
type ConsolePermission string

// Console permissions, checked by ConsoleRole.Allows.
const (
	PermRead      ConsolePermission = "read"      // every page
	PermLifecycle ConsolePermission = "lifecycle" // suspend, reactivate, delete, anonymize, purge, bulk jobs, audits
	PermSettings  ConsolePermission = "settings"  // deletion mode, API keys, SCIM tokens, OAuth clients, subscriptions, accounts
)

// Allows reports whether a console account of role r may do p.
func (r ConsoleRole) Allows(p ConsolePermission) bool {
	switch r {
	case RoleAdmin:
		return true
	case RoleOperator:
		return p == PermRead || p == PermLifecycle
	case RoleViewer:
		return p == PermRead
	}
	return false
}

// Console session and credential limits.
const (
	ConsoleIdleTimeout         = 30 * time.Minute // a session unused this long ends
	ConsoleSessionLifetime     = 12 * time.Hour   // a session ends this long after sign-in, used or not
	ConsoleSetPasswordLifetime = 72 * time.Hour   // a set-password link works this long, once
	MinConsolePasswordLength   = 10               // characters
	MaxConsolePasswordLength   = 256              // characters: argon2id's input stays small
)

// ConsoleAccount is a person who signs in to the console. Its email is the
// sign-in name; it is staff data, not a learner's, and is never logged.
type ConsoleAccount struct {
	ID          string // "adm_" and 24 hex digits: the trail's actor
	TenantID    TenantID
	Email       string
	Role        ConsoleRole
	HasPassword bool // false until the set-password link is used
	TOTP        bool // a second factor is enrolled
	CreatedAt   time.Time
	LastLoginAt *time.Time
}

// ConsoleSession is a signed-in browser.
type ConsoleSession struct {
	ID        string // "ses_" and 24 hex digits: names the session, never the token
	Account   ConsoleAccount
	CSRFToken string // every form of the session carries it
	CreatedAt time.Time
	SeenAt    time.Time
	ExpiresAt time.Time // the absolute end: CreatedAt + ConsoleSessionLifetime
}

// ConsoleActor is the actor of a console session's requests.
func (s *ConsoleSession) ConsoleActor() Actor {
	return Actor{TenantID: s.Account.TenantID, Source: SourceConsole, Name: s.Account.ID}
}

// ConsoleService manages console accounts and their sessions.
type ConsoleService interface {
	// CreateConsoleAccount makes an account in the actor's tenant and
	// returns it with a one-time set-password token, valid for
	// ConsoleSetPasswordLifetime. EInvalid naming "email" or "role";
	// EConflict naming "email" when the tenant has an account with it.
	CreateConsoleAccount(ctx context.Context, email string, role ConsoleRole) (*ConsoleAccount, string, error)
	// FindConsoleAccounts lists the actor's tenant's accounts, oldest first.
	FindConsoleAccounts(ctx context.Context) ([]*ConsoleAccount, error)
	// SetConsolePassword uses a set-password token (it names the tenant
	// and account; no actor is needed) and ends the account's sessions.
	// EUnauthenticated for an unknown, used or expired token; EInvalid
	// naming "password" when it is too short or too long.
	SetConsolePassword(ctx context.Context, token, password string) (*ConsoleAccount, error)
	// ConsoleSignIn checks an account's email and password (and TOTP code,
	// when enrolled) in tenant and starts a session, returning its token.
	// EUnauthenticated, with the same message whatever was wrong.
	ConsoleSignIn(ctx context.Context, tenant TenantID, email, password, code string) (string, *ConsoleSession, error)
	// ConsoleSession returns the live session of token and marks it seen.
	// EUnauthenticated when the token is unknown, or the session idled
	// past ConsoleIdleTimeout or outlived ConsoleSessionLifetime.
	ConsoleSession(ctx context.Context, token string) (*ConsoleSession, error)
	// ConsoleSignOut ends the session of token, or with everywhere every
	// session of its account. Signing out an ended session is no error.
	ConsoleSignOut(ctx context.Context, token string, everywhere bool) error
	// StartConsoleTOTP makes a new TOTP secret (RFC 6238: SHA-1, 6
	// digits, 30 s) for the account of the session token, not yet in force,
	// and returns it in base32 with its otpauth:// URL.
	StartConsoleTOTP(ctx context.Context, token string) (secret, url string, err error)
	// ConfirmConsoleTOTP puts the started secret in force when code is
	// right for it (a step either side is accepted; a code once used is
	// refused). EInvalid naming "code" otherwise.
	ConfirmConsoleTOTP(ctx context.Context, token, code string) error
}
