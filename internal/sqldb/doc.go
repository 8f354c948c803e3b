// Package sqldb implements the services of package lethe on SQL databases.
//
// SQL is hand-written with $N placeholders. Dialect differences live in
// dialect.go and in the per-dialect migrations under migrations/. Every query
// on a tenant table filters by tenant_id, taken from the lethe.Actor in the
// context. Multi-step operations run in one transaction; the clock is read once
// per transaction from DB.Now.
//
// Personal data: registry.go declares every column of the schema with what
// an erasure does to it (a test checks it against both schemas), and drives
// erasure, anonymization and purge (erasure.go, tombstone.go) and the
// verification in receipts. Free text of the records kept after an erasure is sealed under a
// per-learner key (seal.go); trail.go keeps the hash-chained trail.
//
// load.go is the bulk-load API through which package seed writes synthetic
// rows (docs/adr/0021); rowwriter.go is the one writer of multi-row INSERTs
// (docs/adr/0022).
//
// This package imports package lethe and database drivers, never a transport.
package sqldb
