//go:build e2e

package e2e

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"hash"
	"hash/fnv"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
)

var (
	noFastKVPath = flag.String("nofastkv", "", "the collector built with -tags nofastkv (every key/value through pdata's "+
		"public API); with -collector (the fast path) runs TestFastKVBlackBox")
	fastKVContent = flag.Bool("fastkv-content", true, "TestFastKVBlackBox: first a round of each where the sink checks every record's content")
)

// poolingGate is pdata's feature gate for its sync.Pools (pdata v1.71.0,
// internal/metadata/generated_feature_gates.go): with it, the service
// deletes every request once the pipeline is done with it
// (pref.UnrefLogs), putting the value wrappers back into pdata's pools.
const poolingGate = "pdata.useProtoPooling"

// TestFastKVBlackBox measures internal/convert's fast path (kv.go) in the
// built collector (issue #24): the same collector built with and without it
// (-collector, -nofastkv), each with and without pdata's pooling gate, on
// TestThroughputBlackBox's 300,000-row Login file into the counting sink.
// First one round each where the sink decodes every record and compares
// its content with the public API's without pooling (every record once,
// the same content); then -blackbox-rounds timed rounds, the four rotated
// each round, each printing rows/s, CPU-seconds per 100k rows and peak RSS.
func TestFastKVBlackBox(t *testing.T) {
	if *noFastKVPath == "" {
		t.Skip("no -nofastkv collector (build one with go build -tags nofastkv in _build)")
	}
	rows := *blackBoxRows
	e, _, _ := newLoginFileEnv(t, rows)
	sink := newCountSink(t)
	cfg, err := os.ReadFile(e.config)
	require.NoError(t, err)
	cfg = bytes.Replace(cfg, []byte("endpoint: "+e.sink.srv.URL), []byte("endpoint: "+sink.srv.URL), 1)
	require.NoError(t, os.WriteFile(e.config, cfg, 0o600))

	pooling := []string{"--feature-gates=" + poolingGate}
	collectors := []collector{
		{name: "nofastkv", bin: *noFastKVPath, config: e.config}, // the reference: first
		{name: "fastkv", bin: *collectorPath, config: e.config},
		{name: "nofastkv-pooling", bin: *noFastKVPath, config: e.config, args: pooling},
		{name: "fastkv-pooling", bin: *collectorPath, config: e.config, args: pooling},
	}
	fresh := func() { // a fresh cursor: every run backfills the file again
		require.NoError(t, os.RemoveAll(filepath.Join(e.dir, "storage")))
		require.NoError(t, os.MkdirAll(filepath.Join(e.dir, "storage"), 0o700))
	}
	line := func(bench, name string, r run) {
		fmt.Fprintf(os.Stdout, "%s/collector=%s \t1\t%d ns/op\t%.0f rows/s\t%.0f steady-rows/s\t%.3f cpu-s/100k-rows\t%.1f peak-rss-MiB\n",
			bench, name, int64(r.seconds*1e9), float64(rows)/r.seconds, float64(rows)/r.steady, r.cpu/float64(rows)*1e5, r.rssMiB)
	}

	// Content: every record once, and what each carries (all but its
	// observed time) equal to the reference's.
	var ref map[string]uint64
	for _, c := range collectors {
		if !*fastKVContent {
			break
		}
		d := &digests{byUID: map[string]uint64{}}
		f := d.add
		sink.inspect.Store(&f)
		fresh()
		r := runCollector(t, c, sink, rows)
		sink.inspect.Store(nil)
		line("BenchmarkFastKVBlackBoxContent", c.name, r)
		require.Empty(t, d.problems, c.name)
		require.Zero(t, d.repeats, "%s: records delivered twice", c.name)
		require.Len(t, d.byUID, rows, c.name)
		if ref == nil {
			ref = d.byUID
			continue
		}
		differ := 0
		for uid, h := range d.byUID {
			if ref[uid] != h {
				differ++
			}
		}
		require.Zero(t, differ, "%s: records whose content differs from the public API's without pooling", c.name)
		t.Logf("%s: %d records, each once, content equal to nofastkv's; peak RSS %.1f MiB", c.name, rows, r.rssMiB)
	}

	results := map[string][]run{}
	for round := range *blackBoxRounds {
		for i := range collectors {
			c := collectors[(i+round)%len(collectors)] // rotate which goes first
			fresh()
			r := runCollector(t, c, sink, rows)
			results[c.name] = append(results[c.name], r)
			line("BenchmarkFastKVBlackBox", c.name, r)
		}
	}
	of := func(name string, f func(run) float64) float64 {
		var v []float64
		for _, r := range results[name] {
			v = append(v, f(r))
		}
		return median(v)
	}
	rate := func(r run) float64 { return float64(rows) / r.seconds }
	cpu := func(r run) float64 { return r.cpu / float64(rows) * 1e5 }
	rss := func(r run) float64 { return r.rssMiB }
	for _, c := range collectors {
		t.Logf("%-17s medians of %d rounds: %.0f rows/s, %.3f CPU-s/100k rows, peak RSS %.1f MiB",
			c.name, *blackBoxRounds, of(c.name, rate), of(c.name, cpu), of(c.name, rss))
	}
	// Ratios within each round (the pairs ran next to each other).
	for _, pair := range [][2]string{{"nofastkv", "fastkv"}, {"nofastkv-pooling", "fastkv-pooling"}} {
		var cpuRatio, rateRatio []float64
		for i := range results[pair[0]] {
			cpuRatio = append(cpuRatio, cpu(results[pair[0]][i])/cpu(results[pair[1]][i]))
			rateRatio = append(rateRatio, rate(results[pair[1]][i])/rate(results[pair[0]][i]))
		}
		m := median(cpuRatio)
		t.Logf("%s / %s, CPU per row, per round: %.3f; median %.3f: the fast path saves %.1f%% of the CPU per row "+
			"(removing it costs %.1f%% more); rows/s %s / %s per round: %.3f, median %.3f",
			pair[0], pair[1], cpuRatio, m, (1-1/m)*100, (m-1)*100, pair[1], pair[0], rateRatio, median(rateRatio))
	}
}

