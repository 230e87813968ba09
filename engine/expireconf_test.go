package engine_test

import (
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/memory"
)

// Config.ExpireAfterBackend keyed by a name no backend has (a typo:
// "payu-pln" for "payu_pln") was taken and never used: that backend's
// payments expired on the default deadline instead, with no word of it.
// engine.New refuses it, naming the entry, as httpapi.New does for
// Limits.CallbackBytes.
func TestExpireAfterBackendNamesABackend(t *testing.T) {
	t.Parallel()
	reg, err := getpaid.NewRegistry(getpaid.Backend{Name: "fake", Broker: &fakeBroker{}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		expire  map[string]time.Duration
		wantErr string
	}{
		{"known backend", map[string]time.Duration{"fake": time.Hour}, ""},
		{"known backend, never", map[string]time.Duration{"fake": -1}, ""},
		{"unknown backend", map[string]time.Duration{"fake": time.Hour, "fkae": time.Hour}, `"fkae"`},
	} {
		e, err := engine.New(engine.Config{Store: memory.New(), Registry: reg, BaseURL: "https://shop.example/pay",
			NoDelivery: true, ExpireAfterBackend: tc.expire})
		if e != nil {
			_ = e.Close()
		}
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: error %v, want one naming %s", tc.name, err, tc.wantErr)
		}
	}
}
