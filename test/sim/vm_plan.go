package sim

import (
	"strconv"

	"k8s.io/apimachinery/pkg/api/equality"
	kubevirtv1 "kubevirt.io/api/core/v1"
)

// vmInputs is everything the simulated virt-controller decides a VirtualMachine's next action from.
type vmInputs struct {
	vm *kubevirtv1.VirtualMachine
	// vmi is the VM's instance, nil when there is none.
	vmi *kubevirtv1.VirtualMachineInstance
	// faults are the simulator annotations of the VM over those of its Wukong.
	faults map[string]string
	// disks is the state of the DataVolumes the template mounts.
	disks diskState
}

// diskState sums up the DataVolumes a VM's template mounts.
type diskState struct {
	// waiting names the DataVolumes that are missing or not yet Succeeded.
	waiting []string
	// failed is the message of the first failed DataVolume, "" when none failed.
	failed string
}

func (d diskState) ready() bool { return len(d.waiting) == 0 && d.failed == "" }

// vmPlan is what the simulated virt-controller does to a VM and its instance in one pass. At most one of
// create and delete is set; an instance is only created once the previous one is gone.
type vmPlan struct {
	// strategy is the VM's effective run strategy.
	strategy kubevirtv1.VirtualMachineRunStrategy
	// create is true when a new instance must be created from the current template.
	create bool
	// delete is true when the current instance must go: stop, restart, or a new run after a failure.
	delete bool
	// annotations are annotations to set (non-nil) or remove (nil) on the live instance: the faults injected
	// on the VM or its Wukong, so the simulated virt-handler sees them; the dynamic annotations KubeVirt keeps
	// in sync with the template; and the VM generation the instance is up to date with.
	annotations map[string]*string
	// requests are the VM's state change requests still pending after this pass.
	requests []kubevirtv1.VirtualMachineStateChangeRequest
	// restartRequired is the message of the RestartRequired condition this pass sets ("" none).
	restartRequired string
	// vmiSpec is the live instance's spec with live updates applied; nil when it is left alone.
	vmiSpec *kubevirtv1.VirtualMachineInstanceSpec
	// firmware is patched into the VM's template when it has no firmware UUID (KubeVirt's
	// FirmwareController); nil when the VM is left alone.
	firmware *kubevirtv1.Firmware
}

// propagatedFaults are the annotations copied from a VM (or its Wukong) onto its instance.
var propagatedFaults = []string{AnnotationUnschedulable, AnnotationCrash, AnnotationNotMigratable, AnnotationProbeFail}

// dynamicAnnotations are the template annotations KubeVirt v1.7 keeps in sync on a running instance
// (syncDynamicAnnotationsAndLabelsToVMI in pkg/virt-controller/watch/vm/vm.go: the descheduler's, plus
// those a KubeVirt CR lists in additionalLauncherAnnotationsSync, none by default). No label is synced by
// default. Any other template metadata change waits for the next start and never requires a restart.
var dynamicAnnotations = []string{
	"descheduler.alpha.kubernetes.io/evict",
	"descheduler.alpha.kubernetes.io/prefer-no-eviction",
}

// planVM decides what happens to a VM and its instance, as virt-controller's sync does: first the run
// strategy and the state change requests that `virtctl start/stop/restart` leave in the VM's status (a
// restart requested with AnnotationRestart is turned into the same Stop+Start request pair virt-api writes,
// so it works for every run strategy, Manual included), then the updates of an instance that stays.
func planVM(in vmInputs) vmPlan {
	strategy, err := in.vm.RunStrategy()
	if err != nil {
		// spec.running and spec.runStrategy both set: KubeVirt's webhook rejects that; do not run it.
		strategy = kubevirtv1.RunStrategyHalted
	}
	p := vmPlan{strategy: strategy, requests: append([]kubevirtv1.VirtualMachineStateChangeRequest(nil), in.vm.Status.StateChangeRequests...)}
	vmi := in.vmi
	live := vmi != nil && vmi.DeletionTimestamp == nil
	p.runStrategy(in, live)
	if vmi != nil {
		p.planUpdates(in, live)
	}
	// sync returns before the firmware synchronizer while the disks of a VM meant to run are not ready.
	if in.disks.ready() || strategy == kubevirtv1.RunStrategyHalted {
		p.firmware = legacyFirmware(in.vm)
	}
	return p
}

