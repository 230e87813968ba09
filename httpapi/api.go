package httpapi

import (
	"cmp"
	"crypto/subtle"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/internal/edge"
)

// auth lets next run for a request with a valid Bearer key. An address that
// failed AuthFailures times in the current window is answered 429 without
// its key being looked at; failures are logged once per window. With
// RequireHTTPS, a request that did not come over https is refused first.
func (h *Handler) auth(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if h.https && h.Scheme(r) != "https" {
			dropBody(w, r)
			h.writeError(w, r, errHTTPSRequired, "")
			return
		}
		ip := h.ClientIP(r)
		if h.limited(w, r, h.authFails, ip) {
			return
		}
		tok, ok := bearer(r.Header.Get("Authorization"))
		if ok {
			for _, k := range h.keys {
				if subtle.ConstantTimeCompare([]byte(tok), k) == 1 {
					next(w, r)
					return
				}
			}
		}
		h.refusal(r.Context(), h.authFails, "API authentication failed", ip, "path", sentPath(r))
		dropBody(w, r)
		w.Header().Set("WWW-Authenticate", `Bearer realm="getpaid"`)
		writeJSON(w, http.StatusUnauthorized, map[string]apiError{"error": {Code: "unauthorized", Message: "missing or wrong API key"}})
	}
}

// bearer reads the key of an Authorization header of the Bearer scheme,
// whose name is case-insensitive and followed by one or more spaces
// (RFC 9110 §11.1, RFC 6750 §2.1).
func bearer(header string) (string, bool) {
	scheme, tok, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimLeft(tok, " "), true
}

// BackendJSON is one entry of GET /api/v1/backends.
type BackendJSON struct {
	Name       string   `json:"name"`
	Title      string   `json:"title"`
	Currencies []string `json:"currencies"`
}

// listBackends answers GET /api/v1/backends?currency=: the backends, those
// accepting currency when it is given. Its query is read as every
// listing's is: an unknown parameter, or currency given twice, is refused.
func (h *Handler) listBackends(w http.ResponseWriter, r *http.Request) {
	q, err := query(r, "currency")
	if err == nil {
		err = emptyFilter(q, "currency")
	}
	if err != nil {
		h.writeError(w, r, err, "")
		return
	}
	cur := q.Get("currency")
	if cur != "" && !getpaid.KnownCurrency(cur) {
		h.writeError(w, r, &getpaid.FieldError{Field: "currency", Reason: getpaid.UnknownCurrencyReason(cur), Err: getpaid.ErrUnknownCurrency}, "")
		return
	}
	out := []BackendJSON{}
	for _, b := range h.svc.Registry().ForCurrency(cur) {
		out = append(out, BackendJSON{Name: b.Name, Title: b.Title, Currencies: getpaid.Currencies(b.Broker)})
	}
	writeJSON(w, http.StatusOK, out)
}

// CreateRequest is the body of POST /api/v1/payments.
type CreateRequest struct {
	OrderID     string        `json:"order_id"`
	Amount      string        `json:"amount"`
	Currency    string        `json:"currency"`
	Backend     string        `json:"backend"`
	Description string        `json:"description"`
	Buyer       getpaid.Buyer `json:"buyer"`
	ReturnURL   string        `json:"return_url"`
	// ClientIP is the buyer's IP address (no port), for brokers that want
	// it (PayU's customerIp). A shop's server creates payments, so the
	// request's own address is the shop's: it is used only when this is
	// left out.
	ClientIP string `json:"client_ip"`
}

// PaymentJSON is a payment as the API shows it. Amounts are decimal strings.
type PaymentJSON struct {
	ID       string         `json:"id"`
	OrderID  string         `json:"order_id"`
	Status   getpaid.Status `json:"status"`
	Amount   string         `json:"amount"`
	Currency string         `json:"currency"`
	Captured string         `json:"captured"`
	Locked   string         `json:"locked"`
	Refunded string         `json:"refunded"`
	// RefundPending is what refunds the broker has not finished yet
	// (pending, or in doubt) ask for: what is left to refund is captured -
	// refunded - refund_pending ("0.00" normally).
	RefundPending string `json:"refund_pending"`
	// Advance is money the broker holds that does not match the payment,
	// awaiting an operator's decision ("0.00" normally).
	Advance     string `json:"advance"`
	Backend     string `json:"backend"`
	ExternalID  string `json:"external_id,omitempty"`
	Description string `json:"description,omitempty"`
	ReturnURL   string `json:"return_url,omitempty"`
	// IdempotencyKey is the Idempotency-Key the payment was created with,
	// if any.
	IdempotencyKey string            `json:"idempotency_key,omitempty"`
	Redirect       *getpaid.Redirect `json:"redirect,omitempty"`
	CreatedAt      time.Time         `json:"created_at"`
	UpdatedAt      time.Time         `json:"updated_at"`
	// History is the payment's status changes, on its own page (an array
	// there, never left out; not in listings).
	History []getpaid.Transition `json:"history,omitzero"`
	// Operations are the payment's money operations, newest first (on the
	// payment's own page and in the answers of its actions: an array
	// there, [] when there are none; not in listings).
	Operations []*OperationJSON `json:"operations,omitzero"`
	// Operation is the one an action created or found by its key.
	Operation *OperationJSON `json:"operation,omitempty"`
}

