//go:build e2e

package e2e

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/sfevents/salesforcereceiver/internal/catalog"
	"github.com/sfevents/salesforcereceiver/internal/convert"
	"github.com/sfevents/salesforcereceiver/internal/schema"
	"github.com/sfevents/salesforcereceiver/internal/schema/schematest"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
)

const repoRoot = "../../.."

// schemaEnv serves the schema mapping's test events
// (internal/schema/testdata/events) as an org's data, moved to the last
// hours, and runs one collector with a receiver per schema
// (salesforce/ecs, /ocsf, /cim), each into its own sink. It returns the
// (moved) events and each schema's records of them, by event key.
func schemaEnv(t *testing.T) (*env, []*schematest.Event, map[schema.Name]map[string]sinkRecord, map[schema.Name]*sink) {
	t.Helper()
	files, err := schematest.Load(schematest.Dir(repoRoot))
	require.NoError(t, err)
	now := time.Now().UTC().Truncate(time.Second)
	events := schematest.Shifted(schematest.All(files), now.Add(-3*time.Hour).Sub(schematest.Base))

	e := newBareEnv(t, simulator.Options{LoginHistoryRows: -1, SetupAuditTrailRows: -1, History: -1})
	// The users the Setup Audit Trail rows name through CreatedBy.
	users := map[string]string{}
	for _, ev := range events {
		if id, ok := ev.Fields["CreatedById"].(string); ok {
			users[id] = ev.Fields["CreatedBy.Username"].(string)
		}
	}
	for id, name := range users {
		e.sim.AddRecord("User", map[string]any{"Id": id, "Username": name, "Name": name, "IsActive": true})
	}
	// One daily log file per EventLogFile type, its rows in event order.
	rows := map[string][][]string{}
	var order []string
	var objectNames []string
	for _, ev := range events {
		if typ, ok := ev.ELFType(); ok {
			if rows[typ] == nil {
				order = append(order, typ)
			}
			rows[typ] = append(rows[typ], ev.Row())
			continue
		}
		e.sim.AddRecord(ev.Source, simulatorFields(t, ev))
		if ev.Source != "LoginHistory" && ev.Source != "SetupAuditTrail" && !catalog.IsEventLogObject(ev.Source) &&
			!slices.Contains(objectNames, ev.Source) {
			objectNames = append(objectNames, ev.Source)
		}
	}
	day := now.Add(-24 * time.Hour).Truncate(24 * time.Hour)
	for _, typ := range order {
		var f *schematest.File
		for _, ev := range events {
			if t, ok := ev.ELFType(); ok && t == typ {
				f = ev.File
				break
			}
		}
		header, types := f.Columns(typ)
		e.sim.AddLogFile(simulator.LogFile{EventType: typ, LogDate: day, Header: header, Types: types, Rows: rows[typ]})
	}

	sinks := map[schema.Name]*sink{}
	var receivers, exporters, pipelines strings.Builder
	for _, s := range schema.Names() {
		sinks[s] = newSink(t)
		sinks[s].keepRecords()
		fmt.Fprintf(&receivers, `  salesforce/%[1]s:
    login_url: %[2]s
    auth: {flow: jwt_bearer, client_id: e2e-client, username: integration@e2e.example.com, private_key_file: %[3]s}
    storage: file_storage
    schema: %[1]s
    login_history: {poll_interval: 1s, backfill: 2400h}
    setup_audit_trail: {poll_interval: 1s, backfill: 2400h}
    event_log_file: {poll_interval: 1s, log_interval: daily}
    event_log_objects: {enabled: true, objects: [AuraRequestEventLog], poll_interval: 1s, backfill: 30h}
    objects:
`, s, e.sim.URL(), e.keyFile)
		for _, o := range objectNames {
			fmt.Fprintf(&receivers, "      - {name: %s, poll_interval: 1s}\n", o)
		}
		fmt.Fprintf(&exporters, "  otlphttp/%s:\n    endpoint: %s\n    compression: none\n    retry_on_failure: {initial_interval: 100ms, max_interval: 1s, max_elapsed_time: 0}\n", s, sinks[s].srv.URL)
		fmt.Fprintf(&pipelines, "    logs/%[1]s:\n      receivers: [salesforce/%[1]s]\n      exporters: [otlphttp/%[1]s]\n", s)
	}
	cfg := fmt.Sprintf(`extensions:
  file_storage:
    directory: %s/storage
receivers:
%sexporters:
%sservice:
  telemetry:
    metrics: {level: none}
  extensions: [file_storage]
  pipelines:
%s`, e.dir, receivers.String(), exporters.String(), pipelines.String())
	require.NoError(t, os.WriteFile(e.config, []byte(cfg), 0o600))
	e.start()

	got := map[schema.Name]map[string]sinkRecord{}
	require.Eventually(t, func() bool {
		for _, s := range schema.Names() {
			got[s] = map[string]sinkRecord{}
			for _, r := range sinks[s].records() {
				fields := r.Body
				if s == schema.OCSF {
					fields, _ = r.Body["unmapped"].(map[string]any)
				}
				m := pcommon.NewMap()
				_ = m.FromRaw(fields)
				got[s][schematest.RecordKey(m)] = r
			}
			for _, ev := range events {
				if _, ok := got[s][ev.Key()]; !ok {
					return false
				}
			}
		}
		return true
	}, 3*time.Minute, 500*time.Millisecond, "every test event, mapped to each schema")
	require.NotContains(t, e.log(), "\terror\t")
	return e, events, got, sinks
}

