package lethe

import (
	"context"
	"time"
)

// SCIM 2.0 (RFC 7643/7644) is how an organisation's identity provider
// (Okta, Entra ID) provisions people. It is a second surface over the same
// user lifecycle: a SCIM user is a user, a SCIM group is an audience, and
// a SCIM DELETE is the vendor's delete (UserService.DeleteUser). What SCIM
// adds is kept here: the identity provider's external ids, its groups, the
// tokens it signs in with, and queries in its filter language. The
// protocol itself (JSON, PATCH, discovery) lives in internal/scim.

// SCIMUser is a user as SCIM shows it. ExternalID is the identity
// provider's own id of the person: personal data, erased with them.
type SCIMUser struct {
	*User
	ExternalID string
}

// SCIMGroup is a SCIM group: an audience created through SCIM. Its
// externalId is the audience's reference. Members are learner ids, ordered;
// nil when the caller did not ask for them.
type SCIMGroup struct {
	*Audience
	Members []LearnerID
}

// SCIMUserEdit is a whole change of one user decided by SCIM: the fields to
// write, whether the user is to be active (false suspends, true
// reactivates with the whole history), its external id and its ref. Nil
// means unchanged.
type SCIMUserEdit struct {
	Fields     UserFields
	Active     *bool
	ExternalID *string
	// Ref renames the user (a new userName: identity providers rename
	// people whose sign-in name changes). The user's reports follow: their
	// managerRef becomes the new ref.
	Ref *string
}

// SCIMGroupEdit is a whole change of one group. Members, when set, is the
// complete new member list: members it leaves out are removed, new ones
// are added (and enrolled) as the vendor API's member writes do.
type SCIMGroupEdit struct {
	Name       *string
	ExternalID *string
	Members    *[]LearnerID
}

// SCIMFilter is a parsed SCIM filter over a fixed set of attributes. A
// leaf has Attr, Op and (but for "pr") Value; "and" and "or" have Left and
// Right; "not" has Left.
//
// Attributes of users: id, userName, externalId, emails.value,
// name.givenName, name.familyName, displayName, title, active,
// meta.created, meta.lastModified. Of groups: id, displayName,
// externalId, members.value, meta.created, meta.lastModified.
//
// Values are strings, but for active (a bool) and the meta dates
// (time.Time). Text comparisons ignore case, as SCIM's caseExact=false
// attributes want; id, externalId and members.value (caseExact=true)
// compare exactly.
type SCIMFilter struct {
	Op    string // eq ne co sw ew pr gt ge lt le, or and or not
	Attr  string
	Value any
	Left  *SCIMFilter
	Right *SCIMFilter
}

// SCIM filter operators.
const (
	SCIMEq  = "eq"
	SCIMNe  = "ne"
	SCIMCo  = "co"
	SCIMSw  = "sw"
	SCIMEw  = "ew"
	SCIMPr  = "pr"
	SCIMGt  = "gt"
	SCIMGe  = "ge"
	SCIMLt  = "lt"
	SCIMLe  = "le"
	SCIMAnd = "and"
	SCIMOr  = "or"
	SCIMNot = "not"
)

// SCIMQuery selects a page of SCIM users or groups. SortBy is one of the
// filter attributes, or "" for id order. Offset is 0-based (SCIM's
// startIndex minus one).
type SCIMQuery struct {
	Filter     *SCIMFilter
	SortBy     string
	Descending bool
	Offset     int
	Limit      int
	// Members asks for the members of each group.
	Members bool
}

