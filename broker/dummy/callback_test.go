package dummy_test

import (
	"errors"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
)

// TestParseBodyRefusesTrailingData: a callback body is one JSON object and
// nothing after it, whatever the first byte after it is.
func TestParseBodyRefusesTrailingData(t *testing.T) {
	t.Parallel()
	const good = `{"payment_id":"pay_1","event_id":"e1","status":"paid","amount":"12.34","currency":"PLN"}`
	if _, err := dummy.ParseBody([]byte(good + " \n")); err != nil {
		t.Fatalf("trailing white space refused: %v", err)
	}
	for _, tail := range []string{"{}", "}", "]", "]garbage", " } ", "x"} {
		t.Run(tail, func(t *testing.T) {
			t.Parallel()
			if o, err := dummy.ParseBody([]byte(good + tail)); !errors.Is(err, getpaid.ErrMalformedCallback) {
				t.Fatalf("ParseBody(good+%q) = %+v, %v; want ErrMalformedCallback", tail, o, err)
			}
		})
	}
}
