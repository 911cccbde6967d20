package sim

import (
	"context"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	kubevirtv1 "kubevirt.io/api/core/v1"
)

// TestValidateVM: the VM the operator writes is admitted; each rule of KubeVirt's VM validator the simulator
// models refuses what KubeVirt would, with KubeVirt's message.
func TestValidateVM(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(vm *kubevirtv1.VirtualMachine)
		want   string // a part of the first cause's message; "" means admitted
	}{
		{"as the operator writes it", func(*kubevirtv1.VirtualMachine) {}, ""},
		{"hostname of 63", func(vm *kubevirtv1.VirtualMachine) { vm.Spec.Template.Spec.Hostname = strings.Repeat("a", 63) }, ""},
		{"no template", func(vm *kubevirtv1.VirtualMachine) { vm.Spec.Template = nil }, "missing virtual machine template."},
		{"reserved label", func(vm *kubevirtv1.VirtualMachine) {
			vm.Spec.Template.ObjectMeta.Labels[kubevirtv1.NodeNameLabel] = "node-1"
		}, "creation of the following reserved kubevirt.io/ labels on a VMI object is prohibited"},
		{"ignition without its feature gate", func(vm *kubevirtv1.VirtualMachine) {
			vm.Spec.Template.ObjectMeta.Annotations = map[string]string{kubevirtv1.IgnitionAnnotation: "{}"}
		}, "ExperimentalIgnitionSupport feature gate is not enabled"},
		{"hostname of 64", func(vm *kubevirtv1.VirtualMachine) { vm.Spec.Template.Spec.Hostname = strings.Repeat("a", 64) },
			"spec.template.spec.hostname does not conform to the kubernetes DNS_LABEL rules"},
		{"hostname with a dot", func(vm *kubevirtv1.VirtualMachine) { vm.Spec.Template.Spec.Hostname = "web.example" },
			"DNS_LABEL rules"},
		{"subdomain", func(vm *kubevirtv1.VirtualMachine) { vm.Spec.Template.Spec.Subdomain = "Bad_Sub" }, "DNS_SUBDOMAIN rules"},
		{"interface without network", func(vm *kubevirtv1.VirtualMachine) {
			vm.Spec.Template.Spec.Networks = vm.Spec.Template.Spec.Networks[:1]
		}, "spec.template.spec.domain.devices.interfaces[1].name 'net1' not found."},
		{"network without interface", func(vm *kubevirtv1.VirtualMachine) {
			vm.Spec.Template.Spec.Domain.Devices.Interfaces = vm.Spec.Template.Spec.Domain.Devices.Interfaces[:1]
		}, "spec.template.spec.networks[1].name 'net1' not found."},
		{"multus without a network name", func(vm *kubevirtv1.VirtualMachine) {
			vm.Spec.Template.Spec.Networks[1].Multus.NetworkName = ""
		}, "CNI delegating plugin must have a networkName"},
		{"masquerade on multus", func(vm *kubevirtv1.VirtualMachine) {
			vm.Spec.Template.Spec.Domain.Devices.Interfaces[1].InterfaceBindingMethod = kubevirtv1.InterfaceBindingMethod{Masquerade: &kubevirtv1.InterfaceMasquerade{}}
		}, "Masquerade interface only implemented with pod network"},
		{"malformed MAC", func(vm *kubevirtv1.VirtualMachine) {
			vm.Spec.Template.Spec.Domain.Devices.Interfaces[1].MacAddress = "02:00:zz"
		}, "malformed MAC address"},
		{"interface name", func(vm *kubevirtv1.VirtualMachine) {
			vm.Spec.Template.Spec.Domain.Devices.Interfaces[1].Name = "net.1"
			vm.Spec.Template.Spec.Networks[1].Name = "net.1"
		}, "Network interface name can only contain"},
		{"duplicate network", func(vm *kubevirtv1.VirtualMachine) {
			s := &vm.Spec.Template.Spec
			s.Networks = append(s.Networks, s.Networks[1])
		}, `Network with name "net1" already exists`},
		{"disk without volume", func(vm *kubevirtv1.VirtualMachine) {
			s := &vm.Spec.Template.Spec
			s.Volumes = s.Volumes[1:]
		}, "spec.template.spec.domain.devices.disks[0].Name 'web-root' not found."},
		{"duplicate boot order", func(vm *kubevirtv1.VirtualMachine) {
			one := uint(1)
			for i := range vm.Spec.Template.Spec.Domain.Devices.Disks {
				vm.Spec.Template.Spec.Domain.Devices.Disks[i].BootOrder = &one
			}
		}, "already set for a different device"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vm := newVM("ns", "web", kubevirtv1.RunStrategyAlways, []string{"web-root"}, []vmNetwork{{name: "net1"}})
			tc.change(vm)
			causes := validateVM(vm)
			switch {
			case tc.want == "" && len(causes) > 0:
				t.Fatalf("refused: %+v", causes)
			case tc.want != "" && (len(causes) == 0 || !strings.Contains(causes[0].Message, tc.want)):
				t.Fatalf("causes %+v, want first containing %q", causes, tc.want)
			}
			if tc.want != "" {
				st := refusal(causes)
				if st.Code != 422 || st.Reason != "Invalid" || !strings.Contains(st.Message, tc.want) {
					t.Errorf("answer %+v", st)
				}
			}
		})
	}
}

// TestVMRefused: the registered validator refuses an invalid VM through the real apiserver, as KubeVirt's
// does (Invalid, the webhook named in the message), and a VM whose Wukong carries AnnotationRefuseVM.
func TestVMRefused(t *testing.T) {
	ns := startSim(t, fastSim)
	vm := newVM(ns, "long", kubevirtv1.RunStrategyHalted, nil, nil)
	vm.Spec.Template.Spec.Hostname = strings.Repeat("h", 64)
	err := env.Client.Create(context.Background(), vm)
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), `admission webhook "virtualmachine-validator.kubevirt.io" denied the request`) ||
		!strings.Contains(err.Error(), "DNS_LABEL") {
		t.Fatalf("create with a 64-character hostname: %v", err)
	}

	w := newWukong(ns, "refused")
	w.Annotations = map[string]string{AnnotationRefuseVM: "refused for the test"}
	create(t, w)
	vm = newVM(ns, "refused", kubevirtv1.RunStrategyHalted, nil, nil)
	ownedBy(vm, w)
	if err := env.Client.Create(context.Background(), vm); !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "refused for the test") {
		t.Fatalf("create of a VM whose Wukong asks for a refusal: %v", err)
	}
	annotate(t, w, AnnotationRefuseVM, nil)
	create(t, vm)
}
