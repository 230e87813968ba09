package webhook_test

import (
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid/webhook"
)

// A URL pasted with a blank around it (from a secret store, an environment
// variable, a quoted YAML value) or in it was taken: Go's URL parser reads a
// trailing blank as part of the path, so every delivery went to "/hook%20"
// and failed (404) until it was dead. It is refused at start, naming the
// blank.
func TestNewRefusesBlanksInTheURL(t *testing.T) {
	t.Parallel()
	for _, u := range []string{
		"https://shop.example/hook ",
		" https://shop.example/hook",
		"https://shop.example/hook\n",
		"https://shop.example/hook\t",
		"https://shop.example/get paid/hook",
		"https://shop.example/hook\u00a0",
	} {
		_, err := webhook.New(webhook.Config{URL: u, Secrets: []string{webhook.NewSecret()}})
		if err == nil {
			t.Errorf("New(%q) accepted", u)
			continue
		}
		if !strings.Contains(err.Error(), "blank") {
			t.Errorf("New(%q): %v; want it to say the URL has a blank", u, err)
		}
	}
	// Spaces written as %20 are a URL's own.
	if _, err := webhook.New(webhook.Config{URL: "https://shop.example/get%20paid/hook", Secrets: []string{webhook.NewSecret()}}); err != nil {
		t.Errorf("New with %%20: %v", err)
	}
}
