package sim

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	nadv1 "github.com/k8snetworkplumbingwg/network-attachment-definition-client/pkg/apis/k8s.cni.cncf.io/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubevirtv1 "kubevirt.io/api/core/v1"
	cdiv1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/naming"
	"github.com/novasphere/wukong/test/testenv"
)

// env is the control plane every test in this package shares; each test works in a namespace of its own.
var env *testenv.Env

func TestMain(m *testing.M) {
	ctrl.SetLogger(zap.New(zap.WriteTo(os.Stderr)))
	e, err := testenv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "start control plane:", err)
		os.Exit(1)
	}
	env = e
	code := m.Run()
	if err := env.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stop control plane:", err)
	}
	os.Exit(code)
}

// startSim creates a namespace and runs the simulator with opts in a manager whose cache sees only that
// namespace, so a test's simulator never acts on another test's objects. It stops with the test.
func startSim(t *testing.T, opts Options) string {
	t.Helper()
	ns, err := env.Namespace(context.Background(), "sim")
	if err != nil {
		t.Fatalf("create namespace: %v", err)
	}
	stop := runSim(t, ns, opts)
	t.Cleanup(stop)
	return ns
}

// startSimManager runs one more simulator (in a namespace of its own) and returns the function that stops
// it; the test's cleanup stops it too.
func startSimManager(t *testing.T) (stop func()) {
	t.Helper()
	ns, err := env.Namespace(context.Background(), "sim-extra")
	if err != nil {
		t.Fatalf("create namespace: %v", err)
	}
	var once sync.Once
	stopOnce := runSim(t, ns, Options{})
	stop = func() { once.Do(stopOnce) }
	t.Cleanup(stop)
	return stop
}

// runSim starts a simulator manager caching namespace ns; the returned function stops it and waits.
func runSim(t *testing.T, ns string, opts Options) (stop func()) {
	t.Helper()
	mgr, err := ctrl.NewManager(env.Config, ctrl.Options{
		Scheme:                 env.Scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Cache:                  cache.Options{DefaultNamespaces: map[string]cache.Config{ns: {}}},
	})
	if err != nil {
		t.Fatalf("create manager: %v", err)
	}
	if err := Setup(mgr, opts); err != nil {
		t.Fatalf("set up simulator: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("simulator manager: %v", err)
		}
	}
}

// eventually polls cond until it returns "" (met) or timeout passes; then it fails with cond's last
// explanation of what is still missing.
func eventually(t *testing.T, timeout time.Duration, cond func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		why := cond()
		if why == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", timeout, why)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func create(t *testing.T, obj client.Object) {
	t.Helper()
	if err := env.Client.Create(context.Background(), obj); err != nil {
		t.Fatalf("create %T %s: %v", obj, obj.GetName(), err)
	}
}

func get[T client.Object](t *testing.T, ns, name string, obj T) T {
	t.Helper()
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, obj); err != nil {
		t.Fatalf("get %T %s: %v", obj, name, err)
	}
	return obj
}

// annotate sets (value non-nil) or removes (nil) one annotation with a merge patch, as a user's kubectl
// annotate would, without racing the simulator's status writes.
func annotate(t *testing.T, obj client.Object, key string, value *string) {
	t.Helper()
	patch := fmt.Appendf(nil, `{"metadata":{"annotations":{%q:null}}}`, key)
	if value != nil {
		patch = fmt.Appendf(nil, `{"metadata":{"annotations":{%q:%q}}}`, key, *value)
	}
	if err := env.Client.Patch(context.Background(), obj, rawMergePatch(patch)); err != nil {
		t.Fatalf("annotate %T %s %s: %v", obj, obj.GetName(), key, err)
	}
}

// newWukong is a minimal valid Wukong to own children and carry fault annotations.
func newWukong(ns, name string) *vmv1alpha1.Wukong {
	return &vmv1alpha1.Wukong{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       vmv1alpha1.WukongSpec{CPU: 1, Memory: resource.MustParse("1Gi")},
	}
}

func ownedBy(obj metav1.Object, w *vmv1alpha1.Wukong) {
	obj.SetOwnerReferences([]metav1.OwnerReference{*metav1.NewControllerRef(w, vmv1alpha1.GroupVersion.WithKind("Wukong"))})
}

// newDataVolume is a DataVolume as the operator writes it: source "registry", "http" or "blank".
func newDataVolume(ns, name, source string) *cdiv1.DataVolume {
	dv := &cdiv1.DataVolume{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: cdiv1.DataVolumeSpec{
			Source: &cdiv1.DataVolumeSource{},
			Storage: &cdiv1.StorageSpec{Resources: corev1.VolumeResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("10Gi")},
			}},
		},
	}
	switch source {
	case "registry":
		url := "docker://quay.io/containerdisks/fedora:41"
		dv.Spec.Source.Registry = &cdiv1.DataVolumeSourceRegistry{URL: &url}
	case "http":
		dv.Spec.Source.HTTP = &cdiv1.DataVolumeSourceHTTP{URL: "https://example.com/disk.qcow2"}
	default:
		dv.Spec.Source.Blank = &cdiv1.DataVolumeBlankImage{}
	}
	return dv
}

