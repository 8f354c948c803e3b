package rest

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"net/http"

	"github.com/lethehq/lethe"
)

// receipt answers the signed receipt of the erasure of user id, verified
// now.
func (h *Handler) receipt(r *http.Request, id lethe.LearnerID) (int, any, error) {
	e, err := h.Users.FindErasure(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	rc, err := h.sign(r, e)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, rc, nil
}

// sign signs the receipt of erasure e.
func (h *Handler) sign(r *http.Request, e *lethe.Erasure) (json.RawMessage, error) {
	actor, err := lethe.ActorFrom(r.Context())
	if err != nil {
		return nil, err
	}
	signed, err := lethe.SignReceipt(h.SigningKey, lethe.NewReceipt(actor.TenantID, e, h.now()))
	return json.RawMessage(signed), err
}

// GET /lethe/v1/erasures/public-key: the key receipts are checked against.
func (h *Handler) getErasurePublicKey(r *http.Request) (int, any, error) {
	pub := h.SigningKey.Public().(ed25519.PublicKey)
	return http.StatusOK, map[string]string{"algorithm": lethe.ReceiptAlgorithm,
		"publicKey": base64.StdEncoding.EncodeToString(pub)}, nil
}
