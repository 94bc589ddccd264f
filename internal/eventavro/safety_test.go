package eventavro

import (
	"errors"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/sfevents/salesforcereceiver/internal/sobject"
)

// TestTruncatedPayloads: every strict prefix of every testdata payload is an
// error, and leaves the record empty.
func TestTruncatedPayloads(t *testing.T) {
	evs := append(events(t), event{name: "AllTypes", schema: schemaFile(t, "all_types.avsc"),
		payload: encode(t, schemaFile(t, "all_types.avsc"), allTypesNative())})
	for _, e := range evs {
		s := compile(t, e.schema)
		var rec sobject.Record
		for n := 0; n < len(e.payload); n++ {
			err := s.Decode(e.payload[:n], &rec)
			if err == nil {
				t.Fatalf("%s: %d of %d bytes decoded without error", e.name, n, len(e.payload))
			}
			if !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrInvalid) {
				t.Errorf("%s[:%d]: %v is neither ErrTruncated nor ErrInvalid", e.name, n, err)
			}
			if len(rec.Fields) != 0 {
				t.Fatalf("%s[:%d]: %d fields left after an error", e.name, n, len(rec.Fields))
			}
		}
		err := s.Decode(append(append([]byte(nil), e.payload...), 0), &rec)
		if !errors.Is(err, ErrTrailingData) {
			t.Errorf("%s + 1 byte: %v, want ErrTrailingData", e.name, err)
		}
	}
}

// TestGarbagePayloads: crafted and random bytes give errors, never a panic
// and never an allocation sized by a length read from the payload.
func TestGarbagePayloads(t *testing.T) {
	all := compile(t, schemaFile(t, "all_types.avsc"))
	login := compile(t, schemaFile(t, "login_event_stream.avsc"))
	str := compile(t, `{"type":"record","name":"S","fields":[{"name":"s","type":"string"}]}`)
	arr := compile(t, `{"type":"record","name":"A","fields":[{"name":"a","type":{"type":"array","items":"long"}}]}`)
	nul := compile(t, `{"type":"record","name":"N","fields":[{"name":"a","type":{"type":"array","items":"null"}}]}`)
	mp := compile(t, `{"type":"record","name":"M","fields":[{"name":"m","type":{"type":"map","values":"null"}}]}`)
	boo := compile(t, `{"type":"record","name":"B","fields":[{"name":"b","type":"boolean"}]}`)
	enm := compile(t, `{"type":"record","name":"E","fields":[{"name":"e","type":{"type":"enum","name":"C","symbols":["A","B"]}}]}`)
	in := compile(t, `{"type":"record","name":"I","fields":[{"name":"i","type":"int"}]}`)
	ln := compile(t, `{"type":"record","name":"L","fields":[{"name":"l","type":"long"}]}`)

	huge := []byte{0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f} // zigzag: a length near 2^62
	for _, tc := range []struct {
		name    string
		s       *Schema
		payload []byte
		kind    error
	}{
		{"empty", login, nil, ErrTruncated},
		{"huge string length", str, huge, ErrTruncated},
		{"negative string length", str, []byte{0x01}, ErrInvalid},
		{"huge array count", arr, huge, ErrTruncated},
		{"negative block size", arr, []byte{0x01, 0x01}, ErrInvalid},
		{"huge negative block count", arr, []byte{0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x02}, ErrTruncated},
		{"min int64 block count", arr, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, ErrInvalid},
		{"null items beyond the budget", nul, huge, ErrInvalid},
		{"huge map count", mp, huge, ErrTruncated},
		{"bool byte 2", boo, []byte{0x02}, ErrInvalid},
		{"enum index 2", enm, []byte{0x04}, ErrInvalid},
		{"enum index -1", enm, []byte{0x01}, ErrInvalid},
		{"int beyond 32 bits", in, []byte{0xff, 0xff, 0xff, 0xff, 0x1f}, ErrInvalid},
		{"int of 6 bytes", in, []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, ErrInvalid},
		{"long beyond 64 bits", ln, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}, ErrInvalid},
		{"long of 11 bytes", ln, []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, ErrInvalid},
		{"unterminated long", ln, []byte{0x80, 0x80}, ErrTruncated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var rec sobject.Record
			var err error
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			for range 100 {
				err = tc.s.Decode(tc.payload, &rec)
			}
			runtime.ReadMemStats(&m1)
			if !errors.Is(err, tc.kind) {
				t.Errorf("err = %v, want %v", err, tc.kind)
			}
			if perCall := (m1.TotalAlloc - m0.TotalAlloc) / 100; perCall > 4096 {
				t.Errorf("%d bytes allocated per failing call", perCall)
			}
		})
	}

	// A recursive value nested beyond the limit: list → Node{val, next → Node{...}}.
	t.Run("deep nesting", func(t *testing.T) {
		p := allTypesPrefix(t)
		for range 200 {
			p = append(p, 0x02, 0x02) // union branch Node, val 1
		}
		p = append(p, 0x00)
		var rec sobject.Record
		if err := all.Decode(p, &rec); !errors.Is(err, ErrInvalid) {
			t.Errorf("err = %v, want ErrInvalid (too deep)", err)
		}
	})

	// Random bytes against every schema: errors or values, never a panic.
	rnd := rand.New(rand.NewPCG(1, 2))
	schemas := []*Schema{all, login, compile(t, schemaFile(t, "account_change_event.avsc")), str, arr, nul, mp}
	buf := make([]byte, 512)
	var rec sobject.Record
	for i := range 20000 {
		n := rnd.IntN(len(buf))
		for j := range n {
			buf[j] = byte(rnd.Uint32())
		}
		_ = schemas[i%len(schemas)].Decode(buf[:n], &rec)
	}
	// Random mutations of valid payloads.
	for _, e := range events(t) {
		s := compile(t, e.schema)
		for range 5000 {
			p := append([]byte(nil), e.payload...)
			for range 1 + rnd.IntN(4) {
				p[rnd.IntN(len(p))] = byte(rnd.Uint32())
			}
			_ = s.Decode(p, &rec)
		}
	}
}

// allTypesPrefix is an all_types payload up to (not including) the list field.
func allTypesPrefix(t *testing.T) []byte {
	js := schemaFile(t, "all_types.avsc")
	n := allTypesNative()
	n["list"] = nil
	p := encode(t, js, n)
	return p[:len(p)-1] // the null branch of list is the last byte
}

// TestMemoryFlat: a million decodes into one reused Record leave the live
// heap where it was (no growing caches or scratch). Under -race (make test)
// 200,000, as a million take ~30 s there; -short 50,000.
func TestMemoryFlat(t *testing.T) {
	n := 1_000_000
	switch {
	case testing.Short():
		n = 50_000
	case raceEnabled:
		n = 200_000
	}
	evs := events(t)
	schemas := make([]*Schema, len(evs))
	for i, e := range evs {
		schemas[i] = compile(t, e.schema)
	}
	var rec sobject.Record
	decode := func(i int) {
		k := i % len(evs)
		if err := schemas[k].Decode(evs[k].payload, &rec); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 1000 { // warm up: pools, the Record's slice
		decode(i)
	}
	heap := func() uint64 {
		var m runtime.MemStats
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap()
	for i := range n {
		decode(i)
	}
	after := heap()
	t.Logf("%d decodes: live heap %d → %d bytes", n, before, after)
	if after > before+256<<10 {
		t.Errorf("live heap grew from %d to %d bytes over %d decodes", before, after, n)
	}
	runtime.KeepAlive(rec)
}
