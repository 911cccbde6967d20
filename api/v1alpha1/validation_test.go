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

// longKey is the longest valid label key: a 253-character DNS subdomain prefix and a 63-character name.
var longKey = strings.Repeat("p", 63) + "." + strings.Repeat("q", 63) + "." + strings.Repeat("r", 63) + "." +
	strings.Repeat("s", 61) + "/" + strings.Repeat("n", 63)

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
`), []string{"spec.disks[0].image", "docker://, http://, https://, datasource:// or pvc://"}},
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

		// Issue 11: every spec the CRD accepts must build a VM, DataVolumes and attachments that KubeVirt v1.7,
		// CDI v1.63 and Multus accept. Each refusal below is something one of them (or the Pod the VM runs
		// in) would refuse later; each acceptance is its nearest valid neighbour.

		// hostname: KubeVirt (vmi-create-admitter.go, validateHostNameNotConformingToDNSLabelRules) wants the
		// instance's hostname, our first label, to be a DNS-1123 label.
		{"hostname first label 63", wukongHead + indent(minimalSpec+"hostname: "+strings.Repeat("h", 63)+".example.internal\n"), nil},
		{"hostname first label 64", wukongHead + indent(minimalSpec+"hostname: "+strings.Repeat("h", 64)+".example.internal\n"),
			[]string{"spec.hostname", "first label", "at most 63 characters"}},
		{"hostname single label 64", wukongHead + indent(minimalSpec+"hostname: "+strings.Repeat("h", 64)+"\n"),
			[]string{"spec.hostname", "first label"}},
		{"hostname empty label", wukongHead + indent(minimalSpec+"hostname: db..example\n"), []string{"spec.hostname", "RFC 1123"}},

		// Disks: the builder names the cloud-init disk cloudinitdisk; CDI parses the image URL
		// (datavolume-validate.go: url.Parse for registries, url.ParseRequestURI for http); the PVC's
		// storageClassName is a DNS-1123 subdomain (ValidatePersistentVolumeClaimSpec).
		{"disk named cloudinitdisk", wukongHead + indent(minimalSpec+`
disks:
- {name: cloudinitdisk, size: 1Gi}
`), []string{"spec.disks[0].name", "reserved for the cloud-init disk"}},
		{"docker image tag without host", wukongHead + indent(minimalSpec+`
disks:
- {name: system, size: 1Gi, image: "docker://ubuntu:22.04"}
`), []string{"spec.disks[0].image", "URL CDI can parse"}},
		{"docker image with port and tag", wukongHead + indent(minimalSpec+`
disks:
- {name: system, size: 1Gi, image: "docker://registry.local:5000/ubuntu:22.04"}
`), nil},
		{"image with whitespace", wukongHead + indent(minimalSpec+`
disks:
- {name: system, size: 1Gi, image: "https://example.com/my disk.img"}
`), []string{"spec.disks[0].image", "no whitespace"}},
		// Clone sources (issue 12): datasource://NAMESPACE/NAME and pvc://NAMESPACE/NAME.
		{"datasource:// and pvc:// images", wukongHead + indent(minimalSpec+`
disks:
- {name: system, size: 40Gi, image: "datasource://os-images/ubuntu-22.04"}
- {name: data, size: 1Gi, image: "pvc://golden/rhel-9.4"}
`), nil},
		{"datasource:// without a name", wukongHead + indent(minimalSpec+`
disks:
- {name: system, size: 1Gi, image: "datasource://ubuntu-22.04"}
`), []string{"spec.disks[0].image", "datasource:// and pvc:// take NAMESPACE/NAME"}},
		{"pvc:// with an invalid namespace", wukongHead + indent(minimalSpec+`
disks:
- {name: system, size: 1Gi, image: "pvc://Golden_Images/rhel"}
`), []string{"spec.disks[0].image", "datasource:// and pvc:// take NAMESPACE/NAME"}},
		{"pvc:// with three parts", wukongHead + indent(minimalSpec+`
disks:
- {name: system, size: 1Gi, image: "pvc://a/b/c"}
`), []string{"spec.disks[0].image", "datasource:// and pvc:// take NAMESPACE/NAME"}},
		{"datasource:// templated in a set passes the CRD, checked once rendered", setHead + indent(`template:
  spec:
    cpu: 1
    memory: 1Gi
    disks:
    - {name: system, size: 1Gi, image: "datasource://os-images/${INDEX % 2 == 0 ? 'ubuntu' : 'fedora'}"}
