package pubsub_test

import (
	"encoding/json"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hamba/avro/v2"
	"github.com/linkedin/goavro/v2"
	"github.com/stretchr/testify/require"

	"github.com/sfevents/salesforcereceiver/internal/catalog"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/internal/simtest"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/pubsub"
)

// hambaValue turns what hamba decodes (unions as their value or as
// map[type]value, ints as int, longs as int64) into the typed values of
// PublishedEvent.Fields, using the field docs for date-times.
func hambaValue(t *testing.T, sch avro.Schema, doc string, v any) any {
	t.Helper()
	switch s := sch.(type) {
	case *avro.UnionSchema:
		if v == nil {
			return nil
		}
		if m, ok := v.(map[string]any); ok && len(m) == 1 {
			for name, inner := range m {
				for _, b := range s.Types() {
					if n, ok := b.(avro.NamedSchema); ok && (n.FullName() == name || n.Name() == name) || string(b.Type()) == name {
						return hambaValue(t, b, doc, inner)
					}
				}
			}
		}
		for _, b := range s.Types() {
			if b.Type() != avro.Null {
				return hambaValue(t, b, doc, v)
			}
		}
	case *avro.RecordSchema:
		m := v.(map[string]any)
		out := map[string]any{}
		for _, f := range s.Fields() {
			out[f.Name()] = hambaValue(t, f.Type(), f.Doc(), m[f.Name()])
		}
		return out
	case *avro.ArraySchema:
		xs := v.([]any)
		out := make([]string, 0, len(xs))
		for _, x := range xs {
			out = append(out, x.(string))
		}
		return out
	case *avro.PrimitiveSchema:
		switch s.Type() {
		case avro.Long:
			n := v.(int64)
			if pubsub.IsDateTimeField(doc) {
				return time.UnixMilli(n).UTC()
			}
			return n
		case avro.Int:
			return int64(v.(int))
		}
	}
	return v
}

// eachTopicSchema runs check, in a subtest, on every Pub/Sub topic of a
// fresh server with the id and JSON of the topic's schema.
func eachTopicSchema(t *testing.T, check func(t *testing.T, s *simulator.Server, topic, id, js string)) {
	s := simulator.New(simtest.Options())
	for _, topic := range s.PubSubTopics() {
		t.Run(topic, func(t *testing.T) {
			id, js, err := s.PubSubSchema(topic)
			require.NoError(t, err)
			check(t, s, topic, id, js)
		})
	}
}

func TestPubSubSchemasAreSalesforceShaped(t *testing.T) {
	eachTopicSchema(t, func(t *testing.T, s *simulator.Server, topic, id, js string) {
		require.Len(t, id, 22, "Salesforce-like schema id")
		var raw struct {
			Name, Namespace, Type, UUID string
			Fields                      []map[string]any
		}
		require.NoError(t, json.Unmarshal([]byte(js), &raw))
		require.Equal(t, topic[strings.LastIndexByte(topic, '/')+1:], raw.Name)
		require.Equal(t, "com.sforce.eventbus", raw.Namespace)
		require.Equal(t, "record", raw.Type)
		require.Equal(t, id, raw.UUID, "the schema carries its id as uuid")
		_, err := avro.Parse(js)
		require.NoError(t, err, "hamba/avro parses it")
		_, err = goavro.NewCodec(js)
		require.NoError(t, err, "goavro parses it")
		dates := 0
		for _, f := range raw.Fields {
			name, _ := f["name"].(string)
			doc, _ := f["doc"].(string)
			if name == "CreatedDate" || name == "EventDate" || name == "LastModifiedDate" {
				require.True(t, pubsub.IsDateTimeField(doc), "%s doc %q", name, doc)
			}
			if u, ok := f["type"].([]any); ok {
				require.Equal(t, "null", u[0], "%s: null first in the union", name)
				d, has := f["default"]
				require.True(t, has && d == nil, "%s: nullable fields default to null", name)
			}
			if !pubsub.IsDateTimeField(doc) {
				continue
			}
			dates++
			switch ft := f["type"].(type) {
			case string:
				require.Equal(t, "long", ft, name)
			case []any:
				require.Equal(t, []any{"null", "long"}, ft, name)
			default:
				t.Fatalf("%s: date-time of type %v", name, ft)
			}
		}
		require.NotZero(t, dates)
		// Stable: another org builds the same schema with the same id.
		id2, js2, _ := simulator.New(simulator.Options{Seed: 99, History: -1}).PubSubSchema(topic)
		require.Equal(t, id, id2)
		require.Equal(t, js, js2)
	})
}

