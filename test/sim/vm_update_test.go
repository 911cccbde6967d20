package sim

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/client-go/util/retry"
	kubevirtv1 "kubevirt.io/api/core/v1"
)

// updateTemplate changes a VM's template with a read-modify-update, as the operator does, retrying when the
// simulator wrote in between.
func updateTemplate(t *testing.T, ns, name string, change func(*kubevirtv1.VirtualMachineInstanceSpec)) {
	t.Helper()
	updateVM(t, ns, name, func(vm *kubevirtv1.VirtualMachine) { change(&vm.Spec.Template.Spec) })
}

func updateVM(t *testing.T, ns, name string, change func(*kubevirtv1.VirtualMachine)) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		vm := get(t, ns, name, &kubevirtv1.VirtualMachine{})
		change(vm)
		return env.Client.Update(context.Background(), vm)
	})
	if err != nil {
		t.Fatalf("update VirtualMachine %s: %v", name, err)
	}
}

// restartRequired is the message of the VM's RestartRequired condition, "" when it has none.
func restartRequired(t *testing.T, ns, name string) string {
	t.Helper()
	c := vmCondition(get(t, ns, name, &kubevirtv1.VirtualMachine{}), kubevirtv1.VirtualMachineRestartRequired)
	if c == nil || c.Status != corev1.ConditionTrue {
		return ""
	}
	return c.Message
}

// stillRunning fails unless the VM's instance is still uid, Running, and the VM has no RestartRequired.
func stillRunning(t *testing.T, ns, name string, uid *kubevirtv1.VirtualMachineInstance) *kubevirtv1.VirtualMachineInstance {
	t.Helper()
	vmi := getVMI(t, ns, name)
	switch {
	case vmi == nil || vmi.UID != uid.UID:
		t.Fatal("the instance was replaced by a live-updatable change")
	case vmi.Status.Phase != kubevirtv1.Running:
		t.Fatalf("instance is %s after a live update", vmi.Status.Phase)
	}
	if msg := restartRequired(t, ns, name); msg != "" {
		t.Fatalf("RestartRequired %q after a live-updatable change", msg)
	}
	return vmi
}

func setGuest(q string) func(*kubevirtv1.VirtualMachineInstanceSpec) {
	return func(s *kubevirtv1.VirtualMachineInstanceSpec) { s.Domain.Memory.Guest = new(resource.MustParse(q)) }
}

// Memory raised on a running VM is hotplugged into the same instance, and its status reports it; the VM's
// observedGeneration stays at the generation the instance was started from, as KubeVirt's does.
func TestLiveMemoryHotplug(t *testing.T) {
	ns := startSim(t, fastSim)
	create(t, newCloudInitSecret(ns, "mem", nil))
	vm := newVM(ns, "mem", kubevirtv1.RunStrategyAlways, nil, nil)
	setGuest("2Gi")(&vm.Spec.Template.Spec)
	create(t, vm)
	started, first := runningVM(t, ns, "mem")
	if m := first.Spec.Domain.Memory.MaxGuest; m == nil || m.String() != "8Gi" {
		t.Fatalf("maxGuest = %v, want 4 × 2Gi", m)
	}

	updateTemplate(t, ns, "mem", setGuest("4Gi"))
	eventually(t, 5*time.Second, func() string {
		vmi := getVMI(t, ns, "mem")
		if g := vmi.Spec.Domain.Memory.Guest; g == nil || g.String() != "4Gi" {
			return fmt.Sprintf("instance guest memory %v", g)
		}
		if m := vmi.Status.Memory; m == nil || m.GuestCurrent.String() != "4Gi" || m.GuestRequested.String() != "4Gi" ||
			m.GuestAtBoot.String() != "2Gi" {
			return fmt.Sprintf("instance memory status %+v", m)
		}
		return ""
	})
	time.Sleep(200 * time.Millisecond)
	stillRunning(t, ns, "mem", first)
	got := get(t, ns, "mem", &kubevirtv1.VirtualMachine{})
	if got.Status.DesiredGeneration != got.Generation || got.Status.ObservedGeneration != started.Generation {
		t.Errorf("generations observed %d desired %d, want %d and %d", got.Status.ObservedGeneration,
			got.Status.DesiredGeneration, started.Generation, got.Generation)
	}

	t.Run("beyond maxGuest", func(t *testing.T) {
		updateTemplate(t, ns, "mem", setGuest("16Gi"))
		eventually(t, 5*time.Second, func() string {
			if msg := restartRequired(t, ns, "mem"); msg != msgMemoryUnsupported+"Guest memory is greater than the configured maxGuest memory" {
				return fmt.Sprintf("RestartRequired %q", msg)
			}
			return ""
		})
		if g := getVMI(t, ns, "mem").Spec.Domain.Memory.Guest.String(); g != "4Gi" {
			t.Errorf("instance memory %s, want it left at 4Gi", g)
		}
	})
}

