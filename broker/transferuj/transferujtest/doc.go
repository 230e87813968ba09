// Package transferujtest is a simulator of Tpay's legacy payment form (the
// Transferuj.pl flow django-getpaid shipped), for tests, `getpaid simulate
// transferuj` and the demo.
//
// It takes the signed form as Tpay does (POSTed, or as a GET query; current
// or old Polish field names), checks the merchant id and the request md5sum
// (joined with "&" or plainly concatenated, both or one of them, see
// Config.MD5Variant), shows the buyer a payment page and sends the basic
// payment notification to the form's result URL, form-encoded, signed with
// the md5sum and with a detached RS256 JWS in X-JWS-Signature (its own root
// and signing certificates, served under /x509/, so a backend with
// jws_prefix = URL() checks the whole chain; with Config.NoJWS the md5sum
// alone, as Transferuj sent them), again and again until the shop answers
// TRUE. Merchant
// refunds made "in the panel" send CHARGEBACK notifications (Chargeback).
// Notification and NotificationOf build signed notifications for tests (of
// the registered transaction, or of one for another tr_amount); like the
// legacy form, they name no currency: the account has one.
package transferujtest
