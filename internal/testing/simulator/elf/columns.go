// Package elf is the content of Event Monitoring log files, the CSV bodies
// of EventLogFile records (REST API Developer Guide, "Get Event Monitoring
// Content from a Large Object":
// https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_event_log_file_download.htm):
// the columns of each event type as the receiver's catalog lists them from
// "EventLogFile Supported Event Types" (internal/catalog/eventlogfiles.yaml;
// columns.go), deterministic realistic rows of any number or size
// (rows.go), and the CSV Salesforce writes (csv.go). The org keeps the
// files (simulator/org), the REST API serves them (simulator/rest).
package elf

import (
	"slices"

	"github.com/sfevents/salesforcereceiver/internal/catalog"
)

// column is one column of an EventLogFile CSV: its header name, its
// LogFileFieldTypes entry, and the values its page lists (the usual one
// first).
type column struct {
	name, typ string
	values    []string
}

// schema is an event type's columns as its catalog entry lists them (nil
// for a type the catalog does not list).
func schema(eventType string) []column {
	e := catalog.EventType(eventType)
	if e == nil {
		return nil
	}
	out := make([]column, len(e.Fields))
	for i, f := range e.Fields {
		out[i] = column{name: f.Name, typ: f.Type, values: e.ValuesOf(f.Name)}
	}
	return out
}

// EventTypes lists the event types the simulator serves: every one the
// catalog lists, sorted.
func EventTypes() []string {
	var out []string
	for _, e := range catalog.EventTypes() {
		out = append(out, e.Name)
	}
	slices.Sort(out)
	return out
}

// Columns returns the documented header and LogFileFieldTypes of an
// event type (nil for an unknown one).
func Columns(eventType string) (names, types []string) {
	for _, c := range schema(eventType) {
		names = append(names, c.name)
		types = append(types, c.typ)
	}
	return names, types
}
