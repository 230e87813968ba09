package payu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/getpaid-go/getpaid"
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

// createOrder is the create-order request body (brokers.md §1.4).
type createOrder struct {
	NotifyURL     string        `json:"notifyUrl,omitempty"`
	ContinueURL   string        `json:"continueUrl,omitempty"`
	CustomerIP    string        `json:"customerIp"`
	MerchantPosID string        `json:"merchantPosId"`
	Description   string        `json:"description"`
	CurrencyCode  string        `json:"currencyCode"`
	TotalAmount   string        `json:"totalAmount"`
	ExtOrderID    string        `json:"extOrderId"`
	Buyer         *wireBuyer    `json:"buyer,omitempty"`
	Products      []wireProduct `json:"products"`
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
	ip := req.ClientIP
	if ip == "" {
		ip = "127.0.0.1"
	}
	body := createOrder{
		NotifyURL:     env.CallbackURL(),
		ContinueURL:   env.SuccessURL(p.ID),
		CustomerIP:    ip,
		MerchantPosID: b.cfg.PosID,
		Description:   desc,
		CurrencyCode:  p.Amount.Currency,
		TotalAmount:   total,
		ExtOrderID:    p.ID,
		Products:      []wireProduct{{Name: desc, UnitPrice: total, Quantity: "1"}},
	}
	if bu := p.Buyer; bu != (getpaid.Buyer{}) {
		body.Buyer = &wireBuyer{Email: bu.Email, Phone: bu.Phone, FirstName: bu.FirstName, LastName: bu.LastName, Language: bu.Language}
	}
	raw, err := b.call(ctx, op, http.MethodPost, ordersPath, body)
	if err != nil {
		return nil, err
	}
	var resp struct {
		Status      payuStatus `json:"status"`
		RedirectURI string     `json:"redirectUri"`
		OrderID     string     `json:"orderId"`
	}
	if err := json.Unmarshal(raw, &resp); err != nil {
		return nil, &getpaid.BrokerError{Op: op, Err: fmt.Errorf("bad response: %w", err)}
	}
	switch resp.Status.StatusCode {
	case "SUCCESS", "WARNING_CONTINUE_REDIRECT":
	default:
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

func orderPath(p *getpaid.Payment) (string, error) {
	if p == nil || p.ExternalID == "" {
		return "", fmt.Errorf("payu: %w: %w", getpaid.ErrInvalidRequest, errNoOrderID)
	}
	return ordersPath + "/" + url.PathEscape(p.ExternalID), nil
}

// FetchStatus retrieves the order (GET /api/v2_1/orders/{orderId}) and maps
// its status like a notification, with EventID "poll:<orderId>:<status>".
func (b *Broker) FetchStatus(ctx context.Context, req *getpaid.StatusRequest) (*getpaid.Observation, error) {
	p := req.Payment
	const op = "payu: retrieve order"
	path, err := orderPath(p)
	if err != nil {
		return nil, err
	}
	raw, err := b.call(ctx, op, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	var resp struct {
		Orders []wireOrder `json:"orders"`
	}
	if err := json.Unmarshal(raw, &resp); err != nil || len(resp.Orders) == 0 {
		return nil, &getpaid.BrokerError{Op: op, Err: errors.New("response has no orders[0]")}
	}
	o := &resp.Orders[0]
	obs, err := orderObservation(o, "poll:"+o.OrderID+":"+o.Status)
	if err != nil {
		return nil, &getpaid.BrokerError{Op: op, Err: err}
	}
	return obs, nil
}

// Capture captures a pre-authorisation with PayU's status update
// (PUT /api/v2_1/orders/{orderId}/status, orderStatus COMPLETED). PayU
// captures the whole hold this way, so amount must equal the held amount;
// partial captures are refused with getpaid.ErrNotSupported.
func (b *Broker) Capture(ctx context.Context, req *getpaid.CaptureRequest) (*getpaid.Observation, error) {
	p, amount := req.Payment, req.Amount
	const op = "payu: capture"
	path, err := orderPath(p)
	if err != nil {
		return nil, err
	}
	if amount.Currency != p.Amount.Currency {
		return nil, fmt.Errorf("%s: %w: %s on a %s payment", op, getpaid.ErrAmountMismatch, amount, p.Amount.Currency)
	}
	if p.Captured != 0 || amount.Minor != p.Amount.Minor {
		return nil, fmt.Errorf("%s: %w: PayU captures the whole order amount (%s), not %s", op, getpaid.ErrNotSupported, p.Amount, amount)
	}
	body := map[string]string{"orderId": p.ExternalID, "orderStatus": StatusCompleted}
	if _, err := b.call(ctx, op, http.MethodPut, path+"/status", body); err != nil {
		return nil, err
	}
	return &getpaid.Observation{
		PaymentID: p.ID, ExternalID: p.ExternalID, EventID: "capture:" + p.ExternalID,
		Kind: getpaid.KindCaptured, Amount: p.Amount, Full: true, BrokerStatus: StatusCompleted,
	}, nil
}

// Release cancels the order holding a pre-authorisation
// (DELETE /api/v2_1/orders/{orderId}).
func (b *Broker) Release(ctx context.Context, req *getpaid.ReleaseRequest) (*getpaid.Observation, error) {
	return b.cancel(ctx, req.Payment, "payu: release", "release:")
}

// Cancel cancels an unpaid order (DELETE /api/v2_1/orders/{orderId}).
func (b *Broker) Cancel(ctx context.Context, req *getpaid.CancelRequest) (*getpaid.Observation, error) {
	return b.cancel(ctx, req.Payment, "payu: cancel", "cancel:")
}

func (b *Broker) cancel(ctx context.Context, p *getpaid.Payment, op, prefix string) (*getpaid.Observation, error) {
	path, err := orderPath(p)
	if err != nil {
		return nil, err
	}
	if _, err := b.call(ctx, op, http.MethodDelete, path, nil); err != nil {
		return nil, err
	}
	return &getpaid.Observation{
		PaymentID: p.ID, ExternalID: p.ExternalID, EventID: prefix + p.ExternalID,
		Kind: getpaid.KindReleased, Amount: p.Money(0), BrokerStatus: StatusCanceled,
	}, nil
}

type refundRequest struct {
	Refund refundBody `json:"refund"`
}

type refundBody struct {
	Description  string `json:"description"`
	Amount       string `json:"amount,omitempty"`
	ExtRefundID  string `json:"extRefundId,omitempty"`
	CurrencyCode string `json:"currencyCode"`
}

// Refund asks PayU to refund amount (POST /api/v2_1/orders/{orderId}/refunds)
// with extRefundId = refundID, which makes a repeat idempotent at PayU. The
// amount is omitted when it is everything captured (a full refund). The
// result is KindRefundStarted; the refund notification (FINALIZED or
// CANCELED) completes it.
func (b *Broker) Refund(ctx context.Context, req *getpaid.RefundRequest) (*getpaid.Observation, error) {
	p, amount, refundID := req.Payment, req.Amount, req.OperationID
	const op = "payu: refund"
	path, err := orderPath(p)
	if err != nil {
		return nil, err
	}
	if amount.Currency != p.Amount.Currency {
		return nil, fmt.Errorf("%s: %w: %s on a %s payment", op, getpaid.ErrAmountMismatch, amount, p.Amount.Currency)
	}
	wire, err := FormatAmount(amount)
	if err != nil || amount.Minor <= 0 {
		return nil, fmt.Errorf("%s: %w: %s", op, getpaid.ErrInvalidAmount, amount)
	}
	body := refundBody{Description: "Refund " + refundID, ExtRefundID: refundID, CurrencyCode: amount.Currency}
	if refundID == "" {
		body.Description = "Refund of " + p.ID
	}
	if !(p.Refunded == 0 && p.RefundAsked == 0 && amount.Minor == p.Captured) {
		body.Amount = wire
	}
	raw, err := b.call(ctx, op, http.MethodPost, path+"/refunds", refundRequest{Refund: body})
	if err != nil {
		return nil, err
	}
	var resp struct {
		Refund wireRefund `json:"refund"`
	}
	if err := json.Unmarshal(raw, &resp); err != nil {
		return nil, &getpaid.BrokerError{Op: op, Err: fmt.Errorf("bad response: %w", err)}
	}
	id := resp.Refund.RefundID
	if id == "" {
		id = refundID
	}
	return &getpaid.Observation{
		PaymentID: p.ID, ExternalID: p.ExternalID, EventID: "refund:" + id + ":" + RefundPending,
		Kind: getpaid.KindRefundStarted, Amount: amount, BrokerStatus: "refund " + RefundPending,
	}, nil
}
