package rest

import (
	"bytes"
	"encoding/csv"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/lethehq/lethe"
)

// Reports answer JSON, or CSV when asked for with ?format=csv or
// Accept: text/csv. They name learners by internal id only.

// csvReport is a report body that can also be written as CSV: a header
// line, then its rows.
type csvReport interface {
	writeCSV(w *csv.Writer)
}

// reportFormat reads how a report is answered: the format parameter (json
// or csv) when given, else CSV when the Accept header prefers text/csv to
// application/json, else JSON.
func reportFormat(r *http.Request) (string, error) {
	switch f := strings.ToLower(strings.TrimSpace(first(r.URL.Query(), "format"))); f {
	case "json", "csv":
		return f, nil
	case "":
	default:
		return "", lethe.FieldErrorf(lethe.EInvalid, "format", "invalid", "format must be json or csv")
	}
	if acceptQ(r.Header.Values("Accept"), "text/csv") > acceptQ(r.Header.Values("Accept"), "application/json") {
		return "csv", nil
	}
	return "json", nil
}

// acceptQ is the quality the Accept header gives to the media type named
// exactly (wildcards do not count: they accept the default, JSON). A
// malformed quality counts as 0.
func acceptQ(header []string, media string) float64 {
	best := 0.0
	for _, h := range header {
		for _, item := range strings.Split(h, ",") {
			typ, params, err := mime.ParseMediaType(strings.TrimSpace(item))
			if err != nil || typ != media {
				continue
			}
			q := 1.0
			if v, ok := params["q"]; ok {
				if q, err = strconv.ParseFloat(v, 64); err != nil || q < 0 || q > 1 {
					q = 0
				}
			}
			best = max(best, q)
		}
	}
	return best
}

// report adapts a report handler to HTTP: the body is written as JSON or
// as CSV (text/csv; charset=utf-8, RFC 4180 line ends), an error in the
// vendor's error body.
func (h *Handler) report(fn func(r *http.Request) (csvReport, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		format, err := reportFormat(r)
		var body csvReport
		if err == nil {
			body, err = fn(r)
		}
		if err != nil {
			h.fail(w, r, err)
			return
		}
		w.Header().Set("Vary", "Accept")
		if format == "json" {
			writeJSON(w, http.StatusOK, body)
			return
		}
		var buf bytes.Buffer
		cw := csv.NewWriter(&buf)
		cw.UseCRLF = true
		body.writeCSV(cw)
		cw.Flush()
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		w.Write(buf.Bytes())
	}
}

// headcountJSON answers GET /lethe/v1/reports/headcount.
type headcountJSON struct {
	AsOf       string         `json:"asOf"`
	AudienceID string         `json:"audienceId,omitempty"`
	Headcount  int            `json:"headcount"`
	ByState    map[string]int `json:"byState"`
}

func (b headcountJSON) writeCSV(w *csv.Writer) {
	row := []string{b.AsOf, strconv.Itoa(b.Headcount)}
	head := []string{"asOf", "headcount"}
	for _, st := range lethe.AllStates {
		head, row = append(head, string(st)), append(row, strconv.Itoa(b.ByState[string(st)]))
	}
	w.Write(head)
	w.Write(row)
}

// parseHeadcountReport reads asOf (a date alone means the end of that UTC
// day; now when not given) and audienceId.
func parseHeadcountReport(q map[string][]string, now time.Time) (lethe.HeadcountFilter, error) {
	f := lethe.HeadcountFilter{AsOf: now.UTC().Truncate(time.Millisecond), AudienceID: strings.TrimSpace(first(q, "audienceId"))}
	asOf, err := queryEndTime(q, "asOf")
	if asOf != nil {
		f.AsOf = *asOf
	}
	return f, err
}

// GET /lethe/v1/reports/headcount?asOf=…&audienceId=…: the learners active
// at asOf (a date means the end of that UTC day; default now), from the
// status history, and every state's count.
func (h *Handler) headcountReport(r *http.Request) (csvReport, error) {
	f, err := parseHeadcountReport(r.URL.Query(), h.now())
	if err != nil {
		return nil, err
	}
	hc, err := h.Reports.FindHeadcount(r.Context(), f)
	if err != nil {
		return nil, err
	}
	out := headcountJSON{AsOf: formatTime(hc.AsOf), AudienceID: hc.AudienceID, Headcount: hc.Active(), ByState: map[string]int{}}
	for st, n := range hc.ByState {
		out.ByState[string(st)] = n
	}
	return out, nil
}

