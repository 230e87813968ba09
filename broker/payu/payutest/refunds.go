package payutest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

type refundRequest struct {
	Refund struct {
		Description  string `json:"description"`
		Amount       string `json:"amount"`
		ExtRefundID  string `json:"extRefundId"`
		CurrencyCode string `json:"currencyCode"`
	} `json:"refund"`
}

func (s *Server) handleRefund(w http.ResponseWriter, r *http.Request) {
	var req refundRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&req); err != nil {
		writeStatus(w, http.StatusBadRequest, "ERROR_SYNTAX", "Syntax error in request")
		return
	}
	o, ok := s.lookup(w, r)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	rq := req.Refund
	payload := fmt.Sprintf("%q|%q|%q|%q", rq.Description, rq.Amount, rq.ExtRefundID, rq.CurrencyCode)
	if rq.ExtRefundID != "" {
		for _, old := range o.refunds {
			if old.ExtRefundID != rq.ExtRefundID {
				continue
			}
			if old.payload != payload {
				writeStatus(w, http.StatusBadRequest, "ERROR_VALUE_INVALID", "extRefundId already used with other data")
				return
			}
			writeJSON(w, http.StatusOK, map[string]any{"orderId": o.OrderID, "refund": old, "status": statusBody{StatusCode: "SUCCESS", StatusDesc: "Refund queued for processing"}})
			return
		}
	}
	switch {
	case rq.Description == "":
		writeStatus(w, http.StatusBadRequest, "ERROR_VALUE_MISSING", "Missing required field: refund.description")
		return
	case rq.CurrencyCode != "" && rq.CurrencyCode != o.CurrencyCode:
		writeStatus(w, http.StatusBadRequest, "ERROR_VALUE_INVALID", "Invalid field value: refund.currencyCode")
		return
	case rq.Amount != "" && (!digits(rq.Amount) || rq.Amount == "0"):
		writeStatus(w, http.StatusBadRequest, "ERROR_VALUE_INVALID", "Invalid field value: refund.amount")
		return
	case o.Status != "COMPLETED":
		writeStatus(w, http.StatusBadRequest, "BUSINESS_ERROR", "Order in status "+o.Status+" cannot be refunded")
		return
	}
	total, _ := strconv.ParseInt(o.TotalAmount, 10, 64)
	left := total
	for _, old := range o.refunds {
		if old.Status != "CANCELED" {
			n, _ := strconv.ParseInt(old.Amount, 10, 64)
			left -= n
		}
	}
	amount := left
	if rq.Amount != "" {
		amount, _ = strconv.ParseInt(rq.Amount, 10, 64)
	}
	if amount <= 0 || amount > left {
		writeStatus(w, http.StatusBadRequest, "BUSINESS_ERROR", "Refund amount exceeds the amount available for refund")
		return
	}
	now := time.Now().Format(time.RFC3339)
	ref := &refund{
		RefundID: s.nextRefundID(), ExtRefundID: rq.ExtRefundID,
		Amount: strconv.FormatInt(amount, 10), CurrencyCode: o.CurrencyCode, Description: rq.Description,
		CreationDateTime: now, Status: "PENDING", StatusDateTime: now, payload: payload,
	}
	o.refunds = append(o.refunds, ref)
	if d := s.cfg.AutoSettleRefunds; d > 0 {
		s.life.After(d, func() { _ = s.SettleRefund(o.OrderID, ref.RefundID, "FINALIZED") })
	}
	writeJSON(w, http.StatusOK, map[string]any{"orderId": o.OrderID, "refund": ref, "status": statusBody{StatusCode: "SUCCESS", StatusDesc: "Refund queued for processing"}})
}

func (s *Server) handleListRefunds(w http.ResponseWriter, r *http.Request) {
	o, ok := s.lookup(w, r)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	list := o.refunds
	if list == nil {
		list = []*refund{}
	}
	if s.cfg.RefundListArray {
		writeJSON(w, http.StatusOK, list)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"refunds": list})
}

// handleGetRefund answers one refund of an order, found by PayU's refundId
// (PayU's "Retrieve Specific Refund Data": the refund object itself).
func (s *Server) handleGetRefund(w http.ResponseWriter, r *http.Request) {
	o, ok := s.lookup(w, r)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	for _, ref := range o.refunds {
		if ref.RefundID == r.PathValue("refundId") {
			writeJSON(w, http.StatusOK, ref)
			return
		}
	}
	writeStatus(w, http.StatusNotFound, "DATA_NOT_FOUND", "Could not find data for given criteria")
}

// SettleRefund ends a PENDING refund with status "FINALIZED" or "CANCELED"
// and sends the refund notification. refundID is PayU's refundId or the
// merchant's extRefundId.
func (s *Server) SettleRefund(orderID, refundID, status string) error {
	if status != "FINALIZED" && status != "CANCELED" {
		return fmt.Errorf("payutest: refund status %q: want FINALIZED or CANCELED", status)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[orderID]
	if !ok {
		return fmt.Errorf("payutest: no order %q", orderID)
	}
	for _, ref := range o.refunds {
		if ref.RefundID != refundID && ref.ExtRefundID != refundID {
			continue
		}
		if ref.Status != "PENDING" {
			return fmt.Errorf("payutest: refund %s is already %s", refundID, ref.Status)
		}
		ref.Status = status
		ref.StatusDateTime = time.Now().Format(time.RFC3339)
		s.send(o, "refund "+status, s.refundBody(o, ref))
		return nil
	}
	return fmt.Errorf("payutest: order %s has no refund %q", orderID, refundID)
}

// Refunds lists an order's refunds as (refundId, extRefundId, amount, status).
func (s *Server) Refunds(orderID string) [][4]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[orderID]
	if !ok {
		return nil
	}
	var out [][4]string
	for _, r := range o.refunds {
		out = append(out, [4]string{r.RefundID, r.ExtRefundID, r.Amount, r.Status})
	}
	return out
}

func (s *Server) refundBody(o *order, r *refund) []byte {
	b, _ := json.Marshal(map[string]any{
		"orderId": o.OrderID, "extOrderId": o.ExtOrderID,
		"refund": map[string]string{
			"refundId": r.RefundID, "amount": r.Amount, "currencyCode": r.CurrencyCode, "status": r.Status,
			"statusDateTime": r.StatusDateTime, "reason": "refund", "reasonDescription": r.Description,
			"refundDate": r.CreationDateTime,
		},
	})
	return b
}
