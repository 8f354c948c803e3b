// Package rest serves the vendor-compatible REST API (/rest/v1, /rest/v2,
// the inbound provisioning webhook) and Lethe's own extensions under
// /lethe/v1. routes.go is the compatibility surface: every path, method and
// response style there follows the vendor's API reference exactly.
//
// Each concept has one file, named as in the other layers (user.go, bulk.go,
// job.go, dormant.go, settings.go, receipt.go, …); its wire types live beside
// its handlers and are converted from domain types at the edge. The package
// imports package lethe, never another adapter.
package rest
