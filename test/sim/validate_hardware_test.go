package sim

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sfield "k8s.io/apimachinery/pkg/util/validation/field"
	kubevirtv1 "kubevirt.io/api/core/v1"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/kubevirt"
	"github.com/novasphere/wukong/internal/naming"
)

// TestValidateHardware: the hardware settings as the operator writes them are admitted; each modelled rule of
// KubeVirt's VM admission refuses what KubeVirt would, with KubeVirt's message.
func TestValidateHardware(t *testing.T) {
	yes, no := true, false
	instancetype := func(vm *kubevirtv1.VirtualMachine) {
		vm.Spec.Instancetype = &kubevirtv1.InstancetypeMatcher{Name: "u1.medium"}
		vm.Spec.Template.Spec.Domain.CPU = nil
		vm.Spec.Template.Spec.Domain.Memory = nil
	}
	for _, tc := range []struct {
		name   string
		change func(vm *kubevirtv1.VirtualMachine)
		want   string // a part of the first cause's message; "" means admitted
	}{
		{"instance type without CPU or memory", instancetype, ""},
		{"instance type with dedicated CPUs", func(vm *kubevirtv1.VirtualMachine) {
			instancetype(vm)
			vm.Spec.Template.Spec.Domain.CPU = &kubevirtv1.CPU{DedicatedCPUPlacement: true}
		}, ""},
		{"instance type and cores", func(vm *kubevirtv1.VirtualMachine) {
			instancetype(vm)
			vm.Spec.Template.Spec.Domain.CPU = &kubevirtv1.CPU{Cores: 2}
		}, "VM field(s) spec.template.spec.domain.cpu.cores conflicts with selected instance type"},
		{"instance type and guest memory", func(vm *kubevirtv1.VirtualMachine) {
			instancetype(vm)
			vm.Spec.Template.Spec.Domain.Memory = &kubevirtv1.Memory{Guest: new(resource.MustParse("1Gi"))}
		}, "VM field(s) spec.template.spec.domain.memory.guest conflicts with selected instance type"},
		{"instance type and a CPU request", func(vm *kubevirtv1.VirtualMachine) {
			instancetype(vm)
			vm.Spec.Template.Spec.Domain.Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")}
		}, "spec.template.spec.domain.resources.requests.cpu conflicts"},
		{"sata, scsi and usb disks", func(vm *kubevirtv1.VirtualMachine) {
			d := vm.Spec.Template.Spec.Domain.Devices.Disks
			d[0].Disk = &kubevirtv1.DiskTarget{Bus: kubevirtv1.DiskBusSATA}
			d[1].Disk = &kubevirtv1.DiskTarget{Bus: kubevirtv1.DiskBusSCSI}
			d[2].Disk = &kubevirtv1.DiskTarget{Bus: kubevirtv1.DiskBusUSB}
		}, ""},
		{"ide disk", func(vm *kubevirtv1.VirtualMachine) {
			vm.Spec.Template.Spec.Domain.Devices.Disks[0].Disk = &kubevirtv1.DiskTarget{Bus: "ide"}
		}, "IDE bus is not supported"},
		{"unknown bus", func(vm *kubevirtv1.VirtualMachine) {
			vm.Spec.Template.Spec.Domain.Devices.Disks[0].Disk = &kubevirtv1.DiskTarget{Bus: "nvme"}
		}, "spec.template.spec.domain.devices.disks[0] is set with an unrecognized bus nvme"},
		{"read-only sata disk", func(vm *kubevirtv1.VirtualMachine) {
			vm.Spec.Template.Spec.Domain.Devices.Disks[0].Disk = &kubevirtv1.DiskTarget{Bus: kubevirtv1.DiskBusSATA, ReadOnly: true}
		}, "sata hard-disks do not support read-only."},
		{"EFI without secure boot", func(vm *kubevirtv1.VirtualMachine) {
			vm.Spec.Template.Spec.Domain.Firmware = &kubevirtv1.Firmware{Bootloader: &kubevirtv1.Bootloader{EFI: &kubevirtv1.EFI{SecureBoot: &no}}}
		}, ""},
		{"secure boot with SMM", func(vm *kubevirtv1.VirtualMachine) {
			vm.Spec.Template.Spec.Domain.Firmware = &kubevirtv1.Firmware{Bootloader: &kubevirtv1.Bootloader{EFI: &kubevirtv1.EFI{SecureBoot: &yes}}}
			vm.Spec.Template.Spec.Domain.Features = &kubevirtv1.Features{SMM: &kubevirtv1.FeatureState{Enabled: &yes}}
		}, ""},
		{"EFI's default secure boot without SMM", func(vm *kubevirtv1.VirtualMachine) {
			vm.Spec.Template.Spec.Domain.Firmware = &kubevirtv1.Firmware{Bootloader: &kubevirtv1.Bootloader{EFI: &kubevirtv1.EFI{}}}
		}, "spec.template.spec.domain has EFI SecureBoot enabled. SecureBoot requires SMM, which is currently disabled."},
		{"EFI and BIOS", func(vm *kubevirtv1.VirtualMachine) {
			vm.Spec.Template.Spec.Domain.Firmware = &kubevirtv1.Firmware{Bootloader: &kubevirtv1.Bootloader{
				BIOS: &kubevirtv1.BIOS{}, EFI: &kubevirtv1.EFI{SecureBoot: &no}}}
		}, "has both EFI and BIOS configured, but they are mutually exclusive."},
		{"dedicated CPUs", func(vm *kubevirtv1.VirtualMachine) {
			vm.Spec.Template.Spec.Domain.CPU.DedicatedCPUPlacement = true
		}, ""},
		{"dedicated CPUs without a CPU count", func(vm *kubevirtv1.VirtualMachine) {
			vm.Spec.Template.Spec.Domain.CPU = &kubevirtv1.CPU{DedicatedCPUPlacement: true}
		}, "must be provided when DedicatedCPUPlacement is true"},
		{"dedicated CPUs with three threads", func(vm *kubevirtv1.VirtualMachine) {
			vm.Spec.Template.Spec.Domain.CPU = &kubevirtv1.CPU{Cores: 1, Threads: 3, DedicatedCPUPlacement: true}
		}, "Not more than two threads must be provided"},
		{"dedicated CPUs without memory", func(vm *kubevirtv1.VirtualMachine) {
			vm.Spec.Template.Spec.Domain.CPU.DedicatedCPUPlacement = true
			vm.Spec.Template.Spec.Domain.Memory = nil
		}, "spec.template.spec.domain.memory.guest should be provided"},
		{"GPUs and host devices", func(vm *kubevirtv1.VirtualMachine) {
			vm.Spec.Template.Spec.Domain.Devices.GPUs = []kubevirtv1.GPU{{Name: "gpu1", DeviceName: "nvidia.com/A10"}}
			vm.Spec.Template.Spec.Domain.Devices.HostDevices = []kubevirtv1.HostDevice{{Name: "nvme", DeviceName: "example.com/nvme"}}
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vm := newVM("ns", "web", kubevirtv1.RunStrategyAlways, []string{"web-root", "web-data"}, nil)
			tc.change(vm)
			causes := validateVM(vm)
			switch {
			case tc.want == "" && len(causes) > 0:
				t.Fatalf("refused: %+v", causes)
			case tc.want != "" && (len(causes) == 0 || !strings.Contains(causes[0].Message, tc.want)):
				t.Fatalf("causes %+v, want first containing %q", causes, tc.want)
			}
		})
	}
}

