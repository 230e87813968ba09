package edge

import "path"

// CleanPath is p as net/http's ServeMux cleans it before matching: rooted,
// without "//", "." and ".." segments, its trailing slash kept. A handler
// that redirects to the clean path itself (under a prefix the mux inside
// it does not know, or with headers of its own) compares with it.
func CleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if p[len(p)-1] == '/' && np != "/" {
		np += "/"
	}
	return np
}
