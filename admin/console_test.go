package admin_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/admin"
)

func TestNeedsUsers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, false)
	if _, err := admin.New(admin.Config{Service: e.eng}); !errors.Is(err, admin.ErrNoUsers) {
		t.Errorf("New without users = %v, want ErrNoUsers", err)
	}
	if _, err := admin.New(admin.Config{Service: e.eng, Users: []admin.User{{Name: "bob", PasswordHash: "plain"}}}); err == nil {
		t.Error("New took a password that is not a bcrypt hash")
	}
}

func TestHashPassword(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"short", "        ", "\t \t \t \t "} {
		if _, err := admin.HashPassword(bad); err == nil {
			t.Errorf("HashPassword(%q) hashed it", bad)
		}
	}
	h, err := admin.HashPassword("a long enough password")
	if err != nil || !strings.HasPrefix(h, "$2") {
		t.Fatalf("HashPassword = %q, %v", h, err)
	}
}

func TestStaticFilesWithoutListing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, false)
	b := e.browser()
	if resp := b.do("GET", "/admin/static/style.css", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("the stylesheet: %d", resp.StatusCode)
	}
	for _, path := range []string{"/admin/static/", "/admin/static"} {
		if resp := b.do("GET", path, nil); resp.StatusCode == http.StatusOK || strings.Contains(b.last, "style.css") {
			t.Errorf("GET %s: %d, lists the folder: %q", path, resp.StatusCode, b.last)
		}
	}
}

func TestSignInRequired(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, false)
	b := e.browser()
	for _, path := range []string{"/admin/", "/admin/backends", "/admin/payments/pay_x"} {
		resp := b.do("GET", path, nil)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/login" {
			t.Errorf("GET %s signed out: %d to %q, want 303 to the login form", path, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	resp := b.do("POST", "/admin/payments/pay_x/do", url.Values{"action": {"refund"}})
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("POST signed out: %d, want 401", resp.StatusCode)
	}
}

func TestCookies(t *testing.T) {
	t.Parallel()
	for _, secure := range []bool{false, true} {
		e := newEnv(t, nil, secure)
		b := e.browser()
		resp := b.login(password)
		var got *http.Cookie
		for _, c := range resp.Cookies() {
			if c.Name == "getpaid_admin" {
				got = c
			}
		}
		if got == nil || !got.HttpOnly || got.SameSite != http.SameSiteLaxMode || got.Secure != secure || got.Path != "/admin/" {
			t.Errorf("https=%v: session cookie %+v; want HttpOnly, SameSite=Lax, Secure only over https, Path /admin/", secure, got)
		}
		if h := resp.Header.Get("Content-Security-Policy"); !strings.Contains(h, "frame-ancestors 'none'") {
			t.Errorf("CSP = %q", h)
		}
	}
}

func TestRefundThroughTheConsole(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, false)
	p := e.pay("o-console-1", "10.00", "paid", getpaid.StatusPaid)
	b := e.browser()
	b.mustLogin()

	if resp := b.do("GET", "/admin/?order_id=o-console-1", nil); resp.StatusCode != 200 || !strings.Contains(b.last, p.ID) || !strings.Contains(b.last, "1 payment match") {
		t.Fatalf("listing by order: %d\n%s", resp.StatusCode, b.last)
	}
	b.do("GET", "/admin/payments/"+p.ID, nil)
	if !strings.Contains(b.last, `id="refund-button"`) {
		t.Fatalf("no refund action on a paid payment:\n%s", b.last)
	}
	// The confirmation step does nothing yet.
	resp := b.do("POST", "/admin/payments/"+p.ID+"/confirm", url.Values{"csrf": {b.csrf()}, "action": {"refund"}, "amount": {"4.00"}})
	if resp.StatusCode != 200 || !strings.Contains(b.last, "4.00 PLN") {
		t.Fatalf("confirm: %d\n%s", resp.StatusCode, b.last)
	}
	if q, _ := e.eng.Payment(context.Background(), p.ID); q.Status != getpaid.StatusPaid {
		t.Fatalf("the confirmation step changed the payment: %s", q.Status)
	}
	form := url.Values{"csrf": {b.csrf()}, "action": {"refund"}, "amount": {"4.00"}, "key": {keyField.FindStringSubmatch(b.last)[1]}}
	resp = b.do("POST", "/admin/payments/"+p.ID+"/do", form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("do: %d\n%s", resp.StatusCode, b.last)
	}
	// The same confirmed form again (a double click) refunds nothing more.
	if resp := b.do("POST", "/admin/payments/"+p.ID+"/do", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the repeated form: %d\n%s", resp.StatusCode, b.last)
	}
	q := e.wait(p.ID, getpaid.StatusPartiallyRefunded)
	if q.Refunded != 400 {
		t.Errorf("refunded %d, want 400", q.Refunded)
	}
	b.do("GET", resp.Header.Get("Location"), nil)
	for _, want := range []string{"Refund asked", "partially_refunded", "refund_started", "4.00 PLN"} {
		if !strings.Contains(b.last, want) {
			t.Errorf("payment page after the refund lacks %q", want)
		}
	}
	audit := e.audit.String()
	for _, want := range []string{`"user":"alice"`, `"action":"refund"`, `"result":"ok"`, `"ip":"127.0.0.1"`, `"payment":"` + p.ID} {
		if !strings.Contains(audit, want) {
			t.Errorf("audit log lacks %s:\n%s", want, audit)
		}
	}
}

