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
//	api_url            string: overrides the host (a simulator, see p24test)
//	currencies         list, default PLN EUR GBP CZK USD BGN DKK HUF NOK SEK CHF RON
//	language           default "pl": buyer page language when the buyer has none
//	country            default "PL"
//	refund_notify_url  urlStatus sent with refunds; default the NotifyURL of the last Prepare
//
// # Flow
//
// Prepare registers the transaction (POST /api/v1/transaction/register,
// sessionId = getpaid's payment id) and sends the buyer with a GET to
// {host}/trnRequest/{token}. It records no ExternalID: Przelewy24's orderId
// arrives with the notification and is stored from it.
//
// Przelewy24 POSTs a signed notification to urlStatus once the buyer paid
// (none for a failed payment). ParseCallback checks its sign and reports
// KindCaptured, EventID "trn:{orderId}"; ConfirmCallback then calls
// PUT /api/v1/transaction/verify, signed over the payment's own amount and
// currency. The payment is not paid before verify succeeds: a verify error
// (or a notification whose amount or currency differs from the payment,
// refused with ErrAmountMismatch before any call) leaves it unchanged, the
// notification is answered with an error and Przelewy24 sends it again.
//
// Refund asks for one refund through the batch endpoint; the outcome comes as
// a refund notification with its own sign: status 0 KindRefunded, status 1
// KindRefundFailed, EventID "refund:{refundsUuid}:{orderId}[:rejected]".
// Refund notifications need no verify.
//
// # Quirks and decisions
//
//   - Signatures are SHA-384 hex over a compact JSON object with a fixed key
//     order, integers as numbers, "/" and non-ASCII unescaped, no HTML
//     escaping (U+2028/U+2029 escaped, as PHP's json_encode does). The JSON
//     is written by hand, never with encoding/json defaults.
//   - Notifications are accepted as JSON or form-encoded; numeric fields are
//     read as integers before the sign JSON is rebuilt ("1500" and 1500 sign alike).
//   - A validly signed notification naming another merchantId or posId is
//     refused as ErrSignatureInvalid: it is not addressed to this shop.
//   - Amounts are integers in hundredths of the currency; only currencies with
//     two minor digits can be configured (New refuses JPY, KWD, ...).
//   - Prepare requires the buyer's email: Przelewy24's register requires it.
//   - The acknowledgement is HTTP 200 with body "OK" (Przelewy24 only needs 200).
//   - FetchStatus: status 0 or 404 -> KindNone; 1 (advance payment, not
//     verified) -> KindCaptured reported like a notification, so the engine's
//     Poll confirms it with verify before applying it (a payment whose
//     notifications were all lost is still finished by polling, and never
//     counted before verify succeeds); 2 -> KindCaptured with data.amount
//     (Full when it equals the payment's amount); 3 (returned) -> KindNone with
//     BrokerStatus "returned", because refunds are deltas that arrive with
//     their amounts in refund notifications. FetchStatus itself never calls
//     verify.
//   - refundID is the requestId and, up to 35 characters, the refundsUuid
//     (longer ids are hashed to 35 hex digits). The orderId comes from the
//     payment's ExternalID, else from a status lookup.
//   - Errors are classified once, here: network errors, timeouts, 429 and 5xx
//     are retryable *getpaid.BrokerError values; 400, 401, 404 and 409 are not
//     and carry Przelewy24's error text.
//   - The notification retry schedule is not documented publicly; nothing here
//     depends on it.
package przelewy24
