package webhook_test

import (
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/webhook"
)

// New's errors name the endpoint with its query's values hidden: they are
// printed at start and logged, and a URL's token is a secret.
func TestNewErrorsHideQueryValues(t *testing.T) {
	t.Parallel()
	const url = "https://shop.example/hook?token=SECRET42"
	for name, cfg := range map[string]webhook.Config{
		"no secret":      {URL: url},
		"a bad secret":   {URL: url, Secrets: []string{"whsec_!!"}},
		"an event type":  {URL: url, Secrets: []string{webhook.NewSecret()}, Events: []getpaid.EventType{"payment.nope"}},
		"a bad port":     {URL: "https://shop.example:0/hook?token=SECRET42", Secrets: []string{webhook.NewSecret()}},
		"a fragment":     {URL: url + "#x", Secrets: []string{webhook.NewSecret()}},
		"a blank in it":  {URL: url + " ", Secrets: []string{webhook.NewSecret()}},
		"a user in it":   {URL: "https://u:p@shop.example/hook?token=SECRET42", Secrets: []string{webhook.NewSecret()}},
		"twice an event": {URL: url, Secrets: []string{webhook.NewSecret()}, Events: []getpaid.EventType{"payment.created", "payment.created"}},
	} {
		_, err := webhook.New(cfg)
		if err == nil || strings.Contains(err.Error(), "SECRET42") || !strings.Contains(err.Error(), "token=xxxxx") {
			t.Errorf("%s: %v", name, err)
		}
	}
}
