package wukong_test

import (
	"fmt"
	"strings"
	"testing"

	nadv1 "github.com/k8snetworkplumbingwg/network-attachment-definition-client/pkg/apis/k8s.cni.cncf.io/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/diff"
	kubevirtv1 "kubevirt.io/api/core/v1"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/test/sim"
	"github.com/novasphere/wukong/test/testenv"
)

// TestImportFailure injects CDI's importer error through the simulator: the Wukong fails with CDI's own
// message (the user must see why, not just that), warns, and recovers once the import can succeed.
func TestImportFailure(t *testing.T) {
	t.Parallel()
	const cdiMessage = "404 Not Found: image missing"
	ns := namespace(t)
	w := newWukong(ns, "broken")
	w.Annotations = map[string]string{sim.AnnotationImportError: cdiMessage}
	create(t, w)

	w = waitFor(t, ns, "broken", func(w *vmv1alpha1.Wukong) error {
		if err := phaseIs(vmv1alpha1.WukongFailed)(w); err != nil {
			return err
		}
		return conditionIs(w, vmv1alpha1.WukongReady, metav1.ConditionFalse, vmv1alpha1.ReasonImportFailed)
	})
	if msg := condition(w, vmv1alpha1.WukongReady).Message; !strings.Contains(msg, cdiMessage) || !strings.Contains(msg, "broken-root") {
		t.Errorf("Ready message %q should name DataVolume broken-root and carry CDI's message %q", msg, cdiMessage)
	}
	if err := conditionIs(w, vmv1alpha1.WukongDisksReady, metav1.ConditionFalse, vmv1alpha1.ReasonImportFailed); err != nil {
		t.Error(err)
	}
	if len(w.Status.Volumes) != 1 || w.Status.Volumes[0].Phase != "Failed" {
		t.Errorf("volumes = %+v, want broken-root Failed", w.Status.Volumes)
	}
	if i := vmi(t, ns, "broken"); i != nil {
		t.Errorf("an instance was started on a failed disk: %s", i.Status.Phase)
	}
	waitEvent(t, ns, "broken", corev1.EventTypeWarning, vmv1alpha1.ReasonImportFailed, cdiMessage)

	annotate(t, w, sim.AnnotationImportError, nil)
	w = waitPhase(t, ns, "broken", vmv1alpha1.WukongRunning)
	if err := conditionIs(w, vmv1alpha1.WukongDisksReady, metav1.ConditionTrue, vmv1alpha1.ReasonDisksReady); err != nil {
		t.Error(err)
	}
}

// TestReferencedAttachment attaches a NetworkAttachmentDefinition the user manages. Until it exists the
// Wukong says so and the VM cannot start; once created the Wukong notices without any change of its own, the
// VM runs, and the operator never writes to the attachment.
func TestReferencedAttachment(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	w := newWukong(ns, "ref")
	w.Spec.Networks = []vmv1alpha1.Network{{Name: "ext", NADName: "shared-net"}}
	create(t, w)

	// Without the attachment virt-controller cannot render the launcher pod, so the instance stays Pending
	// with Synchronized=False (the simulator does as KubeVirt does). Wait until both the operator and the
	// simulator have said so, so that only the attachment's creation moves anything below.
	w = waitFor(t, ns, "ref", func(w *vmv1alpha1.Wukong) error {
		if err := conditionIs(w, vmv1alpha1.WukongNetworksReady, metav1.ConditionFalse, vmv1alpha1.ReasonAttachmentNotFound); err != nil {
			return err
		}
		i := vmi(t, ns, "ref")
		if i == nil {
			return fmt.Errorf("no instance yet")
		}
		for _, c := range i.Status.Conditions {
			if c.Type == kubevirtv1.VirtualMachineInstanceSynchronized && c.Status == corev1.ConditionFalse {
				return nil
			}
		}
		return fmt.Errorf("instance is %s with conditions %+v, want Synchronized=False for the missing attachment",
			i.Status.Phase, i.Status.Conditions)
	})
	if i := vmi(t, ns, "ref"); i.Status.Phase != kubevirtv1.Pending {
		t.Errorf("instance is %s without its attachment, want Pending", i.Status.Phase)
	}
	if w.Status.Phase == vmv1alpha1.WukongRunning {
		t.Errorf("Wukong is Running while its instance cannot start; conditions %s", conditionsString(w))
	}
	if msg := condition(w, vmv1alpha1.WukongNetworksReady).Message; !strings.Contains(msg, ns+"/shared-net") {
		t.Errorf("NetworksReady message %q does not name %s/shared-net", msg, ns)
	}

	nad := userAttachment(ns, "shared-net")
	create(t, nad)
	waitFor(t, ns, "ref", func(w *vmv1alpha1.Wukong) error {
		if err := conditionIs(w, vmv1alpha1.WukongNetworksReady, metav1.ConditionTrue, vmv1alpha1.ReasonAttachmentsReady); err != nil {
			return err
		}
		return phaseIs(vmv1alpha1.WukongRunning)(w)
	})
	waitSettled(t, ns, "ref")

	got := get(t, ns, "shared-net", &nadv1.NetworkAttachmentDefinition{})
	if got.ResourceVersion != nad.ResourceVersion {
		t.Errorf("the referenced attachment was written: resourceVersion %s -> %s (labels %v, owners %v)",
			nad.ResourceVersion, got.ResourceVersion, got.Labels, got.OwnerReferences)
	}
	if testenv.Exists(t, h.Client, ns, "ref-ext", &nadv1.NetworkAttachmentDefinition{}) {
		t.Error("an attachment ref-ext was created for a network that names an existing one")
	}
	vm := get(t, ns, "ref", &kubevirtv1.VirtualMachine{})
	var multus []string
	for _, n := range vm.Spec.Template.Spec.Networks {
		if n.Multus != nil {
			multus = append(multus, n.Multus.NetworkName)
		}
	}
	if len(multus) != 1 || multus[0] != ns+"/shared-net" {
		t.Errorf("VM multus networks = %v, want [%s/shared-net]", multus, ns)
	}
}

