package wukong

import (
	"errors"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/diff"
	kubevirtv1 "kubevirt.io/api/core/v1"
	cdiv1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/apply"
)

// These tests build observations by hand, so each branch of the status logic is reached without a
// control plane, including states the simulator never produces.

// dv is a DataVolume observation for disk name of Wukong "w". phase "" means not observed yet (just created).
func dv(name string, phase cdiv1.DataVolumePhase, progress string, conds ...cdiv1.DataVolumeCondition) dataVolumeObservation {
	url := "docker://quay.io/containerdisks/fedora:41"
	desired := &cdiv1.DataVolume{
		ObjectMeta: metav1.ObjectMeta{Name: "w-" + name},
		Spec: cdiv1.DataVolumeSpec{
			Source: &cdiv1.DataVolumeSource{Registry: &cdiv1.DataVolumeSourceRegistry{URL: &url}},
			Storage: &cdiv1.StorageSpec{Resources: corev1.VolumeResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("10Gi")},
			}},
		},
	}
	o := dataVolumeObservation{desired: desired}
	if phase != "" {
		o.actual = desired.DeepCopy()
		o.actual.UID = types.UID("uid-" + desired.Name)
		o.actual.Status = cdiv1.DataVolumeStatus{Phase: phase, Progress: cdiv1.DataVolumeProgress(progress), Conditions: conds}
	}
	return o
}

// running is CDI's Running condition with the given status, reason and message.
func running(status corev1.ConditionStatus, reason, msg string) cdiv1.DataVolumeCondition {
	return cdiv1.DataVolumeCondition{Type: cdiv1.DataVolumeRunning, Status: status, Reason: reason, Message: msg}
}

func TestDisksCondition(t *testing.T) {
	for _, tc := range []struct {
		name   string
		dvs    []dataVolumeObservation
		ok     bool
		reason string
		msg    string
	}{
		{name: "no disks", ok: true, reason: vmv1alpha1.ReasonNoDisks},
		{name: "just created", dvs: []dataVolumeObservation{dv("root", "", "")},
			reason: vmv1alpha1.ReasonImporting, msg: "w-root: creating"},
		{name: "pending without progress", dvs: []dataVolumeObservation{dv("root", cdiv1.Pending, "N/A")},
			reason: vmv1alpha1.ReasonImporting, msg: "w-root: Pending"},
		{name: "importing with progress", dvs: []dataVolumeObservation{dv("root", cdiv1.ImportInProgress, "45.20%", running(corev1.ConditionTrue, "Pod is running", ""))},
			reason: vmv1alpha1.ReasonImporting, msg: "w-root: ImportInProgress 45.20%"},
		{name: "all succeeded", ok: true, reason: vmv1alpha1.ReasonDisksReady, dvs: []dataVolumeObservation{
			dv("root", cdiv1.Succeeded, "100.0%", running(corev1.ConditionFalse, "Completed", "Import Complete")),
			dv("data", cdiv1.Succeeded, "100.0%"),
		}},
		{name: "failed phase with CDI's message", dvs: []dataVolumeObservation{dv("root", cdiv1.Failed, "", running(corev1.ConditionFalse, "Error", "404 Not Found"))},
			reason: vmv1alpha1.ReasonImportFailed, msg: "w-root: 404 Not Found"},
		{name: "failed phase without conditions", dvs: []dataVolumeObservation{dv("root", cdiv1.Failed, "")},
			reason: vmv1alpha1.ReasonImportFailed, msg: "w-root: import failed"},
		{name: "importer erroring while CDI retries", dvs: []dataVolumeObservation{dv("root", cdiv1.ImportInProgress, "0.00%", running(corev1.ConditionFalse, "Error", "connection refused"))},
			reason: vmv1alpha1.ReasonImportFailed, msg: "w-root: connection refused"},
		{name: "error reason without message", dvs: []dataVolumeObservation{dv("root", cdiv1.ImportInProgress, "", running(corev1.ConditionFalse, "ErrImagePull", ""))},
			reason: vmv1alpha1.ReasonImportFailed, msg: "w-root: ErrImagePull"},
		{name: "stale error after success", ok: true, reason: vmv1alpha1.ReasonDisksReady,
			dvs: []dataVolumeObservation{dv("root", cdiv1.Succeeded, "100.0%", running(corev1.ConditionFalse, "Error", "old"))}},
		{name: "pending reasons are not failures", dvs: []dataVolumeObservation{dv("root", cdiv1.Pending, "N/A", running(corev1.ConditionFalse, "Pending", "waiting"))},
			reason: vmv1alpha1.ReasonImporting, msg: "w-root: Pending"},
		{name: "a failure outranks pending disks and names only the failed ones", dvs: []dataVolumeObservation{
			dv("root", cdiv1.ImportInProgress, "25.00%"),
			dv("data", cdiv1.Failed, "", running(corev1.ConditionFalse, "Error", "disk full")),
			dv("logs", cdiv1.Failed, "", running(corev1.ConditionFalse, "Error", "quota")),
		}, reason: vmv1alpha1.ReasonImportFailed, msg: "w-data: disk full; w-logs: quota"},
		{name: "pending disks are listed in order", dvs: []dataVolumeObservation{
			dv("root", cdiv1.ImportInProgress, "75.00%"), dv("data", cdiv1.Succeeded, "100.0%"), dv("logs", "", ""),
		}, reason: vmv1alpha1.ReasonImporting, msg: "w-root: ImportInProgress 75.00%; w-logs: creating"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, reason, msg := disksCondition(&observed{dataVolumes: tc.dvs})
			if ok != tc.ok || reason != tc.reason || msg != tc.msg {
				t.Errorf("disksCondition = %v, %q, %q; want %v, %q, %q", ok, reason, msg, tc.ok, tc.reason, tc.msg)
			}
		})
	}
}

