package rest

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"

	"github.com/lethehq/lethe"
)

// receiptJSON is an erasure receipt before it is signed. It holds ids,
// labels, counts and times only: no personal data.
type receiptJSON struct {
	ReceiptVersion int               `json:"receiptVersion"`
	TenantID       string            `json:"tenantId"`
	UserID         string            `json:"userId"`
	Mode           string            `json:"mode"`
	Irreversible   bool              `json:"irreversible"`
	Statement      string            `json:"statement"`
	RequestedAt    string            `json:"requestedAt"`
	ErasedAt       string            `json:"erasedAt"`
	Source         string            `json:"source"`
	Actor          string            `json:"actor"`
	Erased         map[string]int    `json:"erased"`
	Kept           map[string]int    `json:"kept"`
	KeptPolicies   map[string]string `json:"keptPolicies"`
	Verification   verificationJSON  `json:"verification"`
	// Trail is where the tenant's trail stood at the erasure: kept
	// with the receipt, it anchors the trail (lethe trail verify --anchor).
	Trail *trailPointJSON `json:"trail,omitempty"`
	// Propagation lists, per subscription sent the erasure's event, its
	// receiver (host only) and whether it acknowledged; Revision is 1 plus
	// the acknowledgements, so each arrival issues a new signed revision.
	Propagation []propagationJSON `json:"propagation"`
	Revision    int               `json:"revision"`
	IssuedAt    string            `json:"issuedAt"`
}

type propagationJSON struct {
	SubscriptionID string  `json:"subscriptionId"`
	Receiver       string  `json:"receiver"`
	EventID        string  `json:"eventId"`
	State          string  `json:"state"`
	Attempts       int     `json:"attempts"`
	AcknowledgedAt *string `json:"acknowledgedAt"`
}

// trailPointJSON is an entry of a tenant's trail: its seq and its
// hash (hex).
type trailPointJSON struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}

type verificationJSON struct {
	Passed    bool        `json:"passed"`
	CheckedAt string      `json:"checkedAt"`
	Checks    []checkJSON `json:"checks"`
}

type checkJSON struct {
	Name  string `json:"name"`
	Found int    `json:"found"`
}

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
	rc := receiptJSON{ReceiptVersion: 1, TenantID: string(actor.TenantID), UserID: string(e.LearnerID), Mode: e.Mode,
		Irreversible: true, Statement: receiptStatements[e.Mode], RequestedAt: formatTime(e.RequestedAt),
		ErasedAt: formatTime(e.ErasedAt), Source: string(e.Source), Actor: e.Actor, Erased: e.Erased, Kept: e.Kept,
		KeptPolicies: map[string]string{}, IssuedAt: formatTime(h.now())}
	for kind := range e.Kept {
		rc.KeptPolicies[kind] = lethe.KeptPolicy
	}
	rc.Propagation, rc.Revision = []propagationJSON{}, 1
	for _, p := range e.Propagation {
		pj := propagationJSON{SubscriptionID: p.SubscriptionID, Receiver: p.Receiver, EventID: p.EventID, State: p.State,
			Attempts: p.Attempts}
		if p.AcknowledgedAt != nil {
			pj.AcknowledgedAt = new(formatTime(*p.AcknowledgedAt))
			rc.Revision++
		}
		rc.Propagation = append(rc.Propagation, pj)
	}
	if e.Trail != nil {
		rc.Trail = &trailPointJSON{Seq: e.Trail.Seq, Hash: hex.EncodeToString(e.Trail.Hash)}
	}
	if v := e.Verification; v != nil {
		rc.Verification = verificationJSON{Passed: v.Passed, CheckedAt: formatTime(v.CheckedAt), Checks: []checkJSON{}}
		for _, c := range v.Checks {
			rc.Verification.Checks = append(rc.Verification.Checks, checkJSON{Name: c.Name, Found: c.Found})
		}
	}
	signed, err := lethe.SignReceipt(h.SigningKey, rc)
	return json.RawMessage(signed), err
}

// GET /lethe/v1/erasures/public-key: the key receipts are checked against.
func (h *Handler) getErasurePublicKey(r *http.Request) (int, any, error) {
	pub := h.SigningKey.Public().(ed25519.PublicKey)
	return http.StatusOK, map[string]string{"algorithm": lethe.ReceiptAlgorithm,
		"publicKey": base64.StdEncoding.EncodeToString(pub)}, nil
}
