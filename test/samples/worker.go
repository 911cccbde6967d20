// Package samples checks, field by field, what a cluster holds for the examples under config/samples, so the
// controller tests of a Wukong and of a WukongSet assert the same expectations for the same YAML.
package samples

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	kubevirtv1 "kubevirt.io/api/core/v1"
	cdiv1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	nadv1 "github.com/k8snetworkplumbingwg/network-attachment-definition-client/pkg/apis/k8s.cni.cncf.io/v1"

	"github.com/novasphere/wukong/internal/naming"
)

// GoldenImage is the DataSource the worker samples clone (config/samples/golden-images publishes it).
const GoldenImage = "os-images/ubuntu-22.04"

// CheckWorker checks the VirtualMachine, DataVolumes, attachment and cloud-init Secret of a Wukong named name
// made from issue 12's worker YAML (config/samples/vm_v1alpha1_wukongset_workers.yaml and its single-VM form
// vm_v1alpha1_wukong_worker.yaml), whose eth1 has the static address given. It returns every difference.
func CheckWorker(ctx context.Context, c client.Reader, ns, name, address string) error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(name+": "+format, args...)) }
	get := func(objName string, obj client.Object) bool {
		if err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: objName}, obj); err != nil {
			fail("get %T %s: %v", obj, objName, err)
			return false
		}
		return true
	}

	vm := &kubevirtv1.VirtualMachine{}
	if !get(name, vm) {
		return errors.Join(errs...)
	}
	if vm.Spec.RunStrategy == nil || *vm.Spec.RunStrategy != kubevirtv1.RunStrategyAlways {
		fail("VM runStrategy %v, want Always", vm.Spec.RunStrategy)
	}
	spec := vm.Spec.Template.Spec
	if cpu := spec.Domain.CPU; cpu == nil || cpu.Cores != 4 || cpu.Sockets != 1 || cpu.Threads != 1 {
		fail("VM cpu %+v, want 4 cores, 1 socket, 1 thread", cpu)
	}
	if m := spec.Domain.Memory; m == nil || m.Guest == nil || m.Guest.Cmp(resource.MustParse("8Gi")) != 0 {
		fail("VM memory %+v, want guest 8Gi", m)
	}
	if spec.Hostname != name {
		fail("VM hostname %q, want %q", spec.Hostname, name)
	}
	if spec.EvictionStrategy == nil || *spec.EvictionStrategy != kubevirtv1.EvictionStrategyLiveMigrate {
		fail("VM evictionStrategy %v, want LiveMigrate", spec.EvictionStrategy)
	}
	wantProbe := &kubevirtv1.Probe{
		Handler:             kubevirtv1.Handler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(22)}},
		InitialDelaySeconds: 10,
	}
	if !reflect.DeepEqual(spec.ReadinessProbe, wantProbe) || spec.LivenessProbe != nil {
		fail("VM readinessProbe %+v livenessProbe %+v, want %+v and none", spec.ReadinessProbe, spec.LivenessProbe, wantProbe)
	}
	virtio := kubevirtv1.DiskDevice{Disk: &kubevirtv1.DiskTarget{Bus: kubevirtv1.DiskBusVirtio}}
	wantDisks := []kubevirtv1.Disk{
		{Name: "system", DiskDevice: virtio, BootOrder: ptr.To[uint](1)},
		{Name: "data", DiskDevice: virtio},
		{Name: "cloudinitdisk", DiskDevice: virtio},
	}
	if !reflect.DeepEqual(spec.Domain.Devices.Disks, wantDisks) {
		fail("VM disks %+v, want %+v", spec.Domain.Devices.Disks, wantDisks)
	}
	cloudInit := naming.CloudInitSecret(name)
	wantVolumes := []kubevirtv1.Volume{
		{Name: "system", VolumeSource: kubevirtv1.VolumeSource{DataVolume: &kubevirtv1.DataVolumeSource{Name: naming.DataVolume(name, "system")}}},
		{Name: "data", VolumeSource: kubevirtv1.VolumeSource{DataVolume: &kubevirtv1.DataVolumeSource{Name: naming.DataVolume(name, "data")}}},
		{Name: "cloudinitdisk", VolumeSource: kubevirtv1.VolumeSource{CloudInitNoCloud: &kubevirtv1.CloudInitNoCloudSource{
			UserDataSecretRef:    &corev1.LocalObjectReference{Name: cloudInit},
			NetworkDataSecretRef: &corev1.LocalObjectReference{Name: cloudInit},
		}}},
	}
	if !reflect.DeepEqual(spec.Volumes, wantVolumes) {
		fail("VM volumes %+v, want %+v", spec.Volumes, wantVolumes)
	}
	macs := checkNetworks(ctx, c, ns, spec, fail)

	checkDataVolumes(get, name, fail)
	checkCloudInit(get, name, address, macs, fail)
	return errors.Join(errs...)
}

