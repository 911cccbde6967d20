package wukongset_test

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/cloudinit"
	"github.com/novasphere/wukong/internal/naming"
	"github.com/novasphere/wukong/internal/webhook"
)

func members(ctx context.Context, t *testing.T, set *vmv1alpha1.WukongSet) []vmv1alpha1.Wukong {
	t.Helper()
	var list vmv1alpha1.WukongList
	if err := h.Client.List(ctx, &list, client.InNamespace(set.Namespace), client.MatchingLabels{vmv1alpha1.LabelSet: set.Name}); err != nil {
		t.Fatal(err)
	}
	sort.Slice(list.Items, func(i, j int) bool { return list.Items[i].Name < list.Items[j].Name })
	return list.Items
}

func names(ws []vmv1alpha1.Wukong) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.Name)
	}
	sort.Strings(out)
	return out
}

// waitReady waits until the set reports want ready and available members and exactly want exist.
func waitReady(t *testing.T, set *vmv1alpha1.WukongSet, want int32) {
	t.Helper()
	eventually(t, 90*time.Second, func() error {
		got := &vmv1alpha1.WukongSet{}
		if err := h.Client.Get(context.Background(), client.ObjectKeyFromObject(set), got); err != nil {
			return err
		}
		s := got.Status
		if s.ObservedGeneration != got.Generation || s.Replicas != want || s.ReadyReplicas != want || s.AvailableReplicas != want {
			return fmt.Errorf("status %+v, want %d ready", s, want)
		}
		return nil
	})
}

// TestDesignExampleBasic applies example 6.1 as written: five members web-servers-0 … 4, all Ready.
func TestDesignExampleBasic(t *testing.T) {
	ctx := t.Context()
	set := sample(t, "vm_v1alpha1_wukongset_basic.yaml", namespace(t, "basic"))
	if err := h.Client.Create(ctx, set); err != nil {
		t.Fatal(err)
	}
	waitReady(t, set, 5)
	ms := members(ctx, t, set)
	want := []string{"web-servers-0", "web-servers-1", "web-servers-2", "web-servers-3", "web-servers-4"}
	if got := names(ms); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("members %v, want %v", got, want)
	}
	for i, m := range ms {
		if m.Status.Phase != vmv1alpha1.WukongRunning {
			t.Errorf("%s phase %s", m.Name, m.Status.Phase)
		}
		if m.Labels["app"] != "web-server" || m.Labels[vmv1alpha1.LabelIndex] != fmt.Sprint(i) {
			t.Errorf("%s labels %v", m.Name, m.Labels)
		}
		ref := metav1.GetControllerOf(&m)
		if ref == nil || ref.Kind != "WukongSet" || ref.Name != set.Name {
			t.Errorf("%s controller %v", m.Name, ref)
		}
	}
	got := &vmv1alpha1.WukongSet{}
	if err := h.Client.Get(ctx, client.ObjectKeyFromObject(set), got); err != nil {
		t.Fatal(err)
	}
	if got.Status.LabelSelector != vmv1alpha1.LabelSet+"=web-servers" {
		t.Errorf("labelSelector %q", got.Status.LabelSelector)
	}
	for _, c := range []string{vmv1alpha1.SetAvailable, vmv1alpha1.SetProgressing} {
		if !meta.IsStatusConditionTrue(got.Status.Conditions, c) {
			t.Errorf("condition %s not True: %+v", c, got.Status.Conditions)
		}
	}
	if meta.IsStatusConditionTrue(got.Status.Conditions, vmv1alpha1.SetReplicaFailure) {
		t.Errorf("ReplicaFailure True: %+v", got.Status.Conditions)
	}
}

// TestDesignExampleVariables applies example 6.3: per-index labels and addresses, in the members and in
// each VM's cloud-init network data.
func TestDesignExampleVariables(t *testing.T) {
	ctx := t.Context()
	set := sample(t, "vm_v1alpha1_wukongset_variables.yaml", namespace(t, "variables"))
	if err := h.Client.Create(ctx, set); err != nil {
		t.Fatal(err)
	}
	waitReady(t, set, 3)
	for i, m := range members(ctx, t, set) {
		if got := m.Labels["node-index"]; got != fmt.Sprint(i) {
			t.Errorf("%s node-index %q, want %d", m.Name, got, i)
		}
		addr := fmt.Sprintf("192.168.1.%d/24", 100+i)
		if got := m.Spec.Networks[0].IPConfig.Address; got != addr {
			t.Errorf("%s address %q, want %q", m.Name, got, addr)
		}
		secret := &corev1.Secret{}
		if err := h.Client.Get(ctx, client.ObjectKey{Namespace: m.Namespace, Name: naming.CloudInitSecret(m.Name)}, secret); err != nil {
			t.Fatal(err)
		}
		if nd := string(secret.Data[cloudinit.NetworkDataKey]); !strings.Contains(nd, addr) {
			t.Errorf("%s network data lacks %s:\n%s", m.Name, addr, nd)
		}
		if m.Status.IP != fmt.Sprintf("192.168.1.%d", 100+i) {
			t.Errorf("%s reported IP %q", m.Name, m.Status.IP)
		}
	}
}

