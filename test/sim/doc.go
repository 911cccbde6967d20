// Package sim is a SIMULATOR of the KubeVirt, CDI and Multus controllers, for tests, the demo and the
// benchmark. It is never part of the Wukong manager and never runs on a real cluster next to KubeVirt.
//
// Wukong's operator writes KubeVirt VirtualMachines, CDI DataVolumes, Multus NetworkAttachmentDefinitions and
// a cloud-init Secret. On a machine without kubelet or KVM nothing would ever act on those objects, so the
// operator's readiness, rollout and failure handling could not be exercised. This package plays the parts
// of CDI (DataVolume imports, clones that wait in CloneScheduled for their source — clone.go — and its DataVolume webhook's clone authorization — cdi_webhook.go), virt-api (the VirtualMachine mutating webhook), virt-controller
// (VirtualMachine -> VirtualMachineInstance, live updates, RestartRequired, firmware UUIDs) and virt-handler
// (VirtualMachineInstance phases, node, interfaces, addresses, hotplugged CPU and memory) against a real
// kube-apiserver, writing the same fields the real components write. Each behaviour modelled on KubeVirt
// names the v1.7.0 function it follows.
//
// The webhooks are real admission webhooks: an HTTPS server on a free loopback port with a CA of its own,
// registered by Setup (before it returns) as a MutatingWebhookConfiguration and a
// ValidatingWebhookConfiguration for CREATE and UPDATE of VirtualMachines with failurePolicy Fail, and
// unregistered when the simulator stops. The validating one refuses what KubeVirt's VM validator refuses of
// what the operator writes (validate.go names each rule's KubeVirt function), with KubeVirt's answer
// (Invalid, 422), and refuses any VM on request (AnnotationRefuseVM). On create the mutating one gives a
// VM a random firmware UUID and serial; on every write it defaults the architecture and machine type. An
// update that drops the firmware UUID gets the legacy UUID from the simulated virt-controller, as with
// KubeVirt, and a RestartRequired condition: the next boot has another UUID (FirmwareUUID reads the one an
// instance booted with), which cloud-init takes for a new instance.
//
// Template changes follow KubeVirt v1.7's default LiveUpdate rollout strategy. Each instance records the VM
// template it was started from (AnnotationStartTemplate); CPU sockets up to maxSockets, guest memory up to
// maxGuest, node selector, affinity, tolerations and added bridge interfaces are applied to the running
// instance in place, and any other spec change sets RestartRequired, which stays until the instance is
// stopped or restarted. Template labels and annotations never require a restart.
//
// All state lives in the API objects except the time a DataVolume or VirtualMachineInstance entered its
// current step, which is kept in memory only to pace the fake progress; a restarted simulator simply starts
// the current step's clock again.
//
// An instance with a readinessProbe runs but is Ready only once the probe's initialDelaySeconds have passed
// since it started, and never while AnnotationProbeFail says the probe fails, as kubelet decides the launcher
// pod's Ready condition that KubeVirt copies to the instance (readiness.go). An instance's LiveMigratable
// condition is False when a DataVolume it mounts is not ReadWriteMany, as virt-handler reports it.
//
// Failures are injected with annotations (see AnnotationImportError, AnnotationUnschedulable,
// AnnotationCrash, AnnotationNotMigratable, AnnotationProbeFail, AnnotationRefuseVM) on the object or on its owning Wukong, and restarts are requested
// with AnnotationRestart or with the state change requests `virtctl restart` makes virt-api write, so tests
// drive the simulator through the apiserver only. Multus needs no simulation: a NetworkAttachmentDefinition
// has no status and nothing here reads it.
package sim
