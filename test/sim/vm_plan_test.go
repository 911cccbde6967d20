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
	// vmiRestart is the restart annotation recorded on the instance.
	vmiRestart string
	// change edits the VM's template after the instance was started from it.
	change func(*kubevirtv1.VirtualMachineInstanceSpec)
	// restartSet gives the VM a RestartRequired condition from an earlier pass.
	restartSet bool
	ready      bool

	wantCreate, wantDelete bool
	wantPrintable          kubevirtv1.VirtualMachinePrintableStatus
	wantConditions         []kubevirtv1.VirtualMachineConditionType
	wantRequests           int
	// wantRestart is the RestartRequired message expected after the pass ("" none).
	wantRestart string
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
		{name: "cores changed", strategy: "Always", phase: kubevirtv1.Running, ready: true, change: setCores(2), wantPrintable: "Running", wantConditions: []kubevirtv1.VirtualMachineConditionType{restart, ready}, wantRestart: msgNonLiveUpdatable},
		{name: "restart required kept", strategy: "Always", phase: kubevirtv1.Running, ready: true, restartSet: true, wantPrintable: "Running", wantConditions: []kubevirtv1.VirtualMachineConditionType{restart, ready}, wantRestart: "earlier"},
		{name: "restart required kept when stopped", strategy: "Halted", phase: noVMI, restartSet: true, wantPrintable: "Stopped", wantConditions: []kubevirtv1.VirtualMachineConditionType{restart, ready}, wantRestart: "earlier"},
		{name: "stop clears restart required", strategy: "Halted", phase: kubevirtv1.Running, ready: true, restartSet: true, wantDelete: true, wantPrintable: "Stopping", wantConditions: []kubevirtv1.VirtualMachineConditionType{ready}},
		{name: "stop keeps a template change", strategy: "Halted", phase: kubevirtv1.Running, ready: true, restartSet: true, change: setCores(2), wantDelete: true, wantPrintable: "Stopping", wantConditions: []kubevirtv1.VirtualMachineConditionType{restart, ready}, wantRestart: msgNonLiveUpdatable},
		{name: "start clears restart required", strategy: "Always", phase: noVMI, restartSet: true, wantCreate: true, wantPrintable: "Starting", wantConditions: []kubevirtv1.VirtualMachineConditionType{ready}},
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
			got := ""
			if rr := vmConditionOf(&st, restart); rr != nil && rr.Status == corev1.ConditionTrue {
				got = rr.Message
			}
			if got != c.wantRestart {
				t.Errorf("RestartRequired message = %q, want %q", got, c.wantRestart)
			}
		})
	}
}

func setCores(n uint32) func(*kubevirtv1.VirtualMachineInstanceSpec) {
	return func(s *kubevirtv1.VirtualMachineInstanceSpec) { s.Domain.CPU.Cores = n }
}

func (c planCase) inputs() vmInputs {
	vm := newVM("ns", "vm", c.strategy, nil, nil)
	vm.UID = "vm-uid"
	vm.Generation = 1
	vm.Status.StateChangeRequests = c.requests
	if c.restartSet {
		vm.Status.Conditions = []kubevirtv1.VirtualMachineCondition{{
			Type: kubevirtv1.VirtualMachineRestartRequired, Status: corev1.ConditionTrue, Message: "earlier",
		}}
	}
	in := vmInputs{vm: vm, faults: c.faults, disks: c.disks}
	if in.faults == nil {
		in.faults = map[string]string{}
	}
	if c.phase == noVMI {
		return in
	}
	vmi := newVMI(vm, in.faults)
	vmi.UID = "vmi-uid"
	vmi.Status.Phase = c.phase
	if c.change != nil {
		c.change(&vm.Spec.Template.Spec)
		vm.Generation++
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
