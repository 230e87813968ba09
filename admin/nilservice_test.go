package admin_test

import (
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid/admin"
	"github.com/getpaid-go/getpaid/engine"
)

// A nil *engine.Engine (an engine variable shadowed by :=) is not nil to a
// "Service == nil" check: New took it, and the console panicked at its
// first request. It is refused, naming the field.
func TestNilEngineRefused(t *testing.T) {
	t.Parallel()
	hash, err := admin.HashPassword("a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	var eng *engine.Engine
	c, err := admin.New(admin.Config{Service: eng, Users: []admin.User{{Name: "bob", PasswordHash: hash}}})
	if err == nil || !strings.Contains(err.Error(), "Config.Service") {
		t.Fatalf("New = %v, %v; want an error naming Config.Service", c, err)
	}
}
