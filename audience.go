package lethe

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// AudienceCategory says whether an audience is a structure (a grouping that
// holds audiences) or an audience (a group of people under a structure).
type AudienceCategory string

// Audience categories.
const (
	CategoryStructure AudienceCategory = "structure"
	CategoryAudience  AudienceCategory = "audience"
)

// Valid reports whether c is a known category.
func (c AudienceCategory) Valid() bool { return c == CategoryStructure || c == CategoryAudience }

// AudienceTypeManual is the type of every audience created through the API:
// its members are listed, not computed by rules.
const AudienceTypeManual = "manual"

// Audience is a structure or an audience. It holds no personal data: members
// and managers are learner ids.
type Audience struct {
	ID            string
	Reference     string // optional, unique per tenant
	Name          string
	Category      AudienceCategory
	Type          string
	APIControlled bool
	Parent        *AudienceParent
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// AudienceParent names the parent of an audience.
type AudienceParent struct {
	ID        string
	Name      string
	Reference string
}

// AudienceFields is a set of changes to an audience; nil means "not given".
// ParentID names the parent by id or reference; "" moves a structure to the
// top level. Category is read on create only.
type AudienceFields struct {
	Name      *string
	Reference *string
	ParentID  *string
	Category  *AudienceCategory
}

// Audience limits.
const (
	MaxAudienceNameLength = 100
	MaxAudienceRefLength  = 100
	MaxMembersPerRequest  = 100
)

// ValidateAudience checks the stored invariants of an audience other than
// those about its parent, which need the store.
func ValidateAudience(a *Audience) error {
	switch {
	case strings.TrimSpace(a.Name) == "":
		return FieldErrorf(EInvalid, "name", "required", "name is required")
	case utf8.RuneCountInString(a.Name) > MaxAudienceNameLength:
		return FieldErrorf(EInvalid, "name", "too_long", "name must be at most %d characters", MaxAudienceNameLength)
	case !printable(a.Name):
		return FieldErrorf(EInvalid, "name", "invalid", "name must not contain control characters")
	case utf8.RuneCountInString(a.Reference) > MaxAudienceRefLength:
		return FieldErrorf(EInvalid, "reference", "too_long", "reference must be at most %d characters", MaxAudienceRefLength)
	case !printable(a.Reference):
		return FieldErrorf(EInvalid, "reference", "invalid", "reference must not contain control characters")
	case DotSegment(a.Reference):
		return FieldErrorf(EInvalid, "reference", "invalid", "reference must not be . or ..")
	case !a.Category.Valid():
		return FieldErrorf(EInvalid, "category", "invalid", "category must be 'audience' or 'structure'")
	case a.Category == CategoryAudience && a.Parent == nil:
		return FieldErrorf(EInvalid, "parentId", "required", "an audience must have a parent structure: parentId is required")
	}
	return nil
}

// AudienceFilter selects audiences for listing.
type AudienceFilter struct {
	APIControlled *bool
	UpdatedSince  *time.Time
	Offset        int
	Limit         int
}

// Member is a member of an audience. Reference and Email come from the
// person and are empty for nobody: erased learners are no longer members.
type Member struct {
	UserID    LearnerID
	Reference string
	Email     string
}

// MemberFilter selects a page of an audience's members.
type MemberFilter struct {
	Audience string // id or reference
	Offset   int
	Limit    int
}

// ManagerPermissions are the rights of an audience manager. Administrator
// is allowed on structures only.
type ManagerPermissions struct {
	AudienceManager struct {
		ManageContent bool `json:"manageContent"`
		Assignments   bool `json:"assignments"`
	} `json:"audienceManager"`
	PeopleManager struct {
		CanViewLearnPage bool `json:"canViewLearnPage"`
		Insights         bool `json:"insights"`
		Manage           bool `json:"manage"`
	} `json:"peopleManager"`
	Administrator *struct {
		CanAddAudienceManagers bool `json:"canAddAudienceManagers"`
	} `json:"administrator,omitempty"`
}

// AudienceManager is a manager of an audience.
type AudienceManager struct {
	Member
	Permissions ManagerPermissions
}

// ManagerGrant asks for a user (by email, ref or id) to manage an audience.
type ManagerGrant struct {
	Reference   string
	Permissions ManagerPermissions
}

// Reasons why a user could not be added as a member or manager.
const (
	FailUnknownUser = "unknown user"
	FailSuspended   = "suspended"
	FailDeleted     = "deleted"
	FailDuplicate   = "duplicate"
)

// MemberFailure is one user that could not be added, named as given.
type MemberFailure struct {
	Reference string
	Reason    string
}

// MembersResult is the outcome of adding or replacing members or managers:
// the references as given, split into those that are now in and those that
// are not.
type MembersResult struct {
	Added  []string
	Failed []MemberFailure
}

// AudienceService manages audiences, their members and their managers. Every
// method is scoped to the tenant of the Actor in ctx. An audience is named
// by id or reference: a 24-hex value is tried as an id first.
type AudienceService interface {
	FindAudienceByID(ctx context.Context, audience string) (*Audience, error)
	// FindAudiences returns a page ordered by id, and the total count.
	FindAudiences(ctx context.Context, f AudienceFilter) ([]*Audience, int, error)
	// CreateAudience creates an API-controlled manual audience. EInvalid
	// when the parent is missing or not a structure; EConflict when the
	// reference is taken.
	CreateAudience(ctx context.Context, f AudienceFields) (*Audience, error)
	// UpdateAudience renames or moves an audience; a move may not create a
	// cycle (EInvalid).
	UpdateAudience(ctx context.Context, audience string, f AudienceFields) (*Audience, error)
	// DeleteAudience deletes an audience without children (EConflict
	// otherwise), its memberships and manager roles, and archives its
	// assignments; enrolments and completions stay.
	DeleteAudience(ctx context.Context, audience string) error

	// FindMembers returns a page of members ordered by learner id, and the total.
	FindMembers(ctx context.Context, f MemberFilter) ([]*Member, int, error)
	// AddMembers adds users named by email, ref or id (1-100), and enrols
	// them in the audience's assignments, in one transaction.
	AddMembers(ctx context.Context, audience string, users []string) (*MembersResult, error)
	// ReplaceMembers makes the members exactly the users that can be added.
	ReplaceMembers(ctx context.Context, audience string, users []string) (*MembersResult, error)
	// RemoveMember removes one member; ENotFound when not a member.
	RemoveMember(ctx context.Context, audience, user string) error

	// FindManagers returns every manager, ordered by learner id.
	FindManagers(ctx context.Context, audience string) ([]*AudienceManager, error)
	AddManagers(ctx context.Context, audience string, grants []ManagerGrant) (*MembersResult, error)
	ReplaceManagers(ctx context.Context, audience string, grants []ManagerGrant) (*MembersResult, error)
	RemoveManager(ctx context.Context, audience, user string) error
}
