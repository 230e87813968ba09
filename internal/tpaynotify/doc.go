// Package tpaynotify holds what Tpay's two integrations share: the amount
// format (major units with two decimal places, "123.45") and the basic
// payment notification Tpay POSTs form-encoded to the merchant, signed with
// an md5sum over id, tr_id, tr_amount, tr_crc and the merchant's security
// code, and with a detached RS256 JWS over the whole body in
// X-JWS-Signature (JWSVerifier; the certificates come from under a trusted
// prefix). The OpenAPI backend (broker/tpay) and the legacy Transferuj form
// backend (broker/transferuj) both receive it; their simulators both send it
// (Sender, PKI, SignJWS).
package tpaynotify
