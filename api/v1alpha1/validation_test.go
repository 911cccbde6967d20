package v1alpha1_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/novasphere/wukong/test/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	var err error
	env, err = testenv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	_ = env.Stop()
	os.Exit(code)
}

func decode(t *testing.T, doc string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
		t.Fatalf("decode test YAML: %v", err)
	}
	return u
}

func create(ctx context.Context, ns string, u *unstructured.Unstructured) error {
	u.SetNamespace(ns)
	return env.Client.Create(ctx, u, client.FieldValidation("Strict"))
}

// TestSamplesAccepted applies every example under config/samples — the design's own YAML among them —
// exactly as written.
func TestSamplesAccepted(t *testing.T) {
	ctx := t.Context()
	ns, err := env.Namespace(ctx, "samples")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(testenv.RepoRoot(), "config", "samples", "vm_*.yaml"))
	if err != nil || len(files) < 6 {
		t.Fatalf("expected at least 6 samples, found %d (%v)", len(files), err)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		u := decode(t, string(raw))
		if err := create(ctx, ns, u); err != nil {
			t.Errorf("%s rejected: %v", filepath.Base(f), err)
		}
	}
}

const wukongHead = `
apiVersion: vm.novasphere.dev/v1alpha1
kind: Wukong
metadata:
  name: vm
spec:
`

const setHead = `
apiVersion: vm.novasphere.dev/v1alpha1
kind: WukongSet
metadata:
  name: set
spec:
`

