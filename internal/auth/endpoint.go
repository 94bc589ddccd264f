package auth

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// CheckURL is the rule for every Salesforce endpoint the receiver is given
// or told (login_url, a token's instance_url): an absolute https URL, plain
// http only for loopback hosts (the local simulator), since requests to it
// carry credentials and tokens.
func CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("not a valid URL")
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%q must be an absolute https:// URL", u.Redacted())
	}
	if u.User != nil {
		return fmt.Errorf("%q must not contain user info", u.Redacted())
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return fmt.Errorf("%q: http:// is only accepted for a loopback host (localhost, 127.0.0.0/8, ::1); use https://", u.Redacted())
	}
	return nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
