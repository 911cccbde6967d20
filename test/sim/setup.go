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

// Setup registers the simulated CDI and KubeVirt controllers on mgr. The manager's scheme must know core
// Kubernetes, Wukong, KubeVirt and CDI kinds (NewScheme does). Writes go through a client of their own with
// client-side rate limiting off, so the simulator keeps up with thousands of VMs even inside a manager whose
// own client is throttled; reads come from the manager's cache, which must be able to see Wukongs,
// DataVolumes, VirtualMachines, VirtualMachineInstances and Secrets in the namespaces to simulate (a cache
// restricted to some namespaces restricts the simulator the same way, which tests use to isolate).
// Setup may be called once per manager: it registers field indexes.
func Setup(mgr ctrl.Manager, opts Options) error {
	opts = opts.withDefaults()
	cfg := rest.CopyConfig(mgr.GetConfig())
	cfg.QPS, cfg.Burst = -1, 0
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
	dv := &dataVolumeReconciler{c: c, faults: faults, clock: newClock(), importDuration: opts.ImportDuration}
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
	return nil
}

// Run starts a manager of its own with the simulator and blocks until ctx ends. Metrics, health probes and
// leader election are off: the simulator is a test fixture, and two of them against one apiserver would
// fight anyway.
func Run(ctx context.Context, cfg *rest.Config, opts Options) error {
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = -1, 0
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 NewScheme(),
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		LeaderElection:         false,
	})
	if err != nil {
		return fmt.Errorf("create simulator manager: %w", err)
	}
	if err := Setup(mgr, opts); err != nil {
		return err
	}
	return mgr.Start(ctx)
}
