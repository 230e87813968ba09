package admin_test

import (
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/getpaid-go/getpaid/admin"
)

// TestHashWithABadSaltRefused: a password_hash whose version and cost read
// well but whose salt is not bcrypt's base64 (a character mistyped, "-"
// for "e") was taken: bcrypt refuses such a salt before it does any work,
// so no password ever signed the user in, and a sign-in as her was
// answered at once, where an unknown name's took the dummy's quarter of a
// second: timing told her name exists.
func TestHashWithABadSaltRefused(t *testing.T) {
	t.Parallel()
	svc := newEnv(t, nil, false).eng
	good := "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"
	for _, tc := range []struct{ name, hash string }{
		{"salt mistyped", "$2a$10$N9qo8uLOickgx2ZMRZoMy-IjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"salt of standard base64", "$2a$10$N9qo8uLOickgx2ZMRZoMy+IjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"digest cut short", good[:59]},
		{"digest mistyped", good[:50] + "!" + good[51:]},
	} {
		if _, err := bcrypt.Cost([]byte(tc.hash)); err != nil {
			t.Fatalf("%s: bcrypt reads no cost in it: not the hash this test means", tc.name)
		}
		if _, err := admin.New(admin.Config{Service: svc, Users: []admin.User{{Name: "alice", PasswordHash: tc.hash}}}); err == nil {
			t.Errorf("%s: New took password_hash %q, which no password matches", tc.name, tc.hash)
		}
	}
	if _, err := admin.New(admin.Config{Service: svc, Users: []admin.User{{Name: "alice", PasswordHash: good}}}); err != nil {
		t.Errorf("New refused a bcrypt hash: %v", err)
	}
	for _, h := range []string{good, "$2b$10$" + good[7:], "$2y$10$" + good[7:], good + "\n"} {
		if _, err := admin.CheckHash(h); err != nil {
			t.Errorf("CheckHash(%q): %v", h, err)
		}
	}
}
