package przelewy24

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
)

// Limits of transaction/refund (Przelewy24 OpenAPI TransactionRefundJsonRequestBody).
const (
	maxRequestID   = 45
	maxRefundsUUID = 35
	maxRefundDesc  = 35
)

// hashedPrefix marks an id derived from an operation id too long to send.
const hashedPrefix = "sha-"

// refundIDs derives the requestId and refundsUuid of a refund from getpaid's
// operation id, deterministically, so a retried request carries the same
// ids and Przelewy24 answers it as a repeat ("Request already exists"). An
// id that fits is sent as it is (getpaid's "op_..." ids, 29 characters, fit
// both); a longer one is replaced by "sha-" and hex digits of its SHA-256.
func refundIDs(opID string) (requestID, refundsUUID string) {
	sum := sha256.Sum256([]byte(opID))
	h := hex.EncodeToString(sum[:])
	requestID, refundsUUID = opID, opID
	if len(opID) > maxRequestID {
		requestID = hashedPrefix + h[:maxRequestID-len(hashedPrefix)]
	}
	if len(opID) > maxRefundsUUID {
		refundsUUID = hashedPrefix + h[:maxRefundsUUID-len(hashedPrefix)]
	}
	return requestID, refundsUUID
}

// operationOf is the getpaid operation id a requestId echoes, "" for a
// derived one.
func operationOf(requestID string) string {
	if strings.HasPrefix(requestID, hashedPrefix) {
		return ""
	}
	return requestID
}

// orderID is Przelewy24's orderId of the payment: its ExternalID, else found
// by a status lookup.
func (b *Broker) orderID(ctx context.Context, p *getpaid.Payment) (int64, error) {
	if id, err := strconv.ParseInt(p.ExternalID, 10, 64); err == nil && id > 0 {
		return id, nil
	}
	d, found, err := b.lookup(ctx, p)
	if err != nil {
		return 0, err
	}
	if !found || d.OrderID == 0 {
		return 0, fmt.Errorf("przelewy24: %w: no Przelewy24 orderId known for %s", getpaid.ErrNotFound, p.ID)
	}
	return d.OrderID, nil
}

// Refund asks for one refund through the batch endpoint (POST
// /api/v1/transaction/refund) with requestId and refundsUuid derived from the
// operation id and urlStatus = getpaid's callback URL (or refund_notify_url).
// The result is refund_started, unless the 201 answer's item says the attempt
// failed (status false): a refusal, nothing refunded. The refund
// notification, or FetchOperation, finishes it. A repeat that Przelewy24 answers 400 "Request already exists"
// (or "Concurrent call") was accepted before: the refund is looked up and
// reported as it stands, or in doubt when the lookup does not show it yet.
func (b *Broker) Refund(ctx context.Context, req *getpaid.RefundRequest) (*getpaid.Observation, error) {
	p, amount := req.Payment, req.Amount
	if amount.Currency != p.Amount.Currency {
		return nil, fmt.Errorf("przelewy24: %w: refund in %s, payment in %s", getpaid.ErrAmountMismatch, amount.Currency, p.Amount.Currency)
	}
	if amount.Minor <= 0 {
		return nil, fmt.Errorf("przelewy24: %w: refund of %s", getpaid.ErrInvalidAmount, amount)
	}
	if req.OperationID == "" {
		return nil, fmt.Errorf("przelewy24: %w: refund id required", getpaid.ErrInvalidRequest)
	}
	notify := b.cfg.RefundNotifyURL
	if notify == "" {
		env, err := b.environment()
		if err != nil {
			return nil, err
		}
		notify = env.CallbackURL()
	}
	orderID, err := b.orderID(ctx, p)
	if errors.Is(err, getpaid.ErrNotFound) {
		return nil, fmt.Errorf("przelewy24: refund: %w: %v", getpaid.ErrInvalidRequest, err)
	}
	if err != nil {
		return nil, err
	}
	requestID, uuid := refundIDs(req.OperationID)
	in := map[string]any{
		"requestId": requestID, "refundsUuid": uuid, "urlStatus": notify,
		"refunds": []map[string]any{{
			"orderId": orderID, "sessionId": p.ID, "amount": amount.Minor,
			"description": truncate("Refund "+p.ID, maxRefundDesc),
		}},
	}
	var out refundAnswer
	err = b.call(ctx, "przelewy24: refund", http.MethodPost, "/transaction/refund", in, &out)
	if alreadyExists(err) {
		// Przelewy24 has this request: the refund was made, or is being made.
		obs, ferr := b.fetchRefund(ctx, p, req.OperationID, orderID)
		if ferr != nil {
			return nil, &getpaid.BrokerError{Op: "przelewy24: refund", Retryable: true, Happened: true,
				Err: fmt.Errorf("request %s exists at Przelewy24 already, and its lookup failed: %v", requestID, ferr)}
		}
		return obs, nil
	}
	if err != nil {
		return nil, err
	}
	if msg, refused := out.refused(); refused {
		// Przelewy24 answered the request but says the attempt failed:
		// nothing was refunded (its 409 carries the same items).
		return nil, &getpaid.BrokerError{Op: "przelewy24: refund", Err: fmt.Errorf("refund refused: %s", msg)}
	}
	return &getpaid.Observation{
		PaymentID: p.ID, ExternalID: strconv.FormatInt(orderID, 10), EventID: "refund-start:" + uuid,
		Kind: getpaid.KindRefundStarted, Amount: amount, BrokerStatus: "refund requested",
		OperationID: req.OperationID,
	}, nil
}

