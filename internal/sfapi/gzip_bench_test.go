package sfapi

import (
	"bytes"
	stdgzip "compress/gzip"
	"io"
	"testing"

	kgzip "github.com/klauspost/compress/gzip"

	"github.com/sfevents/salesforcereceiver/internal/bench/inputs"
)

// BenchmarkGunzip decompresses a gzip Login EventLogFile (as Open does for
// every download) with the standard library and with klauspost/compress,
// so the faster one is kept on the download path.
func BenchmarkGunzip(b *testing.B) {
	const rows = 20_000
	plain := inputs.LoginCSV(rows)
	var gz bytes.Buffer
	zw, _ := stdgzip.NewWriterLevel(&gz, stdgzip.DefaultCompression)
	_, _ = zw.Write(plain)
	_ = zw.Close()
	readers := []struct {
		name string
		open func(io.Reader) (io.Reader, error)
	}{
		{"compress/gzip", func(r io.Reader) (io.Reader, error) { return stdgzip.NewReader(r) }},
		{"klauspost", func(r io.Reader) (io.Reader, error) { return kgzip.NewReader(r) }},
	}
	for _, rd := range readers {
		b.Run(rd.name, func(b *testing.B) {
			p := inputs.StartPerRow(b, rows, len(plain))
			buf := make([]byte, 64<<10)
			for b.Loop() {
				zr, err := rd.open(bytes.NewReader(gz.Bytes()))
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{zr}, buf)
				if err != nil || n != int64(len(plain)) {
					b.Fatal(n, err)
				}
			}
			p.Stop()
		})
	}
}
