package przelewy24

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/getpaid-go/getpaid"
)

type registerRequest struct {
	MerchantID  int    `json:"merchantId"`
	PosID       int    `json:"posId"`
	SessionID   string `json:"sessionId"`
	Amount      int64  `json:"amount"`
	Currency    string `json:"currency"`
	Description string `json:"description"`
	Email       string `json:"email"`
	Client      string `json:"client,omitempty"`
	Country     string `json:"country"`
	Language    string `json:"language"`
	URLReturn   string `json:"urlReturn"`
	URLStatus   string `json:"urlStatus,omitempty"`
	Encoding    string `json:"encoding"`
	Sign        string `json:"sign"`
}

// checkMoney refuses a currency this backend does not accept and a
// non-positive amount.
func (b *Broker) checkMoney(m getpaid.Money) error {
	if !slices.Contains(b.cfg.Currencies, m.Currency) {
		return fmt.Errorf("przelewy24: %w: %s (accepted: %s)", getpaid.ErrCurrencyNotAccepted, m.Currency, strings.Join(b.cfg.Currencies, " "))
	}
	if m.Minor <= 0 {
		return fmt.Errorf("przelewy24: %w: %s", getpaid.ErrInvalidAmount, m)
	}
	return nil
}

// Prepare registers the transaction (sessionId = the payment id) and sends the
// buyer to /trnRequest/{token}. It returns no ExternalID: Przelewy24's
// orderId only arrives with the notification.
func (b *Broker) Prepare(ctx context.Context, req *getpaid.PrepareRequest) (*getpaid.Prepared, error) {
	p := req.Payment
	if err := b.checkMoney(p.Amount); err != nil {
		return nil, err
	}
	if p.Buyer.Email == "" {
		return nil, fmt.Errorf("przelewy24: %w", &getpaid.FieldError{Field: "buyer.email", Reason: "Przelewy24 requires the buyer's email", Err: getpaid.ErrInvalidRequest})
	}
	env, err := b.environment()
	if err != nil {
		return nil, err
	}
	urlReturn := env.SuccessURL(p.ID)
	if len(p.ID) > 100 {
		return nil, fmt.Errorf("przelewy24: %w: payment id longer than 100 characters", getpaid.ErrInvalidRequest)
	}
	lang := b.cfg.Language
	if l := strings.ToLower(p.Buyer.Language); slices.Contains(languages, l) {
		lang = l
	}
	desc := p.Description
	if desc == "" {
		desc = "Payment " + p.ID
	}
	r := registerRequest{
		MerchantID: b.cfg.MerchantID, PosID: b.cfg.PosID, SessionID: p.ID,
		Amount: p.Amount.Minor, Currency: p.Amount.Currency,
		Description: truncate(desc, 1024), Email: truncate(p.Buyer.Email, 50),
		Client:  truncate(strings.TrimSpace(p.Buyer.FirstName+" "+p.Buyer.LastName), 40),
		Country: b.cfg.Country, Language: lang, URLReturn: urlReturn, URLStatus: env.CallbackURL(),
		Encoding: "UTF-8",
		Sign:     registerSign(p.ID, b.cfg.MerchantID, p.Amount.Minor, p.Amount.Currency, b.cfg.CRC),
	}
	var out struct {
		Data struct {
			Token string `json:"token"`
		} `json:"data"`
	}
	if err := b.call(ctx, "przelewy24: register", http.MethodPost, "/transaction/register", r, &out); err != nil {
		return nil, err
	}
	if out.Data.Token == "" {
		return nil, &getpaid.BrokerError{Op: "przelewy24: register", Err: errors.New("answer has no token")}
	}
	return &getpaid.Prepared{Redirect: &getpaid.Redirect{
		Method: http.MethodGet, URL: b.base + "/trnRequest/" + url.PathEscape(out.Data.Token),
	}}, nil
}

// ConfirmCallback calls transaction/verify for a transaction notification,
// signed over the payment's own amount and currency, so a notification that
// does not match the payment is never confirmed. Until verify succeeds the
// payment is not paid: any error leaves it unchanged and the notification is
// answered with an error, so Przelewy24 sends it again. Refund notifications
// need no confirmation.
func (b *Broker) ConfirmCallback(ctx context.Context, req *getpaid.ConfirmRequest) error {
	p, o := req.Payment, req.Observation
	if o.BrokerStatus != statusNotification {
		return nil
	}
	if o.PaymentID != p.ID {
		return fmt.Errorf("przelewy24: %w: notification for %q, payment %q", getpaid.ErrBackendMismatch, o.PaymentID, p.ID)
	}
	if o.Amount != p.Amount {
		return fmt.Errorf("przelewy24: %w: notification says %s, payment is %s", getpaid.ErrAmountMismatch, o.Amount, p.Amount)
	}
	orderID, err := strconv.ParseInt(o.ExternalID, 10, 64)
	if err != nil {
		return fmt.Errorf("przelewy24: %w: orderId %q", getpaid.ErrMalformedCallback, o.ExternalID)
	}
	in := map[string]any{ // encoding/json sorts map keys; order is irrelevant here
		"merchantId": b.cfg.MerchantID, "posId": b.cfg.PosID, "sessionId": p.ID,
		"amount": p.Amount.Minor, "currency": p.Amount.Currency, "orderId": orderID,
		"sign": verifySign(p.ID, orderID, p.Amount.Minor, p.Amount.Currency, b.cfg.CRC),
	}
	var out struct {
		Data struct {
			Status string `json:"status"`
		} `json:"data"`
	}
	const op = "przelewy24: verify"
	if err := b.call(ctx, op, http.MethodPut, "/transaction/verify", in, &out); err != nil {
		return err
	}
	if out.Data.Status != "success" {
		return &getpaid.BrokerError{Op: op, Err: fmt.Errorf("status %q, want success", out.Data.Status)}
	}
	return nil
}

