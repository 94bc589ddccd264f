//go:build e2e

package e2e

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.yaml.in/yaml/v3"

	"github.com/sfevents/salesforcereceiver/internal/bench/inputs"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
)

var schemaBlackBox = flag.Bool("schema-blackbox", false, "run TestSchemaBlackBox (make bench-schema)")

// TestSchemaBlackBox measures what mapping costs the built collector, per
// record (issue #26): the receiver alone, the OTTL recipes as they were
// before the schema option (testdata/recipes: the transform processor
// per record), and the receiver's own schema option for each schema, on
// TestThroughputBlackBox's Login file into the counting sink. Every
// configuration runs once per round, rotated; each prints rows/s,
// CPU-seconds per 100k rows and peak RSS, and the summary gives the median
// CPU per 100k rows each adds to the receiver alone, from within-round
// differences.
func TestSchemaBlackBox(t *testing.T) {
	if !*schemaBlackBox {
		t.Skip("-schema-blackbox not set (make bench-schema)")
	}
	rows := *blackBoxRows
	e := newEnvWith(t, simulator.Options{LoginHistoryRows: -1, SetupAuditTrailRows: -1, DailyLimit: 1 << 40},
		envConfig{EventLogFile: elfDaily, LogLevel: "warn"})
	e.sim.AddLogFile(simulator.LogFile{EventType: "Login", LogDate: time.Now().UTC().Add(-48 * time.Hour).Truncate(24 * time.Hour),
		Header: inputs.LoginNames, Types: inputs.LoginTypes, Raw: inputs.LoginCSV(rows), RawRows: rows, Precompress: true})
	sink := newCountSink(t)
	base, err := os.ReadFile(e.config)
	require.NoError(t, err)
	base = bytes.Replace(base, []byte("endpoint: "+e.sink.srv.URL), []byte("endpoint: "+sink.srv.URL), 1)

	// variant writes the harness config with the receiver's schema and a
	// recipe's transform processor.
	variant := func(name, schema, recipe string) collector {
		var cfg map[string]any
		require.NoError(t, yaml.Unmarshal(base, &cfg))
		if schema != "" {
			cfg["receivers"].(map[string]any)["salesforce"].(map[string]any)["schema"] = schema
		}
		if recipe != "" {
			b, err := os.ReadFile(filepath.Join("testdata", "recipes", recipe))
			require.NoError(t, err)
			var r map[string]any
			require.NoError(t, yaml.Unmarshal(b, &r))
			cfg["processors"] = r["processors"]
			var names []string
			for k := range r["processors"].(map[string]any) {
				names = append(names, k)
			}
			pipe := cfg["service"].(map[string]any)["pipelines"].(map[string]any)["logs"].(map[string]any)
			pipe["processors"] = names
		}
		out, err := yaml.Marshal(cfg)
		require.NoError(t, err)
		path := filepath.Join(e.dir, name+".yaml")
		require.NoError(t, os.WriteFile(path, out, 0o600))
		return collector{name: name, bin: *collectorPath, config: path, env: []string{"SPLUNK_INDEX=main"}}
	}
	collectors := []collector{
		variant("receiver", "", ""),
		variant("ottl-ecs", "", "ecs-ottl.yaml"),
		variant("ottl-ecs-full", "", "ecs-full-ottl.yaml"),
		variant("schema-ecs", "ecs", ""),
		variant("ottl-cim", "", "cim-ottl.yaml"),
		variant("schema-cim", "cim", ""),
		variant("schema-ocsf", "ocsf", ""),
	}
	// First one run each where the sink counts what the records carry:
	// the mappings' output, beside their cost.
	fresh := func() {
		require.NoError(t, os.RemoveAll(filepath.Join(e.dir, "storage")))
		require.NoError(t, os.MkdirAll(filepath.Join(e.dir, "storage"), 0o700))
	}
	for _, c := range collectors {
		var mu sync.Mutex
		var records, attrs, bodyKeys int
		f := func(b []byte) {
			req := plogotlp.NewExportRequest()
			if req.UnmarshalProto(b) != nil {
				return
			}
			rls := req.Logs().ResourceLogs()
			mu.Lock()
			defer mu.Unlock()
			for i := range rls.Len() {
				sls := rls.At(i).ScopeLogs()
				for j := range sls.Len() {
					lrs := sls.At(j).LogRecords()
					for k := range lrs.Len() {
						records++
						attrs += lrs.At(k).Attributes().Len()
						if lrs.At(k).Body().Type() == pcommon.ValueTypeMap {
							bodyKeys += lrs.At(k).Body().Map().Len()
						}
					}
				}
			}
		}
		sink.inspect.Store(&f)
		fresh()
		runCollector(t, c, sink, rows)
		sink.inspect.Store(nil)
		log, err := os.ReadFile(c.config + ".log")
		require.NoError(t, err)
		require.NotContains(t, string(log), "failed to execute statement", c.name)
		t.Logf("%-13s %d records, %.1f attributes and %.1f top-level body keys per record",
			c.name, records, float64(attrs)/float64(records), float64(bodyKeys)/float64(records))
	}

	results := map[string][]run{}
	for round := range *blackBoxRounds {
		for i := range collectors {
			c := collectors[(i+round)%len(collectors)]
			fresh()
			r := runCollector(t, c, sink, rows)
			results[c.name] = append(results[c.name], r)
			fmt.Fprintf(os.Stdout, "BenchmarkSchemaBlackBox/collector=%s \t1\t%d ns/op\t%.0f rows/s\t%.3f cpu-s/100k-rows\t%.1f peak-rss-MiB\n",
				c.name, int64(r.seconds*1e9), float64(rows)/r.seconds, r.cpu/float64(rows)*1e5, r.rssMiB)
		}
	}
	cpu := func(r run) float64 { return r.cpu / float64(rows) * 1e5 }
	var recv []float64
	for _, r := range results["receiver"] {
		recv = append(recv, cpu(r))
	}
	for _, c := range collectors {
		var abs, added, ratio, rate, rss []float64
		for i, r := range results[c.name] {
			abs = append(abs, cpu(r))
			added = append(added, cpu(r)-recv[i])
			ratio = append(ratio, cpu(r)/recv[i])
			rate = append(rate, float64(rows)/r.seconds)
			rss = append(rss, r.rssMiB)
		}
		t.Logf("%-13s medians of %d rounds: %.3f CPU-s/100k rows (%+.3f against the receiver alone in the same round, x%.2f), %.0f rows/s, peak RSS %.0f MiB",
			c.name, *blackBoxRounds, median(abs), median(added), median(ratio), median(rate), median(rss))
	}
}
