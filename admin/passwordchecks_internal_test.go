package admin

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/getpaid-go/getpaid"
)

// noService is a Service the sign-in form never calls.
type noService struct{ getpaid.Service }

// TestPasswordChecksOneAtATime signs in from two addresses at once, each
// with its own name (so neither is throttled): the second password is
// compared only once the first comparison ended. Run side by side, tries
// sent at once from many addresses took every core (bcrypt at HashCost is
// a quarter of a second of CPU each) from the payments' requests.
func TestPasswordChecksOneAtATime(t *testing.T) {
	t.Parallel()
	hash, err := bcrypt.GenerateFromPassword([]byte("correct horse"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Config{Service: noService{}, Users: []User{{Name: "alice", PasswordHash: string(hash)}},
		ClientIP: func(r *http.Request) string { return r.Header.Get("X-Test-Client") }})
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu              sync.Mutex
		inside, overlap int
	)
	entered, release := make(chan string, 2), make(chan struct{})
	c.compare = func(_, password []byte) error { // the first one holds on until released
		mu.Lock()
		inside++
		overlap = max(overlap, inside)
		mu.Unlock()
		entered <- string(password)
		if string(password) == "first" {
			<-release
		}
		mu.Lock()
		inside--
		mu.Unlock()
		return bcrypt.ErrMismatchedHashAndPassword
	}

	form := httptest.NewRecorder()
	c.ServeHTTP(form, httptest.NewRequest("GET", "/login", nil))
	token := form.Result().Cookies()[0]
	signIn := func(name, password, ip string) int {
		v := url.Values{"csrf": {token.Value}, "name": {name}, "password": {password}}
		r := httptest.NewRequest("POST", "/login", strings.NewReader(v.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("X-Test-Client", ip)
		r.AddCookie(token)
		w := httptest.NewRecorder()
		c.ServeHTTP(w, r)
		return w.Code
	}
	var wg sync.WaitGroup
	statuses := make(chan int, 2)
	wg.Go(func() { statuses <- signIn("alice", "first", "203.0.113.1") })
	if got := <-entered; got != "first" {
		t.Fatalf("compared %q first", got)
	}
	wg.Go(func() { statuses <- signIn("bob", "second", "198.51.100.2") })
	select {
	case <-entered: // compared while the first comparison still runs
	case <-time.After(2 * time.Second): // waits its turn, as it should
	}
	close(release)
	wg.Wait()
	close(statuses)
	for s := range statuses {
		if s != http.StatusUnauthorized {
			t.Errorf("a wrong sign-in answered %d, want 401", s)
		}
	}
	if overlap > passwordChecks {
		t.Errorf("%d passwords compared at once, want at most %d", overlap, passwordChecks)
	}
}

// TestSignInCutOffNotCounted: a try whose client left while it waited for
// the comparison slot compared no password, and is no failure: FreeFailures
// of them counted as wrong passwords, and the operator's own sign-in next
// was refused, 429, for a password never tried.
func TestSignInCutOffNotCounted(t *testing.T) {
	t.Parallel()
	hash, err := bcrypt.GenerateFromPassword([]byte("correct horse"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Config{Service: noService{}, Users: []User{{Name: "alice", PasswordHash: string(hash)}}})
	if err != nil {
		t.Fatal(err)
	}
	form := httptest.NewRecorder()
	c.ServeHTTP(form, httptest.NewRequest("GET", "/login", nil))
	token := form.Result().Cookies()[0]
	signIn := func(ctx context.Context, password string) int {
		v := url.Values{"csrf": {token.Value}, "name": {"alice"}, "password": {password}}
		r := httptest.NewRequestWithContext(ctx, "POST", "/login", strings.NewReader(v.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.AddCookie(token)
		w := httptest.NewRecorder()
		c.ServeHTTP(w, r)
		return w.Code
	}
	c.checks <- struct{}{} // another comparison runs
	gone, leave := context.WithCancel(context.Background())
	leave() // the client has left
	for i := range FreeFailures + 1 {
		if got := signIn(gone, "correct horse"); got != http.StatusServiceUnavailable {
			t.Fatalf("try %d cut off while it waited: %d, want 503", i+1, got)
		}
	}
	<-c.checks
	if got := signIn(context.Background(), "correct horse"); got != http.StatusSeeOther {
		t.Errorf("the right password after %d tries cut off: %d, want 303 (signed in)", FreeFailures+1, got)
	}
}

// TestUnknownNameCostsWhatAKnownOneDoes: users' hashes of different bcrypt
// costs (one made by hand at 10, others by getpaid admin passwd at 12)
// made a sign-in as the cheaper user take a quarter of the time an unknown
// name's did (compared with a dummy of the highest cost), so timing told
// which names exist. Every sign-in now does the same bcrypt work: 2^cost
// summed over the hashes it compares.
func TestUnknownNameCostsWhatAKnownOneDoes(t *testing.T) {
	t.Parallel()
	users := []User{}
	for _, u := range []struct {
		name string
		cost int
	}{{"alice", bcrypt.MinCost}, {"bob", bcrypt.MinCost + 2}, {"carol", bcrypt.MinCost + 1}, {"dave", bcrypt.MinCost + 2}} {
		hash, err := bcrypt.GenerateFromPassword([]byte("correct horse"), u.cost)
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, User{Name: u.name, PasswordHash: string(hash)})
	}
	c, err := New(Config{Service: noService{}, Users: users})
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu   sync.Mutex
		work int
	)
	c.compare = func(hash, password []byte) error {
		cost, err := bcrypt.Cost(hash)
		if err != nil {
			t.Errorf("compared with no bcrypt hash %q: %v", hash, err)
		}
		mu.Lock()
		work += 1 << cost
		mu.Unlock()
		return bcrypt.CompareHashAndPassword(hash, password)
	}
	form := httptest.NewRecorder()
	c.ServeHTTP(form, httptest.NewRequest("GET", "/login", nil))
	token := form.Result().Cookies()[0]
	want := 1 << (bcrypt.MinCost + 2)
	for i, tc := range []struct {
		name, password string
		status         int
	}{
		{"nobody", "correct horse", http.StatusUnauthorized},
		{"alice", "wrong password", http.StatusUnauthorized},
		{"alice", "correct horse", http.StatusSeeOther},
		{"bob", "correct horse", http.StatusSeeOther},
		{"carol", "wrong password", http.StatusUnauthorized},
		{"dave", "wrong password", http.StatusUnauthorized},
	} {
		mu.Lock()
		work = 0
		mu.Unlock()
		v := url.Values{"csrf": {token.Value}, "name": {tc.name}, "password": {tc.password}}
		r := httptest.NewRequest("POST", "/login", strings.NewReader(v.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.RemoteAddr = fmt.Sprintf("192.0.2.%d:1234", i+1) // each its own address: none throttled
		r.AddCookie(token)
		w := httptest.NewRecorder()
		c.ServeHTTP(w, r)
		if w.Code != tc.status {
			t.Errorf("%s with %q: %d, want %d", tc.name, tc.password, w.Code, tc.status)
		}
		mu.Lock()
		if work != want {
			t.Errorf("%s with %q: bcrypt work %d, want %d, as for every name", tc.name, tc.password, work, want)
		}
		mu.Unlock()
	}
}
