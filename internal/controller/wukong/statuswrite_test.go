package wukong

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
)

func TestClassifyStatusChange(t *testing.T) {
	cond := func(typ string, status metav1.ConditionStatus, reason, msg string) metav1.Condition {
		return metav1.Condition{Type: typ, Status: status, Reason: reason, Message: msg, ObservedGeneration: 1}
	}
	base := func(phase vmv1alpha1.WukongPhase) vmv1alpha1.WukongStatus {
		return vmv1alpha1.WukongStatus{
			ObservedGeneration: 1, Phase: phase, VMName: "web",
			Conditions: []metav1.Condition{
				cond(vmv1alpha1.WukongReady, metav1.ConditionFalse, vmv1alpha1.ReasonProvisioning, "root: ImportInProgress 25.00%"),
				cond(vmv1alpha1.WukongDisksReady, metav1.ConditionFalse, vmv1alpha1.ReasonImporting, "root: ImportInProgress 25.00%"),
			},
			Volumes: []vmv1alpha1.VolumeStatus{{Name: "root", DataVolume: "web-root", Phase: "ImportInProgress", Progress: "25.00%"}},
		}
	}
	cases := []struct {
		name        string
		mutate      func(*vmv1alpha1.WukongStatus)
		phase       vmv1alpha1.WukongPhase
		significant string
		progress    bool
	}{
		{name: "identical", mutate: func(*vmv1alpha1.WukongStatus) {}},
		{name: "import progress", progress: true, mutate: func(s *vmv1alpha1.WukongStatus) {
			s.Volumes[0].Progress = "50.00%"
			s.Conditions[0].Message, s.Conditions[1].Message = "root: ImportInProgress 50.00%", "root: ImportInProgress 50.00%"
		}},
		{name: "volume phase", phase: vmv1alpha1.WukongStopped, progress: true, mutate: func(s *vmv1alpha1.WukongStatus) { s.Volumes[0].Phase = "ImportScheduled" }},
		{name: "phase", significant: "phase", mutate: func(s *vmv1alpha1.WukongStatus) { s.Phase = vmv1alpha1.WukongStarting }},
		{name: "observed generation", significant: "observedGeneration", mutate: func(s *vmv1alpha1.WukongStatus) { s.ObservedGeneration = 2 }},
		{name: "condition reason", significant: "condition DisksReady", mutate: func(s *vmv1alpha1.WukongStatus) {
			s.Conditions[1].Reason = vmv1alpha1.ReasonImportFailed
		}},
		{name: "condition status", significant: "condition Ready", mutate: func(s *vmv1alpha1.WukongStatus) {
			s.Conditions[0].Status = metav1.ConditionTrue
		}},
		{name: "condition's generation", significant: "condition Ready", mutate: func(s *vmv1alpha1.WukongStatus) {
			s.Conditions[0].ObservedGeneration = 2
		}},
		{name: "condition added", significant: "condition set", mutate: func(s *vmv1alpha1.WukongStatus) {
			s.Conditions = append(s.Conditions, cond(vmv1alpha1.WukongUpToDate, metav1.ConditionTrue, vmv1alpha1.ReasonUpToDate, ""))
		}},
		{name: "a disk added", significant: "volumes", mutate: func(s *vmv1alpha1.WukongStatus) {
			s.Volumes = append(s.Volumes, vmv1alpha1.VolumeStatus{Name: "data", DataVolume: "web-data"})
		}},
		{name: "node while starting", phase: vmv1alpha1.WukongStarting, progress: true, mutate: func(s *vmv1alpha1.WukongStatus) { s.NodeName = "n2" }},
		{name: "address while starting", phase: vmv1alpha1.WukongStarting, progress: true, mutate: func(s *vmv1alpha1.WukongStatus) { s.IP = "10.0.0.1" }},
		{name: "guest while starting", phase: vmv1alpha1.WukongStarting, progress: true, mutate: func(s *vmv1alpha1.WukongStatus) {
			s.Guest = &vmv1alpha1.GuestStatus{AgentConnected: true}
		}},
		{name: "node of a running VM (migrated)", phase: vmv1alpha1.WukongRunning, significant: "nodeName", mutate: func(s *vmv1alpha1.WukongStatus) { s.NodeName = "n2" }},
		{name: "address of a running VM", phase: vmv1alpha1.WukongRunning, significant: "networks", mutate: func(s *vmv1alpha1.WukongStatus) {
			s.Networks = []vmv1alpha1.NetworkStatus{{Name: "eth1", IP: "192.168.1.7"}}
		}},
		{name: "guest agent of a running VM", phase: vmv1alpha1.WukongRunning, significant: "guest", mutate: func(s *vmv1alpha1.WukongStatus) {
			s.Guest = &vmv1alpha1.GuestStatus{}
		}},
		{name: "a message of a running VM", phase: vmv1alpha1.WukongRunning, progress: true, mutate: func(s *vmv1alpha1.WukongStatus) {
			s.Conditions[1].Message = "other"
		}},
		{name: "why a failed VM failed", phase: vmv1alpha1.WukongFailed, significant: "failure message", mutate: func(s *vmv1alpha1.WukongStatus) {
			s.Conditions[0].Message = "the VM instance failed: guest kernel panic"
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			phase := c.phase
			if phase == "" {
				// Not a start: a start's steps are startProgress's (TestStartProgress).
				phase = vmv1alpha1.WukongRunning
			}
			old := base(phase)
			old.NodeName = "n1"
			now := *old.DeepCopy()
			c.mutate(&now)
			got := classifyStatusChange(&old, &now)
			if got.Significant != c.significant || got.Progress != c.progress {
				t.Errorf("classifyStatusChange = %+v, want significant %q, progress %v", got, c.significant, c.progress)
			}
		})
	}
}

