package template

import (
	"errors"
	"fmt"
	"strings"
)

var (
	errEmpty        = errors.New(`empty expression "${}"`)
	errUnterminated = errors.New(`unterminated "${"`)
)

// segment is one piece of a template string: literal text (escapes already resolved) or the text of a CEL
// expression found between "${" and its closing "}".
type segment struct {
	text string
	expr bool
}

// parse splits s into literal and expression segments. "$${" is the escape for a literal "${". The closing
// brace is found by a small scanner rather than strings.Index because a CEL expression may itself contain
// braces, in map literals and inside string literals such as "${NAME + '}'}".
func parse(s string) ([]segment, error) {
	var (
		segs []segment
		lit  strings.Builder
	)
	flush := func() {
		if lit.Len() > 0 {
			segs = append(segs, segment{text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], "$${"):
			lit.WriteString("${")
			i += 3
		case strings.HasPrefix(s[i:], "${"):
			end, err := closingBrace(s, i+2)
			if err != nil {
				return nil, fmt.Errorf("%w at offset %d: %w", errUnterminated, i, err)
			}
			expr := strings.TrimSpace(s[i+2 : end])
			if expr == "" {
				return nil, fmt.Errorf("%w at offset %d", errEmpty, i)
			}
			flush()
			segs = append(segs, segment{text: expr, expr: true})
			i = end + 1
		default:
			// Copy everything up to the next '$' in one go; only a '$' can start an escape or expression.
			next := strings.IndexByte(s[i+1:], '$')
			if next < 0 {
				lit.WriteString(s[i:])
				i = len(s)
			} else {
				lit.WriteString(s[i : i+1+next])
				i += 1 + next
			}
		}
	}
	flush()
	return segs, nil
}

// closingBrace returns the index of the '}' that closes an expression starting at start, skipping braces
// that are nested (map literals) or quoted (string literals).
func closingBrace(s string, start int) (int, error) {
	depth := 0
	for i := start; i < len(s); i++ {
		switch s[i] {
		case '{':
			depth++
		case '}':
			if depth == 0 {
				return i, nil
			}
			depth--
		case '\'', '"':
			end, ok := skipQuoted(s, i)
			if !ok {
				return 0, fmt.Errorf("string literal at offset %d is not closed", i)
			}
			i = end
		}
	}
	return 0, errors.New(`no closing "}"`)
}

// skipQuoted returns the index of the last byte of the CEL string literal whose opening quote is at s[q],
// following CEL's lexical rules: single or triple quotes, backslash escapes, and raw literals (r'...')
// in which a backslash is an ordinary character.
func skipQuoted(s string, q int) (int, bool) {
	quote := s[q : q+1]
	if strings.HasPrefix(s[q:], strings.Repeat(quote, 3)) {
		quote = s[q : q+3]
	}
	raw := isRawPrefix(s, q)
	for i := q + len(quote); i < len(s); i++ {
		switch {
		case s[i] == '\\' && !raw:
			i++ // The escaped byte can never close the literal.
		case strings.HasPrefix(s[i:], quote):
			return i + len(quote) - 1, true
		}
	}
	return 0, false
}

// isRawPrefix reports whether the quote at s[q] is preceded by a CEL raw-string prefix: r, or rb/br for raw
// bytes, not itself the tail of a longer identifier.
func isRawPrefix(s string, q int) bool {
	start := q
	for start > 0 && q-start < 2 && strings.IndexByte("rRbB", s[start-1]) >= 0 {
		start--
	}
	if start > 0 && isIdentByte(s[start-1]) {
		return false
	}
	return strings.ContainsAny(s[start:q], "rR")
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// HasVariables reports whether s holds a template variable "${...}", not counting the escape "$${". An
// unterminated "${" counts: callers use this to decide whether a string needs rendering, and rendering is
// what reports the mistake.
func HasVariables(s string) bool {
	for i := strings.Index(s, "${"); i >= 0; {
		if i == 0 || s[i-1] != '$' {
			return true
		}
		next := strings.Index(s[i+2:], "${")
		if next < 0 {
			return false
		}
		i += 2 + next
	}
	return false
}
