package webhook_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/webhook"
	"github.com/novasphere/wukong/test/harness"
	"github.com/novasphere/wukong/test/testenv"
)

var h *harness.Harness

func TestMain(m *testing.M) {
	var err error
	h, err = harness.Start(harness.DefaultOptions())
	if err != nil {
		fmt.Fprintln(os.Stderr, "start harness:", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = h.Stop()
	os.Exit(code)
}

const goodSet = `apiVersion: vm.novasphere.dev/v1alpha1
kind: WukongSet
metadata:
  name: nodes
spec:
  replicas: 3
  template:
    metadata:
      labels:
        node-index: "${INDEX}"
    spec:
      cpu: 2
      memory: 4Gi
      hostname: "node-${INDEX + 1}"
      networks:
      - name: eth0
        type: bridge
        ipConfig:
          mode: static
          address: "10.0.0.${INDEX+250}/24"
      disks:
      - name: system
        size: 20Gi
        image: "docker://quay.io/kubevirt/ubuntu:${INDEX % 2 == 0 ? '22.04' : '24.04'}"
`

func namespace(t *testing.T, labels map[string]string) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "admission-", Labels: labels}}
	if err := h.Client.Create(t.Context(), ns); err != nil {
		t.Fatal(err)
	}
	return ns.Name
}

// kubectlApply runs the built kubectl's apply on doc, as a user would.
func kubectlApply(t *testing.T, ns, doc string) (string, error) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "set.yaml")
	if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(h.Assets, "kubectl"), "--kubeconfig", h.Kubeconfig, "-n", ns, "apply", "-f", file)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func decode(t *testing.T, doc string) *vmv1alpha1.WukongSet {
	t.Helper()
	set := &vmv1alpha1.WukongSet{}
	if err := yaml.UnmarshalStrict([]byte(doc), set); err != nil {
		t.Fatal(err)
	}
	return set
}

// TestRegistered: the manager has written the configuration (a URL on loopback, the CA bundle of the
// Secret it created) before the harness returned.
func TestRegistered(t *testing.T) {
	ctx := t.Context()
	cfg := &admissionregistrationv1.ValidatingWebhookConfiguration{}
	if err := h.Client.Get(ctx, client.ObjectKey{Name: webhook.ConfigurationName}, cfg); err != nil {
		t.Fatal(err)
	}
	if len(cfg.Webhooks) != 1 {
		t.Fatalf("%d webhooks", len(cfg.Webhooks))
	}
	w := cfg.Webhooks[0]
	if w.ClientConfig.URL == nil || !strings.HasPrefix(*w.ClientConfig.URL, "https://127.0.0.1:") || !strings.HasSuffix(*w.ClientConfig.URL, webhook.Path) {
		t.Errorf("clientConfig.url = %v, want https://127.0.0.1:<port>%s", w.ClientConfig.URL, webhook.Path)
	}
	secret := &corev1.Secret{}
	if err := h.Client.Get(ctx, client.ObjectKey{Namespace: "default", Name: webhook.DefaultSecretName}, secret); err != nil {
		t.Fatal(err)
	}
	if len(w.ClientConfig.CABundle) == 0 || !bytes.Equal(w.ClientConfig.CABundle, secret.Data["ca.crt"]) {
		t.Error("the configuration's caBundle is not the Secret's CA")
	}
	if *w.FailurePolicy != admissionregistrationv1.Fail {
		t.Errorf("failurePolicy %s", *w.FailurePolicy)
	}
}

