package engine_test

import (
	"context"
	"errors"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/memory"
)

// A shop routing notifications itself calls HandleCallback; a nil request
// (a variable left unset on an error path) is a malformed callback, not a
// nil-pointer panic inside the broker's ParseCallback.
func TestHandleCallbackWithoutRequest(t *testing.T) {
	t.Parallel()
	e := newEngine(t, &fakeBroker{}, memory.New())
	res, err := e.HandleCallback(context.Background(), "fake", nil)
	if res != nil || !errors.Is(err, getpaid.ErrMalformedCallback) {
		t.Fatalf("HandleCallback(nil) = %v, %v; want ErrMalformedCallback", res, err)
	}
}
