// Package identity is how a record is identified across queries, for
// de-duplication and log.record.uid: by the catalog's key field, never by
// Salesforce's placeholder Id, and by a digest of the whole row where no
// field identifies it (Event Log Objects, big-object rows without their
// key).
package identity

import (
	"encoding/binary"
	"math"
	"strconv"
	"sync"

	"github.com/cespare/xxhash/v2"
	"go.uber.org/zap"

	"github.com/sfevents/salesforcereceiver/internal/catalog"
	"github.com/sfevents/salesforcereceiver/internal/sobject"
)

// Digest is a 64-bit digest of every field of rec, names and typed
// values, in order: two rows identical in every field share it.
func Digest(rec *sobject.Record) uint64 {
	d := xxhash.New()
	var buf [9]byte
	for i := range rec.Fields {
		f := &rec.Fields[i]
		_, _ = d.WriteString(f.Name)
		switch v := f.Value.(type) {
		case string:
			buf[0] = 's'
			_, _ = d.Write(buf[:1])
			_, _ = d.WriteString(v)
		case int64:
			buf[0] = 'i'
			binary.LittleEndian.PutUint64(buf[1:], uint64(v))
			_, _ = d.Write(buf[:])
		case float64:
			buf[0] = 'f'
			binary.LittleEndian.PutUint64(buf[1:], math.Float64bits(v))
			_, _ = d.Write(buf[:])
		case bool:
			buf[0], buf[1] = 'b', 0
			if v {
				buf[1] = 1
			}
			_, _ = d.Write(buf[:2])
		case nil:
			buf[0] = 'n'
			_, _ = d.Write(buf[:1])
		default:
			buf[0] = 'o'
			_, _ = d.Write(buf[:1])
			_, _ = d.WriteString(rec.String(f.Name))
		}
		buf[0] = 0 // field separator
		_, _ = d.Write(buf[:1])
	}
	return d.Sum64()
}

// DigestPrefix starts every digest key.
const DigestPrefix = "digest:"

// Keyer gives each record of one query its key. Reset it before each
// query: occurrence counts and collisions are per query, so a re-read of
// the same rows gives the same keys.
type Keyer struct {
	// Field is the key field (catalog.KeyDigest or "": none identifies a
	// row); Fallback is tried when a row has no Field value (a storage
	// object row without EventIdentifier: its Id).
	Field, Fallback string
	// OnCollision hears of a key that this query gave a row with other
	// content: both rows are delivered, the second under key#digest.
	OnCollision func(key string)

	counts map[uint64]int    // digest keys: rows seen per digest
	given  map[string]uint64 // field keys: the digest of the row that had it
}

// Reset starts a new query.
func (k *Keyer) Reset() {
	clear(k.counts)
	clear(k.given)
}

// Key is rec's key: its key field's value unless that is empty or the
// placeholder Id; otherwise DigestPrefix + the row's digest + "#n", n
// counting the rows identical in every field within the query.
func (k *Keyer) Key(rec *sobject.Record) string {
	if k.Field != catalog.KeyDigest {
		v := ""
		if k.Field != "" {
			v = rec.String(k.Field)
		}
		if (v == "" || catalog.IsPlaceholderID(v)) && k.Fallback != "" {
			v = rec.String(k.Fallback)
		}
		if v != "" && !catalog.IsPlaceholderID(v) {
			return k.checked(v, rec)
		}
	}
	d := Digest(rec)
	if k.counts == nil {
		k.counts = map[uint64]int{}
	}
	k.counts[d]++
	return DigestPrefix + hex(d) + "#" + strconv.Itoa(k.counts[d])
}

// checked returns key, or key#digest when the query gave key to a row
// with other content.
func (k *Keyer) checked(key string, rec *sobject.Record) string {
	d := Digest(rec)
	if k.given == nil {
		k.given = map[string]uint64{}
	}
	prev, seen := k.given[key]
	if !seen {
		k.given[key] = d
		return key
	}
	if prev == d {
		return key // the same row twice in one answer
	}
	if k.OnCollision != nil {
		k.OnCollision(key)
	}
	return key + "#" + hex(d)
}

func hex(d uint64) string {
	s := strconv.FormatUint(d, 16)
	for len(s) < 16 {
		s = "0" + s
	}
	return s
}

// WarnOnce is an OnCollision that names the first collision of a stream
// at WARN, once.
func WarnOnce(logger *zap.Logger, stream string) func(key string) {
	var once sync.Once
	return func(key string) {
		once.Do(func() {
			logger.Warn("Salesforce returned different rows under one key; delivering each (the later ones keyed by their content too)",
				zap.String("stream", stream), zap.String("key", key))
		})
	}
}