type transactionData struct {
	OrderID   int64  `json:"orderId"`
	SessionID string `json:"sessionId"`
	Status    int    `json:"status"`
	Amount    int64  `json:"amount"`
	Currency  string `json:"currency"`
}

// lookup fetches the transaction registered under the payment's id; found is
// false for a 404.
func (b *Broker) lookup(ctx context.Context, p *getpaid.Payment) (d transactionData, found bool, err error) {
	var out struct {
		Data transactionData `json:"data"`
	}
	err = b.call(ctx, "przelewy24: status", http.MethodGet, "/transaction/by/sessionId/"+url.PathEscape(p.ID), nil, &out)
	if httpStatus(err) == http.StatusNotFound {
		return d, false, nil
	}
	return out.Data, err == nil, err
}

// FetchStatus maps the status lookup: 0 (or 404) nothing new; 1 (paid but not
// verified) pending, never paid; 2 captured, data.amount; 3 (returned) nothing
// new: refunds are deltas that arrive, with their amounts, as refund
// notifications, so the poll reports the word only.
func (b *Broker) FetchStatus(ctx context.Context, req *getpaid.StatusRequest) (*getpaid.Observation, error) {
	p := req.Payment
	d, found, err := b.lookup(ctx, p)
	if err != nil {
		return nil, err
	}
	o := &getpaid.Observation{PaymentID: p.ID, Kind: getpaid.KindNone}
	if !found {
		o.BrokerStatus = "not found"
		return o, nil
	}
	if d.OrderID != 0 {
		o.ExternalID = strconv.FormatInt(d.OrderID, 10)
	}
	o.EventID = fmt.Sprintf("poll:%d:%d", d.Status, d.OrderID)
	switch d.Status {
	case 0:
		o.BrokerStatus = "no payment"
	case 1:
		// Paid but not verified: the notification was lost or is still on
		// its way. Reported like a notification, so the engine confirms it
		// with transaction/verify before anything is applied: polling can
		// finish a payment whose notifications never arrive.
		if d.Currency != "" && d.Currency != p.Amount.Currency {
			return nil, fmt.Errorf("przelewy24: %w: broker says %s, payment is %s", getpaid.ErrAmountMismatch, d.Currency, p.Amount.Currency)
		}
		o.Kind, o.BrokerStatus = getpaid.KindCaptured, statusNotification
		o.Amount = p.Money(d.Amount)
		o.Full = d.Amount == p.Amount.Minor
	case 2:
		if d.Currency != "" && d.Currency != p.Amount.Currency {
			return nil, fmt.Errorf("przelewy24: %w: broker says %s, payment is %s", getpaid.ErrAmountMismatch, d.Currency, p.Amount.Currency)
		}
		o.Kind, o.BrokerStatus = getpaid.KindCaptured, "payment made"
		o.Amount = p.Money(d.Amount)
		o.Full = d.Amount == p.Amount.Minor
	case 3:
		o.BrokerStatus = "returned"
	default:
		o.BrokerStatus = "status " + strconv.Itoa(d.Status)
	}
	return o, nil
}

// Refund asks for a refund of amount through the batch refund endpoint.
// refundID is the requestId and, up to 35 characters, the refundsUuid (longer
// ids are hashed). The result arrives later as a refund notification.
func (b *Broker) Refund(ctx context.Context, req *getpaid.RefundRequest) (*getpaid.Observation, error) {
	p, amount, refundID := req.Payment, req.Amount, req.OperationID
	if amount.Currency != p.Amount.Currency {
		return nil, fmt.Errorf("przelewy24: %w: refund in %s, payment in %s", getpaid.ErrAmountMismatch, amount.Currency, p.Amount.Currency)
	}
	if amount.Minor <= 0 {
		return nil, fmt.Errorf("przelewy24: %w: refund of %s", getpaid.ErrInvalidAmount, amount)
	}
	if refundID == "" {
		return nil, fmt.Errorf("przelewy24: %w: refund id required", getpaid.ErrInvalidRequest)
	}
	orderID, err := strconv.ParseInt(p.ExternalID, 10, 64)
	if err != nil {
		d, found, lerr := b.lookup(ctx, p)
		if lerr != nil {
			return nil, lerr
		}
		if !found || d.OrderID == 0 {
			return nil, fmt.Errorf("przelewy24: %w: no Przelewy24 orderId known for %s", getpaid.ErrInvalidRequest, p.ID)
		}
		orderID = d.OrderID
	}
	uuid := refundID
	if len(uuid) > 35 {
		sum := sha256.Sum256([]byte(refundID))
		uuid = hex.EncodeToString(sum[:])[:35]
	}
	notify := b.cfg.RefundNotifyURL
	if notify == "" {
		env, err := b.environment()
		if err != nil {
			return nil, err
		}
		notify = env.CallbackURL()
	}
	in := map[string]any{
		"requestId": truncate(refundID, 45), "refundsUuid": uuid, "urlStatus": notify,
		"refunds": []map[string]any{{
			"orderId": orderID, "sessionId": p.ID, "amount": amount.Minor,
			"description": truncate("Refund "+p.ID, 35),
		}},
	}
	if err := b.call(ctx, "przelewy24: refund", http.MethodPost, "/transaction/refund", in, nil); err != nil {
		return nil, err
	}
	return &getpaid.Observation{
		PaymentID: p.ID, ExternalID: strconv.FormatInt(orderID, 10), EventID: "refund-start:" + uuid,
		Kind: getpaid.KindRefundStarted, Amount: amount, BrokerStatus: "refund requested",
	}, nil
}

// truncate cuts s to at most n characters (runes).
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
