package schema

import (
	_ "embed"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/sfevents/salesforcereceiver/internal/catalog"
)

//go:embed table.yaml
var tableYAML []byte

// Activity is what a kind of Salesforce record is in each schema.
type Activity struct {
	Name string `yaml:"-"`
	ECS  struct {
		Dataset  string   `yaml:"dataset"`
		Action   string   `yaml:"action"`
		Kind     string   `yaml:"kind"`
		Category []string `yaml:"category"`
		Type     []string `yaml:"type"`
	} `yaml:"ecs"`
	OCSF struct {
		Class    int `yaml:"class"`
		Activity int `yaml:"activity"`
		// ActivityFrom derives the activity from the record: "http"
		// (the HTTP method or the operation's verb), "setup" (the Setup
		// Audit Trail action).
		ActivityFrom string `yaml:"activity_from"`
	} `yaml:"ocsf"`
	CIM struct {
		Model      string `yaml:"model"`
		Sourcetype string `yaml:"sourcetype"`
	} `yaml:"cim"`
}

// table is the parsed, compiled table.yaml.
type table struct {
	ECSVersion, OCSFVersion string
	activities              map[string]*Activity
	rules                   []*rule
	bySource                map[string]*rule // "elf:Login", "LoginEvent", ...
	fallback                map[origin]*rule
}

// origin is where a record comes from, which decides the default fields.
type origin uint8

const (
	originObject origin = iota // LoginHistory, SetupAuditTrail, any other object
	originELF
	originEventLogObject
	originRTEM
	numOrigins
)

var originNames = map[string]origin{"elf": originELF, "event_log_object": originEventLogObject, "rtem": originRTEM}

// rule is one compiled rule: the sources it maps and where each fact is.
type rule struct {
	from     []string
	doc      string
	act      *Activity
	origin   origin
	byField  map[string][]ref // body field → the slots it feeds
	byAttr   map[string][]ref // receiver attribute → the slots it feeds
	outcome  outcomeRule
	consts   [numFacts]string
	lookups  [numFacts]map[string]string
	ecs      []placement
	raws     []string // body fields the placements read as they are: slots numFacts+i
	own      []string // the fields the rule names itself (not the defaults'), for TestTableAgainstCatalog
	fallback bool
}

// ref is one slot a field feeds, with its priority there (0 first) and,
// for a duration, the nanoseconds per unit.
type ref struct {
	slot  int16
	prio  int8
	scale float64
}

// outcomeRule decides fOutcome from one field, or is a constant.
type outcomeRule struct {
	field, constant  string
	success, failure []string
}

func (o *outcomeRule) decide(v string) string {
	switch {
	case slices.Contains(o.success, v):
		return outcomeSuccess
	case slices.Contains(o.failure, v), len(o.failure) == 0 && v != "":
		return outcomeFailure
	}
	return ""
}

// placement is one ECS field a rule sets from a fact, a body field as it
// is, or a literal.
type placement struct {
	key    string
	slot   int // -1: literal
	lookup map[string]string
	list   bool
	value  any // string or []string
}

// maxRaws bounds the body fields a rule's placements read as they are.
const maxRaws = 8

// ---- parsing ----

type tableDoc struct {
	ECSVersion  string                       `yaml:"ecs_version"`
	OCSFVersion string                       `yaml:"ocsf_version"`
	Lookups     map[string]map[string]string `yaml:"lookups"`
	Activities  map[string]*Activity         `yaml:"activities"`
	Defaults    map[string]map[string]yaml.Node
	Rules       []ruleDoc `yaml:"rules"`
	Fallback    ruleDoc   `yaml:"fallback"`
}

type ruleDoc struct {
	From      []string             `yaml:"from"`
	Doc       string               `yaml:"doc"`
	Activity  string               `yaml:"activity"`
	Fields    map[string]yaml.Node `yaml:"fields"`
	Lookups   map[string]string    `yaml:"lookups"`
	Constants map[string]string    `yaml:"constants"`
	ECS       map[string]yaml.Node `yaml:"ecs"`
}

// binding is where one fact is, as the table says.
type binding struct {
	fields  []string
	outcome outcomeRule
	scale   float64
}

