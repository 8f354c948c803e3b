// Package jobs runs the background work of `lethe serve`: loops that run a
// step at start (or after a first pause), again a pause after each run, and
// at once when woken, until the runner stops them.
//
// runner.go holds the loop helper (Loop, Runner); loops.go holds the loops
// serve runs: durable jobs, the policy round (grace-period erasures,
// scheduled dormant audits, expired idempotent answers), the resumption of
// unfinished enrolments and the PostgreSQL rewrite of personal data. A loop
// is a Loop value; adding one is a function returning it and a Runner.Go
// line in serve (ADR 0024).
//
// Loops log counts, durations and error messages, never personal data (the
// store's errors hold none). A step that fails is logged and runs again at
// its next turn; a panic is not recovered: it is a bug, and the process
// stops as it would anywhere else.
//
// This package imports only the standard library; the work itself comes in
// through small interfaces that the store's services satisfy.
package jobs
