package admin_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/getpaid-go/getpaid/admin"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
)

// TestLoginThrottleHoldsUnderConcurrency sends many wrong sign-ins at once
// from one address: the throttle must let at most FreeFailures of them
// reach the password check, however they interleave (a check that only
// looks before the slow bcrypt comparison lets every request in flight
// through, and a guesser gets as many guesses as the CPU allows).
func TestLoginThrottleHoldsUnderConcurrency(t *testing.T) {
	t.Parallel()
	// A real cost: the comparison takes long enough for the requests to
	// overlap, as they do against a production hash.
	slow, err := bcrypt.GenerateFromPassword([]byte(password), 10)
	if err != nil {
		t.Fatal(err)
	}
	const tries = 12
	for _, tc := range []struct {
		name  string
		names func(i int) string
		ips   func(i int) string // the client's address
	}{
		{"one user", func(int) string { return "alice" }, func(int) string { return "203.0.113.7" }},
		{"a new name each time", func(i int) string { return fmt.Sprintf("guess-%d", i) }, func(int) string { return "203.0.113.7" }},
		{"a new name and address of one IPv6 /64 each time", func(i int) string { return fmt.Sprintf("guess-%d", i) },
			func(i int) string { return fmt.Sprintf("2001:db8:1:2::%x", i+1) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil, false, frozen, func(c *admin.Config) {
				c.Users = []admin.User{{Name: "alice", PasswordHash: string(slow)}}
				c.ClientIP = func(r *http.Request) string { return r.Header.Get("X-Test-Client") }
			})
			b := e.browser()
			resp := b.do("GET", "/admin/login", nil)
			token := b.csrf()
			var loginCookie *http.Cookie
			for _, c := range resp.Cookies() {
				if c.Name == "getpaid_admin_login" {
					loginCookie = c
				}
			}
			if loginCookie == nil {
				t.Fatal("the login form set no token cookie")
			}
			statuses := make(chan int, tries)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range tries {
				wg.Go(func() {
					form := url.Values{"csrf": {token}, "name": {tc.names(i)}, "password": {"wrong password"}}
					req, err := http.NewRequest("POST", e.srv.URL+"/admin/login", strings.NewReader(form.Encode()))
					if err != nil {
						t.Error(err)
						return
					}
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					req.AddCookie(loginCookie)
					req.Header.Set("X-Test-Client", tc.ips(i))
					<-start
					resp, err := brokerhttp.Client(nil, 0, 0).Do(req)
					if err != nil {
						t.Error(err)
						return
					}
					resp.Body.Close()
					statuses <- resp.StatusCode
				})
			}
			close(start)
			wg.Wait()
			close(statuses)
			checked := 0
			for s := range statuses {
				switch s {
				case http.StatusUnauthorized:
					checked++
				case http.StatusTooManyRequests:
				default:
					t.Errorf("a wrong sign-in answered %d, want 401 or 429", s)
				}
			}
			if checked > admin.FreeFailures {
				t.Errorf("%d of %d simultaneous wrong sign-ins had their password checked, want at most %d", checked, tries, admin.FreeFailures)
			}
		})
	}
}

// TestAuditedNameBounded signs in with names of any length: the audit line
// shows a short one whole and a long one cut, so a guesser posting long
// names cannot make the log grow by them.
func TestAuditedNameBounded(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		posted  string
		maxLine int
		whole   bool
	}{
		{"short", "mallory", 1024, true},
		{"10 KiB", strings.Repeat("m", 10<<10), 1024, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil, false, frozen)
			b := e.browser()
			b.do("GET", "/admin/login", nil)
			if resp := b.do("POST", "/admin/login", url.Values{"csrf": {b.csrf()}, "name": {tc.posted}, "password": {"wrong password"}}); resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("wrong sign-in: %d, want 401", resp.StatusCode)
			}
			line := e.audit.String()
			if len(line) > tc.maxLine {
				t.Errorf("the audit line of a failed sign-in has %d bytes, want at most %d", len(line), tc.maxLine)
			}
			if got := strings.Contains(line, `"user":"`+tc.posted+`"`); got != tc.whole {
				t.Errorf("the name shown whole: %v, want %v\n%.300s", got, tc.whole, line)
			}
		})
	}
}

// TestLoginNotLockedOutFromElsewhere: a guesser failing as alice from one
// address, again each time its wait runs out, holds that address back, not
// alice signing in from hers; a guesser moving to fresh addresses gets one
// try from each before the name's wait holds it.
func TestLoginNotLockedOutFromElsewhere(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, false, frozen, byTestClient)
	mallory := e.browser()
	mallory.client = "198.51.100.9"
	for range admin.FreeFailures + 3 {
		mallory.login("wrong password")
	}
	if resp := mallory.login(password); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("the guesser's address: %d, want 429", resp.StatusCode)
	}
	// Another address with a clean record: its try reaches the password
	// check, a wrong one fails (401) and the next one from there waits.
	other := e.browser()
	other.client = "203.0.113.50"
	if resp := other.login("wrong password"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a fresh address's first wrong try: %d, want 401", resp.StatusCode)
	}
	if resp := other.login(password); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a second try from an address that failed, the name being held: %d, want 429", resp.StatusCode)
	}
	alice := e.browser()
	alice.client = "192.0.2.10"
	if resp := alice.login(password); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("alice from her own address while the name is held: %d, want a sign-in (303)\n%s", resp.StatusCode, alice.last)
	}
}
