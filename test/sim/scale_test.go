package sim

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	kubevirtv1 "kubevirt.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/novasphere/wukong/internal/naming"
)

// scaleVMs is how many VMs the scale test starts at once.
const scaleVMs = 300

// scaleBound is generous on purpose: the machine is shared, and the test is about the simulator keeping up
// (watches and timers, no sleeping), not about a benchmark number.
const scaleBound = 60 * time.Second

// Hundreds of VMs, each with a DataVolume and a static network (and its attachment), all become ready with instant imports and
// boots.
func TestScale(t *testing.T) {
	if testing.Short() {
		t.Skip("scale test skipped in -short mode")
	}
	ns := startSim(t, Options{})
	ctx := context.Background()
	networks := []vmNetwork{{name: "lan", static: "192.168.1.100/24"}}

	start := time.Now()
	objs := make(chan client.Object, 64)
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	for range 16 {
		wg.Go(func() {
			for obj := range objs {
				if err := env.Client.Create(ctx, obj); err != nil {
					select {
					case errs <- fmt.Errorf("create %T %s: %w", obj, obj.GetName(), err):
					default:
					}
				}
			}
		})
	}
	for i := range scaleVMs {
		name := naming.Member("scale", i)
		dv := naming.DataVolume(name, "root")
		objs <- newCloudInitSecret(ns, name, networks)
		for _, n := range networks {
			objs <- newAttachment(ns, name, n.name)
		}
		objs <- newDataVolume(ns, dv, "registry")
		objs <- newVM(ns, name, kubevirtv1.RunStrategyAlways, []string{dv}, networks)
	}
	close(objs)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	created := time.Since(start)

	var ready int
	deadline := start.Add(scaleBound)
	for {
		var vms kubevirtv1.VirtualMachineList
		if err := env.Client.List(ctx, &vms, client.InNamespace(ns)); err != nil {
			t.Fatal(err)
		}
		ready = 0
		for _, vm := range vms.Items {
			if vm.Status.Ready {
				ready++
			}
		}
		if ready == scaleVMs {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d VMs ready after %v", ready, scaleVMs, scaleBound)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("%d VMs (with a DataVolume, a Secret and a static network with its attachment each) created in %v, all ready after %v",
		scaleVMs, created, time.Since(start))
}
