package sim

import (
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // RFC 4122 name-based UUIDs (version 5) are defined on SHA-1.
	"fmt"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/types"
	kubevirtv1 "kubevirt.io/api/core/v1"
)

// Defaults KubeVirt v1.7 applies on an amd64 cluster whose KubeVirt CR sets none of them
// (pkg/virt-config/virt-config.go: DefaultAMD64MachineType; the default architecture is the one virt-operator
// reads from the nodes).
const (
	defaultArchitecture = "amd64"
	defaultMachineType  = "q35"
)

// legacyUUIDNamespace is the UUID namespace of KubeVirt's legacy firmware UUIDs (magicUUID in
// pkg/virt-controller/watch/vm/firmware.go, v1.7.0).
var legacyUUIDNamespace = [16]byte{
	0x6a, 0x1a, 0x24, 0xa1, 0x40, 0x61, 0x46, 0x07, 0x8b, 0xf4, 0xa3, 0x96, 0x3d, 0x0c, 0x58, 0x95,
}

// LegacyFirmwareUUID is the firmware UUID KubeVirt v1.7 gives a VirtualMachine named name whose template has
// none: the name-based (SHA-1, version 5) UUID of name in KubeVirt's namespace, as CalculateLegacyUUID in
// pkg/virt-controller/watch/vm/firmware.go computes it. It depends on the name only, so every VM of that
// name in any namespace gets the same one.
func LegacyFirmwareUUID(name string) types.UID {
	h := sha1.New() //nolint:gosec // see the import
	h.Write(legacyUUIDNamespace[:])
	h.Write([]byte(name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50 // version 5
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	return types.UID(formatUUID(u))
}

// randomUUID is a random (version 4) UUID, what virt-api's uuid.New() gives.
func randomUUID() string {
	var u [16]byte
	if _, err := rand.Read(u[:]); err != nil {
		// crypto/rand does not fail on supported platforms.
		panic(err)
	}
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	return formatUUID(u)
}

func formatUUID(u [16]byte) string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// FirmwareUUID is the firmware UUID an instance booted with, which KubeVirt passes to the guest as its
// SMBIOS system UUID and cloud-init uses as the NoCloud instance-id: when it changes, cloud-init runs its
// first-boot modules again. It is "" when the instance has none (never for one the simulator created).
func FirmwareUUID(vmi *kubevirtv1.VirtualMachineInstance) types.UID {
	if vmi == nil || vmi.Spec.Domain.Firmware == nil {
		return ""
	}
	return vmi.Spec.Domain.Firmware.UUID
}

// patchOp is one JSON patch (RFC 6902) operation.
type patchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value,omitempty"`
}

// Template paths the VM mutator writes.
const (
	pathDomain       = "/spec/template/spec/domain"
	pathArchitecture = "/spec/template/spec/architecture"
)

// mutateVM is the JSON patch virt-api's VirtualMachine mutating webhook applies to vm, as VMsMutator.Mutate in
// pkg/virt-api/webhooks/mutating-webhook/mutators/vm-mutator.go (v1.7.0) does:
//
//  1. a VM being deleted is left alone;
//  2. on CREATE only (setFirmwareDefaultsIfEmpty), an empty firmware UUID becomes a random UUID and an empty
//     serial a random UUID string; on UPDATE firmware is never touched, so an update that drops it keeps it
//     dropped (and the simulated virt-controller gives the VM its legacy UUID);
//  3. on CREATE and UPDATE (SetVirtualMachineDefaults), an empty architecture becomes the cluster default and
//     an empty machine type the default for it.
//
// Left out: instance types and preferences (the instancetype mutator) and the architecture a DataSource
// label would give. KubeVirt replaces /spec and /metadata wholesale; the patch here adds only what changes,
// which has the same result. newUUID makes the random UUIDs (randomUUID outside tests).
func mutateVM(op admissionv1.Operation, vm *kubevirtv1.VirtualMachine, newUUID func() string) []patchOp {
	if vm.DeletionTimestamp != nil || vm.Spec.Template == nil {
		// A VM without a template fails validation; there is nothing to default.
		return nil
	}
	spec := &vm.Spec.Template.Spec
	var ops []patchOp
	if op == admissionv1.Create {
		fw := spec.Domain.Firmware
		switch {
		case fw == nil:
			ops = append(ops, patchOp{Op: "add", Path: pathDomain + "/firmware",
				Value: map[string]string{"uuid": newUUID(), "serial": newUUID()}})
		default:
			if fw.UUID == "" {
				ops = append(ops, patchOp{Op: "add", Path: pathDomain + "/firmware/uuid", Value: newUUID()})
			}
			if fw.Serial == "" {
				ops = append(ops, patchOp{Op: "add", Path: pathDomain + "/firmware/serial", Value: newUUID()})
			}
		}
	}
	arch := spec.Architecture
	if arch == "" {
		arch = defaultArchitecture
		ops = append(ops, patchOp{Op: "add", Path: pathArchitecture, Value: arch})
	}
	switch m := spec.Domain.Machine; {
	case m == nil:
		ops = append(ops, patchOp{Op: "add", Path: pathDomain + "/machine", Value: map[string]string{"type": machineTypeFor(arch)}})
	case m.Type == "":
		ops = append(ops, patchOp{Op: "add", Path: pathDomain + "/machine/type", Value: machineTypeFor(arch)})
	}
	return ops
}

// machineTypeFor is ClusterConfig.GetMachineType with KubeVirt's default configuration.
func machineTypeFor(arch string) string {
	switch arch {
	case "arm64":
		return "virt"
	case "s390x":
		return "s390-ccw-virtio"
	default:
		return defaultMachineType
	}
}

// legacyFirmware is the firmware virt-controller's FirmwareController (pkg/virt-controller/watch/vm/firmware.go,
// v1.7.0) patches into a VM whose template has no firmware UUID: the template's firmware with the legacy
// UUID. nil when the VM has a UUID (or no template) and nothing is patched. The serial is not restored.
func legacyFirmware(vm *kubevirtv1.VirtualMachine) *kubevirtv1.Firmware {
	if vm.Spec.Template == nil {
		return nil
	}
	fw := vm.Spec.Template.Spec.Domain.Firmware
	if fw != nil && fw.UUID != "" {
		return nil
	}
	out := &kubevirtv1.Firmware{}
	if fw != nil {
		out = fw.DeepCopy()
	}
	out.UUID = LegacyFirmwareUUID(vm.Name)
	return out
}
