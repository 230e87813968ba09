package tpaytest

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/tpay"
	"github.com/getpaid-go/getpaid/internal/edge"
	"github.com/getpaid-go/getpaid/internal/tpaynotify"
)

// Handler serves the API, the certificates and the payment page.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/auth", s.down.Outage(s.oauth))
	mux.HandleFunc("POST /transactions", s.down.Outage(s.authed(s.create)))
	mux.HandleFunc("GET /transactions/{id}", s.down.Outage(s.authed(s.get)))
	mux.HandleFunc("POST /transactions/{id}/cancel", s.down.Outage(s.authed(s.ops.Operation(s.cancel))))
	mux.HandleFunc("POST /transactions/{id}/refunds", s.down.Outage(s.authed(s.ops.Operation(s.refund))))
	mux.HandleFunc("GET /transactions/{id}/refunds", s.down.Outage(s.authed(s.listRefunds)))
	mux.HandleFunc("GET /x509/{file}", s.cert)
	forms := edge.NewLimiter(edge.LimiterConfig{})
	mux.Handle("GET /pay/{id}", edge.Page(http.HandlerFunc(s.page)))
	mux.Handle("POST /pay/{id}", edge.FormPage(forms, edge.DefaultFormBytes, http.HandlerFunc(s.choose)))
	return mux
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// failed is Tpay's error answer.
func failed(code, msg, field string) map[string]any {
	e := map[string]any{"errorCode": code, "errorMessage": msg}
	if field != "" {
		e["fieldName"] = field
	}
	return map[string]any{"result": "failed", "requestId": randomHex(10), "errors": []any{e}}
}

// oauth grants a Bearer token for the account's client_id and client_secret,
// sent form-encoded (as Tpay documents), as JSON (as its PHP SDK does) or
// as HTTP Basic (as its Postman collection does).
func (s *Server) oauth(w http.ResponseWriter, r *http.Request) {
	var id, secret string
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "application/json" {
		var v struct {
			ClientID     string `json:"client_id"`
			ClientSecret string `json:"client_secret"`
		}
		_ = json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&v)
		id, secret = v.ClientID, v.ClientSecret
	} else {
		id, secret = r.PostFormValue("client_id"), r.PostFormValue("client_secret")
	}
	if u, p, ok := r.BasicAuth(); ok && id == "" && secret == "" {
		id, secret = u, p // HTTP Basic, as Tpay's Postman collection asks for a token
	}
	if id != s.cfg.ClientID || subtle.ConstantTimeCompare([]byte(secret), []byte(s.cfg.ClientSecret)) != 1 {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client", "error_description": "Client credentials are invalid"})
		return
	}
	tok := randomHex(20)
	now := time.Now()
	s.mu.Lock()
	s.tokens[tok] = now.Add(s.cfg.TokenTTL)
	s.tokenCount++
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"issued_at": now.Unix(), "scope": "read", "token_type": "Bearer",
		"expires_in": int64(s.cfg.TokenTTL / time.Second), "client_id": s.cfg.ClientID, "access_token": tok,
	})
}

// authed requires a valid Bearer token.
func (s *Server) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.mu.Lock()
		exp, known := s.tokens[tok]
		s.mu.Unlock()
		if !ok || !known || time.Now().After(exp) {
			writeJSON(w, http.StatusUnauthorized, failed("unauthorized", "Invalid or expired access token", ""))
			return
		}
		h(w, r)
	}
}

// createRequest is what POST /transactions reads.
type createRequest struct {
	Amount            tpay.Amount `json:"amount"`
	Currency          string      `json:"currency"`
	Description       string      `json:"description"`
	HiddenDescription string      `json:"hiddenDescription"`
	Lang              string      `json:"lang"`
	Payer             struct {
		Email string `json:"email"`
		Name  string `json:"name"`
		Phone string `json:"phone"`
	} `json:"payer"`
	Callbacks struct {
		PayerURLs struct {
			Success string `json:"success"`
			Error   string `json:"error"`
		} `json:"payerUrls"`
		Notification struct {
			URL string `json:"url"`
		} `json:"notification"`
	} `json:"callbacks"`
}

