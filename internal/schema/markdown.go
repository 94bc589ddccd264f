package schema

import (
	"fmt"
	"strings"
)

// docs/schemas.md's table of sources is rendered from the table
// (TestDocsFollowTheTable keeps it in step): between <!-- schema:sources -->
// and <!-- /schema:sources --> stands Markdown().

// Markdown renders the table of what each source becomes in each schema.
func Markdown() (string, error) {
	t, err := load()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("| Salesforce source | ECS `event.dataset` / `event.action` | OCSF class: activity | CIM data model (sourcetype) |\n|---|---|---|---|\n")
	for _, r := range t.rules {
		var from []string
		for i, src := range r.from {
			name := "`" + src + "`"
			if i == 0 && r.doc != "" {
				name = "[" + name + "](" + r.doc + ")"
			}
			from = append(from, name)
		}
		fmt.Fprintf(&b, "| %s | `%s` / %s | %s | %s |\n", strings.Join(from, ", "), r.act.ECS.Dataset, ecsAction(r),
			ocsfCell(r.act), cimCell(r.act))
	}
	b.WriteString("| any other record | `salesforce.<event type>` / the event type (`content-transfer`) | Base Event: Other | none (`salesforce:<event type>`) |\n")
	return b.String(), nil
}

func ecsAction(r *rule) string {
	for _, p := range r.ecs {
		if p.key != "event.action" {
			continue
		}
		if v, ok := p.value.(string); ok {
			return "`" + v + "`"
		}
		for name, f := range factNames {
			if int(f) == p.slot {
				return "the record's `" + name + "`"
			}
		}
	}
	if r.act.ECS.Action != "" {
		return "`" + r.act.ECS.Action + "`"
	}
	return "the event type"
}

func ocsfCell(a *Activity) string {
	o := a.OCSF
	if o.Class == 0 {
		return "Base Event: Other"
	}
	c := ocsfClasses[o.Class]
	switch o.ActivityFrom {
	case "http":
		return fmt.Sprintf("%s (%d): by HTTP method or operation", c.name, o.Class)
	case "setup":
		return fmt.Sprintf("Account Change (%d) for a user Display names, else %s (%d): by the Action", classAccountChange, c.name, o.Class)
	}
	return fmt.Sprintf("%s (%d): %s", c.name, o.Class, c.activities[o.Activity])
}

func cimCell(a *Activity) string {
	if a.CIM.Model == "" {
		return "none (`" + a.CIM.Sourcetype + "`)"
	}
	return a.CIM.Model + " (`" + a.CIM.Sourcetype + "`)"
}

// Splice renders the table into a document between its markers and says
// whether it found them.
func Splice(doc string) (string, bool, error) {
	const start, end = "<!-- schema:sources -->\n", "<!-- /schema:sources -->"
	i := strings.Index(doc, start)
	if i < 0 {
		return doc, false, nil
	}
	i += len(start)
	j := strings.Index(doc[i:], end)
	if j < 0 {
		return doc, false, nil
	}
	md, err := Markdown()
	if err != nil {
		return doc, false, err
	}
	return doc[:i] + md + doc[i+j:], true, nil
}
