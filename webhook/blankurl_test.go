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

// A URL refused for any reason is quoted in the error without what its user
// part holds: a password there (refused too) must not reach the log.
func TestRefusedURLHidesItsPassword(t *testing.T) {
	t.Parallel()
	for _, u := range []string{
		"https://u:s3cret@shop.example/hook ",
		"https://u:s3 cret@shop.example/hook",
		"ftp://u:s3cret@shop.example/hook",
		"https://u:s3cret@shop.example/" + strings.Repeat("a", webhook.MaxURLLength),
		"https://u:s3cret@shop.example/hook",
		"https://u:s3cret@/hook",
	} {
		_, err := webhook.New(webhook.Config{URL: u, Secrets: []string{webhook.NewSecret()}})
		if err == nil {
			t.Errorf("New(%.50q) accepted", u)
			continue
		}
		if strings.Contains(err.Error(), "s3") {
			t.Errorf("New(%.50q): %.120v; the password is shown", u, err)
		}
	}
}