func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	var in createRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	if err := dec.Decode(&in); err != nil {
		writeJSON(w, http.StatusBadRequest, failed("invalid_json", "Request body is not valid JSON: "+err.Error(), ""))
		return
	}
	cur := in.Currency
	if cur == "" {
		cur = s.cfg.Currency
	}
	if cur != s.cfg.Currency {
		writeJSON(w, http.StatusBadRequest, failed("field_value_invalid", "Currency not available for this account", "currency"))
		return
	}
	amount, err := in.Amount.Money(cur)
	switch {
	case err != nil || amount.Minor < 1:
		writeJSON(w, http.StatusBadRequest, failed("field_value_invalid", "Amount must be a number of at least 0.01 with up to 2 decimal places", "amount"))
		return
	case strings.TrimSpace(in.Description) == "" || len([]rune(in.Description)) > 128:
		writeJSON(w, http.StatusBadRequest, failed("field_value_invalid", "Description is required (up to 128 characters)", "description"))
		return
	case in.Payer.Email == "" || !strings.Contains(in.Payer.Email, "@"):
		writeJSON(w, http.StatusBadRequest, failed("field_value_invalid", "Payer email is required", "payer.email"))
		return
	case strings.TrimSpace(in.Payer.Name) == "":
		writeJSON(w, http.StatusBadRequest, failed("field_value_invalid", "Payer name is required", "payer.name"))
		return
	case len([]rune(in.Payer.Phone)) > 30:
		writeJSON(w, http.StatusBadRequest, failed("field_value_invalid", "Payer phone is longer than 30 characters", "payer.phone"))
		return
	case in.Lang != "" && !slices.Contains([]string{"en", "pl", "de", "fr", "ru", "it", "es"}, in.Lang):
		writeJSON(w, http.StatusBadRequest, failed("field_value_invalid", "Language not supported", "lang"))
		return
	}
	for _, u := range []string{in.Callbacks.Notification.URL, in.Callbacks.PayerURLs.Success, in.Callbacks.PayerURLs.Error} {
		if p, err := url.Parse(u); u != "" && (err != nil || p.Host == "") {
			writeJSON(w, http.StatusBadRequest, failed("field_value_invalid", "Callback URL is not absolute: "+u, "callbacks"))
			return
		}
	}
	s.mu.Lock()
	t := &transaction{
		ID: "ta_" + randomHex(8), Title: s.newTitleLocked(), Status: tpay.StatusPending, CRC: in.HiddenDescription,
		Amount: amount, Description: in.Description, Lang: in.Lang, Email: in.Payer.Email, Name: in.Payer.Name,
		SuccessURL: in.Callbacks.PayerURLs.Success, ErrorURL: in.Callbacks.PayerURLs.Error,
		NotifyURL: in.Callbacks.Notification.URL, Created: time.Now(),
	}
	s.byID[t.ID] = t
	if t.CRC != "" {
		s.byCRC[t.CRC] = t
	}
	view := s.viewLocked(t)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, view)
}

// viewLocked renders a transaction like Tpay; s.mu is held.
func (s *Server) viewLocked(t *transaction) map[string]any {
	realized := any(nil)
	if !t.Realized.IsZero() {
		realized = t.Realized.Format("2006-01-02 15:04:05")
	}
	paymentStatus := "pending"
	if t.Paid > 0 {
		paymentStatus = t.Status
	}
	return map[string]any{
		"result": "success", "requestId": randomHex(10), "transactionId": t.ID, "title": t.Title,
		"posId": "ps_simulator", "status": t.Status,
		"date":   map[string]any{"creation": t.Created.Format("2006-01-02 15:04:05"), "realization": realized},
		"amount": json.RawMessage(t.Amount.Decimal()), "currency": t.Amount.Currency,
		"description": t.Description, "hiddenDescription": t.CRC,
		"payer": map[string]any{"payerId": "py_simulator", "email": t.Email, "name": t.Name},
		"payments": map[string]any{"status": paymentStatus, "method": nil,
			"amountPaid": json.RawMessage(getpaid.Money{Minor: t.Paid, Currency: t.Amount.Currency}.Decimal()),
			"date":       map[string]any{"realization": realized}},
		"transactionPaymentUrl": s.host.URL() + "/pay/" + url.PathEscape(t.ID),
	}
}

