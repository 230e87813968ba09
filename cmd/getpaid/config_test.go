package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
	"golang.org/x/crypto/bcrypt"

	"github.com/getpaid-go/getpaid/broker/payu"
)

// configErr is the error the config yaml (file getpaid.yaml) with the
// environment env gets from what serve checks before it opens anything:
// parsing, the backends, the server settings, the engine's; a config they
// all accept fails t.
func configErr(t *testing.T, yaml string, env []string) error {
	t.Helper()
	c, err := parseConfigFrom("getpaid.yaml", []byte(yaml), env)
	if err == nil {
		_, err = buildRegistry(c)
	}
	if err == nil {
		err = checkServerConfig(c)
	}
	if err == nil {
		_, err = engineConfig(c)
	}
	if err == nil {
		_, err = checkConfig(c)
	}
	if err == nil {
		t.Fatal("accepted")
	}
	return err
}

// A config error names the file and the line, or the environment variable
// that set the value.
func TestConfigErrorsSayWhere(t *testing.T) {
	t.Parallel()
	const file = `listen: 127.0.0.1:0
database: "memory:"
api_keys: [server-api-key-0123456789]
backends:
  dummy:
    secret: s
  payu:
    pos_id: "1"
    second_key: k
    client_id: "1"
    client_secret: c
`
	const admin = "admin:\n  users:\n    - name: alice\n      password_hash: \"$2a$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW\"\n"
	tests := []struct {
		name  string
		yaml  string
		env   []string
		wants []string
	}{
		{"unknown top-level key", file + "colour: blue\n", nil, []string{"getpaid.yaml: line 12: unknown setting colour"}},
		{"unknown backend setting", strings.Replace(file, "    client_secret: c\n", "    client_secret: c\n    secnd_key: typo\n", 1), nil,
			[]string{"getpaid.yaml: line 12: unknown setting backends.payu.secnd_key", "second_key"}},
		{"wrong type in a backend", strings.Replace(file, "    client_secret: c\n", "    client_secret: c\n    timeout: [1]\n", 1), nil,
			[]string{"getpaid.yaml: line 12: backends.payu.timeout"}},
		{"backend not a mapping", file + "  tpay: yes\n", nil, []string{"getpaid.yaml: backends.tpay (line 12): want a mapping"}},
		{"unknown kind", file + "  other:\n    kind: paypal\n", nil, []string{"getpaid.yaml: backends.other (line 13): unknown kind \"paypal\""}},
		{"missing required setting", strings.Replace(file, "    client_secret: c\n", "", 1), nil, []string{"getpaid.yaml: backends.payu (line 8):"}},
		{"environment: wrong type", file, []string{"GETPAID_BACKEND_PAYU_TIMEOUT=soon"}, []string{"getpaid.yaml: GETPAID_BACKEND_PAYU_TIMEOUT: backends.payu.timeout"}},
		{"environment: unknown setting", file, []string{"GETPAID_BACKEND_PAYU_SECND_KEY=x"}, []string{"GETPAID_BACKEND_PAYU_SECND_KEY: unknown setting backends.payu.secnd_key"}},
		{"environment: top-level", file, []string{"GETPAID_ONE_LIVE_PAYMENT_PER_ORDER=perhaps"}, []string{"GETPAID_ONE_LIVE_PAYMENT_PER_ORDER: one_live_payment_per_order"}},
		{"environment: bad base url", file, []string{"GETPAID_BASE_URL=pay.example.com"}, []string{"getpaid.yaml: GETPAID_BASE_URL: base_url", "absolute"}},
		{"bad base url in the file", file + "base_url: pay.example.com\n", nil, []string{"getpaid.yaml: line 12: base_url", "absolute"}},
		{"every interface without base_url", strings.Replace(file, "listen: 127.0.0.1:0", "listen: 0.0.0.0:8000", 1), nil,
			[]string{"getpaid.yaml: line 1: listen: 0.0.0.0:8000 is every interface", "set base_url"}},
		{"environment: every interface without base_url", file, []string{"GETPAID_LISTEN=:8000"},
			[]string{"getpaid.yaml: GETPAID_LISTEN: listen: :8000 is every interface", "set base_url"}},
		{"base url path to escape", file + "base_url: https://pay.example.com/my%20shop/\n", nil, []string{"getpaid.yaml: line 12: base_url", "nothing to escape"}},
		{"environment: a backend refuses the value", file, []string{"GETPAID_BACKEND_DUMMY_CURRENCIES=PLN,XXX"},
			[]string{"getpaid.yaml: backends.dummy (GETPAID_BACKEND_DUMMY_CURRENCIES):", `unknown currency "XXX"`}},
		// The name's rule is said as it is (a letter first, 32 at most), with
		// the backend's line.
		{"backend name starting with a digit", file + "  1payu:\n    kind: dummy\n    secret: s\n", nil,
			[]string{"getpaid.yaml: backends.1payu (line 13):", "backend name", "a lower-case letter first", "32 at most"}},
		{"backend name too long", file + "  " + strings.Repeat("p", 33) + ":\n    kind: dummy\n    secret: s\n", nil,
			[]string{"getpaid.yaml: backends." + strings.Repeat("p", 33) + " (line 13):", "backend name", "32 at most"}},
		// Transferuj has one host: sandbox: true copied from another
		// backend says what stands for it.
		{"transferuj has no sandbox", file + "  transferuj:\n    merchant_id: 1010\n    security_code: c\n    sandbox: true\n", nil,
			[]string{"getpaid.yaml: line 15: unknown setting backends.transferuj.sandbox", "a test merchant"}},
		{"a currency in lower case", strings.Replace(file, "    secret: s\n", "    secret: s\n    currencies: [PLN, eur]\n", 1), nil,
			[]string{"getpaid.yaml: backends.dummy (line 7):", `"eur"`, "upper case: EUR"}},
		{"environment: a currency in lower case", file, []string{"GETPAID_BACKEND_DUMMY_CURRENCIES=PLN,eur"},
			[]string{"getpaid.yaml: backends.dummy (GETPAID_BACKEND_DUMMY_CURRENCIES):", `"eur"`, "upper case: EUR"}},
		// A kind set in the environment: its errors name the variable,
		// not the backend's line in the file, which says another kind.
		{"environment: unknown kind", file, []string{"GETPAID_BACKEND_PAYU_KIND=paypal"},
			[]string{`getpaid.yaml: backends.payu (GETPAID_BACKEND_PAYU_KIND): unknown kind "paypal"`}},
		{"environment: a kind the settings are not of", file, []string{"GETPAID_BACKEND_PAYU_KIND=dummy"},
			[]string{"unknown setting backends.payu.pos_id (kind dummy, from GETPAID_BACKEND_PAYU_KIND; known:"}},
		{"a currency listed twice", strings.Replace(file, "    secret: s\n", "    secret: s\n    currencies: [PLN, EUR, PLN]\n", 1), nil,
			[]string{"getpaid.yaml: backends.dummy (line 7):", "PLN listed twice"}},
		{"an empty currency list", strings.Replace(file, "    secret: s\n", "    secret: s\n    currencies: []\n", 1), nil,
			[]string{"getpaid.yaml: backends.dummy (line", "currencies: an empty list"}},
		{"environment: an empty currency list", file, []string{"GETPAID_BACKEND_DUMMY_CURRENCIES=[]"},
			[]string{"getpaid.yaml: backends.dummy (GETPAID_BACKEND_DUMMY_CURRENCIES):", "currencies: an empty list"}},
		{"environment: a currency listed twice", file, []string{"GETPAID_BACKEND_PAYU_CURRENCIES=PLN,EUR,PLN"},
			[]string{"getpaid.yaml: backends.payu (GETPAID_BACKEND_PAYU_CURRENCIES):", "PLN listed twice"}},
		{"environment: a required setting emptied", file, []string{"GETPAID_BACKEND_DUMMY_SECRET="},
			[]string{"getpaid.yaml: GETPAID_BACKEND_DUMMY_SECRET: backends.dummy.secret: the variable is empty"}},
		{"environment: base_url emptied", file + "base_url: https://pay.example.com\n", []string{"GETPAID_BASE_URL="},
			[]string{"getpaid.yaml: GETPAID_BASE_URL: base_url: the variable is empty", "unset it"}},
		{"environment: listen blank", file, []string{"GETPAID_LISTEN= "}, []string{"getpaid.yaml: GETPAID_LISTEN: listen: the variable is empty"}},
		{"environment: a backend's api_url emptied", file, []string{"GETPAID_BACKEND_PAYU_API_URL="},
			[]string{"getpaid.yaml: GETPAID_BACKEND_PAYU_API_URL: backends.payu.api_url: the variable is empty"}},
		{"a backend refuses a value in the file", strings.Replace(file, "    secret: s\n", "    secret: s\n    currencies: [XXX]\n", 1),
			[]string{"GETPAID_BACKEND_DUMMY_METHOD=GET"}, []string{"getpaid.yaml: backends.dummy (line 7):", "XXX"}},
		{"environment: beside a missing setting", strings.Replace(file, "    secret: s\n", "    method: POST\n", 1),
			[]string{"GETPAID_BACKEND_DUMMY_CURRENCIES=PLN"}, []string{"getpaid.yaml: backends.dummy (line 6, with GETPAID_BACKEND_DUMMY_CURRENCIES from the environment):", "secret"}},
		{"environment: bad yaml list", file, []string{"GETPAID_WEBHOOKS=[{url: x"}, []string{"GETPAID_WEBHOOKS: not a YAML list"}},
		{"environment: a second document", file, []string{"GETPAID_LIMITS={window: 1m}\n---\n{window: 0s}"},
			[]string{"GETPAID_LIMITS: a second YAML document (after ---)"}},
		{"duplicate key", file + "listen: 127.0.0.1:1\n", nil, []string{"getpaid.yaml: line 12"}},
		{"not yaml", "listen: [\n", nil, []string{"getpaid.yaml:"}},
		{"yaml syntax error names its line", file + "  tpay:\n    a: b\n     c: d\n", nil, []string{"getpaid.yaml: line 14: mapping values are not allowed"}},
		{"environment: a webhook refused", file, []string{"GETPAID_WEBHOOKS=[{url: ftp://x, secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw}]"},
			[]string{"getpaid.yaml: GETPAID_WEBHOOKS: webhooks[0]: webhook: url"}},
		{"environment: an API key twice", file, []string{"GETPAID_API_KEYS=server-api-key-0123456789,server-api-key-0123456789"},
			[]string{"getpaid.yaml: GETPAID_API_KEYS: api_keys[1]: the key is api_keys[0] again"}},
		{"environment: a backend's kind", file, []string{"GETPAID_BACKEND_DUMMY_KIND=[dummy]"}, []string{"getpaid.yaml: GETPAID_BACKEND_DUMMY_KIND: backends.dummy.kind: want one value, not a list"}},
		{"a backend's kind twice", file + "  other:\n    kind: payu\n    kind: dummy\n", nil, []string{"getpaid.yaml: line 14: backends.other.kind is set twice"}},
		{"a backend's title a mapping", file + "  other:\n    kind: dummy\n    title: {pl: Płatność}\n", nil, []string{"getpaid.yaml: line 14: backends.other.title: want one value, not a mapping"}},
		{"a backend's kind empty", file + "  other:\n    kind:\n", nil, []string{"getpaid.yaml: line 13: backends.other.kind: want one value, not nothing"}},
		{"a second document", file + "---\nlisten: 127.0.0.1:1\n", nil, []string{"getpaid.yaml: line 13: a second YAML document", "one document"}},
		{"a second document, empty mapping", file + "---\n{}\n", nil, []string{"getpaid.yaml: line 13: a second YAML document"}},
		{"a third document after an empty second", file + "---\n---\nlisten: 127.0.0.1:1\n", nil, []string{"getpaid.yaml: line 14: a second YAML document"}},
		{"a syntax error in a second document", file + "---\nlisten: [\n", nil, []string{"getpaid.yaml: line 13"}},
		{"a whole number written as a fraction", file + "limits:\n  body_reads: 1.5\n", nil, []string{"getpaid.yaml: line 13: limits.body_reads: want a whole number, not \"1.5\""}},
		{"a backend's id written as a fraction", file + "  przelewy24:\n    merchant_id: 11111.9\n    crc: c\n    api_key: k\n", nil,
			[]string{"getpaid.yaml: line 13: backends.przelewy24.merchant_id: want a whole number, not \"11111.9\""}},
		{"a backend's id with a leading zero", file + "  przelewy24:\n    merchant_id: 0123\n    crc: c\n    api_key: k\n", nil,
			[]string{"getpaid.yaml: line 13: backends.przelewy24.merchant_id: \"0123\"", "octal"}},
		{"environment: a whole number as a fraction", file, []string{"GETPAID_BACKEND_PAYU_TIMEOUT=5s", "GETPAID_LIMITS={auth_failures: 2.5}"},
			[]string{"getpaid.yaml: GETPAID_LIMITS: limits.auth_failures: want a whole number, not \"2.5\""}},
		{"a callback body limit for a backend not enabled", file + "limits:\n  callback_body: {pyau: 128KiB}\n", nil,
			[]string{"getpaid.yaml: line 13: limits.callback_body.pyau: \"pyau\" names no backend enabled (enabled: dummy, payu)"}},
		{"a webhook's unknown setting", file + "webhooks:\n  - url: https://a.example/hook\n    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n  - url: https://b.example/hook\n    secrett: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n", nil,
			[]string{"getpaid.yaml: line 16: unknown setting webhooks[1].secrett (known: events, secret, secrets, url)"}},
		{"a webhook's secrets one value", file + "webhooks:\n  - url: https://a.example/hook\n    secrets: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n", nil,
			[]string{"getpaid.yaml: line 14: webhooks[0].secrets: want a list"}},
		{"a backend twice", file + "  dummy:\n    secret: t\n", nil, []string{"getpaid.yaml: line 12: backends.dummy is set twice (first on line 5)"}},
		{"a tracing header twice", file + "tracing:\n  headers:\n    a: b\n    a: c\n", nil, []string{"getpaid.yaml: line 15: tracing.headers.a is set twice (first on line 14)"}},
		{"a duration of centuries", file + "delivery_timeout: 2000000h\n", nil, []string{"getpaid.yaml: line 12: delivery_timeout: \"2000000h\": want at most 87600h (ten years)"}},
		{"a delivery timeout of an hour", file + "delivery_timeout: 1h\n", nil, []string{"getpaid.yaml: line 12: delivery_timeout: 1h0m0s: want at most 5m"}},
		{"environment: a retry wait of centuries", file, []string{"GETPAID_DELIVERY_RETRIES=5s,2562047h"}, []string{"getpaid.yaml: GETPAID_DELIVERY_RETRIES: delivery_retries", "want at most 87600h (ten years)"}},
		{"a bracket left open names its line", strings.Replace(file, "api_keys: [server-api-key-0123456789]", "api_keys: [server-api-key-0123456789", 1), nil,
			[]string{"getpaid.yaml: line 3: did not find expected ',' or ']'", "a bracket or quote left open"}},
		{"a webhook's setting indented as a list item's sibling names the list's line", file + "webhooks:\n  - url: https://a.example/hook\n    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n  events: [payment.created]\n", nil,
			[]string{"getpaid.yaml: line 13: did not find expected '-' indicator (in the block that starts on this line"}},
		{"a bracket left open at the end names the last line", file + "---\nlisten: [\n", nil, []string{"getpaid.yaml: line 13: did not find expected node content"}},
		// The parser names no line for a problem on the first line, nor
		// for a control character anywhere.
		{"a mapping value on the first line names line 1", strings.Replace(file, "listen: 127.0.0.1:0\ndatabase: \"memory:\"\n", "database: memory:\nlisten: 127.0.0.1:0\n", 1), nil,
			[]string{"getpaid.yaml: line 1: mapping values are not allowed in this context", `is written in quotes: database: "memory:"`}},
		{"a brace too many on the first line names line 1", "backends: {dummy: {secret: s}}}\n" + file[strings.Index(file, "listen"):strings.Index(file, "backends")], nil,
			[]string{"getpaid.yaml: line 1: did not find expected key"}},
		{"a control character names its line", strings.Replace(file, "secret: s\n", "secret: \"s\x01\"\n", 1), nil,
			[]string{"getpaid.yaml: line 6: control characters are not allowed (U+0001)"}},
		{"a tab indenting a setting", file + "  tpay:\n\tclient_id: x\n", nil, []string{"getpaid.yaml: line 13: found character that cannot start any token (a tab: YAML is indented with spaces)"}},
		{"base url port out of range", file + "base_url: https://pay.example.com:99999\n", nil, []string{"getpaid.yaml: line 12: base_url", `the port "99999": want 1 to 65535`}},
		{"base url of a port alone", file + "base_url: \"http://:8000\"\n", nil, []string{"getpaid.yaml: line 12: base_url", "has no host"}},
		{"base url port 0", file + "base_url: https://pay.example.com:0/gp\n", nil, []string{"getpaid.yaml: line 12: base_url", `the port "0": want 1 to 65535`}},
		{"base url port empty", file + "base_url: \"https://pay.example.com:\"\n", nil, []string{"getpaid.yaml: line 12: base_url", `the port "": want 1 to 65535`}},
		{"base url ending in ?", file + "base_url: https://pay.example.com/gp?\n", nil, []string{"getpaid.yaml: line 12: base_url", "no query, fragment or user"}},
		// The console, under base_url's path, refused them only once the
		// database was open.
		{"base url path with ; and a console", file + "base_url: https://pay.example.com/g;p\n" + admin, nil, []string{"getpaid.yaml: line 12: base_url", "the operator console"}},
		{"base url path with , and a console", file + "base_url: https://pay.example.com/g,p\n" + admin, nil, []string{"getpaid.yaml: line 12: base_url", "the operator console"}},
		{"base url path with ' and a console", file + "base_url: https://pay.example.com/g'p\n" + admin, nil, []string{"getpaid.yaml: line 12: base_url", "the operator console"}},
		{"base url path with ! and a console", file + admin + "base_url: https://pay.example.com/shop!\n", nil, []string{"getpaid.yaml: line 16: base_url", "the operator console"}},
		{"base url ending in #", file + "base_url: \"https://pay.example.com/gp#\"\n", nil, []string{"getpaid.yaml: line 12: base_url", "no query, fragment or user"}},
		{"base url with a dot segment", file + "base_url: https://pay.example.com/a/../gp\n", nil, []string{"getpaid.yaml: line 12: base_url", "no . or .. segments and no //"}},
		{"base url with a double slash", file + "base_url: https://pay.example.com/a//gp\n", nil, []string{"getpaid.yaml: line 12: base_url", "no . or .. segments and no //"}},
		{"tracing settings without an endpoint", file + "tracing:\n  sample_ratio: 0.1\n", nil,
			[]string{"getpaid.yaml: line 13: tracing.sample_ratio: set while tracing.otlp_endpoint is not, which tracing is off without"}},
		{"tracing's sample ratio out of range", file + "tracing:\n  otlp_endpoint: http://otel-collector:4318\n  sample_ratio: 10\n", nil,
			[]string{"getpaid.yaml: line 14: tracing.sample_ratio: 10: want a share between 0 and 1"}},
		{"an API key with a blank after it", strings.Replace(file, "api_keys: [server-api-key-0123456789]", "api_keys: [\"server-api-key-0123456789 \"]", 1), nil,
			[]string{"getpaid.yaml: line 3: api_keys[0]: the key has blanks or control characters around or in it"}},
		{"environment: an API key with a tab", file, []string{"GETPAID_API_KEYS=[\"\\tserver-api-key-0123456789\"]"},
			[]string{"getpaid.yaml: GETPAID_API_KEYS: api_keys[0]: the key has blanks or control characters"}},
		{"a backend's key with a blank after it", strings.Replace(file, "second_key: k\n", "second_key: \"k \"\n", 1), nil,
			[]string{"getpaid.yaml: line 9: backends.payu.second_key: blanks around the value (a copy and paste?)"}},
		{"environment: a backend's key ending in a newline", file, []string{"GETPAID_BACKEND_PAYU_CLIENT_SECRET=c\n"},
			[]string{"getpaid.yaml: GETPAID_BACKEND_PAYU_CLIENT_SECRET: backends.payu.client_secret: blanks around the value"}},
		{"resume_operations_after within a timeout", file + "resume_operations_after: 1m\n", nil, []string{"getpaid.yaml: line 12: resume_operations_after: 1m0s: want more than twice"}},
		{"a backend's duration of centuries", strings.Replace(file, "    client_secret: c\n", "    client_secret: c\n    validity_time: 1000000h\n", 1), nil,
			[]string{"getpaid.yaml: line 12: backends.payu.validity_time: \"1000000h\": want at most 87600h (ten years)"}},
		{"a second backend of a kind without its kind", file + "  payu_eur:\n    pos_id: \"2\"\n", nil,
			[]string{"getpaid.yaml: backends.payu_eur (line 13): unknown kind \"payu_eur\"", "a backend's kind is its name unless it sets kind: add kind: payu"}},
		{"a backend of another kind's settings", file + "  other:\n    kind: payu\n    secret: s\n", nil,
			[]string{"getpaid.yaml: line 14: unknown setting backends.other.secret (kind payu; known: allow_md5"}},
		{"a backend named null", file + "  ~:\n    kind: payu\n", nil, []string{"getpaid.yaml: line 12: backends.~: YAML reads this key as null"}},
		{"a callback body limit keyed null", file + "limits:\n  callback_body: {null: 1KiB}\n", nil, []string{"getpaid.yaml: line 13: limits.callback_body.null: YAML reads this key as null"}},
		// A variable's YAML was not read for them as the file is: the key
		// was dropped, or made a header named "", without a word.
		{"environment: a callback body limit keyed null", file, []string{"GETPAID_LIMITS={callback_body: {~: 1KiB}}"},
			[]string{"getpaid.yaml: GETPAID_LIMITS: limits.callback_body.~: YAML reads this key as null"}},
		{"environment: a tracing header keyed null, in block YAML", file, []string{"GETPAID_TRACING=otlp_endpoint: http://otel-collector:4318\nheaders:\n  null: k\n"},
			[]string{"getpaid.yaml: GETPAID_TRACING: tracing.headers.null: YAML reads this key as null"}},
		{"environment: a webhook's setting keyed by nothing", file, []string{"GETPAID_WEBHOOKS=[{url: https://shop.example/hook, secret: 0123456789abcdef0123, ? : x}]"},
			[]string{"getpaid.yaml: GETPAID_WEBHOOKS: webhooks[0].: YAML reads this key as null"}},
		{"an alias of no anchor names its line", file + "  other: *nope\n", nil, []string{"getpaid.yaml: line 12: an alias (*name) of no anchor"}},
		{"a backend's flag quoted", strings.Replace(file, "    client_secret: c\n", "    client_secret: c\n    sandbox: \"true\"\n", 1), nil,
			[]string{"getpaid.yaml: line 12: backends.payu.sandbox: want true or false, not the text \"true\" (in quotes): write it without them"}},
		{"a top-level flag quoted", file + "require_https: 'false'\n", nil,
			[]string{"getpaid.yaml: line 12: require_https: want true or false, not the text \"false\" (in quotes): write it without them"}},
		{"a backend's duration of 0", strings.Replace(file, "    client_secret: c\n", "    client_secret: c\n    validity_time: 0s\n", 1), nil,
			[]string{"getpaid.yaml: line 12: backends.payu.validity_time: 0s: want a positive duration (leave the setting out for the broker's default)"}},
		{"a backend's currencies holding only an empty item", strings.Replace(file, "    secret: s\n", "    secret: s\n    currencies:\n      -\n", 1), nil,
			[]string{"getpaid.yaml: line 8: backends.dummy.currencies[0]: an empty item"}},
		{"environment: a backend's currencies as YAML holding null", file, []string{"GETPAID_BACKEND_DUMMY_CURRENCIES=[EUR, ~]"},
			[]string{"getpaid.yaml: GETPAID_BACKEND_DUMMY_CURRENCIES: backends.dummy.currencies[1]: an empty item"}},
		{"a delivery retry null", file + "delivery_retries: [5s, null, 5m]\n", nil, []string{"getpaid.yaml: line 12: delivery_retries[1]: an empty item"}},
		{"a webhook's second secret null", file + "webhooks:\n  - url: https://shop.example/hook\n    secrets: [whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw, ~]\n", nil,
			[]string{"getpaid.yaml: line 14: webhooks[0].secrets[1]: an empty item"}},
		{"environment: a flag with the newline of the file it was read from", file, []string{"GETPAID_REQUIRE_HTTPS=true\n"},
			[]string{"getpaid.yaml: GETPAID_REQUIRE_HTTPS: require_https: want true or false, not \"true\\n\""}},
		{"a flag holding a line break names its line once", file + "require_https: \"a\\nb\"\n", nil,
			[]string{"getpaid.yaml: line 12: require_https: want true or false, not \"a\\nb\""}},
		{"a negative limit names its own line", file + "limits:\n  window: 1m\n  connections: -1\n", nil,
			[]string{"getpaid.yaml: line 14: limits.connections: -1: a count may not be negative"}},
		{"a backend's callback body of 0 names its own line", file + "limits:\n  window: 1m\n  callback_body: {dummy: 0}\n", nil,
			[]string{"getpaid.yaml: line 14: limits.callback_body.dummy: 0: want more than 0"}},
		{"a tag of another program's (!env), whose value was taken as the key", strings.Replace(file, "    second_key: k\n", "    second_key: !env PAYU_SECOND_KEY\n", 1), nil,
			[]string{"getpaid.yaml: line 9: backends.payu.second_key: the tag !env"}},
		{"environment: a tag of another program's, whose name was taken as the value", file, []string{"GETPAID_TRACING={otlp_endpoint: \"http://c:4318\", headers: {Authorization: !env OTEL_AUTH}}"},
			[]string{"getpaid.yaml: GETPAID_TRACING: tracing.headers.Authorization: the tag !env"}},
		// !!binary is YAML's own tag: the key was decoded from base64
		// without a word, and the key used was not the text written.
		{"a key tagged !!binary, decoded from base64", strings.Replace(file, "    second_key: k\n", "    second_key: !!binary YjZjYTE1YjBkMTAyMGU4MDk0ZDliNWY4ZDE2M2RiNTQ=\n", 1), nil,
			[]string{"getpaid.yaml: line 9: backends.payu.second_key: the tag !!binary makes YAML decode the value from base64"}},
		{"environment: a header tagged !!binary", file, []string{"GETPAID_TRACING={otlp_endpoint: \"http://c:4318\", headers: {Authorization: !!binary QmVhcmVyIHg=}}"},
			[]string{"getpaid.yaml: GETPAID_TRACING: tracing.headers.Authorization: the tag !!binary"}},
		// A key so tagged was read as its decoded or tagged text, without
		// a word: a header named "Authorization" from base64, a backend
		// named payu.
		{"a header's name tagged !!binary", file + "tracing: {otlp_endpoint: \"http://c:4318\", headers: {!!binary QXV0aG9yaXphdGlvbg==: x}}\n", nil,
			[]string{"getpaid.yaml: line 12: tracing.headers.QXV0aG9yaXphdGlvbg==: the tag !!binary makes YAML decode this key from base64"}},
		{"a backend's name tagged !!binary", file + "  !!binary ZHVtbXk=: {secret: s}\n", nil,
			[]string{"getpaid.yaml: line 12: backends.ZHVtbXk=: the tag !!binary"}},
		{"a key tagged by another program", file + "tracing: {otlp_endpoint: \"http://c:4318\", headers: {!env OTEL_HEADER: x}}\n", nil,
			[]string{"getpaid.yaml: line 12: tracing.headers.OTEL_HEADER: the tag !env"}},
		{"environment: a header's name tagged !!binary", file, []string{"GETPAID_TRACING={otlp_endpoint: \"http://c:4318\", headers: {!!binary QXV0aG9yaXphdGlvbg==: x}}"},
			[]string{"getpaid.yaml: GETPAID_TRACING: tracing.headers.QXV0aG9yaXphdGlvbg==: the tag !!binary"}},
		// A backend's variable in YAML was read without either check:
		// [!!binary UExO] enabled PLN, [!env PLN] the tag's text.
		{"environment: a backend's list item tagged !!binary", file, []string{"GETPAID_BACKEND_PAYU_CURRENCIES=[!!binary UExO]"},
			[]string{"getpaid.yaml: GETPAID_BACKEND_PAYU_CURRENCIES: backends.payu.currencies[0]: the tag !!binary"}},
		{"environment: a backend's list item tagged by another program", file, []string{"GETPAID_BACKEND_PAYU_CURRENCIES=[PLN, !env CURRENCY]"},
			[]string{"getpaid.yaml: GETPAID_BACKEND_PAYU_CURRENCIES: backends.payu.currencies[1]: the tag !env"}},
		// A tag spelt as YAML's (!!) but none of them was left as
		// written: Authorization: !!Bearer s3cr3t sent "s3cr3t", and a
		// key so tagged named a header by what followed the tag.
		{"a value tagged !! but by none of YAML's tags", file + "tracing: {otlp_endpoint: \"http://c:4318\", headers: {Authorization: !!Bearer s3cr3t}}\n", nil,
			[]string{"getpaid.yaml: line 12: tracing.headers.Authorization: the tag !!Bearer is not YAML's own"}},
		{"a key tagged !! but by none of YAML's tags", file + "tracing: {otlp_endpoint: \"http://c:4318\", headers: {!!X-Custom y: c}}\n", nil,
			[]string{"getpaid.yaml: line 12: tracing.headers.y: the tag !!X-Custom is not YAML's own"}},
		{"environment: a value tagged !! but by none of YAML's tags", file, []string{"GETPAID_TRACING=otlp_endpoint: \"http://c:4318\"\nheaders:\n  Authorization: !!Bearer s3cr3t\n"},
			[]string{"getpaid.yaml: GETPAID_TRACING: tracing.headers.Authorization: the tag !!Bearer is not YAML's own"}},
		{"environment: a text setting starting with ! is its text", file, []string{"GETPAID_TRACING={otlp_endpoint: \"http://c:4318\", headers: {Authorization: \"!env\"}}", "GETPAID_PROXY_HEADER=!nope"},
			[]string{"getpaid.yaml: GETPAID_PROXY_HEADER: proxy_header: \"!nope\": want X-Forwarded-For"}},
		// A console user's hash of bcrypt's highest cost stalled serve for
		// a day and a half (the console hashes at its users' cost at
		// start-up), and every sign-in as long; the hash is not shown.
		{"a password hash of cost 31", file + strings.Replace(admin, "$2a$12$", "$2a$31$", 1), nil,
			[]string{"getpaid.yaml: line 15: admin.users[0].password_hash: user \"alice\": bcrypt cost 31: want at most 14 (getpaid admin passwd makes 12)", "about 36h25m of CPU at start-up and at every sign-in"}},
		{"a password hash of cost 15", file + strings.Replace(admin, "$2a$12$", "$2a$15$", 1), nil,
			[]string{"getpaid.yaml: line 15: admin.users[0].password_hash: user \"alice\": bcrypt cost 15: want at most 14", "about 2s of CPU"}},
		// PayU's validityTime is whole seconds: 1500ms was sent as 1.
		{"a validity time not whole seconds", strings.Replace(file, "    client_secret: c\n", "    client_secret: c\n    validity_time: 1500ms\n", 1), nil,
			[]string{"getpaid.yaml: backends.payu (line 12):", "validity_time 1.5s: want whole seconds"}},
		// A key with a line break inside it was taken, and every signature
		// made or checked with it would fail; the value is not shown.
		{"a backend's key with a line break inside it", strings.Replace(file, "second_key: k\n", "second_key: \"k3y\\nS3CRET\"\n", 1), nil,
			[]string{"getpaid.yaml: line 9: backends.payu.second_key: a line break or another control character in the value"}},
		{"a backend's key over two lines of a folded block", strings.Replace(file, "second_key: k\n", "second_key: |-\n      k3y\n      S3CRET\n", 1), nil,
			[]string{"getpaid.yaml: line 9: backends.payu.second_key: a line break"}},
		// A plain value continued on the next line is joined with a
		// blank (k3y S3CRET): no control character, nothing around it.
		{"a backend's key continued on the next line", strings.Replace(file, "second_key: k\n", "second_key: k3y\n      S3CRET\n", 1), nil,
			[]string{"getpaid.yaml: line 9: backends.payu.second_key: written over lines, which YAML joins with a blank"}},
		{"a backend's key continued in a flow mapping", strings.Replace(file, "  dummy:\n    secret: s\n", "  dummy: {secret: k3y\n      S3CRET}\n", 1), nil,
			[]string{"getpaid.yaml: line 5: backends.dummy.secret: written over lines"}},
		{"environment: a backend's key with a tab inside it", file, []string{"GETPAID_BACKEND_DUMMY_SECRET=k3y\tS3CRET"},
			[]string{"getpaid.yaml: GETPAID_BACKEND_DUMMY_SECRET: backends.dummy.secret: a line break or another control character"}},
		// A duration written ~ was read as left out at the top (24h for
		// expire_after, which reads as "never" as much) and refused in a
		// backend: both are refused alike.
		{"expire_after null", file + "expire_after: ~\n", nil,
			[]string{"getpaid.yaml: line 12: expire_after: want a duration like 90s, 30m or 24h, not nothing (~, null or no value): leave the setting out for its default"}},
		{"a backend's expire_after null", strings.Replace(file, "    secret: s\n", "    secret: s\n    expire_after: ~\n", 1), nil,
			[]string{"getpaid.yaml: line 7: backends.dummy.expire_after: want a duration like 90s, 30m or 24h, not nothing"}},
		{"a backend's validity time without a value", strings.Replace(file, "    client_secret: c\n", "    client_secret: c\n    validity_time:\n", 1), nil,
			[]string{"getpaid.yaml: line 12: backends.payu.validity_time: want a duration like 90s, 30m or 24h, not nothing"}},
		{"delivery_timeout null", file + "delivery_timeout: null\n", nil, []string{"getpaid.yaml: line 12: delivery_timeout: want a duration like 90s, 30m or 24h, not nothing"}},
		{"a limit's window without a value", file + "limits:\n  window:\n", nil, []string{"getpaid.yaml: line 13: limits.window: want a duration like 90s, 30m or 24h, not nothing"}},
		{"a backend's duration without a unit", strings.Replace(file, "    client_secret: c\n", "    client_secret: c\n    validity_time: 10\n", 1), nil,
			[]string{"getpaid.yaml: line 12: backends.payu.validity_time: \"10\": want a duration like 90s, 30m or 24h"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := configErr(t, tt.yaml, tt.env)
			for _, want := range tt.wants {
				if !strings.Contains(err.Error(), want) {
					t.Fatalf("error %q does not say %q", err, want)
				}
			}
		})
	}
}