// A VM whose instance cannot migrate needs a restart for a memory change.
func TestMemoryChangeNotMigratable(t *testing.T) {
	ns := startSim(t, fastSim)
	const why = "cannot migrate VMI: PVC root is not shared, live migration requires that all PVCs must be shared (using ReadWriteMany access mode)"
	create(t, newCloudInitSecret(ns, "rwo", nil))
	vm := newVM(ns, "rwo", kubevirtv1.RunStrategyAlways, nil, nil)
	vm.Annotations = map[string]string{AnnotationNotMigratable: why}
	create(t, vm)
	_, first := runningVM(t, ns, "rwo")
	if c := vmiCondition(first, kubevirtv1.VirtualMachineInstanceIsMigratable); c == nil || c.Status != corev1.ConditionFalse || c.Message != why {
		t.Fatalf("LiveMigratable = %+v", c)
	}
	updateTemplate(t, ns, "rwo", setGuest("2Gi"))
	eventually(t, 5*time.Second, func() string {
		if msg := restartRequired(t, ns, "rwo"); msg != msgMemoryNotMigratable {
			return fmt.Sprintf("RestartRequired %q", msg)
		}
		return ""
	})
	if vmi := getVMI(t, ns, "rwo"); vmi.UID != first.UID || vmi.Spec.Domain.Memory.Guest.String() != "1Gi" {
		t.Errorf("instance %s memory %s, want the first one with 1Gi", vmi.UID, vmi.Spec.Domain.Memory.Guest)
	}
}

// Cores are not live-updatable: RestartRequired, instance untouched; the restart virt-api writes (a Stop for
// the instance's UID, then a Start) brings a new instance from the current template and clears it.
func TestCoresChangeAndRestartRequest(t *testing.T) {
	ns := startSim(t, fastSim)
	create(t, newCloudInitSecret(ns, "cpu", nil))
	create(t, newVM(ns, "cpu", kubevirtv1.RunStrategyAlways, nil, nil))
	_, first := runningVM(t, ns, "cpu")

	updateTemplate(t, ns, "cpu", setCores(4))
	eventually(t, 5*time.Second, func() string {
		if msg := restartRequired(t, ns, "cpu"); msg != msgNonLiveUpdatable {
			return fmt.Sprintf("RestartRequired %q", msg)
		}
		return ""
	})
	time.Sleep(200 * time.Millisecond)
	if vmi := getVMI(t, ns, "cpu"); vmi.UID != first.UID || vmi.Spec.Domain.CPU.Cores != 1 || vmi.Status.Phase != kubevirtv1.Running {
		t.Fatalf("instance %s has %d cores and is %s, want the first one unchanged", vmi.UID, vmi.Spec.Domain.CPU.Cores, vmi.Status.Phase)
	}

	// RestartVMRequestHandler (pkg/virt-api/rest/lifecycle.go) writes exactly this.
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		vm := get(t, ns, "cpu", &kubevirtv1.VirtualMachine{})
		uid := first.UID
		vm.Status.StateChangeRequests = []kubevirtv1.VirtualMachineStateChangeRequest{
			{Action: kubevirtv1.StopRequest, UID: &uid}, {Action: kubevirtv1.StartRequest},
		}
		return env.Client.Status().Update(context.Background(), vm)
	})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, func() string {
		got, vmi := runningVM(t, ns, "cpu")
		switch {
		case vmi.UID == first.UID:
			return "instance not restarted"
		case vmi.Spec.Domain.CPU.Cores != 4:
			return fmt.Sprintf("new instance has %d cores", vmi.Spec.Domain.CPU.Cores)
		case vmCondition(got, kubevirtv1.VirtualMachineRestartRequired) != nil:
			return fmt.Sprintf("RestartRequired still set: %+v", vmCondition(got, kubevirtv1.VirtualMachineRestartRequired))
		case len(got.Status.StateChangeRequests) != 0:
			return fmt.Sprintf("state change requests left: %+v", got.Status.StateChangeRequests)
		case got.Status.ObservedGeneration != got.Generation:
			return fmt.Sprintf("observedGeneration %d, want %d", got.Status.ObservedGeneration, got.Generation)
		}
		return ""
	})
}

