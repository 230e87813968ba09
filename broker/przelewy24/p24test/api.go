package p24test

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// Handler serves the REST API under /api/v1/ and the buyer's page under
// /trnRequest/{token}.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/testAccess", s.api(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"data": true, "error": ""})
	}))
	mux.HandleFunc("POST /api/v1/transaction/register", s.api(s.register))
	mux.HandleFunc("PUT /api/v1/transaction/verify", s.api(s.verify))
	mux.HandleFunc("GET /api/v1/transaction/by/sessionId/{sessionId}", s.api(s.lookup))
	mux.HandleFunc("POST /api/v1/transaction/refund", s.api(s.refund))
	mux.HandleFunc("GET /trnRequest/{token}", s.page)
	mux.HandleFunc("POST /trnRequest/{token}", s.buyerChoice)
	return mux
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(marshal(v))
}

func apiError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]any{"error": msg, "code": code})
}

// api wraps an API handler with the failure modes and the Basic auth check.
func (s *Server) api(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		mode := s.failure
		s.mu.Unlock()
		switch mode {
		case "5xx":
			apiError(w, http.StatusServiceUnavailable, "Service unavailable")
			return
		case "timeout":
			ctx, cancel := context.WithTimeout(r.Context(), s.cfg.HangTimeout)
			defer cancel()
			s.wait(ctx, s.cfg.HangTimeout)
			apiError(w, http.StatusGatewayTimeout, "Timeout")
			return
		}
		user, pass, ok := r.BasicAuth()
		if !ok || user != strconv.Itoa(s.cfg.PosID) || subtle.ConstantTimeCompare([]byte(pass), []byte(s.cfg.APIKey)) != 1 {
			apiError(w, http.StatusUnauthorized, "Incorrect authentication")
			return
		}
		h(w, r)
	}
}

// decode reads a JSON body strictly into v.
func decode(r *http.Request, v any) error {
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

type registerIn struct {
	MerchantID  int64  `json:"merchantId"`
	PosID       int64  `json:"posId"`
	SessionID   string `json:"sessionId"`
	Amount      int64  `json:"amount"`
	Currency    string `json:"currency"`
	Description string `json:"description"`
	Email       string `json:"email"`
	Client      string `json:"client"`
	Country     string `json:"country"`
	Language    string `json:"language"`
	URLReturn   string `json:"urlReturn"`
	URLStatus   string `json:"urlStatus"`
	Encoding    string `json:"encoding"`
	TimeLimit   int    `json:"timeLimit"`
	Channel     int    `json:"channel"`
	Sign        string `json:"sign"`
}

func (s *Server) register(w http.ResponseWriter, r *http.Request) {
	var in registerIn
	if err := decode(r, &in); err != nil {
		apiError(w, http.StatusBadRequest, "Invalid input data")
		return
	}
	switch {
	case in.MerchantID != int64(s.cfg.MerchantID) || in.PosID != int64(s.cfg.PosID):
		apiError(w, http.StatusBadRequest, "Invalid merchantId or posId")
		return
	case in.SessionID == "" || len(in.SessionID) > 100 || in.Amount <= 0 || len(in.Currency) != 3 ||
		in.Description == "" || in.Email == "" || len(in.Country) != 2 || len(in.Language) != 2 ||
		in.URLReturn == "" || in.Sign == "":
		apiError(w, http.StatusBadRequest, "Invalid input data")
		return
	case in.Sign != s.registerSign(in.SessionID, in.MerchantID, in.Amount, in.Currency):
		apiError(w, http.StatusBadRequest, "Incorrect CRC value")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.bySess[in.SessionID]; ok {
		// A retried register of the same unpaid transaction gets its token back.
		if t.Amount == in.Amount && t.Currency == in.Currency && t.Status == StatusNoPayment && t.Paid == 0 {
			writeJSON(w, http.StatusOK, map[string]any{"data": map[string]string{"token": t.Token}, "responseCode": 0})
			return
		}
		apiError(w, http.StatusBadRequest, "sessionId already used")
		return
	}
	t := &transaction{
		Token: newToken(), SessionID: in.SessionID, OrderID: s.nextID, Amount: in.Amount,
		Currency: in.Currency, Description: in.Description, Email: in.Email, Client: in.Client,
		URLReturn: in.URLReturn, URLStatus: in.URLStatus, MethodID: 25,
		Statement: fmt.Sprintf("p24-%d", s.nextID), Registered: s.now(),
	}
	s.nextID++
	s.byToken[t.Token], s.bySess[t.SessionID], s.byOrder[t.OrderID] = t, t, t
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]string{"token": t.Token}, "responseCode": 0})
}

