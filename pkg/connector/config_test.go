package connector_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/conductorone/baton-celigo/pkg/celigo"
	"github.com/conductorone/baton-celigo/pkg/config"
	"github.com/conductorone/baton-celigo/pkg/connector"
)

// TestConfigurationIsCheckedOnce: the values a user gives are checked when the connector is built, each
// mistake with one message that says what to fix, and no network call.
func TestConfigurationIsCheckedOnce(t *testing.T) {
	cases := []struct {
		name string
		cfg  config.Celigo
		want string // "" = accepted
	}{
		{"token only", config.Celigo{CeligoAccessToken: "t"}, ""},
		{"eu", config.Celigo{CeligoAccessToken: "t", Region: "eu"}, ""},
		{"blank token", config.Celigo{CeligoAccessToken: "   "}, "access token is empty"},
		{"token with a line break inside", config.Celigo{CeligoAccessToken: "ab\ncd"}, "control character"},
		{"unknown region", config.Celigo{CeligoAccessToken: "t", Region: "mars"}, `use "us" or "eu"`},
		{"https base-url", config.Celigo{CeligoAccessToken: "t", BaseUrl: "https://proxy.example.com"}, ""},
		{"http to loopback", config.Celigo{CeligoAccessToken: "t", BaseUrl: "http://127.0.0.1:8080"}, ""},
		{"http to localhost", config.Celigo{CeligoAccessToken: "t", BaseUrl: "http://localhost:8080"}, ""},
		{"http to ::1", config.Celigo{CeligoAccessToken: "t", BaseUrl: "http://[::1]:8080"}, ""},
		{"http to a remote host", config.Celigo{CeligoAccessToken: "t", BaseUrl: "http://proxy.example.com"}, "loopback"},
		{"other scheme", config.Celigo{CeligoAccessToken: "t", BaseUrl: "ftp://127.0.0.1"}, "https://"},
		{"credentials in base-url", config.Celigo{CeligoAccessToken: "t", BaseUrl: "https://u:p@proxy.example.com"}, "credentials"},
		{"not absolute", config.Celigo{CeligoAccessToken: "t", BaseUrl: "api.integrator.io"}, "absolute URL"},
		{"negative retry budget", config.Celigo{CeligoAccessToken: "t", RetryBudgetSeconds: -1}, "0 or more"},
		{"retry budget past a duration", config.Celigo{CeligoAccessToken: "t", RetryBudgetSeconds: 9223372037}, "at most 86400"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			_, _, err := connector.New(context.Background(), &cfg, nil)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && err == nil:
				t.Fatal("accepted")
			case tc.want != "" && (!strings.Contains(err.Error(), tc.want) || status.Code(err) != codes.InvalidArgument):
				t.Fatalf("got %v (%v), want InvalidArgument with %q", err, status.Code(err), tc.want)
			}
		})
	}
}

// TestConfigValuesMeanWhatTheClientKnows: the regions a user can pick are the client's regions, and the
// retry budget's advertised default is the client's.
func TestConfigValuesMeanWhatTheClientKnows(t *testing.T) {
	if want := []string{celigo.RegionUS, celigo.RegionEU}; strings.Join(config.Regions, ",") != strings.Join(want, ",") {
		t.Errorf("config regions %v, client regions %v", config.Regions, want)
	}
	if got := time.Duration(config.DefaultRetryBudgetSeconds) * time.Second; got != celigo.DefaultRetryBudget {
		t.Errorf("config default budget %v, client default %v", got, celigo.DefaultRetryBudget)
	}
}
