package stream

import (
	"github.com/sfevents/salesforcereceiver/internal/catalog"
	"github.com/sfevents/salesforcereceiver/internal/convert"
	"github.com/sfevents/salesforcereceiver/internal/sfapi"
)

// Descriptor is every fact about a kind of stream apart from how it
// reads: each stream is one Descriptor plus a Source. Nothing else in the
// receiver knows a stream by its name.
type Descriptor struct {
	// Name is the stream id: checkpoint key, log.record.uid input and the
	// "stream" attribute of telemetry. Changing it changes every uid and
	// starts the stream afresh.
	Name string
	// Priority is its place in the org's API budget.
	Priority sfapi.Priority
	// Object is what it reads (an object or a topic), for messages.
	Object string
	// Access is what the integration user needs to read it.
	Access Access
	// Map says how its records map; Mapping() fills in the stream.
	Map convert.Mapping
}

// Access is a stream's permission (as the README's checklist names it) and
// the line the connection test logs when Salesforce refuses: the catalog's.
type Access = catalog.Access

// Caller is who the stream's Salesforce calls come from.
func (d Descriptor) Caller() sfapi.Caller {
	return sfapi.Caller{Stream: d.Name, Priority: d.Priority}
}

// Mapping is the stream's mapping, keyed to its name.
func (d Descriptor) Mapping() convert.Mapping {
	m := d.Map
	m.Stream = d.Name
	return m
}
