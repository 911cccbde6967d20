package kubevirt

import (
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubevirtv1 "kubevirt.io/api/core/v1"

	"github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/naming"
)

func build(t *testing.T, w *v1alpha1.Wukong) *kubevirtv1.VirtualMachine {
	t.Helper()
	vm, err := VirtualMachine(w)
	if err != nil {
		t.Fatalf("VirtualMachine: %v", err)
	}
	return vm
}

func deepEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s\n got: %+v\nwant: %+v", what, got, want)
	}
}

func TestVirtualMachineMetadata(t *testing.T) {
	w := wukong()
	vm := build(t, w)
	yes := true
	labels := map[string]string{"app": "web", "vm.novasphere.dev/set": "web", "vm.novasphere.dev/wukong": "web-0"}
	deepEqual(t, "TypeMeta", vm.TypeMeta, metav1.TypeMeta{APIVersion: "kubevirt.io/v1", Kind: "VirtualMachine"})
	deepEqual(t, "ObjectMeta", vm.ObjectMeta, metav1.ObjectMeta{
		Name: "web-0", Namespace: "prod", Labels: labels,
		OwnerReferences: []metav1.OwnerReference{{
			APIVersion: "vm.novasphere.dev/v1alpha1", Kind: "Wukong", Name: "web-0", UID: "uid-1",
			Controller: &yes, BlockOwnerDeletion: &yes,
		}},
	})
	deepEqual(t, "template metadata", vm.Spec.Template.ObjectMeta, metav1.ObjectMeta{Labels: labels})
	deepEqual(t, "runStrategy", *vm.Spec.RunStrategy, kubevirtv1.RunStrategyAlways)

	// The builder's maps are its own: changing them must not reach the Wukong or each other.
	vm.Labels["x"] = "y"
	if _, ok := w.Labels["x"]; ok {
		t.Error("VM labels alias the Wukong's")
	}
	if _, ok := vm.Spec.Template.ObjectMeta.Labels["x"]; ok {
		t.Error("VM and template share one labels map")
	}
}

func TestVirtualMachineLabelWukongWins(t *testing.T) {
	w := wukong()
	w.Labels[v1alpha1.LabelWukong] = "spoofed"
	vm := build(t, w)
	if got := vm.Labels[v1alpha1.LabelWukong]; got != "web-0" {
		t.Errorf("LabelWukong = %q, want web-0", got)
	}
}

func TestVirtualMachineDomainAndStorage(t *testing.T) {
	vm := build(t, wukong())
	spec := vm.Spec.Template.Spec
	deepEqual(t, "cpu", spec.Domain.CPU, &kubevirtv1.CPU{Cores: 4, Sockets: 1, Threads: 1})
	memory := resource.MustParse("8Gi")
	deepEqual(t, "memory", spec.Domain.Memory, &kubevirtv1.Memory{Guest: &memory})
	deepEqual(t, "hostname", spec.Hostname, "web-0")
	deepEqual(t, "subdomain", spec.Subdomain, "")

	one := uint(1)
	virtio := kubevirtv1.DiskDevice{Disk: &kubevirtv1.DiskTarget{Bus: kubevirtv1.DiskBusVirtio}}
	deepEqual(t, "disks", spec.Domain.Devices.Disks, []kubevirtv1.Disk{
		{Name: "data", DiskDevice: virtio},
		{Name: "root", DiskDevice: virtio, BootOrder: &one},
		{Name: "cloudinitdisk", DiskDevice: virtio},
	})
	deepEqual(t, "volumes", spec.Volumes, []kubevirtv1.Volume{
		{Name: "data", VolumeSource: kubevirtv1.VolumeSource{DataVolume: &kubevirtv1.DataVolumeSource{Name: "web-0-data"}}},
		{Name: "root", VolumeSource: kubevirtv1.VolumeSource{DataVolume: &kubevirtv1.DataVolumeSource{Name: "web-0-root"}}},
		{Name: "cloudinitdisk", VolumeSource: kubevirtv1.VolumeSource{CloudInitNoCloud: &kubevirtv1.CloudInitNoCloudSource{
			UserDataSecretRef:    &corev1.LocalObjectReference{Name: "web-0-cloudinit"},
			NetworkDataSecretRef: &corev1.LocalObjectReference{Name: "web-0-cloudinit"},
		}}},
	})
}

