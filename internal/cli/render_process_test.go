package cli_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/novasphere/wukong/test/testenv"
)

func sample(name string) string {
	return filepath.Join(testenv.RepoRoot(), "config", "samples", name)
}

// invalidAtIndex2 is a set whose member at index 2 breaks a CEL rule of the Wukong CRD.
const invalidAtIndex2 = `apiVersion: vm.novasphere.dev/v1alpha1
kind: WukongSet
metadata:
  name: cluster-nodes
spec:
  replicas: 3
  template:
    spec:
      cpu: 4
      memory: 8Gi
      networks:
      - name: eth0
        ipConfig:
          mode: static
          address: "10.0.0.${INDEX+254}/24"
`

// TestRenderProcess runs wukong render as a built binary in every output format, with children, from stdin,
// and with an invalid member: exit code 0 with the objects, 1 with the problem naming member, index and field.
func TestRenderProcess(t *testing.T) {
	set := sample("vm_v1alpha1_wukongset_variables.yaml")

	t.Run("json", func(t *testing.T) {
		code, stdout, stderr := run(t, "render", "-f", set, "-o", "json", "-n", "prod")
		var list struct {
			APIVersion, Kind string
			Items            []struct {
				Kind     string
				Metadata struct{ Name, Namespace string }
			}
		}
		if code != 0 || json.Unmarshal([]byte(stdout), &list) != nil {
			t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
		}
		if list.APIVersion != "v1" || list.Kind != "List" || len(list.Items) != 3 {
			t.Fatalf("want a v1 List of 3 items: %s", stdout)
		}
		for i, it := range list.Items {
			if it.Kind != "Wukong" || it.Metadata.Name != "cluster-nodes-"+string(rune('0'+i)) || it.Metadata.Namespace != "prod" {
				t.Errorf("item %d: %+v", i, it)
			}
		}
	})
	t.Run("yaml", func(t *testing.T) {
		code, stdout, stderr := run(t, "render", "-f", set)
		if code != 0 || !strings.HasPrefix(stdout, "apiVersion: v1\nitems:\n- apiVersion: vm.novasphere.dev/v1alpha1\n  kind: Wukong\n") ||
			!strings.Contains(stdout, "address: 192.168.1.102/24") || !strings.HasSuffix(stdout, "kind: List\nmetadata: {}\n") {
			t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
		}
	})
	t.Run("table", func(t *testing.T) {
		code, stdout, stderr := run(t, "render", "-f", set, "-o", "table")
		lines := strings.Split(strings.TrimSpace(stdout), "\n")
		if code != 0 || len(lines) != 4 || strings.Join(strings.Fields(lines[0]), " ") != "NAME INDEX CPU MEMORY DISKS IP ADDRESSES LABELS" ||
			strings.Join(strings.Fields(lines[3]), " ") != "cluster-nodes-2 2 4 8Gi system=50Gi eth0=192.168.1.102/24 node-index=2" {
			t.Errorf("exit %d, stdout:\n%s\nstderr %q", code, stdout, stderr)
		}
	})
	t.Run("name", func(t *testing.T) {
		code, stdout, stderr := run(t, "render", "-f", set, "-o", "name")
		if code != 0 || stdout != "wukong.vm.novasphere.dev/cluster-nodes-0\nwukong.vm.novasphere.dev/cluster-nodes-1\nwukong.vm.novasphere.dev/cluster-nodes-2\n" {
			t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
		}
	})
	t.Run("children", func(t *testing.T) {
		code, stdout, stderr := run(t, "render", "-f", set, "--children", "-o", "name")
		want := []string{"wukong.vm.novasphere.dev/cluster-nodes-0", "virtualmachine.kubevirt.io/cluster-nodes-0",
			"datavolume.cdi.kubevirt.io/cluster-nodes-0-system", "secret/cluster-nodes-0-cloudinit",
			"networkattachmentdefinition.k8s.cni.cncf.io/"}
		if code != 0 || !strings.HasPrefix(stdout, strings.Join(want, "\n")) || !strings.Contains(stdout, "\nsecret/cluster-nodes-2-cloudinit\n") {
			t.Errorf("exit %d, stdout:\n%s\nstderr %q", code, stdout, stderr)
		}
		code, stdout, stderr = run(t, "render", "-f", set, "--children", "-o", "yaml")
		if code != 0 || !strings.Contains(stdout, "kind: VirtualMachine") || !strings.Contains(stdout, "networkdata:") ||
			strings.Contains(stdout, "userdata:") || strings.Contains(stdout, "ownerReferences") {
			t.Errorf("--children -o yaml: exit %d, stderr %q, stdout:\n%s", code, stderr, stdout)
		}
	})
	t.Run("stdin", func(t *testing.T) {
		raw, err := os.ReadFile(set)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "render", "-f", "-", "--validate-only")
		cmd.Stdin = strings.NewReader(string(raw))
		out, err := cmd.Output()
		if err != nil || string(out) != "WukongSet default/cluster-nodes: 3 members valid\n" {
			t.Errorf("render -f -: %v, %q", err, out)
		}
	})
	t.Run("invalid member", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "set.yaml")
		if err := os.WriteFile(bad, []byte(invalidAtIndex2), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"-o", "json"}, {"-o", "table", "--children"}} {
			code, stdout, stderr := run(t, append([]string{"render", "-f", bad}, args...)...)
			if code != 1 || stdout != "" ||
				!strings.Contains(stderr, `member cluster-nodes-2 (index 2): spec.networks[0].ipConfig.address: Invalid value: "10.0.0.256/24"`) ||
				!strings.Contains(stderr, "invalid WukongSet cluster-nodes: the controller would create no member") {
				t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 1 naming cluster-nodes-2, index 2 and the field", args, code, stdout, stderr)
			}
		}
	})
	t.Run("flag errors", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"render", "-f", set, "-o", "wide"}, `-o "wide": want yaml, json, table or name`},
			{[]string{"render", "-o", "json"}, "-f is required"},
			{[]string{"render", "-f", set, "extra"}, `unexpected argument "extra"`},
			{[]string{"render", "-f", sample("vm_v1alpha1_wukong_static.yaml")}, `kind "Wukong": render takes WukongSets`},
		} {
			code, _, stderr := run(t, tc.args...)
			if code != 1 || !strings.Contains(stderr, tc.want) {
				t.Errorf("%q: exit %d, stderr %q; want exit 1 and %q", tc.args, code, stderr, tc.want)
			}
		}
	})
}
