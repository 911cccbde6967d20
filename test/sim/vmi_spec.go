package sim

import (
	"encoding/json"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubevirtv1 "kubevirt.io/api/core/v1"
)

// maxHotplugRatio is KubeVirt's default LiveUpdateConfiguration.MaxHotplugRatio (DefaultMaxHotplugRatio in
// pkg/virt-config/virt-config.go): an instance can grow to 4 times the sockets and memory it booted with.
const maxHotplugRatio = 4

// maxVCPUs caps the sockets an instance may grow to (setupCPUHotplug in pkg/defaults/defaults.go).
const maxVCPUs = 512

// newVMI renders a VM's instance, as virt-controller's SetupVMIFromVM and startVMI
// (pkg/virt-controller/watch/vm/vm.go, v1.7.0) followed by virt-api's instance mutating webhook do: same name,
// template labels and annotations, spec copied and defaulted, controlled by the VM. It records what the
// simulator needs later on the instance: the VM template it was started from (AnnotationStartTemplate, where
// KubeVirt writes a ControllerRevision), the VM generation (KubeVirt's kubevirt.io/vm-generation), the
// restart annotation it was started for, and the VM's injected faults.
func newVMI(vm *kubevirtv1.VirtualMachine, faults map[string]string) *kubevirtv1.VirtualMachineInstance {
	t := vm.Spec.Template
	vmi := &kubevirtv1.VirtualMachineInstance{
		ObjectMeta: metav1.ObjectMeta{
			Name:        vm.Name,
			Namespace:   vm.Namespace,
			Labels:      map[string]string{},
			Annotations: map[string]string{},
			OwnerReferences: []metav1.OwnerReference{
				*metav1.NewControllerRef(vm, kubevirtv1.VirtualMachineGroupVersionKind),
			},
		},
		Spec: *t.Spec.DeepCopy(),
	}
	for k, v := range t.ObjectMeta.Labels {
		vmi.Labels[k] = v
	}
	for k, v := range t.ObjectMeta.Annotations {
		vmi.Annotations[k] = v
	}
	// setupStableFirmwareUUID: an instance always has a firmware UUID, the legacy one when the VM has none.
	if vmi.Spec.Domain.Firmware == nil {
		vmi.Spec.Domain.Firmware = &kubevirtv1.Firmware{}
	}
	if vmi.Spec.Domain.Firmware.UUID == "" {
		vmi.Spec.Domain.Firmware.UUID = LegacyFirmwareUUID(vm.Name)
	}
	defaultVMISpec(&vmi.Spec)

	raw, err := json.Marshal(t)
	if err != nil {
		// The template came from JSON; it marshals.
		panic(err)
	}
	vmi.Annotations[AnnotationStartTemplate] = string(raw)
	vmi.Annotations[kubevirtv1.VirtualMachineGenerationAnnotation] = strconv.FormatInt(vm.Generation, 10)
	if v := faults[AnnotationRestart]; v != "" {
		vmi.Annotations[AnnotationRestart] = v
	}
	for _, k := range propagatedFaults {
		if v, ok := faults[k]; ok {
			vmi.Annotations[k] = v
		}
	}
	return vmi
}