// wukong is a Wukong named w with one disk and one secondary network, lan.
func wukong(strategy vmv1alpha1.RunStrategy) *vmv1alpha1.Wukong {
	return &vmv1alpha1.Wukong{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "w", Generation: 3},
		Spec: vmv1alpha1.WukongSpec{
			CPU: 2, Memory: resource.MustParse("1Gi"), RunStrategy: strategy,
			Disks:    []vmv1alpha1.Disk{{Name: "root", Size: resource.MustParse("10Gi"), Image: "docker://quay.io/containerdisks/fedora:41"}},
			Networks: []vmv1alpha1.Network{{Name: "lan"}},
		},
	}
}

func vm(printable kubevirtv1.VirtualMachinePrintableStatus, conds ...kubevirtv1.VirtualMachineCondition) *kubevirtv1.VirtualMachine {
	return &kubevirtv1.VirtualMachine{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "w", UID: "vm-uid"},
		Status:     kubevirtv1.VirtualMachineStatus{PrintableStatus: printable, Conditions: conds},
	}
}

func vmi(phase kubevirtv1.VirtualMachineInstancePhase, conds ...kubevirtv1.VirtualMachineInstanceCondition) *kubevirtv1.VirtualMachineInstance {
	return &kubevirtv1.VirtualMachineInstance{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "w"},
		Status:     kubevirtv1.VirtualMachineInstanceStatus{Phase: phase, NodeName: "node-1", Conditions: conds},
	}
}

var (
	condReady    = kubevirtv1.VirtualMachineInstanceCondition{Type: kubevirtv1.VirtualMachineInstanceReady, Status: corev1.ConditionTrue}
	condNotReady = kubevirtv1.VirtualMachineInstanceCondition{Type: kubevirtv1.VirtualMachineInstanceReady, Status: corev1.ConditionFalse}
)

