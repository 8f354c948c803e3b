// Package seed fills a tenant with synthetic data, directly through the
// store's bulk-load API (sqldb.DB.BeginLoad), for benchmarks, trials and
// tests: Organisation builds the organisation of `lethe seed`, Users the
// users alone. Nothing on a production path (serve, REST, jobs, erasure)
// calls it (docs/adr/0021).
//
// The same options give the same rows, apart from random data keys; rows
// are written in the order of their keys where they can be, in large
// transactions.
package seed
