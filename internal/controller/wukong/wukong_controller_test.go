package wukong_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	nadv1 "github.com/k8snetworkplumbingwg/network-attachment-definition-client/pkg/apis/k8s.cni.cncf.io/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/diff"
	"k8s.io/apimachinery/pkg/watch"
	kubevirtv1 "kubevirt.io/api/core/v1"
	cdiv1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/controller/wukong"
	"github.com/novasphere/wukong/internal/naming"
	"github.com/novasphere/wukong/test/sim"
	"github.com/novasphere/wukong/test/testenv"
)

// Login secrets of the full-spec Wukong. They are distinctive strings so that a leak into status or events
// is found by a plain substring search.
const (
	passwordHash = "$6$rounds=4096$wukongsalt$Q8zJbK3m0yTnL1vR9xWcE2pH7sD4fG6aB5uY0iO3kN"
	inlineKey    = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIInlineKeyOfAliceForTheWukongTest alice@laptop"
	secretKey    = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAISecretKeyOfAliceForTheWukongTest alice@ci"
)

// fullWukong exercises every child the operator builds: a blank data disk listed before the boot disk (so
// bootOrder must follow boot: true, not the position), a static VLAN bridge network with gateway and DNS, a
// DHCP macvlan network and a cloud-init user with keys both inline and from a Secret.
func fullWukong(ns, name string) *vmv1alpha1.Wukong {
	return &vmv1alpha1.Wukong{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"app": "web"}},
		Spec: vmv1alpha1.WukongSpec{
			CPU:    2,
			Memory: resource.MustParse("2Gi"),
			Disks: []vmv1alpha1.Disk{
				{Name: "data", Size: resource.MustParse("20Gi")},
				{Name: "root", Size: resource.MustParse("10Gi"), Image: "docker://quay.io/containerdisks/fedora:41", Boot: true},
			},
			Networks: []vmv1alpha1.Network{
				{
					Name: "lan", Type: vmv1alpha1.NetworkTypeBridge, BridgeName: "br1", VLANID: new(int32(100)),
					IPConfig: &vmv1alpha1.IPConfig{
						Mode: vmv1alpha1.IPModeStatic, Address: "192.168.100.10/24", Gateway: "192.168.100.1",
						DNSServers: []string{"192.168.100.53", "1.1.1.1"},
					},
				},
				{
					Name: "dmz", Type: vmv1alpha1.NetworkTypeMacvlan, BridgeName: "eth1",
					IPConfig: &vmv1alpha1.IPConfig{Mode: vmv1alpha1.IPModeDHCP},
				},
			},
			User: &vmv1alpha1.CloudInitUser{
				Name:                       "alice",
				PasswordHash:               passwordHash,
				SSHAuthorizedKeys:          []string{inlineKey},
				SSHAuthorizedKeysSecretRef: &vmv1alpha1.SecretKeyRef{Name: "alice-keys"},
				Sudo:                       "ALL=(ALL) NOPASSWD:ALL",
				Shell:                      "/bin/bash",
				Groups:                     []string{"wheel", "docker"},
			},
		},
	}
}

// ownerRefs is the controller reference every child of w must carry, so the garbage collector deletes it
// with w and nobody else adopts it.
func ownerRefs(w *vmv1alpha1.Wukong) []metav1.OwnerReference {
	return []metav1.OwnerReference{{
		APIVersion: "vm.novasphere.dev/v1alpha1", Kind: "Wukong", Name: w.Name, UID: w.UID,
		Controller: new(true), BlockOwnerDeletion: new(true),
	}}
}

// checkChildMeta asserts the metadata every child shares: the Wukong label and the controller reference.
func checkChildMeta(t *testing.T, obj metav1.Object, w *vmv1alpha1.Wukong, wantLabels map[string]string) {
	t.Helper()
	if !maps.Equal(obj.GetLabels(), wantLabels) {
		t.Errorf("%s labels = %v, want %v", obj.GetName(), obj.GetLabels(), wantLabels)
	}
	if got := obj.GetOwnerReferences(); !equality.Semantic.DeepEqual(got, ownerRefs(w)) {
		t.Errorf("%s ownerReferences: %s", obj.GetName(), diff.Diff(ownerRefs(w), got))
	}
}

