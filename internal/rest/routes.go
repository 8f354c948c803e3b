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
// (§5.1 users, §10.1 provisioning events) in method, path and response style.
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
		// Vendor-compatible: inbound provisioning events (§10.1).
		{"POST", "/rest/v1/webhooks", h.json(h.provisioningEvent)},

		// Lethe's own extensions.
		{"POST", "/lethe/v1/users/{id}/reactivate", h.json(h.reactivateUser)},
		{"POST", "/lethe/v1/users/{id}/logins", h.json(h.recordLogin)},
		{"GET", "/lethe/v1/users/{id}/status-history", h.json(h.statusHistory)},
		{"GET", "/lethe/v1/erasures/{userId}", h.json(h.getErasure)},
	}
}
