package simulator

// Fleets of orgs are the simulator's own test tool: each org is a separate
// Server with its own org id, user and data (nothing here is Salesforce
// knowledge).

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Fleet serves any number of orgs on one listener, each under its own path
// (/org/<n>), as a provider's customer orgs each have their own My Domain:
// each is a whole Server with its own org id, users, data, allowance and
// credentials. An org's login URL and instance URL are both its base URL,
// so a client signs in and reads there as it would at any org.
type Fleet struct {
	orgs []*Server
	srv  *http.Server
	url  string
}

// FleetOrgID is the org id the fleet gives its org n: 18 characters,
// distinct for every n below 10^7.
func FleetOrgID(n int) string { return fmt.Sprintf("00D5g%07dFltEQE", n) }

// NewFleet builds n orgs; opts(i) gives org i's options, to which the
// fleet adds an org id (FleetOrgID), an integration user and a seed of its own
// where they are left empty.
func NewFleet(n int, opts func(i int) Options) *Fleet {
	f := &Fleet{orgs: make([]*Server, n)}
	for i := range f.orgs {
		o := opts(i)
		if o.OrgID == "" {
			o.OrgID = FleetOrgID(i)
		}
		if o.UserID == "" {
			o.UserID = fmt.Sprintf("0055g%07dFltAQE", i)
		}
		if o.Username == "" {
			o.Username = "integration@org" + strconv.Itoa(i) + ".sfsim.example.com"
		}
		if o.Seed == 0 {
			o.Seed = int64(i + 1)
		}
		f.orgs[i] = New(o)
	}
	return f
}

// Start serves every org on addr (e.g. 127.0.0.1:0) until Close.
func (f *Fleet) Start(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	f.url = "http://" + ln.Addr().String()
	for i, s := range f.orgs {
		s.setURL(f.OrgURL(i))
		s.startArrivals()
	}
	f.srv = &http.Server{Handler: f, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = f.srv.Serve(ln) }()
	return nil
}

// Close stops the listener and every org's arrivals.
func (f *Fleet) Close() {
	if f.srv != nil {
		_ = f.srv.Close()
	}
	for _, s := range f.orgs {
		s.Close()
	}
}

// Len is the number of orgs.
func (f *Fleet) Len() int { return len(f.orgs) }

// Org is org i.
func (f *Fleet) Org(i int) *Server { return f.orgs[i] }

// OrgURL is org i's login and instance URL.
func (f *Fleet) OrgURL(i int) string { return f.url + "/org/" + strconv.Itoa(i) }

// ServeHTTP routes /org/<n>/... to org n with the prefix removed.
func (f *Fleet) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/org/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	num, path, _ := strings.Cut(rest, "/")
	i, err := strconv.Atoi(num)
	if err != nil || i < 0 || i >= len(f.orgs) {
		http.NotFound(w, r)
		return
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path = "/" + path
	r2.URL.RawPath = ""
	f.orgs[i].ServeHTTP(w, r2)
}
