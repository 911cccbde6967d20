package sim

import (
	"time"
)

// Annotations that inject failures or request actions. Each is read from the simulated object itself and,
// for the failures, also from the Wukong that owns it (controller ownerReference), so a test can break a
// whole Wukong without knowing its children's names. The object's own annotation wins.
const (
	// AnnotationImportError makes a DataVolume's import fail with the annotation's value as the importer's
	// error message. Removing it lets the import start again and succeed. A DataVolume that already
	// succeeded is not affected, as with CDI.
	AnnotationImportError = "sim.novasphere.dev/import-error"

	// AnnotationImportDuration sets how long a DataVolume's import takes (a Go duration such as "15s"),
	// instead of Options.ImportDuration: one slow import among fast ones. A value that does not parse is
	// ignored.
	AnnotationImportDuration = "sim.novasphere.dev/import-duration"

	// AnnotationUnschedulable keeps a VirtualMachineInstance that has not been scheduled yet in phase
	// Scheduling, as if no node fitted; the value is the scheduler's message. A running instance is not
	// affected: restart it to see the failure.
	AnnotationUnschedulable = "sim.novasphere.dev/unschedulable"

	// AnnotationCrash makes the VirtualMachineInstance fail (phase Failed) with the value as the reason; the
	// VirtualMachine shows CrashLoopBackOff while it stays. Removing it starts a new instance for run
	// strategies Always and RerunOnFailure.
	AnnotationCrash = "sim.novasphere.dev/crash"

	// AnnotationRestart requests a restart of a VirtualMachine: whenever its value differs from the value
	// recorded on the running instance, the instance is stopped and started again from the current template,
	// as `virtctl restart` would do. Any string works; tests use a timestamp.
	AnnotationRestart = "sim.novasphere.dev/restart"

	// AnnotationNotMigratable makes a VirtualMachineInstance report LiveMigratable=False with the value as the
	// message, as KubeVirt does for, among others, a disk on a ReadWriteOnce volume. Memory hotplug needs a
	// migratable instance, so a memory change of such a VM requires a restart. Without it an instance is
	// migratable unless a DataVolume names access modes without ReadWriteMany (readiness.go).
	AnnotationNotMigratable = "sim.novasphere.dev/not-migratable"

	// AnnotationRefuseVM makes the simulated virt-api refuse every create and update of the VirtualMachine, as
	// KubeVirt's VM validator refuses an invalid VM: with reason Invalid (422) and the annotation's value as
	// the message. Set on a Wukong, it refuses the VM the operator writes for it, which has no annotations of
	// its own; removing it lets the next write through.
	AnnotationRefuseVM = "sim.novasphere.dev/refuse-vm"

	// AnnotationStartTemplate is written on each VirtualMachineInstance the simulator creates: the JSON of
	// the VirtualMachine's spec.template it was started from, which KubeVirt keeps in a ControllerRevision
	// named in status.virtualMachineRevisionName. Template changes are compared with it to decide between a
	// live update and RestartRequired.
	AnnotationStartTemplate = "sim.novasphere.dev/start-template"
)

// Values DefaultOptions uses; Options itself takes durations literally.
const (
	// DefaultImportDuration is how long a simulated DataVolume import takes.
	DefaultImportDuration = 2 * time.Second
	// DefaultCloneDuration is how long a simulated DataVolume clone takes once its source is ready.
	DefaultCloneDuration = time.Second
	// DefaultBootDuration is how long a simulated VirtualMachineInstance takes from Pending to Running.
	DefaultBootDuration = time.Second
	// DefaultWorkers is the number of concurrent reconciles per simulated controller, also used when
	// Options.Workers is zero. Imports and boots wait on timers, not on workers, so the workers only bound
	// the apiserver writes in flight.
	DefaultWorkers = 32
)

// DefaultNodes are the fake node names instances are placed on.
var DefaultNodes = []string{"sim-node-0", "sim-node-1", "sim-node-2"}

// Options tunes the simulator. Durations are taken literally, so the zero value is the fastest simulator
// (what benchmarks want); DefaultOptions gives the paced one the demo and the command use.
type Options struct {
	// ImportDuration is how long a DataVolume import takes from Pending to Succeeded; zero means straight to
	// Succeeded.
	ImportDuration time.Duration
	// CloneDuration is how long a DataVolume clone takes from its source being ready (it waits in
	// CloneScheduled until then) to Succeeded; zero means straight to Succeeded.
	CloneDuration time.Duration
	// BootDuration is how long a VirtualMachineInstance takes from Pending to Running; zero means straight to
	// Running.
	BootDuration time.Duration
	// Nodes are the node names instances are spread over; empty means DefaultNodes.
	Nodes []string
	// Workers is the number of concurrent reconciles per controller; zero means DefaultWorkers, and fewer
	// than MinWorkers is raised to MinWorkers so thousands of VMs keep moving.
	Workers int
}

// MinWorkers is the least number of concurrent reconciles per controller.
const MinWorkers = 16

// DefaultOptions returns the options of a paced simulator: imports take DefaultImportDuration and boots
// DefaultBootDuration, on DefaultNodes.
func DefaultOptions() Options {
	return Options{
		ImportDuration: DefaultImportDuration,
		CloneDuration:  DefaultCloneDuration,
		BootDuration:   DefaultBootDuration,
		Nodes:          append([]string(nil), DefaultNodes...),
		Workers:        DefaultWorkers,
	}
}

// withDefaults fills what has a default and clamps what would make the simulator misbehave.
func (o Options) withDefaults() Options {
	o.ImportDuration = max(o.ImportDuration, 0)
	o.CloneDuration = max(o.CloneDuration, 0)
	o.BootDuration = max(o.BootDuration, 0)
	if len(o.Nodes) == 0 {
		o.Nodes = DefaultNodes
	}
	switch {
	case o.Workers == 0:
		o.Workers = DefaultWorkers
	case o.Workers < MinWorkers:
		o.Workers = MinWorkers
	}
	return o
}
