package przelewy24

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
)

type registerRequest struct {
	MerchantID    int    `json:"merchantId"`
	PosID         int    `json:"posId"`
	SessionID     string `json:"sessionId"`
	Amount        int64  `json:"amount"`
	Currency      string `json:"currency"`
	Description   string `json:"description"`
	Email         string `json:"email"`
	Client        string `json:"client,omitempty"`
	Country       string `json:"country"`
	Language      string `json:"language"`
	Method        int    `json:"method,omitempty"`
	URLReturn     string `json:"urlReturn"`
	URLStatus     string `json:"urlStatus,omitempty"`
	TimeLimit     *int   `json:"timeLimit,omitempty"`
	Channel       int    `json:"channel,omitempty"`
	WaitForResult *bool  `json:"waitForResult,omitempty"`
	Encoding      string `json:"encoding"`
	Sign          string `json:"sign"`
}

// Field limits of register (Przelewy24 OpenAPI TransactionRequestBody), in
// characters.
const (
	maxSessionID   = 100
	maxDescription = 1024
	maxEmail       = 50
	maxClient      = 40
	maxURL         = 250
)

// BrokerStatus words of observations this backend makes.
const (
	statusNotification = "notification"    // a transaction notification, or a poll of a paid, unverified transaction
	statusVerified     = "payment made"    // a poll of a verified transaction (status 2)
	statusAdvance      = "advance payment" // paid with an amount other than the registered one
)

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
// orderId only arrives with the notification. A value register would refuse
// or that would have to be cut (the buyer's email over 50 characters, an id
// over 100, getpaid's URLs over 250) is refused before anything is sent.
func (b *Broker) Prepare(ctx context.Context, req *getpaid.PrepareRequest) (*getpaid.Prepared, error) {
	p := req.Payment
	if err := b.checkMoney(p.Amount); err != nil {
		return nil, err
	}
	switch n := utf8.RuneCountInString(p.Buyer.Email); {
	case n == 0:
		return nil, fmt.Errorf("przelewy24: %w", &getpaid.FieldError{Field: "buyer.email", Reason: "Przelewy24 requires the buyer's email", Err: getpaid.ErrInvalidRequest})
	case n > maxEmail:
		return nil, fmt.Errorf("przelewy24: %w", &getpaid.FieldError{Field: "buyer.email",
			Reason: fmt.Sprintf("Przelewy24 accepts at most %d characters, got %d", maxEmail, n), Err: getpaid.ErrInvalidRequest})
	}
	if len(p.ID) > maxSessionID {
		return nil, fmt.Errorf("przelewy24: %w: payment id longer than %d characters", getpaid.ErrInvalidRequest, maxSessionID)
	}
	env, err := b.environment()
	if err != nil {
		return nil, err
	}
	urlReturn, urlStatus := env.SuccessURL(p.ID), env.CallbackURL()
	if utf8.RuneCountInString(urlReturn) > maxURL || utf8.RuneCountInString(urlStatus) > maxURL {
		return nil, fmt.Errorf("przelewy24: %w: getpaid's return or notification URL is longer than Przelewy24's %d characters (shorten base_url)", getpaid.ErrInvalidRequest, maxURL)
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
		Description: truncate(desc, maxDescription), Email: p.Buyer.Email,
		Client:  truncate(strings.TrimSpace(p.Buyer.FirstName+" "+p.Buyer.LastName), maxClient),
		Country: b.cfg.Country, Language: lang, Method: b.cfg.Method, URLReturn: urlReturn, URLStatus: urlStatus,
		TimeLimit: b.cfg.TimeLimit, Channel: b.cfg.Channel, WaitForResult: b.cfg.WaitForResult,
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
		return nil, &getpaid.BrokerError{Op: "przelewy24: register", Happened: true, Retryable: true, Err: errors.New("answer has no token, so whether Przelewy24 registered the transaction is unknown")}
	}
	return &getpaid.Prepared{Redirect: &getpaid.Redirect{
		Method: http.MethodGet, URL: b.base + "/trnRequest/" + url.PathEscape(out.Data.Token),
	}}, nil
}

