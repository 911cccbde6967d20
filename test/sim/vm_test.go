package sim

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	kubevirtv1 "kubevirt.io/api/core/v1"
	cdiv1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"

	"github.com/novasphere/wukong/internal/naming"
)

// fastSim paces imports and boots so each phase is written, but quickly.
var fastSim = Options{ImportDuration: 300 * time.Millisecond, BootDuration: 300 * time.Millisecond}

func vmCondition(vm *kubevirtv1.VirtualMachine, t kubevirtv1.VirtualMachineConditionType) *kubevirtv1.VirtualMachineCondition {
	for i := range vm.Status.Conditions {
		if vm.Status.Conditions[i].Type == t {
			return &vm.Status.Conditions[i]
		}
	}
	return nil
}

// getVMI returns the VM's instance, nil when there is none.
func getVMI(t *testing.T, ns, name string) *kubevirtv1.VirtualMachineInstance {
	t.Helper()
	var vmi kubevirtv1.VirtualMachineInstance
	err := env.Client.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, &vmi)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		t.Fatalf("get VirtualMachineInstance %s: %v", name, err)
	}
	return &vmi
}

// runningVM waits until the VM is ready and returns it with its instance.
func runningVM(t *testing.T, ns, name string) (*kubevirtv1.VirtualMachine, *kubevirtv1.VirtualMachineInstance) {
	t.Helper()
	var vm *kubevirtv1.VirtualMachine
	var vmi *kubevirtv1.VirtualMachineInstance
	eventually(t, 15*time.Second, func() string {
		vm = get(t, ns, name, &kubevirtv1.VirtualMachine{})
		vmi = getVMI(t, ns, name)
		switch {
		case vmi == nil:
			return "no instance; VM is " + string(vm.Status.PrintableStatus)
		case vmi.Status.Phase != kubevirtv1.Running:
			return "instance is " + string(vmi.Status.Phase)
		case !vm.Status.Ready || vm.Status.PrintableStatus != kubevirtv1.VirtualMachineStatusRunning:
			return fmt.Sprintf("VM ready=%v %s", vm.Status.Ready, vm.Status.PrintableStatus)
		}
		return ""
	})
	return vm, vmi
}

