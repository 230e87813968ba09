// Package ui is what the HTML pages getpaid serves share: one small
// stylesheet (the payment form, the dummy paywall, the demo shop and the
// broker simulators' buyer pages all use it) and the words buyers and
// merchants read for payment statuses.
//
// The stylesheet is inlined in each page as one <style> element whose text
// never changes, so a Content-Security-Policy can allow exactly it with
// StyleHash instead of 'unsafe-inline'.
package ui
