// Package przelewy24 is getpaid's Przelewy24 backend (REST API v1).
//
// # Settings
//
//	merchant_id        int, required: the merchant id from the panel
//	pos_id             int, default merchant_id: the shop (POS) id; HTTP Basic user
//	crc                string, required: CRC key from the panel, signs every message
//	api_key            string, required: REST API ("reports") key; HTTP Basic password
//	sandbox            bool: use https://sandbox.przelewy24.pl instead of https://secure.przelewy24.pl
//	ip_allowlist       bool: accept callbacks only from Przelewy24's addresses
//	api_url            string: overrides the host (a simulator, see p24test); given as
//	                   Przelewy24's documented base URL (.../api/v1), the /api/v1 is dropped
//	currencies         list, default PLN EUR GBP CZK USD BGN DKK HUF NOK SEK CHF RON
//	language           default "pl": buyer page language when the buyer has none
//	country            default "PL"
//	timeout            duration, default "30s": bound of every API call
//	time_limit         int 0-99: minutes the buyer has to pay, 0 no limit (timeLimit; unset: Przelewy24's default)
//	wait_for_result    bool: keep the buyer on Przelewy24's page until the result (waitForResult; unset: default)
//	channel            int: bitmask of payment channels offered (1 cards, 2 transfers, 4 traditional
//	                   transfer, 8, 16 all 24/7, 32 prepayment, 64 pay-by-link, 128 instalments,
//	                   256 wallets, 4096 card, 8192 BLIK, 16384 all but BLIK; 0 sends none)
//	method             int: one payment method's id to send the buyer straight to (0 sends none)
//	refund_notify_url  urlStatus sent with refunds; default getpaid's callback URL
//
// # Sources
//
// Przelewy24's REST OpenAPI document (mirrored in api-evangelist/przelewy24,
// openapi/_original/openapi.yml, and its json-schema folder) for endpoints,
// field limits, the notification retry schedule and the refund lookup; the
// przelewy24-php SDK (mnastalski/przelewy24-php) for signatures, the Basic
// auth user (posId) and the fixtures in testdata (a notification whose
// posId differs from its merchantId, a refund notification, a refund lookup).
//
// # Flow
//
// Prepare registers the transaction (POST /api/v1/transaction/register,
// sessionId = getpaid's payment id) and sends the buyer with a GET to
// {host}/trnRequest/{token}. It records no ExternalID: Przelewy24's orderId
// arrives with the notification and is stored from it.
//
// Przelewy24 POSTs a signed notification to urlStatus once the buyer paid
// (none for a failed payment). For the amount registered (amount ==
// originAmount) ParseCallback reports KindCaptured, EventID "trn:{orderId}";
// ConfirmCallback then calls PUT /api/v1/transaction/verify, signed over the
// observation's amount and orderId. The payment is not paid before verify
// succeeds: a verify error leaves it unchanged, the notification is answered
// with an error and Przelewy24 sends it again. The engine verifies nothing
// that would count nothing: another orderId paid for a payment that holds
// money already, paid or partially paid by an accepted advance (a buyer
// who paid twice: another orderId never pays the rest), is reported and
// recorded as a second transaction, unverified.
//
// A notification for another amount (the buyer paid more or less than
// registered) is an advance: ParseCallback reports getpaid.KindAdvance
// (Amount = what was paid, EventID "advance:{orderId}") and ConfirmCallback
// does not verify it, because verifying is what accepts the money. The engine
// records it on the payment (Payment.Advance, status charge_started) for an
// operator, who either accepts it — the engine then confirms an observation
// of KindCaptured with Amount = the advance, which ConfirmCallback verifies
// for that amount and orderId (refusing more than the payment, or another
// currency), and the payment becomes partially paid (or paid) — or leaves
// it: unverified, Przelewy24 keeps the money at the buyer's disposal and
// returns it. FetchStatus reports the same for a transaction paid with
// another amount.
//
// Refund asks for one refund through the batch endpoint (POST
// /api/v1/transaction/refund) with requestId and refundsUuid derived from
// getpaid's operation id (the id itself when it fits: 45 and 35 characters)
// and urlStatus = getpaid's callback URL (or refund_notify_url). The outcome
// comes as a refund notification with its own sign: status 0 KindRefunded,
// status 1 KindRefundFailed, EventID "refund:{refundsUuid}:{orderId}[:rejected]",
// OperationID the requestId when the signed refundsUuid derives from it.
// FetchOperation looks refunds up with GET /api/v1/refund/by/orderId/{orderId}
// (status 1 refunded, 2 and 3 refund_started, 4 refund_failed, with the
// notification's event ids), matched by requestId; none (or Przelewy24's own
// 404) is an error wrapping getpaid.ErrNotFound, a 404 that is not
// Przelewy24's a retryable error. A repeated refund request, which Przelewy24 answers
// 400 "Request already exists" (or "Concurrent call" while the first is being
// carried out), is looked up and reported as it stands, or in doubt (a
// retryable, Happened error) when the lookup does not show it yet.
//
// # Quirks and decisions
//
//   - Signatures are SHA-384 hex over a compact JSON object with a fixed key
//     order, integers as numbers, "/" and non-ASCII unescaped, no HTML
//     escaping (U+2028/U+2029 escaped, as PHP's json_encode does). The JSON
//     is written by hand, never with encoding/json defaults.
//   - Notifications are accepted as JSON or form-encoded, told apart by the
//     body (a JSON object begins with "{"), not by its Content-Type; fields
//     the sign does not cover may have any shape; numeric fields are
//     read as integers before the sign JSON is rebuilt ("1500" and 1500 sign
//     alike), so the order of the fields in the body does not matter.
//   - A validly signed notification naming another merchantId or posId is
//     refused as ErrSignatureInvalid: it is not addressed to this shop.
//   - Amounts are integers in hundredths of the currency; only currencies with
//     two minor digits can be configured (New refuses JPY, KWD, ...).
//   - Register's limits are kept before anything is sent: the buyer's email
//     is required and at most 50 characters (a longer one is refused as a
//     *getpaid.FieldError on buyer.email, never cut: that would send another
//     address); getpaid's return and notification URLs at most 250; the
//     description is cut to 1024 characters and the buyer's name to 40.
//   - The acknowledgement is HTTP 200 with body "OK" (Przelewy24 only needs 200).
//   - Przelewy24 sends a transaction notification again after 3, 5, 15, 30,
//     60, 150 and 450 minutes (± 5) until the merchant verifies the
//     transaction (its OpenAPI, "Notification"), answered 200 or not: a
//     notification getpaid does not verify (an advance) comes back seven
//     times and is a duplicate each time.
//   - FetchStatus: status 0 or Przelewy24's own 404 -> KindNone (a 404
//     that is not Przelewy24's, a proxy's page, is a retryable error); 1 (paid, not verified) ->
//     KindCaptured reported like a notification (so the engine's Poll
//     confirms it with verify before applying it: a payment whose
//     notifications were all lost is still finished by polling) or
//     KindAdvance for another amount; 2 -> KindCaptured with data.amount
//     (Full when it equals the payment's amount), needing no verify; 3
//     (returned) -> KindNone with BrokerStatus "returned", because refunds are
//     deltas that arrive with their amounts. FetchStatus itself never calls
//     verify.
//   - The orderId of refunds and lookups comes from the payment's
//     ExternalID, else from a status lookup.
//   - Errors are classified once, here: network errors, timeouts, 408,
//     429 and 5xx are retryable *getpaid.BrokerError values; 400, 401, 404
//     and 409 are not and carry Przelewy24's error text. For a mutating call (register,
//     verify, refund) a timeout, a dropped connection or a 5xx after the
//     request was sent is Happened (Przelewy24 may have acted); a refusal, or
//     a connection never made, is not.
package przelewy24
