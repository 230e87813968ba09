package getpaid_test

import (
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
	} {
		if got := getpaid.ShownConsumer(tc.name); got != tc.want {
			t.Errorf("ShownConsumer(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}