// sameData compares a YAML or JSON document with the value it must decode to. Comparing decoded values
// keeps the assertion exact about content while indifferent to key order and quoting.
func sameData(t *testing.T, what, doc string, want any) {
	t.Helper()
	var got any
	if err := yaml.Unmarshal([]byte(doc), &got); err != nil {
		t.Errorf("%s does not parse: %v\n%s", what, err, doc)
		return
	}
	raw, err := json.Marshal(want)
	if err != nil {
		t.Fatalf("marshal wanted %s: %v", what, err)
	}
	var norm any
	if err := json.Unmarshal(raw, &norm); err != nil {
		t.Fatalf("unmarshal wanted %s: %v", what, err)
	}
	if !reflect.DeepEqual(got, norm) {
		t.Errorf("%s differs (-want +got):\n%s\ngot document:\n%s", what, diff.Diff(norm, got), doc)
	}
}

// TestFullSpecRunning creates a Wukong using every feature and checks each child field by field against
// hand-written expectations (not the builders' output, which would make the test agree with any bug), then
// the status the controller derives once the simulated VM runs, and that no login secret leaks.
func TestFullSpecRunning(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ns := namespace(t)
	create(t, secret(ns, "alice-keys", map[string]string{"authorized_keys": secretKey + "\n# rotated in March\n"}))
	w := fullWukong(ns, "web")
	create(t, w)

	w = waitPhase(t, ns, "web", vmv1alpha1.WukongRunning)
	childLabels := map[string]string{vmv1alpha1.LabelWukong: "web"}
	mac := func(network string) string { return naming.MAC(ns, "web", network) }

	t.Run("DataVolumes", func(t *testing.T) {
		var list cdiv1.DataVolumeList
		if err := h.Client.List(ctx, &list, client.InNamespace(ns)); err != nil {
			t.Fatal(err)
		}
		if len(list.Items) != 2 {
			t.Errorf("%d DataVolumes, want 2", len(list.Items))
		}
		url := "docker://quay.io/containerdisks/fedora:41"
		for _, tc := range []struct {
			name   string
			source cdiv1.DataVolumeSource
			size   string
		}{
			{"web-data", cdiv1.DataVolumeSource{Blank: &cdiv1.DataVolumeBlankImage{}}, "20Gi"},
			{"web-root", cdiv1.DataVolumeSource{Registry: &cdiv1.DataVolumeSourceRegistry{URL: &url}}, "10Gi"},
		} {
			dv := get(t, ns, tc.name, &cdiv1.DataVolume{})
			checkChildMeta(t, dv, w, childLabels)
			want := cdiv1.DataVolumeSpec{
				Source: &tc.source,
				Storage: &cdiv1.StorageSpec{Resources: corev1.VolumeResourceRequirements{
					Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(tc.size)},
				}},
			}
			if !equality.Semantic.DeepEqual(dv.Spec, want) {
				t.Errorf("DataVolume %s spec (-want +got):\n%s", tc.name, diff.Diff(want, dv.Spec))
			}
		}
	})

	t.Run("NetworkAttachmentDefinitions", func(t *testing.T) {
		var list nadv1.NetworkAttachmentDefinitionList
		if err := h.Client.List(ctx, &list, client.InNamespace(ns)); err != nil {
			t.Fatal(err)
		}
		if len(list.Items) != 2 {
			t.Errorf("%d NetworkAttachmentDefinitions, want 2", len(list.Items))
		}
		for name, config := range map[string]map[string]any{
			"web-lan": {"cniVersion": "0.3.1", "name": "web-lan", "type": "bridge", "bridge": "br1", "vlan": 100, "ipam": map[string]any{}},
			"web-dmz": {"cniVersion": "0.3.1", "name": "web-dmz", "type": "macvlan", "master": "eth1", "mode": "bridge", "ipam": map[string]any{}},
		} {
			nad := get(t, ns, name, &nadv1.NetworkAttachmentDefinition{})
			checkChildMeta(t, nad, w, childLabels)
			if len(nad.Annotations) != 0 {
				t.Errorf("NetworkAttachmentDefinition %s annotations = %v, want none", name, nad.Annotations)
			}
			sameData(t, "CNI config of "+name, nad.Spec.Config, config)
		}
	})

	t.Run("CloudInitSecret", func(t *testing.T) {
		s := get(t, ns, "web-cloudinit", &corev1.Secret{})
		checkChildMeta(t, s, w, childLabels)
		if s.Type != corev1.SecretTypeOpaque {
			t.Errorf("type = %q, want Opaque", s.Type)
		}
		if keys := slices.Sorted(maps.Keys(s.Data)); !slices.Equal(keys, []string{"networkdata", "userdata"}) {
			t.Errorf("keys = %v, want networkdata and userdata", keys)
		}
		userData := string(s.Data["userdata"])
		if !strings.HasPrefix(userData, "#cloud-config\n") {
			t.Errorf("user data does not start with #cloud-config:\n%s", userData)
		}
		sameData(t, "user data", userData, map[string]any{
			"hostname": "web", "manage_etc_hosts": true, "ssh_pwauth": true,
			"users": []any{map[string]any{
				"name": "alice", "passwd": passwordHash, "lock_passwd": false,
				// Inline keys first, then the Secret's, whose comment line is dropped.
				"ssh_authorized_keys": []string{inlineKey, secretKey},
				"sudo":                "ALL=(ALL) NOPASSWD:ALL", "shell": "/bin/bash", "groups": []string{"wheel", "docker"},
			}},
		})
		sameData(t, "network data", string(s.Data["networkdata"]), map[string]any{
			"version": 2,
			"ethernets": map[string]any{
				// The static gateway on lan takes the default route, so the pod network drops its DHCP routes.
				"default": map[string]any{"match": map[string]any{"macaddress": mac("default")}, "dhcp4": true,
					"dhcp4-overrides": map[string]any{"use-routes": false}},
				"lan": map[string]any{"match": map[string]any{"macaddress": mac("lan")}, "dhcp4": false,
					"addresses":   []string{"192.168.100.10/24"},
					"routes":      []any{map[string]any{"to": "0.0.0.0/0", "via": "192.168.100.1"}},
					"nameservers": map[string]any{"addresses": []string{"192.168.100.53", "1.1.1.1"}}},
				"dmz": map[string]any{"match": map[string]any{"macaddress": mac("dmz")}, "dhcp4": true},
			},
		})
	})

	t.Run("VirtualMachine", func(t *testing.T) {
		vm := get(t, ns, "web", &kubevirtv1.VirtualMachine{})
		vmLabels := map[string]string{"app": "web", vmv1alpha1.LabelWukong: "web"}
		checkChildMeta(t, vm, w, vmLabels)
		virtio := kubevirtv1.DiskDevice{Disk: &kubevirtv1.DiskTarget{Bus: kubevirtv1.DiskBusVirtio}}
		bridge := kubevirtv1.InterfaceBindingMethod{Bridge: &kubevirtv1.InterfaceBridge{}}
		want := kubevirtv1.VirtualMachineSpec{
			RunStrategy: new(kubevirtv1.RunStrategyAlways),
			Template: &kubevirtv1.VirtualMachineInstanceTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: vmLabels},
				Spec: kubevirtv1.VirtualMachineInstanceSpec{
					Domain: kubevirtv1.DomainSpec{
						CPU:    &kubevirtv1.CPU{Cores: 2, Sockets: 1, Threads: 1},
						Memory: &kubevirtv1.Memory{Guest: new(resource.MustParse("2Gi"))},
						Devices: kubevirtv1.Devices{
							Disks: []kubevirtv1.Disk{
								{Name: "data", DiskDevice: virtio},
								{Name: "root", DiskDevice: virtio, BootOrder: new(uint(1))},
								{Name: "cloudinitdisk", DiskDevice: virtio},
							},
							Interfaces: []kubevirtv1.Interface{
								{Name: "default", MacAddress: mac("default"),
									InterfaceBindingMethod: kubevirtv1.InterfaceBindingMethod{Masquerade: &kubevirtv1.InterfaceMasquerade{}}},
								{Name: "lan", MacAddress: mac("lan"), InterfaceBindingMethod: bridge},
								{Name: "dmz", MacAddress: mac("dmz"), InterfaceBindingMethod: bridge},
							},
						},
					},
					Networks: []kubevirtv1.Network{
						{Name: "default", NetworkSource: kubevirtv1.NetworkSource{Pod: &kubevirtv1.PodNetwork{}}},
						{Name: "lan", NetworkSource: kubevirtv1.NetworkSource{Multus: &kubevirtv1.MultusNetwork{NetworkName: ns + "/web-lan"}}},
						{Name: "dmz", NetworkSource: kubevirtv1.NetworkSource{Multus: &kubevirtv1.MultusNetwork{NetworkName: ns + "/web-dmz"}}},
					},
					Volumes: []kubevirtv1.Volume{
						{Name: "data", VolumeSource: kubevirtv1.VolumeSource{DataVolume: &kubevirtv1.DataVolumeSource{Name: "web-data"}}},
						{Name: "root", VolumeSource: kubevirtv1.VolumeSource{DataVolume: &kubevirtv1.DataVolumeSource{Name: "web-root"}}},
						{Name: "cloudinitdisk", VolumeSource: kubevirtv1.VolumeSource{CloudInitNoCloud: &kubevirtv1.CloudInitNoCloudSource{
							UserDataSecretRef:    &corev1.LocalObjectReference{Name: "web-cloudinit"},
							NetworkDataSecretRef: &corev1.LocalObjectReference{Name: "web-cloudinit"},
						}}},
					},
					Hostname: "web",
				},
			},
		}
		// KubeVirt's webhook sets the firmware identity, machine type and architecture at creation; the
		// operator never sets them and must not take them away.
		got := vm.Spec.DeepCopy()
		dom := &got.Template.Spec.Domain
		if fw := dom.Firmware; fw == nil || fw.UUID == "" || fw.Serial == "" {
			t.Errorf("firmware = %+v, want the UUID and serial KubeVirt's webhook sets", fw)
		}
		dom.Firmware, dom.Machine, got.Template.Spec.Architecture = nil, nil, ""
		if !equality.Semantic.DeepEqual(*got, want) {
			t.Errorf("VirtualMachine spec (-want +got):\n%s", diff.Diff(want, *got))
		}
		// The VM is readable by more people than Secrets are; the login data must stay in the Secret.
		raw, _ := json.Marshal(vm)
		assertNoSecrets(t, "the VirtualMachine", string(raw))
	})

	t.Run("Status", func(t *testing.T) {
		st := w.Status
		if st.VMName != "web" {
			t.Errorf("vmName = %q, want web", st.VMName)
		}
		if !slices.Contains(sim.DefaultNodes, st.NodeName) {
			t.Errorf("nodeName = %q, want one of the simulator's nodes %v", st.NodeName, sim.DefaultNodes)
		}
		if st.IP != "192.168.100.10" {
			t.Errorf("ip = %q, want the static address of lan, 192.168.100.10", st.IP)
		}
		var names []string
		for _, n := range st.Networks {
			names = append(names, n.Name)
			if n.MAC != mac(n.Name) {
				t.Errorf("network %s mac = %q, want %q", n.Name, n.MAC, mac(n.Name))
			}
			if n.IP == "" || n.Interface == "" {
				t.Errorf("network %s has no address or interface: %+v", n.Name, n)
			}
			if n.Name == "lan" && (n.IP != "192.168.100.10" || !slices.Equal(n.IPs, []string{"192.168.100.10"})) {
				t.Errorf("lan ip = %q ips = %v, want exactly 192.168.100.10 (no prefix)", n.IP, n.IPs)
			}
		}
		if !slices.Equal(names, []string{"default", "lan", "dmz"}) {
			t.Errorf("networks = %v, want default, lan, dmz in spec order", names)
		}
		// The simulator's guest agent connects as the guest boots and reports its OS.
		wantGuest := vmv1alpha1.GuestStatus{AgentConnected: true, OS: sim.SimulatedGuestOS.PrettyName,
			OSVersion: sim.SimulatedGuestOS.VersionID, Kernel: sim.SimulatedGuestOS.KernelRelease}
		if st.Guest == nil || *st.Guest != wantGuest {
			t.Errorf("guest = %+v, want %+v", st.Guest, wantGuest)
		}
		wantVolumes := []vmv1alpha1.VolumeStatus{
			{Name: "data", DataVolume: "web-data", Phase: "Succeeded", Progress: "100.0%"},
			{Name: "root", DataVolume: "web-root", Phase: "Succeeded", Progress: "100.0%"},
		}
		if !equality.Semantic.DeepEqual(st.Volumes, wantVolumes) {
			t.Errorf("volumes (-want +got):\n%s", diff.Diff(wantVolumes, st.Volumes))
		}
		for typ, reason := range map[string]string{
			vmv1alpha1.WukongReady:         vmv1alpha1.ReasonRunning,
			vmv1alpha1.WukongDisksReady:    vmv1alpha1.ReasonDisksReady,
			vmv1alpha1.WukongNetworksReady: vmv1alpha1.ReasonAttachmentsReady,
		} {
			if err := conditionIs(w, typ, metav1.ConditionTrue, reason); err != nil {
				t.Error(err)
			}
		}
		if err := conditionIs(w, vmv1alpha1.WukongRestartRequired, metav1.ConditionFalse, vmv1alpha1.ReasonUpToDate); err != nil {
			t.Error(err)
		}
		if st.ObservedGeneration != w.Generation {
			t.Errorf("observedGeneration = %d, want %d", st.ObservedGeneration, w.Generation)
		}
	})

	t.Run("NoSecretsInStatusOrEvents", func(t *testing.T) {
		raw, _ := json.Marshal(w.Status)
		assertNoSecrets(t, "the Wukong's status", string(raw))
		// Wait for the last event of the bring-up so the search covers every event it wrote.
		waitEvent(t, ns, "web", corev1.EventTypeNormal, vmv1alpha1.ReasonRunning, "")
		raw, _ = json.Marshal(events(t, ns, "web"))
		assertNoSecrets(t, "the events", string(raw))
	})
}

