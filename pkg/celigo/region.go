package celigo

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Regions Celigo runs integrator.io in. They are isolated: a token works only on the host of its region.
const (
	RegionUS = "us"
	RegionEU = "eu"
)

var regionHosts = map[string]string{
	RegionUS: "https://api.integrator.io",
	RegionEU: "https://api.eu.integrator.io",
}

// UIHosts are the web apps matching each region, used to link resources to Celigo's UI.
var uiHosts = map[string]string{
	RegionUS: "https://integrator.io",
	RegionEU: "https://eu.integrator.io",
}

// NormalizeRegion folds case and spaces; "" means the default region.
func NormalizeRegion(region string) string {
	r := strings.ToLower(strings.TrimSpace(region))
	if r == "" {
		return RegionUS
	}
	return r
}

// ValidateRegion refuses anything but the two regions, naming both so the fix is obvious.
func ValidateRegion(region string) error {
	if _, ok := regionHosts[NormalizeRegion(region)]; !ok {
		return fmt.Errorf("region %q is not a Celigo region: use %q or %q", region, RegionUS, RegionEU)
	}
	return nil
}

// UIURL is the base of Celigo's web app for a region.
func UIURL(region string) string {
	if u, ok := uiHosts[NormalizeRegion(region)]; ok {
		return u
	}
	return uiHosts[RegionUS]
}

// ResolveBaseURL picks the API host: an explicit override (tests, proxies) or the region's host.
// Plain http is allowed only for loopback hosts so a token never crosses a network in clear text.
func ResolveBaseURL(region, override string) (*url.URL, error) {
	if err := ValidateRegion(region); err != nil {
		return nil, err
	}
	raw := strings.TrimSpace(override)
	if raw == "" {
		raw = regionHosts[NormalizeRegion(region)]
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("base-url %q is not an absolute URL such as https://api.integrator.io", override)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !IsLoopbackHost(u.Hostname()) {
			return nil, fmt.Errorf("base-url %q uses plain http to a non-loopback host: use https (http is only for 127.0.0.1, ::1 or localhost)", override)
		}
	default:
		return nil, fmt.Errorf("base-url %q must start with https://", override)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("base-url %q must be a plain scheme://host[:port][/path] with no credentials, query or fragment", override)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// IsLoopbackHost reports whether host names this machine only.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