// Every setting can come from the environment, lists comma-separated or
// as YAML.
func TestEnvironmentOverridesEverySetting(t *testing.T) {
	t.Parallel()
	const file = "database: \"memory:\"\nbackends:\n  payu:\n    pos_id: \"1\"\n    second_key: k\n    client_id: \"1\"\n    client_secret: c\n"
	env := []string{
		"GETPAID_LISTEN=127.0.0.1:9999", "GETPAID_BASE_URL=https://pay.example.com/gp", "GETPAID_DATABASE=sqlite:/tmp/x.db",
		"GETPAID_API_KEYS=key-one-0123456789, key-two-0123456789", "GETPAID_TRUSTED_PROXIES=[10.0.0.0/8]",
		"GETPAID_ONE_LIVE_PAYMENT_PER_ORDER=true", "GETPAID_EXPIRE_AFTER=2h",
		"GETPAID_WEBHOOKS=[{url: https://shop.example/hook, secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw}]",
		"GETPAID_BACKEND_PAYU_CURRENCIES=PLN,EUR", "GETPAID_BACKEND_PAYU_TIMEOUT=5s", "GETPAID_BACKEND_PAYU_SANDBOX=true",
		"GETPAID_BACKEND_OTHER_SECRET=ignored", "GETPAID_CONFIG=ignored",
	}
	c, err := parseConfigFrom("getpaid.yaml", []byte(file), env)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:9999" || c.BaseURL != "https://pay.example.com/gp" || c.Database != "sqlite:/tmp/x.db" ||
		strings.Join(c.APIKeys, "|") != "key-one-0123456789|key-two-0123456789" || len(c.TrustedProxies) != 1 ||
		!c.OneLivePaymentPerOrder || c.ExpireAfter == nil || c.ExpireAfter.Hours() != 2 || len(c.Webhooks) != 1 {
		t.Fatalf("%+v", c)
	}
	var cfg payu.Config
	settings, _, _, err := splitBackend("payu", c.Backends["payu"])
	if err != nil {
		t.Fatal(err)
	}
	if err := decodeSettings("payu", settings, &cfg); err != nil {
		t.Fatal(err)
	}
	if strings.Join(cfg.Currencies, " ") != "PLN EUR" || cfg.Timeout.Seconds() != 5 || !cfg.Sandbox || cfg.SecondKey != "k" {
		t.Fatalf("%+v", cfg)
	}
}

