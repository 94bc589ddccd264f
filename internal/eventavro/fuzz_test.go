package eventavro

import (
	"errors"
	"testing"

	"github.com/sfevents/salesforcereceiver/internal/sobject"
)

var fuzzSchemas = []string{
	"login_event_stream.avsc",
	"api_anomaly_event.avsc",
	"account_change_event.avsc",
	"contact_change_event.avsc",
	"all_types.avsc",
}

// FuzzDecode: any payload against any testdata schema never panics; an
// error leaves the record empty; and whatever decodes also decodes with
// hamba/avro (the reference library) to the same fields — Decode is a
// hand-written walk, so it is checked against a library, not against itself.
func FuzzDecode(f *testing.F) {
	schemas := make([]*Schema, len(fuzzSchemas))
	refs := make([]*refDecoder, len(fuzzSchemas))
	for i, name := range fuzzSchemas {
		js := schemaFile(f, name)
		schemas[i] = compile(f, js)
		refs[i] = newRef(f, js, libHamba)
	}
	seed := func(i int, p []byte) {
		f.Add(byte(i), p)
		f.Add(byte(i), p[:len(p)/2])
	}
	for _, e := range events(f) {
		for i, name := range fuzzSchemas {
			if schemaFile(f, name) == e.schema {
				seed(i, e.payload)
			}
		}
	}
	seed(3, encode(f, schemaFile(f, fuzzSchemas[3]), contactNative([]any{"0x4", "2-0x06"}, []any{"3-0x3FF"})))
	seed(2, encode(f, schemaFile(f, fuzzSchemas[2]), accountNative([]any{"0xZZ"})))
	seed(4, encode(f, schemaFile(f, fuzzSchemas[4]), allTypesNative()))
	f.Add(byte(4), []byte{})
	f.Add(byte(0), []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})

	f.Fuzz(func(t *testing.T, which byte, payload []byte) {
		k := int(which) % len(schemas)
		var rec sobject.Record
		err := schemas[k].Decode(payload, &rec)
		var be *BitmapError
		if err != nil && !errors.As(err, &be) {
			if len(rec.Fields) != 0 {
				t.Fatalf("error %v left %d fields", err, len(rec.Fields))
			}
			return // stricter than the library is allowed (trailing bytes, overlong ints)
		}
		var ref sobject.Record
		refErr := refs[k].Decode(payload, &ref)
		if refErr != nil && !errors.As(refErr, &be) {
			t.Fatalf("%s: Decode succeeded (%v), hamba failed: %v", fuzzSchemas[k], err, refErr)
		}
		if (err == nil) != (refErr == nil) {
			t.Fatalf("%s: bitmap errors differ: %v vs %v", fuzzSchemas[k], err, refErr)
		}
		if err := sameFields(rec.Fields, ref.Fields); err != nil {
			t.Fatalf("%s: %v", fuzzSchemas[k], err)
		}
	})
}