// ConfirmCallback calls transaction/verify for a capture, signed over the
// observation's amount and orderId: a transaction notification (or a poll of
// a paid, unverified transaction) for the amount registered, or an advance an
// operator accepted (the engine then confirms an observation of
// getpaid.KindCaptured whose Amount is the advance; its orderId is the
// observation's ExternalID, else the payment's). An amount above the
// payment's, or in another currency, is refused before any call. Until
// verify succeeds nothing is paid: any error leaves the payment unchanged and
// the notification is answered with an error, so Przelewy24 sends it again.
//
// Nothing else is confirmed: an advance (KindAdvance) is recorded without
// verify, because verifying is what accepts the money; a poll of a verified
// transaction is already confirmed; refund notifications need no
// confirmation.
func (b *Broker) ConfirmCallback(ctx context.Context, req *getpaid.ConfirmRequest) error {
	p, o := req.Payment, req.Observation
	if o.Kind != getpaid.KindCaptured || o.BrokerStatus == statusVerified {
		return nil
	}
	if o.PaymentID != "" && o.PaymentID != p.ID {
		return fmt.Errorf("przelewy24: %w: notification for %q, payment %q", getpaid.ErrBackendMismatch, o.PaymentID, p.ID)
	}
	if o.Amount.Currency != p.Amount.Currency || o.Amount.Minor <= 0 || o.Amount.Minor > p.Amount.Minor {
		return fmt.Errorf("przelewy24: %w: verify of %s on a payment of %s", getpaid.ErrAmountMismatch, o.Amount, p.Amount)
	}
	ext := o.ExternalID
	if ext == "" {
		ext = p.ExternalID
	}
	orderID, err := strconv.ParseInt(ext, 10, 64)
	if err != nil || orderID <= 0 {
		return fmt.Errorf("przelewy24: %w: no Przelewy24 orderId to verify (%q)", getpaid.ErrMalformedCallback, ext)
	}
	in := map[string]any{ // encoding/json sorts map keys; order is irrelevant here
		"merchantId": b.cfg.MerchantID, "posId": b.cfg.PosID, "sessionId": p.ID,
		"amount": o.Amount.Minor, "currency": o.Amount.Currency, "orderId": orderID,
		"sign": verifySign(p.ID, orderID, o.Amount.Minor, o.Amount.Currency, b.cfg.CRC),
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
// false for Przelewy24's own 404. A 404 that is not Przelewy24's (a proxy's
// page) is a retryable error: it says nothing of the transaction.
func (b *Broker) lookup(ctx context.Context, p *getpaid.Payment) (d transactionData, found bool, err error) {
	var out struct {
		Data transactionData `json:"data"`
	}
	const op = "przelewy24: status"
	err = b.call(ctx, op, http.MethodGet, "/transaction/by/sessionId/"+url.PathEscape(p.ID), nil, &out)
	if brokerhttp.NotFound(op, "Przelewy24", &err) {
		return d, false, nil
	}
	return out.Data, err == nil, err
}

// FetchStatus maps the status lookup:
//
//	404, 0 (no payment)   -> nothing new (Przelewy24's own 404; one that
//	                         is not Przelewy24's, a proxy's page, is a
//	                         retryable error)
//	1 (paid, not verified), the registered amount
//	                      -> captured, reported like a notification, so the
//	                         engine confirms it with verify before applying it
//	1, another amount     -> advance (recorded for an operator, never verified here)
//	2 (paid and verified) -> captured, data.amount (Full when it is the
//	                         payment's amount; less after an accepted advance)
//	3 (returned)          -> nothing new: refunds arrive, with their amounts,
//	                         as refund notifications or through FetchOperation
//
// A currency other than the payment's is an error wrapping
// getpaid.ErrAmountMismatch. FetchStatus itself never calls verify.
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
	order := ""
	if d.OrderID != 0 {
		order = strconv.FormatInt(d.OrderID, 10)
		o.ExternalID = order
	}
	o.EventID = fmt.Sprintf("poll:%d:%d", d.Status, d.OrderID)
	if (d.Status == 1 || d.Status == 2) && d.Currency != "" && d.Currency != p.Amount.Currency {
		return nil, fmt.Errorf("przelewy24: %w: broker says %s, payment is %s", getpaid.ErrAmountMismatch, d.Currency, p.Amount.Currency)
	}
	switch d.Status {
	case 0:
		o.BrokerStatus = "no payment"
	case 1:
		o.Amount = p.Money(d.Amount)
		if d.Amount != p.Amount.Minor {
			// Paid with another amount: an advance, as its notification says.
			o.Kind, o.BrokerStatus, o.EventID, o.MustConfirm = getpaid.KindAdvance, statusAdvance, "advance:"+order, true
			break
		}
		// Paid but not verified: the notification was lost or is still on
		// its way. Reported like a notification, so the engine confirms it
		// with transaction/verify before anything is applied.
		o.Kind, o.BrokerStatus, o.Full, o.MustConfirm = getpaid.KindCaptured, statusNotification, true, true
	case 2:
		o.Kind, o.BrokerStatus = getpaid.KindCaptured, statusVerified
		o.Amount = p.Money(d.Amount)
		o.Full = d.Amount == p.Amount.Minor
	case 3:
		o.BrokerStatus = "returned"
	default:
		o.BrokerStatus = "status " + strconv.Itoa(d.Status)
	}
	return o, nil
}

// truncate cuts s to at most n characters (runes).
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
