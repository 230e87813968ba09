package brokertest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// errBroker refuses every notification with err, and its verifier with
// verr.
type errBroker struct {
	getpaid.Broker
	err, verr error
}

func (b errBroker) ParseCallback(context.Context, *getpaid.CallbackRequest) (*getpaid.Observation, error) {
	return nil, b.err
}

func (b errBroker) VerifyCallback(context.Context, *getpaid.CallbackRequest) error { return b.verr }

// TestCheckJunk: the junk case fails a broker that refuses a body that is
// no notification with an error of neither class (the HTTP layer answers
// it 500, and the sender is told to try again), or whose verifier passes
// it; a broker refusing it as malformed or as a bad signature passes.
func TestCheckJunk(t *testing.T) {
	t.Parallel()
	sig := fmt.Errorf("x: %w", getpaid.ErrSignatureInvalid)
	bad := fmt.Errorf("x: %w", getpaid.ErrMalformedCallback)
	tests := []struct {
		name      string
		err, verr error
		want      string // in every failure; "" for none
	}{
		{"signature", sig, sig, ""},
		{"malformed", bad, bad, ""},
		{"another error", errors.New("unexpected end of JSON input"), sig, "ParseCallback err"},
		{"verifier passes", sig, nil, "VerifyCallback err = <nil>"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := failures(t, func(tb testing.TB) {
				checkJunk(tb, errBroker{err: tc.err, verr: tc.verr}, &getpaid.CallbackRequest{Body: []byte(`{"a":1}`)})
			})
			switch {
			case tc.want == "" && len(got) > 0:
				t.Errorf("failed a broker that is right: %q", got)
			case tc.want != "" && len(got) != len(junk(&getpaid.CallbackRequest{})):
				t.Errorf("failures %q, want one per junk body", got)
			case tc.want != "" && !strings.Contains(got[0], tc.want):
				t.Errorf("failures %q, want them saying %q", got, tc.want)
			}
		})
	}
}
