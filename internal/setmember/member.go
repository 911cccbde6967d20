// Package setmember renders a WukongSet's members: the one place a member's name, labels, owner and spec are
// decided from the set's template, with the set's selector, template revision and spec defaults beside it.
// It is pure: the WukongSet controller, its admission webhook, `wukong render` and the offline checks all
// render through it, and none of them needs the controller to do so.
package setmember

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/cdi"
	"github.com/novasphere/wukong/internal/naming"
	"github.com/novasphere/wukong/internal/owner"
	"github.com/novasphere/wukong/internal/template"
)

// Renderer turns a set's template into members. It is the one place a member's name, labels and owner are
// decided.
type Renderer struct {
	Engine *template.Engine
}

// Member renders the member at index from a template (the set's current one, or a stored revision's): the
// template with every variable expanded, plus the labels that tie it to the set (the selector's
// matchLabels, the set, index and revision labels, and the surge label for a temporary rollout member) and a
// controller reference.
//
// With imagePolicy ImportOnce, disks that import an image clone the set's golden volume of that image instead
// (see useGoldens).
func (r *Renderer) Member(set *vmv1alpha1.WukongSet, tmpl vmv1alpha1.WukongTemplateSpec, index int, revision string, surge bool) (*vmv1alpha1.Wukong, error) {
	m, _, err := r.MemberAndGoldens(set, tmpl, index, revision, surge)
	return m, err
}

// MemberAndGoldens is Member that also returns the golden volumes the member's disks clone.
func (r *Renderer) MemberAndGoldens(set *vmv1alpha1.WukongSet, tmpl vmv1alpha1.WukongTemplateSpec, index int, revision string, surge bool) (*vmv1alpha1.Wukong, []cdi.Golden, error) {
	name := naming.Member(set.Name, index)
	t, err := r.Engine.Render(tmpl, template.Vars{
		Index: int64(index), Name: name, Set: set.Name, Namespace: set.Namespace, Replicas: int64(Replicas(set)),
	})
	if err != nil {
		return nil, nil, fmt.Errorf("member %s (index %d): %w", name, index, err)
	}
	goldens := UseGoldens(set, &t.Spec)
	lbls := vmv1alpha1.StringMap(t.Metadata.Labels)
	if lbls == nil {
		lbls = map[string]string{}
	}
	if set.Spec.Selector != nil {
		for k, v := range set.Spec.Selector.MatchLabels {
			lbls[k] = string(v)
		}
	}
	lbls[vmv1alpha1.LabelSet] = set.Name
	lbls[vmv1alpha1.LabelIndex] = strconv.Itoa(index)
	lbls[vmv1alpha1.LabelRevision] = revision
	if surge {
		lbls[vmv1alpha1.LabelSurge] = "true"
	}
	annotations := vmv1alpha1.StringMap(t.Metadata.Annotations)
	if set.Spec.ScaleStrategy != nil && slices.Contains(set.Spec.ScaleStrategy.MembersToDelete, name) {
		if annotations == nil {
			annotations = map[string]string{}
		}
		annotations[vmv1alpha1.AnnotationDeleteList] = DeleteListHash(set)
	}
	return &vmv1alpha1.Wukong{
		TypeMeta: metav1.TypeMeta{APIVersion: vmv1alpha1.GroupVersion.String(), Kind: "Wukong"},
		ObjectMeta: metav1.ObjectMeta{
			Name:            name,
			Namespace:       set.Namespace,
			Labels:          lbls,
			Annotations:     annotations,
			OwnerReferences: []metav1.OwnerReference{owner.SetReference(set)},
		},
		Spec: t.Spec,
	}, goldens, nil
}

// DeleteListHash identifies a set's membersToDelete list.
func DeleteListHash(set *vmv1alpha1.WukongSet) string {
	if set.Spec.ScaleStrategy == nil || len(set.Spec.ScaleStrategy.MembersToDelete) == 0 {
		return ""
	}
	list := slices.Sorted(slices.Values(set.Spec.ScaleStrategy.MembersToDelete))
	sum := sha256.Sum256([]byte(strings.Join(list, ",")))
	return hex.EncodeToString(sum[:])[:10]
}

