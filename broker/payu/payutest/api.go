package payutest

import (
	"crypto/subtle"
	"encoding/json"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/getpaid-go/getpaid/internal/edge"
)

// order is a simulated PayU order; the JSON fields are what PayU returns.
type order struct {
	OrderID         string          `json:"orderId"`
	ExtOrderID      string          `json:"extOrderId,omitempty"`
	OrderCreateDate string          `json:"orderCreateDate"`
	NotifyURL       string          `json:"notifyUrl,omitempty"`
	CustomerIP      string          `json:"customerIp"`
	MerchantPosID   string          `json:"merchantPosId"`
	Description     string          `json:"description"`
	CurrencyCode    string          `json:"currencyCode"`
	TotalAmount     string          `json:"totalAmount"`
	Buyer           json.RawMessage `json:"buyer,omitempty"`
	PayMethod       *payMethod      `json:"payMethod,omitempty"`
	Products        json.RawMessage `json:"products"`
	Status          string          `json:"status"`

	continueURL string
	token       string // guards the payment page
	preAuth     bool
	paymentID   string
	refunds     []*refund
}

type payMethod struct {
	Type string `json:"type"`
}

type refund struct {
	RefundID         string `json:"refundId"`
	ExtRefundID      string `json:"extRefundId,omitempty"`
	Amount           string `json:"amount"`
	CurrencyCode     string `json:"currencyCode"`
	Description      string `json:"description"`
	CreationDateTime string `json:"creationDateTime"`
	Status           string `json:"status"`
	StatusDateTime   string `json:"statusDateTime"`

	payload string // request fingerprint for idempotent repeats
}

type statusBody struct {
	StatusCode string `json:"statusCode"`
	StatusDesc string `json:"statusDesc,omitempty"`
}

// Handler serves PayU's API, OAuth endpoint and the buyer's payment page.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	api := func(pattern string, h http.HandlerFunc) { mux.Handle(pattern, s.down.Outage(h)) }
	api("POST /pl/standard/user/oauth/authorize", s.handleToken)
	api("POST /api/v2_1/orders", s.authed(s.handleCreate))
	api("GET /api/v2_1/orders/{id}", s.authed(s.handleGet))
	api("DELETE /api/v2_1/orders/{id}", s.authed(s.ops.Operation(s.handleDelete)))
	api("PUT /api/v2_1/orders/{id}/status", s.authed(s.ops.Operation(s.handleStatusUpdate)))
	api("POST /api/v2_1/orders/{id}/captures", s.authed(s.ops.Operation(s.handleCapture)))
	api("POST /api/v2_1/orders/{id}/refunds", s.authed(s.ops.Operation(s.handleRefund)))
	api("POST /api/v2_1/orders/{id}/refund", s.authed(s.ops.Operation(s.handleRefund)))
	api("GET /api/v2_1/orders/{id}/refunds", s.authed(s.handleListRefunds))
	api("GET /api/v2_1/orders/{id}/refunds/{refundId}", s.authed(s.handleGetRefund))
	forms := edge.NewLimiter(edge.LimiterConfig{})
	mux.Handle("GET /pay/", edge.Page(http.HandlerFunc(s.handlePage)))
	mux.Handle("POST /pay/", edge.FormPage(forms, edge.DefaultFormBytes, http.HandlerFunc(s.handlePageChoice)))
	return mux
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeStatus(w http.ResponseWriter, code int, statusCode, desc string) {
	writeJSON(w, code, map[string]any{"status": statusBody{StatusCode: statusCode, StatusDesc: desc}})
}

var success = statusBody{StatusCode: "SUCCESS", StatusDesc: "Request processing successful"}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type", "error_description": "Unsupported grant type"})
		return
	}
	if r.PostForm.Get("client_id") != s.cfg.ClientID || subtle.ConstantTimeCompare([]byte(r.PostForm.Get("client_secret")), []byte(s.cfg.ClientSecret)) != 1 {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client", "error_description": "Bad client credentials"})
		return
	}
	tok := newToken()
	s.mu.Lock()
	s.tokens[tok] = time.Now().Add(s.cfg.TokenTTL)
	s.tokenCount++
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": tok, "token_type": "bearer", "expires_in": int64(s.cfg.TokenTTL / time.Second), "grant_type": "client_credentials",
	})
}

