package main_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	batonv1 "github.com/conductorone/baton-sdk/pb/c1/connectorapi/baton/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/conductorone/baton-celigo/pkg/celigo/celigotest"
)

// Service mode (--client-id) runs until it is told to stop. These tests run it against a local stand-in of
// ConductorOne: the SDK takes ConductorOne's host from the client id (name@host/…), fetches a token from
// https://host/auth/v1/token with a JWT signed by the client secret's Ed25519 key, then says Hello and
// polls GetTask over gRPC with TLS, on the same host. The stand-in answers exactly those, with a certificate
// made here and trusted through SSL_CERT_FILE (BATON_C1_API_HOST would override the host; it is not needed).
// What it cannot stand in for is ConductorOne itself: whether a real tenant accepts the client's credentials,
// the tasks it schedules and what it does with an upload, and its publicly trusted certificate.

// c1AccessToken is the token the stand-in issues; the gRPC calls must carry it.
const c1AccessToken = "c1-stand-in-access-token"

// c1StandIn is the smallest ConductorOne the SDK's service mode runs against: a token endpoint and the
// BatonService's Hello and GetTask (no task, or a full sync when asked), Heartbeat and FinishTask.
type c1StandIn struct {
	batonv1.UnimplementedBatonServiceServer
	host         string // host:port, as the client id names it
	clientID     string
	clientSecret string
	certFile     string // PEM of the stand-in's self-signed certificate, for SSL_CERT_FILE
	hellos       atomic.Int32
	refuseHello  atomic.Bool  // ConductorOne is unavailable: Hello fails, and the SDK retries it
	syncTasks    atomic.Int32 // full-sync tasks still to hand out
	heartbeats   atomic.Int32
	polls        atomic.Int32
}

func newC1StandIn(t *testing.T) *c1StandIn {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	// A ConductorOne client secret: name:id:v1:base64url(the private key as a JWK).
	jwk, err := json.Marshal(map[string]string{
		"kty": "OKP", "crv": "Ed25519",
		"x": base64.RawURLEncoding.EncodeToString(pub),
		"d": base64.RawURLEncoding.EncodeToString(priv.Seed()),
	})
	if err != nil {
		t.Fatal(err)
	}
	c := &c1StandIn{clientSecret: "secret-token:conductorone.com:v1:" + base64.RawURLEncoding.EncodeToString(jwk)}

	gs := grpc.NewServer()
	batonv1.RegisterBatonServiceServer(gs, c)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor == 2 && strings.HasPrefix(r.Header.Get("Content-Type"), "application/grpc") {
			gs.ServeHTTP(w, r)
			return
		}
		c.token(w, r, pub)
	}))
	srv.EnableHTTP2 = true // gRPC needs HTTP/2
	cert, certPEM := selfSignedCert(t)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	t.Cleanup(gs.Stop)

	c.host = srv.Listener.Addr().String()
	c.clientID = "baton-celigo-test@" + c.host + "/pcc"
	c.certFile = filepath.Join(t.TempDir(), "c1.pem")
	if err := os.WriteFile(c.certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return c
}

