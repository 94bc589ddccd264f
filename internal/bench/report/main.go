// Command report reads `go test -bench` output (the file `make bench`
// saves; benchstat reads the same file) and prints the performance summary:
// each figure, the limit or peer it is compared with from the same run, the
// ratio and its target. Figures are medians over the -count runs.
//
//	go run ./internal/bench/report _bench/bench.txt
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// results maps benchmark name (without the -GOMAXPROCS suffix) and unit to
// every value seen.
type results map[string]map[string][]float64

var procSuffix = regexp.MustCompile(`-\d+$`)

func parse(r io.Reader, res results) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue // not a result line
		}
		name := procSuffix.ReplaceAllString(f[0], "")
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				break
			}
			if res[name] == nil {
				res[name] = map[string][]float64{}
			}
			res[name][f[i+1]] = append(res[name][f[i+1]], v)
		}
	}
	return sc.Err()
}

// get returns the median of a benchmark's metric.
func (r results) get(name, unit string) (float64, bool) {
	vs := r[name][unit]
	if len(vs) == 0 {
		return 0, false
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2], true
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2, true
}

type row struct{ figure, value, against, ratio, target, status string }

func status(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT MET"
}

func human(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e4:
		return fmt.Sprintf("%.0fk", v/1e3)
	default:
		return fmt.Sprintf("%.3g", v)
	}
}

