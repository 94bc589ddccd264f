package sfapi

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sfevents/salesforcereceiver/internal/catalog"
)

// SecretError is a query the client refused to send because it names a
// field that holds a secret (catalog.SecretFields: OauthToken's refresh
// tokens and revocation handles). Classify puts it in ClassQuery: only a
// change of configuration or code can fix it.
type SecretError struct {
	Field string
}

func (e *SecretError) Error() string {
	return fmt.Sprintf("salesforce: refusing to send a query that names %s, a field holding a secret (the receiver never reads secrets)", e.Field)
}

// Is makes errors.Is(err, ErrNotReadable) hold.
func (e *SecretError) Is(target error) bool { return target == ErrNotReadable }

// SecretFieldIn returns the first secret field soql names, anywhere
// outside a string literal (SELECT list, relationship path, WHERE, ORDER
// BY), in any casing, or "" when it names none. The names are refused
// whatever object they are on: no stream of the receiver needs a field so
// named, and a relationship path (User.OauthTokens...) could reach one
// from another object.
func SecretFieldIn(soql string) string {
	secrets := catalog.SecretFields()
	for _, word := range soqlWords(soql) {
		for part := range strings.SplitSeq(word, ".") {
			if i := slices.IndexFunc(secrets, func(s string) bool { return strings.EqualFold(s, part) }); i >= 0 {
				return secrets[i]
			}
		}
	}
	return ""
}

// soqlWords splits soql into its identifiers and dotted paths, skipping
// string literals ('...' with backslash escapes, as SOQL quotes them).
func soqlWords(soql string) []string {
	var words []string
	start := -1
	flush := func(i int) {
		if start >= 0 {
			words = append(words, soql[start:i])
			start = -1
		}
	}
	for i := 0; i < len(soql); i++ {
		c := soql[i]
		switch {
		case c == '\'':
			flush(i)
			for i++; i < len(soql) && soql[i] != '\''; i++ {
				if soql[i] == '\\' {
					i++
				}
			}
		case c == '_' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			if start < 0 {
				start = i
			}
		default:
			flush(i)
		}
	}
	flush(len(soql))
	return words
}
