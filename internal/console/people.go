package console

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/lethehq/lethe"
)

// peoplePageSize is how many people a list page shows.
const peoplePageSize = 50

type peopleList struct {
	People   []*personRow
	Total    int
	Status   string // the filter, "" for every status
	Statuses []lethe.Status
	Page     int // from 1
	Pages    int
	Query    string // a posted search, shown back
	Searched bool
}

// personRow is a list row: ids and lifecycle fields, and the name.
type personRow struct {
	ID        lethe.LearnerID
	Ref, Name string
	Status    lethe.Status
	LastLogin string
	EndDate   string
}

func (h *Handler) row(u *lethe.User) *personRow {
	r := &personRow{ID: u.ID, Status: lethe.StatusAt(&u.Learner, h.cfg.Now()), LastLogin: when(u.LastLoginAt), EndDate: day(u.EndDate)}
	if u.Person != nil {
		r.Ref, r.Name = u.Person.Ref, strings.TrimSpace(u.Person.FirstName+" "+u.Person.LastName)
	}
	if u.Deleted() {
		r.Name = "(erased)"
	}
	return r
}

// peoplePage lists people a page at a time, optionally of one status. The
// query string holds only the status and the page number.
func (h *Handler) peoplePage(w http.ResponseWriter, r *http.Request) {
	l := &peopleList{Statuses: lethe.AllStatuses, Page: 1}
	f := lethe.UserFilter{Limit: peoplePageSize}
	q := r.URL.Query()
	if st := q.Get("status"); st != "" {
		s, ok := lethe.ParseStatus(st)
		if !ok {
			h.fail(w, r, nil, http.StatusBadRequest, "Unknown status filter: choose one from the list.")
			return
		}
		l.Status, f.Statuses = st, []lethe.Status{s}
	}
	if p := q.Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 1_000_000 {
			h.fail(w, r, nil, http.StatusBadRequest, "The page number must be a whole number from 1.")
			return
		}
		l.Page = n
	}
	f.Offset = (l.Page - 1) * peoplePageSize
	users, total, err := h.cfg.Users.FindUsers(r.Context(), f)
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	l.Total, l.Pages = total, max(1, (total+peoplePageSize-1)/peoplePageSize)
	for _, u := range users {
		l.People = append(l.People, h.row(u))
	}
	h.render(w, r, http.StatusOK, "people", &page{Title: "People", Data: l, Notice: doneNotices[q.Get("done")]})
}

// searchPeople finds one person by learner id, ref or email. It is a POST
// so what was searched for stays out of the URL and the browser history.
func (h *Handler) searchPeople(w http.ResponseWriter, r *http.Request) {
	query := strings.TrimSpace(r.PostFormValue("q"))
	l := &peopleList{Statuses: lethe.AllStatuses, Page: 1, Pages: 1, Query: query, Searched: true}
	if query == "" {
		h.render(w, r, http.StatusUnprocessableEntity, "people", &page{Title: "People", Data: l,
			Message: "Type a learner id, a ref or an email to search for."})
		return
	}
	var found []*lethe.User
	if id, ok := lethe.ParseID(query); ok {
		if u, err := h.cfg.Users.FindUser(r.Context(), lethe.ByID(lethe.LearnerID(id))); err == nil {
			found = append(found, u)
		} else if lethe.ErrorCode(err) != lethe.ENotFound {
			h.failErr(w, r, err)
			return
		}
	}
	if u, err := h.cfg.Users.FindUser(r.Context(), lethe.ByRef(query)); err == nil {
		found = appendNew(found, u)
	} else if lethe.ErrorCode(err) != lethe.ENotFound {
		h.failErr(w, r, err)
		return
	}
	if strings.Contains(query, "@") {
		if u, err := h.cfg.Users.FindUserByEmail(r.Context(), query); err == nil {
			found = appendNew(found, u)
		} else if lethe.ErrorCode(err) != lethe.ENotFound {
			h.failErr(w, r, err)
			return
		}
	}
	for _, u := range found {
		l.People = append(l.People, h.row(u))
	}
	l.Total = len(l.People)
	h.render(w, r, http.StatusOK, "people", &page{Title: "People", Data: l})
}

func appendNew(us []*lethe.User, u *lethe.User) []*lethe.User {
	for _, v := range us {
		if v.ID == u.ID {
			return us
		}
	}
	return append(us, u)
}

type personView struct {
	Row         *personRow
	User        *lethe.User
	History     []*lethe.StatusChange
	Erasure     *lethe.Erasure
	Actions     []lethe.BulkAction
	Audiences   []string            // audience ids
	Completions []*lethe.Completion // the first personCompletions, oldest first
	More        bool                // the person has more completions than listed
	CPDMinutes  int                 // logged in the last 365 days
}

// personCompletions is how many completions a person's page lists.
const personCompletions = 50

// records reads what a person's page shows of their learning: audiences,
// the first completions and the year's CPD minutes. They are kept after
// an erasure, under the learner id (but audiences, which go with the person).
func (h *Handler) records(r *http.Request, v *personView) error {
	links, err := h.cfg.Users.FindUserLinks(r.Context(), []lethe.LearnerID{v.User.ID})
	if err != nil {
		return err
	}
	if l := links[v.User.ID]; l != nil {
		v.Audiences = l.Audiences
	}
	if v.Completions, _, err = h.cfg.Completions.FindCompletions(r.Context(),
		lethe.CompletionFilter{LearnerID: v.User.ID, Limit: personCompletions + 1}); err != nil {
		return err
	}
	if len(v.Completions) > personCompletions {
		v.Completions, v.More = v.Completions[:personCompletions], true
	}
	now := h.cfg.Now().UTC()
	sums, _, err := h.cfg.CPD.FindUserSummaries(r.Context(), lethe.CPDSummaryFilter{From: now.AddDate(-1, 0, 0), To: now,
		LearnerIDs: []lethe.LearnerID{v.User.ID}})
	for _, s := range sums {
		v.CPDMinutes += s.DurationMinutes
	}
	return err
}

// personPage shows one person by learner id: profile, status and its
// history, and for an erased person the erasure record with its check.
func (h *Handler) personPage(w http.ResponseWriter, r *http.Request) {
	id, ok := lethe.ParseID(r.PathValue("id"))
	if !ok {
		h.fail(w, r, nil, http.StatusNotFound, "There is no such person.")
		return
	}
	u, err := h.cfg.Users.FindUser(r.Context(), lethe.ByID(lethe.LearnerID(id)))
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	v := &personView{Row: h.row(u), User: u}
	if err := h.records(r, v); err != nil {
		h.failErr(w, r, err)
		return
	}
	if v.History, err = h.cfg.Users.FindStatusHistory(r.Context(), u.ID); err != nil {
		h.failErr(w, r, err)
		return
	}
	if u.Deleted() || u.AnonymizedAt != nil {
		if v.Erasure, err = h.cfg.Users.FindErasure(r.Context(), u.ID); err != nil && lethe.ErrorCode(err) != lethe.ENotFound {
			h.failErr(w, r, err)
			return
		}
	} else {
		v.Actions = availableActions(u)
	}
	h.render(w, r, http.StatusOK, "person", &page{Title: "Person", Data: v, Notice: doneNotices[r.URL.Query().Get("done")]})
}

// personURL is a person's page, with an optional notice of what was done.
func personURL(id lethe.LearnerID, done string) string {
	u := "/admin/people/" + url.PathEscape(string(id))
	if done != "" {
		u += "?done=" + url.QueryEscape(done)
	}
	return u
}

func itoa(n int) string { return strconv.Itoa(n) }
