package payu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
)

type wireBuyer struct {
	Email     string `json:"email,omitempty"`
	Phone     string `json:"phone,omitempty"`
	FirstName string `json:"firstName,omitempty"`
	LastName  string `json:"lastName,omitempty"`
	Language  string `json:"language,omitempty"`
}

type wireProduct struct {
	Name      string `json:"name"`
	UnitPrice string `json:"unitPrice"`
	Quantity  string `json:"quantity"`
}

type wirePayMethod struct {
	Type              string `json:"type"`
	Value             string `json:"value"`
	AuthorizationType string `json:"authorizationType,omitempty"`
}

type wirePayMethods struct {
	PayMethod wirePayMethod `json:"payMethod"`
}

// createOrder is the create-order request body (brokers.md §1.4; PayU
// OpenAPI OrderCreateRequest).
type createOrder struct {
	NotifyURL     string          `json:"notifyUrl,omitempty"`
	ContinueURL   string          `json:"continueUrl,omitempty"`
	CustomerIP    string          `json:"customerIp"`
	MerchantPosID string          `json:"merchantPosId"`
	Description   string          `json:"description"`
	CurrencyCode  string          `json:"currencyCode"`
	TotalAmount   string          `json:"totalAmount"`
	ExtOrderID    string          `json:"extOrderId"`
	ValidityTime  string          `json:"validityTime,omitempty"`
	Buyer         *wireBuyer      `json:"buyer,omitempty"`
	Products      []wireProduct   `json:"products"`
	PayMethods    *wirePayMethods `json:"payMethods,omitempty"`
}

// Field limits of PayU's OpenAPI (characters).
const (
	maxDescription = 4000 // description
	maxProductName = 255  // products[].name
	maxEmail       = 255  // buyer.email
	maxName        = 100  // buyer.firstName, buyer.lastName
	maxURL         = 1024 // notifyUrl, continueUrl
)

// truncate cuts s to at most n characters, on a character boundary.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// Prepare creates a PayU order (POST /api/v2_1/orders) with extOrderId set
// to getpaid's payment id, and returns PayU's orderId and redirectUri. PayU
// answers 302 with a JSON body; the redirect is not followed. customerIp is
// the buyer's IP; when the caller has none, "127.0.0.1" is sent because PayU
// requires the field.
func (b *Broker) Prepare(ctx context.Context, req *getpaid.PrepareRequest) (*getpaid.Prepared, error) {
	const op = "payu: create order"
	if req == nil || req.Payment == nil {
		return nil, fmt.Errorf("%s: %w: no payment", op, getpaid.ErrInvalidRequest)
	}
	p := req.Payment
	env, err := b.environment()
	if err != nil {
		return nil, err
	}
	if err := b.accepts(p.Amount.Currency); err != nil {
		return nil, err
	}
	total, err := FormatAmount(p.Amount)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	desc := strings.TrimSpace(p.Description)
	if desc == "" {
		desc = "Payment " + p.ID
	}
	if n := utf8.RuneCountInString(p.Buyer.Email); n > maxEmail {
		return nil, fmt.Errorf("%s: %w", op, &getpaid.FieldError{Field: "buyer.email",
			Reason: fmt.Sprintf("PayU accepts at most %d characters, got %d", maxEmail, n), Err: getpaid.ErrInvalidRequest})
	}
	notify, cont := env.CallbackURL(), env.SuccessURL(p.ID)
	if utf8.RuneCountInString(notify) > maxURL || utf8.RuneCountInString(cont) > maxURL {
		return nil, fmt.Errorf("%s: %w: getpaid's URLs are longer than PayU's %d characters", op, getpaid.ErrInvalidRequest, maxURL)
	}
	ip := customerIP(req.ClientIP)
	body := createOrder{
		NotifyURL:     notify,
		ContinueURL:   cont,
		CustomerIP:    ip,
		MerchantPosID: b.cfg.PosID,
		Description:   truncate(desc, maxDescription),
		CurrencyCode:  p.Amount.Currency,
		TotalAmount:   total,
		ExtOrderID:    p.ID,
		Products:      []wireProduct{{Name: truncate(desc, maxProductName), UnitPrice: total, Quantity: "1"}},
	}
	if b.cfg.ValidityTime > 0 {
		body.ValidityTime = strconv.FormatInt(int64(b.cfg.ValidityTime/time.Second), 10)
	}
	if b.cfg.PreAuthorization {
		body.PayMethods = &wirePayMethods{PayMethod: wirePayMethod{Type: "PBL", Value: "c", AuthorizationType: "PRE_AUTHORIZATION"}}
	}
	if bu := p.Buyer; bu != (getpaid.Buyer{}) {
		body.Buyer = &wireBuyer{Email: bu.Email, Phone: bu.Phone, FirstName: truncate(bu.FirstName, maxName),
			LastName: truncate(bu.LastName, maxName), Language: bu.Language}
	}
	raw, err := b.call(ctx, op, http.MethodPost, ordersPath, body)
	if be := (*getpaid.BrokerError)(nil); errors.As(err, &be) && be.Err != nil && strings.Contains(be.Err.Error(), "ERROR_ORDER_NOT_UNIQUE") {
		// PayU has an order for this payment already: an earlier create
		// whose answer was lost. Its redirectUri is in no other answer,
		// and PayU takes one order per extOrderId: this payment can never
		// be started, however often it is tried.
		return nil, &getpaid.BrokerError{Op: op, Status: be.Status, Err: fmt.Errorf("%w (PayU already has an order for payment %s, from an earlier attempt whose answer was lost; "+
			"its payment link cannot be had again and PayU takes one order per payment: create a new payment for the order)", be.Err, p.ID)}
	}
	if err != nil {
		return nil, err
	}
	var resp struct {
		Status      payuStatus `json:"status"`
		RedirectURI string     `json:"redirectUri"`
		OrderID     string     `json:"orderId"`
	}
	if err := json.Unmarshal(raw, &resp); err != nil || resp.Status.StatusCode == "" {
		// Not PayU's answer (a proxy's 200 page, empty, cut, no status):
		// the order may have been registered, or not. In doubt, never a
		// refusal: nothing is stored, and the create may be sent again.
		return nil, &getpaid.BrokerError{Op: op, Happened: true, Retryable: true,
			Err: fmt.Errorf("the answer is not PayU's, so whether it registered the order is unknown: %q", brokerhttp.Snippet(raw))}
	}
	// SUCCESS, or a WARNING_CONTINUE_* (REDIRECT, 3DS, CVV): the order
	// exists and the buyer continues at redirectUri (PayU's OpenAPI: "PayU
	// will return response with WARNING_CONTINUE_3DS and redirection URL";
	// openpayu_php OpenPayU_Util::statusDesc: "Redirect the Buyer to PayU
	// to continue the 3DS process").
	if sc := resp.Status.StatusCode; sc != "SUCCESS" && !strings.HasPrefix(sc, "WARNING_CONTINUE") {
		return nil, &getpaid.BrokerError{Op: op, Err: fmt.Errorf("unexpected status %s", resp.Status)}
	}
	if resp.OrderID == "" || resp.RedirectURI == "" {
		return nil, &getpaid.BrokerError{Op: op, Err: errors.New("response lacks orderId or redirectUri")}
	}
	return &getpaid.Prepared{
		ExternalID: resp.OrderID,
		Redirect:   &getpaid.Redirect{Method: http.MethodGet, URL: resp.RedirectURI},
	}, nil
}