func TestPubSubPayloadsDecodeWithBothLibraries(t *testing.T) {
	eachTopicSchema(t, func(t *testing.T, s *simulator.Server, topic, _, js string) {
		hs := avro.MustParse(js)
		codec, err := goavro.NewCodec(js)
		require.NoError(t, err)
		for _, ev := range s.Publish(topic, 30) {
			var hv map[string]any
			require.NoError(t, avro.Unmarshal(hs, ev.Payload, &hv))
			require.Equal(t, ev.Fields, hambaValue(t, hs, "", hv), "hamba decodes the ground truth")
			_, rest, err := codec.NativeFromBinary(ev.Payload)
			require.NoError(t, err)
			require.Empty(t, rest, "no container header, nothing after the record")
			sch, err := pubsub.CompileSchema(js, "")
			require.NoError(t, err)
			back, err := pubsub.DecodeTyped(sch, ev.Payload)
			require.NoError(t, err)
			require.Equal(t, ev.Fields, back)
			switch {
			case strings.HasPrefix(topic, "/data/"):
				require.Empty(t, ev.EventIdentifier)
			case strings.HasSuffix(topic, "__e"):
				require.Empty(t, ev.EventIdentifier)
				require.IsType(t, time.Time{}, ev.Fields["CreatedDate"])
			default:
				require.Len(t, ev.EventIdentifier, 36)
				require.Len(t, ev.EventUuid, 36)
				require.Equal(t, ev.EventIdentifier, ev.Fields["EventIdentifier"])
				switch topic {
				case "/event/GuestUserAnomalyEvent", "/event/LoginAnomalyEvent":
					// "A date value (no time portion) that represents
					// aggregate timeframe" (catalog.yaml).
					require.Equal(t, simtest.Now.Truncate(24*time.Hour), ev.Fields["EventDate"])
				default:
					require.Equal(t, simtest.Now, ev.Fields["EventDate"])
				}
			}
		}
	})
}

// bitmapNames reads Salesforce's CDC field bitmaps against field names.
func bitmapNames(t *testing.T, bitmaps []string) []string {
	t.Helper()
	var out []string
	read := func(names []string, hex, prefix string) {
		var b big.Int
		_, ok := b.SetString(strings.TrimPrefix(hex, "0x"), 16)
		require.True(t, ok, hex)
		require.Equal(t, 0, len(strings.TrimPrefix(hex, "0x"))%2, "even number of hex digits: %s", hex)
		require.Equal(t, strings.ToUpper(hex[2:]), hex[2:], "upper-case hex: %s", hex)
		for i := range b.BitLen() {
			if b.Bit(i) == 1 {
				require.Less(t, i, len(names), hex)
				out = append(out, prefix+names[i])
			}
		}
	}
	for _, bm := range bitmaps {
		if pos, hex, ok := strings.Cut(bm, "-"); ok {
			p, err := strconv.Atoi(pos)
			require.NoError(t, err)
			require.Equal(t, "BillingAddress", pubsub.AccountFieldNames[p])
			read(pubsub.AddressFieldNames, hex, pubsub.AccountFieldNames[p]+".")
			continue
		}
		read(pubsub.AccountFieldNames, bm, "")
	}
	return out
}