`), nil},
		{"imagePolicy", setHead + indent(`imagePolicy: ImportOnce
`+minimalTemplate), nil},
		{"imagePolicy unknown", setHead + indent(`imagePolicy: ImportSometimes
`+minimalTemplate), []string{"spec.imagePolicy", "ImportPerMember", "ImportOnce"}},
		{"storage class not a name", wukongHead + indent(minimalSpec+`
disks:
- {name: data, size: 1Gi, storageClassName: Fast_SSD}
`), []string{"spec.disks[0].storageClassName", "StorageClass name"}},
		{"storage class empty and dotted", wukongHead + indent(minimalSpec+`
disks:
- {name: data, size: 1Gi, storageClassName: ""}
- {name: logs, size: 1Gi, storageClassName: fast.ssd.example.com}
`), nil},

		// Networks: an sriov attachment the operator creates must request a virtual function (Multus'
		// resourceName annotation, an extended resource name as the Pod's resources require); nadName is what
		// Multus looks up; bridgeName is a Linux interface name (net/core/dev.c dev_valid_name).
		{"sriov without resource name", wukongHead + indent(minimalSpec+`
networks:
- {name: fast, type: sriov}
`), []string{"spec.networks[0].resourceName", "required for an sriov network"}},
		{"sriov with resource name or existing attachment", wukongHead + indent(minimalSpec+`
networks:
- {name: fast, type: sriov, resourceName: intel.com/sriov_netdevice, vlanId: 20}
- {name: faster, type: sriov, nadName: infra/sriov-net}
`), nil},
		{"resource name without domain", wukongHead + indent(minimalSpec+`
networks:
- {name: fast, type: sriov, resourceName: sriov_netdevice}
`), []string{"spec.networks[0].resourceName", "extended resource name"}},
		{"resource name in kubernetes.io", wukongHead + indent(minimalSpec+`
networks:
- {name: fast, type: sriov, resourceName: kubernetes.io/sriov}
`), []string{"spec.networks[0].resourceName", "extended resource name"}},
		{"nad name with two slashes", wukongHead + indent(minimalSpec+`
networks:
- {name: lan, nadName: a/b/c}
`), []string{"spec.networks[0].nadName", "namespace/name"}},
		{"nad name uppercase", wukongHead + indent(minimalSpec+`
networks:
- {name: lan, nadName: Shared_LAN}
`), []string{"spec.networks[0].nadName"}},
		{"bridge name with space", wukongHead + indent(minimalSpec+`
networks:
- {name: lan, bridgeName: "br 0"}
`), []string{"spec.networks[0].bridgeName", "Linux interface name"}},
		{"bridge name with slash", wukongHead + indent(minimalSpec+`
networks:
- {name: lan, type: macvlan, bridgeName: "eth0/1"}
`), []string{"spec.networks[0].bridgeName", "Linux interface name"}},
		{"bridge name dotted vlan interface", wukongHead + indent(minimalSpec+`
networks:
- {name: lan, type: macvlan, bridgeName: "eth0.100"}
`), nil},
		{"network strings written empty mean their defaults", wukongHead + indent(minimalSpec+`
networks:
- {name: lan, nadName: "", bridgeName: "", resourceName: ""}
placement:
  antiAffinity: {topologyKey: ""}
`), nil},
		{"variable in plain wukong resource name", wukongHead + indent(minimalSpec+`
networks:
- {name: fast, type: sriov, resourceName: "intel.com/${SET}"}
`), []string{"spec.networks", "only allowed in a WukongSet template"}},

		// Placement reaches the VM's pod: the Pod's rules (ValidateTolerations, ValidateLabels for the node
		// selector) and KubeVirt's validatePodAffinityTerm (validate-k8s-utils.go) for anti-affinity.
		{"tolerations as a pod takes them", wukongHead + indent(minimalSpec+`
placement:
  tolerations:
  - {operator: Exists}
  - {key: dedicated, value: vms}
  - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 30}
  - {key: gpu, operator: Equal, value: "true", effect: PreferNoSchedule}
`), nil},
		{"toleration operator Lt", wukongHead + indent(minimalSpec+`
placement:
  tolerations:
  - {key: cores, operator: Lt, value: "8"}
