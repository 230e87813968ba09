package main

import (
	"strings"
	"testing"
)

// FuzzParseConfig: any config file, with any one GETPAID_ variable set, is
// read or refused without a panic or a hang (aliases, tags, keys set twice,
// a variable's YAML); the same input is read the same again; what is read
// has a database, a backend and a base URL getpaid can make callback URLs
// from. The seeds are the tests' configs, with their variables.
func FuzzParseConfig(f *testing.F) {
	const file = "listen: 127.0.0.1:0\ndatabase: \"memory:\"\napi_keys: [server-api-key-0123456789]\n" +
		"backends:\n  dummy:\n    secret: s\n  payu:\n    pos_id: \"1\"\n    second_key: k\n    client_id: \"1\"\n    client_secret: c\n"
	f.Add([]byte(dummyConfig), "", "")
	f.Add([]byte(file), "BACKEND_PAYU_TIMEOUT", "soon")
	f.Add([]byte(file), "BACKEND_PAYU_SECOND_KEY", "!b6ca15b0d1020e8094d9b5f8d163db54")
	f.Add([]byte(file), "BASE_URL", "https://pay.example.com/shop/")
	f.Add([]byte(file), "LISTEN", ":8000")
	f.Add([]byte(file), "LIMITS", "{max_body: 64KiB}")
	f.Add([]byte(file), "BACKEND_DUMMY_CURRENCIES", "PLN,XXX")
	f.Add([]byte(file+"tracing:\n  headers:\n    Authorization: !!Bearer s3cr3t\n"), "", "")
	f.Add([]byte("a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b, {<<: {d: *a}}]\n"), "", "")
	f.Add([]byte("database: x\ndatabase: y\n"), "", "")
	f.Add([]byte("- 1\n"), "", "")
	f.Fuzz(func(t *testing.T, raw []byte, name, value string) {
		env := []string{"GETPAID_" + name + "=" + value}
		c, err := parseConfig(raw, env)
		again, err2 := parseConfig(raw, env)
		switch {
		case (err == nil) != (err2 == nil), err != nil && err.Error() != err2.Error():
			t.Fatalf("read twice: %v, then %v", err, err2)
		case err != nil:
			return
		case c.Listen != again.Listen || c.BaseURL != again.BaseURL || c.Database != again.Database || len(c.Backends) != len(again.Backends):
			t.Fatalf("read twice: %+v, then %+v", c, again)
		}
		if c.Database == "" || len(c.Backends) == 0 {
			t.Fatalf("accepted without a database or a backend: %+v", c)
		}
		if strings.HasSuffix(c.BaseURL, "/") || !c.baseFromListen && checkBaseURL(c.BaseURL) != nil {
			t.Fatalf("accepted base_url %q", c.BaseURL)
		}
	})
}
