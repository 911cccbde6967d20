// Package harness runs what controller tests need around the real apiserver: the operator's manager,
// in-process and built exactly as the binary builds it, and the KubeVirt simulator.
package harness

import (
	"context"
	"fmt"
	"time"

	"github.com/go-logr/logr"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/novasphere/wukong/internal/manager"
	"github.com/novasphere/wukong/test/sim"
	"github.com/novasphere/wukong/test/testenv"
)

// Harness is a control plane with the manager and the simulator running.
type Harness struct {
	*testenv.Env
	// Manager is the identity the manager runs as: its ServiceAccount with config/rbac's permissions.
	Manager *testenv.ManagerIdentity
	stop    context.CancelFunc
	done    chan error
}

// Options tune the manager and the simulator.
type Options struct {
	Manager manager.Options
	Sim     sim.Options
	// Controllers are the kube-controller-manager controllers to run, as a cluster runs them (member deletion
	// in the foreground needs the garbage collector, the set's quota pre-check the resource quota
	// controller). DefaultOptions runs testenv.ClusterControllers; empty runs none.
	Controllers []string
}

// DefaultOptions are fast settings for tests: short simulated imports and boots, no metrics server, the
// admission webhook self-registered on loopback.
func DefaultOptions() Options {
	mo := manager.DefaultOptions()
	mo.MetricsAddr, mo.ProbeAddr = "0", "0"
	// The admission webhook on a free loopback port, registered by the manager itself with a URL: every set
	// a test applies goes through it, as on a cluster.
	mo.Webhook.Host, mo.Webhook.Port, mo.Webhook.SelfRegister, mo.Webhook.Namespace = "127.0.0.1", 0, true, "default"
	return Options{
		Manager:     mo,
		Sim:         sim.Options{ImportDuration: 300 * time.Millisecond, BootDuration: 200 * time.Millisecond},
		Controllers: testenv.ClusterControllers,
	}
}

// Start boots the control plane, the cluster's controllers, the manager and the simulator. The manager runs
// as its ServiceAccount with the RBAC of config/rbac, as in a cluster; the simulator and h.Client are
// administrators.
func Start(o Options) (*Harness, error) {
	ctrl.SetLogger(logr.Discard())
	env, err := testenv.Start()
	if err != nil {
		return nil, err
	}
	h, err := start(env, o)
	if err != nil {
		_ = env.Stop()
		return nil, err
	}
	return h, nil
}

func start(env *testenv.Env, o Options) (*Harness, error) {
	if len(o.Controllers) > 0 {
		if _, err := env.StartControllers(o.Controllers...); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &Harness{Env: env, stop: cancel, done: make(chan error, 2)}
	id, err := env.ManagerIdentity(ctx)
	if err != nil {
		cancel()
		return nil, err
	}
	h.Manager = id
	mgr, err := manager.New(id.Config, o.Manager)
	if err != nil {
		cancel()
		return nil, err
	}
	// The simulator's admission webhook (KubeVirt's virt-api) must answer before the operator creates a VM,
	// as on a cluster where KubeVirt is installed first.
	wait, err := sim.Start(ctx, env.Config, o.Sim)
	if err != nil {
		cancel()
		return nil, err
	}
	go func() { h.done <- wait() }()
	go func() { h.done <- mgr.Start(ctx) }()
	syncCtx, syncCancel := context.WithTimeout(ctx, 30*time.Second)
	defer syncCancel()
	if !mgr.GetCache().WaitForCacheSync(syncCtx) {
		h.stopProcesses()
		return nil, fmt.Errorf("manager cache did not sync")
	}
	return h, nil
}

// Stop ends the manager, the simulator, the cluster's controllers and the control plane.
func (h *Harness) Stop() error {
	h.stopProcesses()
	return h.Env.Stop()
}

// stopProcesses ends the manager and the simulator.
func (h *Harness) stopProcesses() {
	h.stop()
	for range 2 {
		select {
		case err := <-h.done:
			// Both return nil or context.Canceled when stopped; anything else was logged where it happened.
			_ = err
		case <-time.After(20 * time.Second):
		}
	}
}
