package v1alpha1_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestHardwareValidation: instancetype and preference, disk bus, firmware, dedicated CPUs, GPUs and host
// devices, as the apiserver validates them for a Wukong and a set template, each rejection naming its field.
func TestHardwareValidation(t *testing.T) {
	tmpl := func(spec string) string {
		return setHead + indent("template:\n  spec:\n"+indent(indent(spec)))
	}
	wk := func(spec string) string { return wukongHead + indent(spec) }
	cases := []struct {
		name string
		doc  string
		want []string
	}{
		{"instance type instead of cpu and memory", wk(`
instancetype: {name: u1.medium}
preference: {name: ubuntu, kind: VirtualMachinePreference}
`), nil},
		{"namespaced instance type", wk(`
instancetype: {name: big, kind: VirtualMachineInstancetype}
`), nil},
		{"instance type in a template with variables", tmpl(`
instancetype: {name: "u1.${SIZE}"}
preference: {name: "${OS}"}
`), nil},
		{"instance type variables in a Wukong", wk(`
instancetype: {name: "u1.${SIZE}"}
`), []string{"spec.instancetype", "only allowed in a WukongSet template"}},
		{"instance type and cpu", wk(`
cpu: 2
instancetype: {name: u1.medium}
`), []string{"spec.instancetype", "cpu and memory must be empty when instancetype is set"}},
		{"instance type and memory in a template", tmpl(`
memory: 4Gi
instancetype: {name: u1.medium}
`), []string{"spec.template.spec.instancetype", "must be empty when instancetype is set"}},
		{"neither cpu nor instance type", wk(`
memory: 4Gi
`), []string{"spec.cpu", "cpu and memory are required unless instancetype is set"}},
		{"no memory", tmpl(`
cpu: 2
`), []string{"spec.template.spec.cpu", "required unless instancetype is set"}},
		{"instance type kind unknown", wk(`
instancetype: {name: u1.medium, kind: VirtualMachinePreference}
`), []string{"spec.instancetype.kind", "Unsupported value"}},
		{"instance type name", wk(`
instancetype: {name: U1_Medium}
`), []string{"spec.instancetype.name", "DNS-1123 subdomain"}},
		{"preference kind unknown", wk(minimalSpec + `
preference: {name: fedora, kind: VirtualMachineClusterInstancetype}
`), []string{"spec.preference.kind", "Unsupported value"}},

		{"disk buses", wk(minimalSpec + `
disks:
- {name: a, size: 1Gi, bus: virtio}
- {name: b, size: 1Gi, bus: sata}
- {name: c, size: 1Gi, bus: scsi}
- {name: d, size: 1Gi, bus: usb}
`), nil},
		{"disk bus ide", wk(minimalSpec + `
disks:
- {name: a, size: 1Gi, bus: ide}
`), []string{"spec.disks[0].bus", "Unsupported value"}},

		{"EFI secure boot", wk(minimalSpec + `
firmware: {bootloader: EFI, secureBoot: true}
`), nil},
		{"BIOS", wk(minimalSpec + `
firmware: {bootloader: BIOS}
`), nil},
		{"secure boot on BIOS", wk(minimalSpec + `
firmware: {bootloader: BIOS, secureBoot: true}
`), []string{"spec.firmware.secureBoot", "secureBoot needs bootloader EFI"}},
		{"firmware without bootloader", wk(minimalSpec + `
firmware: {secureBoot: false}
`), []string{"spec.firmware.bootloader", "Required value"}},

		{"dedicated CPUs with an instance type", wk(`
instancetype: {name: cx1.large}
dedicatedCPUs: true
`), nil},
		{"GPUs and host devices", wk(minimalSpec + `
gpus:
- {name: gpu1, deviceName: nvidia.com/GA102GL_A10}
hostDevices:
- {name: nvme, deviceName: devices.example.com/nvme}
`), nil},
		{"device name in the kubernetes.io domain", wk(minimalSpec + `
gpus:
- {name: gpu1, deviceName: kubernetes.io/gpu}
`), []string{"spec.gpus[0].deviceName", "extended resource name"}},
		{"device name without domain", wk(minimalSpec + `
hostDevices:
- {name: nvme, deviceName: nvme}
`), []string{"spec.hostDevices[0].deviceName", "extended resource name"}},
		{"duplicate GPU name", wk(minimalSpec + `
gpus:
- {name: gpu1, deviceName: nvidia.com/A10}
- {name: gpu1, deviceName: nvidia.com/A10}
`), []string{"spec.gpus[1]", "Duplicate value"}},
		{"device name variable in a template", tmpl(minimalSpec + `
gpus:
- {name: gpu1, deviceName: "nvidia.com/${MODEL}"}
`), nil},
		{"device name variable in a Wukong", wk(minimalSpec + `
gpus:
- {name: gpu1, deviceName: "nvidia.com/${MODEL}"}
`), []string{"spec.gpus", "only allowed in a WukongSet template"}},
	}
	ctx := t.Context()
	ns, err := env.Namespace(ctx, "hardware-validation")
	if err != nil {
		t.Fatal(err)
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u := decode(t, tc.doc)
			u.SetName(fmt.Sprintf("%s-%d", u.GetName(), i))
			err := create(ctx, ns, u)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("rejected, want accepted: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted, want rejection mentioning %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("rejection %q does not mention %q", err.Error(), w)
				}
			}
		})
	}
}