// A GETPAID_ variable that sets nothing (a misspelt setting, a backend the
// file does not enable) is not silently dropped: serve warns about it.
// Variables of getpaid's own tests are not settings and are left alone.
func TestEnvironmentIgnoredIsReported(t *testing.T) {
	t.Parallel()
	const file = "database: \"memory:\"\nbackends:\n  dummy:\n    secret: s\n"
	tests := []struct {
		env  string
		want string // in the report; "" when the variable is not reported
	}{
		{"GETPAID_API_KEY=key-one-0123456789", "GETPAID_API_KEY is not a setting (did you mean GETPAID_API_KEYS?"},
		{"GETPAID_DATABSE=sqlite:/tmp/x.db", "GETPAID_DATABSE is not a setting (did you mean GETPAID_DATABASE?"},
		{"GETPAID_COLOUR=blue", "GETPAID_COLOUR is not a setting (GETPAID_<SETTING>"},
		{"GETPAID_BACKENDS={dummy: {secret: t}}", "GETPAID_BACKENDS is not a setting"},
		{"GETPAID_BACKEND_DOTPAY_PIN=1234", "GETPAID_BACKEND_DOTPAY_PIN names no backend enabled in getpaid.yaml"},
		{"GETPAID_BACKEND_DUMMY=secret", "GETPAID_BACKEND_DUMMY names backend dummy but no setting of it (GETPAID_BACKEND_DUMMY_<SETTING>, the setting in upper case)"},
		{"GETPAID_ADMIN_AUDIT_LOG=/var/log/audit.log", "GETPAID_ADMIN_AUDIT_LOG is not a setting: admin is set whole, as YAML (GETPAID_ADMIN='{audit_log: …}', which replaces the file's admin:)"},
		{"GETPAID_METRICS_LISTEN=10.0.0.5:9100", "GETPAID_METRICS_LISTEN is not a setting: metrics is set whole"},
		{"GETPAID_LISTEN=127.0.0.1:9999", ""},
		{"GETPAID_BACKEND_DUMMY_METHOD=POST", ""},
		{"GETPAID_TEST_POSTGRES_DSN=postgres://x", ""},
		{"OTHER_API_KEY=x", ""},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			t.Parallel()
			c, err := parseConfigFrom("getpaid.yaml", []byte(file), []string{tt.env})
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Join(c.ignoredEnv, "; ")
			if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
				t.Fatalf("reported %q, want %q", got, tt.want)
			}
		})
	}
}

