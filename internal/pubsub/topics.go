package pubsub

import (
	"strings"

	"github.com/sfevents/salesforcereceiver/internal/catalog"
	"github.com/sfevents/salesforcereceiver/internal/convert"
	"github.com/sfevents/salesforcereceiver/internal/objects"
	"github.com/sfevents/salesforcereceiver/internal/semconv"
	"github.com/sfevents/salesforcereceiver/internal/sfapi"
	"github.com/sfevents/salesforcereceiver/internal/stream"
)

// Replay presets of a topic's first start.
const (
	ReplayLatest   = "latest"
	ReplayEarliest = "earliest"
)

// eventName is the event of a topic: /event/LoginEventStream → LoginEventStream,
// /data/AccountChangeEvent → AccountChangeEvent.
func eventName(topic string) string {
	return topic[strings.LastIndexByte(topic, '/')+1:]
}

// entry is the catalog's entry of a topic's event: its storage object, or
// the event itself (nil for platform events and Change Data Capture).
func entry(topic string) *catalog.Entry {
	if !strings.HasPrefix(topic, "/event/") {
		return nil
	}
	return catalog.ByEvent(eventName(topic))
}

// StorageObject is the object a topic's events are also stored in ("" for none).
func StorageObject(topic string) string {
	if e := entry(topic); e != nil && e.Kind == catalog.KindStorage {
		return e.Name
	}
	return ""
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
	// EventDate, else CreatedDate, else when received.
	m := convert.Mapping{EventName: semconv.EventPubSub, EventType: typ, TimestampField: "EventDate", TimeFallbacks: []string{"CreatedDate"},
		ObservedWhenUntimed: true}.ForObject(typ)
	return stream.Descriptor{
		Name:     "pubsub" + topic,
		Priority: sfapi.PriorityNormal,
		Object:   topic,
		Access:   topicAccess(topic),
		Map:      m,
	}
}

// topicAccess is what subscribing to topic needs: the catalog's for a
// Real-Time Event Monitoring event; for a platform event or Change Data
// Capture, read access to it.
func topicAccess(topic string) stream.Access {
	if e := entry(topic); e != nil {
		if e.Kind == catalog.KindStorage {
			return e.TopicAccess()
		}
		return e.Access
	}
	name := eventName(topic)
	if strings.HasPrefix(topic, "/data/") {
		return stream.Access{Needs: "Read on the changed objects",
			Fix: "select the entity for " + name + " in Setup, Change Data Capture, and give the integration user Read on the object"}
	}
	return stream.Access{Needs: "Read on " + name, Fix: "give the integration user Read access to the " + name + " platform event"}
}

// key is the field that identifies a topic's event: the catalog's for a
// Real-Time Event Monitoring event ("" otherwise: EventUuid, then the
// replay id).
func key(topic string) string {
	if e := entry(topic); e != nil {
		return e.Key
	}
	return ""
}

// uidStream is the stream name a topic's log.record.uid derives from: for
// an event with a storage object, the objects stream's name for that
// object, so both paths give one record the same uid.
func uidStream(d stream.Descriptor) string {
	if s := StorageObject(d.Object); s != "" {
		return objects.Descriptor(s, "").Name
	}
	return d.Name
}
