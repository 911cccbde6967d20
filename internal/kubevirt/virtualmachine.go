// Package kubevirt builds the KubeVirt VirtualMachine of a Wukong. The function is pure and deterministic, so
// the controller can compare the desired VM with the existing one and skip equal writes; deciding whether a
// difference needs a restart is the controller's business, not this package's.
package kubevirt

import (
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubevirtv1 "kubevirt.io/api/core/v1"

	"github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/cloudinit"
	"github.com/novasphere/wukong/internal/multus"
	"github.com/novasphere/wukong/internal/naming"
	"github.com/novasphere/wukong/internal/owner"
)

// CloudInitDiskName is the name of the disk and volume that carry the cloud-init NoCloud data.
const CloudInitDiskName = "cloudinitdisk"

// VirtualMachine is w's VirtualMachine: w's CPU and memory or instance type, preference, firmware,
// passthrough devices and run strategy, one disk per DataVolume (virtio unless the disk names a bus) plus
// the cloud-init disk, the pod network first and then every spec network, and w's placement. It fails
// when a disk or network takes a name the builder reserves, or a network has an unknown type.
func VirtualMachine(w *v1alpha1.Wukong) (*kubevirtv1.VirtualMachine, error) {
	disks, volumes, err := storage(w)
	if err != nil {
		return nil, err
	}
	interfaces, networks, err := networking(w)
	if err != nil {
		return nil, err
	}

	runStrategy := kubevirtv1.RunStrategyAlways
	if w.Spec.RunStrategy != "" {
		runStrategy = kubevirtv1.VirtualMachineRunStrategy(w.Spec.RunStrategy)
	}
	if _, held := w.Annotations[v1alpha1.AnnotationStopForUpdate]; held {
		// Its set stops the member before updating it (Recreate); the disks stay.
		runStrategy = kubevirtv1.RunStrategyHalted
	}
	short, _ := cloudinit.Hostname(w)

	spec := kubevirtv1.VirtualMachineInstanceSpec{
		Domain: kubevirtv1.DomainSpec{
			Devices: kubevirtv1.Devices{
				Disks:      disks,
				Interfaces: interfaces,
			},
		},
		Networks: networks,
		Volumes:  volumes,
		// Only the first label: KubeVirt puts the hostname into the pod, where a dot is not allowed. The
		// FQDN reaches the guest through cloud-init.
		Hostname:         short,
		ReadinessProbe:   readinessProbe(w.Spec.ReadinessProbe),
		EvictionStrategy: evictionStrategy(w.Spec.EvictionStrategy),
	}
	placement(w, &spec)
	vmSpec := kubevirtv1.VirtualMachineSpec{RunStrategy: &runStrategy}
	hardware(w, &vmSpec, &spec)

	vmSpec.Template = &kubevirtv1.VirtualMachineInstanceTemplateSpec{
		// The VM's pods carry the labels too: anti-affinity and Services select on them.
		ObjectMeta: metav1.ObjectMeta{Labels: labels(w)},
		Spec:       spec,
	}

	meta := owner.ObjectMeta(w, naming.VirtualMachine(w.Name))
	meta.Labels = labels(w)
	if heal, ok := w.Annotations[v1alpha1.AnnotationHeal]; ok {
		// The VM records the last autohealing action done to it, so each is done once.
		meta.Annotations = map[string]string{v1alpha1.AnnotationHeal: heal}
	}
	return &kubevirtv1.VirtualMachine{
		TypeMeta: metav1.TypeMeta{
			APIVersion: kubevirtv1.VirtualMachineGroupVersionKind.GroupVersion().String(),
			Kind:       kubevirtv1.VirtualMachineGroupVersionKind.Kind,
		},
		ObjectMeta: meta,
		Spec:       vmSpec,
	}, nil
}

// labels are w's own labels plus the Wukong label, which wins over a user label of the same key. Each call
// returns a fresh map so the VM and its template never share one.
func labels(w *v1alpha1.Wukong) map[string]string {
	l := maps.Clone(w.Labels)
	if l == nil {
		l = map[string]string{}
	}
	maps.Copy(l, owner.Labels(w))
	return l
}

