package sim

import (
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	kubevirtv1 "kubevirt.io/api/core/v1"
)

// Messages of the RestartRequired condition, verbatim from KubeVirt v1.7 (setRestartRequired callers in
// pkg/virt-controller/watch/vm/vm.go). KubeVirt sets no reason.
const (
	msgNonLiveUpdatable    = "a non-live-updatable field was changed in the template spec"
	msgSocketsAboveMax     = "CPU sockets updated in template spec to a value higher than what's available"
	msgSocketsReduced      = "Reduction of CPU socket count requires a restart"
	msgNoARMCPUHotplug     = "ARM doesn't support CPU hotplug"
	msgMemoryHotplugFailed = "memory updated in template spec. Memory-hotplug failed and is not available for this VM configuration"
	msgMemoryNotMigratable = "memory updated in template spec. Memory-hotplug is only available for migratable VMs"
	msgMemoryNoMaxGuest    = "memory updated in template spec. Memory-hotplug is not available for this VM configuration"
	msgMemoryBelowBoot     = "memory updated in template spec to a value lower than what the VM started with"
	msgMemoryAboveMax      = "memory updated in template spec to a value higher than what's available"
	msgMemoryUnsupported   = "memory hotplug not supported, "
)

// cpuAllocationRatio is KubeVirt's default DeveloperConfiguration.CPUAllocationRatio: a vCPU requests a tenth
// of a CPU when the template requests CPU at all.
const cpuAllocationRatio = 10

// liveUpdate is what virt-controller v1.7 does in one pass about a VM whose instance exists, with the default
// VMRolloutStrategy LiveUpdate (DefaultVMRolloutStrategy in pkg/virt-config/virt-config.go).
type liveUpdate struct {
	// restartRequired is the message of the RestartRequired condition this pass sets, "" when it sets none.
	// A condition already set keeps its first message: KubeVirt's UpdateCondition replaces a condition only
	// when its status or reason changes.
	restartRequired string
	// spec is the instance's spec with the changes applied in place, nil when the instance is not touched.
	// Real KubeVirt hotplugs CPU, memory and bridge interfaces through a live migration to a new pod; the
	// simulator changes the running instance in place (same UID, no phase change), which is what a client of
	// the VirtualMachineInstance object sees once the migration is over.
	spec *kubevirtv1.VirtualMachineInstanceSpec
}

// planLiveUpdate follows the part of Controller.sync (pkg/virt-controller/watch/vm/vm.go, v1.7.0) that runs
// while an instance exists:
//
//  1. addRestartRequiredIfNeeded: start is the template spec the instance was started from (KubeVirt keeps it
//     in a ControllerRevision; nil when unknown, which never requires a restart). Live-updatable fields are
//     copied from the VM over start, then the two are compared;
//  2. the network synchronizer hotplugs interfaces added to the template (bridge or SR-IOV binding);
//  3. unless step 1 required a restart or the VM already has a RestartRequired condition (restartSet: once
//     set, KubeVirt removes it only when it starts or stops the instance), the CPU, affinity, tolerations and
//     memory handlers apply what they can to the instance and require a restart for the rest. Each handler
//     runs even when an earlier one required a restart in the same pass.
//
// Left out: instance types and preferences (the CPU and memory handlers skip a VM with an instance type),
// volume hotplug and volume migration (every volume or disk change
// requires a restart here), hot-unplug of interfaces (state: absent), the VCPUChange/MemoryChange
// conditions of a hotplug in progress (the simulator's hotplug completes at once), and migrations in flight.
func planLiveUpdate(start *kubevirtv1.VirtualMachineInstanceSpec, vm *kubevirtv1.VirtualMachine, vmi *kubevirtv1.VirtualMachineInstance, restartSet bool) liveUpdate {
	var lu liveUpdate
	if vm.Spec.Template == nil {
		return lu
	}
	tmpl := &vm.Spec.Template.Spec
	if nonLiveUpdatableChanged(start, tmpl, &vmi.Spec) {
		lu.restartRequired = msgNonLiveUpdatable
	}
	if vmi.DeletionTimestamp != nil {
		return lu
	}
	spec := vmi.Spec.DeepCopy()
	changed := hotplugInterfaces(tmpl, spec)
	handlers := []func(*kubevirtv1.VirtualMachineInstanceSpec, *kubevirtv1.VirtualMachineInstanceSpec, *kubevirtv1.VirtualMachineInstance) (bool, string){
		updateCPU, updatePlacement, updateMemory,
	}
	if vm.Spec.Instancetype != nil {
		// KubeVirt compares the instance with the template expanded by its instance type, whose CPUs and
		// memory the simulator does not know: it leaves them as the instance started.
		handlers = handlers[1:2]
	}
	if lu.restartRequired == "" && !restartSet {
		for _, handle := range handlers {
			c, msg := handle(tmpl, spec, vmi)
			changed = changed || c
			if lu.restartRequired == "" {
				lu.restartRequired = msg
			}
		}
	}
	if changed {
		lu.spec = spec
	}
	return lu
}