// TestMissingPasswordSecret refers to a password Secret that does not exist yet: the Wukong waits in
// Pending without creating a VM (it would boot without the user's password), then proceeds once it exists.
func TestMissingPasswordSecret(t *testing.T) {
	t.Parallel()
	const hash = "$6$fromsecret$Zq1W2e3R4t5Y6u7I8o9P0aSdFgHjKl"
	ns := namespace(t)
	w := newWukong(ns, "pw")
	w.Spec.User = &vmv1alpha1.CloudInitUser{Name: "alice", PasswordSecretRef: &vmv1alpha1.SecretKeyRef{Name: "alice-pw"}}
	create(t, w)

	w = waitFor(t, ns, "pw", func(w *vmv1alpha1.Wukong) error {
		if err := phaseIs(vmv1alpha1.WukongPending)(w); err != nil {
			return err
		}
		return conditionIs(w, vmv1alpha1.WukongReady, metav1.ConditionFalse, vmv1alpha1.ReasonSecretNotFound)
	})
	if msg := condition(w, vmv1alpha1.WukongReady).Message; !strings.Contains(msg, "alice-pw") {
		t.Errorf("Ready message %q does not name Secret alice-pw", msg)
	}
	if testenv.Exists(t, h.Client, ns, "pw", &kubevirtv1.VirtualMachine{}) {
		t.Error("a VirtualMachine was created while the password Secret is missing")
	}
	waitEvent(t, ns, "pw", corev1.EventTypeWarning, vmv1alpha1.ReasonSecretNotFound, "alice-pw")

	create(t, secret(ns, "alice-pw", map[string]string{"passwordHash": hash + "\n"}))
	// Users' Secrets are not watched (the operator caches only its own); the controller looks again after
	// 30 s. A change of the Wukong makes it look at once, which keeps the test short.
	annotate(t, w, "test.novasphere.dev/poke", new("secret-created"))
	waitPhase(t, ns, "pw", vmv1alpha1.WukongRunning)
	if ud := string(get(t, ns, "pw-cloudinit", &corev1.Secret{}).Data["userdata"]); !strings.Contains(ud, "passwd: "+hash+"\n") {
		t.Errorf("user data lacks the hash from the Secret (trimmed):\n%s", ud)
	}
}

// TestNameConflict pre-creates a VirtualMachine with the Wukong's name that someone else manages: the
// operator must neither adopt nor overwrite it.
func TestNameConflict(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	foreign := &kubevirtv1.VirtualMachine{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "taken", Labels: map[string]string{"owner": "someone-else"}},
		Spec: kubevirtv1.VirtualMachineSpec{
			RunStrategy: new(kubevirtv1.RunStrategyHalted),
			Template: &kubevirtv1.VirtualMachineInstanceTemplateSpec{Spec: kubevirtv1.VirtualMachineInstanceSpec{
				Domain: kubevirtv1.DomainSpec{
					CPU:    &kubevirtv1.CPU{Cores: 1},
					Memory: &kubevirtv1.Memory{Guest: new(resource.MustParse("512Mi"))},
				},
			}},
		},
	}
	create(t, foreign)
	create(t, newWukong(ns, "taken"))

	w := waitFor(t, ns, "taken", func(w *vmv1alpha1.Wukong) error {
		if err := phaseIs(vmv1alpha1.WukongFailed)(w); err != nil {
			return err
		}
		return conditionIs(w, vmv1alpha1.WukongReady, metav1.ConditionFalse, vmv1alpha1.ReasonNameConflict)
	})
	if msg := condition(w, vmv1alpha1.WukongReady).Message; !strings.Contains(msg, "VirtualMachine taken") {
		t.Errorf("Ready message %q does not name VirtualMachine taken", msg)
	}
	waitEvent(t, ns, "taken", corev1.EventTypeWarning, vmv1alpha1.ReasonNameConflict, "VirtualMachine taken")

	// The simulator writes the VM's status, so resourceVersion moves; everything a user owns must not.
	vm := get(t, ns, "taken", &kubevirtv1.VirtualMachine{})
	if vm.Generation != foreign.Generation || !equality.Semantic.DeepEqual(vm.Spec, foreign.Spec) {
		t.Errorf("the foreign VM's spec changed (generation %d -> %d):\n%s", foreign.Generation, vm.Generation, diff.Diff(foreign.Spec, vm.Spec))
	}
	if !equality.Semantic.DeepEqual(vm.Labels, foreign.Labels) || len(vm.Annotations) != 0 || len(vm.OwnerReferences) != 0 {
		t.Errorf("the foreign VM's metadata changed: labels %v annotations %v owners %v", vm.Labels, vm.Annotations, vm.OwnerReferences)
	}
	if w.Status.VMName != "" {
		t.Errorf("status.vmName = %q, want empty: the VM is not the Wukong's", w.Status.VMName)
	}
}
