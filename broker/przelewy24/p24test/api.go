package p24test

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/getpaid-go/getpaid/internal/edge"
)

// Handler serves the REST API under /api/v1/ and the buyer's page under
// /trnRequest/{token}.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/testAccess", s.api(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"data": true, "error": ""})
	}))
	mux.HandleFunc("POST /api/v1/transaction/register", s.api(s.register))
	mux.HandleFunc("PUT /api/v1/transaction/verify", s.api(s.vops.Operation(s.verify)))
	mux.HandleFunc("GET /api/v1/transaction/by/sessionId/{sessionId}", s.api(s.lookup))
	mux.HandleFunc("POST /api/v1/transaction/refund", s.api(s.ops.Operation(s.refund)))
	mux.HandleFunc("GET /api/v1/refund/by/orderId/{orderId}", s.api(s.refundsByOrder))
	forms := edge.NewLimiter(edge.LimiterConfig{})
	mux.Handle("GET /trnRequest/{token}", edge.Page(http.HandlerFunc(s.page)))
	mux.Handle("POST /trnRequest/{token}", edge.FormPage(forms, edge.DefaultFormBytes, http.HandlerFunc(s.buyerChoice)))
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
	return s.down.Outage(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if !ok || user != strconv.Itoa(s.cfg.PosID) || subtle.ConstantTimeCompare([]byte(pass), []byte(s.cfg.APIKey)) != 1 {
			apiError(w, http.StatusUnauthorized, "Incorrect authentication")
			return
		}
		h(w, r)
	})
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

// registerIn is register's body (Przelewy24 OpenAPI TransactionRequestBody):
// every field the specification lists is accepted, and any other refused.
type registerIn struct {
	MerchantID       int64           `json:"merchantId"`
	PosID            int64           `json:"posId"`
	SessionID        string          `json:"sessionId"`
	Amount           int64           `json:"amount"`
	Currency         string          `json:"currency"`
	Description      string          `json:"description"`
	Email            string          `json:"email"`
	Client           string          `json:"client"`
	Address          string          `json:"address"`
	Zip              string          `json:"zip"`
	City             string          `json:"city"`
	Country          string          `json:"country"`
	Phone            string          `json:"phone"`
	Language         string          `json:"language"`
	Method           *int64          `json:"method"`
	URLReturn        string          `json:"urlReturn"`
	URLStatus        string          `json:"urlStatus"`
	URLNotify        string          `json:"urlNotify"`
	TimeLimit        *int64          `json:"timeLimit"`
	Channel          *int64          `json:"channel"`
	WaitForResult    *bool           `json:"waitForResult"`
	RegulationAccept *bool           `json:"regulationAccept"`
	Shipping         *int64          `json:"shipping"`
	TransferLabel    string          `json:"transferLabel"`
	MobileLib        *int64          `json:"mobileLib"`
	SDKVersion       string          `json:"sdkVersion"`
	Sign             string          `json:"sign"`
	Encoding         string          `json:"encoding"`
	MethodRefID      string          `json:"methodRefId"`
	CardData         json.RawMessage `json:"cardData"`
	Cart             json.RawMessage `json:"cart"`
	Additional       json.RawMessage `json:"additional"`

	// URLCardPaymentNotification is where Przelewy24 sends card and BLIK
	// results (its documentation's card notification); the official PHP
	// SDK sends it with every register, null when unset.
	URLCardPaymentNotification string `json:"urlCardPaymentNotification"`
}

// languages register accepts.
var languages = []string{"bg", "cs", "de", "en", "es", "fr", "hr", "hu", "it", "nl", "pl", "pt", "se", "sk", "ro"}

// channelBits are the channel values register accepts, summed.
const channelBits = 1 | 2 | 4 | 8 | 16 | 32 | 64 | 128 | 256 | 4096 | 8192 | 16384

func runes(s string) int { return utf8.RuneCountInString(s) }

// invalid returns the first field register refuses, or "".
func (in *registerIn) invalid() string {
	between := func(p *int64, lo, hi int64) bool { return p == nil || (*p >= lo && *p <= hi) }
	switch {
	case in.SessionID == "" || runes(in.SessionID) > 100:
		return "sessionId"
	case in.Amount <= 0:
		return "amount"
	case len(in.Currency) != 3 || strings.ToUpper(in.Currency) != in.Currency:
		return "currency"
	case in.Description == "" || runes(in.Description) > 1024:
		return "description"
	case in.Email == "" || runes(in.Email) > 50 || !strings.Contains(in.Email, "@"):
		return "email"
	case runes(in.Client) > 40:
		return "client"
	case runes(in.Address) > 80:
		return "address"
	case runes(in.Zip) > 10:
		return "zip"
	case runes(in.City) > 50:
		return "city"
	case len(in.Country) != 2:
		return "country"
	case runes(in.Phone) > 12:
		return "phone"
	case !slices.Contains(languages, in.Language):
		return "language"
	case in.Method != nil && *in.Method < 0:
		return "method"
	case in.URLReturn == "" || runes(in.URLReturn) > 250:
		return "urlReturn"
	case runes(in.URLStatus) > 250:
		return "urlStatus"
	case runes(in.URLNotify) > 250:
		return "urlNotify"
	case !between(in.TimeLimit, 0, 99):
		return "timeLimit"
	case in.Channel != nil && (*in.Channel <= 0 || *in.Channel&^channelBits != 0):
		return "channel"
	case runes(in.TransferLabel) > 20:
		return "transferLabel"
	case !between(in.MobileLib, 1, 1):
		return "mobileLib"
	case runes(in.SDKVersion) > 10:
		return "sdkVersion"
	case in.Encoding != "" && in.Encoding != "UTF-8" && in.Encoding != "ISO-8859-2" && in.Encoding != "Windows-1250":
		return "encoding"
	case runes(in.MethodRefID) > 250:
		return "methodRefId"
	case in.Sign == "" || len(in.Sign) > 100:
		return "sign"
	}
	return ""
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
	case in.invalid() != "":
		apiError(w, http.StatusBadRequest, "Invalid input data: "+in.invalid())
		return
	case subtle.ConstantTimeCompare([]byte(in.Sign), []byte(s.registerSign(in.SessionID, in.MerchantID, in.Amount, in.Currency))) != 1:
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
		Statement: fmt.Sprintf("p24-%d", s.nextID), Registered: s.now(), verified: make(chan struct{}),
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
		subtle.ConstantTimeCompare([]byte(in.Sign), []byte(s.verifySign(in.SessionID, in.OrderID, in.Amount, in.Currency))) != 1 {
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
			close(t.verified) // the notification is no longer sent again
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