// nonLiveUpdatableChanged is addRestartRequiredIfNeeded's comparison: start with every live-updatable field
// taken from the template (CPU sockets, guest memory, node selector, affinity, tolerations, and interfaces
// and networks when their change needs no restart) differs from the template.
func nonLiveUpdatableChanged(start, tmpl, vmiSpec *kubevirtv1.VirtualMachineInstanceSpec) bool {
	if start == nil {
		return false
	}
	last := start.DeepCopy()
	if last.Domain.CPU != nil && tmpl.Domain.CPU != nil {
		last.Domain.CPU.Sockets = tmpl.Domain.CPU.Sockets
	}
	if tmpl.Domain.Memory != nil && tmpl.Domain.Memory.Guest != nil {
		if last.Domain.Memory == nil {
			last.Domain.Memory = &kubevirtv1.Memory{}
		}
		last.Domain.Memory.Guest = tmpl.Domain.Memory.Guest
	}
	last.NodeSelector = tmpl.NodeSelector
	last.Affinity = tmpl.Affinity
	last.Tolerations = tmpl.Tolerations
	if !networkRestartRequired(tmpl, vmiSpec) {
		last.Domain.Devices.Interfaces = tmpl.Domain.Devices.Interfaces
		last.Networks = tmpl.Networks
	}
	return !equality.Semantic.DeepEqual(*last, *tmpl)
}

// networkRestartRequired is IsRestartRequired of pkg/network/vmliveupdate/restart.go (v1.7.0): an interface
// or network of the instance was removed from the template or changed there (an interface's state aside).
// Added ones need no restart.
func networkRestartRequired(tmpl, vmiSpec *kubevirtv1.VirtualMachineInstanceSpec) bool {
	ifaces := map[string]kubevirtv1.Interface{}
	for _, i := range tmpl.Domain.Devices.Interfaces {
		ifaces[i.Name] = i
	}
	for _, cur := range vmiSpec.Domain.Devices.Interfaces {
		want, ok := ifaces[cur.Name]
		if !ok {
			return true
		}
		want.State, cur.State = "", ""
		if !equality.Semantic.DeepEqual(want, cur) {
			return true
		}
	}
	nets := map[string]kubevirtv1.Network{}
	for _, n := range tmpl.Networks {
		nets[n.Name] = n
	}
	for _, cur := range vmiSpec.Networks {
		if want, ok := nets[cur.Name]; !ok || !equality.Semantic.DeepEqual(want, cur) {
			return true
		}
	}
	return false
}

// hotplugInterfaces adds to spec the template's interfaces it lacks that KubeVirt hotplugs (bridge or SR-IOV
// binding, not absent), with their networks, as applyDynamicIfaceRequestOnVMI in
// pkg/network/controllers/vm.go does. Other added interfaces wait for a restart without requiring one.
func hotplugInterfaces(tmpl, spec *kubevirtv1.VirtualMachineInstanceSpec) bool {
	have := map[string]bool{}
	for _, i := range spec.Domain.Devices.Interfaces {
		have[i.Name] = true
	}
	changed := false
	for _, i := range tmpl.Domain.Devices.Interfaces {
		if have[i.Name] || i.State == kubevirtv1.InterfaceStateAbsent || (i.Bridge == nil && i.SRIOV == nil) {
			continue
		}
		for _, n := range tmpl.Networks {
			if n.Name == i.Name {
				spec.Networks = append(spec.Networks, n)
			}
		}
		spec.Domain.Devices.Interfaces = append(spec.Domain.Devices.Interfaces, i)
		changed = true
	}
	return changed
}