// indent prefixes every line of body with two spaces so table entries can be written flush left.
func indent(body string) string {
	lines := strings.Split(strings.Trim(body, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "  " + l
	}
	return strings.Join(lines, "\n") + "\n"
}

const minimalSpec = `cpu: 2
memory: 4Gi
`

const minimalTemplate = `template:
  spec:
    cpu: 2
    memory: 4Gi
`

func TestValidation(t *testing.T) {
	cases := []struct {
		name string
		doc  string
		// want is empty for an accepted object, else substrings the rejection must contain (field and reason).
		want []string
	}{
		// Wukong: accepted.
		{"wukong minimal", wukongHead + indent(minimalSpec), nil},
		{"wukong static network", wukongHead + indent(minimalSpec+`
networks:
- name: lan
  vlanId: 10
  ipConfig: {mode: static, address: 10.0.0.5/24, gateway: 10.0.0.1, dnsServers: [10.0.0.2]}
`), nil},
		{"wukong dhcp network", wukongHead + indent(minimalSpec+`
networks:
- name: lan
  type: macvlan
  ipConfig: {mode: dhcp}
`), nil},
		{"wukong ipv6 static", wukongHead + indent(minimalSpec+`
networks:
- name: lan
  ipConfig: {mode: static, address: "fd00::5/64", gateway: "fd00::1"}
`), nil},
		{"wukong blank and image disks", wukongHead + indent(minimalSpec+`
disks:
- {name: system, size: 20Gi, image: "https://example.com/disk.qcow2", boot: true}
- {name: data, size: 1Ti, storageClassName: fast}
`), nil},

		// Wukong: rejected.
		{"cpu zero", wukongHead + indent("cpu: 0\nmemory: 4Gi\n"), []string{"spec.cpu", "greater than or equal to 1"}},
		{"cpu absurd", wukongHead + indent("cpu: 100000\nmemory: 4Gi\n"), []string{"spec.cpu", "less than or equal to 512"}},
		{"memory malformed", wukongHead + indent("cpu: 2\nmemory: 4GB\n"), []string{"spec.memory"}},
		{"memory too small", wukongHead + indent("cpu: 2\nmemory: 1Mi\n"), []string{"spec.memory", "between 64Mi and 16Ti"}},
		{"disk size malformed", wukongHead + indent(minimalSpec+`
disks:
- {name: system, size: lots}
`), []string{"spec.disks[0].size"}},
		{"image scheme", wukongHead + indent(minimalSpec+`
disks:
- {name: system, size: 1Gi, image: "ftp://example.com/x.img"}
`), []string{"spec.disks[0].image", "docker://, http:// or https://"}},
		{"duplicate disk names", wukongHead + indent(minimalSpec+`
disks:
- {name: system, size: 1Gi}
- {name: system, size: 2Gi}
`), []string{"spec.disks[1]", "Duplicate value"}},
		{"duplicate network names", wukongHead + indent(minimalSpec+`
networks:
- {name: lan}
- {name: lan}
`), []string{"spec.networks[1]", "Duplicate value"}},
		{"two boot disks", wukongHead + indent(minimalSpec+`
disks:
- {name: a, size: 1Gi, boot: true}
- {name: b, size: 1Gi, boot: true}
`), []string{"spec.disks", "at most one disk may set boot: true"}},
		{"static without address", wukongHead + indent(minimalSpec+`
networks:
- name: lan
  ipConfig: {mode: static}
`), []string{"spec.networks[0].ipConfig.address", "required when mode is static"}},
		{"invalid address", wukongHead + indent(minimalSpec+`
networks:
- name: lan
  ipConfig: {mode: static, address: 10.0.0.300/24}
`), []string{"spec.networks[0].ipConfig.address", "prefix length"}},
		{"address without prefix", wukongHead + indent(minimalSpec+`
networks:
- name: lan
  ipConfig: {mode: static, address: 10.0.0.3}
`), []string{"spec.networks[0].ipConfig.address"}},
		{"invalid gateway", wukongHead + indent(minimalSpec+`
networks:
- name: lan
  ipConfig: {mode: static, address: 10.0.0.3/24, gateway: not-an-ip}
`), []string{"spec.networks[0].ipConfig.gateway", "must be an IP address"}},
		{"invalid dns", wukongHead + indent(minimalSpec+`
networks:
- name: lan
  ipConfig: {mode: static, address: 10.0.0.3/24, dnsServers: [1.1.1.1, dns.example]}
`), []string{"spec.networks[0].ipConfig.dnsServers", "IP address"}},
		{"dhcp with address", wukongHead + indent(minimalSpec+`
networks:
- name: lan
  ipConfig: {mode: dhcp, address: 10.0.0.3/24}
`), []string{"spec.networks[0].ipConfig", "must be empty when mode is dhcp"}},
		{"bad network type", wukongHead + indent(minimalSpec+`
networks:
- {name: lan, type: vxlan}
`), []string{"spec.networks[0].type", "Unsupported value"}},
		{"reserved network name", wukongHead + indent(minimalSpec+`
networks:
- {name: default}
`), []string{"spec.networks[0].name", "reserved for the pod network"}},
		{"vlan out of range", wukongHead + indent(minimalSpec+`
networks:
- {name: lan, vlanId: 5000}
`), []string{"spec.networks[0].vlanId"}},
		{"variable in plain wukong address", wukongHead + indent(minimalSpec+`
networks:
- name: lan
  ipConfig: {mode: static, address: "192.168.1.${INDEX+100}/24"}
`), []string{"spec.networks", "only allowed in a WukongSet template"}},
		{"variable in plain wukong hostname", wukongHead + indent(minimalSpec+"hostname: \"node-${INDEX}\"\n"),
			[]string{"spec.hostname", "only allowed in a WukongSet template"}},
		{"variable in plain wukong image", wukongHead + indent(minimalSpec+`
disks:
- {name: system, size: 1Gi, image: "docker://repo/img:${INDEX}"}
`), []string{"spec.disks", "only allowed in a WukongSet template"}},
		{"variable in plain wukong user", wukongHead + indent(minimalSpec+`
user: {name: "u${INDEX}"}
`), []string{"spec.user", "only allowed in a WukongSet template"}},
		{"plaintext password field", wukongHead + indent(minimalSpec+`
user: {name: ops, password: hunter2}
`), []string{"unknown field", "spec.user.password"}},
		{"password hash not a hash", wukongHead + indent(minimalSpec+`
user: {name: ops, passwordHash: hunter2}
`), []string{"spec.user.passwordHash", "never a plaintext password"}},
		{"both password sources", wukongHead + indent(minimalSpec+`
user: {name: ops, passwordHash: "$6$a$b", passwordSecretRef: {name: s}}
`), []string{"spec.user", "at most one of passwordHash and passwordSecretRef"}},
		{"bad run strategy", wukongHead + indent(minimalSpec+"runStrategy: Sometimes\n"), []string{"spec.runStrategy", "Unsupported value"}},
		{"bad hostname", wukongHead + indent(minimalSpec+"hostname: Bad_Host\n"), []string{"spec.hostname", "RFC 1123"}},

		// WukongSet: accepted.
		{"set with variables everywhere", setHead + indent(`replicas: 3
template:
  metadata:
    labels: {node-index: "${INDEX}"}
    annotations: {owner: "${SET}"}
  spec:
    cpu: 2
    memory: 4Gi
    hostname: "node-${INDEX}"
    networks:
    - name: lan
      ipConfig: {mode: static, address: "192.168.1.${INDEX+100}/24", gateway: "192.168.1.1", dnsServers: ["192.168.1.${INDEX+2}"]}
    user: {name: ops, sshAuthorizedKeys: ["ssh-ed25519 AAAA ${NAME}"]}
`), nil},
		{"set replicas zero", setHead + indent("replicas: 0\n"+minimalTemplate), nil},
		{"set keeping data", setHead + indent(minimalTemplate+`
updateStrategy: {type: Recreate, diskChangePolicy: Retain}
scaleStrategy: {diskRetention: Retain}
autohealing: {failedFor: 90s, maxConcurrent: 2}
`), nil},
		{"set percent strategy", setHead + indent(minimalTemplate+`
updateStrategy:
  rollingUpdate: {maxUnavailable: "25%", maxSurge: "50%", partition: 2}
`), nil},
		{"set selector with expressions", setHead + indent(`template:
  metadata:
    labels: {app: web, tier: front}
  spec: {cpu: 1, memory: 1Gi}
selector:
  matchLabels: {app: web}
  matchExpressions:
  - {key: tier, operator: In, values: [front, back]}
  - {key: canary, operator: DoesNotExist}
`), nil},

		// WukongSet: rejected.
		{"autohealing too eager", setHead + indent(minimalTemplate+`
autohealing: {failedFor: 0s}
`), []string{"spec.autohealing.failedFor", "at least 1s"}},
		{"unknown disk change policy", setHead + indent(minimalTemplate+`
updateStrategy: {diskChangePolicy: Wipe}
`), []string{"spec.updateStrategy.diskChangePolicy", "Unsupported value"}},
		{"unknown disk retention", setHead + indent(minimalTemplate+`
scaleStrategy: {diskRetention: Keep}
`), []string{"spec.scaleStrategy.diskRetention", "Unsupported value"}},
		{"negative replicas", setHead + indent("replicas: -1\n"+minimalTemplate), []string{"spec.replicas", "greater than or equal to 0"}},
		{"surge and unavailable both zero", setHead + indent(minimalTemplate+`
updateStrategy:
  rollingUpdate: {maxUnavailable: 0, maxSurge: "0%"}
`), []string{"spec.updateStrategy", "must not both be 0"}},
		{"unavailable zero default surge", setHead + indent(minimalTemplate+`
updateStrategy:
  maxUnavailable: 0
`), []string{"spec.updateStrategy", "must not both be 0"}},
		{"shorthand and nested both", setHead + indent(minimalTemplate+`
updateStrategy:
  maxUnavailable: 1
  rollingUpdate: {maxUnavailable: 2}
`), []string{"spec.updateStrategy.maxUnavailable", "not both"}},
		{"bad percentage", setHead + indent(minimalTemplate+`
updateStrategy:
  rollingUpdate: {maxSurge: "150%"}
`), []string{"spec.updateStrategy.rollingUpdate.maxSurge", "percentage"}},
		{"recreate with rolling params", setHead + indent(minimalTemplate+`
updateStrategy:
  type: Recreate
  maxUnavailable: 2
`), []string{"spec.updateStrategy", "apply only to type RollingUpdate"}},
		{"selector conflicts with template", setHead + indent(`template:
  metadata:
    labels: {app: db}
  spec: {cpu: 1, memory: 1Gi}
selector:
  matchLabels: {app: web}
`), []string{"spec.selector", "conflicts with template.metadata.labels"}},
		{"selector expression unsatisfiable", setHead + indent(minimalTemplate+`
selector:
  matchExpressions:
  - {key: tier, operator: In, values: [front]}
`), []string{"spec.selector", "cannot match the members' labels"}},
		{"template invalid address", setHead + indent(`template:
  spec:
    cpu: 1
    memory: 1Gi
    networks:
    - name: lan
      ipConfig: {mode: static, address: "300.1.1.1/24"}
`), []string{"spec.template.spec.networks[0].ipConfig.address", "prefix length"}},
		{"template static without address", setHead + indent(`template:
  spec:
    cpu: 1
    memory: 1Gi
    networks:
    - name: lan
      ipConfig: {mode: static}
`), []string{"spec.template.spec.networks[0].ipConfig.address", "required when mode is static"}},
		{"set name too long", strings.Replace(setHead, "name: set", "name: "+strings.Repeat("s", 58), 1) + indent(minimalTemplate),
			[]string{"metadata.name must be at most 57 characters"}},
	}
	ctx := t.Context()
	ns, err := env.Namespace(ctx, "validation")
	if err != nil {
		t.Fatal(err)
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u := decode(t, tc.doc)
			if u.GetName() != strings.Repeat("s", 58) {
				u.SetName(fmt.Sprintf("%s-%d", u.GetName(), i))
			}
			err := create(ctx, ns, u)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("rejected, want accepted: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted, want rejection mentioning %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("rejection %q does not mention %q", err.Error(), w)
				}
			}
		})
	}
}

