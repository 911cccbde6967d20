package sim

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	kubevirtv1 "kubevirt.io/api/core/v1"
)

// planCase builds a VM (via newVM, so the template is realistic) and optionally its instance.
type planCase struct {
	name     string
	strategy kubevirtv1.VirtualMachineRunStrategy
	// phase is the instance's phase; "none" means no instance.
	phase    kubevirtv1.VirtualMachineInstancePhase
	faults   map[string]string
	disks    diskState
	requests []kubevirtv1.VirtualMachineStateChangeRequest
	// vmiRestart and vmiHash are the instance's recorded annotations; hash "" means "current".
	vmiRestart, vmiHash string
	ready               bool

	wantCreate, wantDelete bool
	wantPrintable          kubevirtv1.VirtualMachinePrintableStatus
	wantConditions         []kubevirtv1.VirtualMachineConditionType
	wantRequests           int
}

const noVMI = kubevirtv1.VirtualMachineInstancePhase("none")

func TestPlanVM(t *testing.T) {
	stop := kubevirtv1.VirtualMachineStateChangeRequest{Action: kubevirtv1.StopRequest}
	start := kubevirtv1.VirtualMachineStateChangeRequest{Action: kubevirtv1.StartRequest}
	otherUID := types.UID("other")
	stopOther := kubevirtv1.VirtualMachineStateChangeRequest{Action: kubevirtv1.StopRequest, UID: &otherUID}
	ready, failure, restart := kubevirtv1.VirtualMachineReady, kubevirtv1.VirtualMachineFailure, kubevirtv1.VirtualMachineRestartRequired
	podScheduled := vmConditionPodScheduled
	for _, c := range []planCase{
		{name: "halted", strategy: "Halted", phase: noVMI, wantPrintable: "Stopped", wantConditions: []kubevirtv1.VirtualMachineConditionType{ready}},
		{name: "halted stops", strategy: "Halted", phase: kubevirtv1.Running, ready: true, wantDelete: true, wantPrintable: "Stopping"},
		{name: "manual waits", strategy: "Manual", phase: noVMI, wantPrintable: "Stopped"},
		{name: "manual start", strategy: "Manual", phase: noVMI, requests: []kubevirtv1.VirtualMachineStateChangeRequest{start}, wantCreate: true, wantPrintable: "Starting"},
		{name: "disks importing", strategy: "Always", phase: noVMI, disks: diskState{waiting: []string{"d"}}, wantPrintable: "Provisioning"},
		{name: "disk failed", strategy: "Always", phase: noVMI, disks: diskState{failed: "x"}, wantPrintable: "DataVolumeError"},
		{name: "always creates", strategy: "Always", phase: noVMI, wantCreate: true, wantPrintable: "Starting"},
		{name: "running", strategy: "Always", phase: kubevirtv1.Running, ready: true, wantPrintable: "Running", wantConditions: []kubevirtv1.VirtualMachineConditionType{ready}},
		{name: "crash held", strategy: "Always", phase: kubevirtv1.Failed, faults: map[string]string{AnnotationCrash: "boom"}, wantPrintable: "CrashLoopBackOff", wantConditions: []kubevirtv1.VirtualMachineConditionType{ready, failure}},
		{name: "crash cleared", strategy: "Always", phase: kubevirtv1.Failed, wantDelete: true, wantPrintable: "Stopping"},
		{name: "rerun after success", strategy: "RerunOnFailure", phase: kubevirtv1.Succeeded, wantPrintable: "Stopped"},
		{name: "rerun after failure", strategy: "RerunOnFailure", phase: kubevirtv1.Failed, wantDelete: true, wantPrintable: "Stopping"},
		{name: "once done", strategy: "Once", phase: kubevirtv1.Failed, wantPrintable: "Stopped"},
		{name: "unschedulable", strategy: "Always", phase: kubevirtv1.Scheduling, wantPrintable: "ErrorUnschedulable", wantConditions: []kubevirtv1.VirtualMachineConditionType{ready, podScheduled}},
		{name: "template changed", strategy: "Always", phase: kubevirtv1.Running, ready: true, vmiHash: "old", wantPrintable: "Running", wantConditions: []kubevirtv1.VirtualMachineConditionType{ready, restart}},
		{name: "restart requested", strategy: "Always", phase: kubevirtv1.Running, ready: true, faults: map[string]string{AnnotationRestart: "2"}, vmiRestart: "1", wantDelete: true, wantPrintable: "Stopping", wantRequests: 2},
		{name: "restart done", strategy: "Always", phase: kubevirtv1.Running, ready: true, faults: map[string]string{AnnotationRestart: "2"}, vmiRestart: "2", wantPrintable: "Running"},
		{name: "restart stop done", strategy: "Manual", phase: noVMI, requests: []kubevirtv1.VirtualMachineStateChangeRequest{stop, start}, wantCreate: true, wantPrintable: "Starting"},
		{name: "stale stop dropped", strategy: "Always", phase: kubevirtv1.Running, ready: true, requests: []kubevirtv1.VirtualMachineStateChangeRequest{stopOther}, wantPrintable: "Running"},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := c.inputs()
			p := planVM(in)
			if p.create != c.wantCreate || p.delete != c.wantDelete {
				t.Errorf("create=%v delete=%v, want %v %v", p.create, p.delete, c.wantCreate, c.wantDelete)
			}
			if len(p.requests) != c.wantRequests {
				t.Errorf("requests left %+v, want %d", p.requests, c.wantRequests)
			}
			st := vmStatus(in, p, metav1.Now())
			if st.PrintableStatus != c.wantPrintable {
				t.Errorf("printableStatus = %s, want %s", st.PrintableStatus, c.wantPrintable)
			}
			if c.wantConditions != nil {
				var got []kubevirtv1.VirtualMachineConditionType
				for _, cond := range st.Conditions {
					got = append(got, cond.Type)
				}
				if len(got) != len(c.wantConditions) {
					t.Fatalf("conditions %v, want %v", got, c.wantConditions)
				}
				for i := range got {
					if got[i] != c.wantConditions[i] {
						t.Fatalf("conditions %v, want %v", got, c.wantConditions)
					}
				}
			}
			if st.Ready != (c.ready && c.phase == kubevirtv1.Running && !c.wantDelete) {
				t.Errorf("ready = %v", st.Ready)
			}
		})
	}
}