func TestRefusedActionShowsReason(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, false)
	p := e.pay("o-console-2", "10.00", "paid", getpaid.StatusPaid)
	b := e.browser()
	b.mustLogin()
	b.do("GET", "/admin/payments/"+p.ID, nil)
	b.do("POST", "/admin/payments/"+p.ID+"/confirm", url.Values{"csrf": {b.csrf()}, "action": {"refund"}, "amount": {"25.00"}})
	resp := b.do("POST", "/admin/payments/"+p.ID+"/do", url.Values{"csrf": {b.csrf()}, "action": {"refund"}, "amount": {"25.00"}, "key": {keyField.FindStringSubmatch(b.last)[1]}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(b.last, "at most 10.00 PLN can be refunded") {
		t.Fatalf("over-refund: %d\n%s", resp.StatusCode, b.last)
	}
	// Capturing a paid payment is refused by the status machine.
	resp = b.do("POST", "/admin/payments/"+p.ID+"/do", url.Values{"csrf": {b.csrf()}, "action": {"capture"}, "key": {"k-capture"}})
	if resp.StatusCode < 400 || !strings.Contains(b.last, `id="refusal"`) {
		t.Fatalf("capture of a paid payment: %d\n%s", resp.StatusCode, b.last)
	}
	if q, _ := e.eng.Payment(context.Background(), p.ID); q.Status != getpaid.StatusPaid || q.Refunded != 0 {
		t.Errorf("refused actions changed the payment: %s, refunded %d", q.Status, q.Refunded)
	}
	if !strings.Contains(e.audit.String(), `"result":"refused"`) {
		t.Errorf("the refusal is not in the audit log:\n%s", e.audit.String())
	}
}

func TestCSRFRequired(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, false)
	p := e.pay("o-console-3", "10.00", "paid", getpaid.StatusPaid)
	b := e.browser()
	b.mustLogin()
	b.do("GET", "/admin/payments/"+p.ID, nil)
	good := b.csrf()
	for name, form := range map[string]url.Values{
		"no token":    {"action": {"refund"}, "amount": {"1.00"}, "key": {"k1"}},
		"wrong token": {"csrf": {good + "x"}, "action": {"refund"}, "amount": {"1.00"}, "key": {"k2"}},
	} {
		for _, step := range []string{"confirm", "do"} {
			if resp := b.do("POST", "/admin/payments/"+p.ID+"/"+step, form); resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s, %s: %d, want 403", name, step, resp.StatusCode)
			}
		}
	}
	if resp := b.do("POST", "/admin/logout", url.Values{}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("logout without a token: %d, want 403", resp.StatusCode)
	}
	// Another browser's login form token does not sign this one in.
	other := e.browser()
	other.do("GET", "/admin/login", nil)
	if resp := b.do("POST", "/admin/login", url.Values{"csrf": {other.csrf()}, "name": {"alice"}, "password": {password}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("login with another browser's token: %d, want 403", resp.StatusCode)
	}
	if q, _ := e.eng.Payment(context.Background(), p.ID); q.Status != getpaid.StatusPaid || q.RefundAsked != 0 {
		t.Errorf("a refused form changed the payment: %+v", q)
	}
}