// customerIP writes the buyer's IP as PayU's OpenAPI documents customerIp:
// IPv4 in dotted decimal (an IPv4 address mapped into IPv6 is sent as IPv4)
// and IPv6 as eight groups of four hexadecimal digits, without "::"
// compression or a zone. "127.0.0.1" stands for a missing IP (PayU requires
// the field) and for an unspecified one (0.0.0.0 or ::, which PayU does not
// accept); text that is no IP address is sent as given.
func customerIP(s string) string {
	const unknown = "127.0.0.1"
	if s == "" {
		return unknown
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return s
	}
	a = a.Unmap().WithZone("")
	if a.IsUnspecified() {
		return unknown
	}
	if a.Is4() {
		return a.String()
	}
	return a.StringExpanded()
}

func orderPath(p *getpaid.Payment) (string, error) {
	if p == nil || p.ExternalID == "" {
		return "", fmt.Errorf("payu: %w: %w", getpaid.ErrInvalidRequest, errNoOrderID)
	}
	return ordersPath + "/" + url.PathEscape(p.ExternalID), nil
}

// retrieve fetches the order (GET /api/v2_1/orders/{orderId}).
func (b *Broker) retrieve(ctx context.Context, op string, p *getpaid.Payment) (*wireOrder, error) {
	path, err := orderPath(p)
	if err != nil {
		return nil, err
	}
	raw, err := b.call(ctx, op, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	return parseOrder(op, raw)
}

// parseOrder reads the order of PayU's retrieve answer: a *BrokerError
// when raw is not PayU's (retryable) or names no order.
func parseOrder(op string, raw []byte) (*wireOrder, error) {
	var resp struct {
		Orders *[]wireOrder `json:"orders"`
		Status payuStatus   `json:"status"`
	}
	if err := json.Unmarshal(raw, &resp); err != nil || resp.Status.StatusCode == "" && resp.Orders == nil {
		// PayU's answer carries its orders (the OpenAPI's 200 schema has
		// orders and properties, no status object; PayU's examples add
		// status SUCCESS); this one (a proxy's 200 page, empty, cut) says
		// nothing: it may be asked again.
		return nil, &getpaid.BrokerError{Op: op, Retryable: true, Err: fmt.Errorf("the answer is not PayU's: %q", brokerhttp.Snippet(raw))}
	}
	if resp.Orders == nil || len(*resp.Orders) == 0 {
		return nil, &getpaid.BrokerError{Op: op, Err: errors.New("PayU answered without the order (no orders[0])")}
	}
	return &(*resp.Orders)[0], nil
}

// FetchStatus retrieves the order (GET /api/v2_1/orders/{orderId}) and maps
// its status like a notification, with EventID "poll:<orderId>:<status>".
func (b *Broker) FetchStatus(ctx context.Context, req *getpaid.StatusRequest) (*getpaid.Observation, error) {
	const op = "payu: retrieve order"
	o, err := b.retrieve(ctx, op, req.Payment)
	if err != nil {
		return nil, err
	}
	obs, err := known(orderObservation(o, "poll:"+o.OrderID+":"+o.Status))
	if err != nil {
		return nil, &getpaid.BrokerError{Op: op, Err: err}
	}
	return obs, nil
}
