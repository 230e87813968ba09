package admin_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid/admin"
)

// TestHashCostAboveTheCapRefused: New took a password_hash of any bcrypt
// cost and hashed at the highest for the unknown names' dummy comparison:
// one of cost 31 (bcrypt's highest) held New for about a day and a half of
// CPU, and every sign-in as the user would take as long. The CLI's config
// check refused it (above 14); a library user was not told. New now refuses
// a cost above admin.MaxHashCost at once, naming the user and the cost.
func TestHashCostAboveTheCapRefused(t *testing.T) {
	t.Parallel()
	svc := newEnv(t, nil, false).eng
	good := "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"
	for _, cost := range []int{admin.MaxHashCost + 1, 31} {
		hash := "$2a$" + strconv.Itoa(cost) + "$" + good[7:]
		done := make(chan error, 1)
		go func() {
			_, err := admin.New(admin.Config{Service: svc, Users: []admin.User{{Name: "alice", PasswordHash: hash}}})
			done <- err
		}()
		select {
		case err := <-done:
			want := "bcrypt cost " + strconv.Itoa(cost) + ": want at most " + strconv.Itoa(admin.MaxHashCost)
			if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), `"alice"`) {
				t.Errorf("cost %d: New: %v, want %q naming alice", cost, err, want)
			}
		case <-time.After(time.Minute):
			// Hashing at that cost (a cap would refuse it at once).
			t.Fatalf("cost %d: New still running after a minute", cost)
		}
	}
	if admin.MaxHashCost != admin.HashCost+2 {
		t.Errorf("MaxHashCost %d, want HashCost+2 (%d): 4 times the work of HashPassword's", admin.MaxHashCost, admin.HashCost+2)
	}
}