// A VM with a DataVolume, a static and a DHCP Multus network boots on a stable node and reports the
// static address exactly, fake pod and DHCP addresses, and the operator's MACs.
func TestVMRunsWithNetworks(t *testing.T) {
	ns := startSim(t, fastSim)
	networks := []vmNetwork{{name: "lan", static: "192.168.1.100/24"}, {name: "dmz"}}
	wk := newWukong(ns, "web")
	create(t, wk)
	dv := newDataVolume(ns, naming.DataVolume("web", "root"), "registry")
	ownedBy(dv, wk)
	create(t, dv)
	for _, n := range networks {
		create(t, newAttachment(ns, "web", n.name))
	}
	vm := newVM(ns, "web", kubevirtv1.RunStrategyAlways, []string{dv.Name}, networks)
	ownedBy(vm, wk)
	create(t, vm)
	create(t, newCloudInitSecret(ns, "web", networks))

	eventually(t, 5*time.Second, func() string {
		if s := get(t, ns, "web", &kubevirtv1.VirtualMachine{}).Status.PrintableStatus; s != kubevirtv1.VirtualMachineStatusProvisioning {
			if getVMI(t, ns, "web") == nil {
				return "VM is " + string(s) + " before its disk is imported, want Provisioning"
			}
			t.Fatalf("an instance was created while the DataVolume is %s", get(t, ns, dv.Name, &cdiv1.DataVolume{}).Status.Phase)
		}
		return ""
	})

	got, vmi := runningVM(t, ns, "web")
	if !got.Status.Created || got.Status.ObservedGeneration != got.Generation {
		t.Errorf("VM status created=%v observedGeneration=%d generation=%d", got.Status.Created, got.Status.ObservedGeneration, got.Generation)
	}
	if c := vmCondition(got, kubevirtv1.VirtualMachineReady); c == nil || c.Status != corev1.ConditionTrue {
		t.Errorf("VM Ready condition = %+v", c)
	}
	if ref := metav1.GetControllerOf(vmi); ref == nil || ref.UID != got.UID || ref.Kind != "VirtualMachine" {
		t.Errorf("instance controller = %+v, want the VM", ref)
	}
	if start := startTemplate(vmi); vmi.Labels["vm.novasphere.dev/wukong"] != "web" || start == nil ||
		!equality.Semantic.DeepEqual(*start, *got.Spec.Template) {
		t.Errorf("instance labels %v annotations %v", vmi.Labels, vmi.Annotations)
	}
	if want := nodeFor(ns, "web", nil, DefaultNodes); vmi.Status.NodeName != want || !slices.Contains(DefaultNodes, want) {
		t.Errorf("nodeName = %q, want %q", vmi.Status.NodeName, want)
	}
	var phases []kubevirtv1.VirtualMachineInstancePhase
	for _, p := range vmi.Status.PhaseTransitionTimestamps {
		phases = append(phases, p.Phase)
	}
	if want := []kubevirtv1.VirtualMachineInstancePhase{kubevirtv1.Pending, kubevirtv1.Scheduling, kubevirtv1.Scheduled, kubevirtv1.Running}; !slices.Equal(phases, want) {
		t.Errorf("phases = %v, want %v", phases, want)
	}

	ifaces := map[string]kubevirtv1.VirtualMachineInstanceNetworkInterface{}
	for _, i := range vmi.Status.Interfaces {
		ifaces[i.Name] = i
	}
	for i, c := range []struct{ name, ipPrefix string }{{"default", "10.244."}, {"lan", ""}, {"dmz", "172.30."}} {
		iface, ok := ifaces[c.name]
		switch {
		case !ok:
			t.Errorf("no interface %s in %+v", c.name, vmi.Status.Interfaces)
			continue
		case iface.MAC != naming.MAC(ns, "web", c.name):
			t.Errorf("%s mac = %q, want the template's", c.name, iface.MAC)
		case iface.InterfaceName != fmt.Sprintf("eth%d", i):
			t.Errorf("%s interfaceName = %q, want eth%d", c.name, iface.InterfaceName, i)
		case c.ipPrefix == "" && (iface.IP != "192.168.1.100" || !slices.Equal(iface.IPs, []string{"192.168.1.100"})):
			t.Errorf("static %s ipAddress = %q ipAddresses = %q, want 192.168.1.100", c.name, iface.IP, iface.IPs)
		case c.ipPrefix != "" && (!strings.HasPrefix(iface.IP, c.ipPrefix) || !slices.Equal(iface.IPs, []string{iface.IP})):
			t.Errorf("%s ipAddress = %q ipAddresses = %q, want one in %s0.0/16", c.name, iface.IP, iface.IPs, c.ipPrefix)
		}
	}

	t.Run("hostname node selector", func(t *testing.T) {
		vm := newVM(ns, "pinned", kubevirtv1.RunStrategyAlways, nil, nil)
		vm.Spec.Template.Spec.NodeSelector = map[string]string{"kubernetes.io/hostname": "worker-7"}
		create(t, vm)
		create(t, newCloudInitSecret(ns, "pinned", nil))
		if _, vmi := runningVM(t, ns, "pinned"); vmi.Status.NodeName != "worker-7" {
			t.Errorf("nodeName = %q, want worker-7", vmi.Status.NodeName)
		}
	})
}

// An instance whose Multus network selects an attachment that does not exist waits in Pending, as
// virt-controller cannot render its launcher pod, and runs once the attachment is created.
func TestMissingAttachmentHoldsInstance(t *testing.T) {
	ns := startSim(t, fastSim)
	networks := []vmNetwork{{name: "lan"}}
	create(t, newVM(ns, "web", kubevirtv1.RunStrategyAlways, nil, networks))
	create(t, newCloudInitSecret(ns, "web", networks))

	want := "failed to render launch manifest: failed to locate network attachment definition for " + ns + "/web-lan: "
	held := func() string {
		vmi := getVMI(t, ns, "web")
		if vmi == nil {
			return "no instance"
		}
		c := vmiCondition(vmi, kubevirtv1.VirtualMachineInstanceSynchronized)
		switch {
		case vmi.Status.Phase == "":
			// Created by the simulated virt-controller, not yet reconciled by its virt-handler.
			return "no phase yet"
		case vmi.Status.Phase != kubevirtv1.Pending:
			t.Fatalf("instance is %s on %q without its attachment, want Pending", vmi.Status.Phase, vmi.Status.NodeName)
		case c == nil:
			return "no Synchronized condition"
		case c.Status != corev1.ConditionFalse || c.Reason != "FailedCreate" || !strings.HasPrefix(c.Message, want) ||
			!strings.HasSuffix(c.Message, `"web-lan" not found`):
			t.Fatalf("Synchronized = %+v, want False/FailedCreate %q...not found", c, want)
		}
		if vm := get(t, ns, "web", &kubevirtv1.VirtualMachine{}); vm.Status.Ready || vm.Status.PrintableStatus != kubevirtv1.VirtualMachineStatusStarting {
			return fmt.Sprintf("VM ready=%v %s, want Starting", vm.Status.Ready, vm.Status.PrintableStatus)
		}
		return ""
	}
	eventually(t, 5*time.Second, held)
	// Several boot steps pass: only the attachment can release the instance.
	time.Sleep(3 * fastSim.BootDuration)
	if why := held(); why != "" {
		t.Fatal(why)
	}

	create(t, newAttachment(ns, "web", "lan"))
	_, vmi := runningVM(t, ns, "web")
	if c := vmiCondition(vmi, kubevirtv1.VirtualMachineInstanceSynchronized); c != nil {
		t.Errorf("Synchronized = %+v once the pod rendered, want none", c)
	}
	var phases []kubevirtv1.VirtualMachineInstancePhase
	for _, p := range vmi.Status.PhaseTransitionTimestamps {
		phases = append(phases, p.Phase)
	}
	if want := []kubevirtv1.VirtualMachineInstancePhase{kubevirtv1.Pending, kubevirtv1.Scheduling, kubevirtv1.Scheduled, kubevirtv1.Running}; !slices.Equal(phases, want) {
		t.Errorf("phases = %v, want %v", phases, want)
	}
}

