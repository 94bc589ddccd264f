package pubsub

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfevents/salesforcereceiver/internal/catalog"
	"github.com/sfevents/salesforcereceiver/internal/convert"
	"github.com/sfevents/salesforcereceiver/internal/objects"
	"github.com/sfevents/salesforcereceiver/internal/sobject"
	"github.com/sfevents/salesforcereceiver/internal/testing/sftest"
)

// A topic's events are as severe as the same events read from their
// storage object, so a failed login is WARN whichever path delivered it,
// and share its event type and uid stream.
func TestTopicFollowsStorageObject(t *testing.T) {
	tests := []struct {
		topic, object string
		fields        []sobject.Field
		warn          bool
	}{
		{"/event/LoginEventStream", "LoginEvent", []sobject.Field{{Name: "Status", Value: "Success"}}, false},
		{"/event/LoginEventStream", "LoginEvent", []sobject.Field{{Name: "Status", Value: "Failed"}}, true},
		{"/event/ApiAnomalyEvent", "ApiAnomalyEventStore", nil, true},
		{"/event/SessionHijackingEvent", "SessionHijackingEventStore", nil, true},
		{"/event/UniversalAnomalyEvent", "UniversalAnomalyEventStore", nil, true},
		{"/event/LoginAsEventStream", "LoginAsEvent", []sobject.Field{{Name: "Status", Value: "Failed"}}, false},
		{"/event/ReportEventStream", "ReportEvent", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.topic, func(t *testing.T) {
			topic, obj := Descriptor(tt.topic), objects.Descriptor(tt.object, "")
			assert.Equal(t, tt.object, topic.Map.EventType)
			assert.Equal(t, obj.Name, uidStream(topic))
			for _, d := range []struct {
				name string
				m    convert.Mapping
			}{{"topic", topic.Map}, {"storage object", obj.Map}} {
				lr := sftest.MapOne(t, d.m, tt.fields...)
				assert.Equal(t, tt.warn, lr.SeverityText() == "WARN", d.name)
			}
		})
	}
}

// Every topic with a storage object needs what the catalog says; one
// without (the mobile events) its own.
func TestTopicAccess(t *testing.T) {
	for _, e := range catalog.OfKind(catalog.KindStorage) {
		if e.Topic == "" {
			continue
		}
		d := Descriptor("/event/" + e.Topic)
		require.Equal(t, e.Name, StorageObject(d.Object))
		assert.Equal(t, e.TopicAccess(), d.Access, e.Topic)
		assert.Equal(t, e.Key, key(d.Object))
	}
	assert.Contains(t, Descriptor("/event/LogoutEventStream").Access.Needs, "Customize Application")
	assert.Contains(t, Descriptor("/event/MobileEmailEvent").Access.Needs, "Enforce Enhanced Mobile App Security")
	assert.Empty(t, StorageObject("/event/MobileEmailEvent"))
	assert.Equal(t, "Read on Security_Alert__e", Descriptor("/event/Security_Alert__e").Access.Needs)
	assert.Contains(t, Descriptor("/data/AccountChangeEvent").Access.Fix, "Change Data Capture")
}