// authed checks the Bearer token, or HTTP Basic auth with the POS id and
// its second key, which PayU also takes (the OpenPayU SDKs fall back to it
// without OAuth settings).
func (s *Server) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if user, pass, basic := r.BasicAuth(); basic {
			if subtle.ConstantTimeCompare([]byte(user), []byte(s.cfg.PosID)) != 1 ||
				subtle.ConstantTimeCompare([]byte(pass), []byte(s.cfg.SecondKey)) != 1 {
				writeStatus(w, http.StatusUnauthorized, "UNAUTHORIZED", "Invalid POS id or key")
				return
			}
			h(w, r)
			return
		}
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.mu.Lock()
		exp, known := s.tokens[tok]
		s.mu.Unlock()
		if !ok || !known || time.Now().After(exp) {
			writeStatus(w, http.StatusUnauthorized, "UNAUTHORIZED", "Invalid or expired access token")
			return
		}
		h(w, r)
	}
}

type createRequest struct {
	NotifyURL     string          `json:"notifyUrl"`
	ContinueURL   string          `json:"continueUrl"`
	CustomerIP    string          `json:"customerIp"`
	MerchantPosID string          `json:"merchantPosId"`
	Description   string          `json:"description"`
	CurrencyCode  string          `json:"currencyCode"`
	TotalAmount   string          `json:"totalAmount"`
	ExtOrderID    string          `json:"extOrderId"`
	Buyer         json.RawMessage `json:"buyer"`
	Products      json.RawMessage `json:"products"`
	PayMethods    *struct {
		PayMethod struct {
			AuthorizationType string `json:"authorizationType"`
		} `json:"payMethod"`
	} `json:"payMethods"`
}