func TestPhaseOf(t *testing.T) {
	succeeded := []dataVolumeObservation{dv("root", cdiv1.Succeeded, "100.0%")}
	failedDisk := []dataVolumeObservation{dv("root", cdiv1.Failed, "", running(corev1.ConditionFalse, "Error", "404"))}
	importing := []dataVolumeObservation{dv("root", cdiv1.ImportInProgress, "50.00%")}
	unschedulable := kubevirtv1.VirtualMachineInstanceCondition{
		Type: kubevirtv1.VirtualMachineInstanceConditionType(corev1.PodScheduled), Status: corev1.ConditionFalse,
		Reason: "Unschedulable", Message: "0/3 nodes are available",
	}
	crashed := kubevirtv1.VirtualMachineCondition{Type: kubevirtv1.VirtualMachineFailure, Status: corev1.ConditionTrue, Message: "kernel panic"}

	for _, tc := range []struct {
		name     string
		strategy vmv1alpha1.RunStrategy
		obs      observed
		phase    vmv1alpha1.WukongPhase
		ready    bool
		reason   string
		msg      string
	}{
		{name: "invalid spec outranks everything",
			obs:   observed{invalid: errors.New("spec.disks[0].image: bad"), conflict: &apply.ErrNotControlled{Kind: "VirtualMachine", Name: "w"}, missingSecret: "Secret s"},
			phase: vmv1alpha1.WukongFailed, reason: vmv1alpha1.ReasonInvalidSpec, msg: "spec.disks[0].image: bad"},
		{name: "name conflict outranks a missing secret",
			obs:   observed{conflict: &apply.ErrNotControlled{Kind: "VirtualMachine", Name: "w"}, missingSecret: "Secret s"},
			phase: vmv1alpha1.WukongFailed, reason: vmv1alpha1.ReasonNameConflict, msg: "VirtualMachine w exists and is not controlled by this Wukong"},
		{name: "missing secret waits",
			obs:   observed{missingSecret: "Secret alice-pw"},
			phase: vmv1alpha1.WukongPending, reason: vmv1alpha1.ReasonSecretNotFound, msg: "Secret alice-pw not found"},
		{name: "import failure fails even with a running VM",
			obs:   observed{dataVolumes: failedDisk, vm: vm(kubevirtv1.VirtualMachineStatusRunning), vmi: vmi(kubevirtv1.Running, condReady)},
			phase: vmv1alpha1.WukongFailed, reason: vmv1alpha1.ReasonImportFailed, msg: "w-root: 404"},
		{name: "importing provisions",
			obs:   observed{dataVolumes: importing, vm: vm(kubevirtv1.VirtualMachineStatusProvisioning)},
			phase: vmv1alpha1.WukongProvisioning, reason: vmv1alpha1.ReasonProvisioning, msg: "w-root: ImportInProgress 50.00%"},
		{name: "no VM yet",
			obs:   observed{dataVolumes: succeeded},
			phase: vmv1alpha1.WukongPending, reason: vmv1alpha1.ReasonStarting, msg: "VirtualMachine not created yet"},
		{name: "waiting for the instance",
			obs:   observed{dataVolumes: succeeded, vm: vm(kubevirtv1.VirtualMachineStatusStarting)},
			phase: vmv1alpha1.WukongStarting, reason: vmv1alpha1.ReasonStarting, msg: "waiting for the VirtualMachineInstance"},
		{name: "halted", strategy: vmv1alpha1.RunStrategyHalted,
			obs:   observed{dataVolumes: succeeded, vm: vm(kubevirtv1.VirtualMachineStatusStopped)},
			phase: vmv1alpha1.WukongStopped, reason: vmv1alpha1.ReasonStopped, msg: "the VM is not running (runStrategy Halted)"},
		{name: "manual without instance", strategy: vmv1alpha1.RunStrategyManual,
			obs:   observed{dataVolumes: succeeded, vm: vm("")},
			phase: vmv1alpha1.WukongStopped, reason: vmv1alpha1.ReasonStopped, msg: "the VM is not running (runStrategy Manual)"},
		{name: "once, finished", strategy: vmv1alpha1.RunStrategyOnce,
			obs:   observed{dataVolumes: succeeded, vm: vm(kubevirtv1.VirtualMachineStatusStopped), vmi: vmi(kubevirtv1.Succeeded)},
			phase: vmv1alpha1.WukongStopped, reason: vmv1alpha1.ReasonStopped, msg: "the VM is not running (runStrategy Once)"},
		{name: "default strategy is Always when stopped by KubeVirt",
			obs:   observed{dataVolumes: succeeded, vm: vm(kubevirtv1.VirtualMachineStatusStopped)},
			phase: vmv1alpha1.WukongStopped, reason: vmv1alpha1.ReasonStopped, msg: "the VM is not running (runStrategy Always)"},
		{name: "running and ready",
			obs:   observed{dataVolumes: succeeded, vm: vm(kubevirtv1.VirtualMachineStatusRunning), vmi: vmi(kubevirtv1.Running, condReady)},
			phase: vmv1alpha1.WukongRunning, ready: true, reason: vmv1alpha1.ReasonRunning},
		{name: "running without disks",
			obs:   observed{vm: vm(kubevirtv1.VirtualMachineStatusRunning), vmi: vmi(kubevirtv1.Running, condReady)},
			phase: vmv1alpha1.WukongRunning, ready: true, reason: vmv1alpha1.ReasonRunning},
		{name: "running but not ready",
			obs:   observed{dataVolumes: succeeded, vm: vm(kubevirtv1.VirtualMachineStatusRunning), vmi: vmi(kubevirtv1.Running, condNotReady)},
			phase: vmv1alpha1.WukongStarting, reason: vmv1alpha1.ReasonStarting, msg: "VM instance is Running"},
		{name: "scheduling",
			obs:   observed{dataVolumes: succeeded, vm: vm(kubevirtv1.VirtualMachineStatusStarting), vmi: vmi(kubevirtv1.Scheduling)},
			phase: vmv1alpha1.WukongStarting, reason: vmv1alpha1.ReasonStarting, msg: "VM instance is Scheduling"},
		{name: "unschedulable carries the scheduler's message",
			obs:   observed{dataVolumes: succeeded, vm: vm(kubevirtv1.VirtualMachineStatusUnschedulable), vmi: vmi(kubevirtv1.Scheduling, unschedulable)},
			phase: vmv1alpha1.WukongStarting, reason: vmv1alpha1.ReasonUnschedulable, msg: "0/3 nodes are available"},
		{name: "instance failed",
			obs:   observed{dataVolumes: succeeded, vm: vm(kubevirtv1.VirtualMachineStatusStopped), vmi: vmi(kubevirtv1.Failed)},
			phase: vmv1alpha1.WukongFailed, reason: vmv1alpha1.ReasonVMFailed, msg: "the VM instance failed"},
		{name: "crash loop carries KubeVirt's failure message",
			obs:   observed{dataVolumes: succeeded, vm: vm(kubevirtv1.VirtualMachineStatusCrashLoopBackOff, crashed), vmi: vmi(kubevirtv1.Failed)},
			phase: vmv1alpha1.WukongFailed, reason: vmv1alpha1.ReasonVMFailed, msg: "kernel panic"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			disksOK, disksReason, disksMsg := disksCondition(&tc.obs)
			phase, ready, reason, msg := phaseOf(wukong(tc.strategy), &tc.obs, disksOK, disksReason, disksMsg)
			if phase != tc.phase || ready != tc.ready || reason != tc.reason || msg != tc.msg {
				t.Errorf("phaseOf = %s, %v, %q, %q; want %s, %v, %q, %q", phase, ready, reason, msg, tc.phase, tc.ready, tc.reason, tc.msg)
			}
		})
	}
}