// Sockets are hotplugged up to maxSockets (4 × the sockets at boot); beyond it a restart is required.
func TestSocketsHotplugAndMaxSockets(t *testing.T) {
	ns := startSim(t, fastSim)
	create(t, newCloudInitSecret(ns, "skt", nil))
	vm := newVM(ns, "skt", kubevirtv1.RunStrategyAlways, nil, nil)
	vm.Spec.Template.Spec.Domain.CPU = &kubevirtv1.CPU{Sockets: 1, Cores: 2, Threads: 1}
	create(t, vm)
	_, first := runningVM(t, ns, "skt")
	if first.Spec.Domain.CPU.MaxSockets != 4 {
		t.Fatalf("maxSockets = %d, want 4", first.Spec.Domain.CPU.MaxSockets)
	}

	updateTemplate(t, ns, "skt", func(s *kubevirtv1.VirtualMachineInstanceSpec) { s.Domain.CPU.Sockets = 3 })
	eventually(t, 5*time.Second, func() string {
		vmi := getVMI(t, ns, "skt")
		if vmi.Spec.Domain.CPU.Sockets != 3 || vmi.Status.CurrentCPUTopology == nil || vmi.Status.CurrentCPUTopology.Sockets != 3 {
			return fmt.Sprintf("instance sockets %d, current topology %+v", vmi.Spec.Domain.CPU.Sockets, vmi.Status.CurrentCPUTopology)
		}
		return ""
	})
	stillRunning(t, ns, "skt", first)

	updateTemplate(t, ns, "skt", func(s *kubevirtv1.VirtualMachineInstanceSpec) { s.Domain.CPU.Sockets = 5 })
	eventually(t, 5*time.Second, func() string {
		if msg := restartRequired(t, ns, "skt"); msg != msgSocketsAboveMax {
			return fmt.Sprintf("RestartRequired %q", msg)
		}
		return ""
	})
	if vmi := getVMI(t, ns, "skt"); vmi.UID != first.UID || vmi.Spec.Domain.CPU.Sockets != 3 {
		t.Errorf("instance %s has %d sockets, want the first one with 3", vmi.UID, vmi.Spec.Domain.CPU.Sockets)
	}
}

// Template metadata never requires a restart; only the descheduler annotations reach the running instance.
// Placement (node selector, tolerations) is live-updatable.
func TestMetadataAndPlacementChanges(t *testing.T) {
	ns := startSim(t, fastSim)
	const evict = "descheduler.alpha.kubernetes.io/evict"
	create(t, newCloudInitSecret(ns, "meta", nil))
	create(t, newVM(ns, "meta", kubevirtv1.RunStrategyAlways, nil, nil))
	_, first := runningVM(t, ns, "meta")

	updateVM(t, ns, "meta", func(vm *kubevirtv1.VirtualMachine) {
		vm.Spec.Template.ObjectMeta.Labels["tier"] = "gold"
		vm.Spec.Template.ObjectMeta.Annotations = map[string]string{evict: "true", "note": "x"}
		vm.Spec.Template.Spec.NodeSelector = map[string]string{"zone": "a"}
		vm.Spec.Template.Spec.Tolerations = []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpExists}}
	})
	eventually(t, 5*time.Second, func() string {
		vmi := getVMI(t, ns, "meta")
		switch {
		case vmi.Annotations[evict] != "true":
			return fmt.Sprintf("instance annotations %v", vmi.Annotations)
		case vmi.Spec.NodeSelector["zone"] != "a" || len(vmi.Spec.Tolerations) != 1:
			return fmt.Sprintf("instance nodeSelector %v tolerations %v", vmi.Spec.NodeSelector, vmi.Spec.Tolerations)
		}
		return ""
	})
	time.Sleep(200 * time.Millisecond)
	vmi := stillRunning(t, ns, "meta", first)
	if _, ok := vmi.Labels["tier"]; ok {
		t.Error("a template label reached the running instance; KubeVirt syncs none by default")
	}
	if _, ok := vmi.Annotations["note"]; ok {
		t.Error("a non-dynamic template annotation reached the running instance")
	}
}