// TestSelectorImmutable changes a set's selector after creation, and adds one where there was none.
func TestSelectorImmutable(t *testing.T) {
	ctx := t.Context()
	ns, err := env.Namespace(ctx, "immutable")
	if err != nil {
		t.Fatal(err)
	}
	withSel := decode(t, setHead+indent(minimalTemplate+"selector:\n  matchLabels: {app: web}\n"))
	if err := create(ctx, ns, withSel); err != nil {
		t.Fatal(err)
	}
	if err := unstructured.SetNestedStringMap(withSel.Object, map[string]string{"app": "db"}, "spec", "selector", "matchLabels"); err != nil {
		t.Fatal(err)
	}
	err = env.Client.Update(ctx, withSel)
	if err == nil || !strings.Contains(err.Error(), "spec.selector") || !strings.Contains(err.Error(), "immutable") {
		t.Fatalf("selector change: got %v, want an immutability error on spec.selector", err)
	}

	without := decode(t, setHead+indent(minimalTemplate))
	without.SetName("set-b")
	if err := create(ctx, ns, without); err != nil {
		t.Fatal(err)
	}
	if err := unstructured.SetNestedStringMap(without.Object, map[string]string{"app": "web"}, "spec", "selector", "matchLabels"); err != nil {
		t.Fatal(err)
	}
	err = env.Client.Update(ctx, without)
	if err == nil || !strings.Contains(err.Error(), "immutable") {
		t.Fatalf("adding a selector: got %v, want an immutability error", err)
	}

	// Changing anything else stays allowed.
	if err := unstructured.SetNestedField(without.Object, int64(4), "spec", "replicas"); err != nil {
		t.Fatal(err)
	}
	if err := unstructured.SetNestedStringMap(without.Object, nil, "spec", "selector", "matchLabels"); err != nil {
		t.Fatal(err)
	}
	unstructured.RemoveNestedField(without.Object, "spec", "selector")
	if err := env.Client.Update(ctx, without); err != nil {
		t.Fatalf("replicas change rejected: %v", err)
	}
}
