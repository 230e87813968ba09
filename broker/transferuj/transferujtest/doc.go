// Package transferujtest is a simulator of Tpay's legacy payment form (the
// Transferuj.pl flow django-getpaid shipped), for tests, `getpaid simulate
// transferuj` and the demo.
//
// It takes the signed form as Tpay does (POSTed, or as a GET query; current
// or old Polish field names), checks the merchant id and the request md5sum
// (joined with "&" or plainly concatenated, both or one of them, see
// Config.MD5Variant), shows the buyer a payment page and sends the basic
// payment notification to the form's result URL, form-encoded and signed
// with the md5sum, again and again until the shop answers TRUE. Merchant
// refunds made "in the panel" send CHARGEBACK notifications (Chargeback).
package transferujtest
