package sim

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
	// templateHash is templateHash(vm).
	templateHash string
}

// diskState sums up the DataVolumes a VM's template mounts.
type diskState struct {
	// waiting names the DataVolumes that are missing or not yet Succeeded.
	waiting []string
	// failed is the message of the first failed DataVolume, "" when none failed.
	failed string
}

func (d diskState) ready() bool { return len(d.waiting) == 0 && d.failed == "" }

// vmPlan is what the simulated virt-controller does to a VM's instance in one pass. At most one of create
// and delete is set; an instance is only created once the previous one is gone.
type vmPlan struct {
	// strategy is the VM's effective run strategy.
	strategy kubevirtv1.VirtualMachineRunStrategy
	// create is true when a new instance must be created from the current template.
	create bool
	// delete is true when the current instance must go: stop, restart, or a new run after a failure.
	delete bool
	// annotations are fault annotations to set (non-nil) or remove (nil) on the live instance, so the
	// simulated virt-handler sees the faults injected on the VM or its Wukong.
	annotations map[string]*string
	// requests are the VM's state change requests still pending after this pass.
	requests []kubevirtv1.VirtualMachineStateChangeRequest
}

// propagatedFaults are the annotations copied from a VM (or its Wukong) onto its instance.
var propagatedFaults = []string{AnnotationUnschedulable, AnnotationCrash}

// planVM decides what happens to a VM's instance, as virt-controller does from the run strategy and the
// state change requests that `virtctl start/stop/restart` leave in the VM's status. A restart requested
// with AnnotationRestart is turned into the same Stop+Start request pair virt-api writes, so it works for
// every run strategy, Manual included.
func planVM(in vmInputs) vmPlan {
	strategy, err := in.vm.RunStrategy()
	if err != nil {
		// spec.running and spec.runStrategy both set: KubeVirt's webhook rejects that; do not run it.
		strategy = kubevirtv1.RunStrategyHalted
	}
	p := vmPlan{strategy: strategy, requests: append([]kubevirtv1.VirtualMachineStateChangeRequest(nil), in.vm.Status.StateChangeRequests...)}
	vmi := in.vmi
	live := vmi != nil && vmi.DeletionTimestamp == nil
	final := live && isFinal(vmi)

	if restart := in.faults[AnnotationRestart]; live && restart != "" && vmi.Annotations[AnnotationRestart] != restart && len(p.requests) == 0 {
		uid := vmi.UID
		p.requests = []kubevirtv1.VirtualMachineStateChangeRequest{
			{Action: kubevirtv1.StopRequest, UID: &uid}, {Action: kubevirtv1.StartRequest},
		}
	}
	if !p.runRequests(in, live, final) {
		return p
	}
	if len(p.requests) == 0 {
		crashed := in.faults[AnnotationCrash] != ""
		switch strategy {
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
	if live && !p.delete {
		for _, k := range propagatedFaults {
			want, ok := in.faults[k]
			if got, has := vmi.Annotations[k]; has != ok || got != want {
				if p.annotations == nil {
					p.annotations = map[string]*string{}
				}
				if ok {
					p.annotations[k] = &want
				} else {
					p.annotations[k] = nil
				}
			}
		}
	}
	return p
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

// templateHash identifies a VM's spec.template.spec; an instance records the hash it was created from.
func templateHash(vm *kubevirtv1.VirtualMachine) string {
	if vm.Spec.Template == nil {
		return ""
	}
	raw, err := json.Marshal(vm.Spec.Template.Spec)
	if err != nil {
		// The spec came from JSON; it marshals.
		panic(err)
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:8])
}

// newVMI renders a VM's instance from its template, as virt-controller does: same name, template labels
// and annotations, spec copied, controlled by the VM. It records the template hash and the restart
// annotation it was started with, and carries the VM's injected faults from the start.
func newVMI(vm *kubevirtv1.VirtualMachine, faults map[string]string, hash string) *kubevirtv1.VirtualMachineInstance {
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
	vmi.Annotations[AnnotationTemplateHash] = hash
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
