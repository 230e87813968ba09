// Package getpaid is the domain of a multi-broker payment processor: Payment
// and its status machine, Money, the Broker interface and its optional
// capabilities, the Registry of enabled backends, the Store interface and the
// events listeners receive. It imports no other package of this module.
//
// A broker backend implements Broker:
//
//	Currencies() []string
//	Prepare(ctx, *PrepareRequest) (*Prepared, error)
//	ParseCallback(ctx, *CallbackRequest) (*Observation, error)
//
// and, where the broker has them, the optional capabilities found by type
// assertion, the way database/sql/driver grows:
//
//	Provisioner         learn its Env (name, callback and return URLs) before any other call (once per engine made on its registry)
//	StatusFetcher       pull the current status (polling)
//	CallbackConfirmer   confirm a notification before applying it (Przelewy24 verify)
//	CallbackVerifier    check only a callback's signature (for callback check)
//	CallbackResponder   the acknowledgement body the broker expects
//	Capturer            capture a pre-authorisation, fully or partly
//	Releaser            release a pre-authorisation
//	Refunder            refund, fully or partly
//	Canceler            cancel an unpaid payment
//	OperationGate       which of those its settings leave it unable to do (Dotpay's refunds without the seller API), refused before anything is stored
//	OperationFetcher    look a capture, refund, ... up at the broker (resolves doubt)
//	RefundCounter       the ids of its refunds of one amount, for notifications that name none (Tpay's CHARGEBACK)
//	Configurator        what to enter in the broker's panel
//	PageServer          pages the broker serves from getpaid (the dummy paywall)
//	IPAllowlister       which addresses may send callbacks
//	NotificationSourcer the addresses it sends notifications from, allowlist on or off (never blocked for refused callbacks)
//	CallbackSizer       the largest notification body the broker sends
//	Cautioner           what an operator should know of its settings at start (the engine logs it)
//	io.Closer           release what it holds (goroutines, connections, retry loops) on shutdown: Registry.Close
//
// A Broker of your own that wraps one of broker/* (to time or log its
// calls) has only the capabilities it implements itself: embedding
// getpaid.Broker forwards the three methods above, nothing else. Forward
// each capability the wrapped broker has, or the engine does without it.
// One it never does without: a fact its broker marks MustConfirm
// (Przelewy24's payment paid, or an advance, whose money Przelewy24 gives
// back unless verified)
// reaching a broker that is no CallbackConfirmer is refused, changing
// nothing, and logged as an error, never applied unconfirmed.
//
// A Store may also implement StaleLister (payments still waiting on their
// broker), which the engine uses to poll brokers whose notifications never
// came, and, for operators, PaymentTotaler (counts and sums by status for a
// listing's filter), BacklogReporter (the outbox's pending deliveries, the money operations in
// doubt and flagged), ClockReader (the database server's clock, which
// instances on several machines share: PostgreSQL),
// Readier (database reachable, schema current), DurableWaiter (wait until
// the changes readers may already see are on disk, before a repeated
// notification is acknowledged), and DeliveryDiscarder and
// DeliveryBackfiller (retire the deliveries of an endpoint removed from the
// configuration, write those of past events to one added), and
// AppliedKeyLister (the event keys applied to a payment: a buyer's second
// transactions are recorded as such). PaymentViewer reads a
// payment with its history and operations at once (one round trip on a
// networked database, one look in SQLite's cache). CallbackReport is what the
// HTTP layer tells observers (metrics, the console) about each callback.
//
// Service is the payment service as front ends see it (the engine implements
// it). A Service may also implement OperationChecker (have an operation
// checked with its broker now), EventBackfiller (send an endpoint added
// later the events written before it), PauseReporter (the consumers it
// sends nothing to for now), OrderValidator (is an order one a payment
// can be made of?) and SecondTransactionLister (the broker's other
// transactions of a payment a buyer paid twice); the JSON API, the payment-method form and the operator
// console use those only when it does. Capabilities are added to Service this way,
// never as new methods, so a Service written outside this module (a fake, a
// wrapper) keeps compiling.
//
// An OrderSource reads the merchant's orders for the payment-method form
// and PayOrder; one that is also an OrderChecker says whether an order may
// be paid now.
//
// Money is an int64 count of minor units with an ISO 4217 code; exponents
// come from a pinned table and decimal parsing is exact. Statuses change only
// through Apply, inside Store.UpdatePayment, checked against one transition
// table (see TransitionTable).
package getpaid