func TestPubSubChangeEventBitmaps(t *testing.T) {
	s := simulator.New(simtest.Options())
	seen := map[string]int{}
	for _, ev := range s.Publish("/data/AccountChangeEvent", 200) {
		h := ev.Fields["ChangeEventHeader"].(map[string]any)
		ct := h["changeType"].(string)
		seen[ct]++
		require.Equal(t, "Account", h["entityName"])
		require.Len(t, h["recordIds"], 1)
		require.Equal(t, simtest.Now.UnixMilli(), h["commitTimestamp"])
		changed := bitmapNames(t, h["changedFields"].([]string))
		nulled := bitmapNames(t, h["nulledFields"].([]string))
		switch ct {
		case "CREATE":
			require.Empty(t, changed)
			require.NotNil(t, ev.Fields["Name"])
		case "DELETE":
			require.Empty(t, changed)
			require.Nil(t, ev.Fields["Name"])
		case "UPDATE":
			require.Contains(t, changed, "LastModifiedDate")
			for _, f := range pubsub.AccountFieldNames[1:] {
				v := ev.Fields[f]
				isChanged := false
				for _, c := range changed {
					if c == f || strings.HasPrefix(c, f+".") {
						isChanged = true
					}
				}
				if v != nil {
					require.True(t, isChanged, "%s has a value, so it changed: %v", f, changed)
				}
				if f == "BillingAddress" && v != nil {
					require.Contains(t, changed, "BillingAddress.City")
					require.NotContains(t, changed, "BillingAddress", "compound fields are listed by sub-field")
				}
			}
			for _, n := range nulled {
				require.Contains(t, changed, n)
				require.Nil(t, ev.Fields[n])
			}
		}
	}
	require.NotZero(t, seen["CREATE"])
	require.NotZero(t, seen["UPDATE"])
	require.NotZero(t, seen["DELETE"])
	require.Equal(t, "0x650004E0", pubsub.FieldBitmap([]int{5, 6, 7, 10, 24, 26, 29, 30}))
	require.Equal(t, "0x01", pubsub.FieldBitmap([]int{0}))
}

func TestPublishEventExplicitFields(t *testing.T) {
	s := simulator.New(simtest.Options())
	at := time.Date(2024, 4, 30, 8, 0, 0, 123456789, time.UTC)
	ev, err := s.PublishEvent("/event/LoginEventStream", map[string]any{
		"EventIdentifier": "fixed-id", "EventDate": at, "Status": "Invalid Password", "SessionKey": nil,
	})
	require.NoError(t, err)
	require.Equal(t, "fixed-id", ev.EventIdentifier)
	require.Equal(t, at.Truncate(time.Millisecond), ev.Fields["EventDate"])
	require.Equal(t, simtest.Now, ev.Fields["CreatedDate"], "CreatedDate is when it was published")
	require.Nil(t, ev.Fields["SessionKey"])
	_, err = s.PublishEvent("/event/LoginEventStream", map[string]any{"Bogus": 1})
	require.Error(t, err)
	_, err = s.PublishEvent("/event/Nope", nil)
	require.Error(t, err)
	_, err = s.PublishEvent("/event/LoginEventStream", map[string]any{"Status": 42})
	require.Error(t, err, "a value of the wrong type")
}

// Every catalog entry with a topic is served as one, with the fields of
// its entry (its objects: the org's TestServesTheCatalog).
func TestServesTheCatalogTopics(t *testing.T) {
	s := simulator.New(simtest.Options())
	topics := s.PubSubTopics()
	for _, e := range catalog.All() {
		t.Run(e.Name, func(t *testing.T) {
			var topic string
			switch {
			case e.Kind == catalog.KindEvent:
				topic = "/event/" + e.Name
			case e.Topic != "":
				topic = "/event/" + e.Topic
			default:
				return
			}
			require.Contains(t, topics, topic)
			_, js, err := s.PubSubSchema(topic)
			require.NoError(t, err)
			var sch struct{ Fields []struct{ Name string } }
			require.NoError(t, json.Unmarshal([]byte(js), &sch))
			var names []string
			for _, f := range sch.Fields {
				names = append(names, f.Name)
			}
			require.Equal(t, []string{"CreatedDate", "EventUuid"}, names[:2])
			for _, f := range e.Fields {
				if f.Name != "CreatedDate" {
					require.Equal(t, !pubsub.StoreOnly(f.Name), slices.Contains(names, f.Name), f.Name)
				}
			}
			require.Len(t, names, 2+len(slices.DeleteFunc(e.FieldNames(), pubsub.StoreOnly)))
		})
	}
}