// assertNoSecrets fails when doc holds the password hash or either SSH key, or a distinctive part of one.
func assertNoSecrets(t *testing.T, where, doc string) {
	t.Helper()
	for _, s := range []string{passwordHash, "wukongsalt", inlineKey, "InlineKeyOfAlice", secretKey, "SecretKeyOfAlice"} {
		if strings.Contains(doc, s) {
			t.Errorf("%s contain the secret %q", where, s)
		}
	}
}

// TestPhaseProgression watches the Wukong from before it exists, so every status the operator writes is
// seen. Its import takes longer than ProgressInterval: a healthy start's steps are written at most that
// often, counted from the Wukong's creation, so the import shows as Provisioning before Running (a start
// shorter than that shows Running only, as the next test checks).
func TestPhaseProgression(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	ns := namespace(t)
	watcher := watchWukongs(ctx, t, ns)
	defer watcher.Stop()
	w := newWukong(ns, "prog")
	w.Annotations = map[string]string{sim.AnnotationImportDuration: (wukong.ProgressInterval + 3*time.Second).String()}
	create(t, w)

	var seen []string
	provisioning := -1
	for ev := range watcher.ResultChan() {
		if ev.Type == watch.Error {
			t.Fatalf("watch error: %v", ev.Object)
		}
		w, ok := ev.Object.(*vmv1alpha1.Wukong)
		if !ok {
			continue
		}
		disks := condition(w, vmv1alpha1.WukongDisksReady)
		step := string(w.Status.Phase)
		if disks != nil {
			step += fmt.Sprintf("(DisksReady=%s/%s)", disks.Status, disks.Reason)
		}
		seen = append(seen, step)
		if provisioning < 0 && w.Status.Phase == vmv1alpha1.WukongProvisioning && disks != nil &&
			disks.Status == metav1.ConditionFalse && disks.Reason == vmv1alpha1.ReasonImporting {
			provisioning = len(seen) - 1
		}
		if w.Status.Phase == vmv1alpha1.WukongRunning {
			if provisioning < 0 {
				t.Fatalf("Running without Provisioning (DisksReady False/Importing) before it: %v", seen)
			}
			t.Logf("phases: %v", seen)
			return
		}
	}
	t.Fatalf("watch ended before Running (%v): %v", ctx.Err(), seen)
}