// TestScaleSubresource scales with kubectl and through /scale, and checks an HPA may target a set.
func TestScaleSubresource(t *testing.T) {
	ctx := t.Context()
	ns := namespace(t, "scale")
	set := sample(t, "vm_v1alpha1_wukongset_basic.yaml", ns)
	set.Spec.Replicas = ptr.To[int32](3)
	if err := h.Client.Create(ctx, set); err != nil {
		t.Fatal(err)
	}
	waitReady(t, set, 3)

	out, err := exec.Command(filepath.Join(h.Assets, "kubectl"), "--kubeconfig", h.Kubeconfig, "-n", ns,
		"scale", "wukongset/web-servers", "--replicas=2").CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl scale: %v: %s", err, out)
	}
	waitReady(t, set, 2)
	eventually(t, 30*time.Second, func() error {
		if got := names(members(ctx, t, set)); strings.Join(got, ",") != "web-servers-0,web-servers-1" {
			return fmt.Errorf("after scale to 2: %v (the highest index goes first)", got)
		}
		return nil
	})

	s := &vmv1alpha1.WukongSet{}
	if err := h.Client.Get(ctx, client.ObjectKeyFromObject(set), s); err != nil {
		t.Fatal(err)
	}
	scaleObj := &autoscalingv1.Scale{}
	if err := h.Client.SubResource("scale").Get(ctx, s, scaleObj); err != nil {
		t.Fatal(err)
	}
	if scaleObj.Spec.Replicas != 2 || scaleObj.Status.Selector != vmv1alpha1.LabelSet+"=web-servers" {
		t.Fatalf("/scale reads %+v", scaleObj)
	}
	// The scale subresource carries the set's resourceVersion, so a status write in between is a conflict:
	// read it again and retry, as kubectl scale does.
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := h.Client.SubResource("scale").Get(ctx, s, scaleObj); err != nil {
			return err
		}
		scaleObj.Spec.Replicas = 4
		return h.Client.SubResource("scale").Update(ctx, s, client.WithSubResourceBody(scaleObj))
	})
	if err != nil {
		t.Fatal(err)
	}
	waitReady(t, set, 4)

	hpa := &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: vmv1alpha1.GroupVersion.String(), Kind: "WukongSet", Name: set.Name},
			MinReplicas:    ptr.To[int32](2),
			MaxReplicas:    10,
			Metrics: []autoscalingv2.MetricSpec{{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
				Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr.To[int32](70)},
			}}},
		},
	}
	if err := h.Client.Create(ctx, hpa); err != nil {
		t.Fatalf("HPA targeting a WukongSet rejected: %v", err)
	}
}

// TestInvalidMemberBlocksCreation: one index renders to an invalid address, so nothing is created and the
// set says which member, which field and why.
func TestInvalidMemberBlocksCreation(t *testing.T) {
	ctx := t.Context()
	ns := namespace(t, "invalid")
	// The admission webhook would refuse the set; a namespace exempt from it stores the set as one created
	// before the webhook was installed, which the controller must still refuse to build.
	nsObj := &corev1.Namespace{}
	if err := h.Client.Get(ctx, client.ObjectKey{Name: ns}, nsObj); err != nil {
		t.Fatal(err)
	}
	nsObj.Labels[webhook.LabelDisableValidation] = "true"
	if err := h.Client.Update(ctx, nsObj); err != nil {
		t.Fatal(err)
	}
	set := sample(t, "vm_v1alpha1_wukongset_variables.yaml", ns)
	set.Spec.Template.Spec.Networks[0].IPConfig.Address = "10.0.0.${INDEX+254}/24" // index 2 → 10.0.0.256
	if err := h.Client.Create(ctx, set); err != nil {
		t.Fatal(err)
	}
	var cond *metav1.Condition
	eventually(t, 30*time.Second, func() error {
		got := &vmv1alpha1.WukongSet{}
		if err := h.Client.Get(ctx, client.ObjectKeyFromObject(set), got); err != nil {
			return err
		}
		cond = meta.FindStatusCondition(got.Status.Conditions, vmv1alpha1.SetReplicaFailure)
		if cond == nil || cond.Status != metav1.ConditionTrue {
			return fmt.Errorf("no ReplicaFailure yet: %+v", got.Status.Conditions)
		}
		return nil
	})
	for _, want := range []string{"cluster-nodes-2", "spec.networks[0].ipConfig.address", "prefix length"} {
		if !strings.Contains(cond.Message, want) {
			t.Errorf("ReplicaFailure message %q lacks %q", cond.Message, want)
		}
	}
	if cond.Reason != "InvalidTemplate" {
		t.Errorf("reason %s", cond.Reason)
	}
	time.Sleep(time.Second) // give a wrong implementation time to create members
	if ms := members(ctx, t, set); len(ms) != 0 {
		t.Fatalf("%d members created from an invalid template", len(ms))
	}
	eventually(t, 10*time.Second, func() error { return warningEvent(ctx, ns, "InvalidTemplate") })

	// Fixing the template creates all members.
	updateSet(t, set, func(s *vmv1alpha1.WukongSet) {
		s.Spec.Template.Spec.Networks[0].IPConfig.Address = "10.0.0.${INDEX+10}/24"
	})
	waitReady(t, set, 3)
}

func warningEvent(ctx context.Context, ns, reason string) error {
	var list corev1.EventList
	if err := h.Client.List(ctx, &list, client.InNamespace(ns)); err != nil {
		return err
	}
	for _, e := range list.Items {
		if e.Type == corev1.EventTypeWarning && e.Reason == reason {
			return nil
		}
	}
	return fmt.Errorf("no Warning event %s among %d events", reason, len(list.Items))
}
