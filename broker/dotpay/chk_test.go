package dotpay

import (
	"encoding/json"
	"maps"
	"testing"
)

// vectorParams are the parameters of brokers.md §4.6's derived chk vectors.
func vectorParams(apiVersion string) map[string]string {
	return map[string]string{
		"id": "123456", "amount": "123.00", "currency": "PLN", "description": "Test", "lang": "pl",
		"control": "ORDER-1", "url": "https://example.com/return", "urlc": "https://example.com/urlc",
		"type": "4", "api_version": apiVersion,
	}
}

func TestChkVectors(t *testing.T) {
	t.Parallel()
	const pin = "pin123abc"
	const wantJSON = `{"amount":"123.00","api_version":"next","control":"ORDER-1","currency":"PLN",` +
		`"description":"Test","id":"123456","lang":"pl","paramsList":"amount;api_version;control;currency;` +
		`description;id;lang;type;url;urlc","type":"4","url":"https://example.com/return","urlc":"https://example.com/urlc"}`
	if got := string(nextJSON(vectorParams("next"))); got != wantJSON {
		t.Fatalf("next JSON\n got %s\nwant %s", got, wantJSON)
	}
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"next", ChkNext(pin, vectorParams("next")), "566feabc79d0f72d4c1aec3772bf846edb7fa5fb1c669975002dee931004d124"},
		{"dev", ChkDev(pin, vectorParams("dev")), "4378af16b517ac3ab95aa25b1cbda3ab270152dd23e0c0435dad4cbb4b62db4f"},
		{"Chk picks next", Chk(pin, vectorParams("next")), "566feabc79d0f72d4c1aec3772bf846edb7fa5fb1c669975002dee931004d124"},
		{"Chk picks dev", Chk(pin, vectorParams("dev")), "4378af16b517ac3ab95aa25b1cbda3ab270152dd23e0c0435dad4cbb4b62db4f"},
		{"Chk without api_version is dev", Chk(pin, withoutAPIVersion(vectorParams("dev"))),
			ChkDev(pin, withoutAPIVersion(vectorParams("dev")))},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s: chk %s, want %s", tc.name, tc.got, tc.want)
		}
	}
	// chk itself, once added, is not signed.
	withChk := vectorParams("next")
	withChk["chk"] = "anything"
	if ChkNext(pin, withChk) != tests[0].want {
		t.Error("chk signs its own value")
	}
}

// Every parameter and its value count: changing any of them changes chk.
func TestChkCoversEveryParameter(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"next", "dev"} {
		base := vectorParams(v)
		want := Chk("pin123abc", base)
		for k := range base {
			changed := maps.Clone(base)
			changed[k] += "x"
			if Chk("pin123abc", changed) == want {
				t.Errorf("%s: %s not covered", v, k)
			}
		}
		if Chk("pin123abd", base) == want {
			t.Errorf("%s: the PIN is not covered", v)
		}
	}
	extra := vectorParams("next")
	extra["email"] = "a@b.c"
	if Chk("p", extra) == Chk("p", vectorParams("next")) {
		t.Error("next: an added parameter is not covered")
	}
}

// PHP's json_encode(..., JSON_UNESCAPED_SLASHES) escapes non-ASCII and
// control characters, never "/".
func TestNextJSONEscapesLikePHP(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"Zamówienie Zażółć", `"Zam\u00f3wienie Za\u017c\u00f3\u0142\u0107"`},
		{"a/b https://x/y", `"a/b https://x/y"`},
		{`q"uote\back`, `"q\"uote\\back"`},
		{"\n\r\t\b\f\x01\x1f\x7f", `"\n\r\t\b\f\u0001\u001f` + "\x7f" + `"`},
		{"<&>'", `"<&>'"`},
		{"😀", `"\ud83d\ude00"`},
		{"\u2028", `"\u2028"`},
		{"bad\xffutf8", `"bad\ufffdutf8"`},
	}
	for _, tc := range tests {
		if got := string(appendPHPString(nil, tc.in)); got != tc.want {
			t.Errorf("%q: %s, want %s", tc.in, got, tc.want)
		}
	}
}

// The document ChkNext signs is JSON holding exactly the parameters and
// their paramsList, whatever the values.
func TestNextJSONRoundTrip(t *testing.T) {
	t.Parallel()
	params := map[string]string{"description": "Żółw \"x\" / \\ \n 😀", "id": "1", "p_info": "Sklep <A&B>", "amount": "1.00"}
	var back map[string]string
	if err := json.Unmarshal(nextJSON(params), &back); err != nil {
		t.Fatal(err)
	}
	want := maps.Clone(params)
	want["paramsList"] = "amount;description;id;p_info"
	if !maps.Equal(back, want) {
		t.Fatalf("decoded %v, want %v", back, want)
	}
}

// withoutAPIVersion is p with no api_version.
func withoutAPIVersion(p map[string]string) map[string]string {
	delete(p, "api_version")
	return p
}
