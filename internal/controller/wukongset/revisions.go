package wukongset

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/novasphere/wukong/internal/owner"
	"github.com/novasphere/wukong/internal/setmember"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
)

// revisions are a set's stored templates by revision hash.
type revisions struct {
	update    string
	templates map[string]vmv1alpha1.WukongTemplateSpec
}

// has reports whether a revision's template is stored.
func (r *revisions) has(hash string) bool {
	_, ok := r.templates[hash]
	return ok
}

// revisionName is the ControllerRevision that stores a revision of a set.
func revisionName(set *vmv1alpha1.WukongSet, hash string) string { return set.Name + "-" + hash }

// syncRevisions stores the current template as a ControllerRevision (reusing an existing one for an equal
// template, with its revision number bumped like Deployment's), prunes revisions beyond
// revisionHistoryLimit that no member uses, and returns every stored template.
func (r *Reconciler) syncRevisions(ctx context.Context, set *vmv1alpha1.WukongSet, inUse map[string]bool) (*revisions, error) {
	var list appsv1.ControllerRevisionList
	if err := r.Client.List(ctx, &list, client.InNamespace(set.Namespace), client.MatchingLabels{vmv1alpha1.LabelSet: set.Name}); err != nil {
		return nil, fmt.Errorf("list revisions of WukongSet %s: %w", set.Name, err)
	}
	update := setmember.Revision(set)
	revs := &revisions{update: update, templates: map[string]vmv1alpha1.WukongTemplateSpec{update: set.Spec.Template}}
	var owned []appsv1.ControllerRevision
	var highest int64
	var current *appsv1.ControllerRevision
	for i := range list.Items {
		cr := &list.Items[i]
		if ref := metav1.GetControllerOf(cr); ref == nil || ref.UID != set.UID {
			continue
		}
		owned = append(owned, *cr)
		highest = max(highest, cr.Revision)
		hash := cr.Labels[vmv1alpha1.LabelRevision]
		var t vmv1alpha1.WukongTemplateSpec
		if err := json.Unmarshal(cr.Data.Raw, &t); err == nil {
			revs.templates[hash] = t
		}
		if hash == update {
			current = cr
		}
	}
	switch {
	case current == nil:
		raw, err := canonicalJSON(set.Spec.Template)
		if err != nil {
			return nil, err
		}
		cr := &appsv1.ControllerRevision{
			ObjectMeta: metav1.ObjectMeta{
				Name: revisionName(set, update), Namespace: set.Namespace,
				Labels:          map[string]string{vmv1alpha1.LabelSet: set.Name, vmv1alpha1.LabelRevision: update},
				OwnerReferences: []metav1.OwnerReference{owner.SetReference(set)},
			},
			Data:     runtime.RawExtension{Raw: raw},
			Revision: highest + 1,
		}
		if err := r.Client.Create(ctx, cr); err != nil && !apierrors.IsAlreadyExists(err) {
			return nil, fmt.Errorf("create ControllerRevision %s: %w", cr.Name, err)
		}
		owned = append(owned, *cr)
	case current.Revision < highest:
		// An old template put back: it becomes the newest revision again.
		patch := client.MergeFrom(current.DeepCopy())
		current.Revision = highest + 1
		if err := r.Client.Patch(ctx, current, patch); err != nil {
			return nil, fmt.Errorf("bump ControllerRevision %s: %w", current.Name, err)
		}
	}
	return revs, r.pruneRevisions(ctx, set, owned, update, inUse)
}

// canonicalJSON encodes v with sorted object keys. A ControllerRevision's data is immutable and compared
// byte for byte: any patch of the object (the garbage collector's orphaning, a revision bump) re-encodes it
// through a generic map, which sorts keys, and would otherwise be refused as a change of data.
func canonicalJSON(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var generic any
	if err := json.Unmarshal(raw, &generic); err != nil {
		return nil, err
	}
	return json.Marshal(generic)
}

func (r *Reconciler) pruneRevisions(ctx context.Context, set *vmv1alpha1.WukongSet, owned []appsv1.ControllerRevision, update string, inUse map[string]bool) error {
	limit := 10
	if set.Spec.RevisionHistoryLimit != nil {
		limit = int(*set.Spec.RevisionHistoryLimit)
	}
	var old []appsv1.ControllerRevision
	for _, cr := range owned {
		hash := cr.Labels[vmv1alpha1.LabelRevision]
		if hash != update && !inUse[hash] && hash != set.Status.CurrentRevision {
			old = append(old, cr)
		}
	}
	if len(old) <= limit {
		return nil
	}
	sort.Slice(old, func(i, j int) bool { return old[i].Revision < old[j].Revision })
	for _, cr := range old[:len(old)-limit] {
		if err := r.Client.Delete(ctx, &cr, client.Preconditions{UID: &cr.UID}); err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			return fmt.Errorf("prune ControllerRevision %s: %w", cr.Name, err)
		}
	}
	return nil
}

// rollback puts the template of the revision named by the rollback annotation back into the set's spec and
// removes the annotation. It reports whether it changed the set (the update starts a new reconcile).
func (r *Reconciler) rollback(ctx context.Context, set *vmv1alpha1.WukongSet) (bool, error) {
	to, ok := set.Annotations[vmv1alpha1.AnnotationRollbackTo]
	if !ok {
		return false, nil
	}
	hash := strings.TrimPrefix(to, set.Name+"-")
	cr := &appsv1.ControllerRevision{}
	err := r.Client.Get(ctx, client.ObjectKey{Namespace: set.Namespace, Name: revisionName(set, hash)}, cr)
	updated := set.DeepCopy()
	delete(updated.Annotations, vmv1alpha1.AnnotationRollbackTo)
	switch {
	case err == nil:
		var t vmv1alpha1.WukongTemplateSpec
		if err := json.Unmarshal(cr.Data.Raw, &t); err != nil {
			return false, fmt.Errorf("decode ControllerRevision %s: %w", cr.Name, err)
		}
		updated.Spec.Template = t
		r.event(set, "Normal", "RolledBack", "Rollback", "rolled the template back to revision %s", hash)
	case apierrors.IsNotFound(err):
		r.event(set, "Warning", "RollbackFailed", "Rollback", "revision %q not found; see kubectl get controllerrevisions -l %s=%s", to, vmv1alpha1.LabelSet, set.Name)
	default:
		return false, fmt.Errorf("get ControllerRevision %s: %w", revisionName(set, hash), err)
	}
	if err := r.Client.Update(ctx, updated); err != nil {
		return false, fmt.Errorf("roll back WukongSet %s: %w", set.Name, err)
	}
	return true, nil
}
