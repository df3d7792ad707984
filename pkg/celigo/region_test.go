package celigo

import (
	"strings"
	"testing"
)

func TestNormalizeRegion(t *testing.T) {
	cases := map[string]string{
		"":       "us",
		"   ":    "us",
		"us":     "us",
		"US":     "us",
		" eu ":   "eu",
		"Eu":     "eu",
		"apac":   "apac", // folded, not validated
		"\tEU\n": "eu",
	}
	for in, want := range cases {
		if got := NormalizeRegion(in); got != want {
			t.Errorf("NormalizeRegion(%q): NormalizeRegion(in) = %q, want %q", in, got, want)
		}
	}
}

func TestValidateRegion(t *testing.T) {
	for _, ok := range []string{"", "us", "eu", "US", " Eu "} {
		if err := ValidateRegion(ok); err != nil {
			t.Errorf("region %q: %v", ok, err)
		}
	}
	for _, bad := range []string{"apac", "ap", "us-east-1", "europe", "u s", "usa"} {
		err := ValidateRegion(bad)
		if err == nil {
			t.Fatalf("region %q: err = nil, want an error", bad)
		}
		if !strings.Contains(err.Error(), `"us"`) {
			t.Errorf("message should name the US region: err = %q, want it to contain %q", err, `"us"`)
		}
		if !strings.Contains(err.Error(), `"eu"`) {
			t.Errorf("message should name the EU region: err = %q, want it to contain %q", err, `"eu"`)
		}
		if !strings.Contains(err.Error(), bad) {
			t.Errorf("message should quote what was given: err = %q, want it to contain %q", err, bad)
		}
	}
}

func TestUIURL(t *testing.T) {
	if got := UIURL(""); got != "https://integrator.io" {
		t.Errorf(`UIURL("") = %q, want %q`, got, "https://integrator.io")
	}
	if got := UIURL("us"); got != "https://integrator.io" {
		t.Errorf(`UIURL("us") = %q, want %q`, got, "https://integrator.io")
	}
	if got := UIURL("EU"); got != "https://eu.integrator.io" {
		t.Errorf(`UIURL("EU") = %q, want %q`, got, "https://eu.integrator.io")
	}
	if got := UIURL("mars"); got != "https://integrator.io" {
		t.Errorf(`unknown regions fall back to the US app: UIURL("mars") = %q, want %q`, got, "https://integrator.io")
	}
}

func TestResolveBaseURL(t *testing.T) {
	ok := []struct {
		name, region, override, want string
	}{
		{"default is us", "", "", "https://api.integrator.io"},
		{"us", "us", "", "https://api.integrator.io"},
		{"eu", "eu", "", "https://api.eu.integrator.io"},
		{"eu folded", " EU ", "", "https://api.eu.integrator.io"},
		{"override https", "eu", "https://proxy.example.com", "https://proxy.example.com"},
		{"override trailing slash dropped", "", "https://proxy.example.com/celigo/", "https://proxy.example.com/celigo"},
		{"override trimmed", "", "  https://proxy.example.com:8443  ", "https://proxy.example.com:8443"},
		{"http loopback v4", "", "http://127.0.0.1:8080", "http://127.0.0.1:8080"},
		{"http loopback v4 other", "", "http://127.0.0.2:8080", "http://127.0.0.2:8080"},
		{"http loopback v6", "", "http://[::1]:8080", "http://[::1]:8080"},
		{"http localhost", "", "http://localhost:9000", "http://localhost:9000"},
		{"http LOCALHOST", "", "http://LOCALHOST:9000", "http://LOCALHOST:9000"},
	}
	for _, tc := range ok {
		t.Run(tc.name, func(t *testing.T) {
			u, err := ResolveBaseURL(tc.region, tc.override)
			if err != nil {
				t.Fatalf("ResolveBaseURL: %v", err)
			}
			if got := u.String(); got != tc.want {
				t.Errorf("u.String() = %q, want %q", got, tc.want)
			}
		})
	}

	bad := []struct {
		name, region, override string
		wantInMsg              []string
	}{
		{"unknown region", "apac", "", []string{`"us"`, `"eu"`}},
		{"unknown region even with override", "apac", "https://proxy.example.com", []string{`"us"`, `"eu"`}},
		{"http to a remote host", "", "http://api.integrator.io", []string{"http", "loopback", "https"}},
		{"http to a private ip", "", "http://10.0.0.5:8080", []string{"loopback"}},
		{"http to any address", "", "http://0.0.0.0:8080", []string{"loopback"}},
		{"http to a look-alike host", "", "http://localhost.evil.example", []string{"loopback"}},
		{"http to a look-alike ip host", "", "http://127.0.0.1.nip.io", []string{"loopback"}},
		{"ftp", "", "ftp://api.integrator.io", []string{"https://"}},
		{"ws", "", "ws://127.0.0.1:1", []string{"https://"}},
		{"no scheme", "", "api.integrator.io", []string{"absolute"}},
		{"host:port only", "", "localhost:8080", []string{}},
		{"scheme only", "", "https://", []string{"absolute"}},
		{"unparsable", "", "https://[::1", []string{"absolute"}},
		{"credentials", "", "https://user:pass@api.integrator.io", []string{"credentials"}},
		{"user only", "", "https://user@api.integrator.io", []string{"credentials"}},
		{"query", "", "https://api.integrator.io/?token=x", []string{"query"}},
		{"fragment", "", "https://api.integrator.io/#x", []string{"fragment"}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			u, err := ResolveBaseURL(tc.region, tc.override)
			if err == nil {
				t.Fatalf("got %v: err = nil, want an error", u)
			}
			if u != nil {
				t.Errorf("u = %v, want nil", u)
			}
			for _, s := range tc.wantInMsg {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("err = %q, want it to contain %q", err, s)
				}
			}
		})
	}
}

func TestIsLoopbackHost(t *testing.T) {
	for _, h := range []string{"127.0.0.1", "127.1.2.3", "::1", "localhost", "LocalHost"} {
		if !IsLoopbackHost(h) {
			t.Errorf("%s: IsLoopbackHost(h) is false", h)
		}
	}
	for _, h := range []string{"", "0.0.0.0", "10.0.0.1", "api.integrator.io", "localhost.example", "[::1]", "::"} {
		if IsLoopbackHost(h) {
			t.Errorf("%s: IsLoopbackHost(h) is true", h)
		}
	}
}