// Halted means no instance; switching run strategies starts and stops one.
func TestHaltedAndRunStrategies(t *testing.T) {
	ns := startSim(t, fastSim)
	create(t, newCloudInitSecret(ns, "idle", nil))
	vm := newVM(ns, "idle", kubevirtv1.RunStrategyHalted, nil, nil)
	create(t, vm)
	stopped := func() string {
		got := get(t, ns, "idle", &kubevirtv1.VirtualMachine{})
		switch {
		case getVMI(t, ns, "idle") != nil:
			return "an instance exists"
		case got.Status.PrintableStatus != kubevirtv1.VirtualMachineStatusStopped || got.Status.Ready || got.Status.Created:
			return fmt.Sprintf("VM %s ready=%v created=%v, want Stopped", got.Status.PrintableStatus, got.Status.Ready, got.Status.Created)
		}
		return ""
	}
	eventually(t, 5*time.Second, stopped)
	// Halted must stay so, not merely be so at first.
	time.Sleep(500 * time.Millisecond)
	if why := stopped(); why != "" {
		t.Fatal(why)
	}

	setStrategy(t, ns, "idle", kubevirtv1.RunStrategyAlways)
	runningVM(t, ns, "idle")
	setStrategy(t, ns, "idle", kubevirtv1.RunStrategyHalted)
	eventually(t, 5*time.Second, stopped)

	t.Run("Manual starts on a Start request", func(t *testing.T) {
		setStrategy(t, ns, "idle", kubevirtv1.RunStrategyManual)
		time.Sleep(300 * time.Millisecond)
		if why := stopped(); why != "" {
			t.Fatalf("Manual without a start: %s", why)
		}
		// This is what `virtctl start` makes virt-api write.
		got := get(t, ns, "idle", &kubevirtv1.VirtualMachine{})
		got.Status.StateChangeRequests = []kubevirtv1.VirtualMachineStateChangeRequest{{Action: kubevirtv1.StartRequest}}
		if err := env.Client.Status().Update(context.Background(), got); err != nil {
			t.Fatal(err)
		}
		vm, _ := runningVM(t, ns, "idle")
		if len(vm.Status.StateChangeRequests) != 0 {
			t.Errorf("state change requests left: %+v", vm.Status.StateChangeRequests)
		}
	})
}

