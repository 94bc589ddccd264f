package convert

import (
	"reflect"
	"unsafe"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Filling a record through pdata's public API costs one allocation per value
// (its oneof wrapper), one per key/value slice, and a scan of the map for
// every key put. A converted row has ~30 values, so that is most of the
// conversion's cost (see PERFORMANCE.md). When the record's keys are known
// to be distinct (CSV headers without repeats, the attribute constants), a
// kvWriter instead appends key/values straight into the map's slice, taking
// the slices and the wrappers from chunks shared by the whole batch: about
// 3 allocations per row instead of 37, and no scans.
//
// That writes pdata's internal representation, so its layout is checked
// against pdata's own types by reflection when the package loads (fastKV);
// on any difference every write goes through the public API, as before.
// TestFastKVLayout fails if a pdata upgrade turns the fast path off, and
// TestFastKVWithPooling runs it with pdata's pdata.useProtoPooling gate on
// (the pools take the wrappers back). It was kept by measurement (issue
// #24): 18-21% of the built collector's CPU per row; make bench-fastkv
// measures it again, against a build with -tags nofastkv (fastkv_off.go).

// kv mirrors pdata's internal.KeyValue.
type kv struct {
	value       anyValue
	key         string
	keyStrindex int32 //nolint:unused // never read: it is here for the layout check
}

// anyValue mirrors internal.AnyValue: one interface field, the oneof.
type anyValue struct{ v any }

// box mirrors the oneof wrappers (*AnyValue_StringValue and the others):
// each is a struct of one field.
type box[T any] struct{ v T }

// eface is the runtime's layout of an empty interface.
type eface struct{ typ, data unsafe.Pointer }

// wrapperTypes are the type words of *AnyValue_StringValue and the others,
// taken from values pdata built itself.
var wrapperTypes struct{ str, int, double, bool unsafe.Pointer }

// fastKV says the layout checks passed.
var fastKV = checkLayout()

func checkLayout() bool {
	mapT := reflect.TypeFor[pcommon.Map]()
	if mapT.Kind() != reflect.Struct || mapT.NumField() != 2 || mapT.Size() != 2*unsafe.Sizeof(uintptr(0)) {
		return false
	}
	orig := mapT.Field(0).Type // *[]internal.KeyValue
	if mapT.Field(0).Offset != 0 || orig.Kind() != reflect.Pointer || orig.Elem().Kind() != reflect.Slice {
		return false
	}
	kvT := orig.Elem().Elem()
	if !sameLayout(kvT, reflect.TypeFor[kv](), []string{"Value", "Key", "KeyStrindex"}) {
		return false
	}
	anyT := kvT.Field(0).Type // internal.AnyValue
	if anyT.Kind() != reflect.Struct || anyT.NumField() != 1 || anyT.Field(0).Type.Kind() != reflect.Interface ||
		anyT.Field(0).Type.NumMethod() != 0 || anyT.Size() != unsafe.Sizeof(any(nil)) {
		return false
	}
	valT := reflect.TypeFor[pcommon.Value]()
	if valT.NumField() != 2 || valT.Field(0).Offset != 0 || valT.Field(0).Type != reflect.PointerTo(anyT) {
		return false
	}
	// The wrapper types, from values pdata made: each must be a pointer to
	// a struct of exactly the one field its mirror has.
	wrappers := []struct {
		v      pcommon.Value
		mirror reflect.Type
		field  string
		typ    *unsafe.Pointer
	}{
		{pcommon.NewValueStr("x"), reflect.TypeFor[box[string]](), "StringValue", &wrapperTypes.str},
		{pcommon.NewValueInt(1), reflect.TypeFor[box[int64]](), "IntValue", &wrapperTypes.int},
		{pcommon.NewValueDouble(1), reflect.TypeFor[box[float64]](), "DoubleValue", &wrapperTypes.double},
		{pcommon.NewValueBool(true), reflect.TypeFor[box[bool]](), "BoolValue", &wrapperTypes.bool},
	}
	for _, w := range wrappers {
		av := *(**anyValue)(unsafe.Pointer(&w.v)) // Value's orig *AnyValue
		t := reflect.TypeOf(av.v)
		if t == nil || t.Kind() != reflect.Pointer || !sameLayout(t.Elem(), w.mirror, []string{w.field}) {
			return false
		}
		*w.typ = (*eface)(unsafe.Pointer(&av.v)).typ
	}
	return true
}

// sameLayout reports whether struct t has exactly the named fields, of the
// kinds, offsets and size of mirror's.
func sameLayout(t, mirror reflect.Type, names []string) bool {
	if t.Kind() != reflect.Struct || t.NumField() != len(names) || mirror.NumField() != len(names) || t.Size() != mirror.Size() {
		return false
	}
	for i, name := range names {
		f, m := t.Field(i), mirror.Field(i)
		if f.Name != name || f.Type.Kind() != m.Type.Kind() || f.Offset != m.Offset || f.Type.Size() != m.Type.Size() {
			return false
		}
	}
	return true
}

// boxes hands out wrappers and key/value slices carved from shared chunks.
// Nothing handed out is ever handed out again, and a slice carved for one
// map has no spare capacity, so a later append by anyone reallocates
// rather than writing into a neighbor.
type boxes struct {
	kvs     []kv
	strs    []box[string]
	ints    []box[int64]
	doubles []box[float64]
	bools   []box[bool]
}

const boxChunk = 1024

func carve[T any](chunk *[]T, n int) []T {
	if cap(*chunk)-len(*chunk) < n {
		*chunk = make([]T, 0, max(boxChunk, n))
	}
	c := *chunk
	s := c[len(c) : len(c) : len(c)+n]
	*chunk = c[:len(c)+n]
	return s
}

func one[T any](chunk *[]T) *T { return &carve(chunk, 1)[:1][0] }

func iface(typ unsafe.Pointer, p unsafe.Pointer) any {
	var a any
	e := (*eface)(unsafe.Pointer(&a))
	e.typ, e.data = typ, p
	return a
}

// kvWriter fills one map whose keys are distinct: with the fast path, by
// appending to a slice carved for exactly n entries; else with Put*.
type kvWriter struct {
	m    pcommon.Map
	kvs  []kv
	box  *boxes
	fast bool
}

// newKVWriter starts filling m, which must be empty, with n entries.
func (b *Batch) newKVWriter(m pcommon.Map, n int, distinct bool) kvWriter {
	if fastKV && !noFastKV && distinct {
		return kvWriter{m: m, kvs: carve(&b.box.kvs, n), box: &b.box, fast: true}
	}
	m.EnsureCapacity(n)
	return kvWriter{m: m}
}

func (w *kvWriter) str(k, v string) {
	if !w.fast {
		w.m.PutStr(k, v)
		return
	}
	appendBoxed(w, &w.box.strs, wrapperTypes.str, k, v)
}

func (w *kvWriter) int(k string, v int64) {
	if !w.fast {
		w.m.PutInt(k, v)
		return
	}
	appendBoxed(w, &w.box.ints, wrapperTypes.int, k, v)
}

func (w *kvWriter) double(k string, v float64) {
	if !w.fast {
		w.m.PutDouble(k, v)
		return
	}
	appendBoxed(w, &w.box.doubles, wrapperTypes.double, k, v)
}

func (w *kvWriter) bool(k string, v bool) {
	if !w.fast {
		w.m.PutBool(k, v)
		return
	}
	appendBoxed(w, &w.box.bools, wrapperTypes.bool, k, v)
}

// appendBoxed appends k with v in a wrapper carved from chunk, typ being
// the wrapper's type word.
func appendBoxed[T any](w *kvWriter, chunk *[]box[T], typ unsafe.Pointer, k string, v T) {
	p := one(chunk)
	p.v = v
	i := len(w.kvs)
	if i == cap(w.kvs) {
		w.kvs = append(w.kvs, kv{})
	} else {
		w.kvs = w.kvs[:i+1] // carved zeroed: keyStrindex is already 0
	}
	// sobject.Field by field: storing the whole struct goes through typedmemmove,
	// whose bulk write barrier walks the type's pointer bitmap on every
	// entry while the GC marks.
	e := &w.kvs[i]
	e.value.v = iface(typ, unsafe.Pointer(p))
	e.key = k
}

// done hands the entries to the map.
func (w *kvWriter) done() {
	if w.fast {
		orig := *(**[]kv)(unsafe.Pointer(&w.m)) // Map's orig *[]internal.KeyValue
		*orig = w.kvs
	}
}
