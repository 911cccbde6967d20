package wukong

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	nadv1 "github.com/k8snetworkplumbingwg/network-attachment-definition-client/pkg/apis/k8s.cni.cncf.io/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	kubevirtv1 "kubevirt.io/api/core/v1"
	cdiv1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/cloudinit"
	"github.com/novasphere/wukong/internal/multus"
	"github.com/novasphere/wukong/internal/naming"
	"github.com/novasphere/wukong/internal/owner"
)

// inputs is what a Wukong's children are built from besides the Wukong itself (children.Build).
type inputs struct {
	// creds are the cloud-init credentials read from the Secrets the Wukong refers to.
	creds cloudinit.Credentials
	// attachments is what decides where the networks attach besides the Wukong: the attachments its existing
	// VM refers to, which it keeps (moving a VM to another attachment is a template change KubeVirt applies
	// only by a restart), and its set's shared attachments that nothing controls (multus.InUse).
	attachments multus.InUse
}

// attachmentsInUse reads from the cache what decides where the Wukong's networks attach besides the
// Wukong (multus.InUse): its existing VM's attachments, and, for a set member, which of the set's shared
// attachments exist with no controller.
func (r *Reconciler) attachmentsInUse(ctx context.Context, w *vmv1alpha1.Wukong) (multus.InUse, error) {
	var in multus.InUse
	if len(w.Spec.Networks) == 0 {
		return in, nil
	}
	vm := &kubevirtv1.VirtualMachine{}
	switch err := r.Client.Get(ctx, types.NamespacedName{Namespace: w.Namespace, Name: naming.VirtualMachine(w.Name)}, vm); {
	case err == nil:
		in.Refs = multus.VMRefs(w, vm)
	case !apierrors.IsNotFound(err):
		return in, fmt.Errorf("get VirtualMachine %s: %w", w.Name, err)
	}
	set := multus.SetOf(w)
	if set == nil {
		return in, nil
	}
	for _, n := range w.Spec.Networks {
		if n.NADName != "" {
			continue
		}
		name, err := multus.SharedName(set.Name, n)
		if err != nil {
			continue // the builder reports it
		}
		nad := &nadv1.NetworkAttachmentDefinition{}
		switch err := r.Client.Get(ctx, types.NamespacedName{Namespace: w.Namespace, Name: name}, nad); {
		case err == nil:
			if multus.Unowned(nad, set.Name) {
				if in.Unowned == nil {
					in.Unowned = map[string]bool{}
				}
				in.Unowned[name] = true
			}
		case !apierrors.IsNotFound(err):
			return in, fmt.Errorf("get NetworkAttachmentDefinition %s: %w", name, err)
		}
	}
	return in, nil
}

// A set member creates the set's shared attachments with the set as their controller owner and
// blockOwnerDeletion, which OwnerReferencesPermissionEnforcement authorizes as update on the set's
// finalizers.
// +kubebuilder:rbac:groups=vm.novasphere.dev,resources=wukongsets/finalizers,verbs=update

// Default Secret keys when a SecretKeyRef names none.
const (
	defaultPasswordKey = "passwordHash"
)

// readInputs reads everything outside the Wukong its children are built from (children.Build): the Secrets
// the cloud-init user and spec.cloudInit refer to, and the attachments already in use (attachmentsInUse).
// missing names a Secret or key that does not exist (a condition, retried later); err is a failure to read.
func (r *Reconciler) readInputs(ctx context.Context, w *vmv1alpha1.Wukong) (in inputs, missing string, err error) {
	if in.creds, missing, err = r.secretCredentials(ctx, w); err != nil || missing != "" {
		return in, missing, err
	}
	in.attachments, err = r.attachmentsInUse(ctx, w)
	return in, "", err
}

