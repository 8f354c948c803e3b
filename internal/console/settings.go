package console

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/lethehq/lethe"
)

// Settings and integrations (admins only): the deletion policy with its
// consequences, the API key, SCIM tokens, OAuth clients and event
// subscriptions with their deliveries. A new secret is shown once, on the
// page that made it, never in a URL.

type settingsView struct {
	Settings *lethe.Settings
	Mode     string // the form's values, as typed
	Grace    string
	Errors   map[string]string
	Tokens   []*lethe.SCIMToken
	Clients  []*lethe.OAuthClient
	Subs     []*lethe.Subscription
	Scopes   []string
	Secret   string // a secret just made, shown once
	SecretOf string // what it is for
}

// settingsView reads everything the settings page shows.
func (h *Handler) settingsView(r *http.Request) (*settingsView, error) {
	v := &settingsView{Errors: map[string]string{}, Scopes: lethe.OAuthScopes}
	var err error
	if v.Settings, err = h.cfg.Settings.FindSettings(r.Context()); err != nil {
		return nil, err
	}
	v.Mode, v.Grace = v.Settings.Deletion.Mode, strconv.Itoa(v.Settings.Deletion.GraceDays)
	if v.Tokens, err = h.cfg.SCIMTokens.FindSCIMTokens(r.Context()); err != nil {
		return nil, err
	}
	if v.Clients, err = h.cfg.OAuth.FindOAuthClients(r.Context()); err != nil {
		return nil, err
	}
	v.Subs, err = h.cfg.Webhooks.ListSubscriptions(r.Context())
	return v, err
}

func (h *Handler) showSettings(w http.ResponseWriter, r *http.Request, status int, edit func(*settingsView)) {
	v, err := h.settingsView(r)
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	if edit != nil {
		edit(v)
	}
	h.render(w, r, status, "settings", &page{Title: "Settings", Data: v,
		Notice: map[string]string{"policy": "The deletion policy is saved.", "revoked": "Revoked: it no longer works."}[r.URL.Query().Get("done")]})
}

func (h *Handler) settingsPage(w http.ResponseWriter, r *http.Request) {
	h.showSettings(w, r, http.StatusOK, nil)
}

// savePolicy updates the deletion mode and grace period.
func (h *Handler) savePolicy(w http.ResponseWriter, r *http.Request) {
	mode, grace := r.PostFormValue("mode"), strings.TrimSpace(r.PostFormValue("graceDays"))
	u := lethe.SettingsUpdate{DeletionMode: &mode}
	n, err := strconv.Atoi(grace)
	if err != nil {
		h.showSettings(w, r, http.StatusUnprocessableEntity, func(v *settingsView) {
			v.Mode, v.Grace, v.Errors["graceDays"] = mode, grace, "Give the grace period as a whole number of days (0: erase at once)."
		})
		return
	}
	u.GraceDays = &n
	if _, err := h.cfg.Settings.UpdateSettings(r.Context(), u); err != nil {
		errs := map[string]string{}
		if !fieldErrors(err, errs) {
			h.failErr(w, r, err)
			return
		}
		h.showSettings(w, r, http.StatusUnprocessableEntity, func(v *settingsView) { v.Mode, v.Grace, v.Errors = mode, grace, errs })
		return
	}
	http.Redirect(w, r, "/admin/settings?done=policy", http.StatusSeeOther)
}

// rotateKey replaces the tenant's API key and shows the new one, once.
func (h *Handler) rotateKey(w http.ResponseWriter, r *http.Request) {
	key, err := h.cfg.Tenants.RotateTenantKey(r.Context(), sessionFrom(r.Context()).Account.TenantID)
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	h.showSettings(w, r, http.StatusOK, func(v *settingsView) { v.Secret, v.SecretOf = key, "The new API key" })
}