func TestStartProgress(t *testing.T) {
	cond := func(typ string, status metav1.ConditionStatus, reason string) metav1.Condition {
		return metav1.Condition{Type: typ, Status: status, Reason: reason, ObservedGeneration: 1}
	}
	status := func(phase vmv1alpha1.WukongPhase, ready, disks string) vmv1alpha1.WukongStatus {
		st := vmv1alpha1.WukongStatus{ObservedGeneration: 1, Phase: phase, VMName: "web", Conditions: []metav1.Condition{
			cond(vmv1alpha1.WukongReady, metav1.ConditionFalse, ready),
			cond(vmv1alpha1.WukongDisksReady, metav1.ConditionFalse, disks),
			cond(vmv1alpha1.WukongNetworksReady, metav1.ConditionTrue, vmv1alpha1.ReasonAttachmentsReady),
			cond(vmv1alpha1.WukongUpToDate, metav1.ConditionFalse, vmv1alpha1.ReasonVMUpdating),
		}}
		if phase == vmv1alpha1.WukongRunning {
			st.Conditions[0].Status = metav1.ConditionTrue
		}
		return st
	}
	var none vmv1alpha1.WukongStatus
	provisioning := status(vmv1alpha1.WukongProvisioning, vmv1alpha1.ReasonProvisioning, vmv1alpha1.ReasonImporting)
	starting := status(vmv1alpha1.WukongStarting, vmv1alpha1.ReasonStarting, vmv1alpha1.ReasonDisksReady)
	running := status(vmv1alpha1.WukongRunning, vmv1alpha1.ReasonRunning, vmv1alpha1.ReasonDisksReady)
	edited := starting
	edited.ObservedGeneration = 2
	cases := []struct {
		name     string
		old, now vmv1alpha1.WukongStatus
		want     bool
	}{
		{"no status yet, provisioning", none, provisioning, true},
		{"provisioning to starting", provisioning, starting, true},
		{"starting, unchanged", starting, starting, true},
		{"starting to running ends the start", starting, running, false},
		{"running to starting is a restart", running, starting, false},
		{"a spec edit while starting", provisioning, edited, false},
		{"the first status after a manager restart of an edited Wukong", none, edited, true},
		{"unschedulable", starting, status(vmv1alpha1.WukongStarting, vmv1alpha1.ReasonUnschedulable, vmv1alpha1.ReasonDisksReady), false},
		{"a readiness probe failing", starting, status(vmv1alpha1.WukongStarting, vmv1alpha1.ReasonReadinessProbeFailing, vmv1alpha1.ReasonDisksReady), false},
		{"waiting for a Secret", none, status(vmv1alpha1.WukongPending, vmv1alpha1.ReasonSecretNotFound, vmv1alpha1.ReasonNoDisks), false},
		{"waiting for a clone source", none, status(vmv1alpha1.WukongPending, vmv1alpha1.ReasonCloneSourceNotFound, vmv1alpha1.ReasonCloneSourceNotFound), false},
		{"a clone not authorized yet", provisioning, status(vmv1alpha1.WukongProvisioning, vmv1alpha1.ReasonClonePending, vmv1alpha1.ReasonClonePending), false},
		{"an import failed", provisioning, status(vmv1alpha1.WukongFailed, vmv1alpha1.ReasonImportFailed, vmv1alpha1.ReasonImportFailed), false},
		{"a reconcile error", provisioning, status(vmv1alpha1.WukongProvisioning, ReasonReconcileError, vmv1alpha1.ReasonImporting), false},
	}
	missingNet := starting
	missingNet.Conditions = append([]metav1.Condition(nil), starting.Conditions...)
	missingNet.Conditions[2] = cond(vmv1alpha1.WukongNetworksReady, metav1.ConditionFalse, vmv1alpha1.ReasonAttachmentNotFound)
	cases = append(cases, struct {
		name     string
		old, now vmv1alpha1.WukongStatus
		want     bool
	}{"an attachment missing", provisioning, missingNet, false})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := startProgress(&c.old, &c.now); got != c.want {
				t.Errorf("startProgress = %v, want %v", got, c.want)
			}
			change := classifyStatusChange(&c.old, &c.now)
			if c.want && change.Significant != "" {
				t.Errorf("a healthy start's step is significant (%q), want progress", change.Significant)
			}
		})
	}
}