func TestLoginThrottled(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, false, frozen)
	b := e.browser()
	for i := range admin.FreeFailures {
		if resp := b.login("wrong password"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d, want 401", i+1, resp.StatusCode)
		}
	}
	resp := b.login(password)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || !strings.Contains(b.last, "Too many failed sign-ins") {
		t.Fatalf("after %d failures the right password: %d (Retry-After %q), want 429", admin.FreeFailures, resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if !strings.Contains(e.audit.String(), `"result":"throttled"`) {
		t.Error("the throttled login is not in the audit log")
	}
}

func TestLogout(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, false)
	b := e.browser()
	b.mustLogin()
	b.do("GET", "/admin/", nil)
	if resp := b.do("POST", "/admin/logout", url.Values{"csrf": {b.csrf()}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	if resp := b.do("GET", "/admin/", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after logout: %d, want a redirect to the login form", resp.StatusCode)
	}
}

func TestBackendsPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, false)
	e.pay("o-console-4", "10.00", "paid", getpaid.StatusPaid)
	b := e.browser()
	b.mustLogin()
	// A forged callback is refused and counted.
	resp := b.do("POST", "/callback/dummy", url.Values{"x": {"y"}})
	if resp.StatusCode < 400 {
		t.Fatalf("forged callback: %d", resp.StatusCode)
	}
	b.do("GET", "/admin/backends", nil)
	for _, want := range []string{"1 accepted, 1 refused", "applied", "refused: signature_invalid", "Callback URL", "/callback/dummy", "PLN, USD"} {
		if !strings.Contains(b.last, want) {
			t.Errorf("backends page lacks %q:\n%s", want, b.last)
		}
	}
}

func TestListFiltersAndPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, false)
	for i := range 3 {
		e.pay("o-list", "1.00", "paid", getpaid.StatusPaid)
		_ = i
	}
	e.pay("o-list", "2.00", "failed", getpaid.StatusFailed)
	b := e.browser()
	b.mustLogin()
	b.do("GET", "/admin/?status=paid", nil)
	if strings.Count(b.last, `href="/admin/payments/pay_`) != 3 || !strings.Contains(b.last, "3.00 PLN") {
		t.Errorf("status filter:\n%s", b.last)
	}
	if resp := b.do("GET", "/admin/?status=bogus", nil); resp.StatusCode != http.StatusBadRequest || !strings.Contains(b.last, "Unknown status") {
		t.Errorf("bogus status: %d", resp.StatusCode)
	}
	if resp := b.do("GET", "/admin/?cursor=zzz", nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad cursor: %d", resp.StatusCode)
	}
	if resp := b.do("GET", "/admin/?from=2001-01-01&to=2001-01-02", nil); resp.StatusCode != 200 || !strings.Contains(b.last, "No payments match") {
		t.Errorf("empty date range: %d", resp.StatusCode)
	}
}