func (c planCase) inputs() vmInputs {
	vm := newVM("ns", "vm", c.strategy, nil, nil)
	vm.UID = "vm-uid"
	vm.Status.StateChangeRequests = c.requests
	in := vmInputs{vm: vm, faults: c.faults, disks: c.disks, templateHash: templateHash(vm)}
	if in.faults == nil {
		in.faults = map[string]string{}
	}
	if c.phase == noVMI {
		return in
	}
	vmi := newVMI(vm, in.faults, in.templateHash)
	vmi.UID = "vmi-uid"
	vmi.Status.Phase = c.phase
	if c.vmiHash != "" {
		vmi.Annotations[AnnotationTemplateHash] = c.vmiHash
	}
	if c.vmiRestart != "" {
		vmi.Annotations[AnnotationRestart] = c.vmiRestart
	}
	if c.ready {
		vmi.Status.Conditions = append(vmi.Status.Conditions, kubevirtv1.VirtualMachineInstanceCondition{
			Type: kubevirtv1.VirtualMachineInstanceReady, Status: corev1.ConditionTrue})
	}
	if c.wantPrintable == "ErrorUnschedulable" {
		vmi.Status.Conditions = append(vmi.Status.Conditions, kubevirtv1.VirtualMachineInstanceCondition{
			Type: vmiConditionPodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable"})
	}
	in.vmi = vmi
	return in
}
