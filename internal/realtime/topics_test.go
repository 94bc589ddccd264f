package realtime

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/sfevents/salesforcereceiver/internal/objects"
)

// A topic's events are as severe as the same events read from their
// storage object, so a failed login is WARN whichever path delivered it.
func TestTopicSeverityFollowsStorageObject(t *testing.T) {
	tests := []struct {
		topic, object string
		loginOK       string
		warn          bool
	}{
		{"/event/LoginEventStream", "LoginEvent", "Success", false},
		{"/event/ApiAnomalyEvent", "ApiAnomalyEventStore", "", true},
		{"/event/SessionHijackingEvent", "SessionHijackingEventStore", "", true},
		{"/event/LoginAsEventStream", "LoginAsEvent", "", false},
		{"/event/ReportEventStream", "ReportEvent", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.topic, func(t *testing.T) {
			topic, obj := Descriptor(tt.topic).Map, objects.Descriptor(tt.object, "EventDate").Map
			assert.Equal(t, tt.object, topic.EventType)
			assert.Equal(t, tt.loginOK, topic.LoginOK)
			assert.Equal(t, tt.warn, topic.Warn)
			assert.Equal(t, obj.LoginOK, topic.LoginOK)
			assert.Equal(t, obj.Warn, topic.Warn)
		})
	}
}

// Every topic with a storage object needs what reading that object needs.
func TestStorageObjectsAreRealTimeEventMonitoring(t *testing.T) {
	for event, object := range storageObjects {
		assert.True(t, objects.RealTimeEventMonitoring(object), "%s → %s", event, object)
		assert.Equal(t, objects.Descriptor(object, "EventDate").Access.Needs, Descriptor("/event/"+event).Access.Needs, event)
	}
}
