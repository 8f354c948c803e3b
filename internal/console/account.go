package console

import (
	"net/http"
	"strings"

	"github.com/lethehq/lethe"
)

// The account page: who is signed in, and the TOTP second factor.

type accountView struct {
	Secret, URL string // a started enrolment
	CodeErr     string
}

func (h *Handler) accountPage(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "account", &page{Title: "Your account", Data: &accountView{},
		Notice: map[string]string{"totp": "Your authenticator app is set up: sign-in now asks for its code."}[r.URL.Query().Get("done")]})
}

// startTOTP makes a new secret, not yet in force, and shows it.
func (h *Handler) startTOTP(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		h.fail(w, r, nil, http.StatusUnauthorized, "Your session has ended. Sign in again.")
		return
	}
	secret, url, err := h.cfg.Accounts.StartConsoleTOTP(r.Context(), c.Value)
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "account", &page{Title: "Your account", Data: &accountView{Secret: secret, URL: url}})
}

// confirmTOTP puts the started secret in force when the code is right.
func (h *Handler) confirmTOTP(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		h.fail(w, r, nil, http.StatusUnauthorized, "Your session has ended. Sign in again.")
		return
	}
	v := &accountView{Secret: r.PostFormValue("secret"), URL: r.PostFormValue("url")}
	if err := h.cfg.Accounts.ConfirmConsoleTOTP(r.Context(), c.Value, strings.TrimSpace(r.PostFormValue("code"))); err != nil {
		if lethe.ErrorCode(err) != lethe.EInvalid {
			h.failErr(w, r, err)
			return
		}
		v.CodeErr = lethe.ErrorMessage(err)
		h.render(w, r, http.StatusUnprocessableEntity, "account", &page{Title: "Your account", Data: v})
		return
	}
	http.Redirect(w, r, "/admin/account?done=totp", http.StatusSeeOther)
}