// TestResolveInDoubt refunds while the broker's answer is lost, sees the
// engine's reason, and resolves the operation from the console.
func TestResolveInDoubt(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, false)
	p := e.pay("o-console-5", "10.00", "paid", getpaid.StatusPaid)
	if err := e.dummy.SetFault("timeout-before"); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.mustLogin()
	b.do("GET", "/admin/payments/"+p.ID, nil)
	resp := b.do("POST", "/admin/payments/"+p.ID+"/do", url.Values{"csrf": {b.csrf()}, "action": {"refund"}, "amount": {"3.00"}, "key": {"k-doubt"}})
	if resp.StatusCode != http.StatusConflict || !strings.Contains(b.last, "being reconciled") {
		t.Fatalf("refund in doubt: %d\n%s", resp.StatusCode, b.last)
	}
	// The refusal sent the operator to a resolve form "below" that this
	// page (the refund's confirmation) does not have: it is on the
	// payment's page.
	if strings.Contains(b.last, "below") || !strings.Contains(b.last, "resolve it on the payment") {
		t.Errorf("the refusal does not say where to resolve the operation:\n%s", b.last)
	}
	ops, err := e.eng.Operations(context.Background(), getpaid.OperationFilter{PaymentID: p.ID})
	if err != nil || len(ops.Operations) != 1 || ops.Operations[0].State != getpaid.OpUnknown {
		t.Fatalf("operations = %+v, %v", ops, err)
	}
	op := ops.Operations[0]
	b.do("GET", "/admin/payments/"+p.ID, nil)
	if !strings.Contains(b.last, `name="operation" value="`+op.ID+`"`) {
		t.Fatalf("no resolve form for the operation in doubt:\n%s", b.last)
	}
	// The broker is back: the operator has it asked now, not at the end of
	// the operation's backoff step.
	check := url.Values{"csrf": {b.csrf()}, "action": {"check_operation"}, "operation": {op.ID}}
	if resp := b.do("POST", "/admin/payments/"+p.ID+"/confirm", check); resp.StatusCode != 200 || !strings.Contains(b.last, "Have the broker asked about it now") {
		t.Fatalf("confirm check: %d\n%s", resp.StatusCode, b.last)
	}
	check.Set("key", keyField.FindStringSubmatch(b.last)[1])
	if resp = b.do("POST", "/admin/payments/"+p.ID+"/do", check); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("check: %d\n%s", resp.StatusCode, b.last)
	}
	b.do("GET", resp.Header.Get("Location"), nil)
	if !strings.Contains(b.last, "Operation due for a check with its broker now") || !strings.Contains(b.last, op.ID) {
		t.Errorf("the payment's page after the check has no notice of it:\n%s", b.last)
	}
	if got, err := e.eng.Operation(context.Background(), op.ID); err != nil || got.NextCheckAt.After(time.Now()) || got.State != getpaid.OpUnknown {
		t.Fatalf("operation after the check: %+v, %v; want due now, still in doubt", got, err)
	}
	form := url.Values{"csrf": {b.csrf()}, "action": {"resolve"}, "operation": {op.ID}, "as": {"failed"}, "note": {"not in the broker's panel"}}
	if resp := b.do("POST", "/admin/payments/"+p.ID+"/confirm", form); resp.StatusCode != 200 || !strings.Contains(b.last, "Record this decision") {
		t.Fatalf("confirm resolve: %d\n%s", resp.StatusCode, b.last)
	}
	form.Set("key", keyField.FindStringSubmatch(b.last)[1])
	resp = b.do("POST", "/admin/payments/"+p.ID+"/do", form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("resolve: %d\n%s", resp.StatusCode, b.last)
	}
	b.do("GET", resp.Header.Get("Location"), nil)
	if !strings.Contains(b.last, "Operation resolved (operation "+op.ID+")") {
		t.Errorf("the payment's page after the decision has no notice of it:\n%s", b.last)
	}
	got, err := e.eng.Operation(context.Background(), op.ID)
	if err != nil || got.State != getpaid.OpFailed || got.ResolvedBy != "console:alice" || got.Note != "not in the broker's panel" {
		t.Errorf("operation after the decision: %+v, %v", got, err)
	}
	if q, _ := e.eng.Payment(context.Background(), p.ID); q.Status != getpaid.StatusPaid || q.RefundAsked != 0 {
		t.Errorf("payment after the refund failed: %s, refund pending %d", q.Status, q.RefundAsked)
	}
	// A check (or a second decision) sent from a page shown before the
	// operation was settled is refused saying so, not with the stale
	// broker error beside the state ("The refund is failed: dummy:
	// refund: timed out …", read as if the check had timed out).
	for _, form := range []url.Values{
		{"csrf": {b.csrf()}, "action": {"check_operation"}, "operation": {op.ID}, "key": {"k-stale-check"}},
		{"csrf": {b.csrf()}, "action": {"resolve"}, "operation": {op.ID}, "as": {"succeeded"}, "note": {"seen"}, "key": {"k-stale-resolve"}},
	} {
		resp := b.do("POST", "/admin/payments/"+p.ID+"/do", form)
		refusal := refusalText.FindStringSubmatch(b.last)
		if resp.StatusCode != http.StatusConflict || refusal == nil || !strings.Contains(refusal[1], "has already failed") ||
			strings.Contains(refusal[1], "timed out") {
			t.Errorf("%s of a settled operation: %d, refusal %q; want 409 saying it is already failed, without its old broker error",
				form.Get("action"), resp.StatusCode, refusal)
		}
	}
}