func digits(s string) bool {
	if s == "" || len(s) > 18 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// documentedIP reports whether s is a customerIp as PayU's OpenAPI describes
// it: IPv4 in dotted decimal, or IPv6 as eight groups of four hexadecimal
// digits; 0.0.0.0 is not accepted.
func documentedIP(s string) bool {
	a, err := netip.ParseAddr(s)
	switch {
	case err != nil || a.Zone() != "" || a.IsUnspecified():
		return false
	case a.Is4():
		return a.String() == s
	}
	return strings.EqualFold(a.StringExpanded(), s)
}

func absURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// textLimit is a text field of the create request and its maxLength in
// PayU's OpenAPI (OrderCreateRequest, buyer, products), in characters.
type textLimit struct {
	name, v string
	max     int
}

// validate returns PayU's error status code and description, or "": a
// text field longer than PayU's OpenAPI allows is ERROR_VALUE_INVALID.
func (c *createRequest) validate(posID string) (code, desc string) {
	var products []struct{ Name, UnitPrice, Quantity string }
	switch {
	case c.CustomerIP == "":
		return "ERROR_VALUE_MISSING", "Missing required field: customerIp"
	case c.MerchantPosID == "":
		return "ERROR_VALUE_MISSING", "Missing required field: merchantPosId"
	case c.Description == "":
		return "ERROR_VALUE_MISSING", "Missing required field: description"
	case c.CurrencyCode == "":
		return "ERROR_VALUE_MISSING", "Missing required field: currencyCode"
	case c.TotalAmount == "":
		return "ERROR_VALUE_MISSING", "Missing required field: totalAmount"
	case len(c.Products) == 0:
		return "ERROR_VALUE_MISSING", "Missing required field: products"
	case !documentedIP(c.CustomerIP):
		return "ERROR_VALUE_INVALID", "Invalid field value: customerIp"
	case c.MerchantPosID != posID:
		return "ERROR_VALUE_INVALID", "Invalid field value: merchantPosId"
	case len(c.CurrencyCode) != 3 || strings.ToUpper(c.CurrencyCode) != c.CurrencyCode:
		return "ERROR_VALUE_INVALID", "Invalid field value: currencyCode"
	case !digits(c.TotalAmount) || strings.Trim(c.TotalAmount, "0") == "":
		return "ERROR_VALUE_INVALID", "Invalid field value: totalAmount"
	case c.NotifyURL != "" && !absURL(c.NotifyURL), c.ContinueURL != "" && !absURL(c.ContinueURL):
		return "ERROR_VALUE_INVALID", "Invalid field value: notifyUrl or continueUrl"
	}
	if err := json.Unmarshal(c.Products, &products); err != nil || len(products) == 0 {
		return "ERROR_SYNTAX", "Invalid products"
	}
	for _, p := range products {
		if p.Name == "" || !digits(p.UnitPrice) || !digits(p.Quantity) {
			return "ERROR_VALUE_INVALID", "Invalid field value: products"
		}
	}
	var buyer struct{ Email, Phone, FirstName, LastName string }
	if len(c.Buyer) > 0 && json.Unmarshal(c.Buyer, &buyer) != nil {
		return "ERROR_SYNTAX", "Invalid buyer"
	}
	fields := []textLimit{
		{"description", c.Description, 4000}, {"notifyUrl", c.NotifyURL, 1024}, {"continueUrl", c.ContinueURL, 1024},
		{"extOrderId", c.ExtOrderID, 1024}, {"buyer.email", buyer.Email, 255}, {"buyer.phone", buyer.Phone, 255},
		{"buyer.firstName", buyer.FirstName, 100}, {"buyer.lastName", buyer.LastName, 100},
	}
	for _, p := range products {
		fields = append(fields, textLimit{"products.name", p.Name, 255})
	}
	for _, f := range fields {
		if utf8.RuneCountInString(f.v) > f.max {
			return "ERROR_VALUE_INVALID", "Invalid field value: " + f.name + " (at most " + strconv.Itoa(f.max) + " characters)"
		}
	}
	return "", ""
}

func (s *Server) handleCreate(w http.ResponseWriter, r *http.Request) {
	var c createRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&c); err != nil {
		writeStatus(w, http.StatusBadRequest, "ERROR_SYNTAX", "Syntax error in request")
		return
	}
	if code, desc := c.validate(s.cfg.PosID); code != "" {
		writeStatus(w, http.StatusBadRequest, code, desc)
		return
	}
	now := time.Now()
	o := &order{
		OrderID: newOrderID(now), ExtOrderID: c.ExtOrderID, OrderCreateDate: now.Format("2006-01-02T15:04:05.000-07:00"),
		NotifyURL: c.NotifyURL, CustomerIP: c.CustomerIP, MerchantPosID: c.MerchantPosID, Description: c.Description,
		CurrencyCode: c.CurrencyCode, TotalAmount: c.TotalAmount, Buyer: c.Buyer, Products: c.Products, Status: "NEW",
		continueURL: c.ContinueURL, token: randomHex(16), paymentID: randomHex(4),
		preAuth: c.PayMethods != nil && c.PayMethods.PayMethod.AuthorizationType == "PRE_AUTHORIZATION",
	}
	s.mu.Lock()
	if _, dup := s.byExt[c.ExtOrderID]; dup && c.ExtOrderID != "" {
		s.mu.Unlock()
		writeStatus(w, http.StatusBadRequest, "ERROR_ORDER_NOT_UNIQUE", "Order with this extOrderId already exists")
		return
	}
	s.orders[o.OrderID] = o
	if c.ExtOrderID != "" {
		s.byExt[c.ExtOrderID] = o.OrderID
	}
	redirect := s.host.URL() + "/pay/?orderId=" + o.OrderID + "&token=" + o.token
	s.mu.Unlock()
	w.Header().Set("Location", redirect)
	writeJSON(w, http.StatusFound, map[string]any{
		"status": statusBody{StatusCode: "SUCCESS"}, "redirectUri": redirect, "orderId": o.OrderID, "extOrderId": o.ExtOrderID,
	})
}

