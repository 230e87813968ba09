package getpaid_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
)

func TestShownConsumer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, want string }{
		{"webhook:https://shop.example/hook", "webhook:https://shop.example/hook"},
		{"webhook:https://shop.example/hook?token=SECRET", "webhook:https://shop.example/hook?token=xxxxx"},
		{"webhook:https://shop.example/hook?a=1&token=SECRET&b=", "webhook:https://shop.example/hook?a=xxxxx&token=xxxxx&b="},
		{"webhook:https://shop.example/hook?SECRET", "webhook:https://shop.example/hook?xxxxx"},
		{"webhook:https://user:SECRET@shop.example/hook", "webhook:https://xxxxx@shop.example/hook"},
		{"webhook:https://shop.example?token=SECRET", "webhook:https://shop.example?token=xxxxx"},
		{"listener:orders?token=x", "listener:orders?token=x"},
		{"webhook:not a url", "webhook:not a url"},
		// A scheme mistyped or left out: the password still ends at the @.
		{"webhook:https:/user:SECRET@shop.example/hook", "webhook:https:/xxxxx@shop.example/hook"},
		{"webhook:user:SECRET@shop.example/hook?token=SECRET", "webhook:user:xxxxx@shop.example/hook?token=xxxxx"},
		{"webhook:https//user:SECRET@shop.example", "webhook:xxxxx@shop.example"},
	} {
		if got := getpaid.ShownConsumer(tc.name); got != tc.want {
			t.Errorf("ShownConsumer(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// Whatever a configured URL holds, what is shown of it keeps no query value
// nor user part, and showing it again changes nothing.
func FuzzShownConsumer(f *testing.F) {
	for _, s := range []string{"https://shop.example/hook?token=SECRET", "https://u:p@shop.example/h?a=1&b=2#frag",
		"https://shop.example?SECRET", "https://[::1]:8443/h?t=%41&x", "http://h/p?a=b=c&&=v", "not a url", "https://h/a@b?c=d@e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		shown := getpaid.ShownConsumer("webhook:" + raw)
		if again := getpaid.ShownConsumer(shown); again != shown {
			t.Fatalf("shown again %q, was %q", again, shown)
		}
		u, ok := strings.CutPrefix(shown, "webhook:")
		if !ok {
			t.Fatalf("lost its prefix: %q", shown)
		}
		_, rest, ok := strings.Cut(u, "://")
		end := strings.IndexAny(rest, "/?#")
		if !ok {
			// A scheme mistyped or left out: what reads as it is kept.
			rest = u[len(regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:/*`).FindString(u)):]
			end = strings.IndexAny(rest, "?#")
		}
		if end < 0 {
			end = len(rest)
		}
		if at := strings.LastIndex(rest[:end], "@"); at >= 0 && rest[:at] != "xxxxx" {
			t.Fatalf("user part shown: %q", shown)
		}
		_, query, ok := strings.Cut(rest, "?")
		if !ok {
			return
		}
		query, _, _ = strings.Cut(query, "#")
		for _, p := range strings.Split(query, "&") {
			if k, v, eq := strings.Cut(p, "="); eq && v != "" && v != "xxxxx" || !eq && p != "" && p != "xxxxx" {
				t.Fatalf("query value shown in %q: %q (key %q)", shown, p, k)
			}
		}
	})
}