// Selector is the members' selector: the set's own, or the set label when it has none. Members always
// carry both, so either finds them.
func Selector(set *vmv1alpha1.WukongSet) (labels.Selector, error) {
	if set.Spec.Selector == nil {
		return labels.SelectorFromSet(labels.Set{vmv1alpha1.LabelSet: set.Name}), nil
	}
	return metav1.LabelSelectorAsSelector(set.Spec.Selector.AsMetav1())
}

// Revision names the template: a short hash of its JSON form, so equal templates share a revision.
func Revision(set *vmv1alpha1.WukongSet) string {
	raw, err := json.Marshal(set.Spec.Template)
	if err != nil {
		// A template that came from the apiserver always marshals.
		panic(err)
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])[:10]
}

// Replicas is the set's spec.replicas with its default, 1.
func Replicas(set *vmv1alpha1.WukongSet) int {
	if set.Spec.Replicas == nil {
		return 1
	}
	return int(*set.Spec.Replicas)
}

// ImagePolicy is the set's spec.imagePolicy with its default, ImportPerMember.
func ImagePolicy(set *vmv1alpha1.WukongSet) vmv1alpha1.ImagePolicy {
	if set.Spec.ImagePolicy == "" {
		return vmv1alpha1.ImagePolicyImportPerMember
	}
	return set.Spec.ImagePolicy
}

// UseGoldens points a rendered member's imported disks at the set's golden volumes when the set imports
// once: image docker://… or http(s)://… becomes pvc://<namespace>/<golden>, which the member's controller
// turns into a DataVolume cloning the golden volume. It returns the golden volumes the member needs. Under
// ImportPerMember it changes nothing.
func UseGoldens(set *vmv1alpha1.WukongSet, spec *vmv1alpha1.WukongSpec) []cdi.Golden {
	if ImagePolicy(set) != vmv1alpha1.ImagePolicyImportOnce {
		return nil
	}
	var out []cdi.Golden
	for i := range spec.Disks {
		d := &spec.Disks[i]
		if !cdi.IsImport(*d) {
			continue
		}
		g := cdi.GoldenFor(set.Name, *d)
		d.Image = cdi.GoldenImage(set.Namespace, g.Name)
		out = append(out, g)
	}
	return out
}

// Budget turns maxSurge and maxUnavailable into numbers the way Deployment does: surge rounds up,
// unavailable rounds down, and when both come to zero, one member may be unavailable so the rollout can move.
// Defaults: maxUnavailable 1, maxSurge 0.
func Budget(set *vmv1alpha1.WukongSet) (surge, unavailable int) {
	u, s := intstr.FromInt32(1), intstr.FromInt32(0)
	if us := set.Spec.UpdateStrategy; us != nil {
		if us.MaxUnavailable != nil {
			u = *us.MaxUnavailable
		}
		if us.MaxSurge != nil {
			s = *us.MaxSurge
		}
		if ru := us.RollingUpdate; ru != nil {
			if ru.MaxUnavailable != nil {
				u = *ru.MaxUnavailable
			}
			if ru.MaxSurge != nil {
				s = *ru.MaxSurge
			}
		}
	}
	n := Replicas(set)
	surge, _ = intstr.GetScaledValueFromIntOrPercent(&s, n, true)
	unavailable, _ = intstr.GetScaledValueFromIntOrPercent(&u, n, false)
	if surge == 0 && unavailable == 0 {
		unavailable = 1
	}
	return surge, unavailable
}

// Partition is spec.updateStrategy.rollingUpdate.partition, default 0: members below it keep their revision.
func Partition(set *vmv1alpha1.WukongSet) int {
	if us := set.Spec.UpdateStrategy; us != nil && us.RollingUpdate != nil && us.RollingUpdate.Partition != nil {
		return int(*us.RollingUpdate.Partition)
	}
	return 0
}

// MaxConcurrentCreates is how many members the set creates at once: spec.scaleStrategy.maxConcurrentCreates,
// else fallback (the manager's --max-concurrent-creates), at least 1.
func MaxConcurrentCreates(set *vmv1alpha1.WukongSet, fallback int) int {
	n := fallback
	if s := set.Spec.ScaleStrategy; s != nil && s.MaxConcurrentCreates != nil {
		n = int(*s.MaxConcurrentCreates)
	}
	return max(n, 1)
}
