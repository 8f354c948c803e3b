package console

import (
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/lethehq/lethe"
)

// The lifecycle actions of a person's page, each behind a confirmation
// page that says what it will do: for the erasing ones, what will be erased
// and what kept (the store's preview, counted by the registry the receipt
// uses), or why the tenant's policy or the person's history refuses it.

// consoleActions are the actions a person's page offers, in its order.
var consoleActions = []lethe.BulkAction{lethe.ActionSuspend, lethe.ActionReactivate, lethe.ActionDelete,
	lethe.ActionAnonymize, lethe.ActionPurge}

// availableActions are those that apply to u now.
func availableActions(u *lethe.User) []lethe.BulkAction {
	var out []lethe.BulkAction
	for _, a := range consoleActions {
		switch {
		case a == lethe.ActionSuspend && u.State != lethe.StateActive:
		case a == lethe.ActionReactivate && u.State == lethe.StateActive:
		default:
			out = append(out, a)
		}
	}
	return out
}

// doneNotices are what a person's page says after an action (?done=).
var doneNotices = map[string]string{
	"suspend":    "Suspended: the person can no longer sign in. Their records are kept.",
	"reactivate": "Reactivated, with every record they had.",
	"delete":     "Erased. The receipt is below.",
	"scheduled":  "Suspended now; the erasure runs when the grace period ends.",
	"anonymize":  "Anonymized. The receipt is below.",
	"repeated":   "This was done already; nothing more changed.",
	"purge":      "Purged: the never-used account and everything about it are gone.",
}

type confirmView struct {
	Row      *personRow
	Action   lethe.BulkAction
	Preview  *lethe.Deletion
	Refusal  string // why the action cannot be done, and what to do instead
	EndDate  string // what was typed (suspend)
	DateErr  string
	Once     string // the form's one-time token
	Guidance string
}

// refusalGuidance is what to do instead when an erasure is refused.
const refusalGuidance = "Suspend the person to remove their access and keep everything, or anonymize the account " +
	"to keep it with random personal fields."

func (h *Handler) confirmPage(w http.ResponseWriter, r *http.Request) {
	v, u, ok := h.confirmView(w, r)
	if !ok {
		return
	}
	h.showConfirm(w, r, http.StatusOK, v, u)
}

// confirmView reads the person and action of the path; false when it
// answered already.
func (h *Handler) confirmView(w http.ResponseWriter, r *http.Request) (*confirmView, *lethe.User, bool) {
	action := lethe.BulkAction(r.PathValue("action"))
	id, ok := lethe.ParseID(r.PathValue("id"))
	if !ok || !slices.Contains(consoleActions, action) {
		h.fail(w, r, nil, http.StatusNotFound, "There is no such page.")
		return nil, nil, false
	}
	u, err := h.cfg.Users.FindUser(r.Context(), lethe.ByID(lethe.LearnerID(id)))
	if err != nil {
		h.failErr(w, r, err)
		return nil, nil, false
	}
	return &confirmView{Row: h.row(u), Action: action, Once: randomToken()}, u, true
}

// showConfirm renders the confirmation, with the preview of an erasing
// action or the reason it is refused.
func (h *Handler) showConfirm(w http.ResponseWriter, r *http.Request, status int, v *confirmView, u *lethe.User) {
	if u.Deleted() {
		v.Refusal = "This person has been erased already: their records are kept under their learner id only."
	} else if v.Action == lethe.ActionDelete || v.Action == lethe.ActionAnonymize || v.Action == lethe.ActionPurge {
		d, err := h.cfg.Users.PreviewErasure(r.Context(), lethe.ByID(u.ID), v.Action)
		switch lethe.ErrorCode(err) {
		case "":
			v.Preview = d
		case lethe.EConflict:
			v.Refusal, v.Guidance = lethe.ErrorMessage(err), refusalGuidance
			if v.Action == lethe.ActionPurge {
				v.Guidance = "Purge is only for accounts that were never used. Delete the person to erase their " +
					"personal data and keep their records, or suspend them."
			}
		default:
			h.failErr(w, r, err)
			return
		}
	}
	h.render(w, r, status, "confirm", &page{Title: "Confirm: " + string(v.Action), Data: v})
}

// act does a confirmed action once, then shows the person's page.
func (h *Handler) act(w http.ResponseWriter, r *http.Request) {
	v, u, ok := h.confirmView(w, r)
	if !ok {
		return
	}
	s := sessionFrom(r.Context())
	once := r.PostFormValue("once")
	if len(once) < 32 {
		h.fail(w, r, s, http.StatusBadRequest, "This form is incomplete. Reload the page and try again; nothing was changed.")
		return
	}
	var end *time.Time
	if v.Action == lethe.ActionSuspend {
		v.EndDate = r.PostFormValue("endDate")
		if v.EndDate != "" {
			t, err := time.Parse("2006-01-02", v.EndDate)
			if err != nil {
				v.DateErr = "Give the end date as a date, such as 2027-01-31, or leave it empty."
				h.showConfirm(w, r, http.StatusUnprocessableEntity, v, u)
				return
			}
			end = &t
		}
	}
	if !h.forms.use(s.ID, once) {
		http.Redirect(w, r, personURL(u.ID, "repeated"), http.StatusSeeOther)
		return
	}
	done, err := h.apply(r, v.Action, u, end)
	if err != nil {
		h.forms.release(s.ID, once)
		h.failErr(w, r, err)
		return
	}
	if v.Action == lethe.ActionPurge {
		http.Redirect(w, r, "/admin/people?done=purge", http.StatusSeeOther) // nothing of the person is left to show
		return
	}
	http.Redirect(w, r, personURL(u.ID, done), http.StatusSeeOther)
}

// apply runs action on u as the console account; done names the notice.
func (h *Handler) apply(r *http.Request, action lethe.BulkAction, u *lethe.User, end *time.Time) (done string, err error) {
	ctx, key := r.Context(), lethe.ByID(u.ID)
	switch action {
	case lethe.ActionSuspend:
		_, err = h.cfg.Users.SuspendUser(ctx, key, end)
	case lethe.ActionReactivate:
		_, err = h.cfg.Users.ReactivateUser(ctx, key, lethe.UserFields{})
	case lethe.ActionDelete:
		d, err := h.cfg.Users.DeleteUser(ctx, key)
		if err != nil {
			return "", err
		}
		return map[string]string{lethe.DeletionErased: "delete", lethe.DeletionScheduled: "scheduled",
			lethe.DeletionRepeated: "repeated"}[d.Outcome], nil
	case lethe.ActionAnonymize:
		_, err = h.cfg.Users.AnonymizeUser(ctx, key)
	case lethe.ActionPurge:
		err = h.cfg.Users.PurgeUser(ctx, key)
	}
	return string(action), err
}

// onceForms remembers the one-time tokens of the confirmation forms
// submitted in this process, for an hour, so a form sent twice (a double
// click, a reload) acts once.
type onceForms struct {
	mu   sync.Mutex
	used map[string]time.Time
}

func newOnceForms() *onceForms { return &onceForms{used: map[string]time.Time{}} }

// use reports whether the token is fresh, and marks it used.
func (f *onceForms) use(session, token string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	for k, t := range f.used {
		if now.Sub(t) > time.Hour {
			delete(f.used, k)
		}
	}
	k := session + " " + token
	if _, ok := f.used[k]; ok {
		return false
	}
	f.used[k] = now
	return true
}

// release forgets a token whose action failed, so the form can be sent again.
func (f *onceForms) release(session, token string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.used, session+" "+token)
}