// digests is what the sink saw, one hash per record by log.record.uid.
type digests struct {
	mu       sync.Mutex
	byUID    map[string]uint64
	repeats  int
	problems []string
}

func (d *digests) add(body []byte) {
	req := plogotlp.NewExportRequest()
	err := req.UnmarshalProto(body)
	d.mu.Lock()
	defer d.mu.Unlock()
	if err != nil {
		d.problems = append(d.problems, err.Error())
		return
	}
	h := fnv.New64a()
	rls := req.Logs().ResourceLogs()
	for i := range rls.Len() {
		rl := rls.At(i)
		sls := rl.ScopeLogs()
		for j := range sls.Len() {
			sl := sls.At(j)
			lrs := sl.LogRecords()
			for k := range lrs.Len() {
				lr := lrs.At(k)
				uid, ok := lr.Attributes().Get("log.record.uid")
				if !ok {
					d.problems = append(d.problems, "a record without log.record.uid")
					continue
				}
				h.Reset()
				hashMap(h, rl.Resource().Attributes())
				hashStr(h, sl.Scope().Name())
				hashStr(h, lr.EventName())
				hashU64(h, uint64(lr.Timestamp()))
				hashU64(h, uint64(lr.SeverityNumber()))
				hashStr(h, lr.SeverityText())
				hashValue(h, lr.Body())
				hashMap(h, lr.Attributes())
				hashU64(h, uint64(lr.Flags()))
				hashU64(h, uint64(lr.DroppedAttributesCount()))
				if _, seen := d.byUID[uid.Str()]; seen {
					d.repeats++
				}
				d.byUID[uid.Str()] = h.Sum64()
			}
		}
	}
}

func hashU64(h hash.Hash64, v uint64) { _, _ = h.Write(binary.LittleEndian.AppendUint64(nil, v)) }

func hashStr(h hash.Hash64, s string) {
	hashU64(h, uint64(len(s)))
	_, _ = h.Write([]byte(s))
}

// hashMap hashes m's entries in key order.
func hashMap(h hash.Hash64, m pcommon.Map) {
	hashU64(h, uint64(m.Len()))
	keys := make([]string, 0, m.Len())
	for k := range m.All() {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v, _ := m.Get(k)
		hashStr(h, k)
		hashValue(h, v)
	}
}

// hashValue hashes v with its type.
func hashValue(h hash.Hash64, v pcommon.Value) {
	hashU64(h, uint64(v.Type()))
	switch v.Type() {
	case pcommon.ValueTypeStr:
		hashStr(h, v.Str())
	case pcommon.ValueTypeInt:
		hashU64(h, uint64(v.Int()))
	case pcommon.ValueTypeDouble:
		hashU64(h, math.Float64bits(v.Double()))
	case pcommon.ValueTypeBool:
		if v.Bool() {
			hashU64(h, 1)
		} else {
			hashU64(h, 0)
		}
	case pcommon.ValueTypeMap:
		hashMap(h, v.Map())
	case pcommon.ValueTypeSlice:
		s := v.Slice()
		hashU64(h, uint64(s.Len()))
		for i := range s.Len() {
			hashValue(h, s.At(i))
		}
	case pcommon.ValueTypeBytes:
		hashStr(h, string(v.Bytes().AsRaw()))
	}
}
