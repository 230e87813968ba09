package webhook_test

import (
	"context"
	"net/http"
	"net/http/httptest"
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

// An endpoint that redirects keeping the query (http to https, a slash
// added: nginx's $request_uri, Django's APPEND_SLASH) names the token in
// its Location: the attempt's error, stored, logged and shown on the
// console and by events list, says where to with the query's values
// hidden, as the endpoint itself is shown.
func TestRedirectLocationHidesQueryValues(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "https://"+r.Host+r.URL.Path+"/?"+r.URL.RawQuery)
		w.WriteHeader(http.StatusMovedPermanently)
	}))
	defer srv.Close()
	ep, err := webhook.New(webhook.Config{URL: srv.URL + "/hook?token=SECRET42", Secrets: []string{webhook.NewSecret()}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = ep.Deliver(context.Background(), sampleEvent())
	if err == nil || strings.Contains(err.Error(), "SECRET42") || !strings.Contains(err.Error(), "/hook/?token=xxxxx") {
		t.Errorf("%v; want the Location said with token=xxxxx", err)
	}
}
