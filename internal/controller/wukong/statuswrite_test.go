package wukong

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
)

func TestDecideStatusWrite(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	progress := statusChange{progress: true}
	cases := []struct {
		name      string
		change    statusChange
		last, now time.Time
		write     bool
		retry     time.Duration
	}{
		{"nothing changed", statusChange{}, t0, t0.Add(time.Minute), false, 0},
		{"nothing changed, never written", statusChange{}, time.Time{}, t0, false, 0},
		{"significant right after a write", statusChange{significant: "phase"}, t0, t0.Add(time.Millisecond), true, 0},
		{"progress, never written by this process", progress, time.Time{}, t0, true, 0},
		{"progress 1 s after a write: wait 9 s", progress, t0, t0.Add(time.Second), false, 9 * time.Second},
		{"progress just before the interval", progress, t0, t0.Add(ProgressInterval - time.Millisecond), false, time.Millisecond},
		{"progress at the interval", progress, t0, t0.Add(ProgressInterval), true, 0},
		{"progress long after", progress, t0, t0.Add(time.Hour), true, 0},
		{"progress with the clock gone backwards", progress, t0, t0.Add(-time.Minute), true, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			write, retry := decideStatusWrite(c.change, c.last, c.now)
			if write != c.write || retry != c.retry {
				t.Errorf("decideStatusWrite = %v, %s; want %v, %s", write, retry, c.write, c.retry)
			}
		})
	}
}

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
		{name: "volume phase", progress: true, mutate: func(s *vmv1alpha1.WukongStatus) { s.Volumes[0].Phase = "ImportScheduled" }},
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
				phase = vmv1alpha1.WukongProvisioning
			}
			old := base(phase)
			old.NodeName = "n1"
			now := *old.DeepCopy()
			c.mutate(&now)
			got := classifyStatusChange(&old, &now)
			if got.significant != c.significant || got.progress != c.progress {
				t.Errorf("classifyStatusChange = %+v, want significant %q, progress %v", got, c.significant, c.progress)
			}
		})
	}
}
