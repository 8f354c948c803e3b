package rest

import "net/http"

// Route is one method and path pattern of the API.
type Route struct {
	Method  string
	Pattern string
	Handler http.HandlerFunc
}

// Routes lists every authenticated route. The /rest part is the
// compatibility surface: each entry matches ../shared/spec/thrive-api.md
// (§5.1 users, §5.2 audiences, §5.3 assignments and enrolments, §5.4
// completions, §10.1 provisioning events) in method, path and response style.
func (h *Handler) Routes() []Route {
	return []Route{
		// Vendor-compatible: users (§5.1).
		{"POST", "/rest/v2/users", h.json(h.createUser)},                     // object (UserLifecycle), 201
		{"PATCH", "/rest/v2/users/ref/{ref}", h.json(h.updateUser)},          // object (UserLifecycle)
		{"PATCH", "/rest/v2/users/ref/{ref}/suspend", h.json(h.suspendUser)}, // object (UserLifecycle)
		{"DELETE", "/rest/v2/users/ref/{ref}", h.json(h.deleteUser)},         // {success: true}
		{"GET", "/rest/v1/users", h.json(h.searchUsers)},                     // paged envelope of User
		{"GET", "/rest/v1/user/{id}", h.json(h.getUser)},                     // object (User), singular "user"
		{"GET", "/rest/v1/users/ref/{ref}", h.json(h.getUserByRef)},          // object (BasicUser)
		// Vendor-compatible: audiences, members and managers (§5.2).
		{"GET", "/rest/v1/audiences", h.json(h.listAudiences)},                                 // paged envelope of Audience
		{"POST", "/rest/v1/audiences", h.json(h.createAudience)},                               // object (Audience), 201
		{"GET", "/rest/v1/audiences/{audienceId}", h.json(h.getAudience)},                      // object (Audience); id or reference
		{"PATCH", "/rest/v1/audiences/{audienceId}", h.json(h.updateAudience)},                 // object (Audience)
		{"DELETE", "/rest/v1/audiences/{audienceId}", h.json(h.deleteAudience)},                // {success: true}; 409 with children
		{"GET", "/rest/v1/audiences/{audienceId}/members", h.json(h.listMembers)},              // paged envelope of Member
		{"POST", "/rest/v1/audiences/{audienceId}/members", h.json(h.changeMembers(false))},    // {success, failure?}; 207 partial
		{"PATCH", "/rest/v1/audiences/{audienceId}/members", h.json(h.changeMembers(true))},    // {success, failure?}; 207 partial
		{"DELETE", "/rest/v1/audiences/{audienceId}/members/{user}", h.json(h.removeMember)},   // {success: true}
		{"GET", "/rest/v1/audiences/{audienceId}/managers", h.json(h.listManagers)},            // bare array of Manager
		{"POST", "/rest/v1/audiences/{audienceId}/managers", h.json(h.changeManagers(false))},  // {success, failure?}; 207 partial
		{"PATCH", "/rest/v1/audiences/{audienceId}/managers", h.json(h.changeManagers(true))},  // {success, failure?}; 207 partial
		{"DELETE", "/rest/v1/audiences/{audienceId}/managers/{user}", h.json(h.removeManager)}, // {success: true}
		// Vendor-compatible: assignments and enrolments (§5.3).
		{"GET", "/rest/v1/assignments", h.json(h.listAssignments)},                                      // bare array of Assignment
		{"POST", "/rest/v1/assignments", h.json(h.createAssignment)},                                    // object (Assignment), 201
		{"GET", "/rest/v1/assignments/{assignmentId}", h.json(h.getAssignment)},                         // object (Assignment)
		{"PATCH", "/rest/v1/assignments/{assignmentId}", h.json(h.updateAssignment)},                    // object (Assignment)
		{"DELETE", "/rest/v1/assignments/{assignmentId}", h.json(h.deleteAssignment)},                   // {success: true}; JSON body {audienceId}
		{"GET", "/rest/v1/assignments/{assignmentId}/enrolments", h.json(h.listEnrolments)},             // bare array of Enrolment
		{"GET", "/rest/v1/assignments/{assignmentId}/enrolments/{enrolmentId}", h.json(h.getEnrolment)}, // object (Enrolment)
		// Vendor-compatible: completions (§5.4).
		{"GET", "/rest/v1/learning/completions", h.json(h.listCompletions)},    // bare array of Completion
		{"GET", "/rest/v1/learning/completions/{id}", h.json(h.getCompletion)}, // object (Completion)
		{"POST", "/rest/v1/learning/completions", h.json(h.createCompletion)},  // {statementId}: 201 new, 200 existing
		// Vendor-compatible: inbound provisioning events (§10.1).
		{"POST", "/rest/v1/webhooks", h.json(h.provisioningEvent)},

		// Lethe's own extensions.
		{"POST", "/lethe/v1/users/{id}/reactivate", h.json(h.reactivateUser)},
		{"POST", "/lethe/v1/users/{id}/logins", h.json(h.recordLogin)},
		{"GET", "/lethe/v1/users/{id}/status-history", h.json(h.statusHistory)},
		{"GET", "/lethe/v1/erasures/{userId}", h.json(h.getErasure)},
	}
}
