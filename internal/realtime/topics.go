package realtime

import (
	"strings"

	"github.com/sfevents/salesforcereceiver/internal/convert"
	"github.com/sfevents/salesforcereceiver/internal/objects"
	"github.com/sfevents/salesforcereceiver/internal/sfapi"
	"github.com/sfevents/salesforcereceiver/internal/stream"
)

// Replay presets of a topic's first start.
const (
	ReplayLatest   = "latest"
	ReplayEarliest = "earliest"
)

// storageObjects maps a Real-Time Event Monitoring channel's event to the
// object Salesforce stores it in (PUBSUB-NOTES.md).
var storageObjects = map[string]string{
	"LoginEventStream":        "LoginEvent",
	"LogoutEventStream":       "LogoutEvent",
	"LoginAsEventStream":      "LoginAsEvent",
	"ApiEventStream":          "ApiEvent",
	"ReportEventStream":       "ReportEvent",
	"ListViewEventStream":     "ListViewEvent",
	"UriEventStream":          "UriEvent",
	"LightningUriEventStream": "LightningUriEvent",
	"ApiAnomalyEvent":         "ApiAnomalyEventStore",
	"CredentialStuffingEvent": "CredentialStuffingEventStore",
	"ReportAnomalyEvent":      "ReportAnomalyEventStore",
	"SessionHijackingEvent":   "SessionHijackingEventStore",
	"PermissionSetEvent":      "PermissionSetEventStore",
	"BulkApiResultEvent":      "BulkApiResultEventStore",
	"FileEvent":               "FileEventStore",
	"GuestUserAnomalyEvent":   "GuestUserAnomalyEventStore",
	"LoginAnomalyEvent":       "LoginAnomalyEventStore",
}

// eventName is the event of a topic: /event/LoginEventStream → LoginEventStream,
// /data/AccountChangeEvent → AccountChangeEvent.
func eventName(topic string) string {
	return topic[strings.LastIndexByte(topic, '/')+1:]
}

// StorageObject is the object a topic's events are also stored in ("" for none).
func StorageObject(topic string) string {
	if !strings.HasPrefix(topic, "/event/") {
		return ""
	}
	return storageObjects[eventName(topic)]
}

// Descriptor is the stream of one topic; its name (the checkpoint key) is
// "pubsub" + topic, e.g. pubsub/event/LoginEventStream.
func Descriptor(topic string) stream.Descriptor {
	name := eventName(topic)
	typ := StorageObject(topic)
	if typ == "" {
		typ = name
	}
	// Severity follows the storage object, so both paths agree.
	m := convert.Mapping{EventName: convert.EventPubSub, EventType: typ, TimestampField: "EventDate", TimeFallbacks: []string{"CreatedDate"}}.ForObject(typ)
	return stream.Descriptor{
		Name:     "pubsub" + topic,
		Priority: sfapi.PriorityNormal,
		Object:   topic,
		Access: stream.Access{
			Needs: "View Real-Time Event Monitoring Data",
			Fix:   "turn on streaming for the event in Event Manager, and grant View Real-Time Event Monitoring Data",
		},
		Map: m,
	}
}

// uidStream is the stream name a topic's log.record.uid derives from: for
// an event with a storage object, the objects stream's name for that
// object, so both paths give one record the same uid.
func uidStream(d stream.Descriptor) string {
	if s := StorageObject(d.Object); s != "" {
		return objects.Descriptor(s, "EventDate").Name
	}
	return d.Name
}