`), []string{"spec.placement.tolerations[0].operator", "must be Exists or Equal"}},
		{"toleration empty key with Equal", wukongHead + indent(minimalSpec+`
placement:
  tolerations:
  - {operator: Equal, value: x}
`), []string{"spec.placement.tolerations[0].operator", "must be Exists when key is empty"}},
		{"toleration Exists with value", wukongHead + indent(minimalSpec+`
placement:
  tolerations:
  - {key: dedicated, operator: Exists, value: vms}
`), []string{"spec.placement.tolerations[0].value", "must be empty when operator is Exists"}},
		{"toleration unknown effect", wukongHead + indent(minimalSpec+`
placement:
  tolerations:
  - {key: dedicated, operator: Exists, effect: NoScheduleNoAdmit}
`), []string{"spec.placement.tolerations[0].effect", "NoSchedule, PreferNoSchedule or NoExecute"}},
		{"toleration seconds without NoExecute", wukongHead + indent(minimalSpec+`
placement:
  tolerations:
  - {key: dedicated, operator: Exists, effect: NoSchedule, tolerationSeconds: 60}
`), []string{"spec.placement.tolerations[0].tolerationSeconds", "requires effect NoExecute"}},
		{"node selector key invalid", wukongHead + indent(minimalSpec+`
placement:
  nodeSelector: {"disk type": ssd}
`), []string{"spec.placement.nodeSelector", "valid label keys"}},
		{"anti-affinity as kubevirt takes it", wukongHead + indent(minimalSpec+`
placement:
  antiAffinity:
    mode: Required
    topologyKey: topology.kubernetes.io/zone
    selector:
      matchLabels: {app.kubernetes.io/name: web}
      matchExpressions:
      - {key: tier, operator: NotIn, values: [db]}
      - {key: canary, operator: DoesNotExist}
`), nil},
		{"topology key invalid", wukongHead + indent(minimalSpec+`
placement:
  antiAffinity: {topologyKey: "zone name"}
`), []string{"spec.placement.antiAffinity.topologyKey", "valid label key"}},
		{"anti-affinity selector key invalid", wukongHead + indent(minimalSpec+`
placement:
  antiAffinity:
    selector:
      matchLabels: {"-app": web}
`), []string{"spec.placement.antiAffinity.selector.matchLabels", "valid label keys"}},
		{"anti-affinity In without values", wukongHead + indent(minimalSpec+`
placement:
  antiAffinity:
    selector:
      matchExpressions:
      - {key: tier, operator: In}
`), []string{"spec.placement.antiAffinity.selector.matchExpressions[0].values", "must be given when operator is In or NotIn"}},
		{"anti-affinity Exists with values", wukongHead + indent(minimalSpec+`
placement:
  antiAffinity:
    selector:
      matchExpressions:
      - {key: tier, operator: Exists, values: [db]}
`), []string{"spec.placement.antiAffinity.selector.matchExpressions[0].values", "must be empty when operator is Exists or DoesNotExist"}},
		{"anti-affinity unknown operator", wukongHead + indent(minimalSpec+`
placement:
  antiAffinity:
    selector:
      matchExpressions:
      - {key: tier, operator: Matches, values: [db]}
`), []string{"spec.placement.antiAffinity.selector.matchExpressions[0].operator", "Unsupported value"}},
		{"variable in plain wukong topology key", wukongHead + indent(minimalSpec+`
placement:
  antiAffinity: {topologyKey: "topology.kubernetes.io/${SET}"}
`), []string{"spec.placement.antiAffinity", "only allowed in a WukongSet template"}},

		// Node selector values, toleration keys and values, and the anti-affinity selector's expression keys
		// and values: the Pod's ValidateLabels and ValidateTolerations, and ValidateLabelSelector, which
		// KubeVirt's validatePodAffinityTerm applies to the anti-affinity term.
		{"placement strings at their limits", wukongHead + indent(minimalSpec+`
placement:
  nodeSelector: {node-role.kubernetes.io/worker: "", `+longKey+`: `+strings.Repeat("v", 63)+`}
  tolerations:
  - {key: `+longKey+`, operator: Equal, value: `+strings.Repeat("v", 63)+`, effect: NoSchedule}
  - {key: dedicated, operator: Equal, value: ""}
  antiAffinity:
    topologyKey: `+longKey+`
    selector:
      matchLabels: {app: web-1.2_3, kubevirt.io/domain: vm}
      matchExpressions:
      - {key: `+longKey+`, operator: In, values: [`+strings.Repeat("v", 63)+`, a]}
