// Package payu is getpaid's backend for PayU (GPO Europe) REST API v2.1, the
// redirect flow: create an order, send the buyer to PayU's redirectUri,
// receive signed notifications, poll, capture, cancel and refund.
//
// # Settings
//
// Backend name "payu". Config's yaml names are fixed:
//
//	pos_id         merchantPosId of the point of sale (required)
//	second_key     the POS "second key (MD5)"; verifies notifications (required)
//	client_id      OAuth client id, usually equal to pos_id (required)
//	client_secret  OAuth client secret (required)
//	sandbox        use https://secure.snd.payu.com instead of https://secure.payu.com
//	allow_md5      accept MD5-signed notifications (off; PayU's sandbox signs with MD5)
//	ip_allowlist   accept notifications only from PayU's published addresses (off)
//	api_url        override the host, e.g. to point at the payutest simulator
//	currencies     override the accepted currencies (default below)
//
// Default currencies: BGN CHF CZK DKK EUR GBP HUF NOK PLN RON SEK UAH USD
// (getpaid-payu's list without HRK, gone since Croatia adopted the euro, and
// RUB, no longer offered). Only currencies with two minor digits are
// accepted; New refuses others such as JPY or KWD.
//
// # Quirks
//
//   - Amounts are strings of integer hundredths of the major unit. HUF is
//     "×100" too ("1000" is 10 HUF); getpaid's ISO table already gives HUF
//     two minor digits, so getpaid's minor units go on the wire unchanged.
//     FormatAmount and ParseAmount convert exactly, at the edge only.
//   - Create order answers HTTP 302 with a JSON body. The redirect is never
//     followed (whatever HTTPClient's CheckRedirect says); the body's orderId
//     and redirectUri are used. extOrderId is getpaid's payment id, so PayU
//     refuses a second order for one payment (ERROR_ORDER_NOT_UNIQUE).
//     customerIp is the buyer's IP; "127.0.0.1" is sent only when the caller
//     has none, because PayU requires the field. continueUrl is getpaid's
//     success URL: PayU has one return URL per order and no failure URL.
//   - OAuth client_credentials tokens are cached until 60 s before expiry,
//     fetched once for all concurrent callers, and dropped and fetched again
//     once when an API call answers 401.
//   - Notifications carry OpenPayu-Signature (and X-OpenPayU-Signature):
//     "sender=..;signature=<hex>;algorithm=<ALG>;content=DOCUMENT", where the
//     signature is hex(ALG(raw body ‖ second_key)), compared in constant
//     time. SHA-256 (also spelled SHA256 or SHA), SHA-384 and SHA-512 are
//     accepted; MD5 only with allow_md5; SHA-1 and unknown algorithms never.
//     The acknowledgement is an empty HTTP 200.
//   - PayU sends no event id: EventID is "<orderId>:<status>" for order
//     notifications, "refund:<refundId>:<status>" for refunds and
//     "poll:<orderId>:<status>" for FetchStatus.
//   - Status mapping: NEW → nothing new; PENDING → pending; WAITING_FOR_
//     CONFIRMATION → locked (the whole totalAmount, pre_auth); COMPLETED →
//     captured in full; CANCELED and the legacy REJECTED → failed. PayU does
//     not say whether a CANCELED order ever held funds, so a hold PayU lets
//     expire becomes failed; a hold released through Release (which
//     returns "released") is cancelled, and the later CANCELED is a no-op.
//     Refund FINALIZED → refunded, CANCELED → refund failed, PENDING → nothing.
//   - Capture uses the status update (PUT .../orders/{id}/status,
//     orderStatus COMPLETED), which captures the whole order: partial
//     captures are refused with getpaid.ErrNotSupported. Release and Cancel
//     are DELETE .../orders/{id}. Refund posts to .../refunds with
//     extRefundId = getpaid's refund id (PayU treats an identical repeat as
//     the same refund) and omits the amount for a full refund.
//   - Failures are classified once: network errors, timeouts, 5xx, 408 and
//     429 are retryable *getpaid.BrokerError (Happened set when a mutating
//     request may have reached PayU); other 4xx and ERROR_* status codes are
//     not retryable and carry PayU's statusCode and statusDesc.
//   - AllowCallbackFrom checks PayU's published notification addresses
//     (185.68.12.10-12 and .26-28 in production, 185.68.14.* in the
//     sandbox) when ip_allowlist is set; the caller resolves the IP through
//     trusted proxies. It is a second control beside the signature.
//   - FormSignature signs the legacy hosted-form integration's fields.
//
// The payutest subpackage is a simulator of PayU's side for tests, the demo
// and "getpaid simulate payu".
package payu