var refusalText = regexp.MustCompile(`id="refusal">([^<]*)<`)

// With RequireHTTPS, nothing of the console is served over plain http: a
// password or a session cookie sent in clear is refused before it is
// looked at, and no session is made. Over https it works as usual.
func TestRequireHTTPS(t *testing.T) {
	t.Parallel()
	for _, secure := range []bool{false, true} {
		e := newEnv(t, nil, secure, func(c *admin.Config) { c.RequireHTTPS = true })
		b := e.browser()
		form := b.do("GET", "/admin/login", nil)
		if !secure {
			if form.StatusCode != http.StatusForbidden || !strings.Contains(b.last, "https") {
				t.Errorf("GET /admin/login over http: %d %q, want 403 saying https is required", form.StatusCode, b.last)
			}
			resp := b.do("POST", "/admin/login", url.Values{"csrf": {"x"}, "name": {"alice"}, "password": {password}})
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("POST /admin/login over http: %d, want 403", resp.StatusCode)
			}
			for _, c := range resp.Cookies() {
				if c.Name == "getpaid_admin" && c.Value != "" {
					t.Errorf("a session cookie was set over http: %+v", c)
				}
			}
			if strings.Contains(e.audit.String(), `"action":"login"`) {
				t.Errorf("the password sent in clear was checked: %s", e.audit.String())
			}
			continue
		}
		b.mustLogin()
		if resp := b.do("GET", "/admin/", nil); resp.StatusCode != http.StatusOK {
			t.Errorf("GET /admin/ over https: %d", resp.StatusCode)
		}
	}
}

// The notice after an action names only what the console did: a link
// crafted to show "Refund asked" with an operation that is not this
// payment's, "Operation resolved" naming one nobody resolved by hand, or
// "Advance accepted" on a payment whose history has no decision on an
// advance, shows nothing.
func TestDoneNoticeNotForged(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, false)
	p := e.pay("o-notice", "10.00", "paid", getpaid.StatusPaid)
	other := e.pay("o-notice-other", "10.00", "paid", getpaid.StatusPaid)
	res, err := e.eng.Refund(context.Background(), getpaid.ActionRequest{PaymentID: other.ID, Amount: ptr(getpaid.MustParseMoney("1.00", "PLN"))})
	if err != nil {
		t.Fatal(err)
	}
	own, err := e.eng.Refund(context.Background(), getpaid.ActionRequest{PaymentID: p.ID, Amount: ptr(getpaid.MustParseMoney("1.00", "PLN"))})
	if err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.mustLogin()
	for _, tc := range []struct {
		query string
		want  bool
	}{
		{"done=refund&op=" + own.Operation.ID, true},
		{"done=refund&op=" + res.Operation.ID, false}, // another payment's
		{"done=refund&op=op_made_up", false},
		{"done=refund", false},                                 // a refund always makes an operation
		{"done=capture&op=" + own.Operation.ID, false},         // not a capture
		{"done=resolve&op=" + own.Operation.ID, false},         // no operator resolved it
		{"done=check_operation&op=" + own.Operation.ID, false}, // settled: nothing to check
		{"done=check_operation&op=" + res.Operation.ID, false}, // another payment's
		{"done=check_operation", false},
		{"done=poll", true},
		// no advance was ever held, accepted or rejected here
		{"done=accept_advance", false},
		{"done=reject_advance", false},
	} {
		b.do("GET", "/admin/payments/"+p.ID+"?"+tc.query, nil)
		if got := strings.Contains(b.last, `class="notice"`); got != tc.want {
			t.Errorf("?%s: notice shown %v, want %v", tc.query, got, tc.want)
		}
	}
}

func ptr[T any](v T) *T { return &v }
