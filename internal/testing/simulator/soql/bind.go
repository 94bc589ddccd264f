package soql

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/org"
	"github.com/sfevents/salesforcereceiver/internal/testing/simulator/sfid"
)

// ---- binding: names → schema fields, literal type checks ----

// Bind resolves the query's object and field names in reg, as view sees
// them (nil: everything), checks its literals against the fields' types,
// and enforces the rules of big objects and Event Log Objects.
func (q *Query) Bind(reg org.Registry, view *org.View) error {
	q.view = view
	return q.bind(reg)
}

func (q *Query) bind(reg org.Registry) error {
	q.schema = reg.Lookup(q.object)
	if q.schema != nil && !q.view.ObjectVisible(q.schema) {
		q.schema = nil // not in this API version
	}
	if q.schema == nil {
		return errAt("INVALID_TYPE", q.src, q.objPos, fmt.Sprintf("sObject type '%s' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.", q.object))
	}
	for i := range q.fields {
		ref, err := q.resolve(reg, q.fields[i].name, q.fields[i].pos)
		if err != nil {
			return err
		}
		q.fields[i].ref = ref
	}
	for i := range q.order {
		ref, err := q.resolve(reg, q.order[i].name, q.order[i].pos)
		if err != nil {
			return err
		}
		q.order[i].ref = ref
	}
	if err := q.bindNode(reg, q.where); err != nil {
		return err
	}
	// Big objects and Event Log Objects restrict SOQL beyond the generic
	// engine (bigobjects.go, eventlogobjects.go).
	switch {
	case q.schema.Big:
		return bigObjectCheck(q)
	case q.schema.ELO:
		return eloCheck(q)
	}
	return nil
}

func (q *Query) resolve(reg org.Registry, name string, pos int) (*Column, error) {
	parts := strings.Split(name, ".")
	// Salesforce tolerates the object name as a prefix: LoginHistory.Id.
	if len(parts) > 1 && strings.EqualFold(parts[0], q.schema.Name) {
		parts = parts[1:]
	}
	noColumn := func() error {
		return errAt("INVALID_FIELD", q.src, pos, fmt.Sprintf("No such column '%s' on entity '%s'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.", name, q.schema.Name))
	}
	switch len(parts) {
	case 1:
		// A field of a newer API version, or hidden by field-level
		// security, does not exist for this request.
		f := q.schema.Field(parts[0])
		if f == nil || !q.view.FieldVisible(q.schema, f) {
			return nil, noColumn()
		}
		return &Column{Path: f.Name, Field: f}, nil
	case 2:
		rf := q.schema.Rel(parts[0])
		if rf != nil && !q.view.FieldVisible(q.schema, rf) {
			rf = nil // an invisible lookup takes its relationship with it
		}
		if rf == nil {
			return nil, errAt("INVALID_FIELD", q.src, pos, fmt.Sprintf("Didn't understand relationship '%s' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.", parts[0]))
		}
		target := reg.Lookup(rf.RefObject)
		f := target.Field(parts[1])
		if f != nil && !q.view.FieldVisible(target, f) {
			f = nil
		}
		if f == nil {
			return nil, errAt("INVALID_FIELD", q.src, pos, fmt.Sprintf("No such column '%s' on entity '%s'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.", parts[1], target.Name))
		}
		return &Column{Path: rf.RelName + "." + f.Name, Rel: rf.RelName, RelTo: target.Name, Field: f}, nil
	}
	return nil, errAt("INVALID_FIELD", q.src, pos, fmt.Sprintf("Didn't understand relationship '%s' in field path.", strings.Join(parts[:len(parts)-1], ".")))
}

func (q *Query) bindNode(reg org.Registry, n node) error {
	switch n := n.(type) {
	case nil:
		return nil
	case andNode:
		return cmp.Or(q.bindNode(reg, n.l), q.bindNode(reg, n.r))
	case orNode:
		return cmp.Or(q.bindNode(reg, n.l), q.bindNode(reg, n.r))
	case notNode:
		return q.bindNode(reg, n.x)
	case *condNode:
		ref, err := q.resolve(reg, n.name, n.pos)
		if err != nil {
			return err
		}
		n.ref = ref
		if n.fn != "" {
			return q.checkDateFn(n)
		}
		if n.kind == condLike {
			if ref.Field.Type != org.TypeString {
				return errAt("INVALID_FIELD", q.src, n.pos, fmt.Sprintf("invalid operator on %s field: %s", ref.Field.Type, ref.Path))
			}
			n.like = likeRegexp(n.lits[0].raw)
			return nil
		}
		for i := range n.lits {
			if err := q.checkLiteral(ref, &n.lits[i]); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("simulator: unknown node %T", n)
}

// checkDateFn checks a date function's field and literals: a date-time
// field; a date for DAY_ONLY, a number for the others. The messages are
// the simulator's own.
func (q *Query) checkDateFn(n *condNode) error {
	if n.ref.Field.Type != org.TypeDateTime {
		return errAt("INVALID_FIELD", q.src, n.pos, fmt.Sprintf("%s can only be applied to a date or datetime field: %s", n.fn, n.ref.Path))
	}
	if n.kind == condLike {
		return errAt("INVALID_FIELD", q.src, n.opPos, fmt.Sprintf("invalid operator on %s(%s)", n.fn, n.ref.Path))
	}
	for _, l := range n.lits {
		want, what := litNumber, "a number"
		if n.fn == "DAY_ONLY" {
			want, what = litDate, "a date"
		}
		if l.kind != want && l.kind != litNull {
			return errAt("INVALID_FIELD", q.src, l.pos, fmt.Sprintf("value of filter criterion for %s(%s) must be %s", n.fn, n.ref.Path, what))
		}
	}
	return nil
}

func (q *Query) checkLiteral(ref *Column, l *literal) error {
	if l.kind == litNull {
		return nil
	}
	mismatch := func(quoted bool) error {
		how := "should not be enclosed in quotes"
		if quoted {
			how = "should be enclosed in quotes"
		}
		return errAt("INVALID_FIELD", q.src, l.pos, fmt.Sprintf("value of filter criterion for field '%s' must be of type %s and %s", ref.Path, ref.Field.Type, how))
	}
	switch ref.Field.Type {
	case org.TypeID, org.TypeReference:
		if l.kind != litString {
			return mismatch(true)
		}
		if !sfid.Valid(l.s) {
			return errAt("INVALID_QUERY_FILTER_OPERATOR", q.src, l.pos, "invalid ID field: "+l.s)
		}
		if len(l.s) == 15 {
			l.s = sfid.WithChecksum(l.s)
		}
	case org.TypeString:
		if l.kind != litString {
			return mismatch(true)
		}
	case org.TypeDateTime:
		if l.kind != litDateTime && l.kind != litDate {
			return mismatch(false)
		}
	case org.TypeInt, org.TypeDouble:
		if l.kind != litNumber {
			return mismatch(false)
		}
	case org.TypeBoolean:
		if l.kind != litBool {
			return mismatch(false)
		}
	}
	return nil
}
