package catalog

import (
	"fmt"
	"slices"
	"strings"
)

// The README's and docs/catalog.md's tables are rendered from the catalog
// (TestDocsFollowTheCatalog keeps them in step): between the markers
// <!-- catalog:NAME --> and <!-- /catalog:NAME --> stands Markdown(NAME).

// Sections names every rendered section.
var Sections = []string{"permissions", "severity", "objects", "storage", "events", "event-log-objects",
	"event-log-files", "roles", "field-severity", "object-rules", "inventory"}

// Markdown renders one section.
func Markdown(section string) string {
	var b strings.Builder
	switch section {
	case "permissions":
		permissions(&b)
	case "severity":
		severity(&b)
	case "objects":
		objectTable(&b, OfKind(KindObject))
	case "storage":
		storageTable(&b)
	case "events":
		eventTable(&b)
	case "event-log-objects":
		eloTable(&b)
	case "event-log-files":
		elfTable(&b)
	case "roles":
		roleTable(&b)
	case "field-severity":
		fieldSeverity(&b)
	case "object-rules":
		objectRules(&b)
	case "inventory":
		inventoryTable(&b)
	default:
		panic("catalog: no section " + section)
	}
	return b.String()
}

func link(name, doc string) string { return "[" + name + "](" + doc + ")" }

func permissions(b *strings.Builder) {
	row := func(needs, stream, why string) { fmt.Fprintf(b, "| %s | %s | %s |\n", needs, stream, why) }
	b.WriteString("| permission | stream | what to grant |\n|---|---|---|\n")
	row("API Enabled", "every stream", "every read is a REST or Pub/Sub API call")
	for _, o := range []struct{ object, stream string }{
		{"LoginHistory", "`login_history`"}, {"SetupAuditTrail", "`setup_audit_trail` (and the start-up limits read)"},
		{"EventLogFile", "`event_log_file`"},
	} {
		e := Lookup(o.object)
		row(e.Access.Needs, o.stream, e.Access.Fix)
	}
	storage := storageAccess("the object")
	row(storage.Needs, "`objects` naming a storage object (LoginEvent, ApiAnomalyEventStore, ...) and `pubsub` topics of Real-Time Event Monitoring events",
		strings.Replace(storage.Fix, "storage for the object", "storage (objects) or streaming (topics) for each event", 1))
	for _, e := range All() {
		if e.Kind == KindStorage && e.Access != storageAccess(e.Name) {
			row(e.Access.Needs, "`objects: "+e.Name+"`", e.Access.Fix)
		}
		if a := e.TopicAccess(); e.Topic != "" && a.Needs != e.Access.Needs {
			row(a.Needs, "`pubsub` topic `/event/"+e.Topic+"`", a.Fix)
		}
		if e.Kind == KindEvent && e.Access != storageAccess(e.Name) && !strings.HasPrefix(e.Name, "Mobile") {
			row(e.Access.Needs, "`pubsub` topic `/event/"+e.Name+"`", e.Access.Fix)
		}
	}
	mobile := Lookup("MobileEmailEvent").Access
	row(mobile.Needs, "`pubsub` topics of the mobile events (`/event/MobileEmailEvent`, ...)", mobile.Fix)
	row(eventLogObjectAccess.Needs, "`event_log_objects`, and `objects` naming an Event Log Object", eventLogObjectAccess.Fix)
	for _, e := range OfKind(KindInventory) {
		if e.Name != "ExternalClientApplication" && e.Name != "PermissionSet" { // the same access as the rows above them
			row(e.Access.Needs, "`inventory` ("+e.Name+")", e.Access.Fix)
		}
	}
	row("Read on the object, and field access", "`objects` naming any other object", "an ordinary object's sharing and field-level security")
}