type verifyIn struct {
	MerchantID int64  `json:"merchantId"`
	PosID      int64  `json:"posId"`
	SessionID  string `json:"sessionId"`
	Amount     int64  `json:"amount"`
	Currency   string `json:"currency"`
	OrderID    int64  `json:"orderId"`
	Sign       string `json:"sign"`
}

func (s *Server) verify(w http.ResponseWriter, r *http.Request) {
	var in verifyIn
	if err := decode(r, &in); err != nil {
		apiError(w, http.StatusBadRequest, "Invalid input data")
		return
	}
	if in.MerchantID != int64(s.cfg.MerchantID) || in.PosID != int64(s.cfg.PosID) ||
		in.Sign != s.verifySign(in.SessionID, in.OrderID, in.Amount, in.Currency) {
		apiError(w, http.StatusBadRequest, "Incorrect CRC value")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.bySess[in.SessionID]
	switch {
	case s.verFail:
		apiError(w, http.StatusBadRequest, "Transaction verification failed")
	case !ok || t.OrderID != in.OrderID || t.Status == StatusNoPayment:
		apiError(w, http.StatusBadRequest, "Transaction not found")
	case in.Amount != t.Paid || in.Currency != t.Currency:
		apiError(w, http.StatusBadRequest, "Incorrect amount or currency")
	default:
		if t.Status == StatusAdvance {
			t.Status = StatusVerified
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": map[string]string{"status": "success"}, "responseCode": 0})
	}
}

func (s *Server) lookup(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.bySess[r.PathValue("sessionId")]
	if !ok {
		apiError(w, http.StatusNotFound, "Transaction not found")
		return
	}
	order, amount, date := int64(0), t.Amount, ""
	if t.Status != StatusNoPayment {
		order, amount, date = t.OrderID, t.Paid, t.PaidAt.Format("2006-01-02 15:04:05")
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{
		"orderId": order, "sessionId": t.SessionID, "status": t.Status, "amount": amount,
		"currency": t.Currency, "date": t.Registered.Format("2006-01-02 15:04:05"),
		"dateOfTransaction": date, "clientEmail": t.Email, "accountMD5": "",
		"paymentMethod": t.MethodID, "description": t.Description, "clientName": t.Client,
		"clientAddress": "", "clientCity": "", "clientPostcode": "", "batchId": 0, "fee": "0",
		"statement": t.Statement,
	}, "responseCode": 0})
}

type refundIn struct {
	RequestID   string `json:"requestId"`
	RefundsUUID string `json:"refundsUuid"`
	URLStatus   string `json:"urlStatus"`
	Refunds     []struct {
		OrderID     int64  `json:"orderId"`
		SessionID   string `json:"sessionId"`
		Amount      int64  `json:"amount"`
		Description string `json:"description"`
	} `json:"refunds"`
}

func (s *Server) refund(w http.ResponseWriter, r *http.Request) {
	var in refundIn
	if err := decode(r, &in); err != nil || in.RequestID == "" || in.RefundsUUID == "" ||
		len(in.RequestID) > 45 || len(in.RefundsUUID) > 35 || len(in.Refunds) == 0 {
		apiError(w, http.StatusBadRequest, "Invalid input data")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	results := make([]map[string]any, len(in.Refunds))
	ok := true
	pending := map[int64]int64{}
	for i, it := range in.Refunds {
		res := map[string]any{"orderId": it.OrderID, "sessionId": it.SessionID, "amount": it.Amount,
			"description": it.Description, "status": true, "message": "success"}
		t, found := s.byOrder[it.OrderID]
		switch {
		case !found || t.SessionID != it.SessionID || t.Status < StatusVerified:
			res["status"], res["message"] = false, "Transaction not found"
			ok = false
		case it.Amount <= 0 || it.Amount > t.Paid-t.Refunded-pending[it.OrderID]:
			res["status"], res["message"] = false, "The amount of refund exceeds available amount for the transaction"
			ok = false
		default:
			pending[it.OrderID] += it.Amount
		}
		results[i] = res
	}
	for _, rf := range s.refunds {
		if rf.UUID == in.RefundsUUID {
			ok = false // a reused refundsUuid is refused [U: real behaviour unknown]
			for _, res := range results {
				res["status"], res["message"] = false, "refundsUuid already used"
			}
		}
	}
	if !ok {
		writeJSON(w, http.StatusConflict, map[string]any{"error": results, "code": http.StatusConflict})
		return
	}
	for _, it := range in.Refunds {
		t := s.byOrder[it.OrderID]
		t.Refunded += it.Amount
		rf := &refund{RequestID: in.RequestID, UUID: in.RefundsUUID, OrderID: it.OrderID, Amount: it.Amount, Status: 2}
		s.refunds = append(s.refunds, rf)
		s.settleRefundLocked(t, rf, in.URLStatus)
	}
	writeJSON(w, http.StatusCreated, map[string]any{"data": results, "responseCode": 0})
}
