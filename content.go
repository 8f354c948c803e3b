package lethe

import (
	"context"
	"time"
)

// Content is an item of the learning catalogue.
type Content struct {
	ID              string
	Title           string
	Description     string // may hold HTML
	Type            string // one of ContentTypes
	Tags            []string
	DurationMinutes *int
	IsOfficial      bool
	Author          LearnerID // "" when none (auto-curated)
	ArchivedAt      *time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time
	History         []ContentEvent
}

// ContentEvent is one action on a content item (contentHistory).
type ContentEvent struct {
	Action    string // created, updated, archived
	Timestamp time.Time
	ActorType string // the Actor's Source
	Actor     string // the Actor's Name: a non-personal label
}

// Content history actions.
const (
	ContentCreated  = "created"
	ContentUpdated  = "updated"
	ContentArchived = "archived"
)

// ContentTypes are the vendor's content types.
var ContentTypes = []string{"article", "assessment", "broadcast", "cmi5", "elearning", "event", "file",
	"pathway", "question", "quiz", "scorm", "url", "video", "mixed"}

// IsContentType reports whether t is one of ContentTypes.
func IsContentType(t string) bool {
	for _, c := range ContentTypes {
		if c == t {
			return true
		}
	}
	return false
}

// Content limits.
const (
	MaxContentTitle       = 500
	MaxContentDescription = 100_000
	MaxContentTags        = 100
)

// ContentFields are the writable fields of content; nil leaves a field
// unchanged. Duration is a pointer to a nullable value: a non-nil pointer
// to nil clears it.
type ContentFields struct {
	Title           *string
	Description     *string
	Type            *string
	Tags            *[]string
	DurationMinutes **int
	IsOfficial      *bool
	Author          *string // a user id; "" clears
}

// ContentFilter selects content.
type ContentFilter struct {
	Types        []string // when set, OmitTypes is ignored
	OmitTypes    []string
	UpdatedSince *time.Time
	Offset       int
	Limit        int
}

// ContentService manages the catalogue. Every method is scoped to the tenant
// of the Actor in ctx.
type ContentService interface {
	// FindContentByID answers content, archived or not. ENotFound when missing.
	FindContentByID(ctx context.Context, id string) (*Content, error)
	// FindContents returns a page of live (not archived) content ordered by
	// id, and the total.
	FindContents(ctx context.Context, f ContentFilter) ([]*Content, int, error)
	// CreateContent creates content; id "" generates one, otherwise it must be
	// a free 24-hex id (EConflict when taken), so that a catalogue can be
	// imported with its ids. Title and type are required.
	CreateContent(ctx context.Context, id string, f ContentFields) (*Content, error)
	// UpdateContent changes content. ENotFound when missing.
	UpdateContent(ctx context.Context, id string, f ContentFields) (*Content, error)
	// ArchiveContent archives content; archiving twice is a no-op.
	ArchiveContent(ctx context.Context, id string) (*Content, error)
}
