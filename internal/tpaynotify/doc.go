// Package tpaynotify holds what Tpay's two integrations share: the amount
// format (major units with two decimal places, "123.45") and the basic
// payment notification Tpay POSTs form-encoded to the merchant, signed with
// an md5sum over id, tr_id, tr_amount, tr_crc and the merchant's security
// code. The OpenAPI backend (broker/tpay) and the legacy Transferuj form
// backend (broker/transferuj) both receive it; their simulators both send it.
package tpaynotify
