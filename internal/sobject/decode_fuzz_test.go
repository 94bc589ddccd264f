package sobject

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
)

// FuzzDecodeRecordMatchesStdlib checks DecodeRecord against encoding/json:
// it accepts exactly the JSON objects encoding/json accepts (up to the
// nesting limit), and flattens them to the same values: nulls and
// "attributes" left out, nested objects joined with a dot, integers that
// fit as int64, other numbers as float64 (their text beyond float64 range),
// arrays as their JSON text.
func FuzzDecodeRecordMatchesStdlib(f *testing.F) {
	for _, s := range []string{
		`{}`,
		`{"attributes":{"type":"LoginHistory","url":"/x"},"Id":"0Ya000000000001AAA","LoginTime":"2024-05-01T12:34:56.000+0000"}`,
		`{"Id":null,"N":1,"F":1.5,"E":1e400,"B":true,"b":false,"Big":123456789012345678901234567890}`,
		`{"CreatedBy":{"attributes":{"type":"User"},"Username":"a@b.c","Manager":{"Name":"M"}}}`,
		`{"Arr":[1,"two",{"three":null}],"Esc":"\u00e9\n\"\\\/\ud83d\ude00","Lone":"\ud800"}`,
		`{"a":1}x`, `[1]`, `"s"`, `{"a":01}`, `{"a":1.}`, `{"a":-}`, `{"a" 1}`, `{"a":tru}`,
		"{\"ctl\":\"a\tb\"}", "{\"bad\":\"\xff\xfe\"}",
		`{"Unknown__c":{"Deep":{"Deeper":{"Deepest":[[[]]]}}},"Num":-0.0e-0}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var rec Record
		err := DecodeRecord(data, &rec)

		var std any
		stdErr := errInvalid
		if json.Valid(data) {
			dec := json.NewDecoder(bytes.NewReader(data))
			dec.UseNumber()
			stdErr = dec.Decode(&std)
		}
		obj, isObj := std.(map[string]any)
		depth := jsonDepth(std)
		switch {
		case err == nil && (stdErr != nil || !isObj):
			t.Fatalf("DecodeRecord accepted what encoding/json rejects (%v): %q", stdErr, data)
		case err != nil && stdErr == nil && isObj && depth <= maxDepth:
			t.Fatalf("DecodeRecord rejected a valid object (depth %d): %v: %q", depth, err, data)
		case err != nil:
			if len(rec.Fields) != 0 {
				t.Fatalf("fields left after an error: %v", rec.Fields)
			}
			return
		}

		want := map[string]any{}
		flatten(want, "", obj)
		names := map[string]int{}
		for _, fl := range rec.Fields {
			names[fl.Name]++
		}
		if len(names) != len(rec.Fields) || hasDuplicateKeys(data) {
			return // duplicate keys (or a.b vs a{b}): encoding/json keeps the last
		}
		if len(rec.Fields) != len(want) {
			t.Fatalf("%d fields, encoding/json flattens to %d: %v vs %v", len(rec.Fields), len(want), rec.Fields, want)
		}
		for _, fl := range rec.Fields {
			w, ok := want[fl.Name]
			if !ok {
				t.Fatalf("field %q not in encoding/json's flattening %v", fl.Name, want)
			}
			if arr, isArr := w.([]any); isArr {
				s, _ := fl.Value.(string)
				if !json.Valid([]byte(s)) || !strings.HasPrefix(s, "[") {
					t.Fatalf("array field %q kept as %q, not its JSON text (%v)", fl.Name, s, arr)
				}
				continue
			}
			if !sameValue(fl.Value, w) {
				t.Fatalf("field %q: got %#v, encoding/json %#v", fl.Name, fl.Value, w)
			}
		}
	})
}

var errInvalid = errors.New("not valid JSON")

func jsonDepth(v any) int {
	switch t := v.(type) {
	case map[string]any:
		d := 0
		for _, c := range t {
			d = max(d, jsonDepth(c))
		}
		return d + 1
	case []any:
		d := 0
		for _, c := range t {
			d = max(d, jsonDepth(c))
		}
		return d + 1
	}
	return 0
}

func flatten(dst map[string]any, prefix string, obj map[string]any) {
	for k, v := range obj {
		if k == "attributes" {
			continue
		}
		switch t := v.(type) {
		case nil:
		case map[string]any:
			flatten(dst, prefix+k+".", t)
		case json.Number:
			s := string(t)
			if i, err := strconv.ParseInt(s, 10, 64); err == nil && !strings.ContainsAny(s, ".eE") {
				dst[prefix+k] = i
			} else if fl, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(fl, 0) {
				dst[prefix+k] = fl
			} else {
				dst[prefix+k] = s
			}
		default:
			dst[prefix+k] = t
		}
	}
}

func sameValue(got, want any) bool {
	if g, ok := got.(float64); ok {
		w, ok := want.(float64)
		return ok && (g == w || math.IsNaN(g) && math.IsNaN(w))
	}
	return got == want
}

// hasDuplicateKeys reports whether any object of valid JSON repeats a key.
func hasDuplicateKeys(data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	type frame struct {
		keys  map[string]bool
		isObj bool
		key   bool // the next string token is a key
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				if top != nil && top.isObj {
					top.key = true
				}
				stack = append(stack, &frame{keys: map[string]bool{}, isObj: true, key: true})
			case '[':
				if top != nil && top.isObj {
					top.key = true
				}
				stack = append(stack, &frame{})
			default:
				stack = stack[:len(stack)-1]
			}
		case string:
			if top != nil && top.isObj && top.key {
				if top.keys[v] {
					return true
				}
				top.keys[v] = true
				top.key = false
				continue
			}
			if top != nil && top.isObj {
				top.key = true
			}
		default:
			if top != nil && top.isObj {
				top.key = true
			}
		}
	}
}
