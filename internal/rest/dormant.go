package rest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/lethehq/lethe"
)

type rulesJSON struct {
	NeverLoggedInDays *int `json:"neverLoggedInDays,omitempty"`
	InactiveDays      *int `json:"inactiveDays,omitempty"`
	EndDatePassed     bool `json:"endDatePassed"`
	Exclude           struct {
		Roles     []string `json:"roles"`
		Audiences []string `json:"audiences"`
	} `json:"exclude"`
}

func toRulesJSON(r *lethe.DormantRules) *rulesJSON {
	if r == nil {
		return nil
	}
	out := &rulesJSON{NeverLoggedInDays: r.NeverLoggedInDays, InactiveDays: r.InactiveDays, EndDatePassed: r.EndDatePassed}
	out.Exclude.Roles, out.Exclude.Audiences = []string{}, []string{}
	for _, role := range r.ExcludeRoles {
		out.Exclude.Roles = append(out.Exclude.Roles, string(role))
	}
	out.Exclude.Audiences = append(out.Exclude.Audiences, r.ExcludeAudiences...)
	return out
}

// decodeDormant reads {neverLoggedInDays?, inactiveDays?, endDatePassed?,
// exclude?: {roles, audiences}}.
func decodeDormant(body []byte) (lethe.DormantRules, error) {
	var rules lethe.DormantRules
	obj, err := decodeObject(body, false)
	if err != nil {
		return rules, err
	}
	for k, raw := range obj {
		switch k {
		case "neverLoggedInDays", "inactiveDays":
			var f float64
			if json.Unmarshal(raw, &f) != nil {
				return rules, typeError(k, "a number of days")
			}
			if f != float64(int(f)) || f < 0 || f > lethe.MaxPeriodDays {
				return rules, lethe.FieldErrorf(lethe.EInvalid, k, "out_of_range", "%s must be a whole number of days from 0 to %d", k, lethe.MaxPeriodDays)
			}
			n := int(f)
			if k == "neverLoggedInDays" {
				rules.NeverLoggedInDays = &n
			} else {
				rules.InactiveDays = &n
			}
		case "endDatePassed":
			b, err := optBool(obj, k)
			if err != nil {
				return rules, err
			}
			rules.EndDatePassed = b != nil && *b
		case "exclude":
			ex, err := member(obj, "exclude")
			if err != nil {
				return rules, err
			}
			for ek, ev := range ex {
				var list []string
				if json.Unmarshal(ev, &list) != nil {
					return rules, typeError("exclude."+ek, "an array of strings")
				}
				switch ek {
				case "roles":
					for i, s := range list {
						role := lethe.Role(strings.ToLower(strings.TrimSpace(s)))
						if !role.Valid() {
							return rules, lethe.FieldErrorf(lethe.EInvalid, fmt.Sprintf("exclude.roles[%d]", i), "invalid",
								"a role is one of administrator, learneradmin, learner")
						}
						rules.ExcludeRoles = append(rules.ExcludeRoles, role)
					}
				case "audiences":
					rules.ExcludeAudiences = list
				default:
					return rules, lethe.FieldErrorf(lethe.EInvalid, "exclude."+ek, "unknown", "exclude takes roles and audiences")
				}
			}
		default:
			return rules, lethe.FieldErrorf(lethe.EInvalid, k, "unknown", "%s is not a dormant-audit rule", k)
		}
	}
	return rules, nil
}

// POST /lethe/v1/audits/dormant: 201 with the preview, kept as a report.
func (h *Handler) previewDormant(r *http.Request) (int, any, error) {
	body, err := readBody(r)
	if err != nil {
		return 0, nil, err
	}
	rules, err := decodeDormant(body)
	if err != nil {
		return 0, nil, err
	}
	j, err := h.Jobs.PreviewDormant(r.Context(), rules)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, toJobJSON(j), nil
}

// GET /lethe/v1/audits/dormant: the audit reports, newest first.
func (h *Handler) listDormant(r *http.Request) (int, any, error) {
	p, err := parsePaging(r.URL.Query(), 20, 1000)
	if err != nil {
		return 0, nil, err
	}
	return h.jobPage(r, lethe.JobFilter{Kind: "dormant", Offset: p.offset(), Limit: p.perPage}, p)
}

// GET /lethe/v1/audits/dormant/{id}
func (h *Handler) getDormant(r *http.Request) (int, any, error) {
	j, err := h.Jobs.FindJob(r.Context(), r.PathValue("id"))
	if err == nil && j.Kind != "dormant" {
		err = lethe.Errorf(lethe.ENotFound, "Audit not found.")
	}
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toJobJSON(j), nil
}

// POST /lethe/v1/audits/dormant/{id}/apply: 202 with the queued job.
func (h *Handler) applyDormant(r *http.Request) (int, any, error) {
	if _, _, err := h.getDormant(r); err != nil {
		return 0, nil, err
	}
	j, err := h.Jobs.ApplyJob(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	h.wakeJobs()
	return http.StatusAccepted, toJobJSON(j), nil
}
