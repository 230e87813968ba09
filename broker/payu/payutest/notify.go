package payutest

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"net/http"
	"strings"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/internal/simkit"
)

// allowed lists the order status changes the simulator makes.
var allowed = map[string][]string{
	"NEW":                      {"PENDING", "WAITING_FOR_CONFIRMATION", "COMPLETED", "CANCELED"},
	"PENDING":                  {"WAITING_FOR_CONFIRMATION", "COMPLETED", "CANCELED"},
	"WAITING_FOR_CONFIRMATION": {"COMPLETED", "CANCELED"},
}

// transition moves o to status and queues the notification; s.mu is held.
func (s *Server) transition(o *order, status string) bool {
	ok := false
	for _, to := range allowed[o.Status] {
		ok = ok || to == status
	}
	if !ok {
		return false
	}
	o.Status = status
	s.send(o, status, s.orderBody(o))
	return true
}

// orderBody renders an order notification like PayU: the whole order with
// numbers as strings, the receipt time and the PAYMENT_ID property.
func (s *Server) orderBody(o *order) []byte {
	view := *o
	if view.Status != "NEW" {
		view.PayMethod = &payMethod{Type: "PBL"}
	}
	m := map[string]any{
		"order":      &view,
		"properties": []map[string]string{{"name": "PAYMENT_ID", "value": o.paymentID}},
	}
	if o.Status == "COMPLETED" {
		m["localReceiptDateTime"] = time.Now().Format("2006-01-02T15:04:05.000-07:00")
	}
	b, _ := json.Marshal(m)
	return b
}

// signature returns the OpenPayu-Signature value for body: the digest made
// with the algorithm the header names, as PayU's is.
func (s *Server) signature(body []byte) string {
	alg := strings.ToUpper(s.cfg.Algorithm)
	h := digests[alg]()
	h.Write(body)
	h.Write([]byte(s.cfg.SecondKey))
	return "sender=checkout;signature=" + hex.EncodeToString(h.Sum(nil)) + ";algorithm=" + alg + ";content=DOCUMENT"
}

// digests are the algorithms PayU names in OpenPayu-Signature, under both
// spellings its documentation uses; New refuses any other.
var digests = map[string]func() hash.Hash{
	"MD5": md5.New, "SHA-1": sha1.New, "SHA1": sha1.New, "SHA-256": sha256.New, "SHA256": sha256.New,
	"SHA-384": sha512.New384, "SHA384": sha512.New384, "SHA-512": sha512.New, "SHA512": sha512.New,
}

// SignedHeader returns the headers PayU sends with body: both signature
// headers and the JSON content type. Keys are in canonical form, as
// net/http hands them to a handler.
func (s *Server) SignedHeader(body []byte) http.Header {
	sig := s.signature(body)
	h := http.Header{}
	h.Set("Content-Type", "application/json;charset=UTF-8")
	h.Set("OpenPayu-Signature", sig)
	h.Set("X-OpenPayU-Signature", sig)
	return h
}

// send delivers body to the order's notifyUrl in the background, after the
// order's previous notification, until the receiver answers 200; s.mu is
// held.
func (s *Server) send(o *order, label string, body []byte) {
	if o.NotifyURL == "" {
		return
	}
	h := s.SignedHeader(body)
	// On the wire, keep PayU's own spelling of the header name.
	h["OpenPayu-Signature"] = h.Values("OpenPayu-Signature")
	h.Del("Openpayu-Signature")
	id, target := o.OrderID, o.NotifyURL
	s.notify.Send(simkit.Message{Key: id, URL: target, Body: body, Header: h}, func(a simkit.Attempt) Delivery {
		return Delivery{OrderID: id, Status: label, URL: target, Attempt: a.N, StatusCode: a.Code, Err: a.Err, At: a.At}
	})
}

// Notification builds an order notification for orderID exactly as PayU
// signs it, with the given status, totalAmount and currencyCode replacing the
// order's (empty keeps the order's value). It sends nothing: tests post it
// themselves to exercise duplicates, reordering, tampering or wrong amounts.
// For an unknown orderID it builds a notification of an order that has
// extOrderId = orderID.
func (s *Server) Notification(orderID, status, totalAmount, currency string) (*getpaid.CallbackRequest, error) {
	s.mu.Lock()
	o, ok := s.orders[orderID]
	var view order
	if ok {
		view = *o
		view.refunds = nil
	} else {
		view = order{OrderID: orderID, ExtOrderID: orderID, MerchantPosID: s.cfg.PosID, CustomerIP: "127.0.0.1",
			Description: "unknown order", CurrencyCode: "PLN", TotalAmount: "1000", paymentID: "1",
			OrderCreateDate: time.Now().Format("2006-01-02T15:04:05.000-07:00"),
			Products:        json.RawMessage(`[{"name":"unknown order","unitPrice":"1000","quantity":"1"}]`)}
	}
	s.mu.Unlock()
	if status != "" {
		view.Status = status
	}
	if view.Status == "" {
		return nil, fmt.Errorf("payutest: no status for order %q", orderID)
	}
	if totalAmount != "" {
		view.TotalAmount = totalAmount
	}
	if currency != "" {
		view.CurrencyCode = currency
	}
	body := s.orderBody(&view)
	return &getpaid.CallbackRequest{Method: http.MethodPost, Header: s.SignedHeader(body), Body: body, RemoteIP: "127.0.0.1"}, nil
}

// RefundNotification builds a signed refund notification for an order's
// refund (refundId or extRefundId) with the given status (FINALIZED,
// CANCELED) without sending it.
func (s *Server) RefundNotification(orderID, refundID, status string) (*getpaid.CallbackRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[orderID]
	if !ok {
		return nil, fmt.Errorf("payutest: no order %q", orderID)
	}
	for _, r := range o.refunds {
		if r.RefundID == refundID || r.ExtRefundID == refundID {
			c := *r
			c.Status = status
			body := s.refundBody(o, &c)
			return &getpaid.CallbackRequest{Method: http.MethodPost, Header: s.SignedHeader(body), Body: body, RemoteIP: "127.0.0.1"}, nil
		}
	}
	return nil, fmt.Errorf("payutest: order %s has no refund %q", orderID, refundID)
}
