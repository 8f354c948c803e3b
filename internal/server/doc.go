// Package server is Lethe's one HTTP server. It mounts the REST API of
// package rest, the health endpoints and /openapi.json, and owns the shared
// middleware: request ids, JSON access logs (route pattern, never the raw
// path, which can hold refs or emails), panic recovery, body limits, HTTP
// Basic authentication, and vendor-style 404 and 405 answers.
package server