func severity(b *strings.Builder) {
	var threats, logins []string
	for _, e := range All() {
		if e.Threat() {
			threats = append(threats, "`"+e.Topic+"` / `"+e.Name+"`")
		}
		if e.Status != "" {
			f, ok, _ := strings.Cut(e.Status, "=")
			logins = append(logins, fmt.Sprintf("%s `%s` other than `%s`", e.Name, f, ok))
		}
	}
	for _, r := range RolesOf(nil)[RoleLoginStatus] {
		logins = append(logins, fmt.Sprintf("`%s` other than `%s`", r.Field, r.OK))
	}
	var req []string
	for _, r := range RolesOf(nil)[RoleRequestStatus] {
		req = append(req, "`"+r.Field+"`")
	}
	fmt.Fprintf(b, "Severity is WARN for every failed login, whatever the source (%s, from a topic or its storage object alike),\n", strings.Join(logins, ", "))
	fmt.Fprintf(b, "for failed or refused requests (%s `F` or `A`), and for every record of the Threat Detection events\n", strings.Join(req, " or "))
	fmt.Fprintf(b, "(%s); INFO otherwise.\n", strings.Join(threats, ", "))
}

func objectTable(b *strings.Builder, es []*Entry) {
	b.WriteString("| object | API | key | time | needs |\n|---|---|---|---|---|\n")
	for _, e := range es {
		fmt.Fprintf(b, "| %s | %s | `%s` | `%s` | %s |\n", link(e.Name, e.Doc), e.Since, e.Key, e.Timestamp, e.Access.Needs)
	}
}

func storageTable(b *strings.Builder) {
	b.WriteString("| storage object | kind | API | topic (`/event/...`) | paged on | severity | needs |\n|---|---|---|---|---|---|---|\n")
	for _, e := range OfKind(KindStorage) {
		kind, topic, sev := "standard object", "none (stored only)", "by `"+e.Status+"`"
		if e.Big {
			kind = "big object"
		}
		if e.Topic != "" {
			topic = link(e.Topic, e.TopicDoc) + " (" + e.TopicSince + ")"
		}
		switch {
		case e.Threat():
			sev = "WARN (threat)"
		case e.Status == "":
			sev = "INFO"
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | `%s` | %s | %s |\n", link(e.Name, e.Doc), kind, e.Since, topic, e.CursorField(), sev, e.Access.Needs)
	}
}

func eventTable(b *strings.Builder) {
	b.WriteString("| event (`/event/...`) | API | needs |\n|---|---|---|\n")
	for _, e := range OfKind(KindEvent) {
		fmt.Fprintf(b, "| %s | %s | %s |\n", link(e.Name, e.Doc), e.Since, e.Access.Needs)
	}
}

func eloTable(b *strings.Builder) {
	b.WriteString("| Event Log Object | API | EventLogFile type | user | client | URL |\n|---|---|---|---|---|---|\n")
	for _, e := range OfKind(KindEventLogObject) {
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", link(e.Name, e.Doc), e.Since, e.EventLogFile,
			firstRoleField(e, "user.id"), firstRoleField(e, "client.address"), firstRoleField(e, "url.path"))
	}
}

// firstRoleField is the field of e that feeds role first, as code ("": none).
func firstRoleField(e *Entry, role string) string {
	for _, r := range RolesOf(e)[role] {
		if e.Field(r.Field) != nil {
			return "`" + r.Field + "`"
		}
	}
	return ""
}

func elfTable(b *strings.Builder) {
	b.WriteString("| event type | without Event Monitoring | user | client | user agent | columns (`LogFileFieldTypes` type, API version) |\n|---|---|---|---|---|---|\n")
	for _, e := range EventTypes() {
		free := "no"
		if e.Free {
			free = "yes"
		}
		cols := make([]string, len(e.Fields))
		for i, f := range e.Fields {
			cols[i] = "`" + f.Name + "` " + f.Type
			if f.Since != "" {
				cols[i] += " (" + f.Since + ")"
			}
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", link(e.Name, e.Doc), free,
			firstRoleField(e, "user.id"), firstRoleField(e, "client.address"), firstRoleField(e, "user_agent.original"),
			strings.Join(cols, ", "))
	}
}

// attributeRoles are the roles that become attributes, in the order the
// docs list them.
var attributeRoles = []string{"salesforce.record.id", "user.id", "user.name", "client.address", "user_agent.original",
	"url.path", "session.id", "salesforce.login.key", "salesforce.login_history.id"}