// TestStartWritesNoStepEarly watches a Wukong that starts fast (the harness's imports and boots take well
// under a second): no status on the way to Running (Pending, Provisioning, Starting) is written within
// ProgressInterval of its creation (less the second creationTimestamp rounds off), so a fast start costs one
// status write. On a machine slow enough for the start to take longer, a step may be written, but never
// earlier.
func TestStartWritesNoStepEarly(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	ns := namespace(t)
	watcher := watchWukongs(ctx, t, ns)
	defer watcher.Stop()
	created := time.Now()
	create(t, newWukong(ns, "fast"))
	var steps []string
	for ev := range watcher.ResultChan() {
		w, ok := ev.Object.(*vmv1alpha1.Wukong)
		if !ok {
			continue
		}
		switch after := time.Since(created); {
		case w.Status.Phase == vmv1alpha1.WukongRunning:
			t.Logf("Running after %s; steps written before it: %v", after.Round(time.Millisecond), steps)
			return
		case w.Status.Phase != "":
			steps = append(steps, fmt.Sprintf("%s after %s", w.Status.Phase, after.Round(time.Millisecond)))
			// The interval counts from creationTimestamp, which the apiserver keeps in whole seconds.
			if after < wukong.ProgressInterval-time.Second {
				t.Fatalf("phase %s written %s after creation, before ProgressInterval (%s)", w.Status.Phase, after, wukong.ProgressInterval)
			}
		}
	}
	t.Fatalf("watch ended before Running (%v): %v", ctx.Err(), steps)
}