// TestHostDevicesNeedFeatureGate: without the HostDevices feature gate KubeVirt refuses host devices
// (validateHostDevicesWithPassthroughEnabled).
func TestHostDevicesNeedFeatureGate(t *testing.T) {
	vm := newVM("ns", "web", kubevirtv1.RunStrategyAlways, nil, nil)
	vm.Spec.Template.Spec.Domain.Devices.HostDevices = []kubevirtv1.HostDevice{{Name: "nvme", DeviceName: "example.com/nvme"}}
	causes := validateHardware(k8sfield.NewPath("spec", "template", "spec"), vm, map[string]bool{})
	if len(causes) != 1 || causes[0].Message != "Host Devices feature gate is not enabled in kubevirt-config" {
		t.Fatalf("causes %+v", causes)
	}
}

// TestVMRunsWithHardware: the VM the operator builds for a Wukong with an instance type and preference, EFI
// Secure Boot, dedicated CPUs, a sata disk, a GPU and a host device is admitted through the real apiserver
// and runs, its instance carrying those settings.
func TestVMRunsWithHardware(t *testing.T) {
	ns := startSim(t, fastSim)
	w := &vmv1alpha1.Wukong{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "gpu"},
		Spec: vmv1alpha1.WukongSpec{
			Instancetype:  &vmv1alpha1.InstancetypeRef{Name: "gn1.xlarge"},
			Preference:    &vmv1alpha1.PreferenceRef{Name: "windows.11"},
			Firmware:      &vmv1alpha1.Firmware{Bootloader: vmv1alpha1.BootloaderEFI, SecureBoot: true},
			DedicatedCPUs: true,
			Disks:         []vmv1alpha1.Disk{{Name: "root", Size: resource.MustParse("10Gi"), Bus: vmv1alpha1.DiskBusSATA}},
			GPUs:          []vmv1alpha1.PassthroughDevice{{Name: "gpu1", DeviceName: "nvidia.com/GA102GL_A10"}},
			HostDevices:   []vmv1alpha1.PassthroughDevice{{Name: "nvme", DeviceName: "devices.example.com/nvme"}},
		},
	}
	create(t, w)
	dv := newDataVolume(ns, naming.DataVolume("gpu", "root"), "blank")
	ownedBy(dv, w)
	create(t, dv)
	create(t, newCloudInitSecret(ns, "gpu", nil))
	vm, err := kubevirt.VirtualMachine(w)
	if err != nil {
		t.Fatal(err)
	}
	create(t, vm)

	got, vmi := runningVM(t, ns, "gpu")
	if got.Spec.Instancetype == nil || got.Spec.Instancetype.Name != "gn1.xlarge" || got.Spec.Preference == nil {
		t.Errorf("VM instancetype %+v preference %+v", got.Spec.Instancetype, got.Spec.Preference)
	}
	d := vmi.Spec.Domain
	if d.Firmware == nil || d.Firmware.Bootloader == nil || d.Firmware.Bootloader.EFI == nil ||
		d.Features == nil || d.Features.SMM == nil || d.CPU == nil || !d.CPU.DedicatedCPUPlacement ||
		len(d.Devices.GPUs) != 1 || len(d.Devices.HostDevices) != 1 || d.Devices.Disks[0].Disk.Bus != kubevirtv1.DiskBusSATA {
		t.Errorf("instance domain %+v", d)
	}
}
