package rest

import (
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/lethehq/lethe"
)

// The SCIM protocol itself is served by internal/scim at /scim/v2; what
// /lethe/v1 adds are the tenant's SCIM tokens, managed with its API key.

// scimTokenJSON is a SCIM token in GET /lethe/v1/scim/tokens, without its
// secret; lastUsedAt is null until the token is first used.
type scimTokenJSON struct {
	ID         string  `json:"id"`
	Name       string  `json:"name"`
	CreatedAt  string  `json:"createdAt"`
	LastUsedAt *string `json:"lastUsedAt"`
}

// newSCIMTokenJSON is the answer of POST /lethe/v1/scim/tokens: the only
// time the secret is shown.
type newSCIMTokenJSON struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	CreatedAt string `json:"createdAt"`
	Token     string `json:"token"`
}

// decodeSCIMTokenName reads {"name": "…"}: required, at most
// lethe.MaxSCIMTokenNameLength characters of printable text. Other members
// are ignored, as the vendor's writes do.
func decodeSCIMTokenName(body []byte) (string, error) {
	obj, err := decodeObject(body, false)
	if err != nil {
		return "", err
	}
	s, err := optString(obj, "name")
	if err != nil {
		return "", err
	}
	if s == nil || strings.TrimSpace(*s) == "" {
		return "", lethe.FieldErrorf(lethe.EInvalid, "name", "required", "name is required")
	}
	name := strings.TrimSpace(*s)
	if utf8.RuneCountInString(name) > lethe.MaxSCIMTokenNameLength || !printableText(name) {
		return "", lethe.FieldErrorf(lethe.EInvalid, "name", "invalid",
			"name must be at most %d printable characters", lethe.MaxSCIMTokenNameLength)
	}
	return name, nil
}

// printableText reports whether s is valid UTF-8 without control
// characters (as the domain's own text checks).
func printableText(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return false
		}
	}
	return true
}

// POST /lethe/v1/scim/tokens: 201 with the secret, shown this once.
func (h *Handler) createSCIMToken(r *http.Request) (int, any, error) {
	body, err := readBody(r)
	if err != nil {
		return 0, nil, err
	}
	name, err := decodeSCIMTokenName(body)
	if err != nil {
		return 0, nil, err
	}
	t, secret, err := h.SCIMTokens.CreateSCIMToken(r.Context(), name)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, newSCIMTokenJSON{ID: t.ID, Name: t.Name, CreatedAt: formatTime(t.CreatedAt), Token: secret}, nil
}

// GET /lethe/v1/scim/tokens: a bare array, oldest first, without secrets.
func (h *Handler) listSCIMTokens(r *http.Request) (int, any, error) {
	list, err := h.SCIMTokens.FindSCIMTokens(r.Context())
	if err != nil {
		return 0, nil, err
	}
	out := make([]scimTokenJSON, len(list))
	for i, t := range list {
		out[i] = scimTokenJSON{ID: t.ID, Name: t.Name, CreatedAt: formatTime(t.CreatedAt), LastUsedAt: formatTimePtr(t.LastUsedAt)}
	}
	return http.StatusOK, out, nil
}

// DELETE /lethe/v1/scim/tokens/{id}: 204; every process refuses the token
// from then on.
func (h *Handler) revokeSCIMToken(w http.ResponseWriter, r *http.Request) {
	if err := h.SCIMTokens.RevokeSCIMToken(r.Context(), r.PathValue("id")); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