func codes(rs []RoleField) string {
	var out []string
	for _, r := range rs {
		out = append(out, "`"+r.Field+"`")
	}
	return strings.Join(out, ", ")
}

func roleTable(b *strings.Builder) {
	shared := RolesOf(nil)
	b.WriteString("| attribute | from, in order of preference |\n|---|---|\n")
	for _, role := range attributeRoles {
		fmt.Fprintf(b, "| `%s` | %s |\n", role, codes(shared[role]))
	}
}

func fieldSeverity(b *strings.Builder) {
	shared := RolesOf(nil)
	b.WriteString("| field | WARN when |\n|---|---|\n")
	for _, r := range shared[RoleLoginStatus] {
		fmt.Fprintf(b, "| `%s` | not empty and not `%s` |\n", r.Field, r.OK)
	}
	for _, r := range shared[RoleRequestStatus] {
		fmt.Fprintf(b, "| `%s` | `F` (failure) or `A` (authorization error) |\n", r.Field)
	}
}

func objectRules(b *strings.Builder) {
	b.WriteString("| object | read by | severity | its own fields for attributes |\n|---|---|---|---|\n")
	for _, e := range append(All(), EventTypes()...) {
		if !e.Threat() && e.Status == "" && len(e.Roles) == 0 {
			continue
		}
		read := "`objects` entry `" + e.Name + "`"
		switch {
		case e.Kind == KindEventLogFile:
			read = "`event_log_file`, event type `" + e.Name + "`"
		case e.Kind == KindInventory:
			read = "`inventory`; " + read
		case e.Name == "LoginHistory":
			read = "`login_history`; " + read
		case e.Topic != "":
			read += "; topic `/event/" + e.Topic + "`"
		}
		sev := "no object rule"
		switch {
		case e.Threat():
			sev = "always WARN"
		case e.Status != "":
			f, ok, _ := strings.Cut(e.Status, "=")
			sev = "WARN when `" + f + "` is present and not `" + ok + "`"
		}
		var own []string
		roles := slices.Sorted(func(yield func(string) bool) {
			for r := range e.Roles {
				if !yield(r) {
					return
				}
			}
		})
		for _, role := range roles {
			var fs, not []RoleField
			for _, f := range e.Roles[role] {
				if name, ok := strings.CutPrefix(f, "-"); ok {
					not = append(not, RoleField{Field: name})
					continue
				}
				fs = append(fs, RoleField{Field: f})
			}
			if len(fs) > 0 {
				own = append(own, "`"+role+"` = "+codes(fs))
			}
			if len(not) > 0 {
				own = append(own, "`"+role+"` not from "+codes(not))
			}
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", e.Name, read, sev, strings.Join(own, "; "))
	}
}

func inventoryTable(b *strings.Builder) {
	b.WriteString("| object | API | read | needs | never read (secret) |\n|---|---|---|---|---|\n")
	for _, e := range OfKind(KindInventory) {
		read := "every poll, in full"
		switch {
		case e.Name == "PermissionSet":
			read = "its describe only: which `Permissions*` fields the org has"
		case e.Optional:
			read += ", where the org's describe shows it"
		}
		var secret []string
		for _, f := range e.Secret {
			secret = append(secret, "`"+f+"`")
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", link(e.Name, e.Doc), e.Since, read, e.Access.Needs, strings.Join(secret, ", "))
	}
}

// Splice replaces each rendered section of doc (between its markers) with
// the catalog's, and reports the sections it found.
func Splice(doc string) (string, []string) {
	var found []string
	for _, name := range Sections {
		start, end := "<!-- catalog:"+name+" -->\n", "<!-- /catalog:"+name+" -->"
		for off := 0; ; {
			i := strings.Index(doc[off:], start)
			if i < 0 {
				break
			}
			i += off + len(start)
			j := strings.Index(doc[i:], end)
			if j < 0 {
				break
			}
			doc = doc[:i] + Markdown(name) + doc[i+j:]
			off = i + len(Markdown(name)) + len(end)
			if !slices.Contains(found, name) {
				found = append(found, name)
			}
		}
	}
	return doc, found
}
