package dotpay

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/getpaid-go/getpaid"
)

// languages the payment form speaks (the list in Dotpay's plugins).
var languages = []string{"pl", "en", "de", "it", "fr", "es", "cz", "cs", "ru", "hu", "ro", "uk", "lt", "lv"}

// returnType is the form's "type": 0 shows the buyer a button back to url
// once the payment ends (the behaviour django-getpaid used).
const returnType = "0"

// Length limits of the form's free-text fields, in characters.
const (
	maxDescription = 255
	maxName        = 50
	maxEmail       = 100
	maxControl     = 1000
)

// checkMoney refuses a currency this backend does not accept and a
// non-positive amount.
func (b *Broker) checkMoney(m getpaid.Money) error {
	if !slices.Contains(b.currencies, m.Currency) {
		return fmt.Errorf("dotpay: %w: %s (accepted: %s)", getpaid.ErrCurrencyNotAccepted, m.Currency, strings.Join(b.currencies, " "))
	}
	if m.Minor <= 0 {
		return fmt.Errorf("dotpay: %w: %s", getpaid.ErrInvalidAmount, m)
	}
	return nil
}

// Prepare builds the signed payment form. Dotpay has no call that registers
// a payment: the buyer carries the parameters, protected by chk, to the
// payment form, as a GET link or an auto-submitted POST form (method). The
// control parameter is getpaid's payment id, echoed in every URLC. Prepare
// makes no network call and records no ExternalID: Dotpay numbers the
// operation once the buyer pays.
func (b *Broker) Prepare(_ context.Context, req *getpaid.PrepareRequest) (*getpaid.Prepared, error) {
	p := req.Payment
	if err := b.checkMoney(p.Amount); err != nil {
		return nil, err
	}
	env, err := b.environment()
	if err != nil {
		return nil, err
	}
	if p.ID == "" || utf8.RuneCountInString(p.ID) > maxControl {
		return nil, fmt.Errorf("dotpay: %w: payment id must be 1 to %d characters", getpaid.ErrInvalidRequest, maxControl)
	}
	amount, err := FormatAmount(p.Amount)
	if err != nil {
		return nil, fmt.Errorf("dotpay: %w", err)
	}
	desc := clean(p.Description, maxDescription)
	if desc == "" {
		desc = "Payment " + p.ID
	}
	params := map[string]string{
		"id": b.cfg.ShopID, "amount": amount, "currency": p.Amount.Currency, "description": desc,
		"control": p.ID, "url": env.SuccessURL(p.ID), "urlc": env.CallbackURL(), "type": returnType,
		"api_version": b.apiVersion,
	}
	if l := strings.ToLower(p.Buyer.Language); slices.Contains(languages, l) {
		params["lang"] = l
	}
	// Optional: an address too long for the form is left out, not cut
	// into another address.
	if e := clean(p.Buyer.Email, maxEmail+1); e != "" && utf8.RuneCountInString(e) <= maxEmail {
		params["email"] = e
	}
	if n := personName(p.Buyer.FirstName); n != "" {
		params["firstname"] = n
	}
	if n := personName(p.Buyer.LastName); n != "" {
		params["lastname"] = n
	}
	params["chk"] = Chk(b.cfg.PIN, params)
	rd := &getpaid.Redirect{Method: b.method, URL: b.paymentURL}
	if b.method == http.MethodPost {
		rd.Fields = params
	} else {
		q := url.Values{}
		for k, v := range params {
			q.Set(k, v)
		}
		rd.URL += "?" + q.Encode()
	}
	return &getpaid.Prepared{Redirect: rd}, nil
}

// clean makes s valid UTF-8 without control characters, trimmed and cut to
// at most n characters.
func clean(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > n {
		s = strings.TrimSpace(string([]rune(s)[:n]))
	}
	return s
}

// personName keeps what Dotpay's form accepts in a name (letters, digits,
// spaces, "-" and "_", as Dotpay's plugins clean it), other characters
// becoming spaces, runs of spaces one.
func personName(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || (r >= '0' && r <= '9') || r == '-' || r == '_' {
			return r
		}
		return ' '
	}, strings.ToValidUTF8(s, ""))
	return clean(strings.Join(strings.Fields(s), " "), maxName)
}