var durationUnits = map[string]float64{"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}

func parseBinding(f fact, n *yaml.Node) (binding, error) {
	var b binding
	switch f {
	case fOutcome:
		var o struct {
			Field   string   `yaml:"field"`
			Value   string   `yaml:"value"`
			Success []string `yaml:"success"`
			Failure []string `yaml:"failure"`
		}
		if err := n.Decode(&o); err != nil {
			return b, err
		}
		if o.Value != "" && o.Value != outcomeSuccess && o.Value != outcomeFailure {
			return b, fmt.Errorf("outcome value %q is not success or failure", o.Value)
		}
		if o.Field != "" && len(o.Success) == 0 {
			return b, errors.New("outcome needs success values")
		}
		b.outcome = outcomeRule{field: o.Field, constant: o.Value, success: o.Success, failure: o.Failure}
		if o.Field != "" {
			b.fields = []string{o.Field}
		}
		return b, nil
	case fDuration:
		var d struct {
			Field string `yaml:"field"`
			Unit  string `yaml:"unit"`
		}
		if err := n.Decode(&d); err != nil {
			return b, err
		}
		if d.Field == "" {
			return b, nil
		}
		scale, ok := durationUnits[d.Unit]
		if !ok {
			return b, fmt.Errorf("duration unit %q is not ns, us, ms or s", d.Unit)
		}
		b.fields, b.scale = []string{d.Field}, scale
		return b, nil
	}
	if n.Kind == yaml.ScalarNode {
		b.fields = []string{n.Value}
		return b, nil
	}
	return b, n.Decode(&b.fields)
}

func parseBindings(m map[string]yaml.Node) (map[fact]binding, error) {
	out := make(map[fact]binding, len(m))
	var errs []error
	for name, n := range m {
		f, ok := factNames[name]
		if !ok {
			errs = append(errs, fmt.Errorf("line %d: %q is not a fact", n.Line, name))
			continue
		}
		b, err := parseBinding(f, &n)
		if err != nil {
			errs = append(errs, fmt.Errorf("line %d: %s: %w", n.Line, name, err))
			continue
		}
		out[f] = b
	}
	return out, errors.Join(errs...)
}

// parseTable reads and compiles the table; every error names its line.
func parseTable(data []byte) (*table, error) {
	var doc tableDoc
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("table.yaml: %w", err)
	}
	t := &table{ECSVersion: doc.ECSVersion, OCSFVersion: doc.OCSFVersion, activities: doc.Activities,
		bySource: map[string]*rule{}, fallback: map[origin]*rule{}}
	var errs []error
	for name, a := range doc.Activities {
		a.Name = name
		if a.OCSF.Class != 0 && a.OCSF.Activity == 0 && a.OCSF.ActivityFrom == "" {
			errs = append(errs, fmt.Errorf("activity %s: ocsf needs activity or activity_from", name))
		}
		if f := a.OCSF.ActivityFrom; f != "" && f != "http" && f != "setup" {
			errs = append(errs, fmt.Errorf("activity %s: activity_from %q is not http or setup", name, f))
		}
	}
	defaults := map[string]map[fact]binding{}
	for name, m := range doc.Defaults {
		if _, ok := originNames[name]; !ok && name != "all" {
			errs = append(errs, fmt.Errorf("defaults: %q is not all, elf, event_log_object or rtem", name))
			continue
		}
		b, err := parseBindings(m)
		if err != nil {
			errs = append(errs, fmt.Errorf("defaults.%s: %w", name, err))
		}
		defaults[name] = b
	}
	for i := range doc.Rules {
		rd := &doc.Rules[i]
		if len(rd.From) == 0 {
			errs = append(errs, fmt.Errorf("rule %d: no from", i))
			continue
		}
		r, err := compileRule(rd, doc.Activities[rd.Activity], sourceOrigin(rd.From[0]), defaults, doc.Lookups)
		if err != nil {
			errs = append(errs, fmt.Errorf("rule %v: %w", rd.From, err))
			continue
		}
		t.rules = append(t.rules, r)
		for _, src := range rd.From {
			if t.bySource[src] != nil {
				errs = append(errs, fmt.Errorf("rule %v: %s is mapped twice", rd.From, src))
			}
			t.bySource[src] = r
		}
	}
	for o := range numOrigins {
		fb := doc.Fallback
		fb.From = []string{"*"}
		r, err := compileRule(&fb, &Activity{Name: "other"}, o, defaults, doc.Lookups)
		if err != nil {
			errs = append(errs, fmt.Errorf("fallback: %w", err))
			break
		}
		r.fallback = true
		t.fallback[o] = r
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("table.yaml: %w", err)
	}
	return t, nil
}

