package wukongset_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/novasphere/wukong/internal/webhook"
)

// memberDryRuns reads the apiserver's own count of dry-run Wukong creates (apiserver_request_total with
// dry_run="All"): the apiserver's figure, not the client's.
func memberDryRuns(t *testing.T) float64 {
	t.Helper()
	cs, err := kubernetes.NewForConfig(h.Config)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := cs.RESTClient().Get().AbsPath("/metrics").DoRaw(context.Background())
	if err != nil {
		t.Fatalf("scrape apiserver metrics: %v", err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	var n float64
	for _, m := range families["apiserver_request_total"].GetMetric() {
		l := map[string]string{}
		for _, p := range m.GetLabel() {
			l[p.GetName()] = p.GetValue()
		}
		if l["dry_run"] != "" && l["verb"] == "POST" && l["resource"] == "wukongs" {
			n += m.GetCounter().GetValue()
		}
	}
	return n
}

// exemptFromAdmission labels a namespace so the set's admission webhook lets any set through, as for a set
// stored before the webhook was installed: the controller must still refuse to build an invalid one.
func exemptFromAdmission(t *testing.T, ns string) {
	t.Helper()
	ctx := t.Context()
	nsObj := &corev1.Namespace{}
	if err := h.Client.Get(ctx, client.ObjectKey{Name: ns}, nsObj); err != nil {
		t.Fatal(err)
	}
	nsObj.Labels[webhook.LabelDisableValidation] = "true"
	if err := h.Client.Update(ctx, nsObj); err != nil {
		t.Fatal(err)
	}
}

// TestInvalidFromIndex5CreatesNothing: the template renders an address the Wukong CRD refuses from index 5
// on. The controller's offline check finds it before anything is sent — no member is created and no dry run
// is made — and the set names the member, its index and the field.
func TestInvalidFromIndex5CreatesNothing(t *testing.T) {
	ctx := t.Context()
	ns := namespace(t, "invalid5")
	exemptFromAdmission(t, ns)
	set := sample(t, "vm_v1alpha1_wukongset_variables.yaml", ns)
	set.Spec.Replicas = ptr.To[int32](10)
	set.Spec.Template.Spec.Networks[0].IPConfig.Address = "10.0.0.${INDEX < 5 ? INDEX + 10 : INDEX + 300}/24"
	before := memberDryRuns(t)
	if err := h.Client.Create(ctx, set); err != nil {
		t.Fatal(err)
	}
	c := replicaFailure(t, set, "InvalidTemplate")
	for _, want := range []string{"member cluster-nodes-5 (index 5)", "spec.networks[0].ipConfig.address", "and 2 more"} {
		if !strings.Contains(c.Message, want) {
			t.Errorf("ReplicaFailure message %q lacks %q", c.Message, want)
		}
	}
	if strings.Contains(c.Message, "cluster-nodes-4") {
		t.Errorf("ReplicaFailure message %q names a valid member", c.Message)
	}
	time.Sleep(time.Second) // give a wrong implementation time to create members
	if ms := members(ctx, t, set); len(ms) != 0 {
		t.Fatalf("%d members created from a template invalid from index 5", len(ms))
	}
	if n := memberDryRuns(t) - before; n != 0 {
		t.Errorf("%v dry runs for a template the offline check refuses, want 0", n)
	}
}

// TestOneDryRunPerShape: a 50-member set whose members differ only in computed strings (name, label,
// address) costs one server-side dry run.
func TestOneDryRunPerShape(t *testing.T) {
	ctx := t.Context()
	set := sample(t, "vm_v1alpha1_wukongset_variables.yaml", namespace(t, "shape"))
	set.Spec.Replicas = ptr.To[int32](50)
	before := memberDryRuns(t)
	if err := h.Client.Create(ctx, set); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, func() error {
		if n := len(members(ctx, t, set)); n != 50 {
			return fmt.Errorf("%d members exist, want 50", n)
		}
		return nil
	})
	n := memberDryRuns(t) - before
	t.Logf("%v dry runs for 50 members: %.3f per member", n, n/50)
	if n != 1 {
		t.Errorf("%v dry runs for 50 members of one shape, want 1", n)
	}
	// A scale-up creates members of the shape already accepted: no dry run.
	scaled := set.DeepCopy()
	scaled.Spec.Replicas = ptr.To[int32](60)
	eventually(t, 30*time.Second, func() error { return h.Client.Patch(ctx, scaled.DeepCopy(), client.MergeFrom(set)) })
	eventually(t, 60*time.Second, func() error {
		if n := len(members(ctx, t, set)); n != 60 {
			return fmt.Errorf("%d members exist, want 60", n)
		}
		return nil
	})
	if n := memberDryRuns(t) - before; n != 1 {
		t.Errorf("%v dry runs after a scale-up to 60, want still 1", n)
	}
}