// watchWukongs watches the Wukongs of ns from now on, so a test sees every status the operator writes.
func watchWukongs(ctx context.Context, t *testing.T, ns string) watch.Interface {
	t.Helper()
	wc, err := client.NewWithWatch(h.Config, client.Options{Scheme: h.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	watcher, err := wc.Watch(ctx, &vmv1alpha1.WukongList{}, client.InNamespace(ns))
	if err != nil {
		t.Fatalf("watch Wukongs: %v", err)
	}
	return watcher
}

// TestSteadyStateWritesNothing counts, with the apiserver's own counters, the writes to children and status
// caused by reconciles that have nothing to change. The counters are cluster-wide, so this test does not run
// in parallel: Go runs it while every parallel test is still paused.
func TestSteadyStateWritesNothing(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t)
	create(t, secret(ns, "alice-keys", map[string]string{"authorized_keys": secretKey}))
	create(t, fullWukong(ns, "calm"))
	w := waitSettled(t, ns, "calm")

	before, err := h.APIRequests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		annotate(t, w, "test.novasphere.dev/poke", new(fmt.Sprint(i)))
	}
	// Not an assertion: the window in which the reconciles the annotations caused would write.
	time.Sleep(2 * time.Second)
	after, err := h.APIRequests(ctx)
	if err != nil {
		t.Fatal(err)
	}

	resources := []string{"virtualmachines", "datavolumes", "secrets", "network-attachment-definitions", "wukongs/status"}
	writes := testenv.Writes(before, after, resources...)
	var detail []string
	for key, v := range after {
		if d := v - before[key]; d > 0 && slices.ContainsFunc(resources, func(r string) bool { return strings.HasSuffix(key, " "+r) }) {
			detail = append(detail, fmt.Sprintf("%s: %v", key, d))
		}
	}
	slices.Sort(detail)
	t.Logf("writes to %v after 3 no-op reconciles: %v (all requests to them: %v)", resources, writes, detail)
	if writes != 0 {
		t.Errorf("steady state wrote %v times: %v", writes, detail)
	}
	// Zero writes proves nothing unless the reconciles ran. Each one reads the user's key Secret directly
	// from the apiserver (users' Secrets are not cached), which makes those reads the evidence.
	if reads := after["GET secrets"] - before["GET secrets"]; reads < 1 {
		t.Errorf("no Secret was read in the window: the annotations caused no reconcile, so the count above is vacuous")
	}
	if got := get(t, ns, "calm", &vmv1alpha1.Wukong{}); got.Status.Phase != vmv1alpha1.WukongRunning {
		t.Errorf("phase = %q after the annotations, want Running", got.Status.Phase)
	}
}