// TestApplyRefused: `kubectl apply` of a set with a syntax error or an unknown variable is refused by the
// apiserver with the field and the expression, and nothing is stored; the valid set is accepted; an update
// that breaks the template is refused and leaves the stored set as it was.
func TestApplyRefused(t *testing.T) {
	ctx := t.Context()
	ns := namespace(t, nil)
	for _, tc := range []struct {
		name, from, to string
		want           []string
	}{
		{"syntax error", `"node-${INDEX + 1}"`, `"node-${INDEX+}"`,
			[]string{`The WukongSet "nodes" is invalid: spec.template.spec.hostname: Invalid value: "${INDEX+}": Syntax error`}},
		{"unknown variable", `"node-${INDEX + 1}"`, `"node-${FOO}"`,
			[]string{`spec.template.spec.hostname: Invalid value: "${FOO}": undeclared reference to 'FOO'`}},
		{"invalid at index 2", "replicas: 3", "replicas: 7",
			[]string{`spec.template.spec.networks[0].ipConfig.address: Invalid value: "10.0.0.256/24": member nodes-6 (index 6)`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := kubectlApply(t, ns, strings.Replace(goodSet, tc.from, tc.to, 1))
			if err == nil {
				t.Fatalf("kubectl apply succeeded:\n%s", out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("kubectl's output lacks %q:\n%s", w, out)
				}
			}
			if err := h.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "nodes"}, &vmv1alpha1.WukongSet{}); !apierrors.IsNotFound(err) {
				t.Errorf("the refused set is stored (get: %v)", err)
			}
		})
	}

	if out, err := kubectlApply(t, ns, goodSet); err != nil {
		t.Fatalf("kubectl apply of a valid set: %v\n%s", err, out)
	}
	out, err := kubectlApply(t, ns, strings.Replace(goodSet, `'24.04'`, `'24.04' + FOO`, 1))
	if err == nil || !strings.Contains(out, `spec.template.spec.disks[0].image: Invalid value: "${INDEX % 2 == 0 ? '22.04' : '24.04' + FOO}": undeclared reference to 'FOO'`) {
		t.Errorf("update with an unknown variable: err %v, output:\n%s", err, out)
	}
	got := &vmv1alpha1.WukongSet{}
	if err := h.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "nodes"}, got); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(got.Spec.Template.Spec.Disks[0].Image, "FOO") {
		t.Error("the refused update was stored")
	}

	// Metadata-only updates do not go through the webhook's checks (matchConditions), and pass.
	got.Labels = map[string]string{"team": "a"}
	if err := h.Client.Update(ctx, got); err != nil {
		t.Errorf("label update: %v", err)
	}
}

// TestScaleRefused: scaling through the scale subresource (kubectl scale, an HPA) to a count whose new
// indexes render invalid is refused naming the first bad member; a count that fits is accepted.
func TestScaleRefused(t *testing.T) {
	ctx := t.Context()
	ns := namespace(t, nil)
	set := decode(t, goodSet)
	set.Namespace = ns
	if err := h.Client.Create(ctx, set); err != nil {
		t.Fatal(err)
	}
	scale := &autoscalingv1.Scale{Spec: autoscalingv1.ScaleSpec{Replicas: 7}}
	err := h.Client.SubResource("scale").Update(ctx, set, client.WithSubResourceBody(scale))
	if err == nil || !strings.Contains(err.Error(), "member nodes-6 (index 6)") || !strings.Contains(err.Error(), "spec.template.spec.networks[0].ipConfig.address") {
		t.Errorf("scale to 7: %v, want a refusal naming member nodes-6 and the address", err)
	}
	scale = &autoscalingv1.Scale{Spec: autoscalingv1.ScaleSpec{Replicas: 6}}
	if err := h.Client.SubResource("scale").Update(ctx, set, client.WithSubResourceBody(scale)); err != nil {
		t.Errorf("scale to 6: %v", err)
	}
}

// TestDisabledNamespace: a namespace labelled vm.novasphere.dev/disable-validation=true is exempt (the
// controller reports such a set's problem in its status instead).
func TestDisabledNamespace(t *testing.T) {
	ns := namespace(t, map[string]string{webhook.LabelDisableValidation: "true"})
	set := decode(t, strings.Replace(goodSet, `"node-${INDEX + 1}"`, `"node-${FOO}"`, 1))
	set.Namespace = ns
	if err := h.Client.Create(t.Context(), set); err != nil {
		t.Errorf("create in an exempt namespace: %v", err)
	}
}

// TestSamplesAccepted: every WukongSet in config/samples (the design's examples, which users copy) passes
// the webhook as written.
func TestSamplesAccepted(t *testing.T) {
	ctx := t.Context()
	ns := namespace(t, nil)
	files, err := filepath.Glob(filepath.Join(testenv.RepoRoot(), "config", "samples", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(raw, &u.Object); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if u.GetKind() != "WukongSet" {
			continue
		}
		n++
		u.SetNamespace(ns)
		if err := h.Client.Create(ctx, u); err != nil {
			t.Errorf("%s refused: %v", filepath.Base(f), err)
		}
	}
	if n < 4 {
		t.Errorf("%d WukongSet samples, want the design's four at least", n)
	}
}
