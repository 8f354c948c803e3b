package rest

import (
	"encoding/json"
	"net/http"

	"github.com/lethehq/lethe"
)

// A tenant's OAuth clients, managed with its API key (or an api/all
// token); the token endpoint itself is internal/server's.

// oauthClientJSON is a client in GET /lethe/v1/oauth/clients, without its
// secret; lastUsedAt is null until it is first issued a token.
type oauthClientJSON struct {
	ClientID   string   `json:"clientId"`
	Name       string   `json:"name"`
	Scopes     []string `json:"scopes"`
	CreatedAt  string   `json:"createdAt"`
	LastUsedAt *string  `json:"lastUsedAt"`
}

// newOAuthClientJSON is the answer of POST /lethe/v1/oauth/clients: the
// only time the secret is shown.
type newOAuthClientJSON struct {
	ClientID     string   `json:"clientId"`
	ClientSecret string   `json:"clientSecret"`
	Name         string   `json:"name"`
	Scopes       []string `json:"scopes"`
	CreatedAt    string   `json:"createdAt"`
}

// decodeOAuthClient reads {"name": "…", "scopes": ["api/read", …]}; the
// store checks the values. Other members are ignored.
func decodeOAuthClient(body []byte) (string, []string, error) {
	obj, err := decodeObject(body, false)
	if err != nil {
		return "", nil, err
	}
	name, err := optString(obj, "name")
	if err != nil {
		return "", nil, err
	}
	if name == nil {
		return "", nil, lethe.FieldErrorf(lethe.EInvalid, "name", "required", "name is required")
	}
	var scopes []string
	raw, ok := obj["scopes"]
	if !ok || json.Unmarshal(raw, &scopes) != nil || len(scopes) == 0 {
		return "", nil, lethe.FieldErrorf(lethe.EInvalid, "scopes", "invalid",
			"scopes must be a non-empty array of scope names (api/all, api/read, api/write, api/webhooks, scim)")
	}
	return *name, scopes, nil
}

// POST /lethe/v1/oauth/clients: 201 with the secret, shown this once.
func (h *Handler) createOAuthClient(r *http.Request) (int, any, error) {
	body, err := readBody(r)
	if err != nil {
		return 0, nil, err
	}
	name, scopes, err := decodeOAuthClient(body)
	if err != nil {
		return 0, nil, err
	}
	c, secret, err := h.OAuth.CreateOAuthClient(r.Context(), name, scopes)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, newOAuthClientJSON{ClientID: c.ID, ClientSecret: secret, Name: c.Name, Scopes: c.Scopes,
		CreatedAt: formatTime(c.CreatedAt)}, nil
}

// GET /lethe/v1/oauth/clients: a bare array, oldest first, without secrets.
func (h *Handler) listOAuthClients(r *http.Request) (int, any, error) {
	list, err := h.OAuth.FindOAuthClients(r.Context())
	if err != nil {
		return 0, nil, err
	}
	out := make([]oauthClientJSON, len(list))
	for i, c := range list {
		out[i] = oauthClientJSON{ClientID: c.ID, Name: c.Name, Scopes: c.Scopes, CreatedAt: formatTime(c.CreatedAt),
			LastUsedAt: formatTimePtr(c.LastUsedAt)}
	}
	return http.StatusOK, out, nil
}

// DELETE /lethe/v1/oauth/clients/{id}: 204; the client's live tokens are
// refused from the next request on, on every process.
func (h *Handler) revokeOAuthClient(w http.ResponseWriter, r *http.Request) {
	if err := h.OAuth.RevokeOAuthClient(r.Context(), r.PathValue("id")); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