// waitSettled waits until the Wukong runs and the simulator has also written its VM's final status, the
// last write of a bring-up that wakes the controller. From then on only the test's own actions cause
// reconciles, which lets a test tell "the controller reacted to X" from "something else woke it".
func waitSettled(t *testing.T, ns, name string) *vmv1alpha1.Wukong {
	t.Helper()
	waitPhase(t, ns, name, vmv1alpha1.WukongRunning)
	eventually(t, timeout, func() error {
		vm := get(t, ns, name, &kubevirtv1.VirtualMachine{})
		if !vm.Status.Ready || vm.Status.PrintableStatus != kubevirtv1.VirtualMachineStatusRunning {
			return fmt.Errorf("VM ready=%v %s", vm.Status.Ready, vm.Status.PrintableStatus)
		}
		return nil
	})
	return waitFor(t, ns, name, func(w *vmv1alpha1.Wukong) error {
		if err := phaseIs(vmv1alpha1.WukongRunning)(w); err != nil {
			return err
		}
		return conditionIs(w, vmv1alpha1.WukongUpToDate, metav1.ConditionTrue, vmv1alpha1.ReasonUpToDate)
	})
}

// TestEvents checks the events a user sees with kubectl describe: one listing the children created, and the
// VM running.
func TestEvents(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	w := newWukong(ns, "ev")
	w.Spec.Networks = []vmv1alpha1.Network{{Name: "lan"}}
	create(t, w)
	w = waitPhase(t, ns, "ev", vmv1alpha1.WukongRunning)

	// One Created event lists every child, with the VirtualMachine as the related object.
	created := waitEvent(t, ns, "ev", corev1.EventTypeNormal, vmv1alpha1.ReasonCreated, "VirtualMachine ev")
	for _, child := range []string{"Secret ev-cloudinit", "NetworkAttachmentDefinition ev-lan", "DataVolume ev-root", "VirtualMachine ev"} {
		if !strings.Contains(created.Note, child) {
			t.Errorf("Created event %q does not list %s", created.Note, child)
		}
	}
	if r := created.Related; r == nil || r.Kind != "VirtualMachine" || r.Name != "ev" || r.UID == "" {
		t.Errorf("Created event has related object %+v, want the VirtualMachine", r)
	}
	e := waitEvent(t, ns, "ev", corev1.EventTypeNormal, vmv1alpha1.ReasonRunning, w.Status.NodeName)
	if e.Regarding.UID != w.UID || e.ReportingController == "" {
		t.Errorf("Running event regarding %+v reported by %q, want the Wukong's UID %s", e.Regarding, e.ReportingController, w.UID)
	}
	// Events on transitions only: a steady Wukong must not add an event per reconcile.
	n := 0
	for _, e := range events(t, ns, "ev") {
		if e.Reason == vmv1alpha1.ReasonCreated && strings.Contains(e.Note, "VirtualMachine ev") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d Created events for the VirtualMachine, want 1", n)
	}
}
