package inventory

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfevents/salesforcereceiver/internal/sobject"
)

// An item keeps its values' types through the checkpoint's JSON: a
// restart compares like with like, and "before" values keep their type.
func TestItemRoundTrip(t *testing.T) {
	rec := &sobject.Record{Fields: []sobject.Field{
		{Name: "S", Value: "1"}, {Name: "I", Value: int64(1)}, {Name: "F", Value: 1.0}, {Name: "B", Value: true},
		{Name: "Big", Value: int64(1) << 62}, {Name: "Frac", Value: 0.1}, {Name: "Null", Value: nil}, {Name: "Empty", Value: ""},
	}}
	it := itemOf(rec)
	b, err := json.Marshal(map[string]Item{"k": it})
	require.NoError(t, err)
	var back map[string]Item
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, it, back["k"])
	got := back["k"].record([]string{"S", "I", "F", "B", "Big", "Frac", "Empty"})
	assert.Equal(t, []sobject.Field{
		{Name: "S", Value: "1"}, {Name: "I", Value: int64(1)}, {Name: "F", Value: 1.0}, {Name: "B", Value: true},
		{Name: "Big", Value: int64(1) << 62}, {Name: "Frac", Value: 0.1}, {Name: "Empty", Value: ""},
	}, got.Fields, "in order, typed as read, nulls left out")
	assert.Equal(t, "s1", it["S"])
	assert.NotEqual(t, it["S"], it["I"], "a string and a number never compare equal")
	assert.NotEqual(t, it["I"], it["F"])
}

func TestDiff(t *testing.T) {
	a := Item{"Id": "sa", "AppName": "sSlack", "UseCount": "i1"}
	b := Item{"Id": "sb", "AppName": "sOutlook", "UseCount": "i1"}
	used := Item{"Id": "sa", "AppName": "sSlack", "UseCount": "i9"}
	renamed := Item{"Id": "sa", "AppName": "sSlack Pro", "UseCount": "i9"}
	vol := []string{"UseCount"}
	assert.Empty(t, diff(map[string]Item{"a": a}, map[string]Item{"a": used}, vol), "a volatile field alone is no change")
	got := diff(map[string]Item{"a": a, "b": b}, map[string]Item{"a": renamed, "c": b}, vol)
	require.Len(t, got, 3)
	assert.Equal(t, change{kind: Changed, key: "a", before: a, after: renamed}, got[0])
	assert.Equal(t, change{kind: Added, key: "c", after: b}, got[1])
	assert.Equal(t, change{kind: Removed, key: "b", before: b}, got[2])
	assert.Equal(t, []string{"AppName", "UseCount"}, changedFields(a, renamed, nil), "the record names every field that moved")
	assert.Equal(t, []string{"X"}, changedFields(Item{"X": "s1"}, Item{}, nil), "a field gone null changed")
}

// Rows Salesforce tells apart by nothing the inventory reads get keys of
// their own, the same on every reading.
func TestKeyedDuplicates(t *testing.T) {
	one := Item{"UserId": "su", "CreatedDate": "st", "LastUsedDate": "s1"}
	two := Item{"UserId": "su", "CreatedDate": "st", "LastUsedDate": "s2"}
	key := func(it Item) string { return it.Str("UserId") + "/" + it.Str("CreatedDate") }
	first := keyed([]Item{one, two}, key)
	again := keyed([]Item{two, one}, key)
	assert.Len(t, first, 2)
	assert.Equal(t, first, again)
	assert.Contains(t, first, "u/t#2")
}

// One change has one uid, sent again or not; the same change at another
// reading, or another change of the item, another.
func TestUIDKey(t *testing.T) {
	a, b := Item{"Id": "sa", "X": "btrue"}, Item{"Id": "sa", "X": "bfalse"}
	ch := change{kind: Changed, key: "a", before: a, after: b}
	assert.Equal(t, "O/a/3/changed/"+hex(a)+"/"+hex(b), uidKey("O", ch, 3), "sent again: the same uid")
	assert.NotEqual(t, uidKey("O", ch, 3), uidKey("O", ch, 4), "toggled back and forth: a change each time")
	back := change{kind: Changed, key: "a", before: b, after: a}
	assert.NotEqual(t, uidKey("O", ch, 3), uidKey("O", back, 3))
	assert.NotEqual(t, uidKey("O", change{kind: Added, key: "a", after: a}, 3), uidKey("O", change{kind: Snapshot, key: "a", after: a}, 3))
	assert.NotEqual(t, uidKey("O", ch, 3), uidKey("P", ch, 3))
}

func hex(it Item) string { return fmt.Sprintf("%016x", it.digest()) }