// updateCPU is handleCPUChangeRequest: a socket count raised up to the instance's maxSockets is hotplugged
// (and a CPU request or limit raised with it); fewer sockets, more than maxSockets, or ARM require a restart.
// Cores and threads are not live-updatable: step 1 catches them.
func updateCPU(tmpl, spec *kubevirtv1.VirtualMachineInstanceSpec, vmi *kubevirtv1.VirtualMachineInstance) (bool, string) {
	want, cur := tmpl.Domain.CPU, vmi.Spec.Domain.CPU
	if want == nil || cur == nil || want.Sockets == cur.Sockets {
		return false, ""
	}
	switch {
	case want.Sockets > cur.MaxSockets:
		return false, msgSocketsAboveMax
	case want.Sockets < cur.Sockets:
		return false, msgSocketsReduced
	case tmpl.Architecture == "arm64":
		return false, msgNoARMCPUHotplug
	}
	delta := resource.NewMilliQuantity((vcpus(want)-vcpus(cur))*(1000/cpuAllocationRatio), resource.DecimalSI)
	spec.Domain.CPU.Sockets = want.Sockets
	if !tmpl.Domain.Resources.Requests.Cpu().IsZero() {
		addResource(&spec.Domain.Resources.Requests, corev1.ResourceCPU, *vmi.Spec.Domain.Resources.Requests.Cpu(), delta)
	}
	if !tmpl.Domain.Resources.Limits.Cpu().IsZero() {
		addResource(&spec.Domain.Resources.Limits, corev1.ResourceCPU, *vmi.Spec.Domain.Resources.Limits.Cpu(), delta)
	}
	return true, ""
}

// vcpus is hardware.GetNumberOfVCPUs: the product of the topology's non-zero counts, 0 when all are zero.
func vcpus(cpu *kubevirtv1.CPU) int64 {
	n := int64(0)
	for _, c := range []uint32{cpu.Cores, cpu.Sockets, cpu.Threads} {
		switch {
		case c == 0:
		case n == 0:
			n = int64(c)
		default:
			n *= int64(c)
		}
	}
	return n
}

func addResource(list *corev1.ResourceList, name corev1.ResourceName, base resource.Quantity, delta *resource.Quantity) {
	if *list == nil {
		*list = corev1.ResourceList{}
	}
	base.Add(*delta)
	(*list)[name] = base
}

// updatePlacement is handleAffinityChangeRequest and handleTolerationsChangeRequest: the node selector,
// affinity and tolerations are copied to the instance as they are (they only matter for its next migration).
func updatePlacement(tmpl, spec *kubevirtv1.VirtualMachineInstanceSpec, _ *kubevirtv1.VirtualMachineInstance) (bool, string) {
	changed := false
	if !equality.Semantic.DeepEqual(tmpl.NodeSelector, spec.NodeSelector) {
		spec.NodeSelector, changed = tmpl.NodeSelector, true
	}
	if !equality.Semantic.DeepEqual(tmpl.Affinity, spec.Affinity) {
		spec.Affinity, changed = tmpl.Affinity.DeepCopy(), true
	}
	if !equality.Semantic.DeepEqual(tmpl.Tolerations, spec.Tolerations) {
		spec.Tolerations, changed = tmpl.Tolerations, true
	}
	return changed, ""
}