// secretCredentials reads the Secrets the cloud-init user and spec.cloudInit refer to. missing names a Secret
// or key that does not exist; err is a failure to read.
func (r *Reconciler) secretCredentials(ctx context.Context, w *vmv1alpha1.Wukong) (creds cloudinit.Credentials, missing string, err error) {
	if ci := w.Spec.CloudInit; ci != nil && ci.UserData == "" && ci.UserDataSecretRef != nil {
		ref := ci.UserDataSecretRef
		data, missing, err := r.secretData(ctx, w.Namespace, ref.Name)
		if err != nil || missing != "" {
			return creds, missing, err
		}
		// KubeVirt's cloud-init Secrets spell the key both ways (userdata, userData); an empty key takes either.
		keys := []string{ref.Key}
		if ref.Key == "" {
			keys = []string{cloudinit.UserDataKey, "userData"}
		}
		found := false
		for _, k := range keys {
			if v, ok := data[k]; ok {
				creds.UserData, found = string(v), true
				break
			}
		}
		if !found {
			return creds, fmt.Sprintf("key %q of Secret %s (spec.cloudInit.userDataSecretRef)", keys[0], ref.Name), nil
		}
	}
	u := w.Spec.User
	if u == nil {
		return creds, "", nil
	}
	if ref := u.PasswordSecretRef; ref != nil {
		key := ref.Key
		if key == "" {
			key = defaultPasswordKey
		}
		data, missing, err := r.secretData(ctx, w.Namespace, ref.Name)
		if err != nil || missing != "" {
			return creds, missing, err
		}
		hash, ok := data[key]
		if !ok {
			return creds, fmt.Sprintf("key %q of Secret %s (spec.user.passwordSecretRef)", key, ref.Name), nil
		}
		creds.PasswordHash = strings.TrimSpace(string(hash))
	}
	if ref := u.SSHAuthorizedKeysSecretRef; ref != nil {
		data, missing, err := r.secretData(ctx, w.Namespace, ref.Name)
		if err != nil || missing != "" {
			return creds, missing, err
		}
		var values [][]byte
		if ref.Key != "" {
			v, ok := data[ref.Key]
			if !ok {
				return creds, fmt.Sprintf("key %q of Secret %s (spec.user.sshAuthorizedKeysSecretRef)", ref.Key, ref.Name), nil
			}
			values = append(values, v)
		} else {
			for _, k := range slices.Sorted(maps.Keys(data)) {
				values = append(values, data[k])
			}
		}
		for _, v := range values {
			for _, line := range strings.Split(string(v), "\n") {
				if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
					creds.SSHAuthorizedKeys = append(creds.SSHAuthorizedKeys, line)
				}
			}
		}
	}
	return creds, "", nil
}

func (r *Reconciler) secretData(ctx context.Context, namespace, name string) (map[string][]byte, string, error) {
	s := &corev1.Secret{}
	err := r.APIReader.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, s)
	if apierrors.IsNotFound(err) {
		return nil, "Secret " + name, nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("get Secret %s: %w", name, err)
	}
	return s.Data, "", nil
}

// attachmentKey resolves a nadName ("name" or "namespace/name") against the Wukong's namespace.
func attachmentKey(namespace, nadName string) types.NamespacedName {
	if ns, name, ok := strings.Cut(nadName, "/"); ok {
		return types.NamespacedName{Namespace: ns, Name: name}
	}
	return types.NamespacedName{Namespace: namespace, Name: nadName}
}

// reattachRetained gives a member back a disk its set retained when it scaled in (scaleStrategy diskRetention
// Retain): a DataVolume of the desired name, controlled by nobody, labelled retained for the same set and
// index as w. It becomes w's child again, with its data; its source is not rewritten (DisksUpToDate reports a
// difference). Anything else under that name is left alone and reported as a name conflict.
// It returns the DataVolume reattached, nil when there was none to reattach.
func (r *Reconciler) reattachRetained(ctx context.Context, w *vmv1alpha1.Wukong, desired *cdiv1.DataVolume) (*cdiv1.DataVolume, error) {
	dv := &cdiv1.DataVolume{}
	if err := r.Client.Get(ctx, client.ObjectKeyFromObject(desired), dv); err != nil {
		return nil, client.IgnoreNotFound(err)
	}
	set, index := w.Labels[vmv1alpha1.LabelSet], w.Labels[vmv1alpha1.LabelIndex]
	if metav1.GetControllerOf(dv) != nil || dv.Labels[vmv1alpha1.LabelRetained] != "true" || set == "" ||
		dv.Labels[vmv1alpha1.LabelSet] != set || dv.Labels[vmv1alpha1.LabelIndex] != index ||
		dv.Annotations[vmv1alpha1.AnnotationRetainedFrom] == string(w.UID) {
		return nil, nil
	}
	before := dv.DeepCopy()
	delete(dv.Labels, vmv1alpha1.LabelRetained)
	delete(dv.Annotations, vmv1alpha1.AnnotationRetainedFrom)
	dv.OwnerReferences = append(dv.OwnerReferences, owner.Reference(w))
	if err := r.Client.Patch(ctx, dv, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
		return nil, fmt.Errorf("reattach retained DataVolume %s: %w", dv.Name, err)
	}
	if r.Recorder != nil {
		r.Recorder.Eventf(w, dv, corev1.EventTypeNormal, vmv1alpha1.ReasonDiskReattached, "Reattach",
			"reattached retained DataVolume %s with its data", dv.Name)
	}
	return dv, nil
}
