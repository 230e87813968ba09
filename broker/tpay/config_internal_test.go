package tpay

import (
	"net/http"
	"testing"
	"time"
)

// Timeout bounds every call, over a given client's timeout too (as at the
// other backends); redirects are never followed, and the given client is
// left as it was.
func TestTimeoutOverAGivenClient(t *testing.T) {
	t.Parallel()
	given := &http.Client{Timeout: time.Minute}
	b, err := New(Config{ClientID: "id", ClientSecret: "secret", MerchantID: 1010, SecurityCode: "code",
		HTTPClient: given, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if b.client.Timeout != time.Second || b.client.CheckRedirect == nil || b.client.CheckRedirect(nil, nil) != http.ErrUseLastResponse {
		t.Fatalf("timeout %v, redirects followed: %v", b.client.Timeout, b.client.CheckRedirect == nil)
	}
	if given.Timeout != time.Minute || given.CheckRedirect != nil {
		t.Fatal("the given client was changed")
	}
}
