package kubevirt

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"
	kubevirtv1 "kubevirt.io/api/core/v1"

	"github.com/novasphere/wukong/api/v1alpha1"
)

// TestVirtualMachineHardware: instance type and preference, firmware, dedicated CPUs, GPUs and host devices
// each reach their KubeVirt field; with an instance type the template sets no CPU topology or guest memory.
func TestVirtualMachineHardware(t *testing.T) {
	yes, no := true, false
	memory := resource.MustParse("8Gi")
	tests := []struct {
		name            string
		mutate          func(w *v1alpha1.Wukong)
		wantCPU         *kubevirtv1.CPU
		wantMemory      *kubevirtv1.Memory
		wantFirmware    *kubevirtv1.Firmware
		wantFeatures    *kubevirtv1.Features
		wantInstance    *kubevirtv1.InstancetypeMatcher
		wantPreference  *kubevirtv1.PreferenceMatcher
		wantGPUs        []kubevirtv1.GPU
		wantHostDevices []kubevirtv1.HostDevice
	}{
		{name: "cpu and memory", mutate: func(*v1alpha1.Wukong) {},
			wantCPU: &kubevirtv1.CPU{Cores: 4, Sockets: 1, Threads: 1}, wantMemory: &kubevirtv1.Memory{Guest: &memory}},
		{name: "dedicated CPUs", mutate: func(w *v1alpha1.Wukong) { w.Spec.DedicatedCPUs = true },
			wantCPU:    &kubevirtv1.CPU{Cores: 4, Sockets: 1, Threads: 1, DedicatedCPUPlacement: true},
			wantMemory: &kubevirtv1.Memory{Guest: &memory}},
		{name: "instance type and preference", mutate: func(w *v1alpha1.Wukong) {
			w.Spec.CPU, w.Spec.Memory = 0, resource.Quantity{}
			w.Spec.Instancetype = &v1alpha1.InstancetypeRef{Name: "u1.large"}
			w.Spec.Preference = &v1alpha1.PreferenceRef{Name: "ubuntu", Kind: v1alpha1.PreferenceKindNamespaced}
		},
			wantInstance:   &kubevirtv1.InstancetypeMatcher{Name: "u1.large"},
			wantPreference: &kubevirtv1.PreferenceMatcher{Name: "ubuntu", Kind: "VirtualMachinePreference"}},
		{name: "namespaced instance type with dedicated CPUs", mutate: func(w *v1alpha1.Wukong) {
			w.Spec.CPU, w.Spec.Memory = 0, resource.Quantity{}
			w.Spec.Instancetype = &v1alpha1.InstancetypeRef{Name: "big", Kind: v1alpha1.InstancetypeKindNamespaced}
			w.Spec.DedicatedCPUs = true
		},
			wantCPU:      &kubevirtv1.CPU{DedicatedCPUPlacement: true},
			wantInstance: &kubevirtv1.InstancetypeMatcher{Name: "big", Kind: "VirtualMachineInstancetype"}},
		{name: "BIOS", mutate: func(w *v1alpha1.Wukong) {
			w.Spec.Firmware = &v1alpha1.Firmware{Bootloader: v1alpha1.BootloaderBIOS}
		},
			wantCPU: &kubevirtv1.CPU{Cores: 4, Sockets: 1, Threads: 1}, wantMemory: &kubevirtv1.Memory{Guest: &memory},
			wantFirmware: &kubevirtv1.Firmware{Bootloader: &kubevirtv1.Bootloader{BIOS: &kubevirtv1.BIOS{}}}},
		{name: "EFI without secure boot writes secureBoot false", mutate: func(w *v1alpha1.Wukong) {
			w.Spec.Firmware = &v1alpha1.Firmware{Bootloader: v1alpha1.BootloaderEFI}
		},
			wantCPU: &kubevirtv1.CPU{Cores: 4, Sockets: 1, Threads: 1}, wantMemory: &kubevirtv1.Memory{Guest: &memory},
			wantFirmware: &kubevirtv1.Firmware{Bootloader: &kubevirtv1.Bootloader{EFI: &kubevirtv1.EFI{SecureBoot: &no}}}},
		{name: "EFI secure boot enables SMM", mutate: func(w *v1alpha1.Wukong) {
			w.Spec.Firmware = &v1alpha1.Firmware{Bootloader: v1alpha1.BootloaderEFI, SecureBoot: true}
		},
			wantCPU: &kubevirtv1.CPU{Cores: 4, Sockets: 1, Threads: 1}, wantMemory: &kubevirtv1.Memory{Guest: &memory},
			wantFirmware: &kubevirtv1.Firmware{Bootloader: &kubevirtv1.Bootloader{EFI: &kubevirtv1.EFI{SecureBoot: &yes}}},
			wantFeatures: &kubevirtv1.Features{SMM: &kubevirtv1.FeatureState{Enabled: &yes}}},
		{name: "GPUs and host devices", mutate: func(w *v1alpha1.Wukong) {
			w.Spec.GPUs = []v1alpha1.PassthroughDevice{{Name: "gpu1", DeviceName: "nvidia.com/GA102GL_A10"}}
			w.Spec.HostDevices = []v1alpha1.PassthroughDevice{{Name: "nvme", DeviceName: "devices.example.com/nvme"}}
		},
			wantCPU: &kubevirtv1.CPU{Cores: 4, Sockets: 1, Threads: 1}, wantMemory: &kubevirtv1.Memory{Guest: &memory},
			wantGPUs:        []kubevirtv1.GPU{{Name: "gpu1", DeviceName: "nvidia.com/GA102GL_A10"}},
			wantHostDevices: []kubevirtv1.HostDevice{{Name: "nvme", DeviceName: "devices.example.com/nvme"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := wukong()
			tt.mutate(w)
			vm := build(t, w)
			d := vm.Spec.Template.Spec.Domain
			deepEqual(t, "cpu", d.CPU, tt.wantCPU)
			deepEqual(t, "memory", d.Memory, tt.wantMemory)
			deepEqual(t, "firmware", d.Firmware, tt.wantFirmware)
			deepEqual(t, "features", d.Features, tt.wantFeatures)
			deepEqual(t, "instancetype", vm.Spec.Instancetype, tt.wantInstance)
			deepEqual(t, "preference", vm.Spec.Preference, tt.wantPreference)
			deepEqual(t, "gpus", d.Devices.GPUs, tt.wantGPUs)
			deepEqual(t, "hostDevices", d.Devices.HostDevices, tt.wantHostDevices)
		})
	}
}

// TestVirtualMachineDiskBus: a disk's bus reaches its disk target; no bus is virtio, and the cloud-init disk
// stays virtio.
func TestVirtualMachineDiskBus(t *testing.T) {
	w := wukong()
	w.Spec.Disks[0].Bus = v1alpha1.DiskBusSCSI
	w.Spec.Disks[1].Bus = v1alpha1.DiskBusSATA
	w.Spec.Disks = append(w.Spec.Disks, v1alpha1.Disk{Name: "stick", Size: resource.MustParse("1Gi"), Bus: v1alpha1.DiskBusUSB},
		v1alpha1.Disk{Name: "plain", Size: resource.MustParse("1Gi")})
	got := map[string]kubevirtv1.DiskBus{}
	for _, d := range build(t, w).Spec.Template.Spec.Domain.Devices.Disks {
		got[d.Name] = d.Disk.Bus
	}
	deepEqual(t, "buses", got, map[string]kubevirtv1.DiskBus{
		"data": "scsi", "root": "sata", "stick": "usb", "plain": "virtio", "cloudinitdisk": "virtio",
	})
}