// vmNetwork is one secondary network of a test VM.
type vmNetwork struct {
	name string
	// static is the CIDR address written to the network data; "" means DHCP.
	static string
}

// newVM is a VirtualMachine as the operator writes it for Wukong name: the pod network "default" first,
// then a bridge interface per Multus network, a disk per DataVolume and a cloud-init volume whose network
// data Secret is naming.CloudInitSecret(name).
func newVM(ns, name string, strategy kubevirtv1.VirtualMachineRunStrategy, dataVolumes []string, networks []vmNetwork) *kubevirtv1.VirtualMachine {
	spec := kubevirtv1.VirtualMachineInstanceSpec{
		Domain: kubevirtv1.DomainSpec{
			CPU:    &kubevirtv1.CPU{Cores: 1},
			Memory: &kubevirtv1.Memory{Guest: new(resource.MustParse("1Gi"))},
			Devices: kubevirtv1.Devices{Interfaces: []kubevirtv1.Interface{{
				Name: "default", MacAddress: naming.MAC(ns, name, "default"),
				InterfaceBindingMethod: kubevirtv1.InterfaceBindingMethod{Masquerade: &kubevirtv1.InterfaceMasquerade{}},
			}}},
		},
		Networks: []kubevirtv1.Network{{Name: "default", NetworkSource: kubevirtv1.NetworkSource{Pod: &kubevirtv1.PodNetwork{}}}},
	}
	for _, n := range networks {
		spec.Domain.Devices.Interfaces = append(spec.Domain.Devices.Interfaces, kubevirtv1.Interface{
			Name: n.name, MacAddress: naming.MAC(ns, name, n.name),
			InterfaceBindingMethod: kubevirtv1.InterfaceBindingMethod{Bridge: &kubevirtv1.InterfaceBridge{}},
		})
		spec.Networks = append(spec.Networks, kubevirtv1.Network{Name: n.name, NetworkSource: kubevirtv1.NetworkSource{
			Multus: &kubevirtv1.MultusNetwork{NetworkName: naming.Attachment(name, n.name)},
		}})
	}
	for _, dv := range dataVolumes {
		spec.Domain.Devices.Disks = append(spec.Domain.Devices.Disks, kubevirtv1.Disk{Name: dv})
		spec.Volumes = append(spec.Volumes, kubevirtv1.Volume{Name: dv, VolumeSource: kubevirtv1.VolumeSource{
			DataVolume: &kubevirtv1.DataVolumeSource{Name: dv},
		}})
	}
	spec.Domain.Devices.Disks = append(spec.Domain.Devices.Disks, kubevirtv1.Disk{Name: "cloudinit"})
	spec.Volumes = append(spec.Volumes, kubevirtv1.Volume{Name: "cloudinit", VolumeSource: kubevirtv1.VolumeSource{
		CloudInitNoCloud: &kubevirtv1.CloudInitNoCloudSource{
			UserDataSecretRef:    &corev1.LocalObjectReference{Name: naming.CloudInitSecret(name)},
			NetworkDataSecretRef: &corev1.LocalObjectReference{Name: naming.CloudInitSecret(name)},
		},
	}})
	return &kubevirtv1.VirtualMachine{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: naming.VirtualMachine(name)},
		Spec: kubevirtv1.VirtualMachineSpec{
			RunStrategy: &strategy,
			Template: &kubevirtv1.VirtualMachineInstanceTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{vmv1alpha1.LabelWukong: name}},
				Spec:       spec,
			},
		},
	}
}

// newCloudInitSecret is the operator's cloud-init Secret for a VM built by newVM: network data v2 with the
// pod network on DHCP and each secondary network static or DHCP.
func newCloudInitSecret(ns, name string, networks []vmNetwork) *corev1.Secret {
	nd := fmt.Sprintf("version: 2\nethernets:\n  default:\n    match: {macaddress: %q}\n    dhcp4: true\n",
		naming.MAC(ns, name, "default"))
	for _, n := range networks {
		if n.static != "" {
			nd += fmt.Sprintf("  %s:\n    match: {macaddress: %q}\n    addresses: [%q]\n    dhcp4: false\n",
				n.name, naming.MAC(ns, name, n.name), n.static)
		} else {
			nd += fmt.Sprintf("  %s:\n    match: {macaddress: %q}\n    dhcp4: true\n", n.name, naming.MAC(ns, name, n.name))
		}
	}
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: naming.CloudInitSecret(name)},
		Data:       map[string][]byte{NetworkDataKey: []byte(nd), "userdata": []byte("#cloud-config\n")},
	}
}

// newAttachment is the NetworkAttachmentDefinition the operator creates for network of Wukong name, which newVM's
// Multus network selects: without it virt-controller cannot render the instance's launcher pod.
func newAttachment(ns, name, network string) *nadv1.NetworkAttachmentDefinition {
	return &nadv1.NetworkAttachmentDefinition{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: naming.Attachment(name, network)},
		Spec:       nadv1.NetworkAttachmentDefinitionSpec{Config: `{"cniVersion":"0.3.1","type":"bridge","bridge":"br1"}`},
	}
}

func rawMergePatch(patch []byte) client.Patch {
	return client.RawPatch("application/merge-patch+json", patch)
}
