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
	stop    context.CancelFunc
	done    chan error
	stopKCM func()
}

// Options tune the manager and the simulator.
type Options struct {
	Manager manager.Options
	Sim     sim.Options
	// Controllers are kube-controller-manager controllers to run as well, such as garbagecollector (which
	// member deletion in the foreground needs, as on a real cluster).
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
		Manager: mo,
		Sim:     sim.Options{ImportDuration: 300 * time.Millisecond, BootDuration: 200 * time.Millisecond},
	}
}

// Start boots the control plane, the manager and the simulator.
func Start(o Options) (*Harness, error) {
	ctrl.SetLogger(logr.Discard())
	env, err := testenv.Start()
	if err != nil {
		return nil, err
	}
	mgr, err := manager.New(env.Config, o.Manager)
	if err != nil {
		_ = env.Stop()
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &Harness{Env: env, stop: cancel, done: make(chan error, 2), stopKCM: func() {}}
	if len(o.Controllers) > 0 {
		if h.stopKCM, err = env.StartControllers(o.Controllers...); err != nil {
			cancel()
			_ = env.Stop()
			return nil, err
		}
	}
	// The simulator's admission webhook (KubeVirt's virt-api) must answer before the operator creates a VM,
	// as on a cluster where KubeVirt is installed first.
	wait, err := sim.Start(ctx, env.Config, o.Sim)
	if err != nil {
		cancel()
		h.stopKCM()
		_ = env.Stop()
		return nil, err
	}
	go func() { h.done <- wait() }()
	go func() { h.done <- mgr.Start(ctx) }()
	syncCtx, syncCancel := context.WithTimeout(ctx, 30*time.Second)
	defer syncCancel()
	if !mgr.GetCache().WaitForCacheSync(syncCtx) {
		_ = h.Stop()
		return nil, fmt.Errorf("manager cache did not sync")
	}
	return h, nil
}

// Stop ends the manager, the simulator and the control plane.
func (h *Harness) Stop() error {
	h.stopKCM()
	h.stop()
	for range 2 {
		select {
		case <-h.done:
		case <-time.After(20 * time.Second):
		}
	}
	return h.Env.Stop()
}
