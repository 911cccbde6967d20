package wukong_test

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/diff"
	kubevirtv1 "kubevirt.io/api/core/v1"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
)

// TestHardwareRunning: a Wukong with an instance type instead of cpu and memory, a preference, EFI Secure
// Boot, dedicated CPUs, a sata disk, a GPU and a host device reaches Running in the simulator (whose VM
// admission models KubeVirt's rules for each), and its VM carries each setting in KubeVirt's field.
func TestHardwareRunning(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	w := newWukong(ns, "gpu")
	w.Spec.CPU, w.Spec.Memory = 0, resource.Quantity{}
	w.Spec.Instancetype = &vmv1alpha1.InstancetypeRef{Name: "gn1.xlarge", Kind: vmv1alpha1.InstancetypeKindCluster}
	w.Spec.Preference = &vmv1alpha1.PreferenceRef{Name: "windows.11"}
	w.Spec.Firmware = &vmv1alpha1.Firmware{Bootloader: vmv1alpha1.BootloaderEFI, SecureBoot: true}
	w.Spec.DedicatedCPUs = true
	w.Spec.Disks[0].Bus = vmv1alpha1.DiskBusSATA
	w.Spec.GPUs = []vmv1alpha1.PassthroughDevice{{Name: "gpu1", DeviceName: "nvidia.com/GA102GL_A10"}}
	w.Spec.HostDevices = []vmv1alpha1.PassthroughDevice{{Name: "nvme", DeviceName: "devices.example.com/nvme"}}
	create(t, w)
	waitPhase(t, ns, "gpu", vmv1alpha1.WukongRunning)

	vm := get(t, ns, "gpu", &kubevirtv1.VirtualMachine{})
	yes := true
	want := struct {
		Instancetype *kubevirtv1.InstancetypeMatcher
		Preference   *kubevirtv1.PreferenceMatcher
		CPU          *kubevirtv1.CPU
		Memory       *kubevirtv1.Memory
		Bootloader   *kubevirtv1.Bootloader
		Features     *kubevirtv1.Features
		Bus          kubevirtv1.DiskBus
		GPUs         []kubevirtv1.GPU
		HostDevices  []kubevirtv1.HostDevice
	}{
		Instancetype: &kubevirtv1.InstancetypeMatcher{Name: "gn1.xlarge", Kind: "VirtualMachineClusterInstancetype"},
		Preference:   &kubevirtv1.PreferenceMatcher{Name: "windows.11"},
		CPU:          &kubevirtv1.CPU{DedicatedCPUPlacement: true},
		Bootloader:   &kubevirtv1.Bootloader{EFI: &kubevirtv1.EFI{SecureBoot: &yes}},
		Features:     &kubevirtv1.Features{SMM: &kubevirtv1.FeatureState{Enabled: &yes}},
		Bus:          kubevirtv1.DiskBusSATA,
		GPUs:         []kubevirtv1.GPU{{Name: "gpu1", DeviceName: "nvidia.com/GA102GL_A10"}},
		HostDevices:  []kubevirtv1.HostDevice{{Name: "nvme", DeviceName: "devices.example.com/nvme"}},
	}
	d := vm.Spec.Template.Spec.Domain
	got := want
	got.Instancetype, got.Preference, got.CPU, got.Memory = vm.Spec.Instancetype, vm.Spec.Preference, d.CPU, d.Memory
	got.Bootloader, got.Features, got.Bus = nil, d.Features, d.Devices.Disks[0].Disk.Bus
	if d.Firmware != nil {
		got.Bootloader = d.Firmware.Bootloader
	}
	got.GPUs, got.HostDevices = d.Devices.GPUs, d.Devices.HostDevices
	if !equality.Semantic.DeepEqual(got, want) {
		t.Errorf("VM hardware (-want +got):\n%s", diff.Diff(want, got))
	}
}
