package helm

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"
	"helm.sh/helm/v3/pkg/releaseutil"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/novasphere/wukong/test/testenv"
)

// kubeVersion is the version of the test control plane (hack/controlplane.sh); charts render and lint
// against it as `helm install` would against that cluster.
const kubeVersion = "v1.37.2"

// fieldOwner is the field manager of every apply, as Helm's own server-side apply would use one.
const fieldOwner = "helm-test"

var (
	envOnce sync.Once
	env     *testenv.Env
	envErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if env != nil {
		_ = env.Stop()
	}
	os.Exit(code)
}

// startEnv returns the package's control plane, starting it on first use: lint, render and drift tests need
// none, and the apply tests share one (each in its own namespaces and release names).
func startEnv(t *testing.T) *testenv.Env {
	t.Helper()
	envOnce.Do(func() { env, envErr = testenv.Start() })
	if envErr != nil {
		t.Fatal(envErr)
	}
	return env
}

// chartDir is the folder of a chart under charts/.
func chartDir(name string) string { return filepath.Join(testenv.RepoRoot(), "charts", name) }

func loadChart(t *testing.T, name string) *chart.Chart {
	t.Helper()
	ch, err := loader.Load(chartDir(name))
	if err != nil {
		t.Fatalf("load chart %s: %v", name, err)
	}
	return ch
}

// valuesFile reads a values file as `helm install -f` does.
func valuesFile(t *testing.T, path string) chartutil.Values {
	t.Helper()
	vals, err := chartutil.ReadValuesFile(path)
	if err != nil {
		t.Fatalf("read values %s: %v", path, err)
	}
	return vals
}

// values parses values written as YAML, as a user's values file.
func values(t *testing.T, text string) chartutil.Values {
	t.Helper()
	vals, err := chartutil.ReadValues([]byte(text))
	if err != nil {
		t.Fatalf("parse values: %v\n%s", err, text)
	}
	return vals
}

// release is one rendering of a chart.
type release struct {
	// objects are the rendered objects in Helm's install order, decoded through JSON so numbers are int64
	// and float64 as in any object a client reads.
	objects []*unstructured.Unstructured
	// notes is the rendered NOTES.txt.
	notes string
	// crds are the chart's crds/ files, which Helm applies unrendered before the templates.
	crds []*unstructured.Unstructured
}

// render renders a chart as `helm install <name> <chart> -n <namespace> -f values` would, without a
// cluster: values are merged with the chart's and checked against its values.schema.json, the chart's
// kubeVersion is checked, and the manifests are sorted in install order.
func render(ch *chart.Chart, name, namespace string, vals chartutil.Values) (*release, error) {
	caps := chartutil.DefaultCapabilities.Copy()
	kv, err := chartutil.ParseKubeVersion(kubeVersion)
	if err != nil {
		return nil, err
	}
	caps.KubeVersion = *kv
	if c := ch.Metadata.KubeVersion; c != "" && !chartutil.IsCompatibleRange(c, kubeVersion) {
		return nil, fmt.Errorf("chart %s requires kubeVersion %s, not %s", ch.Name(), c, kubeVersion)
	}
	top, err := chartutil.ToRenderValues(ch, vals,
		chartutil.ReleaseOptions{Name: name, Namespace: namespace, Revision: 1, IsInstall: true}, caps)
	if err != nil {
		return nil, err
	}
	files, err := engine.Render(ch, top)
	if err != nil {
		return nil, err
	}
	rel := &release{}
	for path, text := range files {
		if strings.HasSuffix(path, "/templates/NOTES.txt") {
			rel.notes = text
			delete(files, path)
		}
	}
	hooks, manifests, err := releaseutil.SortManifests(files, nil, releaseutil.InstallOrder)
	if err != nil {
		return nil, err
	}
	if len(hooks) > 0 {
		return nil, fmt.Errorf("chart %s renders %d hooks; it has none by design", ch.Name(), len(hooks))
	}
	for _, m := range manifests {
		u, err := decode(m.Content)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m.Name, err)
		}
		rel.objects = append(rel.objects, u)
	}
	for _, crd := range ch.CRDObjects() {
		u, err := decode(string(crd.File.Data))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", crd.Filename, err)
		}
		rel.crds = append(rel.crds, u)
	}
	return rel, nil
}