// refundAnswer is the 201 answer of transaction/refund: "data" holds one
// result per refund asked (Przelewy24 OpenAPI TransactionRefund201Item:
// status "Was refund attempt successful?", message its text).
type refundAnswer struct {
	Data json.RawMessage `json:"data"`
}

// refused reports an item whose status is false, with its message. Items
// without a status, or a "data" of another shape, are taken as accepted: the
// 2xx says the refund was created.
func (a *refundAnswer) refused() (string, bool) {
	var items []struct {
		Status  *bool  `json:"status"`
		Message string `json:"message"`
	}
	if json.Unmarshal(a.Data, &items) != nil {
		return "", false
	}
	for _, it := range items {
		if it.Status != nil && !*it.Status {
			if it.Message == "" {
				return "status false", true
			}
			return it.Message, true
		}
	}
	return "", false
}

// alreadyExists reports Przelewy24's answer to a repeated refund request:
// 400 "Request already exists" (it was made), or 400 "Concurrent call" (the
// same request is being carried out). Its OpenAPI document,
// InvalidInputDataRefund, lists both.
func alreadyExists(err error) bool {
	var be *getpaid.BrokerError
	if !errors.As(err, &be) || be.Status != http.StatusBadRequest || be.Err == nil {
		return false
	}
	text := strings.ToLower(be.Err.Error())
	return strings.Contains(text, "request already exists") || strings.Contains(text, "concurrent call")
}

// refundInfo is one entry of GET /api/v1/refund/by/orderId/{orderId}.
type refundInfo struct {
	BatchID     int64  `json:"batchId"`
	RequestID   string `json:"requestId"`
	Date        string `json:"date"`
	Login       string `json:"login"`
	Description string `json:"description"`
	Status      int    `json:"status"` // 1 completed, 2 pending, 3 awaiting Przelewy24's acceptance, 4 rejected
	Amount      int64  `json:"amount"`
}

type refundsByOrder struct {
	Data struct {
		OrderID   int64        `json:"orderId"`
		SessionID string       `json:"sessionId"`
		Amount    int64        `json:"amount"`
		Currency  string       `json:"currency"`
		Refunds   []refundInfo `json:"refunds"`
	} `json:"data"`
}