// Nested settings (a mapping, a list of mappings) are checked as strictly
// as top-level ones, each error naming the key path and its line.
func TestNestedSettingsAreStrict(t *testing.T) {
	t.Parallel()
	type limit struct {
		Max int `yaml:"max"`
	}
	type settings struct {
		Name   string        `yaml:"name"`
		Limit  limit         `yaml:"limit"`
		Extra  *limit        `yaml:"extra"`
		Limits []limit       `yaml:"limits"`
		Wait   time.Duration `yaml:"wait"`
	}
	for _, tc := range []struct{ yaml, want string }{
		{"name: a\nlimit: {max: 3}\nextra: {max: 4}\nlimits: [{max: 5}]\nwait: 2s\n", ""},
		{"limit:\n  max: 3\n  maxx: 4\n", "line 3: unknown setting backends.b.limit.maxx"},
		{"extra:\n  min: 1\n", "line 2: unknown setting backends.b.extra.min"},
		{"limits:\n  - max: 1\n  - mix: 2\n", "line 3: unknown setting backends.b.limits[1].mix"},
		{"limit:\n  max: many\n", "line 2: backends.b.limit.max: want a whole number, not \"many\""},
	} {
		var node yaml.Node
		if err := yaml.Unmarshal([]byte(tc.yaml), &node); err != nil {
			t.Fatal(err)
		}
		var s settings
		err := decodeSettings("b", *node.Content[0], &s)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q: %v", tc.yaml, err)
		case tc.want == "" && (s.Limit.Max != 3 || s.Extra == nil || s.Extra.Max != 4 || len(s.Limits) != 1 || s.Limits[0].Max != 5 || s.Wait != 2*time.Second):
			t.Errorf("%q decoded as %+v", tc.yaml, s)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%q: err = %v, want one containing %q", tc.yaml, err, tc.want)
		}
	}
}

