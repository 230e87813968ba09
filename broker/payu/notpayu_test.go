package payu_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/payu"
	"github.com/getpaid-go/getpaid/broker/payu/payutest"
)

// A capture, release or cancel answered 2xx with a body that is not PayU's
// (a proxy's maintenance page, an empty or cut body) is no word from PayU
// that it acted: the operation is in doubt (Happened, Retryable), never
// recorded as done. Before, any 2xx counted as done, so a proxy's 200 page
// made getpaid record a capture PayU never made (the payment paid, the
// money still held).
func TestMutatingAnswerThatIsNotPayUsIsInDoubt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	bodies := map[string]string{
		"html page": "<html><body>maintenance</body></html>",
		"empty":     "",
		"cut json":  `{"status":{"statusCo`,
		"no status": `{}`,
	}
	for name, body := range bodies {
		for _, action := range []string{"capture", "release", "cancel"} {
			t.Run(name+"/"+action, func(t *testing.T) {
				t.Parallel()
				var e *env
				var fake atomic.Bool
				front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if fake.Load() && r.Method != http.MethodGet && strings.HasPrefix(r.URL.Path, "/api/v2_1/orders/") {
						w.Header().Set("Content-Type", "text/html")
						w.WriteHeader(http.StatusOK)
						_, _ = w.Write([]byte(body))
						return
					}
					e.sim.Handler().ServeHTTP(w, r)
				}))
				t.Cleanup(front.Close)
				e = newEnv(t, payutest.Config{}, func(c *payu.Config) { c.APIURL = front.URL })
				p := e.payment("10.00", "PLN")
				pr := e.prepare(t, p)
				outcome := payutest.OutcomePreAuth
				if action == "cancel" {
					outcome = ""
				}
				if outcome != "" {
					if err := e.sim.Pay(ctx, pr.Redirect, outcome); err != nil {
						t.Fatal(err)
					}
					e.next(t, p)
				}
				fake.Store(true)
				var err error
				switch action {
				case "capture":
					_, err = e.b.Capture(ctx, &getpaid.CaptureRequest{Payment: p, Amount: p.Amount, OperationID: "op_c"})
				case "release":
					_, err = e.b.Release(ctx, &getpaid.ReleaseRequest{Payment: p, OperationID: "op_r"})
				case "cancel":
					_, err = e.b.Cancel(ctx, &getpaid.CancelRequest{Payment: p, OperationID: "op_x"})
				}
				var be *getpaid.BrokerError
				if !errors.As(err, &be) || !be.Happened || !be.Retryable {
					t.Fatalf("err = %v, want a retryable BrokerError that may have happened (PayU never said it acted)", err)
				}
			})
		}
	}
}
