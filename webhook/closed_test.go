package webhook_test

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
)

// An endpoint that reads the request and closes the connection without an
// answer (a crashing handler, a proxy dropping it) failed the attempt with
// "webhook: EOF", which an operator reading events show could not tell
// from anything. It says the endpoint closed the connection without
// answering; the error still unwraps to io.EOF.
func TestClosedWithoutAnswerSaysSo(t *testing.T) {
	t.Parallel()
	ep := rawEndpoint(t, func(net.Conn) {})
	status, err := ep.Deliver(context.Background(), sampleEvent())
	if err == nil || status != 0 {
		t.Fatalf("Deliver = %d, %v; want a failure", status, err)
	}
	if !strings.Contains(err.Error(), "closed the connection without answering") || !errors.Is(err, io.EOF) {
		t.Fatalf("Deliver: %v; want it to say the endpoint closed the connection, unwrapping to io.EOF", err)
	}
}
