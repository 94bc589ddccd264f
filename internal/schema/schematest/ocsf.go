package schematest

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
)

// OCSF is the tests' own data of an OCSF version
// (internal/schema/testdata/ocsf/1.8.0.json, from the schema's files; its
// `source` says which): the classes the mapping emits and every object
// they reach, to check mapped events against.
type OCSF struct {
	Version string                 `json:"version"`
	Classes map[string]*ocsfClass  `json:"classes"`
	Objects map[string]*ocsfObject `json:"objects"`
	Types   map[string]ocsfType    `json:"types"`
}

type ocsfClass struct {
	Caption      string `json:"caption"`
	CategoryUID  int    `json:"category_uid"`
	CategoryName string `json:"category_name"`
	ocsfObject
}

type ocsfObject struct {
	Constraints struct {
		AtLeastOne []string `json:"at_least_one"`
		JustOne    []string `json:"just_one"`
	} `json:"constraints"`
	Attributes        map[string]*ocsfAttr `json:"attributes"`
	ProfileAttributes map[string]*ocsfAttr `json:"profile_attributes"`
}

type ocsfAttr struct {
	Requirement string            `json:"requirement"`
	Type        string            `json:"type"`
	ObjectType  string            `json:"object_type"`
	IsArray     bool              `json:"is_array"`
	Sibling     string            `json:"sibling"`
	Enum        map[string]string `json:"enum"`
	Profiles    []string          `json:"profiles"`
}

type ocsfType struct {
	BaseType string    `json:"base_type"`
	Regex    string    `json:"regex"`
	Range    []float64 `json:"range"`
	MaxLen   int       `json:"max_len"`
}

// LoadOCSF reads the schema data (internal/schema/testdata/ocsf/<version>.json).
func LoadOCSF(path string) (*OCSF, error) {
	b, err := os.ReadFile(path) //nolint:gosec // G304: the test's schema data
	if err != nil {
		return nil, err
	}
	var s OCSF
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &s, nil
}

// Check reports every way ev breaks its class: a missing required
// attribute, an attribute the class (with the profiles the event
// declares) does not have, a value of the wrong type, an enum value the
// class does not list or a sibling that misnames it, a failed at_least_one
// or just_one constraint, a type_uid or category_uid that does not follow
// from the class, a metadata.version that is not the schema's.
func (s *OCSF) Check(ev map[string]any) []string {
	c := &checker{s: s}
	uid, ok := ev["class_uid"].(int64)
	if !ok {
		return []string{"class_uid: missing or not an integer"}
	}
	cls := s.Classes[strconv.FormatInt(uid, 10)]
	if cls == nil {
		return []string{fmt.Sprintf("class_uid %d: not a class the test's schema data has", uid)}
	}
	if md, ok := ev["metadata"].(map[string]any); ok {
		if list, ok := md["profiles"].([]any); ok {
			for _, p := range list {
				c.profiles = append(c.profiles, fmt.Sprint(p))
			}
		}
		if md["version"] != s.Version {
			c.fail("metadata.version", "%v, not %s", md["version"], s.Version)
		}
	}
	c.object("", ev, &cls.ocsfObject)
	if act, ok := ev["activity_id"].(int64); ok && ev["type_uid"] != uid*100+act {
		c.fail("type_uid", "%v, not class_uid*100+activity_id = %d", ev["type_uid"], uid*100+act)
	}
	if ev["category_uid"] != int64(cls.CategoryUID) {
		c.fail("category_uid", "%v, the class's category is %d", ev["category_uid"], cls.CategoryUID)
	}
	return c.problems
}

type checker struct {
	s        *OCSF
	profiles []string
	problems []string
}

func (c *checker) fail(path, format string, args ...any) {
	c.problems = append(c.problems, path+": "+fmt.Sprintf(format, args...))
}

// attr is an attribute of def, core or from a profile the event declares.
func (c *checker) attr(def *ocsfObject, name string) (*ocsfAttr, bool) {
	if a := def.Attributes[name]; a != nil {
		return a, true
	}
	if a := def.ProfileAttributes[name]; a != nil {
		for _, p := range a.Profiles {
			if slices.Contains(c.profiles, p) {
				return a, true
			}
		}
	}
	return nil, false
}