// checkNetworks checks the pod network (masquerade) and eth1 (a Linux bridge through a Multus attachment of
// type bridge), and returns the interfaces' MAC addresses by network name.
func checkNetworks(ctx context.Context, c client.Reader, ns string, spec kubevirtv1.VirtualMachineInstanceSpec, fail func(string, ...any)) map[string]string {
	macs := map[string]string{}
	ifaces := spec.Domain.Devices.Interfaces
	if len(ifaces) != 2 || ifaces[0].Name != "default" || ifaces[0].Masquerade == nil || ifaces[1].Name != "eth1" || ifaces[1].Bridge == nil {
		fail("VM interfaces %+v, want default (masquerade) and eth1 (bridge)", ifaces)
		return macs
	}
	for _, i := range ifaces {
		if i.MacAddress == "" {
			fail("VM interface %s has no fixed MAC address", i.Name)
		}
		macs[i.Name] = i.MacAddress
	}
	nets := spec.Networks
	if len(nets) != 2 || nets[0].Name != "default" || nets[0].Pod == nil || nets[1].Name != "eth1" || nets[1].Multus == nil {
		fail("VM networks %+v, want default (pod) and eth1 (multus)", nets)
		return macs
	}
	// The attachment's name is the operator's choice; what it must be is an existing bridge attachment.
	nsName, nadName, ok := strings.Cut(nets[1].Multus.NetworkName, "/")
	if !ok || nsName != ns {
		fail("eth1 multus networkName %q, want %s/NAME", nets[1].Multus.NetworkName, ns)
		return macs
	}
	nad := &nadv1.NetworkAttachmentDefinition{}
	if err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: nadName}, nad); err != nil {
		fail("get attachment %s: %v", nadName, err)
		return macs
	}
	var config struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal([]byte(nad.Spec.Config), &config); err != nil || config.Type != "bridge" {
		fail("attachment %s config %s: want CNI type bridge (%v)", nadName, nad.Spec.Config, err)
	}
	return macs
}

// checkDataVolumes: the system disk clones the golden DataSource at 40Gi, the data disk is a blank 100Gi, and
// neither names an access mode, volume mode or storage class (the StorageProfile decides), as written.
func checkDataVolumes(get func(string, client.Object) bool, name string, fail func(string, ...any)) {
	imageNS, image, _ := strings.Cut(GoldenImage, "/")
	for _, d := range []struct {
		disk, size string
		source     *cdiv1.DataVolumeSource
		sourceRef  *cdiv1.DataVolumeSourceRef
	}{
		{"system", "40Gi", nil, &cdiv1.DataVolumeSourceRef{Kind: cdiv1.DataVolumeDataSource, Namespace: &imageNS, Name: image}},
		{"data", "100Gi", &cdiv1.DataVolumeSource{Blank: &cdiv1.DataVolumeBlankImage{}}, nil},
	} {
		dv := &cdiv1.DataVolume{}
		if !get(naming.DataVolume(name, d.disk), dv) {
			continue
		}
		if !reflect.DeepEqual(dv.Spec.Source, d.source) || !reflect.DeepEqual(dv.Spec.SourceRef, d.sourceRef) {
			fail("DataVolume %s source %+v sourceRef %+v, want %+v and %+v", dv.Name, dv.Spec.Source, dv.Spec.SourceRef, d.source, d.sourceRef)
		}
		want := &cdiv1.StorageSpec{Resources: corev1.VolumeResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(d.size)},
		}}
		if s := dv.Spec.Storage; s == nil || dv.Spec.PVC != nil || !reflect.DeepEqual(s.AccessModes, want.AccessModes) ||
			s.VolumeMode != nil || s.StorageClassName != nil || !s.Resources.Requests.Storage().Equal(resource.MustParse(d.size)) {
			fail("DataVolume %s storage %+v pvc %+v, want %+v", dv.Name, s, dv.Spec.PVC, want)
		}
		if dv.Status.Phase != cdiv1.Succeeded {
			fail("DataVolume %s phase %s, want Succeeded", dv.Name, dv.Status.Phase)
		}
	}
}

// checkCloudInit: the user's #cloud-config merged with the operator's hostname, nothing else added (no user is
// asked for); network data v2 with DHCP on the pod network and the static address on eth1, matched by the VM's
// MAC addresses.
func checkCloudInit(get func(string, client.Object) bool, name, address string, macs map[string]string, fail func(string, ...any)) {
	s := &corev1.Secret{}
	if !get(naming.CloudInitSecret(name), s) {
		return
	}
	ud := string(s.Data["userdata"])
	if !strings.HasPrefix(ud, "#cloud-config\n") {
		fail("user data does not start with #cloud-config:\n%s", ud)
	}
	sameYAML(fail, "user data", ud, map[string]any{
		"hostname":         name,
		"manage_etc_hosts": true,
		"packages":         []any{"nfs-common"},
		"runcmd":           []any{[]any{"sh", "-c", "echo joining as " + name + " >> /var/log/join.log"}},
	})
	sameYAML(fail, "network data", string(s.Data["networkdata"]), map[string]any{
		"version": float64(2),
		"ethernets": map[string]any{
			"default": map[string]any{"dhcp4": true, "match": map[string]any{"macaddress": macs["default"]}},
			"eth1": map[string]any{"dhcp4": false, "addresses": []any{address},
				"match": map[string]any{"macaddress": macs["eth1"]}},
		},
	})
	if len(s.Data) != 2 {
		fail("cloud-init Secret keys %v, want userdata and networkdata", keys(s.Data))
	}
}

func sameYAML(fail func(string, ...any), what, doc string, want map[string]any) {
	var got map[string]any
	if err := yaml.Unmarshal([]byte(doc), &got); err != nil {
		fail("%s is not YAML: %v\n%s", what, err, doc)
		return
	}
	if !reflect.DeepEqual(got, want) {
		gotY, _ := yaml.Marshal(got)
		wantY, _ := yaml.Marshal(want)
		fail("%s\n got:\n%s\nwant:\n%s", what, gotY, wantY)
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
