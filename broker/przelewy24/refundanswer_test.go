package przelewy24

import (
	"encoding/json"
	"testing"
)

// A refund's 201 answer is a refusal only when an item says status false;
// anything else Przelewy24 may send (items without a status, a data of
// another shape, a truncated item list) is no refusal: the 2xx stands.
func TestRefundAnswerRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, body string
		refused    bool
		msg        string
	}{
		{"accepted", `{"data":[{"orderId":1,"sessionId":"s","amount":100,"status":true,"message":"success"}],"responseCode":0}`, false, ""},
		{"refused with a message", `{"data":[{"orderId":1,"status":false,"message":"Amount exceeds available amount"}]}`, true, "Amount exceeds available amount"},
		{"refused without one", `{"data":[{"orderId":1,"status":false}]}`, true, "status false"},
		{"one of two refused", `{"data":[{"status":true},{"status":false,"message":"no"}]}`, true, "no"},
		{"no status", `{"data":[{"orderId":1}]}`, false, ""},
		{"data not a list", `{"data":{"status":false}}`, false, ""},
		{"no data", `{"responseCode":0}`, false, ""},
		{"status not a bool", `{"data":[{"status":"false"}]}`, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var a refundAnswer
			if err := json.Unmarshal([]byte(tc.body), &a); err != nil {
				t.Fatal(err)
			}
			msg, refused := a.refused()
			if refused != tc.refused || msg != tc.msg {
				t.Fatalf("refused() = %q, %v; want %q, %v", msg, refused, tc.msg, tc.refused)
			}
		})
	}
}