// delivery_retries sets the waits before each retry of a failed delivery
// (a shorter schedule to try dead letters out, a longer one for an endpoint
// often down), from the file or the environment; left out, the engine's
// default schedule applies.
func TestDeliveryRetries(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, yaml string
		env        []string
		want       []time.Duration
	}{
		{"default", "", nil, nil},
		{"in the file", "delivery_retries: [1s, 2s, 30m]\n", nil, []time.Duration{time.Second, 2 * time.Second, 30 * time.Minute}},
		{"environment, comma-separated", "", []string{"GETPAID_DELIVERY_RETRIES=1s, 500ms"}, []time.Duration{time.Second, 500 * time.Millisecond}},
		{"environment as YAML, over the file", "delivery_retries: [1h]\n", []string{"GETPAID_DELIVERY_RETRIES=[3s]"}, []time.Duration{3 * time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := parseConfig([]byte(dummyConfig+tc.yaml), tc.env)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := engineConfig(c)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(cfg.RetrySchedule, tc.want) || (tc.want == nil) != (cfg.RetrySchedule == nil) {
				t.Errorf("retry schedule %v, want %v", cfg.RetrySchedule, tc.want)
			}
		})
	}
	for _, tc := range []struct{ name, yaml, want string }{
		{"empty", "delivery_retries: []\n", "delivery_retries: want at least one wait"},
		{"not a duration", "delivery_retries: [5s, soon]\n", "delivery_retries"},
		{"negative", "delivery_retries: [-5s]\n", "negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := parseConfig([]byte(dummyConfig+tc.yaml), nil)
			if err == nil {
				_, err = engineConfig(c)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one saying %q", err, tc.want)
			}
		})
	}
}

// Listening on every interface is fine with a base_url saying where
// brokers and buyers reach getpaid; on a loopback address it defaults to
// that address.
func TestListenEveryInterfaceWithBaseURL(t *testing.T) {
	t.Parallel()
	const file = "database: \"memory:\"\nbackends:\n  dummy:\n    secret: s\n"
	for _, tt := range []struct{ yaml, want string }{
		{"listen: 0.0.0.0:8000\nbase_url: https://pay.example.com\n" + file, "https://pay.example.com"},
		{"listen: \"[::]:8000\"\nbase_url: https://pay.example.com\n" + file, "https://pay.example.com"},
		{"listen: 127.0.0.1:8000\n" + file, "http://127.0.0.1:8000"},
		{"base_url: https://[2001:db8::1]/gp/\n" + file, "https://[2001:db8::1]/gp"},
		{"base_url: https://[2001:db8::1]:8443\n" + file, "https://[2001:db8::1]:8443"},
		{"base_url: https://pay.example.com:65535/\n" + file, "https://pay.example.com:65535"},
		{file, "http://127.0.0.1:8000"},
		// Without admin users (no console, no cookie) a path holding
		// ; , ' ! * ( or ) serves payments as any other.
		{"base_url: https://pay.example.com/shop!\n" + file, "https://pay.example.com/shop!"},
		{"base_url: https://pay.example.com/v(1)/a*b\n" + file, "https://pay.example.com/v(1)/a*b"},
		{"base_url: https://pay.example.com/g;p,q'r\n" + file, "https://pay.example.com/g;p,q'r"},
	} {
		c, err := parseConfigFrom("getpaid.yaml", []byte(tt.yaml), nil)
		if err != nil || c.BaseURL != tt.want {
			t.Fatalf("%q: base_url %q, err %v; want %q", tt.yaml, c.BaseURL, err, tt.want)
		}
	}
}

