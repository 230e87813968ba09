package ui

import (
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/internal/edge"
)

func TestEveryStatusHasALabel(t *testing.T) {
	t.Parallel()
	seen := map[string]getpaid.Status{}
	for _, s := range getpaid.Statuses() {
		l := StatusLabel(s)
		if l == string(s) || l == "" {
			t.Errorf("%s has no human label", s)
		}
		if other, dup := seen[l]; dup {
			t.Errorf("%s and %s share the label %q", s, other, l)
		}
		seen[l] = s
	}
}

func TestStyleHashMatchesTheElement(t *testing.T) {
	t.Parallel()
	el := string(Style())
	body, ok := strings.CutPrefix(el, "<style>")
	body, ok2 := strings.CutSuffix(body, "</style>")
	if !ok || !ok2 || strings.Contains(body, "</") {
		t.Fatalf("Style() is not one closed <style> element: %.60q", el)
	}
	sum := sha256.Sum256([]byte(body))
	if want := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; StyleHash() != want {
		t.Fatalf("StyleHash = %s, want %s", StyleHash(), want)
	}
}

// The pages' policy allows exactly this stylesheet: edge.PageCSP carries
// its hash (edge cannot import this package, which imports edge). When
// style.css changes, put the new hash there.
func TestPageCSPAllowsTheStylesheet(t *testing.T) {
	t.Parallel()
	_, styles, _ := strings.Cut(edge.PageCSP, "style-src ")
	styles, _, _ = strings.Cut(styles, ";")
	if styles != StyleHash() {
		t.Fatalf("edge.PageCSP allows styles %q; want exactly the stylesheet's hash %s", styles, StyleHash())
	}
}