func TestVirtualMachineBootOrder(t *testing.T) {
	tests := []struct {
		name     string
		disks    []v1alpha1.Disk
		wantBoot string // "" means no disk has a boot order
	}{
		{"boot flag wins", []v1alpha1.Disk{{Name: "a"}, {Name: "b", Boot: true}}, "b"},
		{"first disk by default", []v1alpha1.Disk{{Name: "a"}, {Name: "b"}}, "a"},
		{"no disks", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := wukong()
			w.Spec.Disks = tt.disks
			got := ""
			for _, d := range build(t, w).Spec.Template.Spec.Domain.Devices.Disks {
				if d.BootOrder != nil {
					if *d.BootOrder != 1 || got != "" {
						t.Fatalf("unexpected boot order %d on %s", *d.BootOrder, d.Name)
					}
					got = d.Name
				}
			}
			if got != tt.wantBoot {
				t.Errorf("boot disk = %q, want %q", got, tt.wantBoot)
			}
		})
	}
}

func TestVirtualMachineNetworks(t *testing.T) {
	vm := build(t, wukong())
	spec := vm.Spec.Template.Spec
	mac := func(n string) string { return naming.MAC("prod", "web-0", n) }
	bridge := kubevirtv1.InterfaceBindingMethod{Bridge: &kubevirtv1.InterfaceBridge{}}
	deepEqual(t, "interfaces", spec.Domain.Devices.Interfaces, []kubevirtv1.Interface{
		{Name: "default", MacAddress: mac("default"),
			InterfaceBindingMethod: kubevirtv1.InterfaceBindingMethod{Masquerade: &kubevirtv1.InterfaceMasquerade{}}},
		{Name: "lan", MacAddress: mac("lan"), InterfaceBindingMethod: bridge},
		{Name: "dmz", MacAddress: mac("dmz"), InterfaceBindingMethod: bridge},
		{Name: "fast", MacAddress: mac("fast"),
			InterfaceBindingMethod: kubevirtv1.InterfaceBindingMethod{SRIOV: &kubevirtv1.InterfaceSRIOV{}}},
		{Name: "ext", MacAddress: mac("ext"), InterfaceBindingMethod: bridge},
		{Name: "local", MacAddress: mac("local"), InterfaceBindingMethod: bridge},
	})
	multus := func(name, nad string) kubevirtv1.Network {
		return kubevirtv1.Network{Name: name, NetworkSource: kubevirtv1.NetworkSource{
			Multus: &kubevirtv1.MultusNetwork{NetworkName: nad}}}
	}
	deepEqual(t, "networks", spec.Networks, []kubevirtv1.Network{
		{Name: "default", NetworkSource: kubevirtv1.NetworkSource{Pod: &kubevirtv1.PodNetwork{}}},
		multus("lan", "prod/web-0-lan"),
		multus("dmz", "prod/web-0-dmz"),
		multus("fast", "prod/web-0-fast"),
		multus("ext", "other-ns/shared"),
		multus("local", "prod/shared"),
	})
}

func TestVirtualMachineDefaults(t *testing.T) {
	w := wukong()
	w.Labels = nil
	w.Spec.Hostname = ""
	w.Spec.RunStrategy = v1alpha1.RunStrategyHalted
	w.Spec.Placement = nil
	vm := build(t, w)
	deepEqual(t, "labels", vm.Labels, map[string]string{"vm.novasphere.dev/wukong": "web-0"})
	deepEqual(t, "runStrategy", *vm.Spec.RunStrategy, kubevirtv1.RunStrategyHalted)
	deepEqual(t, "hostname", vm.Spec.Template.Spec.Hostname, "web-0")
	if s := vm.Spec.Template.Spec; s.NodeSelector != nil || s.Tolerations != nil || s.Affinity != nil {
		t.Errorf("placement set without spec.placement: %+v %+v %+v", s.NodeSelector, s.Tolerations, s.Affinity)
	}
}

func TestVirtualMachineDeterministic(t *testing.T) {
	w := wukong()
	if a, b := build(t, w), build(t, w); !reflect.DeepEqual(a, b) {
		t.Error("two builds of the same Wukong differ")
	}
}

func TestVirtualMachineErrors(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(w *v1alpha1.Wukong)
		wantErr string
	}{
		{"disk named like the cloud-init disk", func(w *v1alpha1.Wukong) { w.Spec.Disks[1].Name = "cloudinitdisk" },
			`spec.disks[1].name: "cloudinitdisk" is reserved`},
		{"network named like the pod network", func(w *v1alpha1.Wukong) { w.Spec.Networks[2].Name = "default" },
			`spec.networks[2].name: "default" is reserved`},
		{"unknown network type", func(w *v1alpha1.Wukong) { w.Spec.Networks[0].Type = "vxlan" },
			`spec.networks[0].type: unsupported network type "vxlan"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := wukong()
			tt.mutate(w)
			_, err := VirtualMachine(w)
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want prefix %q", err, tt.wantErr)
			}
		})
	}
}