// YAML anchors, aliases and merge keys work as YAML defines them: a second
// backend of one broker can take the first's settings and change some,
// an alias stands for what its anchor holds wherever it is, and neither
// the environment nor an error confuses the two.
func TestAnchorsAndMergeKeys(t *testing.T) {
	t.Parallel()
	const file = `listen: 127.0.0.1:0
database: "memory:"
api_keys: [server-api-key-0123456789]
webhooks:
  - url: https://a.example/hook
    secrets: &secrets [whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw]
  - url: https://b.example/hook
    secrets: *secrets
backends:
  payu: &payu
    pos_id: "300746"
    second_key: b6ca15b0d1020e8094d9b5f8d163db54
    client_id: "300746"
    client_secret: 2ee86a66e5d97e3fadc400c9f19b065d
    timeout: &timeout 20s
  payu_eur:
    <<: *payu
    kind: &kind payu
    second_key: eur-second-key
    currencies: [EUR]
  payu_usd:
    <<: [*payu]
    kind: *kind
    currencies: [USD]
    timeout: *timeout
  dummy: &dummy
    kind: dummy
    secret: s
  dummy_copy: *dummy
`
	c, err := parseConfigFrom("getpaid.yaml", []byte(file), []string{"GETPAID_BACKEND_PAYU_EUR_CLIENT_SECRET=eur-secret"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := buildRegistry(c); err != nil {
		t.Fatal(err)
	}
	if _, err := engineConfig(c); err != nil {
		t.Fatal(err)
	}
	if len(c.Webhooks) != 2 || len(c.Webhooks[1].Secrets) != 1 {
		t.Fatalf("webhooks %+v", c.Webhooks)
	}
	read := func(name string) payu.Config {
		t.Helper()
		settings, kind, _, err := splitBackend(name, c.Backends[name])
		if err != nil || kind != "payu" {
			t.Fatalf("%s: kind %q, %v", name, kind, err)
		}
		var cfg payu.Config
		if err := decodeSettings(name, settings, &cfg); err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	pln, eur, usd := read("payu"), read("payu_eur"), read("payu_usd")
	if pln.SecondKey != "b6ca15b0d1020e8094d9b5f8d163db54" || pln.ClientSecret != "2ee86a66e5d97e3fadc400c9f19b065d" || len(pln.Currencies) != 0 {
		t.Errorf("payu changed by its copies: %+v", pln)
	}
	if eur.SecondKey != "eur-second-key" || eur.ClientSecret != "eur-secret" || eur.PosID != "300746" || strings.Join(eur.Currencies, ",") != "EUR" || eur.Timeout.Seconds() != 20 {
		t.Errorf("payu_eur: %+v", eur)
	}
	if _, ok := c.Backends["dummy_copy"]; !ok {
		t.Error("dummy_copy, an alias of dummy, is missing")
	}
	if usd.SecondKey != pln.SecondKey || strings.Join(usd.Currencies, ",") != "USD" || usd.Timeout.Seconds() != 20 {
		t.Errorf("payu_usd: %+v", usd)
	}

	for _, tt := range []struct{ name, yaml, want string }{
		{"an error in an anchor names its line", strings.Replace(file, "    secret: s\n", "    secret: s\n    secrett: x\n", 1),
			"getpaid.yaml: line 29: unknown setting backends.dummy.secrett"},
		{"a merge of something else", strings.Replace(file, "<<: [*payu]", "<<: 5", 1), "getpaid.yaml: line 22: backends.payu_usd.<<: want a mapping to merge (<<: *name), not \"5\""},
		// A merge of another setting's value (a key anchored &key) named
		// it: the key showed in full on the terminal and in the log.
		{"a merge of a key", strings.Replace(strings.Replace(file, "second_key: b6ca", "second_key: &key b6ca", 1), "<<: [*payu]", "<<: *key", 1),
			"getpaid.yaml: line 12: backends.payu_usd.<<: want a mapping to merge (<<: *name), not &key, a single value (not shown: it is another setting's, which may be a secret)"},
		{"a key twice beside a merge", strings.Replace(file, "    second_key: eur-second-key\n", "    second_key: eur-second-key\n    second_key: again\n", 1),
			"getpaid.yaml: line 20: backends.payu_eur.second_key is set twice (first on line 19)"},
		{"aliases without end", "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n",
			"the aliases (*name) expand to more than 100000 values"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := configErr(t, tt.yaml, nil)
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not say %q", err, tt.want)
			}
		})
	}
}

// A broker URL setting (api_url, jws_prefix, refund_notify_url) every call
// or check would fail with, or that would put credentials in the log, is
// refused at start, naming the setting, for every backend kind alike: a
// port outside 1–65535, a user:password, a query, a fragment, a blank.
func TestBrokerURLSettingsAreChecked(t *testing.T) {
	t.Parallel()
	const head = "listen: 127.0.0.1:0\ndatabase: \"memory:\"\napi_keys: [server-api-key-0123456789]\nbackends:\n"
	backends := []struct{ kind, settings string }{
		{"payu", "    pos_id: \"1\"\n    second_key: k\n    client_id: \"1\"\n    client_secret: c\n"},
		{"przelewy24", "    merchant_id: 11111\n    crc: c\n    api_key: k\n"},
		{"dotpay", "    shop_id: 123456\n    pin: p\n"},
		{"tpay", "    client_id: c\n    client_secret: s\n    merchant_id: 1010\n    security_code: sc\n"},
		{"transferuj", "    merchant_id: 1010\n    security_code: sc\n"},
	}
	settings := map[string][]string{
		"payu":       {"api_url"},
		"przelewy24": {"api_url", "refund_notify_url"},
		"dotpay":     {"api_url"},
		"tpay":       {"api_url", "jws_prefix"},
		"transferuj": {"api_url", "jws_prefix"},
	}
	values := []struct{ value, want string }{
		{"http://127.0.0.1:99999", `the port "99999"`},
		{"http://127.0.0.1:0", `the port "0"`},
		{"\"http://127.0.0.1:\"", `the port ""`},
		{"http://user:secret@127.0.0.1:9000", "user or password"},
		{"http://127.0.0.1:9000/?q=1", "query"},
		{"\"http://127.0.0.1:9000/#f\"", "fragment"},
		{"\"http://127.0.0.1:9000/a b\"", "blank"},
		{"not-a-url", "want an absolute http(s) URL"},
		{"\"http://:9000\"", "with a host"}, // a port alone: Go's client would call this machine
	}
	for _, b := range backends {
		for _, setting := range settings[b.kind] {
			for _, v := range values {
				t.Run(b.kind+" "+setting+" "+v.value, func(t *testing.T) {
					t.Parallel()
					yaml := head + "  " + b.kind + ":\n" + b.settings + "    " + setting + ": " + v.value + "\n"
					err := configErr(t, yaml, nil)
					if !strings.Contains(err.Error(), setting) || !strings.Contains(err.Error(), v.want) {
						t.Fatalf("error %q does not name %s and say %q", err, setting, v.want)
					}
					if strings.Contains(err.Error(), "secret@") {
						t.Fatalf("error %q shows the password", err)
					}
				})
			}
		}
	}
}

// Backend names that nest (dummy and dummy_no, payu and payu_pos) leave a
// variable two readings; the one that names a setting of the backend's
// kind is taken: GETPAID_BACKEND_DUMMY_NO_CALLBACKS is dummy's
// no_callbacks, not dummy_no's "callbacks", and GETPAID_BACKEND_PAYU_POS_ID
// payu's pos_id. Two readings that both name a setting (payu's
// client_secret, and the secret of a dummy backend called payu_client) are
// refused.
func TestEnvironmentBackendNamesThatNest(t *testing.T) {
	t.Parallel()
	const file = "database: \"memory:\"\nbackends:\n  dummy:\n    secret: s\n  dummy_no:\n    kind: dummy\n    secret: s\n" +
		"  payu:\n    pos_id: \"1\"\n    second_key: k\n    client_id: \"1\"\n    client_secret: c\n" +
		"  payu_pos:\n    kind: payu\n    pos_id: \"2\"\n    second_key: k\n    client_id: \"2\"\n    client_secret: c\n" +
		"  payu_client:\n    kind: dummy\n    secret: s\n"
	for name, k := range backendKinds() {
		if k.settings == nil {
			t.Errorf("kind %s does not say its settings: its variables cannot be told from a nested name's", name)
		}
	}
	read := func(t *testing.T, c *fileConfig, name, key string) string {
		t.Helper()
		node := c.Backends[name]
		if n := lookupKey(&node, key); n != nil {
			return n.Value
		}
		return ""
	}
	tests := []struct {
		env                 string
		backend, key, value string
		err                 string
	}{
		{"GETPAID_BACKEND_DUMMY_NO_CALLBACKS=true", "dummy", "no_callbacks", "true", ""},
		{"GETPAID_BACKEND_DUMMY_NO_SECRET=t", "dummy_no", "secret", "t", ""},
		{"GETPAID_BACKEND_PAYU_POS_ID=9", "payu", "pos_id", "9", ""},
		{"GETPAID_BACKEND_PAYU_POS_POS_ID=8", "payu_pos", "pos_id", "8", ""},
		{"GETPAID_BACKEND_PAYU_POS_TIMEOUT=5s", "payu_pos", "timeout", "5s", ""},
		{"GETPAID_BACKEND_PAYU_CLIENT_SECRET=x", "", "", "", "GETPAID_BACKEND_PAYU_CLIENT_SECRET: backends.payu.client_secret or backends.payu_client.secret"},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			t.Parallel()
			c, err := parseConfigFrom("getpaid.yaml", []byte(file), []string{tt.env})
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := read(t, c, tt.backend, tt.key); got != tt.value {
				t.Fatalf("backends.%s.%s = %q, want %q", tt.backend, tt.key, got, tt.value)
			}
		})
	}
}

// A backend's text setting from the environment is the variable's value as
// it is, also when it starts with [ or { (a password from a secret store):
// read as YAML it was refused ("not a YAML list or mapping", "want text,
// not a list"), and could not be set at all.
func TestEnvironmentTextSettingTakenAsIs(t *testing.T) {
	t.Parallel()
	const file = "database: \"memory:\"\nbackends:\n  dummy:\n    secret: s\n  dotpay:\n    shop_id: \"123456\"\n    pin: p\n"
	tests := []struct{ env, backend, key, want string }{
		{"GETPAID_BACKEND_DUMMY_SECRET={abc", "dummy", "secret", "{abc"},
		{"GETPAID_BACKEND_DUMMY_SECRET=[abc]", "dummy", "secret", "[abc]"},
		{"GETPAID_BACKEND_DOTPAY_API_PASSWORD={p: w}", "dotpay", "api_password", "{p: w}"},
		{"GETPAID_BACKEND_DUMMY_TITLE=[Test] payments", "dummy", "title", "[Test] payments"},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			t.Parallel()
			c, err := parseConfigFrom("getpaid.yaml", []byte(file), []string{tt.env})
			if err != nil {
				t.Fatal(err)
			}
			node := c.Backends[tt.backend]
			if n := lookupKey(&node, tt.key); n == nil || n.Kind != yaml.ScalarNode || n.Value != tt.want {
				t.Fatalf("backends.%s.%s = %+v, want %q", tt.backend, tt.key, n, tt.want)
			}
		})
	}
	// A list is still a list: currencies from the environment as YAML.
	c, err := parseConfigFrom("getpaid.yaml", []byte(file), []string{"GETPAID_BACKEND_DUMMY_CURRENCIES=[PLN, EUR]"})
	if err != nil {
		t.Fatal(err)
	}
	node := c.Backends["dummy"]
	if n := lookupKey(&node, "currencies"); n == nil || n.Kind != yaml.SequenceNode {
		t.Fatalf("currencies = %+v, want a list", n)
	}
}