// FetchOperation looks a refund up with GET
// /api/v1/refund/by/orderId/{orderId}, matched by requestId (derived from
// the operation id as Refund sends it): status 1 refunded, 2 and 3
// refund_started, 4 refund_failed, with the event ids of the refund
// notification so the two apply once. No such refund (or no refunds for
// the order, Przelewy24's 404) is an error wrapping getpaid.ErrNotFound: the
// refund never reached Przelewy24; a 404 that is not Przelewy24's (a
// proxy's page) is a retryable error. Other operations are not supported (Przelewy24 has no
// capture or release).
func (b *Broker) FetchOperation(ctx context.Context, req *getpaid.OperationRequest) (*getpaid.Observation, error) {
	if req == nil || req.Payment == nil || req.Operation == nil {
		return nil, fmt.Errorf("przelewy24: fetch operation: %w: no payment or operation", getpaid.ErrInvalidRequest)
	}
	if req.Operation.Kind != getpaid.OpRefund {
		return nil, fmt.Errorf("przelewy24: fetch operation %s: %w", req.Operation.Kind, getpaid.ErrNotSupported)
	}
	orderID, err := b.orderID(ctx, req.Payment)
	if err != nil {
		return nil, err
	}
	return b.fetchRefund(ctx, req.Payment, req.Operation.ID, orderID)
}

func (b *Broker) fetchRefund(ctx context.Context, p *getpaid.Payment, opID string, orderID int64) (*getpaid.Observation, error) {
	requestID, uuid := refundIDs(opID)
	order := strconv.FormatInt(orderID, 10)
	var out refundsByOrder
	err := b.call(ctx, "przelewy24: refund lookup", http.MethodGet, "/refund/by/orderId/"+order, nil, &out)
	if brokerhttp.NotFound("przelewy24: refund lookup", "Przelewy24", &err) {
		return nil, fmt.Errorf("przelewy24: refund %s: %w: no refunds for order %s", opID, getpaid.ErrNotFound, order)
	}
	if err != nil {
		return nil, err
	}
	if out.Data.Refunds == nil {
		// Its OpenAPI document's answer lists the order's refunds (and no
		// refunds is a 404): data without a list is no word that the
		// refund is not there, and read as an empty list it would fail a
		// refund Przelewy24 may have made.
		return nil, &getpaid.BrokerError{Op: "przelewy24: refund lookup", Status: http.StatusOK, Retryable: true,
			Err: errors.New("the answer is not Przelewy24's (data without its refunds), so it may be asked again")}
	}
	currency := out.Data.Currency
	if currency == "" {
		currency = p.Amount.Currency
	}
	for _, r := range out.Data.Refunds {
		if r.RequestID != requestID {
			continue
		}
		amount, err := getpaid.NewMoney(r.Amount, currency)
		if err != nil {
			return nil, &getpaid.BrokerError{Op: "przelewy24: refund lookup", Err: err}
		}
		o := &getpaid.Observation{PaymentID: p.ID, ExternalID: order, Amount: amount, OperationID: opID}
		switch r.Status {
		case 1:
			o.Kind, o.BrokerStatus, o.EventID = getpaid.KindRefunded, "refund completed", "refund:"+uuid+":"+order
		case 2, 3:
			o.Kind, o.BrokerStatus, o.EventID = getpaid.KindRefundStarted, "refund pending", "refund-start:"+uuid
		case 4:
			o.Kind, o.BrokerStatus, o.EventID = getpaid.KindRefundFailed, "refund rejected", "refund:"+uuid+":"+order+":rejected"
		default:
			return nil, &getpaid.BrokerError{Op: "przelewy24: refund lookup", Err: fmt.Errorf("refund status %d", r.Status)}
		}
		return o, nil
	}
	return nil, fmt.Errorf("przelewy24: refund %s: %w: order %s has no refund with requestId %s", opID, getpaid.ErrNotFound, order, requestID)
}