// storage is one virtio disk and DataVolume volume per spec disk, in spec order, then the cloud-init disk.
func storage(w *v1alpha1.Wukong) ([]kubevirtv1.Disk, []kubevirtv1.Volume, error) {
	boot := 0 // the first disk boots unless one asks to
	for i, d := range w.Spec.Disks {
		if d.Boot {
			boot = i
			break
		}
	}
	disks := make([]kubevirtv1.Disk, 0, len(w.Spec.Disks)+1)
	volumes := make([]kubevirtv1.Volume, 0, len(w.Spec.Disks)+1)
	for i, d := range w.Spec.Disks {
		if d.Name == CloudInitDiskName {
			return nil, nil, fmt.Errorf("spec.disks[%d].name: %q is reserved for the cloud-init disk", i, CloudInitDiskName)
		}
		disk := kubevirtv1.Disk{
			Name:       d.Name,
			DiskDevice: kubevirtv1.DiskDevice{Disk: &kubevirtv1.DiskTarget{Bus: diskBus(d.Bus)}},
		}
		if i == boot {
			order := uint(1)
			disk.BootOrder = &order
		}
		disks = append(disks, disk)
		volumes = append(volumes, kubevirtv1.Volume{
			Name: d.Name,
			VolumeSource: kubevirtv1.VolumeSource{
				DataVolume: &kubevirtv1.DataVolumeSource{Name: naming.DataVolume(w.Name, d.Name)},
			},
		})
	}

	secret := naming.CloudInitSecret(w.Name)
	disks = append(disks, virtioDisk(CloudInitDiskName))
	volumes = append(volumes, kubevirtv1.Volume{
		Name: CloudInitDiskName,
		VolumeSource: kubevirtv1.VolumeSource{
			// Secret references rather than inline data: the user data holds a password hash and keys,
			// which must not sit in the VM's spec for anyone who can read VMs.
			CloudInitNoCloud: &kubevirtv1.CloudInitNoCloudSource{
				UserDataSecretRef:    &corev1.LocalObjectReference{Name: secret},
				NetworkDataSecretRef: &corev1.LocalObjectReference{Name: secret},
			},
		},
	})
	return disks, volumes, nil
}

func virtioDisk(name string) kubevirtv1.Disk {
	return kubevirtv1.Disk{
		Name:       name,
		DiskDevice: kubevirtv1.DiskDevice{Disk: &kubevirtv1.DiskTarget{Bus: kubevirtv1.DiskBusVirtio}},
	}
}

// networking is the pod network (masquerade) first, then one interface per spec network. Every interface
// gets its MAC from naming.MAC, which the cloud-init network data matches on.
func networking(w *v1alpha1.Wukong) ([]kubevirtv1.Interface, []kubevirtv1.Network, error) {
	interfaces := make([]kubevirtv1.Interface, 0, len(w.Spec.Networks)+1)
	networks := make([]kubevirtv1.Network, 0, len(w.Spec.Networks)+1)

	interfaces = append(interfaces, kubevirtv1.Interface{
		Name:                   cloudinit.PodNetworkName,
		InterfaceBindingMethod: kubevirtv1.InterfaceBindingMethod{Masquerade: &kubevirtv1.InterfaceMasquerade{}},
		MacAddress:             naming.MAC(w.Namespace, w.Name, cloudinit.PodNetworkName),
	})
	networks = append(networks, kubevirtv1.Network{
		Name:          cloudinit.PodNetworkName,
		NetworkSource: kubevirtv1.NetworkSource{Pod: &kubevirtv1.PodNetwork{}},
	})

	for i, n := range w.Spec.Networks {
		if n.Name == cloudinit.PodNetworkName {
			return nil, nil, fmt.Errorf("spec.networks[%d].name: %q is reserved for the pod network", i, cloudinit.PodNetworkName)
		}
		var binding kubevirtv1.InterfaceBindingMethod
		switch n.Type {
		case v1alpha1.NetworkTypeBridge, v1alpha1.NetworkTypeMacvlan, v1alpha1.NetworkTypeOVS, "":
			binding.Bridge = &kubevirtv1.InterfaceBridge{}
		case v1alpha1.NetworkTypeSRIOV:
			// A virtual function is passed through to the guest; there is no bridge to bind to.
			binding.SRIOV = &kubevirtv1.InterfaceSRIOV{}
		default:
			return nil, nil, fmt.Errorf("spec.networks[%d].type: unsupported network type %q", i, n.Type)
		}
		interfaces = append(interfaces, kubevirtv1.Interface{
			Name:                   n.Name,
			InterfaceBindingMethod: binding,
			MacAddress:             naming.MAC(w.Namespace, w.Name, n.Name),
		})
		networks = append(networks, kubevirtv1.Network{
			Name: n.Name,
			NetworkSource: kubevirtv1.NetworkSource{
				Multus: &kubevirtv1.MultusNetwork{NetworkName: multus.NetworkName(w, n)},
			},
		})
	}
	return interfaces, networks, nil
}
