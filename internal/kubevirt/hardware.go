package kubevirt

import (
	kubevirtv1 "kubevirt.io/api/core/v1"

	"github.com/novasphere/wukong/api/v1alpha1"
)

// hardware sets the domain's CPUs, memory, firmware and passthrough devices, and the VM's instance type and
// preference, on spec and vm. With an instance type the template sets no CPU topology and no guest memory:
// the instance type does, and KubeVirt refuses a VM whose template sets them as well (validateCPU and
// validateMemory in pkg/instancetype/apply, v1.7.0). Dedicated CPUs are not part of that conflict unless
// the instance type sets them too.
func hardware(w *v1alpha1.Wukong, vm *kubevirtv1.VirtualMachineSpec, spec *kubevirtv1.VirtualMachineInstanceSpec) {
	if it := w.Spec.Instancetype; it != nil {
		vm.Instancetype = &kubevirtv1.InstancetypeMatcher{Name: it.Name, Kind: string(it.Kind)}
		if w.Spec.DedicatedCPUs {
			spec.Domain.CPU = &kubevirtv1.CPU{DedicatedCPUPlacement: true}
		}
	} else {
		memory := w.Spec.Memory.DeepCopy()
		// All vCPUs as cores of one socket: guest OSes and their licences often cap sockets, not cores.
		spec.Domain.CPU = &kubevirtv1.CPU{Cores: uint32(w.Spec.CPU), Sockets: 1, Threads: 1,
			DedicatedCPUPlacement: w.Spec.DedicatedCPUs}
		spec.Domain.Memory = &kubevirtv1.Memory{Guest: &memory}
	}
	if p := w.Spec.Preference; p != nil {
		vm.Preference = &kubevirtv1.PreferenceMatcher{Name: p.Name, Kind: string(p.Kind)}
	}
	if fw := w.Spec.Firmware; fw != nil {
		spec.Domain.Firmware = &kubevirtv1.Firmware{Bootloader: bootloader(fw)}
		if fw.Bootloader == v1alpha1.BootloaderEFI && fw.SecureBoot {
			// KubeVirt refuses Secure Boot without SMM (validateDomainSpec in vmi-create-admitter.go).
			yes := true
			spec.Domain.Features = &kubevirtv1.Features{SMM: &kubevirtv1.FeatureState{Enabled: &yes}}
		}
	}
	for _, g := range w.Spec.GPUs {
		spec.Domain.Devices.GPUs = append(spec.Domain.Devices.GPUs, kubevirtv1.GPU{Name: g.Name, DeviceName: g.DeviceName})
	}
	for _, d := range w.Spec.HostDevices {
		spec.Domain.Devices.HostDevices = append(spec.Domain.Devices.HostDevices,
			kubevirtv1.HostDevice{Name: d.Name, DeviceName: d.DeviceName})
	}
}

// bootloader is fw as KubeVirt's bootloader. EFI's secureBoot is always written: KubeVirt takes an absent
// secureBoot as true (secureBootEnabled in vmi-create-admitter.go), which would ask for SMM.
func bootloader(fw *v1alpha1.Firmware) *kubevirtv1.Bootloader {
	if fw.Bootloader == v1alpha1.BootloaderEFI {
		secure := fw.SecureBoot
		return &kubevirtv1.Bootloader{EFI: &kubevirtv1.EFI{SecureBoot: &secure}}
	}
	return &kubevirtv1.Bootloader{BIOS: &kubevirtv1.BIOS{}}
}

// diskBus is the disk's bus, virtio when the spec has none.
func diskBus(b v1alpha1.DiskBus) kubevirtv1.DiskBus {
	if b == "" {
		return kubevirtv1.DiskBusVirtio
	}
	return kubevirtv1.DiskBus(b)
}