// defaultVMISpec applies the defaults of SetDefaultVirtualMachineInstance (pkg/defaults/defaults.go, v1.7.0)
// that live updates depend on: architecture, machine type, guest memory, CPU topology and, with the
// LiveUpdate rollout strategy on anything but ARM, the hotplug maxima (setupCPUHotplug, setupMemoryHotplug)
// with KubeVirt's default configuration (no maximum sockets or guest memory configured, ratio 4). Defaults
// that change nothing the simulator reads (CPU model, eviction strategy, disks' buses, ...) are left out.
func defaultVMISpec(spec *kubevirtv1.VirtualMachineInstanceSpec) {
	if spec.Architecture == "" {
		spec.Architecture = defaultArchitecture
	}
	if spec.Domain.Machine == nil {
		spec.Domain.Machine = &kubevirtv1.Machine{}
	}
	if spec.Domain.Machine.Type == "" {
		spec.Domain.Machine.Type = machineTypeFor(spec.Architecture)
	}
	res := spec.Domain.Resources
	if spec.Domain.Memory == nil {
		spec.Domain.Memory = &kubevirtv1.Memory{}
	}
	if spec.Domain.Memory.Guest == nil {
		switch {
		case !res.Requests.Memory().IsZero():
			spec.Domain.Memory.Guest = res.Requests.Memory()
		case !res.Limits.Memory().IsZero():
			spec.Domain.Memory.Guest = res.Limits.Memory()
		}
	}
	if c := spec.Domain.CPU; c == nil || (c.Cores == 0 && c.Sockets == 0 && c.Threads == 0) {
		// All vCPUs as sockets, from the CPU limit or request (SetDefaultGuestCPUTopology).
		sockets := uint32(1)
		if l, ok := res.Limits[corev1.ResourceCPU]; ok {
			sockets = uint32(l.Value())
		} else if r, ok := res.Requests[corev1.ResourceCPU]; ok {
			sockets = uint32(r.Value())
		}
		// Only the topology: the rest of the CPU (dedicated placement, model, ...) stays.
		if spec.Domain.CPU == nil {
			spec.Domain.CPU = &kubevirtv1.CPU{}
		}
		spec.Domain.CPU.Sockets, spec.Domain.CPU.Cores, spec.Domain.CPU.Threads = sockets, 1, 1
	}
	if spec.Architecture == "arm64" {
		return
	}
	if c := spec.Domain.CPU; c.MaxSockets == 0 {
		c.MaxSockets = c.Sockets * maxHotplugRatio
		if perSocket := c.Cores * c.Threads; c.MaxSockets*perSocket > maxVCPUs {
			c.MaxSockets = max(maxVCPUs/perSocket, c.Sockets)
		}
	}
	if m := spec.Domain.Memory; m.MaxGuest == nil && m.Guest != nil {
		maxGuest := resource.NewQuantity(m.Guest.Value()*maxHotplugRatio, resource.BinarySI)
		// Without memory hotplug (too little memory, not amd64, misaligned, ...) maxGuest stays unset and
		// a memory change requires a restart.
		if validateLiveUpdateMemory(spec, maxGuest) == nil {
			m.MaxGuest = maxGuest
		}
	}
}

// startTemplate is the VM template an instance was started from, nil when the simulator did not record one
// (an instance created by someone else) or the record is unreadable.
func startTemplate(vmi *kubevirtv1.VirtualMachineInstance) *kubevirtv1.VirtualMachineInstanceTemplateSpec {
	raw, ok := vmi.Annotations[AnnotationStartTemplate]
	if !ok {
		return nil
	}
	var t kubevirtv1.VirtualMachineInstanceTemplateSpec
	if err := json.Unmarshal([]byte(raw), &t); err != nil {
		return nil
	}
	return &t
}

// syncHotplugStatus keeps the instance status fields that report CPU and memory in step with its spec, as the
// instance mutating webhook (setCurrentCPUTopologyStatus, setGuestMemoryStatus) does at creation and
// virt-handler does once a hotplug is done: the simulated hotplug is done at once.
func syncHotplugStatus(st *kubevirtv1.VirtualMachineInstanceStatus, spec *kubevirtv1.VirtualMachineInstanceSpec) {
	if c := spec.Domain.CPU; c != nil {
		if st.CurrentCPUTopology == nil {
			st.CurrentCPUTopology = &kubevirtv1.CPUTopology{Sockets: c.Sockets, Cores: c.Cores, Threads: c.Threads}
		}
		st.CurrentCPUTopology.Sockets = c.Sockets
	}
	if m := spec.Domain.Memory; m != nil && m.Guest != nil {
		guest := m.Guest.DeepCopy()
		if st.Memory == nil {
			st.Memory = &kubevirtv1.MemoryStatus{GuestAtBoot: &guest}
		}
		if st.Memory.GuestRequested == nil || !st.Memory.GuestRequested.Equal(guest) {
			st.Memory.GuestRequested, st.Memory.GuestCurrent = &guest, &guest
		}
	}
}
