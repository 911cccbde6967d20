// Package manager assembles the operator's controller-runtime manager: scheme, cache, metrics, probes,
// leader election and every controller. The wukong binary and the in-process tests build it the same way.
package manager

import (
	"context"
	"crypto/tls"
	"fmt"
	"github.com/novasphere/wukong/internal/setmember"
	"time"

	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/novasphere/wukong/internal/controller/wukong"
	"github.com/novasphere/wukong/internal/controller/wukongset"
	"github.com/novasphere/wukong/internal/scheme"
	"github.com/novasphere/wukong/internal/template"
	"github.com/novasphere/wukong/internal/webhook"
)

// Options configure the manager.
type Options struct {
	// MetricsAddr is the metrics endpoint's address; "0" disables it.
	MetricsAddr string
	// MetricsSecure serves metrics over HTTPS behind Kubernetes authentication and authorization.
	MetricsSecure bool
	// ProbeAddr is the health and readiness probe address; "0" disables it.
	ProbeAddr string
	// PprofAddr serves Go's net/http/pprof profiles (controller-runtime's pprof server); "" or "0" disables
	// it, which is the default: profiles show the manager's internals to whoever reaches the port.
	PprofAddr string
	// LeaderElect enables leader election; LeaderElectionNamespace is the lease's namespace.
	LeaderElect             bool
	LeaderElectionNamespace string
	// LeaseDuration, RenewDeadline and RetryPeriod are the leader-election timings (see DefaultLeaseDuration).
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
	// WukongWorkers and SetWorkers are the controllers' parallel reconciles.
	WukongWorkers, SetWorkers int
	// MaxConcurrentCreates is how many members one set creates at once, unless the set says otherwise.
	MaxConcurrentCreates int
	// Webhook configures the WukongSet admission webhook and its certificates.
	Webhook webhook.Options
}

// DefaultOptions are the defaults of the manager's flags.
func DefaultOptions() Options {
	return Options{
		MetricsAddr: ":8443", MetricsSecure: true, ProbeAddr: ":8081",
		WukongWorkers: 16, SetWorkers: 4, MaxConcurrentCreates: 64,
		Webhook:       webhook.DefaultOptions(),
		LeaseDuration: DefaultLeaseDuration, RenewDeadline: DefaultRenewDeadline, RetryPeriod: DefaultRetryPeriod,
	}
}

// New builds a manager with every controller registered.
func New(cfg *rest.Config, o Options) (ctrl.Manager, error) {
	if err := o.validateLeaderElection(); err != nil {
		return nil, err
	}
	metricsOpts := metricsserver.Options{
		BindAddress:   o.MetricsAddr,
		SecureServing: o.MetricsSecure,
		// HTTP/2 is disabled against the HTTP/2 rapid-reset and stream-cancellation CVEs.
		TLSOpts: []func(*tls.Config){func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} }},
	}
	if o.MetricsSecure {
		metricsOpts.FilterProvider = filters.WithAuthenticationAndAuthorization
	}
	recoverPanic := true
	shutdown := 30 * time.Second
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                  scheme.New(),
		Cache:                   cacheOptions(),
		Metrics:                 metricsOpts,
		HealthProbeBindAddress:  o.ProbeAddr,
		PprofBindAddress:        o.PprofAddr,
		LeaderElection:          o.LeaderElect,
		LeaderElectionID:        "wukong-manager.vm.novasphere.dev",
		LeaderElectionNamespace: o.LeaderElectionNamespace,
		LeaderElectionConfig:    leaderElectionConfig(cfg, o),
		LeaseDuration:           &o.LeaseDuration,
		RenewDeadline:           &o.RenewDeadline,
		RetryPeriod:             &o.RetryPeriod,
		// Releasing the lease on a clean exit lets a new leader start at once during a rolling upgrade.
		LeaderElectionReleaseOnCancel: true,
		Controller:                    config.Controller{RecoverPanic: &recoverPanic},
		GracefulShutdownTimeout:       &shutdown,
	})
	if err != nil {
		return nil, fmt.Errorf("create manager: %w", err)
	}
	if err := (&wukong.Reconciler{
		Client:    mgr.GetClient(),
		APIReader: mgr.GetAPIReader(),
		Recorder:  mgr.GetEventRecorder("wukong-controller"),
		Workers:   o.WukongWorkers,
	}).SetupWithManager(mgr); err != nil {
		return nil, fmt.Errorf("set up the Wukong controller: %w", err)
	}
	engine, err := template.NewEngine()
	if err != nil {
		return nil, fmt.Errorf("create the template engine: %w", err)
	}
	if err := (&wukongset.Reconciler{
		Client:               mgr.GetClient(),
		Recorder:             mgr.GetEventRecorder("wukongset-controller"),
		Renderer:             &setmember.Renderer{Engine: engine},
		Workers:              o.SetWorkers,
		MaxConcurrentCreates: o.MaxConcurrentCreates,
	}).SetupWithManager(context.Background(), mgr); err != nil {
		return nil, fmt.Errorf("set up the WukongSet controller: %w", err)
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return nil, err
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return nil, err
	}
	// Last: a self-registered webhook configuration must not outlive a New that fails after it.
	if _, err := webhook.Setup(mgr, engine, o.Webhook); err != nil {
		return nil, fmt.Errorf("set up the WukongSet admission webhook: %w", err)
	}
	return mgr, nil
}