// A section or the webhooks set from the environment in block YAML, as a
// Kubernetes manifest's multi-line value writes it, is read as YAML, as
// the README says ("mappings as YAML"): it was refused with "want a
// mapping of settings (listen), not "listen: …"", which it is.
func TestEnvironmentBlockYAML(t *testing.T) {
	t.Parallel()
	const file = "database: \"memory:\"\nbackends:\n  dummy:\n    secret: s\n"
	tests := []struct {
		env   string
		check func(c *fileConfig) bool
	}{
		{"GETPAID_METRICS=listen: 127.0.0.1:9100", func(c *fileConfig) bool { return c.Metrics.Listen == "127.0.0.1:9100" }},
		{"GETPAID_METRICS=listen: 127.0.0.1:9100\n", func(c *fileConfig) bool { return c.Metrics.Listen == "127.0.0.1:9100" }},
		{"GETPAID_WEBHOOKS=- url: https://shop.example/hook\n  secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n", func(c *fileConfig) bool {
			return len(c.Webhooks) == 1 && c.Webhooks[0].URL == "https://shop.example/hook"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			t.Parallel()
			c, err := parseConfigFrom("getpaid.yaml", []byte(file), []string{tt.env})
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Fatalf("%+v", c)
			}
		})
	}
	// What is not YAML for a section is still refused, naming the
	// variable, and a quoted text inside a variable's YAML stays text.
	// A section in block YAML is checked as the same section in flow
	// YAML, or in the file, is: a limit of 0 and a tracing setting without
	// its endpoint were let through (the checks read the section as the
	// variable's text, not as the mapping it was decoded as).
	for _, tt := range []struct{ env, want string }{
		{"GETPAID_LIMITS=form_body: 0\n", "GETPAID_LIMITS: limits.form_body: 0: want more than 0"},
		{"GETPAID_LIMITS=api_body: 1KiB\nconnections: 0\n", "GETPAID_LIMITS: limits.connections: 0: want more than 0"},
		{"GETPAID_TRACING=service_name: getpaid\n", "GETPAID_TRACING: tracing.service_name: set while tracing.otlp_endpoint is not"},
		{"GETPAID_METRICS=127.0.0.1:9100", `GETPAID_METRICS: metrics: want a mapping of settings (listen), not "127.0.0.1:9100"`},
		{"GETPAID_METRICS=listen: a\n---\nlisten: b\n", "GETPAID_METRICS: a second YAML document"},
		{`GETPAID_ADMIN={users: ["name: alice"]}`, `admin.users[0]: want a mapping of settings (name, password_hash), not a single value`},
	} {
		if err := configErr(t, file, []string{tt.env}); !strings.Contains(err.Error(), tt.want) {
			t.Fatalf("%s: %v; want it to say %q", tt.env, err, tt.want)
		}
	}
}

// A password hash refused for its cost is not shown, nor is one of a cost
// taken refused.
func TestPasswordHashCost(t *testing.T) {
	t.Parallel()
	const hash = "$2a$31$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW"
	base := "database: \"memory:\"\nbackends:\n  dummy:\n    secret: s\nadmin:\n  users:\n    - name: alice\n      password_hash: \""
	err := configErr(t, base+hash+"\"\n", nil)
	if strings.Contains(err.Error(), "R9h/cIPz") {
		t.Fatalf("error %q shows the hash", err)
	}
	c, err := parseConfigFrom("getpaid.yaml", []byte(base+strings.Replace(hash, "$31$", "$14$", 1)+"\"\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkServerConfig(c); err != nil {
		t.Fatalf("cost 14 refused: %v", err)
	}
}

// A secret setting given a value of the wrong type is refused without the
// value, not even its first characters: the decoder quoted seven of them
// (api_keys: "server-..."), describeValue forty (an Authorization header
// in full, a console user's hash); other settings still show theirs.
func TestWrongTypeHidesSecrets(t *testing.T) {
	t.Parallel()
	const file = "listen: 127.0.0.1:0\ndatabase: \"memory:\"\napi_keys: [server-api-key-0123456789]\nbackends:\n  dummy:\n    secret: s\n"
	const secret = "S3cretS3cret"
	tests := []struct{ name, yaml, want string }{
		{"api_keys one key", strings.Replace(file, "[server-api-key-0123456789]", secret+"-api-key-0123", 1), "line 3: api_keys: want a list, not a single value (not shown"},
		{"short api_keys one key", strings.Replace(file, "[server-api-key-0123456789]", secret, 1), "line 3: api_keys: want a list, not a single value (not shown"},
		{"a webhook's secrets one value", file + "webhooks:\n  - url: https://shop.example/hook\n    secrets: whsec_" + secret + "\n", "line 9: webhooks[0].secrets: want a list, not a single value"},
		{"webhooks a secret", file + "webhooks: whsec_" + secret + "\n", "line 7: webhooks: want a list of mappings of settings (events, secret, secrets, url), not a single value"},
		{"tracing headers one value", file + "tracing:\n  otlp_endpoint: http://c:4318\n  headers: \"Authorization: Bearer " + secret + "\"\n", "line 9: tracing.headers: want a mapping (name: value), not a single value"},
		{"tracing one value", file + "tracing: \"Authorization: Bearer " + secret + "\"\n", "line 7: tracing: want a mapping of settings"},
		{"admin users a hash", file + "admin:\n  users: \"$2a$12$" + secret + "\"\n", "line 8: admin.users: want a list of mappings of settings (name, password_hash), not a single value"},
		{"admin user a name and hash", file + "admin:\n  users:\n    - alice:$2a$12$" + secret + "\n", "line 9: admin.users[0]: want a mapping of settings (name, password_hash), not a single value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := configErr(t, tt.yaml, nil)
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not say %q", err, tt.want)
			}
			for _, part := range []string{secret[:3], "Bearer", "whsec_", "$2a$"} {
				if strings.Contains(err.Error(), part) {
					t.Fatalf("error %q shows the value (%q)", err, part)
				}
			}
		})
	}
	// A setting that is no secret still shows what it was given.
	err := configErr(t, strings.Replace(file, "    secret: s\n", "    secret: s\n    currencies: PLN\n", 1), nil)
	if !strings.Contains(err.Error(), `backends.dummy.currencies: want a list, not "PLN"`) {
		t.Fatalf("error %q does not show the value", err)
	}
}

