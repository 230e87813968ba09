package dummy

import "testing"

// FuzzCanonical holds the hand-built canonical form to url.Values.Encode of
// the same fields: a signature made before the change, or by anyone encoding
// the form the usual way, must still verify.
func FuzzCanonical(f *testing.F) {
	f.Add("pay_1", "12.34", "PLN", "an order", "https://shop.example/gp/callback/dummy",
		"https://shop.example/gp/success/pay_1", "https://shop.example/gp/failure/pay_1")
	f.Add("", "", "", "", "", "", "")
	f.Add("a&b=c", "1 0", "%zz", "zażółć gęślą jaźń +/?#", "x\x00y", "http://h/?a=1&b=2", "~-._*'()!")
	f.Fuzz(func(t *testing.T, id, amount, currency, desc, notify, success, failure string) {
		p := paywallFields{PaymentID: id, Amount: amount, Currency: currency, Description: desc,
			NotifyURL: notify, SuccessURL: success, FailureURL: failure}
		if got, want := p.canonical(), p.form().Encode(); got != want {
			t.Fatalf("canonical %q, Encode %q", got, want)
		}
	})
}
