package eventavro

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfevents/salesforcereceiver/internal/sobject"
)

var update = flag.Bool("update", false, "rewrite the testdata/*.golden files")

// TestDecodeGolden decodes each realistic testdata event and compares every
// field (name, Go type, value) with testdata/<event>.golden.
func TestDecodeGolden(t *testing.T) {
	for _, e := range append(events(t), event{
		name:   "ContactChangeEvent",
		schema: schemaFile(t, "contact_change_event.avsc"),
		payload: encode(t, schemaFile(t, "contact_change_event.avsc"),
			contactNative([]any{"0x00000000", "2-0x06", "3-0x3FF"}, []any{"3-0x3FF"})),
	}) {
		t.Run(e.name, func(t *testing.T) {
			s := compile(t, e.schema)
			var rec sobject.Record
			if err := s.Decode(e.payload, &rec); err != nil {
				t.Fatal(err)
			}
			got := dump(rec.Fields)
			file := filepath.Join("testdata", e.name+".golden")
			if *update {
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("decoded fields differ from %s (-update rewrites it):\n%s", file, lineDiff(string(want), got))
			}
		})
	}
}

func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("- " + wl + "\n+ " + gl + "\n")
		}
	}
	return b.String()
}
