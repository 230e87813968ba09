//go:build !linux

package sqlite

// solo is never sure to be alone without Linux's open file description
// locks: no read cache there.
type solo struct{}

func newSolo(string) (*solo, error) { return nil, nil }

func (*solo) alone() bool  { return false }
func (*solo) again() bool  { return false }
func (*solo) close() error { return nil }
