package payu_test

import (
	"encoding/json"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// A refund made in PayU's merchant panel has been seen notified without
// its amount and currency (orderId, extOrderId, refund {refundId, status,
// reason, refundDate}): getpaid refused it as malformed, so PayU sent it
// again for 72 hours and the refund was never recorded. The amount is read
// from the order's refund list; a refund PayU does not list yet is answered
// 503 (sent again), changes nothing and is not counted as a refusal.
func TestPanelRefundNotifiedWithoutAmount(t *testing.T) {
	t.Parallel()
	o := newOutside(t, nil)
	p, id := o.paid(t, "100.00")
	rf := &fakeRefund{ID: "5000000901", Amount: "4000", Currency: "PLN", Status: "FINALIZED"}
	ord := o.fake.order(id)
	note, _ := json.Marshal(map[string]any{"orderId": ord.ID, "extOrderId": ord.Ext, "refund": map[string]string{
		"refundId": rf.ID, "status": "FINALIZED", "reason": "refund", "refundDate": "2026-12-03T17:58:46.567+01:00"}})
	sig := signPayU(note, fakeKey, "MD5")

	if code := o.fake.notify(t, id, note, sig); code != 503 {
		t.Errorf("before PayU lists the refund: answered %d, want 503 (PayU sends it again)", code)
	}
	if got := o.payment(t, p.ID); got.Refunded != 0 || got.Status != getpaid.StatusPaid {
		t.Fatalf("before PayU lists the refund: %s refunded %d, want paid, nothing refunded", got.Status, got.Refunded)
	}

	o.fake.locked(func() { o.fake.refunds[ord.ID] = append(o.fake.refunds[ord.ID], rf) })
	for i := range 3 { // and repeated: counted once
		if code := o.fake.notify(t, id, note, sig); code != 200 {
			t.Errorf("delivery %d: answered %d, want 200", i+1, code)
		}
	}
	got := o.payment(t, p.ID)
	if got.Status != getpaid.StatusPartiallyRefunded || got.Refunded != 4000 || got.Captured != 10000 {
		t.Errorf("after the panel refund: %s captured %d refunded %d, want partially_refunded 10000/4000", got.Status, got.Captured, got.Refunded)
	}
}
