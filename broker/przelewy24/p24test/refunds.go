package p24test

import (
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"
)

type refundIn struct {
	RequestID   string `json:"requestId"`
	RefundsUUID string `json:"refundsUuid"`
	URLStatus   string `json:"urlStatus"`
	Refunds     []struct {
		OrderID     int64  `json:"orderId"`
		SessionID   string `json:"sessionId"`
		Amount      int64  `json:"amount"`
		Description string `json:"description"`
	} `json:"refunds"`
}

// Refund lookup statuses (GET /api/v1/refund/by/orderId/{orderId}).
const (
	RefundCompleted = 1
	RefundPending   = 2
	RefundAwaiting  = 3 // awaiting Przelewy24's acceptance (not simulated)
	RefundRejected  = 4
)

func (s *Server) refund(w http.ResponseWriter, r *http.Request) {
	var in refundIn
	if err := decode(r, &in); err != nil || in.RequestID == "" || in.RefundsUUID == "" ||
		len(in.RequestID) > 45 || len(in.RefundsUUID) > 35 || len(in.Refunds) == 0 || utf8.RuneCountInString(in.URLStatus) > 250 {
		apiError(w, http.StatusBadRequest, "Invalid input data")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rf := range s.refunds {
		if rf.RequestID == in.RequestID || rf.UUID == in.RefundsUUID {
			// As the specification's example answers a repeated request.
			apiError(w, http.StatusBadRequest, "Request already exists")
			return
		}
	}
	results := make([]map[string]any, len(in.Refunds))
	ok := true
	pending := map[int64]int64{}
	for i, it := range in.Refunds {
		res := map[string]any{"orderId": it.OrderID, "sessionId": it.SessionID, "amount": it.Amount,
			"description": it.Description, "status": true, "message": "success"}
		t, found := s.byOrder[it.OrderID]
		switch {
		case !found || t.SessionID != it.SessionID || t.Status < StatusVerified:
			res["status"], res["message"] = false, "Transaction not found"
			ok = false
		case it.Amount <= 0 || it.Amount > t.Paid-t.Refunded-pending[it.OrderID]:
			res["status"], res["message"] = false, "The amount of refund exceeds available amount for the transaction"
			ok = false
		case utf8.RuneCountInString(it.Description) > 35:
			res["status"], res["message"] = false, "Invalid description"
			ok = false
		default:
			pending[it.OrderID] += it.Amount
		}
		results[i] = res
	}
	if !ok {
		writeJSON(w, http.StatusConflict, map[string]any{"error": results, "code": http.StatusConflict})
		return
	}
	for _, it := range in.Refunds {
		t := s.byOrder[it.OrderID]
		t.Refunded += it.Amount
		rf := &refund{RequestID: in.RequestID, UUID: in.RefundsUUID, OrderID: it.OrderID, Amount: it.Amount,
			Description: it.Description, Status: RefundPending, Date: s.now()}
		s.refunds = append(s.refunds, rf)
		if s.cfg.RefundDelay <= 0 {
			s.settleRefundLocked(t, rf, in.URLStatus)
			continue
		}
		urlStatus := in.URLStatus
		s.life.After(s.cfg.RefundDelay, func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.settleRefundLocked(t, rf, urlStatus)
		})
	}
	writeJSON(w, http.StatusCreated, map[string]any{"data": results, "responseCode": 0})
}

// settleRefundLocked ends a pending refund as completed, or rejected when so
// set, and sends its notification to urlStatus. s.mu is held.
func (s *Server) settleRefundLocked(t *transaction, rf *refund, urlStatus string) {
	if rf.Status != RefundPending {
		return
	}
	status := int64(0)
	if s.rejRef {
		status, rf.Status = 1, RefundRejected
		t.Refunded -= rf.Amount
	} else {
		rf.Status = RefundCompleted
		if t.Refunded >= t.Paid {
			t.Status = StatusReturned
		}
	}
	if urlStatus != "" {
		s.deliverLocked("refund", t.SessionID, urlStatus, s.refundNotificationBody(t, rf, status), nil)
	}
}

// refundsByOrder answers GET /api/v1/refund/by/orderId/{orderId}: the
// transaction and its refunds, 404 when it has none.
func (s *Server) refundsByOrder(w http.ResponseWriter, r *http.Request) {
	order, err := strconv.ParseInt(r.PathValue("orderId"), 10, 64)
	if err != nil {
		apiError(w, http.StatusBadRequest, "Invalid input data")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.byOrder[order]
	var list []map[string]any
	for _, rf := range s.refunds {
		if rf.OrderID == order {
			list = append(list, map[string]any{"batchId": 0, "requestId": rf.RequestID, "date": rf.Date.Format(time.DateTime),
				"login": "api", "description": rf.Description, "status": rf.Status, "amount": rf.Amount})
		}
	}
	if !ok || len(list) == 0 {
		apiError(w, http.StatusNotFound, "Refund with given Order Id not found")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{
		"orderId": t.OrderID, "sessionId": t.SessionID, "amount": t.Paid, "currency": t.Currency, "refunds": list,
	}, "responseCode": 0})
}

// Refunds lists the refunds asked for a session's transaction as
// (requestId, refundsUuid, amount, lookup status), oldest first.
func (s *Server) Refunds(sessionID string) []RefundRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.bySess[sessionID]
	if !ok {
		return nil
	}
	var out []RefundRecord
	for _, rf := range s.refunds {
		if rf.OrderID == t.OrderID {
			out = append(out, RefundRecord{RequestID: rf.RequestID, RefundsUUID: rf.UUID, Amount: rf.Amount, Status: rf.Status})
		}
	}
	return out
}

// RefundRecord is one refund the simulator accepted.
type RefundRecord struct {
	RequestID, RefundsUUID string
	Amount                 int64
	Status                 int // RefundCompleted, RefundPending, RefundRejected
}