func compileRule(rd *ruleDoc, act *Activity, o origin, defaults map[string]map[fact]binding, lookups map[string]map[string]string) (*rule, error) {
	if act == nil {
		return nil, fmt.Errorf("activity %q is not in activities", rd.Activity)
	}
	r := &rule{from: rd.From, doc: rd.Doc, act: act, origin: o,
		byField: map[string][]ref{}, byAttr: map[string][]ref{}}
	for _, src := range rd.From[1:] {
		if sourceOrigin(src) != r.origin {
			return nil, fmt.Errorf("%s and %s come from different origins", rd.From[0], src)
		}
	}
	own, err := parseBindings(rd.Fields)
	if err != nil {
		return nil, err
	}
	// A rule's own binding of a fact replaces the defaults' (an empty
	// one says the source has none); the origin's defaults come before
	// those every source shares.
	var originName string
	for name, o := range originNames {
		if o == r.origin {
			originName = name
		}
	}
	for _, b := range own {
		for _, field := range b.fields {
			if !strings.HasPrefix(field, "@") {
				r.own = append(r.own, field)
			}
		}
	}
	for f := range numFacts {
		b, ok := own[f]
		if !ok {
			b, ok = defaults[originName][f]
		}
		if !ok {
			b = defaults["all"][f]
		}
		if f == fOutcome {
			r.outcome = b.outcome
		}
		for prio, field := range b.fields {
			rf := ref{slot: int16(f), prio: int8(prio), scale: b.scale}
			if attr, ok := strings.CutPrefix(field, "@"); ok {
				r.byAttr[attr] = append(r.byAttr[attr], rf)
			} else {
				r.byField[field] = append(r.byField[field], rf)
			}
		}
	}
	for name, v := range rd.Constants {
		f, ok := factNames[name]
		if !ok {
			return nil, fmt.Errorf("constants: %q is not a fact", name)
		}
		r.consts[f] = v
	}
	for name, table := range rd.Lookups {
		f, ok := factNames[name]
		if !ok {
			return nil, fmt.Errorf("lookups: %q is not a fact", name)
		}
		if lookups[table] == nil {
			return nil, fmt.Errorf("lookups: %q is not a lookup table", table)
		}
		r.lookups[f] = lookups[table]
	}
	for _, key := range slices.Sorted(maps.Keys(rd.ECS)) {
		n := rd.ECS[key]
		p, err := r.placement(key, &n, lookups)
		if err != nil {
			return nil, fmt.Errorf("ecs %s (line %d): %w", key, n.Line, err)
		}
		r.ecs = append(r.ecs, p)
	}
	return r, nil
}

func (r *rule) placement(key string, n *yaml.Node, lookups map[string]map[string]string) (placement, error) {
	p := placement{key: key, slot: -1}
	var d struct {
		Fact   string `yaml:"fact"`
		Field  string `yaml:"field"`
		Value  any    `yaml:"value"`
		Lookup string `yaml:"lookup"`
		List   bool   `yaml:"list"`
	}
	if n.Kind == yaml.ScalarNode {
		d.Fact = n.Value
	} else if err := n.Decode(&d); err != nil {
		return p, err
	}
	switch {
	case d.Fact != "":
		f, ok := factNames[d.Fact]
		if !ok {
			return p, fmt.Errorf("%q is not a fact", d.Fact)
		}
		p.slot = int(f)
	case d.Field != "":
		if len(r.raws) == maxRaws {
			return p, fmt.Errorf("more than %d raw fields", maxRaws)
		}
		p.slot = int(numFacts) + len(r.raws)
		r.raws = append(r.raws, d.Field)
		r.own = append(r.own, d.Field)
		r.byField[d.Field] = append(r.byField[d.Field], ref{slot: int16(p.slot)})
	case d.Value != nil:
		switch v := d.Value.(type) {
		case string:
			p.value = v
		case []any:
			var list []string
			for _, e := range v {
				list = append(list, fmt.Sprint(e))
			}
			p.value = list
		default:
			return p, fmt.Errorf("value %v is neither a string nor a list", v)
		}
	default:
		return p, errors.New("needs fact, field or value")
	}
	if d.Lookup != "" {
		if p.lookup = lookups[d.Lookup]; p.lookup == nil {
			return p, fmt.Errorf("%q is not a lookup table", d.Lookup)
		}
	}
	p.list = d.List
	return p, nil
}

// sourceOrigin is the origin of a `from` entry: elf:Type is an
// EventLogFile row, anything else an object, by its catalog kind.
func sourceOrigin(src string) origin {
	if t, ok := strings.CutPrefix(src, "elf:"); ok && t != "" {
		return originELF
	}
	return objectOrigin(src)
}

// objectOrigin is an object's origin by the catalog's kind of it: a
// storage object or streaming event is Real-Time Event Monitoring; an
// Event Log Object (or a name Salesforce gives them) is one.
func objectOrigin(object string) origin {
	if catalog.IsEventLogObject(object) {
		return originEventLogObject
	}
	if e := catalog.Lookup(object); e != nil && (e.Kind == catalog.KindStorage || e.Kind == catalog.KindEvent) {
		return originRTEM
	}
	if e := catalog.ByEvent(object); e != nil {
		return originRTEM
	}
	return originObject
}