func setStrategy(t *testing.T, ns, name string, s kubevirtv1.VirtualMachineRunStrategy) {
	t.Helper()
	patch := fmt.Appendf(nil, `{"spec":{"runStrategy":%q}}`, s)
	vm := &kubevirtv1.VirtualMachine{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	if err := env.Client.Patch(context.Background(), vm, rawMergePatch(patch)); err != nil {
		t.Fatalf("set runStrategy %s: %v", s, err)
	}
}

// An unschedulable VM waits in Scheduling with the scheduler's message until the annotation goes.
func TestUnschedulable(t *testing.T) {
	ns := startSim(t, fastSim)
	const msg = "0/3 nodes are available: 3 Insufficient memory."
	create(t, newCloudInitSecret(ns, "big", nil))
	vm := newVM(ns, "big", kubevirtv1.RunStrategyAlways, nil, nil)
	vm.Annotations = map[string]string{AnnotationUnschedulable: msg}
	create(t, vm)

	eventually(t, 5*time.Second, func() string {
		vmi := getVMI(t, ns, "big")
		if vmi == nil {
			return "no instance"
		}
		c := vmiCondition(vmi, vmiConditionPodScheduled)
		if vmi.Status.Phase != kubevirtv1.Scheduling || c == nil || c.Status != corev1.ConditionFalse ||
			c.Reason != "Unschedulable" || c.Message != msg {
			return fmt.Sprintf("instance %s PodScheduled %+v", vmi.Status.Phase, c)
		}
		got := get(t, ns, "big", &kubevirtv1.VirtualMachine{})
		if got.Status.PrintableStatus != kubevirtv1.VirtualMachineStatusUnschedulable {
			return "VM is " + string(got.Status.PrintableStatus)
		}
		return ""
	})
	annotate(t, vm, AnnotationUnschedulable, nil)
	_, vmi := runningVM(t, ns, "big")
	if c := vmiCondition(vmi, vmiConditionPodScheduled); c == nil || c.Status != corev1.ConditionTrue {
		t.Errorf("PodScheduled = %+v after recovery", c)
	}
}

// A crash injected on the Wukong fails the instance and shows CrashLoopBackOff; removing it starts a new
// instance.
func TestCrash(t *testing.T) {
	ns := startSim(t, fastSim)
	const msg = "guest kernel panic: VFS unable to mount root fs"
	wk := newWukong(ns, "app")
	create(t, wk)
	create(t, newCloudInitSecret(ns, "app", nil))
	vm := newVM(ns, "app", kubevirtv1.RunStrategyAlways, nil, nil)
	ownedBy(vm, wk)
	create(t, vm)
	_, first := runningVM(t, ns, "app")

	annotate(t, wk, AnnotationCrash, new(msg))
	eventually(t, 5*time.Second, func() string {
		vmi := getVMI(t, ns, "app")
		if vmi == nil || vmi.Status.Phase != kubevirtv1.Failed {
			return "instance not Failed"
		}
		got := get(t, ns, "app", &kubevirtv1.VirtualMachine{})
		c := vmCondition(got, kubevirtv1.VirtualMachineFailure)
		if got.Status.PrintableStatus != kubevirtv1.VirtualMachineStatusCrashLoopBackOff || got.Status.Ready ||
			c == nil || c.Status != corev1.ConditionTrue || c.Message != msg {
			return fmt.Sprintf("VM %s ready=%v Failure %+v", got.Status.PrintableStatus, got.Status.Ready, c)
		}
		return ""
	})

	annotate(t, wk, AnnotationCrash, nil)
	got, second := runningVM(t, ns, "app")
	if second.UID == first.UID {
		t.Error("the failed instance was not replaced")
	}
	if c := vmCondition(got, kubevirtv1.VirtualMachineFailure); c != nil {
		t.Errorf("Failure condition left after recovery: %+v", c)
	}
}

// A template change that is not live-updatable asks for a restart; the restart annotation carries it out; a
// deleted instance comes back.
func TestRestartRequiredAndRestart(t *testing.T) {
	ns := startSim(t, fastSim)
	create(t, newCloudInitSecret(ns, "svc", nil))
	vm := newVM(ns, "svc", kubevirtv1.RunStrategyAlways, nil, nil)
	create(t, vm)
	_, first := runningVM(t, ns, "svc")

	updateTemplate(t, ns, "svc", setCores(2))
	eventually(t, 5*time.Second, func() string {
		got := get(t, ns, "svc", &kubevirtv1.VirtualMachine{})
		if c := vmCondition(got, kubevirtv1.VirtualMachineRestartRequired); c == nil || c.Status != corev1.ConditionTrue {
			return fmt.Sprintf("RestartRequired = %+v", c)
		}
		return ""
	})
	if vmi := getVMI(t, ns, "svc"); vmi == nil || vmi.UID != first.UID || vmi.Status.Phase != kubevirtv1.Running {
		t.Fatal("a template change alone must not restart the instance")
	}

	annotate(t, vm, AnnotationRestart, new(time.Now().Format(time.RFC3339Nano)))
	var second *kubevirtv1.VirtualMachineInstance
	eventually(t, 10*time.Second, func() string {
		var got *kubevirtv1.VirtualMachine
		got, second = runningVM(t, ns, "svc")
		switch {
		case second.UID == first.UID:
			return "instance not restarted"
		case vmCondition(got, kubevirtv1.VirtualMachineRestartRequired) != nil:
			return "RestartRequired still set"
		case second.Spec.Domain.CPU.Cores != 2:
			return fmt.Sprintf("new instance has %d cores", second.Spec.Domain.CPU.Cores)
		}
		return ""
	})

	if err := env.Client.Delete(context.Background(), second); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, func() string {
		if _, third := runningVM(t, ns, "svc"); third.UID == second.UID {
			return "deleted instance not replaced"
		}
		return ""
	})
}