// SCIMService is what the SCIM surface needs beyond the user and audience
// services. Every method is scoped to the tenant of the Actor in ctx.
//
// A user that is erased, or whose erasure is scheduled (a DELETE under a
// grace period), is gone for SCIM: ENotFound by id, in no list, and its
// userName is taken only until the erasure runs.
type SCIMService interface {
	// FindSCIMUsers returns a page of users matching q, and the total
	// count, in a constant number of statements (the filter is SQL).
	FindSCIMUsers(ctx context.Context, q SCIMQuery) ([]*SCIMUser, int, error)
	// FindSCIMUser returns one user by id.
	FindSCIMUser(ctx context.Context, id LearnerID) (*SCIMUser, error)
	// CreateSCIMUser creates a user with the given external id, active or
	// (a person provisioned before they start) suspended, in one
	// transaction. Beyond CreateUser's rules, the ref is unique ignoring
	// case (SCIM userName is caseExact=false): EConflict naming "ref" when
	// another user holds it in any case.
	CreateSCIMUser(ctx context.Context, ref string, f UserFields, externalID string, active bool) (*SCIMUser, error)
	// EditSCIMUser reads the user, locked for the transaction, and calls
	// edit with it; what edit returns is applied in that transaction, so
	// concurrent edits of one user serialise and a change is applied whole
	// or not at all. An error from edit is returned as is and changes
	// nothing. A ref changed by the edit is checked as CreateSCIMUser
	// checks it.
	EditSCIMUser(ctx context.Context, id LearnerID, edit func(*SCIMUser) (*SCIMUserEdit, error)) (*SCIMUser, error)
	// DeleteSCIMUser is UserService.DeleteUser for a user SCIM sees, with
	// check called on the user read locked in the deleting transaction
	// (If-Match): an error from check is returned as is and deletes
	// nothing.
	DeleteSCIMUser(ctx context.Context, id LearnerID, check func(*SCIMUser) error) (*Deletion, error)

	// FindSCIMGroups returns a page of groups matching q, and the total.
	FindSCIMGroups(ctx context.Context, q SCIMQuery) ([]*SCIMGroup, int, error)
	// FindSCIMGroup returns one group, with its members when asked.
	FindSCIMGroup(ctx context.Context, id string, members bool) (*SCIMGroup, error)
	// CreateSCIMGroup creates an API-controlled audience owned by SCIM,
	// with its members. EConflict when the external id (the reference) is
	// taken.
	CreateSCIMGroup(ctx context.Context, name, externalID string, members []LearnerID) (*SCIMGroup, error)
	// EditSCIMGroup is EditSCIMUser for a group; edit sees the members.
	EditSCIMGroup(ctx context.Context, id string, edit func(*SCIMGroup) (*SCIMGroupEdit, error)) (*SCIMGroup, error)
	// DeleteSCIMGroup deletes the audience; its members' records stay.
	DeleteSCIMGroup(ctx context.Context, id string) error
}

// SCIMToken is a long-lived bearer token an identity provider signs in
// with. Only a keyed hash of the secret is stored.
type SCIMToken struct {
	ID         string
	TenantID   TenantID
	Name       string // a label such as "entra-prod"; not personal data
	CreatedAt  time.Time
	LastUsedAt *time.Time
}

// MaxSCIMTokenNameLength bounds a token's label.
const MaxSCIMTokenNameLength = 100

// SCIMTokenService manages SCIM tokens. Create, find and revoke are scoped
// to the Actor's tenant; Authenticate finds the tenant from the token.
type SCIMTokenService interface {
	// CreateSCIMToken creates a token and returns it with its secret,
	// shown once.
	CreateSCIMToken(ctx context.Context, name string) (*SCIMToken, string, error)
	// FindSCIMTokens lists the tenant's tokens, oldest first, without
	// secrets.
	FindSCIMTokens(ctx context.Context) ([]*SCIMToken, error)
	// RevokeSCIMToken deletes a token: it is refused from then on, by every
	// process (tokens are checked against the database on each request).
	// ENotFound when the tenant has no such token.
	RevokeSCIMToken(ctx context.Context, id string) error
	// AuthenticateSCIM checks a bearer token in constant time.
	// EUnauthenticated when no live token matches.
	AuthenticateSCIM(ctx context.Context, secret string) (*SCIMToken, error)
}

// SCIMSettings are a tenant's SCIM mapping: which SCIM attributes go to
// which key of a user's additionalFields. Keys are SCIM attribute paths
// (the enterprise extension's "urn:…:enterprise:2.0:User:department", or
// any other attribute the identity provider sends); values are
// additionalFields keys.
type SCIMSettings struct {
	AdditionalFields map[string]string `json:"additionalFields"`
}

// SCIMEnterpriseSchema is the URN of the enterprise user extension.
const SCIMEnterpriseSchema = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

// DefaultSCIMAdditionalFields is the mapping a tenant starts with: the
// enterprise extension's attributes that Lethe has no column for, each to
// the additionalFields key of its own name.
func DefaultSCIMAdditionalFields() map[string]string {
	m := map[string]string{}
	for _, a := range []string{"employeeNumber", "costCenter", "organization", "division", "department"} {
		m[SCIMEnterpriseSchema+":"+a] = a
	}
	return m
}