func (s *Server) lookup(w http.ResponseWriter, r *http.Request) *transaction {
	t, ok := s.byID[r.PathValue("id")]
	if !ok {
		writeJSON(w, http.StatusNotFound, failed("transaction_not_found", "Transaction not found", "transactionId"))
		return nil
	}
	return t
}

func (s *Server) get(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.lookup(w, r); t != nil {
		writeJSON(w, http.StatusOK, s.viewLocked(t))
	}
}

// cancel cancels a pending transaction; anything else is refused.
func (s *Server) cancel(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.lookup(w, r)
	if t == nil {
		return
	}
	if t.Status != tpay.StatusPending {
		writeJSON(w, http.StatusBadRequest, failed("transaction_status_invalid", "Only a pending transaction can be canceled", ""))
		return
	}
	t.Status = tpay.StatusCanceled
	writeJSON(w, http.StatusOK, s.viewLocked(t))
}

// refund refunds a paid transaction: {"amount": n} in part, an empty body
// everything not refunded yet (the transaction's status becomes refund). The
// money is taken at once; a CHARGEBACK notification follows.
func (s *Server) refund(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	var in struct {
		Amount *tpay.Amount `json:"amount"`
	}
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &in); err != nil {
			writeJSON(w, http.StatusBadRequest, failed("invalid_json", "Request body is not valid JSON", ""))
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.lookup(w, r)
	if t == nil {
		return
	}
	if t.Status != tpay.StatusCorrect && t.Status != tpay.StatusPaid {
		writeJSON(w, http.StatusBadRequest, failed("transaction_status_invalid", "Only a paid transaction can be refunded", ""))
		return
	}
	left := t.Paid - t.refunded()
	amount, full := left, in.Amount == nil
	if !full {
		m, err := in.Amount.Money(t.Amount.Currency)
		if err != nil || m.Minor < 1 {
			writeJSON(w, http.StatusBadRequest, failed("field_value_invalid", "Amount must be at least 0.01 with up to 2 decimal places", "amount"))
			return
		}
		amount = m.Minor
	}
	if amount < 1 || amount > left {
		writeJSON(w, http.StatusBadRequest, failed("refund_amount_too_high", "Refund amount exceeds what is left to refund", "amount"))
		return
	}
	status := s.refundStatus
	if status == "" {
		status = "correct"
	}
	rf := &refundRec{ID: "rf_" + randomHex(8), Amount: amount, Status: status, Date: time.Now()}
	t.Refunds = append(t.Refunds, rf)
	if status == "correct" {
		if full {
			t.Status = tpay.StatusRefund
		}
		s.notifyLocked(t, tpaynotify.StatusChargeback, tpaynotify.ErrorNone, amount)
	}
	writeJSON(w, http.StatusOK, map[string]any{"result": "success", "requestId": randomHex(10), "transactionId": t.ID,
		"refundId": rf.ID, "amount": json.RawMessage(getpaid.Money{Minor: amount, Currency: t.Amount.Currency}.Decimal()), "status": rf.Status})
}

func (s *Server) listRefunds(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.lookup(w, r)
	if t == nil {
		return
	}
	list := []any{}
	for _, rf := range t.Refunds {
		list = append(list, map[string]any{"refundId": rf.ID, "status": rf.Status, "date": rf.Date.Format("2006-01-02 15:04:05"),
			"amount": json.RawMessage(getpaid.Money{Minor: rf.Amount, Currency: t.Amount.Currency}.Decimal())})
	}
	writeJSON(w, http.StatusOK, map[string]any{"result": "success", "requestId": randomHex(10), "refunds": list})
}

// cert serves the root and signing certificates (and any placed with ServeCert).
func (s *Server) cert(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	pem, ok := s.certs["/x509/"+r.PathValue("file")]
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/x-pem-file")
	_, _ = w.Write(pem)
}
