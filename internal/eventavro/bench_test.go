package eventavro

import (
	"testing"
	"time"

	"github.com/sfevents/salesforcereceiver/internal/convert"
	"github.com/sfevents/salesforcereceiver/internal/sobject"
)

// The candidates, each producing the same sobject.Record (TestMatchesLibraries):
//
//	walk   Schema.Decode: a hand-written walk of the payload against the
//	       compiled schema (hamba/avro parses the schema), straight into
//	       the Record; checked against hamba by FuzzDecode.
//	hamba  hamba/avro v2 generic decode into map[string]any, then mapped
//	       onto the Record in schema order.
//	goavro linkedin/goavro v2 NativeFromBinary into map[string]any
//	       (unions as {"type": value}), then mapped the same way.
//
// Sub-benchmarks run event by event, the candidates in turn, so that with
// -count N the candidates alternate instead of running back to back.
//
//	go test -run '^$' -bench 'Decode' -benchmem -count 6 ./internal/eventavro/
type decoder interface {
	Decode(payload []byte, dst *sobject.Record) error
}

func BenchmarkDecode(b *testing.B) {
	for _, e := range events(b) {
		candidates := []struct {
			name string
			d    decoder
		}{
			{"walk", compile(b, e.schema)},
			{"hamba", newRef(b, e.schema, libHamba)},
			{"goavro", newRef(b, e.schema, libGoavro)},
		}
		for _, c := range candidates {
			b.Run(e.name+"/"+c.name, func(b *testing.B) {
				var rec sobject.Record
				b.SetBytes(int64(len(e.payload)))
				b.ReportAllocs()
				for b.Loop() {
					if err := c.d.Decode(e.payload, &rec); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkPlainDecode is the baseline: the library's own decode of the
// payload into a generic map, nothing more (no Record, no date text, no
// bitmap expansion).
func BenchmarkPlainDecode(b *testing.B) {
	for _, e := range events(b) {
		for _, l := range []struct {
			name string
			lib  lib
		}{{"hamba", libHamba}, {"goavro", libGoavro}} {
			r := newRef(b, e.schema, l.lib)
			b.Run(e.name+"/"+l.name, func(b *testing.B) {
				b.SetBytes(int64(len(e.payload)))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := r.plain(e.payload); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkToPlog is the real-time stream's whole per-event path: the
// payload decoded into a Record, then mapped into a batch of log records
// (body, attributes, uid), 500 events a batch as the stream pages them.
// Compare with BenchmarkPlainDecode/<event>/hamba in the same run (the
// target is at least half its events/s).
func BenchmarkToPlog(b *testing.B) {
	res := convert.Resource{OrgID: "00D5g0000SimOrgEQE", InstanceURL: "https://acme.my.salesforce.com"}
	for _, e := range events(b) {
		s := compile(b, e.schema)
		m := convert.Mapping{EventName: "salesforce.pubsub_event", Stream: "pubsub/bench", EventType: e.name,
			TimestampField: "EventDate", TimeFallbacks: []string{"CreatedDate"}}.ForObject("LoginEvent")
		b.Run(e.name, func(b *testing.B) {
			var rec sobject.Record
			observed := time.Now()
			batch := convert.NewBatch(res, 500)
			b.SetBytes(int64(len(e.payload)))
			b.ReportAllocs()
			for b.Loop() {
				if batch.Len() == 500 {
					batch = convert.NewBatch(res, 500)
				}
				if err := s.Decode(e.payload, &rec); err != nil {
					b.Fatal(err)
				}
				ts, tsErr := m.EventTime(&rec)
				m.AppendTimed(batch, &rec, convert.Origin{Key: rec.String("EventIdentifier"), Observed: observed}, ts, tsErr)
			}
		})
	}
}