func iface(name, ifName, mac string, ips ...string) kubevirtv1.VirtualMachineInstanceNetworkInterface {
	i := kubevirtv1.VirtualMachineInstanceNetworkInterface{Name: name, InterfaceName: ifName, MAC: mac, IPs: ips}
	if len(ips) > 0 {
		i.IP = ips[0]
	}
	return i
}

func TestNetworkStatus(t *testing.T) {
	w := wukong("")
	w.Spec.Networks = []vmv1alpha1.Network{{Name: "lan"}, {Name: "dmz"}}
	pod := iface("default", "eth0", "02:00:00:00:00:01", "10.244.1.2")
	lan := iface("lan", "eth1", "02:00:00:00:00:02", "192.168.1.10", "fe80::1")
	dmz := iface("dmz", "eth2", "02:00:00:00:00:03", "172.30.4.5")
	status := func(i kubevirtv1.VirtualMachineInstanceNetworkInterface) vmv1alpha1.NetworkStatus {
		return vmv1alpha1.NetworkStatus{Name: i.Name, Interface: i.InterfaceName, IP: i.IP, IPs: i.IPs, MAC: i.MAC}
	}

	for _, tc := range []struct {
		name       string
		interfaces []kubevirtv1.VirtualMachineInstanceNetworkInterface
		want       []vmv1alpha1.NetworkStatus
		ip         string
	}{
		{name: "no interfaces reported yet"},
		{name: "spec order whatever the instance's order; first secondary address is the IP",
			interfaces: []kubevirtv1.VirtualMachineInstanceNetworkInterface{dmz, lan, pod},
			want:       []vmv1alpha1.NetworkStatus{status(pod), status(lan), status(dmz)}, ip: "192.168.1.10"},
		{name: "a secondary without address is skipped for the IP",
			interfaces: []kubevirtv1.VirtualMachineInstanceNetworkInterface{pod, iface("lan", "eth1", "02:00:00:00:00:02"), dmz},
			want:       []vmv1alpha1.NetworkStatus{status(pod), status(iface("lan", "eth1", "02:00:00:00:00:02")), status(dmz)}, ip: "172.30.4.5"},
		{name: "the pod address when no secondary has one",
			interfaces: []kubevirtv1.VirtualMachineInstanceNetworkInterface{pod, iface("lan", "eth1", "02:00:00:00:00:02")},
			want:       []vmv1alpha1.NetworkStatus{status(pod), status(iface("lan", "eth1", "02:00:00:00:00:02"))}, ip: "10.244.1.2"},
		{name: "interfaces not in the spec are left out",
			interfaces: []kubevirtv1.VirtualMachineInstanceNetworkInterface{pod, iface("hotplugged", "eth9", "02:00:00:00:00:09", "10.9.9.9")},
			want:       []vmv1alpha1.NetworkStatus{status(pod)}, ip: "10.244.1.2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			i := vmi(kubevirtv1.Running)
			i.Status.Interfaces = tc.interfaces
			got, ip := networkStatus(w, i)
			if !equality.Semantic.DeepEqual(got, tc.want) || ip != tc.ip {
				t.Errorf("networkStatus ip = %q, want %q; networks (-want +got):\n%s", ip, tc.ip, diff.Diff(tc.want, got))
			}
		})
	}
}

