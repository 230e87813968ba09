package simkit

import (
	"net/http"
	"testing"
)

func TestHost(t *testing.T) {
	t.Parallel()
	var h Host
	h.Close() // nothing served: nothing to close
	h.SetBaseURL("https://sim.example/payu/")
	if h.URL() != "https://sim.example/payu" {
		t.Fatalf("URL %q", h.URL())
	}
	h.Serve(http.NotFoundHandler())
	resp, err := http.Get(h.URL() + "/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("served %d", resp.StatusCode)
	}
	h.Close()
	h.Close()
	if _, err := http.Get(h.URL() + "/x"); err == nil {
		t.Fatal("still served after Close")
	}
}
