package scim

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
)

// setVersion sets meta.version of d to a weak ETag: a hash of the
// document without its version. Maps encode with sorted keys, so equal
// documents have equal versions.
func setVersion(d doc) {
	meta, _ := d["meta"].(map[string]any)
	if meta == nil {
		return
	}
	delete(meta, "version")
	b, _ := json.Marshal(d)
	sum := sha256.Sum256(b)
	meta["version"] = `W/"` + hex.EncodeToString(sum[:12]) + `"`
}

// versionOf returns the meta.version of a rendered document.
func versionOf(d doc) string {
	meta, _ := d["meta"].(map[string]any)
	v, _ := meta["version"].(string)
	return v
}

// checkIfMatch is nil when the request has no If-Match, or when one of
// its entity tags is the document's version (weakly compared) or "*".
func checkIfMatch(r *http.Request, d doc) error {
	h := r.Header.Get("If-Match")
	if h == "" {
		return nil
	}
	if tagListHas(h, versionOf(d)) {
		return nil
	}
	return errStale
}

// tagListHas reports whether a list of entity tags names version.
func tagListHas(list, version string) bool {
	want := strings.TrimPrefix(version, "W/")
	for _, t := range strings.Split(list, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == want {
			return true
		}
	}
	return false
}

// notModified reports whether the request's If-None-Match names version v.
func notModified(r *http.Request, v string) bool {
	inm := r.Header.Get("If-None-Match")
	return inm != "" && tagListHas(inm, v)
}