`), nil},
		{"node selector value invalid", wukongHead + indent(minimalSpec+`
placement:
  nodeSelector: {disktype: "ssd fast"}
`), []string{"spec.placement.nodeSelector[disktype]", "valid label value"}},
		{"node selector value too long", wukongHead + indent(minimalSpec+`
placement:
  nodeSelector: {disktype: `+strings.Repeat("s", 64)+`}
`), []string{"spec.placement.nodeSelector.disktype", "Too long"}},
		{"toleration key invalid", wukongHead + indent(minimalSpec+`
placement:
  tolerations:
  - {key: "dedicated node", operator: Exists}
`), []string{"spec.placement.tolerations[0].key", "valid label key"}},
		{"toleration key prefix invalid", wukongHead + indent(minimalSpec+`
placement:
  tolerations:
  - {key: "Example.com/dedicated", operator: Exists}
`), []string{"spec.placement.tolerations[0].key", "valid label key"}},
		{"toleration key too long", wukongHead + indent(minimalSpec+`
placement:
  tolerations:
  - {key: x`+longKey+`, operator: Exists}
`), []string{"spec.placement.tolerations[0].key", "Too long"}},
		{"toleration value invalid", wukongHead + indent(minimalSpec+`
placement:
  tolerations:
  - {key: dedicated, operator: Equal, value: "vms!"}
`), []string{"spec.placement.tolerations[0].value", "valid label value"}},
		{"toleration value too long", wukongHead + indent(minimalSpec+`
placement:
  tolerations:
  - {key: dedicated, value: `+strings.Repeat("v", 64)+`}
`), []string{"spec.placement.tolerations[0].value", "Too long"}},
		{"anti-affinity selector value invalid", wukongHead + indent(minimalSpec+`
placement:
  antiAffinity:
    selector:
      matchLabels: {app: "-web"}
`), []string{"spec.placement.antiAffinity.selector.matchLabels[app]", "valid label value"}},
		{"anti-affinity expression key invalid", wukongHead + indent(minimalSpec+`
placement:
  antiAffinity:
    selector:
      matchExpressions:
      - {key: "tier/a/b", operator: Exists}
`), []string{"spec.placement.antiAffinity.selector.matchExpressions[0].key", "valid label key"}},
		{"anti-affinity expression value invalid", wukongHead + indent(minimalSpec+`
placement:
  antiAffinity:
    selector:
      matchExpressions:
      - {key: tier, operator: In, values: [db, "front end"]}
`), []string{"spec.placement.antiAffinity.selector.matchExpressions[0].values[1]", "valid label value"}},
		{"anti-affinity expression value too long", wukongHead + indent(minimalSpec+`
placement:
  antiAffinity:
    selector:
      matchExpressions:
      - {key: tier, operator: NotIn, values: [`+strings.Repeat("d", 64)+`]}
`), []string{"spec.placement.antiAffinity.selector.matchExpressions[0].values[0]", "Too long"}},
		{"variable in plain wukong node selector", wukongHead + indent(minimalSpec+`
placement:
  nodeSelector: {rack: "r${INDEX}"}
`), []string{"spec.placement.nodeSelector", "only allowed in a WukongSet template"}},
		{"variable in plain wukong toleration key", wukongHead + indent(minimalSpec+`
placement:
  tolerations:
  - {key: "dedicated-${SET}", operator: Exists}
`), []string{"spec.placement.tolerations", "only allowed in a WukongSet template"}},
		{"variable in plain wukong toleration value", wukongHead + indent(minimalSpec+`
placement:
  tolerations:
  - {key: dedicated, value: "${SET}"}
`), []string{"spec.placement.tolerations", "only allowed in a WukongSet template"}},
		{"variable in plain wukong anti-affinity selector value", wukongHead + indent(minimalSpec+`
placement:
  antiAffinity:
    selector:
      matchLabels: {app: "${SET}"}
`), []string{"spec.placement.antiAffinity", "only allowed in a WukongSet template"}},
		{"variable in plain wukong anti-affinity expression", wukongHead + indent(minimalSpec+`
