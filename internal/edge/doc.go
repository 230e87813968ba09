// Package edge holds the small pieces that keep getpaid's public HTTP edge
// cheap for anyone and safe for buyers' browsers: a bounded reader of request
// bodies (a cap per body, a byte budget shared by all bodies, and a bound on
// how many larger bodies are read at once), the check that a query string
// reads whole (MalformedQuery), per-address failure windows for
// rate limiting and quiet logging, and the security headers and Content
// Security Policies of server-rendered pages.
//
// getpaid's own handlers (httpapi) map its errors to statuses in their one
// table; FormPage, which answers for itself, is for the simulators' pages.
package edge
