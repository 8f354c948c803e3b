package server

import (
	_ "embed"
	"net/http"
)

// openAPI documents every authenticated route: the vendor-compatible /rest
// ones (docs/wire.md) and Lethe's own /lethe/v1. A server test checks that it
// lists exactly the routes of rest.Handler.Routes.
//
//go:embed openapi.json
var openAPI []byte

func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openAPI)
}
