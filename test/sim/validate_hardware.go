package sim

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sfield "k8s.io/apimachinery/pkg/util/validation/field"
	kubevirtv1 "kubevirt.io/api/core/v1"
)

// Rules of KubeVirt v1.7's VM admission for the hardware settings the operator writes: disk buses, the
// bootloader and Secure Boot, dedicated CPUs, host devices, and a template that conflicts with its instance
// type. Each names the v1.7.0 function it follows and gives KubeVirt's message.
//
// The simulated cluster has KubeVirt's HostDevices feature gate enabled (as any cluster that passes devices
// through must), and every instance type a VM names exists: the simulator has no instance type objects, so
// it cannot apply one to the instance, which runs with KubeVirt's default topology instead.

// featureGates are the feature gates of the simulated KubeVirt CR; never changed.
var featureGates = map[string]bool{"HostDevices": true}

// conflictsWithInstancetype is conflictsErrorFmt in pkg/instancetype/conflict/conflicts.go.
const conflictsWithInstancetype = "VM field(s) %s conflicts with selected instance type"

// validateHardware returns the causes of the rules above for the VM's template spec at field, on a cluster
// with the given feature gates.
func validateHardware(field *k8sfield.Path, vm *kubevirtv1.VirtualMachine, gates map[string]bool) []metav1.StatusCause {
	s := &vm.Spec.Template.Spec
	var causes []metav1.StatusCause
	causes = append(causes, validateInstancetypeConflicts(field, vm)...)
	causes = append(causes, validateDiskBuses(field.Child("domain", "devices", "disks"), s.Domain.Devices.Disks)...)
	causes = append(causes, validateFirmware(field.Child("domain"), &s.Domain)...)
	if vm.Spec.Instancetype == nil {
		// KubeVirt checks the template with its instance type applied, which the simulator cannot do.
		causes = append(causes, validateCPUPinning(field, s)...)
	}
	if s.Domain.Devices.HostDevices != nil && !gates["HostDevices"] {
		// validateHostDevicesWithPassthroughEnabled.
		causes = append(causes, metav1.StatusCause{Type: metav1.CauseTypeFieldValueInvalid,
			Message: "Host Devices feature gate is not enabled in kubevirt-config", Field: field.Child("HostDevices").String()})
	}
	return causes
}

// validateInstancetypeConflicts is the part of applyCPU and applyMemory (pkg/instancetype/apply, reached from
// the VM admitter's InstancetypeAdmitter.ApplyToVM) that holds for every instance type, since each sets
// guest CPUs and memory: the template may not set a CPU topology, CPU requests or limits, or guest memory.
func validateInstancetypeConflicts(field *k8sfield.Path, vm *kubevirtv1.VirtualMachine) []metav1.StatusCause {
	if vm.Spec.Instancetype == nil {
		return nil
	}
	d := &vm.Spec.Template.Spec.Domain
	var conflicts []*k8sfield.Path
	if _, ok := d.Resources.Requests[corev1.ResourceCPU]; ok {
		conflicts = append(conflicts, field.Child("domain", "resources", "requests", "cpu"))
	}
	if _, ok := d.Resources.Limits[corev1.ResourceCPU]; ok {
		conflicts = append(conflicts, field.Child("domain", "resources", "limits", "cpu"))
	}
	if c := d.CPU; c != nil {
		if c.Sockets != 0 {
			conflicts = append(conflicts, field.Child("domain", "cpu", "sockets"))
		}
		if c.Cores != 0 {
			conflicts = append(conflicts, field.Child("domain", "cpu", "cores"))
		}
		if c.Threads != 0 {
			conflicts = append(conflicts, field.Child("domain", "cpu", "threads"))
		}
	}
	if d.Memory != nil && d.Memory.Guest != nil {
		conflicts = append(conflicts, field.Child("domain", "memory", "guest"))
	}
	causes := make([]metav1.StatusCause, 0, len(conflicts))
	for _, c := range conflicts {
		// Conflict.StatusCause: one cause per field.
		causes = append(causes, metav1.StatusCause{Type: metav1.CauseTypeFieldValueInvalid,
			Message: fmt.Sprintf(conflictsWithInstancetype, c.String()), Field: c.String()})
	}
	return causes
}

