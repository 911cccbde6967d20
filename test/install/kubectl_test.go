package install

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/discovery"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/novasphere/wukong/test/testenv"
)

// kubectlObjects are a Wukong and a WukongSet as a user applies them. Nothing reconciles them here: kubectl
// only needs the objects the apiserver stores.
const kubectlObjects = `
apiVersion: vm.novasphere.dev/v1alpha1
kind: WukongSet
metadata:
  name: web-servers
spec:
  replicas: 2
  template:
    metadata:
      labels: {app: web-server}
    spec:
      cpu: 2
      memory: 4Gi
      disks:
      - {name: system, size: 20Gi, image: "docker://quay.io/kubevirt/ubuntu:22.04"}
---
apiVersion: vm.novasphere.dev/v1alpha1
kind: Wukong
metadata:
  name: web-servers-0
  labels: {app: web-server}
spec:
  cpu: 2
  memory: 4Gi
---
apiVersion: vm.novasphere.dev/v1alpha1
kind: Wukong
metadata:
  name: db-0
spec:
  cpu: 4
  memory: 8Gi
`

// TestKubectl runs the built kubectl as a process against the apiserver, as a user on a real cluster would:
// every way of naming the kinds (plural, singular, short name, category) must resolve, and naming one object
// of a kind must not be read as a category. A category equal to a resource's name shadows it (kubectl
// resolves categories first), which made `kubectl get wukong NAME` fail with "you must specify only one
// resource".
func TestKubectl(t *testing.T) {
	env, err := testenv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	ctx := t.Context()
	ns, err := env.Namespace(ctx, "kubectl")
	if err != nil {
		t.Fatal(err)
	}
	k := kubectlRunner{bin: filepath.Join(env.Assets, "kubectl"), kubeconfig: env.Kubeconfig, ns: ns, cache: t.TempDir()}

	if out, err := k.run(ctx, kubectlObjects, "apply", "-f", "-"); err != nil {
		t.Fatalf("kubectl apply: %v\n%s", err, out)
	}

	for _, tc := range []struct {
		args []string
		want []string // substrings of the output
	}{
		{[]string{"get", "wukong", "web-servers-0"}, []string{"web-servers-0"}},
		{[]string{"get", "wukongs", "web-servers-0", "-o", "name"}, []string{"wukong.vm.novasphere.dev/web-servers-0"}},
		{[]string{"describe", "wukong", "web-servers-0"}, []string{"web-servers-0", "Kind:", "Wukong"}},
		{[]string{"get", "wukong"}, []string{"web-servers-0", "db-0"}},
		{[]string{"get", "wukongs,wukongsets"}, []string{"wukong.vm.novasphere.dev/web-servers-0", "wukong.vm.novasphere.dev/db-0", "wukongset.vm.novasphere.dev/web-servers"}},
		{[]string{"get", "wukongset", "web-servers"}, []string{"web-servers", "DESIRED"}},
		{[]string{"describe", "wukongset", "web-servers"}, []string{"web-servers", "Kind:", "WukongSet"}},
		{[]string{"get", "wk"}, []string{"web-servers-0", "db-0"}},
		{[]string{"get", "wk", "db-0"}, []string{"db-0"}},
		{[]string{"get", "wks"}, []string{"web-servers"}},
		{[]string{"get", "wks", "web-servers"}, []string{"web-servers"}},
		{[]string{"get", "novasphere"}, []string{"wukong.vm.novasphere.dev/web-servers-0", "wukong.vm.novasphere.dev/db-0", "wukongset.vm.novasphere.dev/web-servers"}},
		{[]string{"get", "all"}, []string{"wukong.vm.novasphere.dev/web-servers-0", "wukongset.vm.novasphere.dev/web-servers"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, err := k.run(ctx, "", tc.args...)
			if err != nil {
				t.Fatalf("kubectl %s: %v\n%s", strings.Join(tc.args, " "), err, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("kubectl %s does not name %q:\n%s", strings.Join(tc.args, " "), w, out)
				}
			}
		})
	}

	t.Run("delete wukong NAME", func(t *testing.T) {
		out, err := k.run(ctx, "", "delete", "wukong", "web-servers-0", "--wait=false")
		if err != nil || !strings.Contains(out, `wukong.vm.novasphere.dev "web-servers-0" deleted`) {
			t.Fatalf("kubectl delete wukong web-servers-0: %v\n%s", err, out)
		}
		out, err = k.run(ctx, "", "get", "wukongs", "-o", "name")
		if err != nil || strings.Contains(out, "web-servers-0") || !strings.Contains(out, "db-0") {
			t.Fatalf("after delete, kubectl get wukongs: %v\n%s", err, out)
		}
	})

	t.Run("categories name no resource", func(t *testing.T) {
		categoriesNameNoResource(ctx, t, env)
	})
}

// categoriesNameNoResource checks the installed CRDs against every resource the apiserver serves: a category
// that is also a resource's plural, singular or short name hides that resource from kubectl.
func categoriesNameNoResource(ctx context.Context, t *testing.T, env *testenv.Env) {
	t.Helper()
	dc, err := discovery.NewDiscoveryClientForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	_, lists, err := dc.ServerGroupsAndResources()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{} // name -> resource it belongs to
	for _, l := range lists {
		for _, r := range l.APIResources {
			if strings.Contains(r.Name, "/") {
				continue // a subresource
			}
			owner := r.Name + "." + l.GroupVersion
			names[r.Name] = owner
			if r.SingularName != "" {
				names[r.SingularName] = owner
			}
			for _, s := range r.ShortNames {
				names[s] = owner
			}
		}
	}
	for _, crd := range []string{"wukongs.vm.novasphere.dev", "wukongsets.vm.novasphere.dev"} {
		obj := &unstructured.Unstructured{}
		obj.SetAPIVersion("apiextensions.k8s.io/v1")
		obj.SetKind("CustomResourceDefinition")
		if err := env.Client.Get(ctx, client.ObjectKey{Name: crd}, obj); err != nil {
			t.Fatal(err)
		}
		categories, _, _ := unstructured.NestedStringSlice(obj.Object, "spec", "names", "categories")
		if !slices.Contains(categories, "all") {
			t.Errorf("%s: categories %v lack all", crd, categories)
		}
		for _, c := range categories {
			if owner, ok := names[c]; ok {
				t.Errorf("%s: category %q is also a name of %s, which kubectl would then never resolve as a resource", crd, c, owner)
			}
		}
	}
}

// kubectlRunner runs the built kubectl against the test apiserver, in one namespace, with a discovery cache
// of its own.
type kubectlRunner struct {
	bin, kubeconfig, ns, cache string
}

// run runs kubectl with args (stdin as its input) and returns stdout and stderr together.
func (k kubectlRunner) run(ctx context.Context, stdin string, args ...string) (string, error) {
	full := append([]string{"--kubeconfig", k.kubeconfig, "--cache-dir", k.cache, "-n", k.ns}, args...)
	cmd := exec.CommandContext(ctx, k.bin, full...)
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}
