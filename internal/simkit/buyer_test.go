package simkit

import (
	"context"
	"errors"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
)

var testBuyer = Buyer{Broker: "Acme", Page: template.Must(template.New("p").Parse(`<p>pay {{.}}</p>`)),
	Unknown: "Unknown transaction", UnknownText: "No such transaction."}

func TestBuyerShow(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		found bool
		code  int
		text  string
	}{{true, http.StatusOK, "<p>pay 10.00 PLN</p>"}, {false, http.StatusNotFound, "No such transaction."}} {
		w := httptest.NewRecorder()
		testBuyer.Show(w, "10.00 PLN", tt.found)
		if w.Code != tt.code || !strings.Contains(w.Body.String(), tt.text) || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
			t.Errorf("found %v: %d %q", tt.found, w.Code, w.Body.String())
		}
	}
}

func TestBuyerChosen(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		back     string
		err      error
		left     bool
		code     int
		location string
		text     string
	}{
		{"paid", "https://shop.example/success/1", nil, false, http.StatusSeeOther, "https://shop.example/success/1", ""},
		{"refused", "", errors.New("transaction already paid"), false, http.StatusBadRequest, "", "transaction already paid"},
		{"left", "", nil, true, http.StatusOK, "", "Acme tells the shop nothing"},
		{"nowhere to go back to", "", nil, false, http.StatusOK, "", "https://shop.example/back"},
	}
	for _, tt := range tests {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, "/pay/1", nil)
		testBuyer.Chosen(w, r, tt.back, tt.err, tt.left, func() string { return "https://shop.example/back" })
		if w.Code != tt.code || w.Header().Get("Location") != tt.location || !strings.Contains(w.Body.String(), tt.text) {
			t.Errorf("%s: %d %q %q", tt.name, w.Code, w.Header().Get("Location"), w.Body.String())
		}
	}
}

func TestBuyerRequest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	req, err := BuyerRequest(ctx, &getpaid.Redirect{Method: http.MethodPost, URL: "https://broker.example/pay", Fields: map[string]string{"amount": "10.00", "id": "1"}})
	if err != nil || req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		t.Fatalf("%+v, %v", req, err)
	}
	if body, _ := io.ReadAll(req.Body); string(body) != "amount=10.00&id=1" {
		t.Fatalf("form %q", body)
	}
	req, err = BuyerRequest(ctx, &getpaid.Redirect{Method: http.MethodGet, URL: "https://broker.example/pay?t=1"})
	if err != nil || req.Method != http.MethodGet || req.URL.String() != "https://broker.example/pay?t=1" {
		t.Fatalf("%+v, %v", req, err)
	}
}

// Open and Choose act as the buyer on a page and say which step failed.
func TestOpenChoose(t *testing.T) {
	t.Parallel()
	var chosen string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/gone":
			http.NotFound(w, r)
		case r.Method == http.MethodGet:
			_, _ = w.Write([]byte("page"))
		case r.PostFormValue("outcome") == "paid":
			chosen = "paid"
			http.Redirect(w, r, "https://shop.example/back", http.StatusSeeOther)
		default:
			http.Error(w, "unknown outcome", http.StatusBadRequest)
		}
	}))
	defer srv.Close()
	ctx, c := context.Background(), BuyerClient()
	if err := Open(ctx, c, srv.URL+"/pay", "acmetest"); err != nil {
		t.Fatal(err)
	}
	if err := Open(ctx, c, srv.URL+"/gone", "acmetest"); err == nil || err.Error() != "acmetest: payment page answered 404 Not Found" {
		t.Fatalf("a missing page: %v", err)
	}
	if err := Choose(ctx, c, srv.URL+"/pay", "paid", "acmetest"); err != nil || chosen != "paid" {
		t.Fatalf("choosing paid: %v (%q); the redirect back must not be followed", err, chosen)
	}
	if err := Choose(ctx, c, srv.URL+"/pay", "maybe", "acmetest"); err == nil || err.Error() != `acmetest: choosing "maybe" answered 400 Bad Request` {
		t.Fatalf("a refused choice: %v", err)
	}
}

type replacedDefault struct{ http.RoundTripper }

// The simulators play the buyer with BuyerClient: an application test that
// replaced http.DefaultTransport (a fake, a tracer) made it panic. Not
// parallel: it replaces the default for its duration.
func TestBuyerClientOverAReplacedDefault(t *testing.T) {
	orig := http.DefaultTransport
	http.DefaultTransport = replacedDefault{orig}
	defer func() { http.DefaultTransport = orig }()
	if c := BuyerClient(); c.Transport == nil {
		t.Fatal("no transport")
	}
}