// runStrategy decides whether the instance is created or deleted. A VM whose DataVolumes are missing or
// still importing waits for them and does not fail: the operator creates the VM before its DataVolumes, and
// KubeVirt v1.7 admits such a VM and waits. KubeVirt's virt-controller creates the instance at once (its
// handleDataVolumes in pkg/virt-controller/watch/vm/vm.go only waits for dataVolumeTemplates, which the
// operator does not use) and then holds back the launcher pod until every volume is ready
// (pkg/virt-controller/watch/vmi/lifecycle.go, areDataVolumesReady in datavolumes.go: a missing PVC is an
// informal sync error, "PVC … does not exist, waiting for it to appear"). The simulator holds back the
// instance itself instead, so an instance always starts from the template current when its disks are ready;
// what the operator sees is the same: no running instance before the disks, and no failure.
func (p *vmPlan) runStrategy(in vmInputs, live bool) {
	vmi := in.vmi
	final := live && isFinal(vmi)
	if restart := in.faults[AnnotationRestart]; live && restart != "" && vmi.Annotations[AnnotationRestart] != restart && len(p.requests) == 0 {
		uid := vmi.UID
		p.requests = []kubevirtv1.VirtualMachineStateChangeRequest{
			{Action: kubevirtv1.StopRequest, UID: &uid}, {Action: kubevirtv1.StartRequest},
		}
	}
	if !p.runRequests(in, live, final) || len(p.requests) > 0 {
		return
	}
	crashed := in.faults[AnnotationCrash] != ""
	switch p.strategy {
	case kubevirtv1.RunStrategyHalted:
		p.delete = live
	case kubevirtv1.RunStrategyAlways:
		// A crash that is still injected holds the failed instance, which is what CrashLoopBackOff shows.
		p.delete = final && !crashed
		p.create = vmi == nil && in.disks.ready()
	case kubevirtv1.RunStrategyRerunOnFailure:
		p.delete = final && vmi.Status.Phase == kubevirtv1.Failed && !crashed
		p.create = vmi == nil && in.disks.ready()
	case kubevirtv1.RunStrategyOnce:
		p.create = vmi == nil && in.disks.ready()
	}
}

// planUpdates decides what changes on an existing instance and whether the VM needs a restart: the live
// updates of planLiveUpdate, the annotations kept in sync, and the generation the instance is up to date
// with (conditionallyBumpGenerationAnnotationOnVmi: bumped only when the VM's template is still the one the
// instance was started from, so after a live update the VM's observedGeneration stays behind until a
// restart, as in KubeVirt). Nothing is written to an instance on its way out.
func (p *vmPlan) planUpdates(in vmInputs, live bool) {
	vm, vmi := in.vm, in.vmi
	start := startTemplate(vmi)
	var startSpec *kubevirtv1.VirtualMachineInstanceSpec
	if start != nil {
		startSpec = &start.Spec
	}
	// Starting or stopping the instance removes the condition first (cleanupRestartRequired).
	restartSet := vmConditionOf(&vm.Status, kubevirtv1.VirtualMachineRestartRequired) != nil && !p.create && !p.delete
	lu := planLiveUpdate(startSpec, vm, vmi, restartSet)
	p.restartRequired = lu.restartRequired
	if !live || p.delete {
		return
	}
	p.vmiSpec = lu.spec
	set := func(k string, v *string) {
		if p.annotations == nil {
			p.annotations = map[string]*string{}
		}
		p.annotations[k] = v
	}
	sync := func(k string, want map[string]string) {
		v, ok := want[k]
		if got, has := vmi.Annotations[k]; has == ok && got == v {
			return
		}
		if ok {
			set(k, &v)
		} else {
			set(k, nil)
		}
	}
	for _, k := range propagatedFaults {
		sync(k, in.faults)
	}
	for _, k := range dynamicAnnotations {
		sync(k, vm.Spec.Template.ObjectMeta.Annotations)
	}
	gen := strconv.FormatInt(vm.Generation, 10)
	if vmi.Annotations[kubevirtv1.VirtualMachineGenerationAnnotation] != gen && start != nil &&
		equality.Semantic.DeepEqual(*start, *vm.Spec.Template) {
		set(kubevirtv1.VirtualMachineGenerationAnnotation, &gen)
	}
}

// runRequests works through the pending state change requests in order; false when the head request is
// in progress (an instance being deleted or created) and the run strategy must wait.
func (p *vmPlan) runRequests(in vmInputs, live, final bool) bool {
	vmi := in.vmi
	for len(p.requests) > 0 {
		req := p.requests[0]
		switch req.Action {
		case kubevirtv1.StopRequest:
			if vmi != nil && (req.UID == nil || *req.UID == vmi.UID) {
				p.delete = live
				return false
			}
		case kubevirtv1.StartRequest:
			switch {
			case vmi != nil && !live:
				return false
			case final:
				p.delete = true
				return false
			case vmi == nil:
				if !in.disks.ready() {
					return false
				}
				p.create = true
				p.requests = p.requests[1:]
				return false
			}
		}
		// Done, stale (another instance) or unknown: drop it.
		p.requests = p.requests[1:]
	}
	return true
}
