// Package bench is the load tool behind `lethe bench`: named scenarios
// that drive a server over HTTP through the public SDK (client/), as
// integrations would (SCIM, which the SDK does not speak, over net/http), and a report per scenario of the operations, errors,
// throughput and latency percentiles, and, when it started the server itself
// (Config.DB), the server's peak resident memory. See the "Benchmark
// harness" section of docs/PERFORMANCE.md.
//
// bench.go runs the scenarios (Config, Run), scenarios.go, scim.go and
// erasure.go hold them, recorder.go measures the requests of the workers, report.go
// is the report and its table, and server.go starts and watches a
// `lethe serve` child process. The report holds counts, timings and the
// server's error messages, never personal data.
package bench
