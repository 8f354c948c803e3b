package console

import (
	"crypto/subtle"
	"encoding/csv"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/lethehq/lethe"
)

// Bulk actions from a CSV: the upload is run first as a dry run (a durable
// job that changes nothing), whose page shows what each row would do; the
// real job is then made from the dry run's learner ids only, so the CSV's
// emails and refs are never kept, and rows that named nobody act on no one.

// csvLimit bounds an uploaded CSV: 64 bytes a row, for the most rows a job may have.
const csvLimit = 64 << 20

// previewRows is how many rows a job page lists; the results CSV has them all.
const previewRows = 200

type bulkForm struct {
	Actions            []lethe.BulkAction
	Action, EndDate    string
	ActionErr, FileErr string
	DateErr            string
}

func (h *Handler) bulkPage(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "bulk", &page{Title: "Bulk action", Data: &bulkForm{Actions: consoleActions}})
}

// upload reads the bulk form (multipart: action, endDate, file) and starts
// its dry run.
func (h *Handler) upload(w http.ResponseWriter, r *http.Request) {
	f := &bulkForm{Actions: consoleActions}
	text, err := readBulkForm(r, f)
	if err == nil && f.ActionErr == "" && f.FileErr == "" && f.DateErr == "" {
		var end *time.Time
		if f.EndDate != "" {
			t, _ := time.Parse("2006-01-02", f.EndDate)
			end = &t
		}
		var j *lethe.Job
		j, err = h.cfg.Jobs.CreateJob(r.Context(), lethe.NewJob{Action: lethe.BulkAction(f.Action), EndDate: end, DryRun: true,
			Selector: lethe.JobSelector{CSV: &text}})
		if err == nil {
			h.wake()
			http.Redirect(w, r, "/admin/jobs/"+j.ID, http.StatusSeeOther)
			return
		}
		if lethe.ErrorCode(err) == lethe.EInvalid || lethe.ErrorCode(err) == lethe.EBadRequest {
			f.FileErr, err = lethe.ErrorMessage(err), nil
		}
	}
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	h.render(w, r, http.StatusUnprocessableEntity, "bulk", &page{Title: "Bulk action", Data: f})
}

// readBulkForm reads the form's parts in order; the CSV is read once, up
// to csvLimit. Field problems go into f; err is for what cannot be read.
func readBulkForm(r *http.Request, f *bulkForm) (string, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return "", errForm
	}
	if err := csrfPart(mr, sessionFrom(r.Context())); err != nil {
		return "", err
	}
	var text string
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", lethe.Errorf(lethe.EBadRequest, "The upload could not be read.")
		}
		switch p.FormName() {
		case "action":
			b, _ := io.ReadAll(io.LimitReader(p, 64))
			f.Action = string(b)
		case "endDate":
			b, _ := io.ReadAll(io.LimitReader(p, 64))
			f.EndDate = strings.TrimSpace(string(b))
		case "file":
			b, err := io.ReadAll(io.LimitReader(p, csvLimit+1))
			if err != nil {
				return "", lethe.Errorf(lethe.EBadRequest, "The upload could not be read.")
			}
			if len(b) > csvLimit {
				f.FileErr = "The file is over 64 MiB: split it, or use the API's jobs."
			}
			text = string(b)
		}
	}
	switch {
	case !isConsoleAction(f.Action):
		f.ActionErr = "Choose an action."
	case f.EndDate != "" && f.Action != string(lethe.ActionSuspend):
		f.DateErr = "Only a suspension takes an end date."
	}
	if f.EndDate != "" {
		if _, err := time.Parse("2006-01-02", f.EndDate); err != nil {
			f.DateErr = "Give the end date as a date, such as 2027-01-31, or leave it empty."
		}
	}
	if f.FileErr == "" && strings.TrimSpace(text) == "" {
		f.FileErr = "Choose a CSV file with an id, ref or email column."
	}
	return text, nil
}

// errForm is a form that did not come whole from the console's page.
var errForm = lethe.Errorf(lethe.EForbidden, "This form has expired or did not come from the console. Reload the page and try again; nothing was changed.")

// csrfPart checks that a multipart form's first part is the session's CSRF token.
func csrfPart(mr *multipart.Reader, s *lethe.ConsoleSession) error {
	p, err := mr.NextPart()
	if err != nil || p.FormName() != "csrf" {
		return errForm
	}
	b, _ := io.ReadAll(io.LimitReader(p, 256))
	if s == nil || subtle.ConstantTimeCompare(b, []byte(s.CSRFToken)) != 1 {
		return errForm
	}
	return nil
}

func isConsoleAction(a string) bool {
	for _, c := range consoleActions {
		if string(c) == a {
			return true
		}
	}
	return false
}

// wake tells the job runner there is work, when one listens.
func (h *Handler) wake() {
	if h.cfg.JobsQueued != nil {
		select {
		case h.cfg.JobsQueued <- struct{}{}:
		default:
		}
	}
}

type jobView struct {
	Job     *lethe.Job
	Rows    []lethe.ItemResult
	People  map[lethe.LearnerID]*personRow // the rows' people, for the reviewer: read live, never kept in the job
	From    int                            // the first row listed (0-based), a multiple of previewRows
	More    bool                           // more rows after those listed
	Once    string
	Percent int
}

