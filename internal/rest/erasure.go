package rest

import (
	"net/http"

	"github.com/lethehq/lethe"
)

// GET /lethe/v1/erasures/{userId}: the signed receipt of an erasure or an
// anonymization, verified now.
func (h *Handler) getErasure(r *http.Request) (int, any, error) {
	id, err := userIDFromPath(r, "userId")
	if err != nil {
		return 0, nil, err
	}
	return h.receipt(r, id)
}

// POST /lethe/v1/users/{id}/anonymize: answers the signed receipt.
func (h *Handler) anonymizeUser(r *http.Request) (int, any, error) {
	id, err := userIDFromPath(r, "id")
	if err != nil {
		return 0, nil, err
	}
	if _, err := h.Users.AnonymizeUser(r.Context(), lethe.ByID(id)); err != nil {
		return 0, nil, err
	}
	return h.receipt(r, id)
}

// deletionJSON answers DELETE /lethe/v1/users/{id}.
type deletionJSON struct {
	Success bool    `json:"success"`
	UserID  string  `json:"userId"`
	Outcome string  `json:"outcome"`
	DueAt   *string `json:"dueAt,omitempty"`
}

// DELETE /lethe/v1/users/{id}?mode=erase|purge: erase as the vendor's
// delete does (the tenant's policy applies), or purge an account that was
// never used.
func (h *Handler) deleteUserByID(r *http.Request) (int, any, error) {
	id, err := userIDFromPath(r, "id")
	if err != nil {
		return 0, nil, err
	}
	switch mode := first(r.URL.Query(), "mode"); mode {
	case "purge":
		if err := h.Users.PurgeUser(r.Context(), lethe.ByID(id)); err != nil {
			return 0, nil, err
		}
		return http.StatusOK, deletionJSON{Success: true, UserID: string(id), Outcome: "purged"}, nil
	case "", "erase":
		d, err := h.Users.DeleteUser(r.Context(), lethe.ByID(id))
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, deletionJSON{Success: true, UserID: string(id), Outcome: d.Outcome, DueAt: formatTimePtr(d.DueAt)}, nil
	default:
		return 0, nil, lethe.FieldErrorf(lethe.EInvalid, "mode", "invalid", "mode must be 'erase' or 'purge'")
	}
}
