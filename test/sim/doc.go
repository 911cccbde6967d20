// Package sim is a SIMULATOR of the KubeVirt, CDI and Multus controllers, for tests, the demo and the
// benchmark. It is never part of the Wukong manager and never runs on a real cluster next to KubeVirt.
//
// Wukong's operator writes KubeVirt VirtualMachines, CDI DataVolumes, Multus NetworkAttachmentDefinitions and
// a cloud-init Secret. On a machine without kubelet or KVM nothing would ever act on those objects, so the
// operator's readiness, rollout and failure handling could not be exercised. This package plays the parts
// of CDI (DataVolume imports), virt-controller (VirtualMachine -> VirtualMachineInstance) and virt-handler
// (VirtualMachineInstance phases, node, interfaces and addresses) against a real kube-apiserver, writing the
// same status fields the real controllers write.
//
// All state lives in the API objects except the time a DataVolume or VirtualMachineInstance entered its
// current step, which is kept in memory only to pace the fake progress; a restarted simulator simply starts
// the current step's clock again.
//
// Failures are injected with annotations (see AnnotationImportError, AnnotationUnschedulable,
// AnnotationCrash) on the object or on its owning Wukong, and restarts are requested with AnnotationRestart,
// so tests drive the simulator through the apiserver only. Multus needs no simulation: a
// NetworkAttachmentDefinition has no status and nothing here reads it.
package sim