placement:
  antiAffinity:
    selector:
      matchExpressions:
      - {key: tier, operator: In, values: [db, "${NAME}"]}
`), []string{"spec.placement.antiAffinity", "only allowed in a WukongSet template"}},

		// A set template: every string may hold variables (docs/templates.md), so format checks let "${"
		// through and the rendered members are checked against the Wukong kind. Keys are not templated.
		{"set template variables in every checked string", setHead + indent(`replicas: 2
template:
  metadata:
    labels: {zone: "${INDEX % 2 == 0 ? 'a' : 'b'}", kubevirt.io/domain: "${NAME}"}
    annotations: {Example.com/Owner: "${SET} team"}
  spec:
    cpu: 2
    memory: 4Gi
    hostname: "${NAME}-`+strings.Repeat("x", 70)+`.example.internal"
    disks:
    - {name: system, size: 20Gi, image: "docker://quay.io/containerdisks/ubuntu:${INDEX % 2 == 0 ? '22.04' : '24.04'}"}
    - {name: data, size: 1Gi, storageClassName: "${INDEX % 2 == 0 ? 'fast' : 'slow'}", image: "https://${ {'a': 'h1', 'b': 'h2'}['a'] }.example.com/${NAME}.img"}
    networks:
    - {name: lan, nadName: "${NAMESPACE}/lan-${INDEX % 2}", bridgeName: "br${INDEX % 4}"}
    - {name: fast, type: sriov, resourceName: "intel.com/${INDEX % 2 == 0 ? 'vf_a' : 'vf_b'}"}
    placement:
      nodeSelector: {rack: "${INDEX % 3}"}
      tolerations:
      - {key: dedicated, operator: Equal, value: "${SET}", effect: NoSchedule}
      antiAffinity: {topologyKey: "topology.kubernetes.io/${INDEX % 2 == 0 ? 'zone' : 'region'}"}
`), nil},
		{"set template image whitespace outside variable", setHead + indent(`template:
  spec:
    cpu: 1
    memory: 1Gi
    disks:
    - {name: system, size: 1Gi, image: "docker://quay.io/repo:${INDEX} latest"}
`), []string{"spec.template.spec.disks[0].image", "whitespace is allowed inside ${...} only"}},
		{"set template image bad scheme with variable", setHead + indent(`template:
  spec:
    cpu: 1
    memory: 1Gi
    disks:
    - {name: system, size: 1Gi, image: "oci://quay.io/repo:${INDEX}"}
`), []string{"spec.template.spec.disks[0].image", "docker://, http://, https://, datasource:// or pvc://"}},
		{"set template hostname literal too long", setHead + indent(`template:
  spec:
    cpu: 1
    memory: 1Gi
    hostname: `+strings.Repeat("h", 64)+`
`), []string{"spec.template.spec.hostname", "first label"}},
		{"set template sriov without resource name", setHead + indent(`template:
  spec:
    cpu: 1
    memory: 1Gi
    networks:
    - {name: fast, type: sriov}
`), []string{"spec.template.spec.networks[0].resourceName", "required for an sriov network"}},
		{"set template toleration Exists with value", setHead + indent(`template:
  spec:
    cpu: 1
    memory: 1Gi
    placement:
      tolerations:
      - {key: dedicated, operator: Exists, value: "${SET}"}
`), []string{"spec.template.spec.placement.tolerations[0].value", "must be empty when operator is Exists"}},
		{"set template variables in every placement string", setHead + indent(`template:
  spec:
    cpu: 1
    memory: 1Gi
    placement:
      nodeSelector: {rack: "r${INDEX / 2}", zone: "${['a', 'b', 'c'][INDEX % 3]}"}
      tolerations:
      - {key: "dedicated.example.com/${SET}", operator: Exists, effect: NoSchedule}
      - {key: "tenant", value: "${NAMESPACE}-${SET}"}
      antiAffinity:
        selector:
          matchLabels: {app: "${SET}"}
          matchExpressions:
          - {key: "${INDEX % 2 == 0 ? 'even' : 'odd'}", operator: Exists}
          - {key: tier, operator: NotIn, values: [db, "${NAME}"]}
`), nil},
		{"set template node selector value invalid", setHead + indent(`template:
  spec:
    cpu: 1
    memory: 1Gi
    placement:
      nodeSelector: {rack: "rack 1"}