// simulatorFields are an object event's fields as the simulator stores
// them: date-times as times, relationship paths left to the relationship.
func simulatorFields(t *testing.T, ev *schematest.Event) map[string]any {
	t.Helper()
	e := catalog.Lookup(ev.Source)
	require.NotNil(t, e, ev.Source)
	out := map[string]any{}
	for k, v := range ev.Fields {
		if strings.Contains(k, ".") {
			continue
		}
		f := e.Field(k)
		require.NotNil(t, f, "%s: %s.%s is not among the catalog's fields", ev.Name, ev.Source, k)
		switch f.Type {
		case "datetime":
			ts, err := convert.ParseDateTime(v.(string))
			require.NoError(t, err)
			v = ts
		case "double":
			if n, ok := v.(int); ok {
				v = float64(n)
			}
		case "int":
			if n, ok := v.(int); ok {
				v = int64(n)
			}
		}
		out[k] = v
	}
	return out
}

// The built collector, reading the test events from the simulator as an
// org's data: the ECS it makes of each has Elastic's value for every field
// Elastic's integration sets (or the listed difference), per data stream;
// every OCSF record passes the OCSF 1.8.0 class check; and what each schema
// makes of an event is what the mapping makes of it in-process (the golden
// files' path), so the receiver's streams feed the mapping what the tests
// assume.
func TestSchemaElasticAgreement(t *testing.T) {
	e, events, got, sinks := schemaEnv(t)

	ecs := map[string]schematest.Got{}
	for k, r := range got[schema.ECS] {
		g := schematest.Got(maps.Clone(r.Attrs))
		g["@timestamp"] = r.Time.UTC().Format("2006-01-02T15:04:05.000Z")
		ecs[k] = g
	}
	streams, problems := schematest.Compare(events, ecs)
	require.Empty(t, problems)
	require.Len(t, streams, 5)
	for _, st := range streams {
		t.Logf("ELASTIC %-28s %d events, %3d fields Elastic sets: %3d equal, %d different as listed: %.1f%%",
			st.Dataset, st.Events, st.Fields, st.Same, st.Deliberate, 100*st.Agreement())
	}

	ocsf, err := schematest.LoadOCSF(filepath.Join(repoRoot, "internal", "schema", "testdata", "ocsf", "1.8.0.json"))
	require.NoError(t, err)
	n := 0
	for _, r := range sinks[schema.OCSF].records() {
		require.Empty(t, ocsf.Check(r.Body), "%s %v", r.Event, r.Body)
		n++
	}
	t.Logf("%d OCSF records pass the OCSF %s class check", n, ocsf.Version)

	// In-process, the same events give the same fields (but the record's
	// uid and log file, which name where the collector read it).
	for _, s := range schema.Names() {
		m, err := schema.New(s)
		require.NoError(t, err)
		logs, err := schematest.Records(events, convert.Resource{OrgID: simulator.DefaultOrgID, InstanceURL: e.sim.URL()}, time.Now())
		require.NoError(t, err)
		m.Map(logs)
		lrs := logs.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
		for i := range lrs.Len() {
			lr := lrs.At(i)
			ev := events[i]
			r := got[s][ev.Key()]
			var want, have map[string]any
			if s == schema.OCSF {
				want, have = lr.Body().Map().AsRaw(), maps.Clone(r.Body)
				for _, m := range []map[string]any{want, have} {
					md := maps.Clone(m["metadata"].(map[string]any))
					delete(md, "uid")
					m["metadata"] = md
					delete(m, "unmapped")
				}
			} else {
				want, have = lr.Attributes().AsRaw(), maps.Clone(r.Attrs)
				for _, m := range []map[string]any{want, have} {
					delete(m, "log.record.uid")
					delete(m, "salesforce.log_file.id")
				}
			}
			require.Equal(t, want, have, "%s: %s", s, ev.Name)
		}
	}
}
