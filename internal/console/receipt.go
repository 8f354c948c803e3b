package console

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/lethehq/lethe"
)

// Erasure receipts: the list, each receipt with its signature and the
// erasure's check run again now, the signed JSON that `lethe erasure
// verify` accepts, and a page that checks a receipt someone hands back.

const receiptsPageSize = 50

type receiptsView struct {
	Erasures []*lethe.Erasure
	Page     int
	More     bool
}

func (h *Handler) receiptsPage(w http.ResponseWriter, r *http.Request) {
	v := &receiptsView{Page: 1}
	if p := r.URL.Query().Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 100_000 {
			h.fail(w, r, nil, http.StatusBadRequest, "The page number must be a whole number from 1.")
			return
		}
		v.Page = n
	}
	var err error
	v.Erasures, v.More, err = h.cfg.Users.FindErasures(r.Context(), (v.Page-1)*receiptsPageSize, receiptsPageSize)
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "receipts", &page{Title: "Erasure receipts", Data: v})
}

type receiptView struct {
	Erasure   *lethe.Erasure
	Receipt   *lethe.Receipt
	SignedOK  bool   // the signature checks against the server's key
	PublicKey string // base64
	Pasted    string // a receipt handed back, shown again
	Problem   string // what is wrong with a handed-back receipt
	Checked   bool   // a handed-back receipt was checked
}

// signed is the signed receipt of erasure e, as the API answers it.
func (h *Handler) signed(r *http.Request, e *lethe.Erasure) ([]byte, *lethe.Receipt, error) {
	s := sessionFrom(r.Context())
	rc := lethe.NewReceipt(s.Account.TenantID, e, h.cfg.Now())
	b, err := lethe.SignReceipt(h.cfg.SigningKey, rc)
	return b, rc, err
}

func (h *Handler) publicKey() ed25519.PublicKey { return h.cfg.SigningKey.Public().(ed25519.PublicKey) }

// pathReceipt reads the erasure of the path's {id} (FindErasure runs its
// check again) and signs its receipt now; false when it answered already.
func (h *Handler) pathReceipt(w http.ResponseWriter, r *http.Request) (*lethe.Erasure, []byte, *lethe.Receipt, bool) {
	id, ok := lethe.ParseID(r.PathValue("id"))
	if !ok {
		h.fail(w, r, nil, http.StatusNotFound, "There is no such receipt.")
		return nil, nil, nil, false
	}
	e, err := h.cfg.Users.FindErasure(r.Context(), lethe.LearnerID(id))
	if err != nil {
		h.failErr(w, r, err)
		return nil, nil, nil, false
	}
	b, rc, err := h.signed(r, e)
	if err != nil {
		h.failErr(w, r, err)
		return nil, nil, nil, false
	}
	return e, b, rc, true
}

// receiptPage shows one receipt: signed now, its signature checked, and
// the erasure's check run again.
func (h *Handler) receiptPage(w http.ResponseWriter, r *http.Request) {
	e, b, rc, ok := h.pathReceipt(w, r)
	if !ok {
		return
	}
	v := &receiptView{Erasure: e, Receipt: rc, SignedOK: lethe.VerifyReceipt(h.publicKey(), b) == nil,
		PublicKey: base64.StdEncoding.EncodeToString(h.publicKey())}
	h.render(w, r, http.StatusOK, "receipt", &page{Title: "Erasure receipt", Data: v})
}

// receiptJSON downloads the signed receipt.
func (h *Handler) receiptJSON(w http.ResponseWriter, r *http.Request) {
	e, b, _, ok := h.pathReceipt(w, r)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", `attachment; filename="erasure-receipt-`+string(e.LearnerID)+`.json"`)
	w.Write(append(b, '\n'))
}

func (h *Handler) verifyPage(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "verify", &page{Title: "Check a receipt",
		Data: &receiptView{PublicKey: base64.StdEncoding.EncodeToString(h.publicKey())}})
}

// verifyReceipt checks a receipt handed back: its signature against this
// server's key, and the erasure it names checked again now.
func (h *Handler) verifyReceipt(w http.ResponseWriter, r *http.Request) {
	v := &receiptView{Pasted: r.PostFormValue("receipt"), Checked: true, PublicKey: base64.StdEncoding.EncodeToString(h.publicKey())}
	status := http.StatusOK
	var rc lethe.Receipt
	switch {
	case strings.TrimSpace(v.Pasted) == "":
		v.Problem, status = "Paste the receipt's JSON.", http.StatusUnprocessableEntity
	case json.Unmarshal([]byte(v.Pasted), &rc) != nil:
		v.Problem, status = "This is not a receipt: it is not JSON of the receipt's form.", http.StatusUnprocessableEntity
	case lethe.VerifyReceipt(h.publicKey(), []byte(v.Pasted)) != nil:
		v.Problem = "The signature does not match: the receipt was changed after it was signed, or another server signed it."
	case rc.TenantID != string(sessionFrom(r.Context()).Account.TenantID):
		v.Problem = "The signature is this server's, but the receipt is of another organisation: it cannot be checked again here."
	default:
		v.SignedOK, v.Receipt = true, &rc
		e, err := h.cfg.Users.FindErasure(r.Context(), lethe.LearnerID(rc.UserID))
		if err != nil {
			h.failErr(w, r, err)
			return
		}
		v.Erasure = e
	}
	h.render(w, r, status, "verify", &page{Title: "Check a receipt", Data: v})
}
