package lethe

import (
	"context"
	"time"
)

// Tag is a topic that content, learners' interests and skills refer to.
// Names are unique in a tenant, ignoring case.
type Tag struct {
	ID         string
	Name       string
	ContentIDs []string    // live (not archived) content tagged with it
	Interests  []LearnerID // learners who added it as an interest
	Skills     []LearnerID // learners who hold it as a skill
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// SkillLevel is one level of the tenant's skill scale.
type SkillLevel struct {
	Name    string
	Enabled bool
	Value   int
}

// SkillUpdate sets a learner's level and target level in one skill (a tag).
// A nil level leaves the stored one; -1 means "not assessed".
type SkillUpdate struct {
	TagName     string
	Level       *int
	TargetLevel *int
}

// MaxTagsPerRequest is how many tag names or skills one learner request may name.
const MaxTagsPerRequest = 100

// MinSkillLevel is the lowest level a skill may have.
const MinSkillLevel = -1

// TagFilter selects tags.
type TagFilter struct {
	UpdatedSince *time.Time
	Offset       int
	Limit        int
}

// TagService manages tags, learners' tags and skills, and the skill scale.
// Every method is scoped to the tenant of the Actor in ctx. The learner
// methods return ENotFound for an unknown learner, EConflict for an erased
// one, and EInvalid (field "tags" or "value") naming unknown tags.
type TagService interface {
	FindTagByID(ctx context.Context, id string) (*Tag, error)
	// FindTags returns a page ordered by id, and the total.
	FindTags(ctx context.Context, f TagFilter) ([]*Tag, int, error)
	// CreateTag adds a tag; EConflict when the name is taken.
	CreateTag(ctx context.Context, name string) (*Tag, error)
	// RenameTag renames a tag; EConflict when the name is taken.
	RenameTag(ctx context.Context, id, name string) (*Tag, error)
	// AddLearnerTags adds existing tags to a learner's interests and
	// returns how many were added (tags already held count).
	AddLearnerTags(ctx context.Context, learner LearnerID, names []string) (int, error)
	// RemoveLearnerTags removes tags from a learner's interests and
	// returns how many were named.
	RemoveLearnerTags(ctx context.Context, learner LearnerID, names []string) (int, error)
	// UpdateSkills sets a learner's skills and returns how many were updated.
	UpdateSkills(ctx context.Context, learner LearnerID, skills []SkillUpdate) (int, error)
	// FindSkillLevels returns the skill scale ordered by value.
	FindSkillLevels(ctx context.Context) ([]SkillLevel, error)
	// ReplaceSkillLevels replaces the whole skill scale.
	ReplaceSkillLevels(ctx context.Context, levels []SkillLevel) ([]SkillLevel, error)
}