// A console user's hash written over two lines (YAML folds them with a
// blank, a | block keeps the line break) was taken, and no password ever
// matched it; a line break after it is harmless (bcrypt reads 60
// characters) and still taken. The hash is not shown.
func TestPasswordHashSplit(t *testing.T) {
	t.Parallel()
	h, err := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	hash := string(h)
	base := "database: \"memory:\"\nbackends:\n  dummy:\n    secret: s\nadmin:\n  users:\n    - name: alice\n      password_hash: "
	for _, tt := range []struct{ name, value string }{
		{"folded over two lines", hash[:30] + "\n        " + hash[30:] + "\n"},
		{"a | block over two lines", "|\n        " + hash[:30] + "\n        " + hash[30:] + "\n"},
		{"a tab inside", "\"" + hash[:30] + "\\t" + hash[30:] + "\"\n"},
	} {
		err := configErr(t, base+tt.value, nil)
		if !strings.Contains(err.Error(), "line 8: admin.users[0].password_hash: user \"alice\": a blank or line break inside the hash") {
			t.Errorf("%s: %v", tt.name, err)
		}
		if strings.Contains(err.Error(), hash[10:20]) {
			t.Errorf("%s: error %q shows the hash", tt.name, err)
		}
	}
	// What was taken: no password matches it.
	if bcrypt.CompareHashAndPassword([]byte(hash[:30]+" "+hash[30:]), []byte("pw")) == nil {
		t.Fatal("bcrypt matched a hash with a blank inside")
	}
	c, err := parseConfigFrom("getpaid.yaml", []byte(base+"|\n        "+hash+"\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkServerConfig(c); err != nil {
		t.Fatalf("a hash with a line break after it refused: %v", err)
	}
}

// A backend's value with a blank inside it, written on one line (a
// password, an anchored one), or a title continued on the next line, is
// taken: only a value YAML joined from lines is refused.
func TestBackendValueOnOneLine(t *testing.T) {
	t.Parallel()
	const file = "database: \"memory:\"\nbackends:\n  dummy:\n    title: Pay with\n      cards\n    secret: &s my dummy secret  # a comment\n  dotpay:\n    shop_id: \"700001\"\n    pin: p\n    api_username: seller\n    api_password: \"two words\"\n  dummy_two: {kind: dummy, secret: *s}\n"
	c, err := parseConfigFrom("getpaid.yaml", []byte(file), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := buildRegistry(c); err != nil {
		t.Fatal(err)
	}
}

// An alias of a secret (*key, where second_key: &key …) in a setting that
// holds none was decoded there, and that setting's errors showed the
// secret (currencies: *key as "want a list, not \"b6ca15b...\"",
// expire_after: *key or base_url: *key in full); it is refused without
// the value. A secret setting may still take another's (second_key: *key).
func TestAliasOfSecretHidden(t *testing.T) {
	t.Parallel()
	const secret = "b6ca15b0d1020e8094d9b5f8d163db54"
	const file = "listen: 127.0.0.1:0\ndatabase: \"memory:\"\napi_keys: [server-api-key-0123456789]\nbackends:\n  payu:\n    kind: payu\n    pos_id: \"300746\"\n    second_key: &key " + secret + "\n    client_id: \"300746\"\n    client_secret: &cs 2ee86a66e5d97e3fadc400c9f19b065d\n"
	const want = "backends.payu.second_key (line 8), a secret"
	tests := []struct{ name, yaml, want string }{
		{"currencies", file + "    currencies: *key\n", "line 11: backends.payu.currencies: *key is the value of " + want},
		{"a currency", file + "    currencies: [*key]\n", "line 11: backends.payu.currencies[0]: *key is the value of " + want},
		{"a duration", file + "    expire_after: *key\n", "line 11: backends.payu.expire_after: *key is the value of " + want},
		{"true or false", file + "    sandbox: *key\n", "line 11: backends.payu.sandbox: *key is the value of " + want},
		{"a top-level setting", file + "base_url: *key\n", "line 11: base_url: *key is the value of " + want},
		{"a section", file + "limits: *key\n", "line 11: limits: *key is the value of " + want},
		{"a webhook's url", file + "webhooks: [{url: *cs, secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw}]\n", "line 11: webhooks[0].url: *cs is the value of backends.payu.client_secret (line 10), a secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := configErr(t, tt.yaml, nil)
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not say %q", err, tt.want)
			}
			for _, part := range []string{secret[:4], "2ee8"} {
				if strings.Contains(err.Error(), part) {
					t.Fatalf("error %q shows the secret (%q)", err, part)
				}
			}
		})
	}
	// A secret setting may take another's value.
	c, err := parseConfigFrom("getpaid.yaml", []byte(file+"  payu_eur: {kind: payu, pos_id: \"1\", second_key: *key, client_id: \"1\", client_secret: *key, currencies: [EUR]}\n"), nil)
	if err == nil {
		_, err = buildRegistry(c)
	}
	if err != nil {
		t.Fatalf("second_key: *key refused: %v", err)
	}
}

// A variable's YAML is read as the file is: an alias of a secret in a
// setting that holds none (url: *s, where secret: &s …) showed the secret
// in full ("webhook: url \"whsec_…\": want an absolute http(s) URL").
func TestEnvAliasOfSecretHidden(t *testing.T) {
	t.Parallel()
	const file = "listen: 127.0.0.1:0\ndatabase: \"memory:\"\napi_keys: [server-api-key-0123456789]\nbackends:\n  dummy: {secret: s}\n"
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	tests := []struct{ name, env, want string }{
		{"a webhook's url", "GETPAID_WEBHOOKS=[{secret: &s " + secret + ", url: *s}]",
			"getpaid.yaml: GETPAID_WEBHOOKS: webhooks[0].url: *s is the value of webhooks[0].secret (GETPAID_WEBHOOKS), a secret"},
		{"a webhook's event", "GETPAID_WEBHOOKS=[{secret: &s " + secret + ", url: https://shop.example/hook, events: [*s]}]",
			"getpaid.yaml: GETPAID_WEBHOOKS: webhooks[0].events[0]: *s is the value of webhooks[0].secret (GETPAID_WEBHOOKS), a secret"},
		{"the tracing endpoint", "GETPAID_TRACING={headers: {Authorization: &a \"Basic " + secret + "\"}, otlp_endpoint: *a}",
			"getpaid.yaml: GETPAID_TRACING: tracing.otlp_endpoint: *a is the value of tracing.headers.Authorization (GETPAID_TRACING), a secret"},
		{"in block YAML", "GETPAID_TRACING=headers:\n  Authorization: &a " + secret + "\nsample_ratio: *a\n",
			"getpaid.yaml: GETPAID_TRACING: tracing.sample_ratio: *a is the value of tracing.headers.Authorization (GETPAID_TRACING), a secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := configErr(t, file, []string{tt.env})
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not say %q", err, tt.want)
			}
			if strings.Contains(err.Error(), secret[:10]) {
				t.Fatalf("error %q shows the secret", err)
			}
		})
	}
	// Aliases between settings that may share a value still work.
	c, err := parseConfigFrom("getpaid.yaml", []byte(file), []string{
		"GETPAID_WEBHOOKS=[{url: https://a.example/h, secret: &s " + secret + ", events: &e [payment.status_changed]}, {url: https://b.example/h, secret: *s, events: *e}]",
		"GETPAID_TRACING={otlp_endpoint: \"http://c:4318\", headers: {Authorization: &a x, X-Other: *a}}"})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Webhooks) != 2 || c.Webhooks[1].Secret != secret || len(c.Webhooks[1].Events) != 1 || c.Tracing.Headers["X-Other"] != "x" {
		t.Fatalf("aliases in a variable's YAML read as %+v, %+v", c.Webhooks, c.Tracing.Headers)
	}
}

// A secret written unquoted after a * (second_key: *b6ca…) reads as an
// alias of no anchor, whose error showed the secret in full ("unknown
// anchor 'b6ca…' referenced"), in the file and in a variable's YAML.
func TestUnknownAnchorHidden(t *testing.T) {
	t.Parallel()
	const secret = "b6ca15b0d1020e8094d9b5f8d163db54"
	const file = "listen: 127.0.0.1:0\ndatabase: \"memory:\"\napi_keys: [server-api-key-0123456789]\nbackends:\n  dummy: {secret: s}\n"
	tests := []struct {
		name, yaml string
		env        []string
		want       string
	}{
		{"a backend's key in the file", file + "  payu: {pos_id: \"1\", second_key: *" + secret + ", client_id: \"1\", client_secret: c}\n", nil,
			"getpaid.yaml: line 6: an alias (*name) of no anchor"},
		{"an API key in the file", strings.Replace(file, "[server-api-key-0123456789]", "[*"+secret+"]", 1), nil,
			"getpaid.yaml: line 3: an alias (*name) of no anchor"},
		{"a webhook's secret in a variable", file, []string{"GETPAID_WEBHOOKS=[{url: https://a.example/h, secret: *" + secret + "}]"},
			"getpaid.yaml: GETPAID_WEBHOOKS: not a YAML list or mapping: an alias (*name) of no anchor"},
		{"a header in a variable", file, []string{"GETPAID_TRACING={otlp_endpoint: \"http://c:4318\", headers: {X-Api-Key: *" + secret + "}}"},
			"getpaid.yaml: GETPAID_TRACING: not a YAML list or mapping: an alias (*name) of no anchor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := configErr(t, tt.yaml, tt.env)
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not say %q", err, tt.want)
			}
			if strings.Contains(err.Error(), secret[:8]) {
				t.Fatalf("error %q shows the secret", err)
			}
		})
	}
}

// A secret written unquoted after ! or !! (second_key: !b6ca…) is a tag
// to YAML, whose error showed it in full ("the tag !b6ca… is not YAML's
// own"), in the file and in a variable's YAML.
func TestTagOfSecretHidden(t *testing.T) {
	t.Parallel()
	const secret = "b6ca15b0d1020e8094d9b5f8d163db54"
	const file = "listen: 127.0.0.1:0\ndatabase: \"memory:\"\napi_keys: [server-api-key-0123456789]\nbackends:\n  dummy: {secret: s}\n"
	const payu = "  payu:\n    pos_id: \"1\"\n    second_key: %s\n    client_id: \"1\"\n    client_secret: c\n"
	tests := []struct {
		name, yaml string
		env        []string
		want       string
	}{
		{"a backend's key after !", file + strings.Replace(payu, "%s", "!"+secret, 1), nil,
			"getpaid.yaml: line 8: backends.payu.second_key: a value starting with ! is a tag to YAML"},
		{"a backend's key after !!", file + strings.Replace(payu, "%s", "!!"+secret, 1), nil,
			"getpaid.yaml: line 8: backends.payu.second_key: a value starting with ! is a tag to YAML"},
		{"a webhook's secret in a variable", file, []string{"GETPAID_WEBHOOKS=- url: https://a.example/h\n  secret: !!whsec_" + secret + "\n"},
			"getpaid.yaml: GETPAID_WEBHOOKS: webhooks[0].secret: a value starting with ! is a tag to YAML"},
		{"a header in a variable", file, []string{"GETPAID_TRACING=otlp_endpoint: \"http://c:4318\"\nheaders:\n  X-Api-Key: !" + secret + "\n"},
			"getpaid.yaml: GETPAID_TRACING: tracing.headers.X-Api-Key: a value starting with ! is a tag to YAML"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := configErr(t, tt.yaml, tt.env)
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not say %q", err, tt.want)
			}
			if strings.Contains(err.Error(), secret[:8]) {
				t.Fatalf("error %q shows the secret", err)
			}
		})
	}
}
