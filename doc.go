// Package lethe is the domain of Lethe, a self-hostable learning-platform
// backend whose REST API is wire-compatible with the Thrive Learning public API.
//
// The package holds entity types, their invariants, pure policy functions, the
// service interfaces that adapters implement, and the one error type. It imports
// only the standard library, and golang.org/x/text/unicode/norm for emails in
// NFC (ADR 0020).
//
// Dependency rules (docs/layout.md; internal/archtest checks them):
//   - adapters under internal/ import this package, never each other;
//   - internal/sqldb implements the services; internal/rest and internal/server
//     consume them;
//   - cmd/lethe is the only place where concrete types meet;
//   - client/ is the public Go SDK and imports only the standard library.
//
// The central idea is that a Learner (an opaque, pseudonymous id that every
// learning record points at) is kept apart from a Person (the personal data of
// that learner). Erasing a user deletes the Person and keeps the Learner and its
// records.
package lethe
