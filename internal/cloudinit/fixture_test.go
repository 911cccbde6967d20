package cloudinit

import (
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/naming"
)

const (
	hash    = "$6$salt$hashedpassword"
	keyA    = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA alice@example"
	keyB    = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB bob@example"
	keyC    = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAC carol@example"
	testNS  = "prod"
	testVM  = "web-0"
	sudoAll = "ALL=(ALL) NOPASSWD:ALL"
)

func int32p(v int32) *int32 { return &v }

// wukong is the shared fixture: static, DHCP, SR-IOV and borrowed networks, and a user with every field.
func wukong() *v1alpha1.Wukong {
	return &v1alpha1.Wukong{
		ObjectMeta: metav1.ObjectMeta{
			Name: testVM, Namespace: testNS, UID: "uid-1",
			Labels: map[string]string{"app": "web", v1alpha1.LabelSet: "web"},
		},
		Spec: v1alpha1.WukongSpec{
			CPU:      2,
			Memory:   resource.MustParse("4Gi"),
			Hostname: "web-0.lab.example.com",
			Networks: []v1alpha1.Network{
				{Name: "lan", Type: v1alpha1.NetworkTypeBridge, VLANID: int32p(100),
					IPConfig: &v1alpha1.IPConfig{Mode: v1alpha1.IPModeStatic, Address: "192.168.10.5/24",
						Gateway: "192.168.10.1", DNSServers: []string{"1.1.1.1", "8.8.8.8"}}},
				{Name: "dmz", Type: v1alpha1.NetworkTypeMacvlan, IPConfig: &v1alpha1.IPConfig{Mode: v1alpha1.IPModeDHCP}},
				{Name: "fast", Type: v1alpha1.NetworkTypeSRIOV, ResourceName: "intel.com/sriov_netdevice"},
				{Name: "ext", NADName: "other-ns/shared"},
				{Name: "local", NADName: "shared"},
			},
			User: &v1alpha1.CloudInitUser{
				Name:              "alice",
				PasswordHash:      hash,
				SSHAuthorizedKeys: []string{keyA, keyB},
				Sudo:              sudoAll,
				Shell:             "/bin/bash",
				Groups:            []string{"wheel", "docker"},
			},
		},
	}
}

// mac is the MAC naming gives the fixture's interface on network.
func mac(network string) string { return naming.MAC(testNS, testVM, network) }

// parse reads YAML back into generic maps so tests compare content, not formatting.
func parse(t *testing.T, doc string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
		t.Fatalf("output is not YAML: %v\n%s", err, doc)
	}
	return m
}

func assertYAML(t *testing.T, doc string, want map[string]any) {
	t.Helper()
	if got := parse(t, doc); !reflect.DeepEqual(got, want) {
		gotY, _ := yaml.Marshal(got)
		wantY, _ := yaml.Marshal(want)
		t.Errorf("YAML mismatch\n got:\n%s\nwant:\n%s", gotY, wantY)
	}
}