func toJSON(p *getpaid.Payment) *PaymentJSON {
	rd := p.Redirect
	if rd != nil && rd.Fields == nil {
		c := *rd
		c.Fields = map[string]string{} // always an object in JSON, never null
		rd = &c
	}
	return &PaymentJSON{
		ID: p.ID, OrderID: p.OrderID, Status: p.Status, Amount: p.Amount.Decimal(), Currency: p.Amount.Currency,
		Captured: p.Money(p.Captured).Decimal(), Locked: p.Money(p.Locked).Decimal(), Refunded: p.Money(p.Refunded).Decimal(),
		RefundPending: p.Money(p.RefundAsked).Decimal(),
		Advance:       p.Money(p.Advance).Decimal(),
		Backend:       p.Backend, ExternalID: p.ExternalID, Description: p.Description, ReturnURL: p.ReturnURL,
		IdempotencyKey: p.CreateKey,
		Redirect:       rd, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
	}
}

func (h *Handler) createPayment(w http.ResponseWriter, r *http.Request) {
	if _, err := query(r); err != nil {
		// Its input is the body's alone: a field put in the query would
		// be dropped.
		dropBody(w, r)
		h.writeError(w, r, err, "")
		return
	}
	var req CreateRequest
	if err := h.decodeJSON(w, r, &req); err != nil {
		h.writeError(w, r, err, "")
		return
	}
	key, err := idempotencyKey(r)
	if err != nil {
		h.writeError(w, r, err, "")
		return
	}
	if req.Currency == "" {
		h.writeError(w, r, &getpaid.FieldError{Field: "currency", Reason: "required: the order's currency, an ISO 4217 code such as PLN", Err: getpaid.ErrUnknownCurrency}, "")
		return
	}
	amount, err := getpaid.ParseMoney(req.Amount, req.Currency)
	if err != nil {
		field := "amount"
		if !getpaid.KnownCurrency(req.Currency) {
			field = "currency"
		}
		h.writeError(w, r, &getpaid.FieldError{Field: field, Reason: err.Error(), Err: err}, "")
		return
	}
	p, err := h.svc.Pay(r.Context(), getpaid.PayRequest{
		OrderID: req.OrderID, Backend: req.Backend, Amount: amount, Description: req.Description,
		Buyer: req.Buyer, ReturnURL: req.ReturnURL, ClientIP: cmp.Or(req.ClientIP, h.ClientIP(r)),
		IdempotencyKey: key,
	})
	if err != nil {
		id := ""
		if p != nil {
			id = p.ID
		}
		h.writeError(w, r, err, id)
		return
	}
	w.Header().Set("Location", mountPath(r)+"/api/v1/payments/"+p.ID)
	h.writePayment(w, http.StatusCreated, toJSON(p))
}

// getPayment answers GET /api/v1/payments/{id}: the payment with its
// history and all its operations, newest first (one store round trip where
// the store is a getpaid.PaymentViewer).
func (h *Handler) getPayment(w http.ResponseWriter, r *http.Request) {
	if _, err := query(r); err != nil { // it takes none: one sent would be dropped
		h.writeError(w, r, err, "")
		return
	}
	v, err := h.svc.ViewPayment(r.Context(), r.PathValue("id"))
	if err != nil {
		id := ""
		if v != nil && v.Payment != nil {
			id = v.Payment.ID // found, but its history or operations were not
		}
		h.writeError(w, r, err, id)
		return
	}
	out := toJSON(v.Payment)
	out.History = v.History
	if out.History == nil {
		out.History = []getpaid.Transition{}
	}
	out.Operations = make([]*OperationJSON, 0, len(v.Operations))
	for _, op := range v.Operations {
		out.Operations = append(out.Operations, operationJSON(op))
	}
	h.writePayment(w, http.StatusOK, out)
}

// PaymentListJSON is the answer of GET /api/v1/payments.
type PaymentListJSON struct {
	Payments   []*PaymentJSON `json:"payments"`
	NextCursor string         `json:"next_cursor,omitempty"`
}

