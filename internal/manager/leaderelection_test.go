package manager

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

func TestValidateLeaderElection(t *testing.T) {
	def := DefaultOptions()
	def.LeaderElect = true
	cases := []struct {
		name     string
		mutate   func(*Options)
		wantErrs []string
	}{
		{"defaults", func(*Options) {}, nil},
		{"controller-runtime's defaults", func(o *Options) {
			o.LeaseDuration, o.RenewDeadline, o.RetryPeriod = 15*time.Second, 10*time.Second, 2*time.Second
		}, nil},
		{"off: nothing checked", func(o *Options) { o.LeaderElect, o.LeaseDuration = false, 0 }, nil},
		{"zero", func(o *Options) { o.RetryPeriod = 0 }, []string{"--leader-elect-retry-period=0s: must be positive"}},
		{"negative", func(o *Options) { o.LeaseDuration = -time.Second }, []string{"--leader-elect-lease-duration=-1s: must be positive"}},
		{"fractional lease", func(o *Options) { o.LeaseDuration = 60500 * time.Millisecond }, []string{"must be whole seconds"}},
		{"renew deadline not above jittered retry period", func(o *Options) { o.RetryPeriod = 40 * time.Second },
			[]string{"--leader-elect-renew-deadline=45s must be longer than 1.2 × --leader-elect-retry-period=40s (48s)"}},
		{"lease not above renew deadline", func(o *Options) { o.LeaseDuration = 45 * time.Second },
			[]string{"--leader-elect-lease-duration=45s must be longer than --leader-elect-renew-deadline + --leader-elect-retry-period (50s)"}},
		{"lease equal to deadline plus retry", func(o *Options) { o.LeaseDuration = 50 * time.Second },
			[]string{"(50s)"}},
		{"renew deadline above lease", func(o *Options) { o.RenewDeadline = 90 * time.Second },
			[]string{"--leader-elect-lease-duration=1m0s must be longer than --leader-elect-renew-deadline + --leader-elect-retry-period (1m35s)"}},
		{"two at once", func(o *Options) { o.LeaseDuration, o.RetryPeriod = 45500*time.Millisecond, 40*time.Second },
			[]string{"must be whole seconds", "1.2 × --leader-elect-retry-period", "(1m25s)"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := def
			c.mutate(&o)
			err := o.validateLeaderElection()
			if len(c.wantErrs) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", c.wantErrs)
			}
			for _, want := range c.wantErrs {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}

func TestLeaderElectionRequestTimeout(t *testing.T) {
	for _, c := range []struct {
		lease, renew, retry, want time.Duration
	}{
		{60 * time.Second, 45 * time.Second, 5 * time.Second, 5 * time.Second},
		{15 * time.Second, 10 * time.Second, 2 * time.Second, 2 * time.Second},
		{60 * time.Second, 20 * time.Second, 10 * time.Second, 5 * time.Second},
		{3 * time.Second, 2 * time.Second, 500 * time.Millisecond, time.Second},
	} {
		o := Options{LeaseDuration: c.lease, RenewDeadline: c.renew, RetryPeriod: c.retry}
		if got := leaderElectionRequestTimeout(o); got != c.want {
			t.Errorf("%v/%v/%v: %v, want %v", c.lease, c.renew, c.retry, got, c.want)
		}
	}
}

// TestLeaderElectionConfigBoundsHungRequests: against an apiserver address that accepts connections and never
// answers, a lease request through the leader-election client fails after the request timeout, not after
// controller-runtime's RenewDeadline/2; answered requests read their whole body.
func TestLeaderElectionConfigBoundsHungRequests(t *testing.T) {
	hang := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/hung") {
			select {
			case <-r.Context().Done():
			case <-hang:
			}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"ok","namespace":"ns"},` +
			`"spec":{"holderIdentity":"` + strings.Repeat("x", 64<<10) + `"}}`))
	}))
	defer srv.Close()
	defer close(hang)

	o := DefaultOptions()
	o.LeaderElect, o.LeaseDuration, o.RenewDeadline, o.RetryPeriod = true, 15*time.Second, 10*time.Second, time.Second
	lc := leaderElectionConfig(&rest.Config{Host: srv.URL}, o)
	// controller-runtime sets this on the leader-election client; the wrapper must win.
	lc.Timeout = o.RenewDeadline / 2
	cs, err := kubernetes.NewForConfig(lc)
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	_, err = cs.CoordinationV1().Leases("ns").Get(t.Context(), "hung", metav1.GetOptions{})
	if took := time.Since(began); err == nil || took > 3*time.Second {
		t.Fatalf("hung request returned %v after %v, want an error after about 1s", err, took)
	}
	lease, err := cs.CoordinationV1().Leases("ns").Get(t.Context(), "ok", metav1.GetOptions{})
	if err != nil || lease.Spec.HolderIdentity == nil || len(*lease.Spec.HolderIdentity) != 64<<10 {
		t.Fatalf("answered request: %v", err)
	}

	o.LeaderElect = false
	if leaderElectionConfig(&rest.Config{Host: srv.URL}, o) != nil {
		t.Error("a leader-election client config without leader election")
	}
}
