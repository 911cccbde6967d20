// Package redact removes credentials from text the operator repeats: condition messages, events and logs.
// Images are URLs that may carry a password (https://user:PASSWORD@host/disk.qcow2) or a token in the query
// (…?X-Amz-Signature=…), and the apiserver quotes the value of an invalid field back in its error, so any
// message that may contain an image, or an error about one, goes through String (or Error) before it is
// written anywhere.
package redact

import (
	"regexp"
	"strings"
)

// Mask replaces what is removed.
const Mask = "xxxxx"

var (
	// userinfo is a URL's authority up to its '@': "scheme://user:password@" or "scheme://token@". Quotes,
	// backslashes (escaped quotes in a quoted value), slashes and spaces end it, so it never spans two URLs.
	userinfo = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.\-]*://)([^/?#@\s"'\\]+)@`)
	// queryParam is a query or fragment parameter whose name says it carries a credential.
	queryParam = regexp.MustCompile(`(?i)([?&;#][^=&;#?\s"'\\]*(?:token|passw|pwd|secret|signature|sig|credential|key|auth)[^=&;#?\s"'\\]*=)([^&;#\s"'\\]+)`)
	// quotedValue is the value the apiserver quotes in a field error ("spec.disks[0].image: Invalid value:
	// \"…\": …") for a field whose name says it may carry a credential. The value may not be a URL at all (an
	// image without a scheme, "user:password@host/disk"), so it is removed whole.
	quotedValue = regexp.MustCompile(`(?i)((?:image|url|uri|password|passwd|token|secret|credential)[\w\[\]]*: (?:Invalid|Unsupported|Duplicate) value: )"(?:[^"\\]|\\.)*"`)
)

// String returns s with every credential it can recognise replaced by Mask: the userinfo of URLs (the
// password after a user name, or a lone user part, which is often a token), query parameters named like a
// credential (token, password, secret, signature, key, auth, …), and the value the apiserver quotes for a
// field named like an image, URL or secret. Text without any of these comes back unchanged.
func String(s string) string {
	if !strings.ContainsAny(s, "@?&;#\"") {
		return s
	}
	s = quotedValue.ReplaceAllString(s, `${1}"`+Mask+`"`)
	s = userinfo.ReplaceAllStringFunc(s, func(m string) string {
		parts := userinfo.FindStringSubmatch(m)
		scheme, info := parts[1], parts[2]
		if user, _, ok := strings.Cut(info, ":"); ok {
			return scheme + user + ":" + Mask + "@"
		}
		return scheme + Mask + "@"
	})
	return queryParam.ReplaceAllString(s, "${1}"+Mask)
}

// Error returns err with its message redacted by String, still wrapping err, so errors.Is, errors.As and the
// apierrors predicates see the original while anything that prints it (controller-runtime's "Reconciler
// error" log, a condition, an event) does not. nil stays nil, and an error redacted already is returned as
// is.
func Error(err error) error {
	if err == nil {
		return nil
	}
	//nolint:errorlint // Only the outermost error counts: a redacted error wrapped with more text is redacted again.
	if r, ok := err.(*redacted); ok {
		return r
	}
	return &redacted{err: err, msg: String(err.Error())}
}

type redacted struct {
	err error
	msg string
}

func (e *redacted) Error() string { return e.msg }
func (e *redacted) Unwrap() error { return e.err }
