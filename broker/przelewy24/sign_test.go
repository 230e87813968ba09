package przelewy24

import "testing"

// Every vector of brokers.md §2.8.
func TestSignVectors(t *testing.T) {
	t.Parallel()
	const crc = "aef0aef0aef0aef0"
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"sdk slash and unicode", signOf(str("slash", "foo/bar"), str("unicode", "ąźćż")),
			"4e9e3bc8c346c7487dbd4a4b4c6b5ec4561685d9018b775980e362159e3d4436e971036c3b278a07d9dd233298f0e45d"},
		{"sdk refund notification", (&refundNotification{OrderID: 123456789, SessionID: "0beec7", RefundsUUID: "dda251",
			MerchantID: 12345, Amount: 1500, Currency: "PLN", Status: 0}).sign("bar"),
			"689010bfd5819bcf683ee0556c0412808b760063a6a66ed4d305d9d85b0bb16ab38bc8fcd0808c85f977f5a041344688"},
		{"derived register", registerSign("test7", 11111, 1000, "PLN", crc),
			"abc0fe820db1a5f5564e689ab22039eedbe7d5da84bb6c4fd71778b57d583503b7a1ff56922016b21922721391e5f109"},
		{"derived verify", verifySign("test7", 300000001, 1000, "PLN", crc),
			"97196006914e3ac79cd2b81863b8dd5e7f9a4c98568f59597fbb78ebf83686d51185a0c3170bc6522b49cc105f5a9f43"},
		{"derived notification", (&notification{MerchantID: 11111, PosID: 11111, SessionID: "test7", Amount: 1000,
			OriginAmount: 1000, Currency: "PLN", OrderID: 300000001, MethodID: 25, Statement: "p24-A1-B2-C3"}).sign(crc),
			"ecffb29b03a17defd770ae4041cbb73f7841e907454fd610de39ba66a1d05e3f7f0f04729c08447b6153af6f46c81524"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.got != tc.want {
				t.Errorf("sign = %s, want %s", tc.got, tc.want)
			}
		})
	}
}

func TestSignJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		fields []field
		want   string
	}{
		{"order kept, ints as numbers", []field{str("b", "x"), num("a", 1500)}, `{"b":"x","a":1500}`},
		{"slash and polish unescaped", []field{str("s", "foo/bar ąę")}, `{"s":"foo/bar ąę"}`},
		{"no html escaping", []field{str("s", "<a&b>")}, `{"s":"<a&b>"}`},
		{"quotes and backslash", []field{str("s", `a"b\c`)}, `{"s":"a\"b\\c"}`},
		{"control characters", []field{str("s", "a\nb\x01\t")}, `{"s":"a\nb\u0001\t"}`},
		{"line separators escaped like PHP", []field{str("s", "a\u2028b\u2029")}, `{"s":"a\u2028b\u2029"}`},
		{"negative and zero", []field{num("a", 0), num("b", -5)}, `{"a":0,"b":-5}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := string(signJSON(tc.fields...)); got != tc.want {
				t.Errorf("signJSON = %s, want %s", got, tc.want)
			}
		})
	}
}