// validateDiskBuses is validateBusSupport (pkg/storage/admitters/disks.go) for disks: ide is refused, and a
// bus other than virtio, sata, scsi and usb is unrecognised; a sata disk cannot be read-only.
func validateDiskBuses(field *k8sfield.Path, disks []kubevirtv1.Disk) []metav1.StatusCause {
	var causes []metav1.StatusCause
	for i, d := range disks {
		if d.Disk == nil || d.Disk.Bus == "" {
			continue
		}
		bus := d.Disk.Bus
		switch bus {
		case "ide":
			causes = append(causes, metav1.StatusCause{Type: metav1.CauseTypeFieldValueInvalid,
				Message: "IDE bus is not supported", Field: field.Index(i).Child("disk", "bus").String()})
		case kubevirtv1.DiskBusSATA:
			if d.Disk.ReadOnly {
				causes = append(causes, metav1.StatusCause{Type: metav1.CauseTypeFieldValueInvalid,
					Message: fmt.Sprintf("%s hard-disks do not support read-only.", bus), Field: field.Index(i).Child("disk", "bus").String()})
			}
		case kubevirtv1.DiskBusVirtio, kubevirtv1.DiskBusSCSI, kubevirtv1.DiskBusUSB:
		default:
			supported := []kubevirtv1.DiskBus{kubevirtv1.DiskBusVirtio, kubevirtv1.DiskBusSCSI, kubevirtv1.DiskBusSATA, kubevirtv1.DiskBusUSB}
			causes = append(causes, metav1.StatusCause{Type: metav1.CauseTypeFieldValueInvalid,
				Message: fmt.Sprintf("%s is set with an unrecognized bus %s, must be one of: %v", field.Index(i).String(), bus, supported),
				Field:   field.Index(i).Child("disk", "bus").String()})
		}
	}
	return causes
}

// validateFirmware is validateBootloader (EFI and BIOS are exclusive) and validateDomainSpec's Secure Boot
// rule: Secure Boot, which an EFI bootloader has unless secureBoot is false, needs the SMM feature enabled.
func validateFirmware(field *k8sfield.Path, d *kubevirtv1.DomainSpec) []metav1.StatusCause {
	var causes []metav1.StatusCause
	fw := d.Firmware
	if fw == nil || fw.Bootloader == nil {
		return nil
	}
	if fw.Bootloader.EFI != nil && fw.Bootloader.BIOS != nil {
		f := field.Child("firmware", "bootloader")
		causes = append(causes, metav1.StatusCause{Type: metav1.CauseTypeFieldValueInvalid,
			Message: fmt.Sprintf("%s has both EFI and BIOS configured, but they are mutually exclusive.", f.String()), Field: f.String()})
	}
	secureBoot := fw.Bootloader.EFI != nil && (fw.Bootloader.EFI.SecureBoot == nil || *fw.Bootloader.EFI.SecureBoot)
	smm := d.Features != nil && d.Features.SMM != nil && (d.Features.SMM.Enabled == nil || *d.Features.SMM.Enabled)
	if secureBoot && !smm {
		causes = append(causes, metav1.StatusCause{Type: metav1.CauseTypeFieldValueInvalid,
			Message: fmt.Sprintf("%s has EFI SecureBoot enabled. SecureBoot requires SMM, which is currently disabled.", field.String()),
			Field:   field.String()})
	}
	return causes
}

// validateCPUPinning is validateCpuPinning's rules that the operator's VM can meet or break: with dedicated
// CPUs, memory must be given (validateMemoryLimitAndRequestProvided), so must a CPU count
// (validateRequestLimitOrCoresProvidedOnDedicatedCPUPlacement), and at most two threads per core
// (validateThreadCountOnDedicatedCPUPlacement).
func validateCPUPinning(field *k8sfield.Path, s *kubevirtv1.VirtualMachineInstanceSpec) []metav1.StatusCause {
	c := s.Domain.CPU
	if c == nil || !c.DedicatedCPUPlacement {
		return nil
	}
	var causes []metav1.StatusCause
	res := s.Domain.Resources
	guest := s.Domain.Memory != nil && s.Domain.Memory.Guest != nil && s.Domain.Memory.Guest.Value() != 0
	hugepages := s.Domain.Memory != nil && s.Domain.Memory.Hugepages != nil
	if res.Limits.Memory().Value() == 0 && res.Requests.Memory().Value() == 0 && !hugepages && !guest {
		causes = append(causes, metav1.StatusCause{Type: metav1.CauseTypeFieldValueInvalid,
			Message: fmt.Sprintf("%s, %s, %s or %s should be provided",
				field.Child("domain", "resources", "requests", "memory").String(),
				field.Child("domain", "resources", "limits", "memory").String(),
				field.Child("domain", "memory", "hugepages").String(),
				field.Child("domain", "memory", "guest").String()),
			Field: field.Child("domain", "resources", "limits", "memory").String()})
	}
	if res.Requests.Cpu().Value() == 0 && res.Limits.Cpu().Value() == 0 && vcpus(c) == 0 {
		causes = append(causes, metav1.StatusCause{Type: metav1.CauseTypeFieldValueInvalid,
			Message: fmt.Sprintf("either %s or %s or %s must be provided when DedicatedCPUPlacement is true ",
				field.Child("domain", "resources", "requests", "cpu").String(),
				field.Child("domain", "resources", "limits", "cpu").String(),
				field.Child("domain", "cpu", "cores").String()),
			Field: field.Child("domain", "cpu", "dedicatedCpuPlacement").String()})
	}
	if c.Threads > 2 {
		causes = append(causes, metav1.StatusCause{Type: metav1.CauseTypeFieldValueInvalid,
			Message: fmt.Sprintf("Not more than two threads must be provided at %v (got %v) when DedicatedCPUPlacement is true",
				field.Child("domain", "cpu", "threads").String(), c.Threads),
			Field: field.Child("domain", "cpu", "dedicatedCpuPlacement").String()})
	}
	return causes
}
