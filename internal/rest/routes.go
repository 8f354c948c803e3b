package rest

import "net/http"

// Route is one method and path pattern of the API.
type Route struct {
	Method  string
	Pattern string
	Handler http.HandlerFunc
}

// Routes lists every authenticated route. The /rest part is the
// compatibility surface: each entry matches the vendor's API reference
// (§5.1 users, §5.2 audiences, §5.3 assignments and enrolments, §5.4
// completions, §10.1 provisioning events) in method, path and response style.
func (h *Handler) Routes() []Route {
	routes := h.routes()
	for i := range routes {
		routes[i].Handler = h.checkParams(routes[i].Handler)
	}
	return routes
}

// routes is the route table, one line per route.
//
//lethe:long a table: one composite literal
func (h *Handler) routes() []Route {
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
		// Vendor-compatible: content (§5.5). [content and activity block]
		{"GET", "/rest/v1/contents", h.json(h.listContents)},    // paged envelope of Content
		{"GET", "/rest/v1/contents/{id}", h.json(h.getContent)}, // object (Content)
		// Vendor-compatible: activity (§5.6).
		{"GET", "/rest/v1/activities", h.json(h.listActivities)}, // paged envelope of Activity
		{"GET", "/rest/v1/activity/{id}", h.json(h.getActivity)}, // object (Activity), singular "activity"
		// Vendor-compatible: CPD (§5.7). [CPD, tags and skills block]
		{"GET", "/rest/v1/cpdCategories", h.json(h.listCPDCategories)},                                   // paged envelope
		{"GET", "/rest/v1/cpdCategories/{categoryId}", h.json(h.getCPDCategory)},                         // object
		{"GET", "/rest/v1/cpdEntries", h.json(h.listCPDEntries)},                                         // paged envelope
		{"GET", "/rest/v1/cpdEntries/{logEntryId}", h.json(h.getCPDEntry)},                               // object
		{"GET", "/rest/v1/cpdRequirementSummaries", h.json(h.listCPDRequirements)},                       // paged envelope
		{"GET", "/rest/v1/cpdRequirementSummaries/{audienceRequirementId}", h.json(h.getCPDRequirement)}, // object
		{"GET", "/rest/v1/cpdUserLogSummaries", h.json(h.listCPDUserSummaries)},                          // paged envelope
		// Vendor-compatible: tags and skills (§5.8).
		{"GET", "/rest/v1/tags", h.json(h.listTags)},                            // paged envelope of Tag
		{"GET", "/rest/v1/tags/{tagId}", h.json(h.getTag)},                      // object (Tag)
		{"POST", "/rest/v1/users/{userId}/tags", h.json(h.addUserTags)},         // {status, message}
		{"PATCH", "/rest/v1/users/{userId}/tags", h.json(h.removeUserTags)},     // {status, message}
		{"PATCH", "/rest/v1/users/{userId}/skills", h.json(h.updateUserSkills)}, // {status, message}
		{"GET", "/rest/v1/skills/levels", h.json(h.getSkillLevels)},             // bare array
		// Vendor-compatible: inbound provisioning events (§10.1).
		{"POST", "/rest/v1/webhooks", h.json(h.provisioningEvent)},

		// Lethe's own extensions.
		{"POST", "/lethe/v1/users/{id}/reactivate", h.json(h.reactivateUser)},
		{"POST", "/lethe/v1/users/{id}/logins", h.json(h.recordLogin)},
		{"GET", "/lethe/v1/users/{id}/status-history", h.json(h.statusHistory)},
		{"DELETE", "/lethe/v1/users/{id}", h.json(h.deleteUserByID)},        // ?mode=erase (default) | purge
		{"POST", "/lethe/v1/users/{id}/anonymize", h.json(h.anonymizeUser)}, // signed receipt
		{"GET", "/lethe/v1/erasures/public-key", h.json(h.getErasurePublicKey)},
		{"GET", "/lethe/v1/erasures/{userId}", h.json(h.getErasure)}, // signed receipt
		{"GET", "/lethe/v1/settings", h.json(h.getSettings)},
		// Lethe's own: bulk operations, durable jobs, dormant-account audits.
		{"POST", "/lethe/v1/users/bulk", h.json(h.bulkUsers)},                   // 200, or 207 when some users were not changed as asked
		{"POST", "/lethe/v1/jobs", h.json(h.createJob)},                         // 202 job
		{"GET", "/lethe/v1/jobs", h.json(h.listJobs)},                           // paged envelope of jobs
		{"GET", "/lethe/v1/jobs/{id}", h.json(h.getJob)},                        // job
		{"POST", "/lethe/v1/jobs/{id}/cancel", h.json(h.cancelJob)},             // job
		{"POST", "/lethe/v1/jobs/{id}/exclude", h.json(h.excludeJob)},           // job (a preview, some items excluded)
		{"GET", "/lethe/v1/jobs/{id}/results", h.jobResults},                    // CSV, one line per item
		{"POST", "/lethe/v1/audits/dormant", h.json(h.previewDormant)},          // 201 preview (a job in state preview)
		{"GET", "/lethe/v1/audits/dormant", h.json(h.listDormant)},              // paged envelope of audit reports
		{"GET", "/lethe/v1/audits/dormant/{id}", h.json(h.getDormant)},          // audit report
		{"POST", "/lethe/v1/audits/dormant/{id}/apply", h.json(h.applyDormant)}, // 202 job
		{"PATCH", "/lethe/v1/settings", h.json(h.updateSettings)},
		// Lethe's own: the tenant's SCIM tokens (SCIM itself is at /scim/v2).
		{"POST", "/lethe/v1/scim/tokens", h.json(h.createSCIMToken)},     // 201 {id, name, createdAt, token}: the secret, shown once
		{"GET", "/lethe/v1/scim/tokens", h.json(h.listSCIMTokens)},       // bare array of {id, name, createdAt, lastUsedAt}
		{"DELETE", "/lethe/v1/scim/tokens/{id}", h.revokeSCIMToken},      // 204; 404 unknown
		{"POST", "/lethe/v1/oauth/clients", h.json(h.createOAuthClient)}, // 201 {clientId, clientSecret, name, scopes, createdAt}
		{"GET", "/lethe/v1/oauth/clients", h.json(h.listOAuthClients)},   // bare array of {clientId, name, scopes, createdAt, lastUsedAt}
		{"DELETE", "/lethe/v1/oauth/clients/{id}", h.revokeOAuthClient},  // 204; 404 unknown
		// Lethe's own: outbound webhooks, their deliveries and attempts.
		{"POST", "/lethe/v1/webhooks/subscriptions", h.json(h.createSubscription)},                        // 201 subscription (never its secret)
		{"GET", "/lethe/v1/webhooks/subscriptions", h.json(h.listSubscriptions)},                          // bare array of subscriptions
		{"GET", "/lethe/v1/webhooks/subscriptions/{id}", h.json(h.getSubscription)},                       // subscription
		{"PATCH", "/lethe/v1/webhooks/subscriptions/{id}", h.json(h.updateSubscription)},                  // subscription
		{"DELETE", "/lethe/v1/webhooks/subscriptions/{id}", h.deleteSubscription},                         // 204; 404 unknown
		{"GET", "/lethe/v1/webhooks/subscriptions/{id}/deliveries", h.json(h.listSubscriptionDeliveries)}, // paged envelope of deliveries
		{"GET", "/lethe/v1/webhooks/events/{eventId}/deliveries", h.json(h.listEventDeliveries)},          // paged envelope of deliveries
		{"POST", "/lethe/v1/webhooks/events/{eventId}/redeliver", h.json(h.redeliverEvent)},               // 202 {redelivered}
		{"GET", "/lethe/v1/webhooks/deliveries/{deliveryId}/attempts", h.json(h.listAttempts)},            // bare array of attempts, oldest first
		// Lethe's own: CPD, tags and skill levels administration.
		{"POST", "/lethe/v1/cpd/categories", h.json(h.createCPDCategory)},      // {categoryId, name}, 201
		{"POST", "/lethe/v1/cpd/requirements", h.json(h.createCPDRequirement)}, // CPD requirement, 201
		{"POST", "/lethe/v1/cpd/entries", h.json(h.createCPDEntry)},            // CPD entry (isVerified false), 201
		{"POST", "/lethe/v1/tags", h.json(h.createTag)},                        // Tag, 201; 409 name taken
		{"PATCH", "/lethe/v1/tags/{tagId}", h.json(h.renameTag)},               // Tag
		{"PUT", "/lethe/v1/skills/levels", h.json(h.putSkillLevels)},           // bare array of skill levels
		// Lethe's own: content catalogue and activity ingestion.
		{"POST", "/lethe/v1/contents", h.json(h.createContent)},               // object (Content), 201
		{"PATCH", "/lethe/v1/contents/{id}", h.json(h.updateContent)},         // object (Content)
		{"POST", "/lethe/v1/contents/{id}/archive", h.json(h.archiveContent)}, // object (Content)
		{"POST", "/lethe/v1/activities", h.json(h.ingestActivities)},          // {received, stored, duplicates}
		// Lethe's own: as-of reports, JSON or CSV (?format=csv or Accept: text/csv).
		{"GET", "/lethe/v1/reports/headcount", h.report(h.headcountReport)},   // {asOf, headcount, byState}
		{"GET", "/lethe/v1/reports/compliance", h.report(h.complianceReport)}, // {from, to, audienceId, assignments}
	}
}
