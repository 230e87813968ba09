package transferuj

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/internal/tpaynotify"
)

// RequestMD5 is the form's md5sum over the merchant id, the amount as sent,
// the crc and the security code: joined with "&" (VariantJoined) or
// concatenated (VariantPlain).
func RequestMD5(variant, id, amount, crc, code string) string {
	sep := "&"
	if variant == VariantPlain {
		sep = ""
	}
	sum := md5.Sum([]byte(strings.Join([]string{id, amount, crc, code}, sep)))
	return hex.EncodeToString(sum[:])
}

// Field names of the form: current (VariantJoined) and the Polish ones
// django-getpaid 1.x sent (VariantPlain), which Tpay still maps to them.
var (
	currentNames = map[string]string{
		"amount": "amount", "description": "description", "result_url": "result_url",
		"return_url": "return_url", "return_error_url": "return_error_url", "language": "language", "name": "name",
	}
	legacyNames = map[string]string{
		"amount": "kwota", "description": "opis", "result_url": "wyn_url",
		"return_url": "pow_url", "return_error_url": "pow_url_blad", "language": "jezyk", "name": "nazwisko",
	}
	// languages the payment panel speaks: every one for the current names,
	// pl/en/de for the old form.
	currentLanguages = []string{"PL", "EN", "DE", "IT", "ES", "FR", "RU"}
	legacyLanguages  = []string{"pl", "en", "de"}
)

// Prepare builds the signed payment form: crc is getpaid's payment id (it
// comes back as tr_crc), the amount is in major units ("123.45"). It calls
// nothing: the buyer's browser takes the form to Tpay, by an auto-submitted
// POST or a GET link (method). The transaction title (tr_id) arrives with the
// notification.
func (b *Broker) Prepare(_ context.Context, req *getpaid.PrepareRequest) (*getpaid.Prepared, error) {
	p := req.Payment
	if !slices.Contains(b.cfg.Currencies, p.Amount.Currency) {
		return nil, fmt.Errorf("transferuj: %w: %s (the account takes %s)", getpaid.ErrCurrencyNotAccepted, p.Amount.Currency, b.cfg.Currencies[0])
	}
	if p.Amount.Minor <= 0 {
		return nil, fmt.Errorf("transferuj: %w: %s", getpaid.ErrInvalidAmount, p.Amount)
	}
	if len(p.ID) > 128 {
		return nil, fmt.Errorf("transferuj: %w: payment id longer than 128 characters", getpaid.ErrInvalidRequest)
	}
	amount, err := tpaynotify.FormatAmount(p.Amount)
	if err != nil {
		return nil, fmt.Errorf("transferuj: %w: %v", getpaid.ErrInvalidAmount, err)
	}
	env, err := b.environment()
	if err != nil {
		return nil, err
	}
	names, langs := currentNames, currentLanguages
	if b.cfg.MD5Variant == VariantPlain {
		names, langs = legacyNames, legacyLanguages
	}
	id := strconv.Itoa(b.cfg.MerchantID)
	desc := p.Description
	if strings.TrimSpace(desc) == "" {
		desc = "Payment " + p.ID
	}
	f := map[string]string{
		"id":                      id,
		names["amount"]:           amount,
		names["description"]:      truncate(desc, 128),
		"crc":                     p.ID,
		"md5sum":                  RequestMD5(b.cfg.MD5Variant, id, amount, p.ID, b.cfg.SecurityCode),
		names["result_url"]:       env.CallbackURL(),
		names["return_url"]:       env.SuccessURL(p.ID),
		names["return_error_url"]: env.FailureURL(p.ID),
	}
	if e := p.Buyer.Email; e != "" && utf8.RuneCountInString(e) <= 64 {
		f["email"] = e // optional; a longer one is left out, not cut into another address
	}
	if name := strings.TrimSpace(p.Buyer.FirstName + " " + p.Buyer.LastName); name != "" && b.cfg.MD5Variant == VariantJoined {
		f[names["name"]] = truncate(name, 64)
	}
	for _, l := range langs {
		if strings.EqualFold(l, p.Buyer.Language) {
			f[names["language"]] = l
		}
	}
	if b.cfg.Method == MethodGet {
		q := url.Values{}
		for k, v := range f {
			q.Set(k, v)
		}
		return &getpaid.Prepared{Redirect: &getpaid.Redirect{Method: http.MethodGet, URL: b.base + "?" + q.Encode()}}, nil
	}
	return &getpaid.Prepared{Redirect: &getpaid.Redirect{Method: http.MethodPost, URL: b.base, Fields: f}}, nil
}

// truncate cuts s to at most n characters (runes).
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
