package server

import (
	_ "embed"
	"net/http"
)

// openAPI documents Lethe's own /lethe/v1 endpoints. The /rest endpoints
// follow the vendor's reference and are listed for orientation.
//
//go:embed openapi.json
var openAPI []byte

func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openAPI)
}
