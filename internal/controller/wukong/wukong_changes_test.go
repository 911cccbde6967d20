package wukong_test

import (
	"context"
	"fmt"
	"github.com/novasphere/wukong/test/testenv"
	"strings"
	"testing"

	nadv1 "github.com/k8snetworkplumbingwg/network-attachment-definition-client/pkg/apis/k8s.cni.cncf.io/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/diff"
	kubevirtv1 "kubevirt.io/api/core/v1"
	cdiv1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
)

// TestCPUChangeRestartsInPlace changes the CPU count of a running VM: the VM's template follows at once,
// KubeVirt reports RestartRequired (cores cannot change live), and the controller restarts the VM the way
// `virtctl restart` does. The VM, its disks and its firmware UUID and serial stay the same objects and values.
func TestCPUChangeRestartsInPlace(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	create(t, newWukong(ns, "cpu"))
	w := waitPhase(t, ns, "cpu", vmv1alpha1.WukongRunning)
	vmBefore := get(t, ns, "cpu", &kubevirtv1.VirtualMachine{})
	dvBefore := get(t, ns, "cpu-root", &cdiv1.DataVolume{})
	vmiBefore := vmi(t, ns, "cpu")
	fwBefore := vmBefore.Spec.Template.Spec.Domain.Firmware

	mergePatch(t, w, `{"spec":{"cpu":4}}`)
	waitFor(t, ns, "cpu", func(w *vmv1alpha1.Wukong) error {
		if err := conditionIs(w, vmv1alpha1.WukongUpToDate, metav1.ConditionTrue, vmv1alpha1.ReasonUpToDate); err != nil {
			return err
		}
		if w.Status.ObservedGeneration != w.Generation {
			return fmt.Errorf("status at generation %d, want %d", w.Status.ObservedGeneration, w.Generation)
		}
		return phaseIs(vmv1alpha1.WukongRunning)(w)
	})
	i := vmi(t, ns, "cpu")
	if i == nil || i.Spec.Domain.CPU.Cores != 4 || i.UID == vmiBefore.UID {
		t.Fatalf("after the restart a new instance should run 4 cores: %+v", i)
	}
	vm := get(t, ns, "cpu", &kubevirtv1.VirtualMachine{})
	if vm.UID != vmBefore.UID {
		t.Errorf("the VirtualMachine was replaced: UID %s, was %s", vm.UID, vmBefore.UID)
	}
	if dv := get(t, ns, "cpu-root", &cdiv1.DataVolume{}); dv.UID != dvBefore.UID {
		t.Errorf("the DataVolume was replaced: UID %s, was %s", dv.UID, dvBefore.UID)
	}
	if fw := vm.Spec.Template.Spec.Domain.Firmware; !equality.Semantic.DeepEqual(fw, fwBefore) {
		t.Errorf("firmware changed by the update (-before +after):\n%s", diff.Diff(fwBefore, fw))
	}
}

// TestDiskImageChangeKeepsDataVolume changes the image of an imported disk: re-importing would destroy the
// disk's data, so the DataVolume keeps its source and the Wukong reports the difference instead.
func TestDiskImageChangeKeepsDataVolume(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	create(t, newWukong(ns, "img"))
	w := waitPhase(t, ns, "img", vmv1alpha1.WukongRunning)
	before := get(t, ns, "img-root", &cdiv1.DataVolume{})

	mergePatch(t, w, `{"spec":{"disks":[{"name":"root","size":"10Gi","image":"docker://quay.io/containerdisks/fedora:42"}]}}`)
	w = waitFor(t, ns, "img", func(w *vmv1alpha1.Wukong) error {
		return conditionIs(w, vmv1alpha1.WukongDisksUpToDate, metav1.ConditionFalse, vmv1alpha1.ReasonDiskSpecChanged)
	})
	if msg := condition(w, vmv1alpha1.WukongDisksUpToDate).Message; !strings.Contains(msg, "DataVolume img-root") {
		t.Errorf("DisksUpToDate message %q does not name DataVolume img-root", msg)
	}
	dv := get(t, ns, "img-root", &cdiv1.DataVolume{})
	if !equality.Semantic.DeepEqual(dv.Spec, before.Spec) || dv.Generation != before.Generation || dv.UID != before.UID {
		t.Errorf("DataVolume changed (-before +after):\n%s", diff.Diff(before.Spec, dv.Spec))
	}
	if url := dv.Spec.Source.Registry.URL; url == nil || *url != "docker://quay.io/containerdisks/fedora:41" {
		t.Errorf("DataVolume source = %v, want the original image", url)
	}
}

