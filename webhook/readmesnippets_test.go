package webhook_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid/webhook"
)

// readmeBlock is the body of the README's first fenced block of lang
// after the line starting with after.
func readmeBlock(t *testing.T, after, lang string) string {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "\n"+after)
	if i < 0 {
		t.Fatalf("README has no line starting %q", after)
	}
	s = s[i:]
	j := strings.Index(s, "\n```"+lang+"\n")
	if j < 0 {
		t.Fatalf("README has no %s block after %q", lang, after)
	}
	s = s[j+len("\n```"+lang+"\n"):]
	k := strings.Index(s, "\n```")
	if k < 0 {
		t.Fatalf("README's %s block after %q does not end", lang, after)
	}
	return s[:k+1]
}

// The README's Python check, copied as it is, verifies the README's
// example request and the specification's published one, and refuses a
// forged one with the ValueError it promises: a signature header with a
// character outside ASCII (headers reach Python decoded as Latin-1) made
// hmac.compare_digest raise a TypeError, which a handler catching
// ValueError let through as a 500.
func TestReadmePythonCheck(t *testing.T) {
	t.Parallel()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3")
	}
	dir := t.TempDir()
	driver := readmeBlock(t, "Verify before you trust", "python") + `
import sys
secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
readme = b'{"type":"payment.status_changed","timestamp":"2026-12-01T10:00:00Z","data":{"event_id":"evt_pay_1_v3","payment_id":"pay_1","version":3,"order_id":"order-42","backend":"payu_pln","from":"prepared","to":"paid","amount":"49.99","captured":"49.99","refunded":"0.00","currency":"PLN","cause":"captured (COMPLETED)"}}'
time.time = lambda: 1796119200
print(verify(secret, {"webhook-id": "evt_pay_1_v3", "webhook-timestamp": "1796119200",
    "webhook-signature": "v1,tKE3RSC/2U/j3k3zg5Z2RXaRK8tq+dJRufpdLIvnmp8="}, readme))
time.time = lambda: 1614265330
print(verify(secret, {"webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek", "webhook-timestamp": "1614265330",
    "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="}, b'{"test": 2432232314}'))
for sig in ("v1,\xe9", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE= v1,x", "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="):
    try:
        verify(secret, {"webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek", "webhook-timestamp": "1614265330", "webhook-signature": sig}, b'{"test": 2432232315}')
        print("accepted", repr(sig))
    except ValueError as e:
        print("refused:", e)
`
	f := filepath.Join(dir, "check.py")
	if err := os.WriteFile(f, []byte(driver), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(py, f).CombinedOutput()
	want := "evt_pay_1_v3\nmsg_p5jXN8AQM9LWM0D4loKWxJek\nrefused: bad signature\nrefused: bad signature\nrefused: bad signature\n"
	if err != nil || string(out) != want {
		t.Fatalf("python3 (%v):\n%s\nwant\n%s", err, out, want)
	}
}

// The README's shell line, copied as it is, prints the README example's
// signature.
func TestReadmeShellSignature(t *testing.T) {
	t.Parallel()
	sh, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	for _, tool := range []string{"openssl", "base64", "od"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skip("no " + tool)
		}
	}
	dir := t.TempDir()
	body := `{"type":"payment.status_changed","timestamp":"2026-12-01T10:00:00Z","data":{"event_id":"evt_pay_1_v3","payment_id":"pay_1","version":3,"order_id":"order-42","backend":"payu_pln","from":"prepared","to":"paid","amount":"49.99","captured":"49.99","refunded":"0.00","currency":"PLN","cause":"captured (COMPLETED)"}}`
	if err := os.WriteFile(filepath.Join(dir, "body.json"), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(sh, "-c", readmeBlock(t, "Verify before you trust", "sh"))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "ID=evt_pay_1_v3", "TS=1796119200", "SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "tKE3RSC/2U/j3k3zg5Z2RXaRK8tq+dJRufpdLIvnmp8=" {
		t.Fatalf("the README's shell line (%v): %s", err, out)
	}
}

// The README's Python check refuses a secret too short to be one, as
// Verify does: a secret read from an environment variable that is not set
// ("") made the HMAC key empty, so a request anyone signed with the empty
// key passed the check.
func TestReadmePythonCheckRefusesAnEmptySecret(t *testing.T) {
	t.Parallel()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3")
	}
	for _, tc := range []struct{ name, secret string }{
		{"unset", ""},
		{"prefix alone", "whsec_"},
		{"a few bytes", "whsec_c2hvcnQ="},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			driver := readmeBlock(t, "Verify before you trust", "python") + `
import sys
secret = sys.argv[1]
key = base64.b64decode(secret.removeprefix("whsec_"))
body = b'{"type":"payment.status_changed"}'
ts = str(int(time.time()))
sig = "v1," + base64.b64encode(hmac.new(key, f"evt_1.{ts}.".encode() + body, hashlib.sha256).digest()).decode()
try:
    verify(secret, {"webhook-id": "evt_1", "webhook-timestamp": ts, "webhook-signature": sig}, body)
    print("accepted")
except ValueError:
    print("refused")
`
			f := filepath.Join(t.TempDir(), "check.py")
			if err := os.WriteFile(f, []byte(driver), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(py, f, tc.secret).CombinedOutput()
			if err != nil || string(out) != "refused\n" {
				t.Fatalf("python3 (%v) with secret %q: %s", err, tc.secret, out)
			}
			if _, err := webhook.ParseSecret(tc.secret); err == nil {
				t.Fatalf("ParseSecret(%q) takes it: the README's check and Verify disagree", tc.secret)
			}
		})
	}
}