// mustRender renders and fails the test on any error.
func mustRender(t *testing.T, ch *chart.Chart, name, namespace string, vals chartutil.Values) *release {
	t.Helper()
	rel, err := render(ch, name, namespace, vals)
	if err != nil {
		t.Fatalf("render %s as release %s: %v", ch.Name(), name, err)
	}
	return rel
}

func decode(doc string) (*unstructured.Unstructured, error) {
	raw, err := yaml.YAMLToJSONStrict([]byte(doc))
	if err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(raw); err != nil {
		return nil, err
	}
	return u, nil
}

// find returns the one rendered object of that kind and name, failing the test when there is not exactly
// one.
func find(t *testing.T, objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	t.Helper()
	var found []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			found = append(found, o)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one %s %s in the rendering, found %d", kind, name, len(found))
	}
	return found[0]
}

// kinds maps "Kind/name" to the namespace of every rendered object, failing on duplicates.
func kinds(t *testing.T, objs []*unstructured.Unstructured) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, o := range objs {
		key := o.GetKind() + "/" + o.GetName()
		if _, dup := out[key]; dup {
			t.Errorf("%s rendered twice", key)
		}
		out[key] = o.GetNamespace()
	}
	return out
}

// lintChart runs Helm's linter (`helm lint`) with the given values and fails on any error or warning.
func lintChart(t *testing.T, name string, vals chartutil.Values) {
	t.Helper()
	kv, err := chartutil.ParseKubeVersion(kubeVersion)
	if err != nil {
		t.Fatal(err)
	}
	l := lint.AllWithKubeVersion(chartDir(name), vals, "lint", kv)
	for _, m := range l.Messages {
		if m.Severity >= support.WarningSev {
			t.Errorf("helm lint %s: %s", name, m)
		} else {
			t.Logf("helm lint %s: %s", name, m)
		}
	}
}

// apply applies objects in order with server-side apply, taking over fields as Helm's --force-conflicts
// would. A kind whose CRD the apiserver lacks is skipped when skipMissing names it, and returned.
func apply(ctx context.Context, c client.Client, objs []*unstructured.Unstructured, skipMissing ...string) (skipped []string, err error) {
	for _, o := range objs {
		gvk := o.GroupVersionKind()
		if _, err := c.RESTMapper().RESTMapping(gvk.GroupKind(), gvk.Version); err != nil {
			if meta.IsNoMatchError(err) && slices.Contains(skipMissing, gvk.Kind) {
				skipped = append(skipped, gvk.Kind+"/"+o.GetName())
				continue
			}
			return skipped, fmt.Errorf("map %s: %w", gvk, err)
		}
		if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(o.DeepCopy()),
			client.FieldOwner(fieldOwner), client.ForceOwnership); err != nil {
			return skipped, fmt.Errorf("apply %s %s: %w", gvk.Kind, o.GetName(), err)
		}
	}
	return skipped, nil
}

// namespace creates a namespace with a unique name from prefix and the given labels, as
// `helm install --create-namespace` would create the release's; unique so that -count=N reruns in the same
// control plane.
func namespace(ctx context.Context, t *testing.T, c client.Client, prefix string, labels map[string]string) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: prefix + "-", Labels: labels}}
	if err := c.Create(ctx, ns); err != nil {
		t.Fatalf("create namespace %s-*: %v", prefix, err)
	}
	return ns.Name
}

// errorContains fails unless err is non-nil and mentions every want.
func errorContains(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want one mentioning %q", want)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %q", err, w)
		}
	}
}
