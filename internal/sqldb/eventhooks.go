package sqldb

import (
	"context"

	"github.com/lethehq/lethe"
)

// The events of completions, enrolments, assignments and content. Their
// resources hold ids, dates and the content's own words, never a person's:
// the ids-only body is the body, and nothing is erased from them.

// emitIDs collects an event whose resource holds no personal data.
func (tx *Tx) emitIDs(ctx context.Context, name lethe.EventName, subject, resource string, r any) error {
	return tx.emit(ctx, name, subject, resource, r, r)
}

// emitCompletion collects content.completed for a new completion, about
// its learner.
func (tx *Tx) emitCompletion(ctx context.Context, c *lethe.Completion) error {
	return tx.emitIDs(ctx, lethe.ContentCompletedEvent, string(c.LearnerID), "completion", map[string]any{
		"id": c.ID, "userId": c.LearnerID, "contentId": c.ContentID, "completedAt": c.CompletedAt.Format(eventTime),
		"type": c.Type, "isRpl": c.IsRPL})
}

// emitEnrolment collects an enrolment event about learner.
func (tx *Tx) emitEnrolment(ctx context.Context, name lethe.EventName, id, assignment string, learner lethe.LearnerID, completionID string) error {
	r := map[string]any{"id": id, "assignmentId": assignment, "userId": learner}
	if completionID != "" {
		r["completionId"] = completionID
	}
	return tx.emitIDs(ctx, name, string(learner), "enrolment", r)
}

// emitAssignment collects an assignment event.
func (tx *Tx) emitAssignment(ctx context.Context, name lethe.EventName, a *lethe.Assignment) error {
	return tx.emitIDs(ctx, name, a.ID, "assignment", map[string]any{"id": a.ID, "audienceId": a.AudienceID,
		"contentId": a.PrimaryContentID, "alternativeContentIds": a.AlternativeContentIDs})
}

// contentEvents are the events of the content history's actions.
var contentEvents = map[string]lethe.EventName{
	lethe.ContentCreated:  lethe.ContentCreatedEvent,
	lethe.ContentUpdated:  lethe.ContentUpdatedEvent,
	lethe.ContentArchived: lethe.ContentArchivedEvent,
}