// updateMemory is handleMemoryHotplugRequest: guest memory changed in the template is hotplugged when the
// instance is migratable, has a maxGuest, the new size passes memory hotplug's validation and is neither
// below the boot size nor above maxGuest; the instance's memory request (and limit, when the template sets
// one) moves by the same amount.
func updateMemory(tmpl, spec *kubevirtv1.VirtualMachineInstanceSpec, vmi *kubevirtv1.VirtualMachineInstance) (bool, string) {
	want, cur, st := tmpl.Domain.Memory, vmi.Spec.Domain.Memory, vmi.Status.Memory
	if want == nil || want.Guest == nil || cur == nil || cur.Guest == nil || st == nil || st.GuestCurrent == nil {
		return false, ""
	}
	if c := vmiCondition(vmi, kubevirtv1.VirtualMachineInstanceMemoryChange); c != nil && c.Status == corev1.ConditionFalse {
		return false, msgMemoryHotplugFailed
	}
	guest := *want.Guest
	switch {
	case guest.Equal(*cur.Guest):
		return false, ""
	case !vmi.IsMigratable():
		return false, msgMemoryNotMigratable
	case cur.MaxGuest == nil:
		return false, msgMemoryNoMaxGuest
	}
	if err := validateLiveUpdateMemory(tmpl, cur.MaxGuest); err != nil {
		return false, msgMemoryUnsupported + err.Error()
	}
	switch {
	case st.GuestAtBoot != nil && guest.Cmp(*st.GuestAtBoot) < 0:
		return false, msgMemoryBelowBoot
	case guest.Cmp(*cur.MaxGuest) > 0:
		return false, msgMemoryAboveMax
	}
	delta := resource.NewQuantity(guest.Value()-st.GuestCurrent.Value(), resource.BinarySI)
	spec.Domain.Memory.Guest = &guest
	if req := vmi.Spec.Domain.Resources.Requests.Memory(); !req.IsZero() {
		newReq := req.DeepCopy()
		newReq.Add(*delta)
		if newReq.Cmp(guest) < 0 {
			// Not all memory comes back after an unplug: never request less than the guest has.
			newReq = guest.DeepCopy()
			delta = resource.NewQuantity(guest.Value()-newReq.Value(), resource.BinarySI)
		}
		spec.Domain.Resources.Requests[corev1.ResourceMemory] = newReq
	}
	if !tmpl.Domain.Resources.Limits.Memory().IsZero() {
		addResource(&spec.Domain.Resources.Limits, corev1.ResourceMemory, *vmi.Spec.Domain.Resources.Limits.Memory(), delta)
	}
	return true, ""
}

// Memory hotplug constraints of pkg/liveupdate/memory/memory.go (v1.7.0).
const (
	hotplugBlockAlignment    = 2 << 20 // 2Mi
	hotplugHugepageAlignment = 1 << 30 // 1Gi, with 1Gi hugepages
	hotplugMinGuest          = 1 << 30 // 1Gi
)

// validateLiveUpdateMemory is ValidateLiveUpdateMemory: whether memory hotplug can work for spec up to
// maxGuest, with KubeVirt's error messages.
func validateLiveUpdateMemory(spec *kubevirtv1.VirtualMachineInstanceSpec, maxGuest *resource.Quantity) error {
	d := &spec.Domain
	align := int64(hotplugBlockAlignment)
	if d.Memory != nil && d.Memory.Hugepages != nil && d.Memory.Hugepages.PageSize == "1Gi" {
		align = hotplugHugepageAlignment
	}
	// KubeVirt's messages, capitalised as KubeVirt writes them.
	//nolint:staticcheck // ST1005: the messages are KubeVirt's, verbatim.
	switch {
	case d.CPU != nil && d.CPU.Realtime != nil:
		return errors.New("Memory hotplug is not compatible with realtime VMs")
	case d.CPU != nil && d.CPU.NUMA != nil && d.CPU.NUMA.GuestMappingPassthrough != nil:
		return errors.New("Memory hotplug is not compatible with guest mapping passthrough")
	case d.LaunchSecurity != nil:
		return errors.New("Memory hotplug is not compatible with encrypted VMs")
	case d.Memory == nil || d.Memory.Guest == nil:
		return errors.New("Guest memory must be configured when memory hotplug is enabled")
	case maxGuest == nil:
		return errors.New("Max guest memory must be configured when memory hotplug is enabled")
	case d.Memory.Guest.Cmp(*maxGuest) > 0:
		return errors.New("Guest memory is greater than the configured maxGuest memory")
	case d.Memory.Guest.Value()%align != 0:
		return fmt.Errorf("Guest memory must be %s aligned", resource.NewQuantity(align, resource.BinarySI))
	case maxGuest.Value()%align != 0:
		return fmt.Errorf("MaxGuest must be %s aligned", resource.NewQuantity(align, resource.BinarySI))
	case spec.Architecture != "amd64":
		return errors.New("Memory hotplug is only available for x86_64 VMs")
	case d.Memory.Guest.Value() < hotplugMinGuest:
		return errors.New("Memory hotplug is only available for VMs with at least 1Gi of guest memory")
	}
	return nil
}