func build(r results) []row {
	var rows []row
	missing := func(fig string) { rows = append(rows, row{fig, "n/a", "", "", "", "not run"}) }

	// against is a conversion row: bench's rows/s and MB/s against base's,
	// at least floor times base; withAllocs adds bench's allocations a row.
	against := func(fig, short, bench, base, baseName string, floor float64, withAllocs bool) {
		conv, ok := r.get(bench, "rows/s")
		if !ok {
			missing(short)
			return
		}
		baseRate, _ := r.get(base, "rows/s")
		mb, _ := r.get(bench, "MB/s")
		baseMB, _ := r.get(base, "MB/s")
		got := fmt.Sprintf("%s rows/s, %.1f MB/s", human(conv), mb)
		if withAllocs {
			a, _ := r.get(bench, "allocs/row")
			got += fmt.Sprintf(", %.1f allocs/row", a)
		}
		ratio := conv / baseRate
		rows = append(rows, row{fig, got, fmt.Sprintf("%s: %s rows/s, %.1f MB/s", baseName, human(baseRate), baseMB),
			fmt.Sprintf("%.2fx", ratio), fmt.Sprintf("≥ %gx", floor), status(ratio >= floor)})
	}

	// CSV conversion against encoding/csv.
	against("ELF CSV → plog (encoding/csv + AppendCSV)", "ELF CSV → plog", "BenchmarkELFCSVToPlog", "BenchmarkELFCSVRead", "encoding/csv read", 0.26, false)
	if a, ok := r.get("BenchmarkELFRowToPlog", "allocs/row"); ok {
		rows = append(rows, row{"ELF Login row → plog, allocations", fmt.Sprintf("%.2f allocs/row", a),
			"pdata's public API: 1 per value + 5 per record", "", "≤ 33", status(a <= 33)})
	}
	if a, ok := r.get("BenchmarkAppendCSV", "allocs/op"); ok {
		rows = append(rows, row{"  the reference 28-column Login row", fmt.Sprintf("%.0f allocs/row", a),
			"22 body values + 10 attributes, public API: 37", "", "≤ 33", status(a <= 33)})
	}
	// JSON conversion against encoding/json.
	against("SOQL page (2,000 LoginEvent) → plog", "SOQL page → plog", "BenchmarkSOQLPageToPlog", "BenchmarkSOQLPageDecode", "encoding/json decode", 0.5, true)
	// The peer.
	if own, ok := r.get("BenchmarkPeerReceiverELF", "rows/s"); ok {
		peer, _ := r.get("BenchmarkPeerFilelogCSV", "rows/s")
		pa, _ := r.get("BenchmarkPeerFilelogCSV", "allocs/row")
		oa, _ := r.get("BenchmarkPeerReceiverELF", "allocs/row")
		ratio := own / peer
		rows = append(rows, row{"Receiver ELF path vs filelog + csv_parser",
			fmt.Sprintf("%s rows/s, %.1f allocs/row", human(own), oa),
			fmt.Sprintf("filelog: %s rows/s, %.1f allocs/row", human(peer), pa),
			fmt.Sprintf("%.1fx", ratio), "≥ 5x", status(ratio >= 5)})
	} else {
		missing("Receiver vs filelog")
	}
	// Memory (internal/eventlog's 1 GiB benchmark, when present).
	if peak, ok := r.get("BenchmarkLoginFile", "peak-heap-MiB"); ok {
		v := fmt.Sprintf("%.1f MiB peak heap", peak)
		if rss, ok := r.get("BenchmarkLoginFile", "peak-rss-MiB"); ok {
			v += fmt.Sprintf(", %.0f MiB RSS", rss)
		}
		vs := ""
		if x, ok := r.get("BenchmarkLoginFile", "x-encoding/csv-time"); ok {
			rps, _ := r.get("BenchmarkLoginFile", "rows/s")
			csvRate, _ := r.get("BenchmarkLoginFile", "csv-rows/s")
			v += fmt.Sprintf(", %s rows/s", human(rps))
			vs = fmt.Sprintf("encoding/csv read: %s rows/s (%.2fx)", human(csvRate), 1/x)
		}
		rows = append(rows, row{"1 GiB ELF file, streamed (Source.Poll, pipeline)", v, vs, "", "< 32 MiB heap", status(peak < 32)})
	}
	// Black box: whole collector processes on the same rows.
	const own, stock = "BenchmarkBlackBoxELF/collector=salesforce", "BenchmarkBlackBoxELF/collector=stock-filelog-csv"
	if rps, ok := r.get(own, "rows/s"); ok {
		peer, _ := r.get(stock, "rows/s")
		cpu, _ := r.get(own, "cpu-s/100k-rows")
		peerCPU, _ := r.get(stock, "cpu-s/100k-rows")
		rss, _ := r.get(own, "peak-rss-MiB")
		peerRSS, _ := r.get(stock, "peak-rss-MiB")
		rows = append(rows, row{"Black box: built collector vs stock filelog + csv_parser collector (rows/s)",
			fmt.Sprintf("%s rows/s, %.2f CPU-s/100k rows", human(rps), cpu),
			fmt.Sprintf("stock: %s rows/s, %.2f CPU-s/100k rows", human(peer), peerCPU),
			fmt.Sprintf("%.1fx", rps/peer), "≥ 5x", status(rps/peer >= 5)})
		rows = append(rows, row{"  peak RSS", fmt.Sprintf("%.0f MiB", rss), fmt.Sprintf("stock: %.0f MiB", peerRSS),
			fmt.Sprintf("%.2fx", rss/peerRSS), "≤ stock", status(rss <= peerRSS)})
		// rssAt adds a row of RSS and rows/s of both collectors in the
		// named black-box rounds, if they ran.
		rssAt := func(bench, figure string, ratio func(rps, peer, rss, peerRSS float64) string, target string) {
			rss, ok := r.get(bench+"/collector=salesforce", "peak-rss-MiB")
			if !ok {
				return
			}
			peerRSS, _ := r.get(bench+"/collector=stock-filelog-csv", "peak-rss-MiB")
			rps, _ := r.get(bench+"/collector=salesforce", "rows/s")
			peer, _ := r.get(bench+"/collector=stock-filelog-csv", "rows/s")
			state := "" // a target here is always ≤ stock
			if target != "" {
				state = status(rss <= peerRSS)
			}
			rows = append(rows, row{figure,
				fmt.Sprintf("%.0f MiB at %s rows/s", rss, human(rps)), fmt.Sprintf("stock: %.0f MiB at %s rows/s", peerRSS, human(peer)),
				ratio(rps, peer, rss, peerRSS), target, state})
		}
		// Memory in flight follows the row rate, so also at one pace.
		rssAt("BenchmarkBlackBoxELFSameRate", "  peak RSS at the stock collector's rate (file served at that pace)",
			func(_, _, rss, peerRSS float64) string { return fmt.Sprintf("%.2fx", rss/peerRSS) }, "≤ stock")
		// Full speed with both under the sizing guide's GOMEMLIMIT: a
		// measured figure, not a target.
		rssAt("BenchmarkBlackBoxELFMemLimit", "  both with GOMEMLIMIT=32MiB, full speed",
			func(rps, peer, rss, peerRSS float64) string {
				return fmt.Sprintf("%.1fx rows/s, %.2fx RSS", rps/peer, rss/peerRSS)
			}, "")
	} else {
		missing("Black box vs stock collector")
	}
	// API efficiency.
	for _, s := range []struct{ name, bench string }{
		{"API calls, LoginHistory backfill", "BenchmarkAPICallsLoginHistory"},
		{"API calls, EventLogFile backfill", "BenchmarkAPICallsEventLogFile"},
	} {
		calls, ok := r.get(s.bench, "calls/100k")
		if !ok {
			missing(s.name)
			continue
		}
		minimum, _ := r.get(s.bench, "min-calls/100k")
		extra, _ := r.get(s.bench, "extra-calls/poll")
		rows = append(rows, row{s.name, fmt.Sprintf("%.0f calls / 100k records", calls),
			fmt.Sprintf("minimum %.0f", minimum), fmt.Sprintf("+%.0f per poll", extra),
			"≤ +1 per poll", status(extra <= 1)})
	}
	// End to end.
	for _, e := range []struct{ bench, what string }{
		{"BenchmarkE2ELoginHistoryBackfill", "100k LoginHistory backfill"},
		{"BenchmarkE2EEventLogFileBackfill", "100k EventLogFile rows (10 files)"},
	} {
		if rps, ok := r.get(e.bench, "records/s"); ok {
			steady, _ := r.get(e.bench, "steady-records/s")
			rows = append(rows, row{"End to end: collector, simulator → OTLP sink",
				fmt.Sprintf("%s records/s (%s from first record)", human(rps), human(steady)),
				e.what, "", "(measured)", ""})
		} else {
			missing("End to end, " + e.what)
		}
	}
	// Many orgs in one collector (internal/testing/e2e/scale_test.go).
	if b, ok := r.get("BenchmarkScaleIdleOrg", "B/org"); ok {
		g, _ := r.get("BenchmarkScaleIdleOrg", "goroutines/org")
		cpu, _ := r.get("BenchmarkScaleIdleOrg", "cpu%/org")
		rows = append(rows, row{"Scale: each idle org (100 receivers vs 10)",
			fmt.Sprintf("%.2f MiB RSS, %.1f goroutines, %.3f%% of a core", b/(1<<20), g, cpu),
			"2 stream runners per org", "", "< 2 MiB", status(b < 2<<20)})
		if bb, ok := r.get("BenchmarkScaleBusyOrg", "B/org"); ok {
			bg, _ := r.get("BenchmarkScaleBusyOrg", "goroutines/org")
			bc, _ := r.get("BenchmarkScaleBusyOrg", "cpu%/org")
			rows = append(rows, row{"Scale: each busy org, beyond idle (200 records/s)",
				fmt.Sprintf("%.2f MiB RSS, %.1f goroutines, %.2f%% of a core", bb/(1<<20), bg, bc),
				"", "", "(measured)", ""})
		}
	} else {
		missing("Scale: 100 orgs in one collector")
	}
	return rows
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: benchreport bench-output.txt...")
		os.Exit(2)
	}
	res := results{}
	for _, p := range os.Args[1:] {
		f, err := os.Open(p)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		err = parse(f, res)
		f.Close()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	rows := build(res)
	fmt.Println("| figure | measured | against (same run) | ratio | target | |")
	fmt.Println("|---|---|---|---|---|---|")
	for _, r := range rows {
		fmt.Printf("| %s | %s | %s | %s | %s | %s |\n", r.figure, r.value, r.against, r.ratio, r.target, r.status)
	}
}