// complianceJSON answers GET /lethe/v1/reports/compliance.
type complianceJSON struct {
	From        string                     `json:"from"`
	To          string                     `json:"to"`
	AudienceID  *string                    `json:"audienceId"`
	Assignments []assignmentComplianceJSON `json:"assignments"`
}

type assignmentComplianceJSON struct {
	AssignmentID string              `json:"assignmentId"`
	AudienceID   string              `json:"audienceId"`
	ContentID    string              `json:"contentId"`
	Enrolments   int                 `json:"enrolments"`
	ByStatus     map[string]int      `json:"byStatus"`
	Completions  int                 `json:"completions"`
	Overdue      int                 `json:"overdue"`
	People       []complianceRowJSON `json:"people"`
}

// complianceRowJSON is one enrolment: the learner by internal id only.
type complianceRowJSON struct {
	UserID          string  `json:"userId"`
	Status          string  `json:"status"`
	LastCompletedAt *string `json:"lastCompletedAt"`
	Deleted         bool    `json:"deleted"`
}

func (b complianceJSON) writeCSV(w *csv.Writer) {
	w.Write([]string{"assignmentId", "audienceId", "userId", "status", "lastCompletedAt", "deleted"})
	for _, a := range b.Assignments {
		for _, p := range a.People {
			last := ""
			if p.LastCompletedAt != nil {
				last = *p.LastCompletedAt
			}
			w.Write([]string{a.AssignmentID, a.AudienceID, p.UserID, p.Status, last, strconv.FormatBool(p.Deleted)})
		}
	}
}

// parseComplianceReport reads the required from and to (a date alone: from
// the start of from's day to the end of to's) and audienceId.
func parseComplianceReport(q map[string][]string) (lethe.ComplianceFilter, error) {
	f := lethe.ComplianceFilter{AudienceID: strings.TrimSpace(first(q, "audienceId"))}
	from, err := queryTime(q, "from")
	if err != nil {
		return f, err
	}
	to, err := queryEndTime(q, "to")
	if err != nil {
		return f, err
	}
	if from == nil {
		return f, lethe.FieldErrorf(lethe.EInvalid, "from", "required", "from is required (a date or an ISO 8601 date-time)")
	}
	if to == nil {
		return f, lethe.FieldErrorf(lethe.EInvalid, "to", "required", "to is required (a date or an ISO 8601 date-time)")
	}
	if to.Before(*from) {
		return f, lethe.FieldErrorf(lethe.EInvalid, "to", "out_of_range", "to must not be before from")
	}
	f.From, f.To = *from, *to
	return f, nil
}

// GET /lethe/v1/reports/compliance?from=…&to=…&audienceId=…: every
// assignment as its records stood at to, with the completions of the
// period and one row per enrolment.
func (h *Handler) complianceReport(r *http.Request) (csvReport, error) {
	f, err := parseComplianceReport(r.URL.Query())
	if err != nil {
		return nil, err
	}
	rep, err := h.Reports.FindCompliance(r.Context(), f)
	if err != nil {
		return nil, err
	}
	out := complianceJSON{From: formatTime(rep.From), To: formatTime(rep.To), AudienceID: strPtr(rep.AudienceID),
		Assignments: make([]assignmentComplianceJSON, len(rep.Assignments))}
	for i, a := range rep.Assignments {
		aj := assignmentComplianceJSON{AssignmentID: a.AssignmentID, AudienceID: a.AudienceID, ContentID: a.ContentID,
			Enrolments: len(a.People), ByStatus: map[string]int{}, Completions: a.Completions, Overdue: a.Overdue,
			People: make([]complianceRowJSON, len(a.People))}
		for st, n := range a.ByStatus {
			aj.ByStatus[string(st)] = n
		}
		for j, p := range a.People {
			aj.People[j] = complianceRowJSON{UserID: string(p.LearnerID), Status: string(p.Status),
				LastCompletedAt: formatTimePtr(p.LastCompletedAt), Deleted: p.Deleted}
		}
		out.Assignments[i] = aj
	}
	return out, nil
}