// listPayments answers GET /api/v1/payments?order_id=&status=&backend=&
// currency=&created_after=&created_before=&limit=&cursor=, newest first.
func (h *Handler) listPayments(w http.ResponseWriter, r *http.Request) {
	q, err := query(r, "order_id", "status", "backend", "currency", "created_after", "created_before", "limit", "cursor")
	if err == nil {
		err = emptyFilter(q, "order_id", "status", "backend", "currency", "created_after", "created_before")
	}
	if err != nil {
		h.writeError(w, r, err, "")
		return
	}
	f := getpaid.PaymentFilter{OrderID: q.Get("order_id"), Status: getpaid.Status(q.Get("status")),
		Backend: q.Get("backend"), Currency: q.Get("currency")}
	if f.Cursor, err = cursorIn(cursorPayments, q); err != nil {
		h.writeError(w, r, err, "")
		return
	}
	for _, t := range []struct {
		name string
		dst  *time.Time
	}{{"created_after", &f.CreatedAfter}, {"created_before", &f.CreatedBefore}} {
		if v := q.Get(t.name); v != "" {
			at, err := parseRFC3339(v)
			if err != nil {
				h.writeError(w, r, &getpaid.FieldError{Field: t.name, Reason: "want an RFC 3339 time, e.g. 2026-12-01T10:00:00Z" + plusAsSpace(v), Err: getpaid.ErrInvalidRequest}, "")
				return
			}
			if t.dst == &f.CreatedBefore && !at.After(time.Time{}) {
				// The zero time is the filter's "no bound": this bound,
				// before which nothing was created, would list everything.
				h.writeError(w, r, &getpaid.FieldError{Field: t.name, Reason: "must be after 0001-01-01T00:00:00Z: no payment was created before", Err: getpaid.ErrInvalidRequest}, "")
				return
			}
			*t.dst = at
		}
	}
	if f.Limit, err = limit(q); err != nil {
		h.writeError(w, r, err, "")
		return
	}
	page, err := h.svc.Payments(r.Context(), f)
	if err != nil {
		h.writeError(w, r, err, "")
		return
	}
	out := PaymentListJSON{Payments: make([]*PaymentJSON, 0, len(page.Payments)), NextCursor: cursorOut(cursorPayments, page.NextCursor)}
	for _, p := range page.Payments {
		out.Payments = append(out.Payments, toJSON(p))
	}
	writeJSON(w, http.StatusOK, out)
}

// query returns r's query, refusing a malformed pair (url.Query drops it,
// so a filter written "status=paid;backend=x" would list everything), a
// parameter not in allowed, and one given more than once (only one of the
// values would count).
func query(r *http.Request, allowed ...string) (url.Values, error) {
	if r.URL.RawQuery == "" {
		return url.Values{}, nil // nothing to parse or refuse (most requests)
	}
	if err := edge.MalformedQuery(r.URL.RawQuery); err != nil {
		return nil, err
	}
	q := r.URL.Query()
	for k, vs := range q {
		if !slices.Contains(allowed, k) {
			known := "this route takes none"
			if len(allowed) > 0 {
				known = "known: " + strings.Join(allowed, ", ")
			}
			return nil, &getpaid.FieldError{Field: k, Reason: "unknown query parameter (" + known + ")", Err: getpaid.ErrInvalidRequest}
		}
		if len(vs) > 1 {
			return nil, &getpaid.FieldError{Field: k, Reason: "query parameter given more than once", Err: getpaid.ErrInvalidRequest}
		}
	}
	return q, nil
}

// plusAsSpace is what to add to a time refused when it holds a space: the
// + of its offset (2026-12-01T10:00:00+01:00) written as is in a URL,
// which a query reads as a space.
func plusAsSpace(v string) string {
	if strings.Contains(v, " ") {
		return " (a + in a query is read as a space: write the offset's + as %2B)"
	}
	return ""
}

// emptyFilter refuses a listing's filter given without a value (?order_id=
// from a variable that was not set): read as left out, it would list
// everything, every order's payments.
func emptyFilter(q url.Values, filters ...string) error {
	for _, f := range filters {
		if vs, ok := q[f]; ok && len(vs) == 1 && vs[0] == "" {
			return &getpaid.FieldError{Field: f, Reason: "empty: give a value, or leave the parameter out", Err: getpaid.ErrInvalidRequest}
		}
	}
	return nil
}

// limit reads the page size of a listing: 0 (the default) when absent.
func limit(q url.Values) (int, error) {
	v := q.Get("limit")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > getpaid.MaxPageSize {
		return 0, &getpaid.FieldError{Field: "limit", Reason: "must be between 1 and 500", Err: getpaid.ErrInvalidRequest}
	}
	return n, nil
}

// parseRFC3339 reads a time as RFC 3339 writes it, where section 5.6 lets
// "T" and "Z" be lower case (time.Parse takes them upper case only).
func parseRFC3339(v string) (time.Time, error) {
	return time.Parse(time.RFC3339Nano, strings.Map(func(r rune) rune {
		switch r {
		case 't':
			return 'T'
		case 'z':
			return 'Z'
		}
		return r
	}, v))
}
