package webhook_test

import (
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid/webhook"
)

// A URL naming a port but no host (http://:8080/hook, written from a listen
// address) was taken, and Go's client sent every delivery to this machine's
// port: the shop got nothing, and whatever listened there got its payments'
// events. It is refused at start.
func TestNewRefusesURLWithoutHost(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"http://:8080/hook", "https://:443/hook", "https://:/hook", "http:///hook"} {
		_, err := webhook.New(webhook.Config{URL: u, Secrets: []string{webhook.NewSecret()}})
		if err == nil || !strings.Contains(err.Error(), "host") {
			t.Errorf("New(%q): %v; want it refused for having no host", u, err)
		}
	}
}
