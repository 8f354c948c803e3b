// Package client is the Go SDK of Lethe's REST API.
//
// Lethe's /rest surface is wire-compatible with the Thrive Learning public
// API, so this package also speaks to that API where the two overlap; the
// /lethe/v1 extensions (reactivation, sign-ins, status history, erasure
// records) exist only on Lethe.
//
// The package imports only the standard library and has its own wire types:
// it does not depend on the server's packages.
//
// # Authentication
//
// Every request carries HTTP Basic credentials: the tenant id as user name and
// the tenant's API key as password.
//
// # Users are addressed two ways
//
// Vendor-compatible writes (update, suspend, delete) and GetUserByRef take the
// user's ref, the customer's own identifier; reads by id and the Lethe
// extensions take the 24-hex-character id that Lethe assigns. Refs may contain
// any character, including "/" and "@": they are escaped as one path segment.
//
// # Deletion is erasure
//
// DeleteUser erases the person (names, email, ref and every other personal
// field) and keeps the pseudonymous learner with its learning records and
// status history. Afterwards the ref is free: creating a user with it makes a
// new, unlinked user with a new id. GetUser still answers for the old id,
// with Deleted set and every personal field empty.
//
// # Webhooks
//
// Verify and VerifyRequest check a delivery of Lethe's webhooks before a
// receiver trusts it: the Standard Webhooks signature (webhook-id,
// webhook-timestamp, webhook-signature), the vendor's x-hmac-signature when
// present, and a timestamp within WebhookTolerance of now. They take the
// subscription's secret as it was set or in the whsec_ form that the
// Standard Webhooks libraries take.
//
// # Errors
//
// A response with a non-2xx status becomes an *Error carrying the HTTP status,
// Lethe's error code, a message that never contains personal data, and the
// fields at fault. Use IsNotFound, IsConflict or ErrorCode to branch on it.
package client