// createToken makes a SCIM token and shows its secret, once.
func (h *Handler) createToken(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimSpace(r.PostFormValue("name"))
	_, secret, err := h.cfg.SCIMTokens.CreateSCIMToken(r.Context(), name)
	if err != nil {
		h.settingsFieldError(w, r, err, "scimName")
		return
	}
	h.showSettings(w, r, http.StatusOK, func(v *settingsView) { v.Secret, v.SecretOf = secret, "The SCIM token "+name })
}

// createClient makes an OAuth client and shows its secret, once.
func (h *Handler) createClient(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, nil, http.StatusBadRequest, "The form could not be read.")
		return
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	c, secret, err := h.cfg.OAuth.CreateOAuthClient(r.Context(), name, r.PostForm["scope"])
	if err != nil {
		h.settingsFieldError(w, r, err, "client")
		return
	}
	h.showSettings(w, r, http.StatusOK, func(v *settingsView) { v.Secret, v.SecretOf = secret, "The secret of OAuth client "+c.ID })
}

// settingsFieldError shows a form's EInvalid error next to field.
func (h *Handler) settingsFieldError(w http.ResponseWriter, r *http.Request, err error, field string) {
	if lethe.ErrorCode(err) != lethe.EInvalid {
		h.failErr(w, r, err)
		return
	}
	h.showSettings(w, r, http.StatusUnprocessableEntity, func(v *settingsView) { v.Errors[field] = lethe.ErrorMessage(err) })
}

// revoke revokes a SCIM token or an OAuth client.
func (h *Handler) revoke(w http.ResponseWriter, r *http.Request) {
	var err error
	switch r.PathValue("kind") {
	case "scim-tokens":
		err = h.cfg.SCIMTokens.RevokeSCIMToken(r.Context(), r.PathValue("id"))
	case "oauth-clients":
		err = h.cfg.OAuth.RevokeOAuthClient(r.Context(), r.PathValue("id"))
	default:
		h.fail(w, r, nil, http.StatusNotFound, "There is no such page.")
		return
	}
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/settings?done=revoked", http.StatusSeeOther)
}

type webhookView struct {
	Sub        *lethe.Subscription
	Deliveries []*lethe.Delivery
	Attempts   map[string][]*lethe.DeliveryAttempt // of the failed deliveries shown
	Total      int
}

// webhookPage shows a subscription's latest deliveries, the failed ones
// with their attempts and a redeliver button.
func (h *Handler) webhookPage(w http.ResponseWriter, r *http.Request) {
	sub, err := h.cfg.Webhooks.FindSubscription(r.Context(), r.PathValue("id"))
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	v := &webhookView{Sub: sub, Attempts: map[string][]*lethe.DeliveryAttempt{}}
	if v.Deliveries, v.Total, err = h.cfg.Webhooks.FindDeliveries(r.Context(), lethe.DeliveryQuery{SubscriptionID: sub.ID, Limit: 50}); err != nil {
		h.failErr(w, r, err)
		return
	}
	for _, d := range v.Deliveries {
		if d.State != "delivered" && d.Attempts > 0 {
			if v.Attempts[d.ID], err = h.cfg.Webhooks.FindAttempts(r.Context(), d.ID); err != nil {
				h.failErr(w, r, err)
				return
			}
		}
	}
	notice := ""
	switch n := r.URL.Query().Get("redelivered"); n {
	case "":
	case "0":
		notice = "Nothing was queued again: that event has no failed delivery here."
	default:
		notice = "Queued again: " + n + " delivery; it is sent at once."
	}
	h.render(w, r, http.StatusOK, "webhook", &page{Title: "Event subscription", Data: v, Notice: notice})
}

func (h *Handler) redeliver(w http.ResponseWriter, r *http.Request) {
	sub := r.PathValue("id")
	n, err := h.cfg.Webhooks.Redeliver(r.Context(), r.PostFormValue("event"), sub)
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/settings/webhooks/"+sub+"?redelivered="+strconv.Itoa(n), http.StatusSeeOther)
}