// lookup finds the order named in the path, answering 404 when there is none.
// It returns with s.mu held when ok.
func (s *Server) lookup(w http.ResponseWriter, r *http.Request) (*order, bool) {
	s.mu.Lock()
	o, ok := s.orders[r.PathValue("id")]
	if !ok {
		s.mu.Unlock()
		writeStatus(w, http.StatusNotFound, "DATA_NOT_FOUND", "Could not find data for given criteria")
	}
	return o, ok
}

func (s *Server) handleGet(w http.ResponseWriter, r *http.Request) {
	o, ok := s.lookup(w, r)
	if !ok {
		return
	}
	view := *o
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"orders": []*order{&view}, "status": success,
		"properties": []map[string]string{{"name": "PAYMENT_ID", "value": o.paymentID}},
	})
}

func (s *Server) handleDelete(w http.ResponseWriter, r *http.Request) {
	o, ok := s.lookup(w, r)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	if !s.transition(o, "CANCELED") {
		writeStatus(w, http.StatusBadRequest, "BUSINESS_ERROR", "Order in status "+o.Status+" cannot be canceled")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"orderId": o.OrderID, "extOrderId": o.ExtOrderID, "status": success})
}

func (s *Server) handleStatusUpdate(w http.ResponseWriter, r *http.Request) {
	var body struct{ OrderID, OrderStatus string }
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&body); err != nil || body.OrderStatus != "COMPLETED" {
		writeStatus(w, http.StatusBadRequest, "ERROR_VALUE_INVALID", "orderStatus must be COMPLETED")
		return
	}
	s.capture(w, r, "", "")
}

func (s *Server) handleCapture(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Amount       string `json:"amount"`
		CurrencyCode string `json:"currencyCode"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&body); err != nil && err != io.EOF {
		writeStatus(w, http.StatusBadRequest, "ERROR_SYNTAX", "Syntax error in request")
		return
	}
	if (body.Amount == "") != (body.CurrencyCode == "") {
		writeStatus(w, http.StatusBadRequest, "ERROR_VALUE_MISSING", "A partial capture needs amount and currencyCode")
		return
	}
	s.capture(w, r, body.Amount, body.CurrencyCode)
}

// capture completes a WAITING_FOR_CONFIRMATION order: the whole order, or
// part of it (amount below totalAmount, in the order's currency), after which
// the rest is released and the order's totalAmount is what was captured.
func (s *Server) capture(w http.ResponseWriter, r *http.Request, amount, currency string) {
	o, ok := s.lookup(w, r)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	if o.Status != "WAITING_FOR_CONFIRMATION" {
		writeStatus(w, http.StatusBadRequest, "BUSINESS_ERROR", "Order in status "+o.Status+" cannot be captured")
		return
	}
	if amount != "" {
		total, _ := strconv.ParseInt(o.TotalAmount, 10, 64)
		n, err := strconv.ParseInt(amount, 10, 64)
		switch {
		case currency != o.CurrencyCode:
			writeStatus(w, http.StatusBadRequest, "ERROR_VALUE_INVALID", "Invalid field value: currencyCode")
			return
		case !digits(amount) || err != nil || n <= 0 || n >= total:
			writeStatus(w, http.StatusBadRequest, "ERROR_VALUE_INVALID", "Amount must be less than the order amount")
			return
		}
		o.TotalAmount = strconv.FormatInt(n, 10)
	}
	s.transition(o, "COMPLETED")
	writeJSON(w, http.StatusOK, map[string]any{"status": statusBody{StatusCode: "SUCCESS", StatusDesc: "Status was updated"}})
}
