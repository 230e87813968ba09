// Package brokerhttp holds what the broker backends that call a broker's
// HTTP API share: the http.Client built from a backend's Timeout and
// HTTPClient settings, one request sent with its answer read in bounded
// form and its failure classified once as a *getpaid.BrokerError (a
// transport failure, a timeout or a 5xx to a request that changes something
// may have been acted on: Happened), and an OAuth access token cache that
// fetches one token for any number of concurrent callers.
//
// Each backend keeps its own wire format, authentication, error texts and
// operation names; this package only holds the logic that is the same for
// all of them.
package brokerhttp