// selfSignedCert makes a certificate for 127.0.0.1 that is its own authority.
func selfSignedCert(t *testing.T) (tls.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key},
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// token answers POST /auth/v1/token for the client id, when its assertion is signed by the client's key.
func (c *c1StandIn) token(w http.ResponseWriter, r *http.Request, pub ed25519.PublicKey) {
	if r.Method != http.MethodPost || r.URL.Path != "/auth/v1/token" {
		http.NotFound(w, r)
		return
	}
	if r.PostFormValue("grant_type") != "client_credentials" || r.PostFormValue("client_id") != c.clientID ||
		!signedBy(r.PostFormValue("client_assertion"), pub) {
		http.Error(w, "invalid client", http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": c1AccessToken, "token_type": "Bearer", "expires_in": 3600})
}

// signedBy reports whether a compact JWS carries a valid Ed25519 signature of pub.
func signedBy(jws string, pub ed25519.PublicKey) bool {
	parts := strings.Split(jws, ".")
	if len(parts) != 3 {
		return false
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	return err == nil && ed25519.Verify(pub, []byte(parts[0]+"."+parts[1]), sig)
}

func authorized(ctx context.Context) error {
	md, _ := metadata.FromIncomingContext(ctx)
	if v := md.Get("authorization"); len(v) != 1 || v[0] != "Bearer "+c1AccessToken {
		return status.Error(codes.Unauthenticated, "no valid access token")
	}
	return nil
}

func (c *c1StandIn) Hello(ctx context.Context, _ *batonv1.BatonServiceHelloRequest) (*batonv1.BatonServiceHelloResponse, error) {
	if err := authorized(ctx); err != nil {
		return nil, err
	}
	c.hellos.Add(1)
	if c.refuseHello.Load() {
		return nil, status.Error(codes.Unavailable, "stand-in: unavailable")
	}
	return &batonv1.BatonServiceHelloResponse{}, nil
}

func (c *c1StandIn) GetTask(ctx context.Context, _ *batonv1.BatonServiceGetTaskRequest) (*batonv1.BatonServiceGetTaskResponse, error) {
	if err := authorized(ctx); err != nil {
		return nil, err
	}
	c.polls.Add(1)
	resp := batonv1.BatonServiceGetTaskResponse_builder{NextPoll: durationpb.New(time.Second)}
	if c.syncTasks.Add(-1) >= 0 {
		resp.Task = batonv1.Task_builder{Id: "stand-in-sync", SyncFull: &batonv1.Task_SyncFullTask{}}.Build()
	}
	return resp.Build(), nil
}

func (c *c1StandIn) Heartbeat(ctx context.Context, _ *batonv1.BatonServiceHeartbeatRequest) (*batonv1.BatonServiceHeartbeatResponse, error) {
	if err := authorized(ctx); err != nil {
		return nil, err
	}
	c.heartbeats.Add(1)
	return batonv1.BatonServiceHeartbeatResponse_builder{NextHeartbeat: durationpb.New(time.Second)}.Build(), nil
}

func (c *c1StandIn) FinishTask(ctx context.Context, _ *batonv1.BatonServiceFinishTaskRequest) (*batonv1.BatonServiceFinishTaskResponse, error) {
	if err := authorized(ctx); err != nil {
		return nil, err
	}
	return &batonv1.BatonServiceFinishTaskResponse{}, nil
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// ended reports whether the child pid has ended (it is a zombie, not yet waited for, or gone).
func ended(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	// The state follows the command name, which is in parentheses.
	i := bytes.LastIndexByte(stat, ')')
	return i < 0 || len(stat) < i+3 || stat[i+2] == 'Z'
}

// waitUntil waits for cond while the service runs, and fails the test if the service ends first or the
// hang guard passes.
func waitUntil(t *testing.T, p *process, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(hangGuard); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) || ended(p.cmd.Process.Pid) {
			_ = p.cmd.Process.Kill()
			_ = p.cmd.Wait()
			t.Fatalf("the service never %s:\n%s", what, p.out)
		}
	}
}

// healthCheck runs the binary's own health-check command, as a Kubernetes probe does.
func healthCheck(t *testing.T, port int, endpoint string) error {
	t.Helper()
	cmd := exec.Command(binary, "health-check", "--endpoint", endpoint, "--health-check-port", strconv.Itoa(port)) // #nosec G204 -- the binary under test.
	cmd.Env = []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return &healthError{err: err, out: string(out)}
	}
	return nil
}

type healthError struct {
	err error
	out string
}

func (e *healthError) Error() string { return e.err.Error() + ": " + e.out }

// startService starts the binary as a service of the stand-in c1, reading Celigo at fake; extra are more
// environment variables (a later TMPDIR wins).
func startService(t *testing.T, prefix []string, c1 *c1StandIn, fake *celigotest.Server, extra []string, args ...string) *process {
	t.Helper()
	env := append([]string{"BATON_CELIGO_ACCESS_TOKEN=" + secret, "BATON_CLIENT_SECRET=" + c1.clientSecret, "SSL_CERT_FILE=" + c1.certFile}, extra...)
	p := startBaton(t, prefix, env, append([]string{"--base-url", fake.URL, "--log-level", "info", "--client-id", c1.clientID}, args...)...)
	p.service = true
	return p
}

// TestServiceModeStopsOnSIGTERM: a service (--client-id) that has said Hello to ConductorOne and polls it for
// tasks answers its health check (live, and health, which validates against Celigo), and SIGTERM (docker
// stop, Kubernetes) ends it with the SDK's status for a service told to stop (0), leaving no process; as
// PID 1 and not.
func TestServiceModeStopsOnSIGTERM(t *testing.T) {
	pid1 := pid1Prefix(t)
	for _, tc := range []struct {
		name   string
		prefix []string
	}{{"plain", nil}, {"as PID 1", pid1}} {
		t.Run(tc.name, func(t *testing.T) {
			fake := newFake(t)
			c1 := newC1StandIn(t)
			port := freePort(t)
			p := startService(t, tc.prefix, c1, fake, nil, "--health-check", "--health-check-port", strconv.Itoa(port))

			var err error
			for deadline := time.Now().Add(hangGuard); ; time.Sleep(100 * time.Millisecond) {
				if c1.polls.Load() > 0 {
					if err = healthCheck(t, port, "live"); err == nil {
						break
					}
				}
				if time.Now().After(deadline) || ended(p.cmd.Process.Pid) {
					_ = p.cmd.Process.Kill()
					_ = p.cmd.Wait()
					t.Fatalf("the service never ran (hellos %d, polls %d, health check: %v):\n%s",
						c1.hellos.Load(), c1.polls.Load(), err, p.out)
				}
			}
			if err := healthCheck(t, port, "health"); err != nil {
				t.Errorf("the health check (Celigo validated) failed while the service runs: %v", err)
			}

			if err := syscall.Kill(p.runnerPID(t), syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			if code := p.wait(t); code != 0 {
				t.Errorf("exit %d after SIGTERM, want the SDK's 0 for a service told to stop:\n%s", code, p.out)
			}
			if strings.Contains(p.out.String(), c1.clientSecret) || strings.Contains(p.out.String(), c1AccessToken) {
				t.Error("the client secret or ConductorOne's access token appears in the output")
			}
			if err := healthCheck(t, port, "live"); err == nil {
				t.Error("the health check still answers after the service ended")
			}
		})
	}
}

// TestServiceModeStopsOnSIGTERMWhileReachingConductorOne: a service still saying Hello to a ConductorOne that
// is unavailable (the SDK retries it for minutes, before it listens for SIGINT) ends on SIGTERM too, with the
// same status as a running service told to stop, leaving no process; as PID 1 and not. It used to end only by
// the launcher's hang guard, with 130 or 143, whichever of its two timers came first.
func TestServiceModeStopsOnSIGTERMWhileReachingConductorOne(t *testing.T) {
	pid1 := pid1Prefix(t)
	for _, tc := range []struct {
		name   string
		prefix []string
	}{{"plain", nil}, {"as PID 1", pid1}} {
		t.Run(tc.name, func(t *testing.T) {
			fake := newFake(t)
			c1 := newC1StandIn(t)
			c1.refuseHello.Store(true)
			p := startService(t, tc.prefix, c1, fake, nil)
			waitUntil(t, p, "said Hello", func() bool { return c1.hellos.Load() > 0 })
			if err := syscall.Kill(p.runnerPID(t), syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			if code := p.wait(t); code != 0 {
				t.Errorf("exit %d after SIGTERM, want the SDK's 0 for a service told to stop:\n%s", code, p.out)
			}
		})
	}
}

// TestServiceModeStopsOnSIGTERMDuringASync: SIGTERM while the service syncs for ConductorOne (the sync waits
// on Celigo) ends it with status 0, leaving no process, and in its TMPDIR only its own directory with the
// unfinished sync, which the next start removes (a service restarted during syncs must not fill the disk);
// as PID 1 and not.
func TestServiceModeStopsOnSIGTERMDuringASync(t *testing.T) {
	pid1 := pid1Prefix(t)
	for _, tc := range []struct {
		name   string
		prefix []string
	}{{"plain", nil}, {"as PID 1", pid1}} {
		t.Run(tc.name, func(t *testing.T) {
			fake := newFake(t)
			reached := holdIntegrations(t, fake)
			c1 := newC1StandIn(t)
			c1.syncTasks.Store(1)
			p := startService(t, tc.prefix, c1, fake, nil)
			select {
			case <-reached:
			case <-time.After(hangGuard):
				_ = p.cmd.Process.Kill()
				_ = p.cmd.Wait()
				t.Fatalf("the sync task never reached Celigo's integrations:\n%s", p.out)
			}
			if err := syscall.Kill(p.runnerPID(t), syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			if code := p.wait(t); code != 0 {
				t.Errorf("exit %d after SIGTERM, want the SDK's 0 for a service told to stop:\n%s", code, p.out)
			}
			left, _ := os.ReadDir(p.tmp)
			if len(left) != 1 {
				t.Fatalf("TMPDIR holds %d entries, want the stopped service's own directory", len(left))
			}

			// The next start removes what the stopped sync left.
			c1 = newC1StandIn(t)
			next := startService(t, tc.prefix, c1, fake, []string{"TMPDIR=" + p.tmp})
			next.tmp = p.tmp
			waitUntil(t, next, "said Hello", func() bool { return c1.hellos.Load() > 0 })
			if err := syscall.Kill(next.runnerPID(t), syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			if code := next.wait(t); code != 0 {
				t.Errorf("the next start: exit %d after SIGTERM:\n%s", code, next.out)
			}
			if _, err := os.Stat(filepath.Join(p.tmp, left[0].Name())); err == nil {
				t.Errorf("the next start left %s, the stopped service's directory", left[0].Name())
			}
		})
	}
}
