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
	"github.com/novasphere/wukong/internal/cdi"
	"github.com/novasphere/wukong/internal/cloudinit"
	"github.com/novasphere/wukong/internal/kubevirt"
	"github.com/novasphere/wukong/internal/multus"
	"github.com/novasphere/wukong/internal/owner"
)

// children are the desired objects of one Wukong.
type children struct {
	secret      *corev1.Secret
	attachments []*nadv1.NetworkAttachmentDefinition
	dataVolumes []*cdiv1.DataVolume
	vm          *kubevirtv1.VirtualMachine
}

// desiredChildren builds every child with the pure builders.
func desiredChildren(w *vmv1alpha1.Wukong, creds cloudinit.Credentials) (*children, error) {
	var (
		c   children
		err error
	)
	if c.secret, err = cloudinit.Secret(w, creds); err != nil {
		return nil, err
	}
	if c.attachments, err = multus.Attachments(w); err != nil {
		return nil, err
	}
	if c.dataVolumes, err = cdi.DataVolumes(w); err != nil {
		return nil, err
	}
	if c.vm, err = kubevirt.VirtualMachine(w); err != nil {
		return nil, err
	}
	return &c, nil
}

// Default Secret keys when a SecretKeyRef names none.
const (
	defaultPasswordKey = "passwordHash"
)

// credentials reads the Secrets the cloud-init user and spec.cloudInit refer to. missing names a Secret or key
// that does not exist (a condition, retried later); err is a failure to read.
func (r *Reconciler) credentials(ctx context.Context, w *vmv1alpha1.Wukong) (creds cloudinit.Credentials, missing string, err error) {
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
