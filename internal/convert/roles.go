package convert

import (
	"fmt"
	"net/netip"
	"strings"
	"sync"

	"github.com/sfevents/salesforcereceiver/internal/catalog"
	"github.com/sfevents/salesforcereceiver/internal/semconv"
)

// Attribute and severity sources. A slot collects the value of the
// highest-priority source field that is present, non-empty and acceptable;
// which fields feed which slot is the catalog's roles table.
const (
	slotRecordID int8 = iota
	slotUserID
	slotUserName
	slotClientAddr
	slotUserAgent
	slotURLPath
	slotSessionID
	slotLoginKey
	slotLoginHistoryID
	slotLoginStatus // severity only: WARN unless it holds the role's OK value
	slotRequestStatus
	numSlots

	numAttrSlots = slotLoginHistoryID + 1 // slots that become attributes
)

// slotAttrs is the attribute each attribute slot becomes, in the order
// they are written; id18 values are Salesforce ids, written in their
// 18-character form.
var slotAttrs = [numAttrSlots]struct {
	key  string
	id18 bool
}{
	slotRecordID:       {key: semconv.AttrRecordID},
	slotUserID:         {key: semconv.AttrUserID, id18: true},
	slotUserName:       {key: semconv.AttrUserName},
	slotClientAddr:     {key: semconv.AttrClientAddr},
	slotUserAgent:      {key: semconv.AttrUserAgent},
	slotURLPath:        {key: semconv.AttrURLPath},
	slotSessionID:      {key: semconv.AttrSessionID},
	slotLoginKey:       {key: semconv.AttrLoginKey},
	slotLoginHistoryID: {key: semconv.AttrLoginHistoryID, id18: true},
}

// roleSlots names the catalog's roles by slot: the attribute slots by
// their attribute, and the roles that only decide severity.
var roleSlots = func() map[string]int8 {
	m := map[string]int8{
		catalog.RoleLoginStatus:   slotLoginStatus,
		catalog.RoleRequestStatus: slotRequestStatus,
	}
	for s, a := range slotAttrs {
		m[a.key] = int8(s)
	}
	return m
}()

// roleRef is one slot a field feeds, with its priority there (0 first).
type roleRef struct {
	slot, prio int8
	ok         string // a login status's success value
}

// Roles is a compiled roles table: source field → the slots it feeds.
type Roles struct {
	byField map[string][]roleRef
}

var (
	sharedRoles *Roles
	sharedOnce  sync.Once
	entryRoles  sync.Map // *catalog.Entry → *Roles
)

// RolesFor compiles e's roles (the shared ones for nil), once per entry.
func RolesFor(e *catalog.Entry) *Roles {
	if e == nil {
		sharedOnce.Do(func() { sharedRoles = compileRoles(catalog.RolesOf(nil)) })
		return sharedRoles
	}
	if r, ok := entryRoles.Load(e); ok {
		return r.(*Roles)
	}
	r, _ := entryRoles.LoadOrStore(e, compileRoles(catalog.RolesOf(e)))
	return r.(*Roles)
}

func compileRoles(roles map[string][]catalog.RoleField) *Roles {
	r := &Roles{byField: map[string][]roleRef{}}
	for role, fields := range roles {
		slot, ok := roleSlots[role]
		if !ok {
			panic(fmt.Sprintf("convert: the catalog names role %q, which no attribute fills", role))
		}
		seen := map[string]bool{}
		for prio, f := range fields {
			if seen[f.Field] {
				continue // an entry's own field that the shared table lists too
			}
			seen[f.Field] = true
			r.byField[f.Field] = append(r.byField[f.Field], roleRef{slot: slot, prio: int8(prio), ok: f.OK})
		}
	}
	return r
}

// lookup is the slots name feeds (nil: none).
func (r *Roles) lookup(name string) []roleRef { return r.byField[name] }

type picks struct {
	val  [numSlots]string
	rank [numSlots]int8 // prio+1 of the value held; 0 = none yet
	ok   string         // the success value of the login status held
}

// offerAll offers v to every slot of refs.
func (p *picks) offerAll(refs []roleRef, v string) {
	for i := range refs {
		p.offer(&refs[i], v)
	}
}

func (p *picks) offer(ref *roleRef, v string) {
	slot, prio := ref.slot, ref.prio
	if v == "" || (p.rank[slot] != 0 && p.rank[slot] <= prio+1) {
		return
	}
	switch slot {
	case slotRecordID:
		if catalog.IsPlaceholderID(v) {
			return // a big object's or Event Log Object's empty Id names no record
		}
	case slotClientAddr:
		// "Salesforce.com IP" and the like are not the client's address;
		// a lower-priority source may still have it (ELF SOURCE_IP).
		if !ipChars(v) {
			return
		}
		if _, err := netip.ParseAddr(v); err != nil {
			return
		}
	case slotUserAgent:
		// A user-agent string always has a product/version token; some
		// sources hold a bare browser name or a numeric client code there
		// (ELF BROWSER_TYPE, RestApi USER_AGENT).
		if !strings.Contains(v, "/") {
			return
		}
	case slotURLPath:
		var ok bool
		if v, ok = urlPath(v); !ok {
			return
		}
	case slotLoginStatus:
		p.ok = ref.ok
	}
	p.val[slot] = v
	p.rank[slot] = prio + 1
}

// warn is the severity rule of the fields: a failed login, or a failed or
// refused request (REQUEST_STATUS F, or A for an authorization error).
func (p *picks) warn() bool {
	if s := p.val[slotLoginStatus]; s != "" && s != p.ok {
		return true
	}
	rs := p.val[slotRequestStatus]
	return rs == "F" || rs == "A"
}

// ipChars reports whether v, up to an IPv6 zone ("%eth0"), has only the
// characters an address can: it turns "Salesforce.com IP" away before
// netip.ParseAddr, whose error would cost an allocation (BenchmarkClientAddrCheck).
func ipChars(v string) bool {
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F', c == '.', c == ':':
		case c == '%' && i > 0:
			return true
		default:
			return false
		}
	}
	return len(v) > 0
}

// urlPath keeps values that already are paths and reduces absolute URLs to
// their path; anything else (ELF sometimes logs a page name) is not a path.
func urlPath(v string) (string, bool) {
	if v[0] == '/' {
		if len(v) > 1 && v[1] == '/' { // scheme-relative //host/path
			return hostRelative(v[2:])
		}
		return v, true
	}
	i := strings.Index(v, "://")
	if i <= 0 {
		return "", false
	}
	return hostRelative(v[i+3:])
}

// hostRelative returns the path of "host[:port]/path?query#frag".
func hostRelative(v string) (string, bool) {
	end := strings.IndexAny(v, "?#")
	if end < 0 {
		end = len(v)
	}
	slash := strings.IndexByte(v[:end], '/')
	if slash < 0 {
		return "/", true
	}
	return v[slash:end], true
}
