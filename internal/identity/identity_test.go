package identity

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/sfevents/salesforcereceiver/internal/catalog"
	"github.com/sfevents/salesforcereceiver/internal/sobject"
)

func rec(fields ...sobject.Field) *sobject.Record { return &sobject.Record{Fields: fields} }

func TestDigest(t *testing.T) {
	a := rec(sobject.Field{Name: "A", Value: "1"}, sobject.Field{Name: "B", Value: int64(2)})
	b := rec(sobject.Field{Name: "A", Value: "1"}, sobject.Field{Name: "B", Value: int64(2)})
	assert.Equal(t, Digest(a), Digest(b))
	for _, other := range []*sobject.Record{
		rec(sobject.Field{Name: "A", Value: "1"}, sobject.Field{Name: "B", Value: int64(3)}),
		rec(sobject.Field{Name: "A", Value: "1"}, sobject.Field{Name: "B", Value: "2"}),
		rec(sobject.Field{Name: "A1", Value: ""}, sobject.Field{Name: "B", Value: int64(2)}),
		rec(sobject.Field{Name: "A", Value: "1"}),
		rec(sobject.Field{Name: "A", Value: "1"}, sobject.Field{Name: "B", Value: float64(2)}),
		rec(sobject.Field{Name: "A", Value: "1"}, sobject.Field{Name: "B", Value: nil}),
	} {
		assert.NotEqual(t, Digest(a), Digest(other), "%v", other.Fields)
	}
}

func TestKeyer(t *testing.T) {
	row := func(id, v string) *sobject.Record {
		return rec(sobject.Field{Name: "Id", Value: id}, sobject.Field{Name: "Timestamp", Value: "t"}, sobject.Field{Name: "V", Value: v})
	}
	t.Run("the key field", func(t *testing.T) {
		k := &Keyer{Field: "Id"}
		assert.Equal(t, "0Ya1", k.Key(row("0Ya1", "a")))
		assert.Equal(t, "0Ya1", k.Key(row("0Ya1", "a")), "the same row twice")
	})
	t.Run("never the placeholder", func(t *testing.T) {
		k := &Keyer{Field: "Id"}
		keys := map[string]bool{}
		for _, v := range []string{"a", "b", "c", "a"} {
			keys[k.Key(row(catalog.PlaceholderID, v))] = true
		}
		assert.Len(t, keys, 4, "three rows and a fourth identical to the first: four keys")
		for key := range keys {
			assert.NotContains(t, key, catalog.PlaceholderID)
		}
		k.Reset()
		assert.True(t, keys[k.Key(row(catalog.PlaceholderID, "a"))], "a re-read gives the same keys")
		assert.True(t, keys[k.Key(row(catalog.PlaceholderID, "a"))])
	})
	t.Run("digest objects", func(t *testing.T) {
		k := &Keyer{Field: catalog.KeyDigest}
		a, b := k.Key(row("", "a")), k.Key(row("", "a"))
		assert.NotEqual(t, a, b)
		assert.Regexp(t, `^digest:[0-9a-f]{16}#1$`, a)
	})
	t.Run("fallback", func(t *testing.T) {
		k := &Keyer{Field: "EventIdentifier", Fallback: "Id"}
		assert.Equal(t, "0Lv1", k.Key(row("0Lv1", "a")))
		assert.Regexp(t, `^digest:`, k.Key(row(catalog.PlaceholderID, "a")))
	})
	t.Run("a key two rows share", func(t *testing.T) {
		var collided []string
		k := &Keyer{Field: "Id", OnCollision: func(key string) { collided = append(collided, key) }}
		first, second := k.Key(row("0Ya1", "a")), k.Key(row("0Ya1", "b"))
		assert.Equal(t, "0Ya1", first)
		assert.Regexp(t, `^0Ya1#[0-9a-f]{16}$`, second)
		assert.Equal(t, []string{"0Ya1"}, collided)
	})
}
