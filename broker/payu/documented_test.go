package payu

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// readHTTP reads a fixture of header lines, a blank line and the raw body.
func readHTTP(t *testing.T, path string) (http.Header, []byte) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	head, body, ok := bytes.Cut(raw, []byte("\n\n"))
	if !ok {
		t.Fatalf("%s: no blank line after the headers", path)
	}
	h := http.Header{}
	sc := bufio.NewScanner(bytes.NewReader(head))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ": ")
		if !ok {
			t.Fatalf("%s: bad header line %q", path, sc.Text())
		}
		h[k] = append(h[k], v) // PayU's spelling, not canonicalised
	}
	return h, body
}

// PayU's documented sample notification (developers.payu.com, Notifications;
// the same example, with Polish placeholders, in the Polish documentation),
// with its documented headers, checked by the backend without the simulator.
// PayU does not publish the key behind the sample's signature, so the sample
// is also signed again with the public sandbox POS's second key, by the
// algorithm the sample names (MD5), as PayU signs for that POS.
func TestDocumentedNotification(t *testing.T) {
	t.Parallel()
	header, body := readHTTP(t, "testdata/documented_notification.http")
	documented := headerValue(header, HeaderSignature)
	if documented == "" || documented != headerValue(header, HeaderXSignature) {
		t.Fatalf("the sample carries both signature headers alike: %q / %q", documented, headerValue(header, HeaderXSignature))
	}
	sh, err := ParseSignatureHeader(documented)
	if err != nil || sh.Sender != "checkout" || sh.Algorithm != "MD5" || sh.Content != "DOCUMENT" || len(sh.Signature) != 32 {
		t.Fatalf("documented header parsed as %+v, %v", sh, err)
	}

	b, _ := New(validConfig()) // the public sandbox POS 300746
	strict := validConfig()
	strict.StrictSignatures = true
	bs, _ := New(strict)
	ctx := context.Background()
	req := &getpaid.CallbackRequest{Method: http.MethodPost, Header: header, Body: body}
	if _, err := b.ParseCallback(ctx, req); !errors.Is(err, getpaid.ErrSignatureInvalid) {
		t.Fatalf("the sample's signature is for another POS's key: err = %v, want ErrSignatureInvalid", err)
	}

	sig, _ := Sign("MD5", body, testKey)
	resigned := header.Clone()
	for _, k := range []string{HeaderSignature, "X-OpenPayU-Signature"} { // the keys as the sample spells them
		resigned[k] = []string{strings.Replace(documented, sh.Signature, sig, 1)}
	}
	req = &getpaid.CallbackRequest{Method: http.MethodPost, Header: resigned, Body: body}
	o, err := b.ParseCallback(ctx, req)
	if err != nil {
		t.Fatalf("an MD5 notification signed with the POS's second key is refused: %v", err)
	}
	want := getpaid.Observation{PaymentID: "Id zamówienia w Twoim sklepie", ExternalID: "LDLW5N7MF4140324GUEST000P01",
		EventID: "LDLW5N7MF4140324GUEST000P01:COMPLETED", Kind: getpaid.KindCaptured,
		Amount: getpaid.MustParseMoney("2.00", "PLN"), ReleaseRest: true, HoldFirst: true, BrokerStatus: StatusCompleted}
	if *o != want {
		t.Fatalf("got  %+v\nwant %+v", *o, want)
	}
	if _, err := bs.ParseCallback(ctx, req); !errors.Is(err, getpaid.ErrSignatureInvalid) {
		t.Fatalf("strict_signatures accepted MD5: %v", err)
	}
	p := &getpaid.Payment{ID: o.PaymentID, Status: getpaid.StatusPrepared, Amount: getpaid.MustParseMoney("2.00", "PLN")}
	if changed, err := getpaid.Apply(p, o); !changed || err != nil || p.Status != getpaid.StatusPaid {
		t.Fatalf("Apply: %v %v %s", changed, err, p.Status)
	}
}

// PayU's documented refund notification (developers.payu.com, Refunds).
func TestDocumentedRefundNotification(t *testing.T) {
	t.Parallel()
	body, err := os.ReadFile("testdata/documented_refund_notification.json")
	if err != nil {
		t.Fatal(err)
	}
	o, err := ParseNotification(body)
	if err != nil {
		t.Fatal(err)
	}
	want := getpaid.Observation{PaymentID: "Id zamówienia w Twoim sklepie", ExternalID: "2DVZMPMFPN140219GUEST000P01",
		EventID: "refund:912128:FINALIZED", Kind: getpaid.KindRefunded, Amount: getpaid.MustParseMoney("155.16", "PLN"),
		BrokerStatus: "refund FINALIZED", BrokerRef: "912128"}
	if *o != want {
		t.Fatalf("got  %+v\nwant %+v", *o, want)
	}
}