func (c *checker) object(path string, m map[string]any, def *ocsfObject) {
	for k, v := range m {
		p := join(path, k)
		a, ok := c.attr(def, k)
		if !ok {
			c.fail(p, "not an attribute here (with profiles %v)", c.profiles)
			continue
		}
		c.value(p, v, a)
		if a.Enum != nil {
			c.enum(p, m, v, a)
		}
	}
	all := map[string]*ocsfAttr{}
	for k, a := range def.Attributes {
		all[k] = a
	}
	for k := range def.ProfileAttributes {
		if a, ok := c.attr(def, k); ok {
			all[k] = a
		}
	}
	for k, a := range all {
		if _, present := m[k]; a.Requirement == "required" && !present {
			c.fail(join(path, k), "required, missing")
		}
	}
	if l := def.Constraints.AtLeastOne; len(l) > 0 && !slices.ContainsFunc(l, func(k string) bool { _, ok := m[k]; return ok }) {
		c.fail(orEvent(path), "needs at least one of %v", l)
	}
	if l := def.Constraints.JustOne; len(l) > 0 {
		n := 0
		for _, k := range l {
			if _, ok := m[k]; ok {
				n++
			}
		}
		if n != 1 {
			c.fail(orEvent(path), "needs just one of %v, has %d", l, n)
		}
	}
}

// enum checks an enum value and its sibling's caption (for 99, Other, the
// sibling must carry the source's own name).
func (c *checker) enum(path string, m map[string]any, v any, a *ocsfAttr) {
	id, ok := v.(int64)
	if !ok {
		return // the type check said so
	}
	caption, listed := a.Enum[strconv.FormatInt(id, 10)]
	if !listed {
		c.fail(path, "%d is not one of its values %v", id, a.Enum)
		return
	}
	if a.Sibling == "" {
		return
	}
	sib, present := m[a.Sibling]
	switch {
	case !present:
	case id == 99 && (sib == "Other" || sib == ""):
		c.fail(join(path, a.Sibling), "for 99 it should name the source's value, not %q", sib)
	case id != 99 && sib != caption:
		c.fail(join(path, a.Sibling), "%q, the caption of %d is %q", sib, id, caption)
	}
}

func (c *checker) value(path string, v any, a *ocsfAttr) {
	if a.IsArray {
		list, ok := v.([]any)
		if !ok {
			c.fail(path, "%T, want an array of %s", v, a.Type)
			return
		}
		for i, e := range list {
			c.scalar(fmt.Sprintf("%s[%d]", path, i), e, a)
		}
		return
	}
	c.scalar(path, v, a)
}

func (c *checker) scalar(path string, v any, a *ocsfAttr) {
	if a.Type == "object_t" {
		m, ok := v.(map[string]any)
		if !ok {
			c.fail(path, "%T, want object %s", v, a.ObjectType)
			return
		}
		if a.ObjectType == "object" {
			return // "An unordered collection of attributes": anything (unmapped)
		}
		def := c.s.Objects[a.ObjectType]
		if def == nil {
			c.fail(path, "object %s is not in the test's schema data", a.ObjectType)
			return
		}
		c.object(path, m, def)
		return
	}
	// The type's constraints, then its base type's, down to a primitive.
	t := a.Type
	for {
		def := c.s.Types[t]
		if def.Regex != "" {
			if s, ok := v.(string); ok && !regexp.MustCompile(def.Regex).MatchString(s) {
				c.fail(path, "%q does not match %s", s, t)
			}
		}
		if len(def.Range) == 2 {
			if n, ok := v.(int64); ok && (float64(n) < def.Range[0] || float64(n) > def.Range[1]) {
				c.fail(path, "%d is outside %s's range %v", n, t, def.Range)
			}
		}
		if def.MaxLen > 0 {
			if s, ok := v.(string); ok && len(s) > def.MaxLen {
				c.fail(path, "longer than %s's %d", t, def.MaxLen)
			}
		}
		if def.BaseType == "" {
			break
		}
		t = def.BaseType
	}
	ok := true
	switch t {
	case "integer_t", "long_t":
		_, ok = v.(int64)
	case "float_t":
		switch v.(type) {
		case float64, int64:
		default:
			ok = false
		}
	case "string_t":
		_, ok = v.(string)
	case "boolean_t":
		_, ok = v.(bool)
	case "json_t":
	default:
		c.fail(path, "type %s is not one the check knows", t)
		return
	}
	if !ok {
		c.fail(path, "%T %v is not a %s (%s)", v, v, a.Type, t)
	}
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

func orEvent(path string) string {
	if path == "" {
		return "(event)"
	}
	return path
}
