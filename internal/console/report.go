package console

import (
	"bytes"
	"encoding/csv"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/lethehq/lethe"
)

// Reports: the as-of headcount and the compliance report of a period,
// through lethe.ReportService, on a GET form (dates and an audience id: no
// personal data), and each as a CSV download with the same query. They
// name learners by id only.

const dateLayout = "2006-01-02"

type reportForm struct {
	AsOf, From, To, AudienceID  string            // as typed
	Errors                      map[string]string // by field: asOf, from, to, audienceId
	Headcount                   *lethe.Headcount
	Compliance                  *lethe.ComplianceReport
	States                      []lethe.State
	Statuses                    []lethe.EnrolmentStatus
	HeadcountCSV, ComplianceCSV string // the downloads, with the form's query
}

// parseReportForm reads the form, today and a year to today by default: a
// date as of means the end of that UTC day; from, the start of its day.
func (h *Handler) parseReportForm(r *http.Request) (*reportForm, lethe.HeadcountFilter, lethe.ComplianceFilter) {
	q := r.URL.Query()
	today := h.cfg.Now().UTC()
	f := &reportForm{AsOf: strings.TrimSpace(q.Get("asOf")), From: strings.TrimSpace(q.Get("from")), To: strings.TrimSpace(q.Get("to")),
		AudienceID: strings.TrimSpace(q.Get("audienceId")), Errors: map[string]string{},
		States: lethe.AllStates, Statuses: lethe.AllEnrolmentStatuses}
	if f.AsOf == "" {
		f.AsOf = today.Format(dateLayout)
	}
	if f.To == "" {
		f.To = today.Format(dateLayout)
	}
	if f.From == "" {
		f.From = today.AddDate(-1, 0, 0).Format(dateLayout)
	}
	hf := lethe.HeadcountFilter{AsOf: f.date("asOf", f.AsOf).Add(lethe.Day - time.Millisecond), AudienceID: f.AudienceID}
	cf := lethe.ComplianceFilter{From: f.date("from", f.From), To: f.date("to", f.To).Add(lethe.Day - time.Millisecond), AudienceID: f.AudienceID}
	if f.Errors["from"] == "" && f.Errors["to"] == "" && cf.To.Before(cf.From) {
		f.Errors["to"] = "The end of the period must not be before its start."
	}
	if len(f.AudienceID) > 200 {
		f.Errors["audienceId"] = "Give an audience id or reference, or leave it empty."
	}
	qs := url.Values{"asOf": {f.AsOf}, "from": {f.From}, "to": {f.To}}
	if f.AudienceID != "" {
		qs.Set("audienceId", f.AudienceID)
	}
	f.HeadcountCSV, f.ComplianceCSV = "/admin/reports/headcount.csv?"+qs.Encode(), "/admin/reports/compliance.csv?"+qs.Encode()
	return f, hf, cf
}

// date reads a date field; a problem goes into f.Errors.
func (f *reportForm) date(field, s string) time.Time {
	t, err := time.Parse(dateLayout, s)
	if err != nil || t.Year() < 1900 || t.Year() > 9999 {
		f.Errors[field] = "Give a date such as 2026-01-31."
		return time.Time{}
	}
	return t
}

// runReports answers both reports; a field's problem goes into f.Errors.
func (h *Handler) runReports(r *http.Request, f *reportForm, hf lethe.HeadcountFilter, cf lethe.ComplianceFilter) error {
	var err error
	// The page shows one audience's compliance; the whole organisation's
	// reads every enrolment (seconds at a million people), so it is the
	// CSV download only.
	if f.Headcount, err = h.cfg.Reports.FindHeadcount(r.Context(), hf); err == nil && f.AudienceID != "" {
		f.Compliance, err = h.cfg.Reports.FindCompliance(r.Context(), cf)
	}
	if err != nil && reportFieldError(err, f) {
		return nil
	}
	return err
}

// reportFieldError puts a report's error about one of the form's fields
// (an audience that is not there) under the field; false for any other.
func reportFieldError(err error, f *reportForm) bool {
	var e *lethe.Error
	if !errors.As(err, &e) || (e.Code != lethe.ENotFound && e.Code != lethe.EInvalid) || len(e.Details) == 0 {
		return false
	}
	switch field := e.Details[0].Field; field {
	case "asOf", "from", "to", "audienceId":
		f.Errors[field] = e.Message
		f.Headcount, f.Compliance = nil, nil
		return true
	}
	return false
}

func (h *Handler) reportsPage(w http.ResponseWriter, r *http.Request) {
	f, hf, cf := h.parseReportForm(r)
	if len(f.Errors) == 0 {
		if err := h.runReports(r, f, hf, cf); err != nil {
			h.failErr(w, r, err)
			return
		}
	}
	status := http.StatusOK
	if len(f.Errors) > 0 {
		status = http.StatusUnprocessableEntity
	}
	h.render(w, r, status, "reports", &page{Title: "Reports", Data: f})
}

// reportCSV answers a report as a CSV download, or the form with its
// problems.
func (h *Handler) reportCSV(kind string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		f, hf, cf := h.parseReportForm(r)
		var err error
		if len(f.Errors) == 0 {
			if kind == "headcount" {
				f.Headcount, err = h.cfg.Reports.FindHeadcount(r.Context(), hf)
			} else {
				f.Compliance, err = h.cfg.Reports.FindCompliance(r.Context(), cf)
			}
		}
		if err != nil && !reportFieldError(err, f) {
			h.failErr(w, r, err)
			return
		}
		if len(f.Errors) > 0 {
			h.render(w, r, http.StatusUnprocessableEntity, "reports", &page{Title: "Reports", Data: f})
			return
		}
		var buf bytes.Buffer
		cw := csv.NewWriter(&buf)
		cw.UseCRLF = true
		name := "headcount-" + f.AsOf + ".csv"
		if kind == "headcount" {
			writeHeadcountCSV(cw, f.Headcount)
		} else {
			name = "compliance-" + f.From + "-to-" + f.To + ".csv"
			writeComplianceCSV(cw, f.Compliance)
		}
		cw.Flush()
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
		w.WriteHeader(http.StatusOK)
		w.Write(buf.Bytes())
	}
}
