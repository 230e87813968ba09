package main

import (
	"strconv"
	"strings"
	"unicode"
)

// termText is s safe to print on an operator's terminal: each control
// character (ESC, CR, NUL, a newline, C1 controls) written as Go escapes it
// ("\x1b", "\r"), other text kept as it is. A broker's words (Tpay's
// unsigned tr_error, an id, an error's description) reach the tools'
// output, and printed raw an escape sequence in them would drive the
// terminal (clear it, rewrite a line, retitle the window).
func termText(s string) string {
	return escapeControls(s, false)
}

// termLines is termText keeping newlines and tabs: for messages of several
// lines (an error the tool ends with).
func termLines(s string) string {
	return escapeControls(s, true)
}

func escapeControls(s string, lines bool) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && !(lines && (r == '\n' || r == '\t')) }) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if !unicode.IsControl(r) || lines && (r == '\n' || r == '\t') {
			b.WriteRune(r)
			continue
		}
		q := strconv.QuoteRuneToASCII(r)
		b.WriteString(q[1 : len(q)-1])
	}
	return b.String()
}
