package sim

import (
	"context"
	"fmt"
	"time"

	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
)

// conflictRetry is how soon a reconcile whose status write lost a race runs again. The write that won was
// status-only, which the simulator's own watches filter out, so nothing else would requeue the object.
const conflictRetry = 50 * time.Millisecond

// Setup registers the simulated CDI and KubeVirt controllers on mgr, and the simulated virt-api's
// VirtualMachine mutating and validating webhooks. The manager's scheme must know core Kubernetes, Wukong, KubeVirt and CDI
// kinds (NewScheme does). Writes go through a client of their own with client-side rate limiting off, so the
// simulator keeps up with thousands of VMs even inside a manager whose own client is throttled; reads come
// from the manager's cache, which must be able to see Wukongs, DataVolumes, VirtualMachines,
// VirtualMachineInstances, Secrets and NetworkAttachmentDefinitions in the namespaces to simulate (a cache restricted to some namespaces
// restricts the simulator the same way, which tests use to isolate).
//
// The webhooks are serving and registered (a Mutating- and a ValidatingWebhookConfiguration of their own,
// cluster-wide, labelled LabelVirtAPIWebhook) when Setup returns, so every VirtualMachine created afterwards
// gets KubeVirt's defaults and checks; it is unregistered when the manager stops. Start the manager soon after Setup: until it stops,
// the registration stays. Setup may be called once per manager: it registers field indexes.
func Setup(mgr ctrl.Manager, opts Options) error {
	opts = opts.withDefaults()
	cfg := rest.CopyConfig(mgr.GetConfig())
	cfg.QPS, cfg.Burst = -1, 0
	direct, err := client.New(cfg, client.Options{Scheme: mgr.GetScheme(), Mapper: mgr.GetRESTMapper()})
	if err != nil {
		return fmt.Errorf("create simulator client: %w", err)
	}
	c, err := client.New(cfg, client.Options{
		Scheme: mgr.GetScheme(),
		Mapper: mgr.GetRESTMapper(),
		Cache:  &client.CacheOptions{Reader: mgr.GetCache()},
	})
	if err != nil {
		return fmt.Errorf("create simulator client: %w", err)
	}
	if err := addIndexes(context.Background(), mgr.GetFieldIndexer()); err != nil {
		return err
	}
	// Several managers may run the simulator in one test binary, so controller names are not required to be
	// unique in the process.
	copts := controller.Options{MaxConcurrentReconciles: opts.Workers, SkipNameValidation: new(true)}
	faults := faultReader{c: c}
	dv := &dataVolumeReconciler{c: c, direct: direct, faults: faults, clock: newClock(),
		importDuration: opts.ImportDuration, cloneDuration: opts.CloneDuration}
	if err := dv.setup(mgr, copts); err != nil {
		return fmt.Errorf("set up simulated CDI controller: %w", err)
	}
	vm := &vmReconciler{c: c, faults: faults}
	if err := vm.setup(mgr, copts); err != nil {
		return fmt.Errorf("set up simulated virt-controller: %w", err)
	}
	vmi := &vmiReconciler{c: c, clock: newClock(), bootDuration: opts.BootDuration, nodes: opts.Nodes}
	if err := vmi.setup(mgr, copts); err != nil {
		return fmt.Errorf("set up simulated virt-handler: %w", err)
	}
	// Last, so nothing after it can fail and leave a registration without a manager to remove it.
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	api, err := startVirtAPI(ctx, direct)
	if err != nil {
		return fmt.Errorf("start simulated virt-api: %w", err)
	}
	if err := mgr.Add(api); err != nil {
		api.unregister()
		_ = api.server.Close()
		return fmt.Errorf("add simulated virt-api: %w", err)
	}
	return nil
}

// Run starts a manager of its own with the simulator and blocks until ctx ends. Metrics, health probes and
// leader election are off: the simulator is a test fixture, and two of them against one apiserver would
// fight anyway. A caller that runs it in a goroutine cannot tell when the webhook is registered; Start can.
func Run(ctx context.Context, cfg *rest.Config, opts Options) error {
	wait, err := Start(ctx, cfg, opts)
	if err != nil {
		return err
	}
	return wait()
}

// Start is Run in two steps: it returns once the simulator's webhook is registered and its manager is
// starting, so VirtualMachines created after it returns get KubeVirt's defaults. wait blocks until ctx ends
// and the simulator has stopped (its webhook unregistered), and returns the manager's error.
func Start(ctx context.Context, cfg *rest.Config, opts Options) (wait func() error, err error) {
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = -1, 0
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 NewScheme(),
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		LeaderElection:         false,
	})
	if err != nil {
		return nil, fmt.Errorf("create simulator manager: %w", err)
	}
	if err := Setup(mgr, opts); err != nil {
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	return func() error { return <-done }, nil
}
