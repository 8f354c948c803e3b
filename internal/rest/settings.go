package rest

import (
	"encoding/json"
	"math"
	"net/http"
	"strings"

	"github.com/lethehq/lethe"
)

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
	SCIM struct {
		// AdditionalFields maps SCIM attribute paths to additionalFields keys.
		AdditionalFields map[string]string `json:"additionalFields"`
	} `json:"scim"`
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
	out.SCIM.AdditionalFields = s.SCIM.AdditionalFields
	if out.SCIM.AdditionalFields == nil {
		out.SCIM.AdditionalFields = map[string]string{}
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

// PATCH /lethe/v1/settings: {"deletion": {"mode", "graceDays", "tombstoneDays"},
// "audits": {"dormant"}, "scim": {"additionalFields"}}, each optional.
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
		if k != "deletion" && k != "audits" && k != "scim" {
			if k == "" {
				k = `""` // a field is never named by the empty string
			}
			return u, lethe.FieldErrorf(lethe.EInvalid, k, "unknown", "%s is not a setting", k)
		}
	}
	if raw, ok := obj["audits"]; ok {
		if err := decodeAuditsUpdate(raw, &u); err != nil {
			return u, err
		}
	}
	if raw, ok := obj["deletion"]; ok {
		if err := decodeDeletionUpdate(raw, &u); err != nil {
			return u, err
		}
	}
	if raw, ok := obj["scim"]; ok {
		if err := decodeSCIMSettingsUpdate(raw, &u); err != nil {
			return u, err
		}
	}
	return u, nil
}

// decodeSCIMSettingsUpdate reads the scim member of a settings change into
// u: additionalFields, an object of SCIM attribute path to additionalFields
// key, replaces the whole mapping ({} maps nothing). The limits are
// lethe.SettingsUpdate.Apply's.
func decodeSCIMSettingsUpdate(raw json.RawMessage, u *lethe.SettingsUpdate) error {
	var scim map[string]json.RawMessage
	if isNull(raw) || json.Unmarshal(raw, &scim) != nil {
		return typeError("scim", "a JSON object")
	}
	for k, v := range scim {
		if k != "additionalFields" {
			return lethe.FieldErrorf(lethe.EInvalid, "scim."+k, "unknown", "scim.%s is not a setting", k)
		}
		var m map[string]string
		if isNull(v) || json.Unmarshal(v, &m) != nil {
			return typeError("scim.additionalFields", "an object of SCIM attribute paths to additionalFields keys (strings)")
		}
		u.SCIMAdditionalFields = &m
	}
	return nil
}

// decodeAuditsUpdate reads the audits member of a settings change into u.
func decodeAuditsUpdate(raw json.RawMessage, u *lethe.SettingsUpdate) error {
	var audits map[string]json.RawMessage
	if isNull(raw) || json.Unmarshal(raw, &audits) != nil {
		return typeError("audits", "a JSON object")
	}
	for k, v := range audits {
		if k != "dormant" {
			return lethe.FieldErrorf(lethe.EInvalid, "audits."+k, "unknown", "audits.%s is not a setting", k)
		}
		a, err := decodeScheduledAudit(v)
		if err != nil {
			return err
		}
		u.DormantAudit = &a
	}
	return nil
}

// decodeScheduledAudit reads audits.dormant: {everyDays, rules} or null
// (nil: no scheduled audit).
func decodeScheduledAudit(v json.RawMessage) (*lethe.ScheduledAudit, error) {
	if isNull(v) {
		return nil, nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(v, &m) != nil {
		return nil, typeError("audits.dormant", "a JSON object or null")
	}
	a := &lethe.ScheduledAudit{}
	for mk, mv := range m {
		switch mk {
		case "everyDays":
			var f float64
			if json.Unmarshal(mv, &f) != nil {
				return nil, typeError("audits.dormant.everyDays", "a number of days")
			}
			if f != math.Trunc(f) || math.Abs(f) > 1e9 {
				return nil, lethe.FieldErrorf(lethe.EInvalid, "audits.dormant.everyDays", "invalid", "audits.dormant.everyDays must be a whole number of days")
			}
			a.EveryDays = int(f)
		case "rules":
			rules, err := decodeDormant(mv)
			if err != nil {
				return nil, prefixed(err, "audits.dormant.rules.")
			}
			a.Rules = rules
		default:
			return nil, lethe.FieldErrorf(lethe.EInvalid, "audits.dormant."+mk, "unknown", "audits.dormant takes everyDays and rules")
		}
	}
	return a, nil
}

// decodeDeletionUpdate reads the deletion member of a settings change into u.
func decodeDeletionUpdate(raw json.RawMessage, u *lethe.SettingsUpdate) error {
	var del map[string]json.RawMessage
	if isNull(raw) || json.Unmarshal(raw, &del) != nil {
		return typeError("deletion", "a JSON object")
	}
	for k, v := range del {
		field := "deletion." + k
		switch k {
		case "mode":
			var s string
			if json.Unmarshal(v, &s) != nil {
				return typeError(field, "a string")
			}
			s = strings.TrimSpace(s)
			u.DeletionMode = &s
		case "graceDays", "tombstoneDays":
			var f float64
			if json.Unmarshal(v, &f) != nil || isNull(v) {
				return typeError(field, "an integer")
			}
			if f != math.Trunc(f) || math.Abs(f) > 1e9 {
				return lethe.FieldErrorf(lethe.EInvalid, field, "invalid", "%s must be a whole number of days", field)
			}
			n := int(f)
			if k == "graceDays" {
				u.GraceDays = &n
			} else {
				u.TombstoneDays = &n
			}
		default:
			return lethe.FieldErrorf(lethe.EInvalid, field, "unknown", "%s is not a setting", field)
		}
	}
	return nil
}