func TestGuestStatus(t *testing.T) {
	agent := func(s corev1.ConditionStatus) kubevirtv1.VirtualMachineInstanceCondition {
		return kubevirtv1.VirtualMachineInstanceCondition{Type: kubevirtv1.VirtualMachineInstanceAgentConnected, Status: s}
	}
	ubuntu := kubevirtv1.VirtualMachineInstanceGuestOSInfo{Name: "Ubuntu", Version: "24.04.1 LTS (Noble Numbat)",
		PrettyName: "Ubuntu 24.04.1 LTS", VersionID: "24.04", KernelRelease: "6.8.0-45-generic", ID: "ubuntu"}
	for _, tc := range []struct {
		name  string
		os    kubevirtv1.VirtualMachineInstanceGuestOSInfo
		conds []kubevirtv1.VirtualMachineInstanceCondition
		want  vmv1alpha1.GuestStatus
	}{
		{name: "no agent", want: vmv1alpha1.GuestStatus{}},
		{name: "agent connected", os: ubuntu, conds: []kubevirtv1.VirtualMachineInstanceCondition{condReady, agent(corev1.ConditionTrue)},
			want: vmv1alpha1.GuestStatus{AgentConnected: true, OS: "Ubuntu 24.04.1 LTS", OSVersion: "24.04", Kernel: "6.8.0-45-generic"}},
		{name: "agent gone, last OS info kept", os: ubuntu, conds: []kubevirtv1.VirtualMachineInstanceCondition{agent(corev1.ConditionFalse)},
			want: vmv1alpha1.GuestStatus{OS: "Ubuntu 24.04.1 LTS", OSVersion: "24.04", Kernel: "6.8.0-45-generic"}},
		{name: "no pretty name: name and version",
			os:    kubevirtv1.VirtualMachineInstanceGuestOSInfo{Name: "Microsoft Windows Server 2022", Version: "2022", KernelRelease: "20348"},
			conds: []kubevirtv1.VirtualMachineInstanceCondition{agent(corev1.ConditionTrue)},
			want:  vmv1alpha1.GuestStatus{AgentConnected: true, OS: "Microsoft Windows Server 2022 2022", Kernel: "20348"}},
		{name: "connected before it reports the OS", conds: []kubevirtv1.VirtualMachineInstanceCondition{agent(corev1.ConditionTrue)},
			want: vmv1alpha1.GuestStatus{AgentConnected: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			i := vmi(kubevirtv1.Running, tc.conds...)
			i.Status.GuestOSInfo = tc.os
			if got := guestStatus(i); got == nil || *got != tc.want {
				t.Errorf("guestStatus = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestComputeStatus(t *testing.T) {
	runningObs := func() *observed {
		i := vmi(kubevirtv1.Running, condReady)
		i.Status.Interfaces = []kubevirtv1.VirtualMachineInstanceNetworkInterface{
			iface("default", "eth0", "02:00:00:00:00:01", "10.244.1.2"),
			iface("lan", "eth1", "02:00:00:00:00:02", "192.168.1.10"),
		}
		return &observed{
			dataVolumes: []dataVolumeObservation{dv("root", cdiv1.Succeeded, "100.0%")},
			vm:          vm(kubevirtv1.VirtualMachineStatusRunning),
			vmi:         i,
		}
	}

	t.Run("running", func(t *testing.T) {
		w := wukong("")
		st := computeStatus(w, runningObs(), nil)
		want := vmv1alpha1.WukongStatus{
			ObservedGeneration: 3, Phase: vmv1alpha1.WukongRunning, VMName: "w", NodeName: "node-1", IP: "192.168.1.10",
			Networks: []vmv1alpha1.NetworkStatus{
				{Name: "default", Interface: "eth0", IP: "10.244.1.2", IPs: []string{"10.244.1.2"}, MAC: "02:00:00:00:00:01"},
				{Name: "lan", Interface: "eth1", IP: "192.168.1.10", IPs: []string{"192.168.1.10"}, MAC: "02:00:00:00:00:02"},
			},
			Volumes: []vmv1alpha1.VolumeStatus{{Name: "root", DataVolume: "w-root", Phase: "Succeeded", Progress: "100.0%"}},
			Guest:   &vmv1alpha1.GuestStatus{},
		}
		conds := st.Conditions
		st.Conditions = nil
		if !equality.Semantic.DeepEqual(st, want) {
			t.Errorf("status (-want +got):\n%s", diff.Diff(want, st))
		}
		wantConds := map[string][2]string{
			vmv1alpha1.WukongReady:           {"True", vmv1alpha1.ReasonRunning},
			vmv1alpha1.WukongDisksReady:      {"True", vmv1alpha1.ReasonDisksReady},
			vmv1alpha1.WukongNetworksReady:   {"True", vmv1alpha1.ReasonAttachmentsReady},
			vmv1alpha1.WukongRestartRequired: {"False", vmv1alpha1.ReasonUpToDate},
			vmv1alpha1.WukongUpToDate:        {"True", vmv1alpha1.ReasonUpToDate},
			vmv1alpha1.WukongDisksUpToDate:   {"True", vmv1alpha1.ReasonUpToDate},
		}
		if len(conds) != len(wantConds) {
			t.Errorf("%d conditions, want %d: %+v", len(conds), len(wantConds), conds)
		}
		for _, c := range conds {
			want, ok := wantConds[c.Type]
			if !ok || string(c.Status) != want[0] || c.Reason != want[1] || c.ObservedGeneration != 3 || c.LastTransitionTime.IsZero() {
				t.Errorf("condition %s = %s/%s gen %d at %v, want %v gen 3 with a transition time", c.Type, c.Status, c.Reason, c.ObservedGeneration, c.LastTransitionTime, want)
			}
		}
	})

	t.Run("keeps transition times of unchanged conditions and does not alias the Wukong", func(t *testing.T) {
		w := wukong("")
		long := metav1.NewTime(time.Now().Add(-time.Hour).Truncate(time.Second))
		w.Status.Conditions = []metav1.Condition{
			{Type: vmv1alpha1.WukongReady, Status: metav1.ConditionTrue, Reason: vmv1alpha1.ReasonRunning, LastTransitionTime: long, ObservedGeneration: 2},
			{Type: vmv1alpha1.WukongDisksReady, Status: metav1.ConditionFalse, Reason: vmv1alpha1.ReasonImporting, LastTransitionTime: long, ObservedGeneration: 2},
		}
		orig := w.DeepCopy()
		st := computeStatus(w, runningObs(), nil)
		if !equality.Semantic.DeepEqual(w, orig) {
			t.Errorf("computeStatus modified the Wukong:\n%s", diff.Diff(orig, w))
		}
		ready := meta.FindStatusCondition(st.Conditions, vmv1alpha1.WukongReady)
		if !ready.LastTransitionTime.Equal(&long) || ready.ObservedGeneration != 3 {
			t.Errorf("Ready kept its status but got transition time %v (want %v) and generation %d (want 3)", ready.LastTransitionTime, long, ready.ObservedGeneration)
		}
		if disks := meta.FindStatusCondition(st.Conditions, vmv1alpha1.WukongDisksReady); disks.LastTransitionTime.Equal(&long) {
			t.Error("DisksReady turned True but kept its old transition time")
		}
	})

	t.Run("instance gone clears node, networks and guest", func(t *testing.T) {
		w := wukong(vmv1alpha1.RunStrategyHalted)
		w.Status = computeStatus(w, runningObs(), nil)
		obs := runningObs()
		obs.vmi = nil
		obs.vm.Status.PrintableStatus = kubevirtv1.VirtualMachineStatusStopped
		st := computeStatus(w, obs, nil)
		if st.Phase != vmv1alpha1.WukongStopped || st.NodeName != "" || st.IP != "" || st.Networks != nil || st.Guest != nil || st.VMName != "w" {
			t.Errorf("phase %s node %q ip %q networks %v guest %v vmName %q; want Stopped with only vmName", st.Phase, st.NodeName, st.IP, st.Networks, st.Guest, st.VMName)
		}
	})

	t.Run("missing attachments", func(t *testing.T) {
		obs := runningObs()
		obs.missingAttachments = []string{"ns/a", "other/b"}
		st := computeStatus(wukong(""), obs, nil)
		c := meta.FindStatusCondition(st.Conditions, vmv1alpha1.WukongNetworksReady)
		if c.Status != metav1.ConditionFalse || c.Reason != vmv1alpha1.ReasonAttachmentNotFound ||
			c.Message != "NetworkAttachmentDefinition not found: ns/a, other/b" {
			t.Errorf("NetworksReady = %+v", c)
		}
	})

	t.Run("KubeVirt's RestartRequired", func(t *testing.T) {
		obs := runningObs()
		obs.vm.Status.Conditions = []kubevirtv1.VirtualMachineCondition{{
			Type: kubevirtv1.VirtualMachineRestartRequired, Status: corev1.ConditionTrue, Message: "a non-live-updatable field was changed",
		}}
		c := meta.FindStatusCondition(computeStatus(wukong(""), obs, nil).Conditions, vmv1alpha1.WukongRestartRequired)
		if c.Status != metav1.ConditionTrue || c.Reason != vmv1alpha1.ReasonTemplateChanged || c.Message != "a non-live-updatable field was changed" {
			t.Errorf("RestartRequired = %+v", c)
		}
	})

	t.Run("a changed disk source is kept and reported, not a restart", func(t *testing.T) {
		obs := runningObs()
		other := "docker://quay.io/containerdisks/fedora:42"
		obs.dataVolumes[0].desired.Spec.Source.Registry.URL = &other
		st := computeStatus(wukong(""), obs, nil)
		c := meta.FindStatusCondition(st.Conditions, vmv1alpha1.WukongDisksUpToDate)
		want := "DataVolume w-root was provisioned from another image, size or storage class; the disk keeps its data and is " +
			"not re-imported (delete the DataVolume to re-provision it, losing its data)"
		if c.Status != metav1.ConditionFalse || c.Reason != vmv1alpha1.ReasonDiskSpecChanged || c.Message != want {
			t.Errorf("DisksUpToDate = %+v", c)
		}
		if !meta.IsStatusConditionFalse(st.Conditions, vmv1alpha1.WukongRestartRequired) || !meta.IsStatusConditionTrue(st.Conditions, vmv1alpha1.WukongUpToDate) {
			t.Errorf("a kept disk must not ask for a restart nor hold the VM's UpToDate: %+v", st.Conditions)
		}
	})

	t.Run("a grown disk is reported; an equal size spelled differently is not", func(t *testing.T) {
		obs := runningObs()
		obs.dataVolumes[0].desired.Spec.Storage.Resources.Requests[corev1.ResourceStorage] = resource.MustParse("20Gi")
		if c := meta.FindStatusCondition(computeStatus(wukong(""), obs, nil).Conditions, vmv1alpha1.WukongDisksUpToDate); c.Reason != vmv1alpha1.ReasonDiskSpecChanged {
			t.Errorf("20Gi over 10Gi: DisksUpToDate = %+v", c)
		}
		obs = runningObs()
		obs.dataVolumes[0].desired.Spec.Storage.Resources.Requests[corev1.ResourceStorage] = resource.MustParse("10240Mi")
		if c := meta.FindStatusCondition(computeStatus(wukong(""), obs, nil).Conditions, vmv1alpha1.WukongDisksUpToDate); c.Status != metav1.ConditionTrue {
			t.Errorf("10240Mi over 10Gi: DisksUpToDate = %+v", c)
		}
	})

	t.Run("UpToDate follows KubeVirt", func(t *testing.T) {
		restartRequired := []kubevirtv1.VirtualMachineCondition{{Type: kubevirtv1.VirtualMachineRestartRequired, Status: corev1.ConditionTrue, Message: "cores changed"}}
		cases := []struct {
			name   string
			change func(w *vmv1alpha1.Wukong, obs *observed)
			status metav1.ConditionStatus
			reason string
		}{
			{"running the spec", func(*vmv1alpha1.Wukong, *observed) {}, metav1.ConditionTrue, vmv1alpha1.ReasonUpToDate},
			{"VM just written", func(_ *vmv1alpha1.Wukong, o *observed) { o.update.applied = true }, metav1.ConditionFalse, vmv1alpha1.ReasonVMUpdating},
			{"generation not observed", func(_ *vmv1alpha1.Wukong, o *observed) { o.vm.Generation = 2 }, metav1.ConditionFalse, vmv1alpha1.ReasonVMUpdating},
			{"restart required", func(_ *vmv1alpha1.Wukong, o *observed) { o.vm.Status.Conditions = restartRequired }, metav1.ConditionFalse, vmv1alpha1.ReasonRestartPending},
			{"restart requested now", func(_ *vmv1alpha1.Wukong, o *observed) { o.update.restarted = true }, metav1.ConditionFalse, vmv1alpha1.ReasonRestarting},
			{"restart in progress", func(_ *vmv1alpha1.Wukong, o *observed) {
				o.vm.Status.StateChangeRequests = []kubevirtv1.VirtualMachineStateChangeRequest{{Action: kubevirtv1.StartRequest}}
			}, metav1.ConditionFalse, vmv1alpha1.ReasonRestarting},
			{"not running: the next start takes the spec", func(_ *vmv1alpha1.Wukong, o *observed) {
				o.vmi = nil
				o.vm.Status.Conditions = restartRequired
			}, metav1.ConditionTrue, vmv1alpha1.ReasonUpToDate},
			{"stopping for a Recreate update", func(w *vmv1alpha1.Wukong, _ *observed) {
				w.Annotations = map[string]string{vmv1alpha1.AnnotationStopForUpdate: "v2"}
			}, metav1.ConditionFalse, vmv1alpha1.ReasonStoppedForUpdate},
			{"stopped for a Recreate update", func(w *vmv1alpha1.Wukong, o *observed) {
				w.Annotations = map[string]string{vmv1alpha1.AnnotationStopForUpdate: "v2"}
				o.vmi = nil
			}, metav1.ConditionTrue, vmv1alpha1.ReasonStoppedForUpdate},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				w, obs := wukong(""), runningObs()
				obs.vm.Generation, obs.vm.Status.DesiredGeneration = 1, 1
				tc.change(w, obs)
				c := meta.FindStatusCondition(computeStatus(w, obs, nil).Conditions, vmv1alpha1.WukongUpToDate)
				if c.Status != tc.status || c.Reason != tc.reason {
					t.Errorf("UpToDate = %s/%s (%s), want %s/%s", c.Status, c.Reason, c.Message, tc.status, tc.reason)
				}
			})
		}
	})

	t.Run("restart decision", func(t *testing.T) {
		restartRequired := []kubevirtv1.VirtualMachineCondition{{Type: kubevirtv1.VirtualMachineRestartRequired, Status: corev1.ConditionTrue}}
		cases := []struct {
			name   string
			change func(obs *observed)
			want   bool
		}{
			{"KubeVirt asks for a restart", func(o *observed) { o.vm.Status.Conditions = restartRequired }, true},
			{"nothing to restart for", func(*observed) {}, false},
			{"KubeVirt has not observed the latest spec", func(o *observed) { o.vm.Status.Conditions, o.vm.Generation = restartRequired, 2 }, false},
			{"a restart is already pending", func(o *observed) {
				o.vm.Status.Conditions = restartRequired
				o.vm.Status.StateChangeRequests = []kubevirtv1.VirtualMachineStateChangeRequest{{Action: kubevirtv1.StartRequest}}
			}, false},
			{"no instance", func(o *observed) { o.vm.Status.Conditions, o.vmi = restartRequired, nil }, false},
			{"instance going away", func(o *observed) {
				o.vm.Status.Conditions = restartRequired
				o.vmi.DeletionTimestamp = &metav1.Time{Time: time.Now()}
			}, false},
			{"run strategy Once cannot restart", func(o *observed) {
				o.vm.Status.Conditions = restartRequired
				rs := kubevirtv1.RunStrategyOnce
				o.vm.Spec.RunStrategy = &rs
			}, false},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				obs := runningObs()
				obs.vm.Generation, obs.vm.Status.DesiredGeneration = 1, 1
				always := kubevirtv1.RunStrategyAlways
				obs.vm.Spec.RunStrategy = &always
				tc.change(obs)
				if got := needsRestart(obs.vm, obs.vmi); got != tc.want {
					t.Errorf("needsRestart = %t, want %t", got, tc.want)
				}
			})
		}
	})

	t.Run("import progress in volumes", func(t *testing.T) {
		obs := &observed{dataVolumes: []dataVolumeObservation{dv("root", cdiv1.ImportInProgress, "25.00%")}}
		st := computeStatus(wukong(""), obs, nil)
		want := []vmv1alpha1.VolumeStatus{{Name: "root", DataVolume: "w-root", Phase: "ImportInProgress", Progress: "25.00%"}}
		if st.Phase != vmv1alpha1.WukongProvisioning || !equality.Semantic.DeepEqual(st.Volumes, want) {
			t.Errorf("phase %s volumes %+v, want Provisioning %+v", st.Phase, st.Volumes, want)
		}
		obs = &observed{dataVolumes: []dataVolumeObservation{dv("root", "", "")}}
		if v := computeStatus(wukong(""), obs, nil).Volumes; len(v) != 1 || v[0].Phase != "Pending" {
			t.Errorf("a DataVolume just created should show Pending: %+v", v)
		}
	})
}
