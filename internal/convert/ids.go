package convert

import (
	"crypto/sha256"
	"encoding/binary"
)

// RecordUID returns the log.record.uid for a source record. It depends only
// on its inputs so a record re-sent after a crash carries the same id and a
// backend can drop the repeat. The inputs are length-prefixed before hashing
// so ("ab","c") and ("a","bc") cannot collide; the first 16 bytes of the
// SHA-256 are formatted as an RFC 9562 version-8 (custom) UUID.
func RecordUID(orgID, stream, key string) string {
	var scratch [192]byte
	_, sum := uidSum(scratch[:0], orgID, stream, key)
	var out [uidLen]byte
	return string(appendUUID(out[:0], sum))
}

const uidLen = 36

// uidSum hashes the length-prefixed inputs using scratch, returned for reuse.
func uidSum(scratch []byte, orgID, stream, key string) ([]byte, [16]byte) {
	b := scratch[:0]
	for _, s := range [3]string{orgID, stream, key} {
		b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	full := sha256.Sum256(b)
	var sum [16]byte
	copy(sum[:], full[:16])
	sum[6] = sum[6]&0x0f | 0x80 // version 8
	sum[8] = sum[8]&0x3f | 0x80 // RFC 9562 variant
	return b, sum
}

// appendUUID appends sum in the 8-4-4-4-12 hex form.
func appendUUID(dst []byte, sum [16]byte) []byte {
	const hexdig = "0123456789abcdef"
	for i, c := range sum {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, hexdig[c>>4], hexdig[c&0x0f])
	}
	return dst
}

// ID18 turns a 15-character case-sensitive Salesforce id into its 18-character
// case-insensitive form, so the same user has one user.id whichever form the
// source used. Other inputs are returned unchanged.
func ID18(id string) string {
	if len(id) != 15 {
		return id
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
	var out [18]byte
	copy(out[:], id)
	for chunk := 0; chunk < 3; chunk++ {
		var bits byte
		for i := 0; i < 5; i++ {
			c := id[chunk*5+i]
			switch {
			case c >= 'A' && c <= 'Z':
				bits |= 1 << i
			case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			default:
				return id // not a Salesforce id
			}
		}
		out[15+chunk] = alphabet[bits]
	}
	return string(out[:])
}
