package celigo

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
		assert.Equal(t, want, NormalizeRegion(in), "NormalizeRegion(%q)", in)
	}
}

func TestValidateRegion(t *testing.T) {
	for _, ok := range []string{"", "us", "eu", "US", " Eu "} {
		assert.NoError(t, ValidateRegion(ok), "region %q", ok)
	}
	for _, bad := range []string{"apac", "ap", "us-east-1", "europe", "u s", "usa"} {
		err := ValidateRegion(bad)
		require.Error(t, err, "region %q", bad)
		assert.Contains(t, err.Error(), `"us"`, "message should name the US region")
		assert.Contains(t, err.Error(), `"eu"`, "message should name the EU region")
		assert.Contains(t, err.Error(), bad, "message should quote what was given")
	}
}

func TestUIURL(t *testing.T) {
	assert.Equal(t, "https://integrator.io", UIURL(""))
	assert.Equal(t, "https://integrator.io", UIURL("us"))
	assert.Equal(t, "https://eu.integrator.io", UIURL("EU"))
	assert.Equal(t, "https://integrator.io", UIURL("mars"), "unknown regions fall back to the US app")
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
			require.NoError(t, err)
			assert.Equal(t, tc.want, u.String())
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
			require.Error(t, err, "got %v", u)
			assert.Nil(t, u)
			for _, s := range tc.wantInMsg {
				assert.Contains(t, err.Error(), s)
			}
		})
	}
}

func TestIsLoopbackHost(t *testing.T) {
	for _, h := range []string{"127.0.0.1", "127.1.2.3", "::1", "localhost", "LocalHost"} {
		assert.True(t, IsLoopbackHost(h), h)
	}
	for _, h := range []string{"", "0.0.0.0", "10.0.0.1", "api.integrator.io", "localhost.example", "[::1]", "::"} {
		assert.False(t, IsLoopbackHost(h), h)
	}
}
