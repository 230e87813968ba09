package edge

import "testing"

func TestCleanPath(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{"", "/"}, {"/", "/"}, {"admin", "/admin"}, {"/a//b", "/a/b"}, {"/a/./b/", "/a/b/"},
		{"/a/../../b", "/b"}, {"//", "/"}, {"/static", "/static"}, {"/x/..", "/"}, {"/x/../", "/"},
	} {
		if got := CleanPath(tt.in); got != tt.want {
			t.Errorf("CleanPath(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
