package console

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/lethehq/lethe"
)

// Dormant-account audits: the rules, run as a preview (a job in state
// preview that changes nothing), reviewed on the job page, rows excluded,
// then applied; and the tenant's scheduled audit with its reports.

type auditForm struct {
	NeverDays, InactiveDays string
	EndDatePassed           bool
	ExcludeAdmins           bool
	ExcludeAudiences        string
	Errors                  map[string]string // by field: neverLoggedInDays, inactiveDays, rules, exclude
	Schedule                *lethe.ScheduledAudit
	Reports                 []*lethe.Job
}

func (h *Handler) auditPage(w http.ResponseWriter, r *http.Request) {
	f := &auditForm{NeverDays: "90", ExcludeAdmins: true, Errors: map[string]string{}}
	if !h.auditContext(w, r, f) {
		return
	}
	h.render(w, r, http.StatusOK, "audit", &page{Title: "Dormant accounts", Data: f})
}

// auditContext adds the schedule and the latest audits to the form.
func (h *Handler) auditContext(w http.ResponseWriter, r *http.Request, f *auditForm) bool {
	s, err := h.cfg.Settings.FindSettings(r.Context())
	if err == nil {
		f.Schedule = s.DormantAudit
		f.Reports, _, err = h.cfg.Jobs.FindJobs(r.Context(), lethe.JobFilter{Kind: "dormant", Limit: 20})
	}
	if err != nil {
		h.failErr(w, r, err)
		return false
	}
	return true
}

// runAudit previews the rules and shows the preview's job page.
func (h *Handler) runAudit(w http.ResponseWriter, r *http.Request) {
	f := &auditForm{NeverDays: strings.TrimSpace(r.PostFormValue("neverLoggedInDays")),
		InactiveDays: strings.TrimSpace(r.PostFormValue("inactiveDays")), EndDatePassed: r.PostFormValue("endDatePassed") != "",
		ExcludeAdmins: r.PostFormValue("excludeAdmins") != "", ExcludeAudiences: strings.TrimSpace(r.PostFormValue("excludeAudiences")),
		Errors: map[string]string{}}
	rules := lethe.DormantRules{EndDatePassed: f.EndDatePassed}
	rules.NeverLoggedInDays = days(f.NeverDays, "neverLoggedInDays", f.Errors)
	rules.InactiveDays = days(f.InactiveDays, "inactiveDays", f.Errors)
	if f.ExcludeAdmins {
		rules.ExcludeRoles = []lethe.Role{lethe.RoleAdministrator, lethe.RoleLearnerAdmin}
	}
	for _, a := range strings.FieldsFunc(f.ExcludeAudiences, func(r rune) bool { return r == ',' || r == '\n' }) {
		if a = strings.TrimSpace(a); a != "" {
			rules.ExcludeAudiences = append(rules.ExcludeAudiences, a)
		}
	}
	if len(f.Errors) == 0 {
		j, err := h.cfg.Jobs.PreviewDormant(r.Context(), rules)
		if err == nil {
			http.Redirect(w, r, "/admin/jobs/"+j.ID, http.StatusSeeOther)
			return
		}
		if !fieldErrors(err, f.Errors) {
			h.failErr(w, r, err)
			return
		}
	}
	if !h.auditContext(w, r, f) {
		return
	}
	h.render(w, r, http.StatusUnprocessableEntity, "audit", &page{Title: "Dormant accounts", Data: f})
}

// days reads a number of days, "" for no rule; a problem goes into errs.
func days(s, field string, errs map[string]string) *int {
	if s == "" {
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > lethe.MaxPeriodDays {
		errs[field] = "Give a whole number of days from 0 to " + strconv.Itoa(lethe.MaxPeriodDays) + ", or leave it empty."
		return nil
	}
	return &n
}

// fieldErrors puts an EInvalid error's message under its field (the
// form's name for it); false when err is not a field error.
func fieldErrors(err error, errs map[string]string) bool {
	var e *lethe.Error
	if !errors.As(err, &e) || e.Code != lethe.EInvalid || len(e.Details) == 0 {
		return false
	}
	field := e.Details[0].Field
	if strings.HasPrefix(field, "exclude") {
		field = "exclude"
	}
	errs[field] = e.Message
	return true
}

// applyAudit queues a preview: its rows not excluded, each checked again.
func (h *Handler) applyAudit(w http.ResponseWriter, r *http.Request) {
	s := sessionFrom(r.Context())
	once := r.PostFormValue("once")
	if len(once) < 32 || !h.forms.use(s.ID, once) {
		http.Redirect(w, r, "/admin/jobs/"+r.PathValue("id"), http.StatusSeeOther)
		return
	}
	j, err := h.cfg.Jobs.ApplyJob(r.Context(), r.PathValue("id"))
	if err != nil {
		h.forms.release(s.ID, once)
		h.failErr(w, r, err)
		return
	}
	h.wake()
	http.Redirect(w, r, "/admin/jobs/"+j.ID, http.StatusSeeOther)
}

// excludeRows takes the checked rows out of a preview.
func (h *Handler) excludeRows(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, nil, http.StatusBadRequest, "The form could not be read.")
		return
	}
	var ids []lethe.LearnerID
	for _, v := range r.PostForm["userId"] {
		ids = append(ids, lethe.LearnerID(v))
	}
	id := r.PathValue("id")
	if len(ids) == 0 {
		h.fail(w, r, nil, http.StatusUnprocessableEntity, "Tick the rows to exclude first.")
		return
	}
	if _, err := h.cfg.Jobs.ExcludeJobItems(r.Context(), id, ids); err != nil {
		h.failErr(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/jobs/"+id+"?done=excluded", http.StatusSeeOther)
}
