// Package sqldb implements the services of package lethe on SQL databases.
//
// SQL is hand-written with $N placeholders. Dialect differences live in
// dialect.go and in the per-dialect migrations under migrations/. Every query
// on a tenant table filters by tenant_id, taken from the lethe.Actor in the
// context. Multi-step operations run in one transaction; the clock is read once
// per transaction from DB.Now.
//
// This package imports package lethe and database drivers, never a transport.
package sqldb
