package rest

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"math"
	"net/http"
	"strings"

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
	// Trail is where the tenant's audit trail stood at the erasure: kept
	// with the receipt, it anchors the trail (lethe trail verify --anchor).
	Trail    *trailPointJSON `json:"trail,omitempty"`
	IssuedAt string          `json:"issuedAt"`
}

// trailPointJSON is an entry of a tenant's audit trail: its seq and its
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

// Statements of receipts: what happened, in words.
var receiptStatements = map[string]string{
	lethe.ModeErase: "The person's personal data was erased and cannot be restored. The records listed as kept " +
		"remain under the internal user id only; free text they carried was sealed under a key that was destroyed.",
	lethe.ModeAnonymize: "The account was anonymized, which cannot be undone: it remains, suspended for good, with " +
		"random personal fields; everything else personal was erased. The records listed as kept remain under the internal user id.",
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

// GET /lethe/v1/erasures/{userId}: the signed receipt of an erasure or an
// anonymization, verified now.
func (h *Handler) getErasure(r *http.Request) (int, any, error) {
	id, err := userIDFromPath(r, "userId")
	if err != nil {
		return 0, nil, err
	}
	return h.receipt(r, id)
}

// GET /lethe/v1/erasures/public-key: the key receipts are checked against.
func (h *Handler) getErasurePublicKey(r *http.Request) (int, any, error) {
	pub := h.SigningKey.Public().(ed25519.PublicKey)
	return http.StatusOK, map[string]string{"algorithm": lethe.ReceiptAlgorithm,
		"publicKey": base64.StdEncoding.EncodeToString(pub)}, nil
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

// settingsJSON is a tenant's settings on the wire.
type settingsJSON struct {
	Deletion struct {
		Mode          string `json:"mode"`
		GraceDays     int    `json:"graceDays"`
		TombstoneDays int    `json:"tombstoneDays"`
	} `json:"deletion"`
	Audits struct {
		Dormant *scheduledAuditJSON `json:"dormant"`
	} `json:"audits"`
	UpdatedAt *string `json:"updatedAt"`
}

type scheduledAuditJSON struct {
	EveryDays int        `json:"everyDays"`
	Rules     *rulesJSON `json:"rules"`
}

func toSettingsJSON(s *lethe.Settings) settingsJSON {
	var out settingsJSON
	out.Deletion.Mode, out.Deletion.GraceDays, out.Deletion.TombstoneDays = s.Deletion.Mode, s.Deletion.GraceDays, s.Deletion.TombstoneDays
	if a := s.DormantAudit; a != nil {
		out.Audits.Dormant = &scheduledAuditJSON{EveryDays: a.EveryDays, Rules: toRulesJSON(&a.Rules)}
	}
	out.UpdatedAt = formatTimePtr(s.UpdatedAt)
	return out
}

// GET /lethe/v1/settings
func (h *Handler) getSettings(r *http.Request) (int, any, error) {
	s, err := h.Settings.FindSettings(r.Context())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toSettingsJSON(s), nil
}

// PATCH /lethe/v1/settings: {"deletion": {"mode", "graceDays", "tombstoneDays"}},
// each optional.
func (h *Handler) updateSettings(r *http.Request) (int, any, error) {
	body, err := readBody(r)
	if err != nil {
		return 0, nil, err
	}
	u, err := decodeSettingsUpdate(body)
	if err != nil {
		return 0, nil, err
	}
	s, err := h.Settings.UpdateSettings(r.Context(), u)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toSettingsJSON(s), nil
}

func decodeSettingsUpdate(body []byte) (lethe.SettingsUpdate, error) {
	var u lethe.SettingsUpdate
	obj, err := decodeObject(body, true)
	if err != nil {
		return u, err
	}
	for k := range obj {
		if k != "deletion" && k != "audits" {
			return u, lethe.FieldErrorf(lethe.EInvalid, k, "unknown", "%s is not a setting", k)
		}
	}
	if raw, ok := obj["audits"]; ok {
		var audits map[string]json.RawMessage
		if isNull(raw) || json.Unmarshal(raw, &audits) != nil {
			return u, typeError("audits", "a JSON object")
		}
		for k, v := range audits {
			if k != "dormant" {
				return u, lethe.FieldErrorf(lethe.EInvalid, "audits."+k, "unknown", "audits.%s is not a setting", k)
			}
			var a *lethe.ScheduledAudit
			if !isNull(v) {
				var m map[string]json.RawMessage
				if json.Unmarshal(v, &m) != nil {
					return u, typeError("audits.dormant", "a JSON object or null")
				}
				a = &lethe.ScheduledAudit{}
				for mk, mv := range m {
					switch mk {
					case "everyDays":
						var f float64
						if json.Unmarshal(mv, &f) != nil {
							return u, typeError("audits.dormant.everyDays", "a number of days")
						}
						if f != math.Trunc(f) || math.Abs(f) > 1e9 {
							return u, lethe.FieldErrorf(lethe.EInvalid, "audits.dormant.everyDays", "invalid", "audits.dormant.everyDays must be a whole number of days")
						}
						a.EveryDays = int(f)
					case "rules":
						rules, err := decodeDormant(mv)
						if err != nil {
							return u, prefixed(err, "audits.dormant.rules.")
						}
						a.Rules = rules
					default:
						return u, lethe.FieldErrorf(lethe.EInvalid, "audits.dormant."+mk, "unknown", "audits.dormant takes everyDays and rules")
					}
				}
			}
			u.DormantAudit = &a
		}
	}
	raw, ok := obj["deletion"]
	if !ok {
		return u, nil
	}
	var del map[string]json.RawMessage
	if isNull(raw) || json.Unmarshal(raw, &del) != nil {
		return u, typeError("deletion", "a JSON object")
	}
	for k, v := range del {
		field := "deletion." + k
		switch k {
		case "mode":
			var s string
			if json.Unmarshal(v, &s) != nil {
				return u, typeError(field, "a string")
			}
			s = strings.TrimSpace(s)
			u.DeletionMode = &s
		case "graceDays", "tombstoneDays":
			var f float64
			if json.Unmarshal(v, &f) != nil || isNull(v) {
				return u, typeError(field, "an integer")
			}
			if f != math.Trunc(f) || math.Abs(f) > 1e9 {
				return u, lethe.FieldErrorf(lethe.EInvalid, field, "invalid", "%s must be a whole number of days", field)
			}
			n := int(f)
			if k == "graceDays" {
				u.GraceDays = &n
			} else {
				u.TombstoneDays = &n
			}
		default:
			return u, lethe.FieldErrorf(lethe.EInvalid, field, "unknown", "%s is not a setting", field)
		}
	}
	return u, nil
}
