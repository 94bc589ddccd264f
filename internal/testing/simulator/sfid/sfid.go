// Package sfid makes and checks Salesforce record ids: 15 case-sensitive or
// 18 case-insensitive characters, the first three the object's key prefix
// (SOAP API Developer Guide, "ID Field Type":
// https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/field_types.htm).
// The page does not give the 3-character suffix's algorithm (widely
// published; WithChecksum); the pod and counter layout of New are the
// simulator's own.
package sfid

import "strings"

// Base62 is the alphabet of ids, in ASCII order.
const Base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// New builds an 18-char id: prefix, pod "5g", a 10-digit base62 counter
// (fixed width, and base62 digits are in ASCII order, so ids compare in
// creation order) and the case-safe checksum suffix.
func New(prefix string, n uint64) string {
	var b [10]byte
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = Base62[n%62]
		n /= 62
	}
	return WithChecksum(prefix + "5g" + string(b[:]))
}

// WithChecksum appends Salesforce's 3-char suffix to a 15-char id: for each
// 5-char chunk, a bitmask of which characters are upper case.
func WithChecksum(id15 string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
	suffix := make([]byte, 0, 3)
	for c := range 3 {
		bits := 0
		for i := range 5 {
			if ch := id15[c*5+i]; ch >= 'A' && ch <= 'Z' {
				bits |= 1 << i
			}
		}
		suffix = append(suffix, alphabet[bits])
	}
	return id15 + string(suffix)
}

// Valid reports whether s has the shape of an id: 15 or 18 base62
// characters.
func Valid(s string) bool {
	if len(s) != 15 && len(s) != 18 {
		return false
	}
	for i := range len(s) {
		if !strings.ContainsRune(Base62, rune(s[i])) {
			return false
		}
	}
	return true
}