// TestRunStrategyHalted stops the VM through the Wukong and starts it again.
func TestRunStrategyHalted(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	create(t, newWukong(ns, "halt"))
	w := waitPhase(t, ns, "halt", vmv1alpha1.WukongRunning)

	mergePatch(t, w, `{"spec":{"runStrategy":"Halted"}}`)
	w = waitPhase(t, ns, "halt", vmv1alpha1.WukongStopped)
	if i := vmi(t, ns, "halt"); i != nil {
		t.Errorf("an instance exists in phase Stopped: %s", i.Status.Phase)
	}
	if err := conditionIs(w, vmv1alpha1.WukongReady, metav1.ConditionFalse, vmv1alpha1.ReasonStopped); err != nil {
		t.Error(err)
	}
	if w.Status.NodeName != "" || len(w.Status.Networks) != 0 {
		t.Errorf("a stopped VM still reports node %q and networks %v", w.Status.NodeName, w.Status.Networks)
	}
	if rs := get(t, ns, "halt", &kubevirtv1.VirtualMachine{}).Spec.RunStrategy; rs == nil || *rs != kubevirtv1.RunStrategyHalted {
		t.Errorf("VM runStrategy = %v, want Halted", rs)
	}

	mergePatch(t, w, `{"spec":{"runStrategy":"Always"}}`)
	waitPhase(t, ns, "halt", vmv1alpha1.WukongRunning)
}

// TestDeletionCascades deletes a running Wukong with the real garbage collector running: everything it
// owns goes, and the attachment it only references stays.
func TestDeletionCascades(t *testing.T) {
	t.Parallel()
	stop, err := h.StartGarbageCollector()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	ns := namespace(t)
	shared := userAttachment(ns, "shared")
	create(t, shared)
	create(t, secret(ns, "alice-keys", map[string]string{"authorized_keys": secretKey}))
	w := fullWukong(ns, "gone")
	w.Spec.Networks = append(w.Spec.Networks, vmv1alpha1.Network{Name: "ext", NADName: "shared"})
	create(t, w)
	w = waitPhase(t, ns, "gone", vmv1alpha1.WukongRunning)

	if err := h.Client.Delete(context.Background(), w); err != nil {
		t.Fatalf("delete Wukong: %v", err)
	}
	children := []struct {
		name string
		obj  client.Object
	}{
		{"gone", &vmv1alpha1.Wukong{}},
		{"gone", &kubevirtv1.VirtualMachine{}},
		{"gone", &kubevirtv1.VirtualMachineInstance{}},
		{"gone-data", &cdiv1.DataVolume{}},
		{"gone-root", &cdiv1.DataVolume{}},
		{"gone-lan", &nadv1.NetworkAttachmentDefinition{}},
		{"gone-dmz", &nadv1.NetworkAttachmentDefinition{}},
		{"gone-cloudinit", &corev1.Secret{}},
	}
	eventually(t, timeout, func() error {
		var left []string
		for _, c := range children {
			if testenv.Exists(t, h.Client, ns, c.name, c.obj) {
				left = append(left, fmt.Sprintf("%T %s", c.obj, c.name))
			}
		}
		if len(left) > 0 {
			return fmt.Errorf("still there: %v", left)
		}
		return nil
	})
	got := &nadv1.NetworkAttachmentDefinition{}
	if !testenv.Exists(t, h.Client, ns, "shared", got) {
		t.Fatal("the referenced NetworkAttachmentDefinition shared was deleted with the Wukong")
	}
	if got.ResourceVersion != shared.ResourceVersion {
		t.Errorf("the referenced NetworkAttachmentDefinition was modified: resourceVersion %s -> %s", shared.ResourceVersion, got.ResourceVersion)
	}
	if !testenv.Exists(t, h.Client, ns, "alice-keys", &corev1.Secret{}) {
		t.Error("the user's key Secret was deleted with the Wukong")
	}
}

// userAttachment is a NetworkAttachmentDefinition a user made, for networks that reference one by nadName.
func userAttachment(ns, name string) *nadv1.NetworkAttachmentDefinition {
	return &nadv1.NetworkAttachmentDefinition{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: nadv1.NetworkAttachmentDefinitionSpec{
			Config: `{"cniVersion":"0.3.1","name":"` + name + `","type":"bridge","bridge":"br-shared","ipam":{}}`,
		},
	}
}
