package dotpaytest

import (
	"crypto/subtle"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
)

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// api wraps a seller API handler with HTTP Basic auth (the panel user).
func (s *Server) api(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if !ok || subtle.ConstantTimeCompare([]byte(user), []byte(s.cfg.APIUsername)) != 1 ||
			subtle.ConstantTimeCompare([]byte(pass), []byte(s.cfg.APIPassword)) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="api"`)
			writeJSON(w, http.StatusUnauthorized, map[string]string{"detail": "Invalid username/password"})
			return
		}
		h(w, r)
	}
}

// apiRoot is the seller API root the request came in at, absolute.
func (s *Server) apiRoot(r *http.Request) string {
	base := s.URL()
	if base == "" {
		base = "http://" + r.Host
	}
	if strings.HasPrefix(r.URL.Path, "/test_seller/") {
		return base + "/test_seller/api/v1/"
	}
	return base + "/s2/login/api/v1/"
}

// view renders op as the seller API does.
func (s *Server) view(root string, op *operation) map[string]any {
	var related any
	if op.Related != "" {
		related = root + "operations/" + op.Related + "/"
	}
	return map[string]any{
		"href": root + "operations/" + op.Number + "/", "number": op.Number,
		"creation_datetime": op.created.Format("2006-01-02T15:04:05.000000"),
		"type":              op.Type, "status": op.Status,
		"amount": wire(op.bookedHundredths), "currency": op.bookedCurrency,
		"original_amount": wire(op.hundredths), "original_currency": op.Amount.Currency,
		"account_id": s.cfg.ShopID, "related_operation": related, "description": op.description,
		"control": op.Control,
		"payer":   map[string]string{"first_name": op.firstName, "last_name": op.lastName, "email": op.email},
	}
}

// listOperations serves GET operations/, filtered by control, paginated
// (page, page_size from 1 to 100, default 100).
func (s *Server) listOperations(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	size, page := 100, 1
	if v := q.Get("page_size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			writeJSON(w, http.StatusBadRequest, map[string][]string{"page_size": {"Ensure this value is between 1 and 100."}})
			return
		}
		size = n
	}
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeJSON(w, http.StatusNotFound, map[string]string{"detail": "Invalid page."})
			return
		}
		page = n
	}
	root := s.apiRoot(r)
	s.mu.Lock()
	var all []map[string]any
	for i := len(s.ops) - 1; i >= 0; i-- { // newest first
		op := s.ops[i]
		if c, ok := q["control"]; ok && op.Control != c[0] {
			continue
		}
		all = append(all, s.view(root, op))
	}
	s.mu.Unlock()
	from := (page - 1) * size
	if from > len(all) || (from == len(all) && page > 1) {
		writeJSON(w, http.StatusNotFound, map[string]string{"detail": "Invalid page."})
		return
	}
	to := min(from+size, len(all))
	link := func(p int) any {
		v := q
		v.Set("page", strconv.Itoa(p))
		return root + "operations/?" + v.Encode()
	}
	var next, prev any
	if to < len(all) {
		next = link(page + 1)
	}
	if page > 1 {
		prev = link(page - 1)
	}
	results := all[from:to]
	if results == nil {
		results = []map[string]any{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"count": len(all), "next": next, "previous": prev, "results": results})
}

// getOperation serves GET operations/{number}/.
func (s *Server) getOperation(w http.ResponseWriter, r *http.Request) {
	root := s.apiRoot(r)
	s.mu.Lock()
	op, ok := s.byNumber[r.PathValue("number")]
	var v map[string]any
	if ok {
		v = s.view(root, op)
	}
	s.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"detail": "Not found."})
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// refund serves POST payments/{number}/refund/ {amount, description,
// control}, the amount a string ("4.50") or a JSON number of at most two
// decimals (4.5: Dotpay's PHP SDK sends a float): a refund of a completed
// payment, under the refund's own control
// (what the operations list filters by and its URLC carries). It ends at
// once, or Config.RefundDelay later (new until then): completed, or
// rejected after SetRefundRejected, and reported by URLC.
func (s *Server) refund(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Amount      json.RawMessage `json:"amount"`
		Description string          `json:"description"`
		Control     string          `json:"control"`
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err != nil || dec.Decode(&in) != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"detail": "JSON parse error"})
		return
	}
	h, err := parseWire(jsonAmount(in.Amount))
	if err != nil || h <= 0 {
		writeJSON(w, http.StatusBadRequest, map[string][]string{"amount": {"A valid number is required."}})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	pay, ok := s.byNumber[r.PathValue("number")]
	switch {
	case !ok || pay.Type != "payment":
		writeJSON(w, http.StatusNotFound, map[string]string{"detail": "Not found."})
		return
	case pay.Status != "completed":
		writeJSON(w, http.StatusBadRequest, map[string]string{"error_code": "PAYMENT_NOT_COMPLETED", "detail": "Only completed payments can be refunded."})
		return
	case h > pay.hundredths-pay.refunded:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error_code": "INVALID_AMOUNT", "detail": "Amount exceeds what is left to refund."})
		return
	}
	delay := s.cfg.RefundDelay
	rf := s.refundLocked(pay, h, in.Control, in.Description, delay <= 0)
	if delay <= 0 {
		s.deliverLocked(rf)
	} else {
		s.laterLocked(delay, func() {
			s.settleRefundLocked(rf)
			s.deliverLocked(rf)
		})
	}
	writeJSON(w, http.StatusOK, map[string]string{"detail": "ok"})
}

// jsonAmount is the text of a refund's amount: a JSON string's content, or
// a JSON number as written ("" for anything else, which parseWire refuses).
func jsonAmount(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// account renders the shop as the seller API's accounts/ do, with the
// fields Dotpay's PHP SDK reads (Resource\Seller::getAccount): its
// checkPin compares config.pin with the shop's PIN. The panel holds no
// URLC (each form names its urlc) and does not block them; mcc_code is a
// placeholder (5999, miscellaneous retail).
func (s *Server) account(root string) map[string]any {
	var id any = s.cfg.ShopID
	if n, err := strconv.Atoi(s.cfg.ShopID); err == nil {
		id = n
	}
	return map[string]any{
		"href": root + "accounts/" + s.cfg.ShopID + "/", "id": id, "status": "active", "name": s.cfg.ShopName,
		"mcc_code": "5999", "config": map[string]any{"urlc": "", "block_external_urlc": false, "pin": s.cfg.PIN},
	}
}

// listAccounts serves GET accounts/: the one simulated shop.
func (s *Server) listAccounts(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"count": 1, "next": nil, "previous": nil,
		"results": []any{s.account(s.apiRoot(r))}})
}

// getAccount serves GET accounts/{id}/.
func (s *Server) getAccount(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("id") != s.cfg.ShopID {
		writeJSON(w, http.StatusNotFound, map[string]string{"detail": "Not found."})
		return
	}
	writeJSON(w, http.StatusOK, s.account(s.apiRoot(r)))
}