`), []string{"spec.template.spec.placement.nodeSelector[rack]", "valid label value"}},
		{"set template toleration key invalid", setHead + indent(`template:
  spec:
    cpu: 1
    memory: 1Gi
    placement:
      tolerations:
      - {key: "_dedicated", operator: Exists}
`), []string{"spec.template.spec.placement.tolerations[0].key", "valid label key"}},
		{"set template anti-affinity expression value invalid", setHead + indent(`template:
  spec:
    cpu: 1
    memory: 1Gi
    placement:
      antiAffinity:
        selector:
          matchExpressions:
          - {key: tier, operator: In, values: ["db:1"]}
`), []string{"spec.template.spec.placement.antiAffinity.selector.matchExpressions[0].values[0]", "valid label value"}},
		{"set template reserved kubevirt label", setHead + indent(`template:
  metadata:
    labels: {kubevirt.io/nodeName: node-1}
  spec: {cpu: 1, memory: 1Gi}
`), []string{"spec.template.metadata.labels", "KubeVirt reserves"}},
		{"set template label key invalid", setHead + indent(`template:
  metadata:
    labels: {"app name": web}
  spec: {cpu: 1, memory: 1Gi}
`), []string{"spec.template.metadata.labels", "valid label keys"}},
		{"set template label value invalid", setHead + indent(`template:
  metadata:
    labels: {app: "web server"}
  spec: {cpu: 1, memory: 1Gi}
`), []string{"spec.template.metadata.labels", "valid label values"}},
		{"set template label value too long", setHead + indent(`template:
  metadata:
    labels: {app: `+strings.Repeat("w", 64)+`}
  spec: {cpu: 1, memory: 1Gi}
`), []string{"spec.template.metadata.labels", "valid label values"}},
		{"set template annotation key invalid", setHead + indent(`template:
  metadata:
    annotations: {"owner team": ops}
  spec: {cpu: 1, memory: 1Gi}
`), []string{"spec.template.metadata.annotations", "valid annotation keys"}},

		// The set's selector: its matchLabels land on every member and VM; it must be a valid selector.
		{"set selector reserved kubevirt label", setHead + indent(minimalTemplate+`
selector:
  matchLabels: {kubevirt.io/schedulable: "true"}
`), []string{"spec.selector.matchLabels", "KubeVirt reserves"}},
		{"set selector key invalid", setHead + indent(minimalTemplate+`
selector:
  matchLabels: {"app/name/x": web}
`), []string{"spec.selector.matchLabels", "valid label keys"}},
		{"set selector value invalid", setHead + indent(minimalTemplate+`
selector:
  matchLabels: {app: "web server"}
`), []string{"spec.selector.matchLabels", "valid label value"}},
		{"set selector NotIn without values", setHead + indent(minimalTemplate+`
selector:
  matchExpressions:
  - {key: tier, operator: NotIn}
`), []string{"spec.selector.matchExpressions[0].values", "must be given when operator is In or NotIn"}},
		{"set selector DoesNotExist with values", setHead + indent(minimalTemplate+`
selector:
  matchExpressions:
  - {key: tier, operator: DoesNotExist, values: [x]}
`), []string{"spec.selector.matchExpressions[0].values", "must be empty when operator is Exists or DoesNotExist"}},
		{"set selector expression key invalid", setHead + indent(minimalTemplate+`
selector:
  matchExpressions:
  - {key: "tier!", operator: DoesNotExist}
`), []string{"spec.selector.matchExpressions[0].key", "valid label key"}},
		{"set selector expression value invalid", setHead + indent(minimalTemplate+`
selector:
  matchExpressions:
  - {key: tier, operator: NotIn, values: ["front end"]}
`), []string{"spec.selector.matchExpressions[0].values[0]", "valid label value"}},
		{"set selector value with variable", setHead + indent(minimalTemplate+`
selector:
  matchLabels: {app: "${SET}"}
`), []string{"spec.selector.matchLabels", "not a template"}},
		{"set selector expression with variable", setHead + indent(minimalTemplate+`
selector:
  matchExpressions:
  - {key: tier, operator: NotIn, values: ["${INDEX}"]}
`), []string{"spec.selector.matchExpressions", "not a template"}},
		{"set selector NotIn with values", setHead + indent(minimalTemplate+`
selector:
  matchExpressions:
  - {key: tier, operator: NotIn, values: [db]}
`), nil},
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
