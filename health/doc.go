// Package health serves the probes load balancers and Kubernetes ask:
// /healthz answers 200 while the process runs; /readyz answers 200 only
// while its Checker says the service can work (SQLite: the database file
// can be opened, its schema is current and the disk has not failed the
// store since it was opened), else 503. Both answer small
// JSON bodies that name no path or secret; the cause of a failure goes to
// the log: a failure at most once a minute (with how many checks failed),
// and a line when the service is ready again after a logged failure.
//
// ClockWatch compares the process's clock with the database server's (a
// store's getpaid.ClockReader: PostgreSQL, which instances on several
// machines share) and logs an error while they are apart; readiness does
// not depend on it (an instance whose clock is off still serves, and
// taking it out of the balancer would not stop its background work).
package health