// jobPage shows a job: its state and progress (the page reloads itself
// while the job runs), its outcomes, its first rows, and for a finished dry
// run the button that runs it for real.
func (h *Handler) jobPage(w http.ResponseWriter, r *http.Request) {
	j, err := h.cfg.Jobs.FindJob(r.Context(), r.PathValue("id"))
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	v := &jobView{Job: j, Once: randomToken()}
	if j.Total > 0 {
		v.Percent = j.Processed * 100 / j.Total
	}
	if f := r.URL.Query().Get("from"); f != "" {
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 || n%previewRows != 0 {
			h.fail(w, r, nil, http.StatusBadRequest, "The rows to show must start at a multiple of 200.")
			return
		}
		v.From = n
	}
	if j.Finished() || j.State == lethe.JobPreview {
		seen := 0
		err = h.cfg.Jobs.EachJobItem(r.Context(), j.ID, func(it lethe.ItemResult) error {
			if seen++; seen <= v.From {
				return nil
			}
			if len(v.Rows) == previewRows {
				v.More = true
				return errEnough
			}
			v.Rows = append(v.Rows, it)
			return nil
		})
		if err != nil && !errors.Is(err, errEnough) {
			h.failErr(w, r, err)
			return
		}
		if v.People, err = h.people(r, v.Rows); err != nil {
			h.failErr(w, r, err)
			return
		}
	}
	p := &page{Title: "Job", Data: v, Notice: map[string]string{"excluded": "Excluded: applying the audit leaves them alone."}[r.URL.Query().Get("done")]}
	if !j.Finished() && j.State != lethe.JobPreview {
		p.Refresh = 2
	}
	h.render(w, r, http.StatusOK, "job", p)
}

var errEnough = errors.New("enough rows")

// people reads the people a page of rows names (a purged or erased one
// has no entry, or no name).
func (h *Handler) people(r *http.Request, rows []lethe.ItemResult) (map[lethe.LearnerID]*personRow, error) {
	out := map[lethe.LearnerID]*personRow{}
	for _, it := range rows {
		if it.UserID == "" || out[it.UserID] != nil {
			continue
		}
		u, err := h.cfg.Users.FindUser(r.Context(), lethe.ByID(it.UserID))
		switch {
		case err == nil:
			out[it.UserID] = h.row(u)
		case lethe.ErrorCode(err) != lethe.ENotFound:
			return nil, err
		}
	}
	return out, nil
}

// runJob makes the real job of a finished dry run, from its learner ids.
func (h *Handler) runJob(w http.ResponseWriter, r *http.Request) {
	s := sessionFrom(r.Context())
	dry, err := h.cfg.Jobs.FindJob(r.Context(), r.PathValue("id"))
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	if !dry.DryRun || dry.State != lethe.JobSucceeded {
		h.fail(w, r, s, http.StatusConflict, "Only a finished dry run can be run for real.")
		return
	}
	once := r.PostFormValue("once")
	if len(once) < 32 || !h.forms.use(s.ID, once) {
		http.Redirect(w, r, "/admin/jobs", http.StatusSeeOther)
		return
	}
	var ids strings.Builder
	ids.WriteString("id\n")
	n := 0
	err = h.cfg.Jobs.EachJobItem(r.Context(), dry.ID, func(it lethe.ItemResult) error {
		if it.UserID != "" { // a row that named nobody acts on no one

			ids.WriteString(string(it.UserID) + "\n")
			n++
		}
		return nil
	})
	if err == nil && n == 0 {
		h.forms.release(s.ID, once)
		h.fail(w, r, s, http.StatusUnprocessableEntity, "No row of the dry run named a person: there is nothing to run.")
		return
	}
	var j *lethe.Job
	if err == nil {
		text := ids.String()
		j, err = h.cfg.Jobs.CreateJob(r.Context(), lethe.NewJob{Action: dry.Action, EndDate: dry.EndDate, Selector: lethe.JobSelector{CSV: &text}})
	}
	if err != nil {
		h.forms.release(s.ID, once)
		h.failErr(w, r, err)
		return
	}
	h.wake()
	http.Redirect(w, r, "/admin/jobs/"+j.ID, http.StatusSeeOther)
}

// jobResults streams a finished job's results: one CSV line per row, ids only.
func (h *Handler) jobResults(w http.ResponseWriter, r *http.Request) {
	j, err := h.cfg.Jobs.FindJob(r.Context(), r.PathValue("id"))
	if err == nil && !j.Finished() && j.State != lethe.JobPreview {
		err = lethe.Errorf(lethe.EConflict, "The job is %s; its results are ready when it finishes.", j.State)
	}
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="job-`+j.ID+`-results.csv"`)
	cw := csv.NewWriter(w)
	cw.Write([]string{"line", "userId", "action", "outcome", "reason"})
	err = h.cfg.Jobs.EachJobItem(r.Context(), j.ID, func(it lethe.ItemResult) error {
		return cw.Write([]string{strconv.Itoa(it.Index), string(it.UserID), string(it.Action), it.Outcome, it.Reason})
	})
	cw.Flush()
	if err != nil {
		h.cfg.Logger.ErrorContext(r.Context(), "job results cut short", "request_id", r.Header.Get("X-Request-Id"), "error", err.Error())
		panic(http.ErrAbortHandler) // the client sees a cut download, not a complete-looking file
	}
}

type jobsView struct{ Jobs []*lethe.Job }

func (h *Handler) jobsPage(w http.ResponseWriter, r *http.Request) {
	jobs, _, err := h.cfg.Jobs.FindJobs(r.Context(), lethe.JobFilter{Limit: 50})
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "jobs", &page{Title: "Jobs", Data: &jobsView{Jobs: jobs}})
}
