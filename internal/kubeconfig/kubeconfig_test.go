package kubeconfig

import (
	"os"
	"path/filepath"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

const config = `apiVersion: v1
kind: Config
clusters:
- name: a
  cluster: {server: "https://127.0.0.1:6443"}
- name: b
  cluster: {server: "https://127.0.0.1:7443"}
contexts:
- name: a
  context: {cluster: a, user: u, namespace: team-a}
- name: b
  context: {cluster: b, user: u}
users:
- name: u
  user: {token: t}
current-context: a
`

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	// $KUBECONFIG points elsewhere: the explicit path wins, as with kubectl.
	t.Setenv("KUBECONFIG", filepath.Join(dir, "missing"))
	cases := []struct {
		name             string
		path             string
		overrides        *clientcmd.ConfigOverrides
		wantHost, wantNS string
		wantErr          bool
	}{
		{name: "explicit path, current context", path: path, wantHost: "https://127.0.0.1:6443", wantNS: "team-a"},
		{name: "--context", path: path, overrides: &clientcmd.ConfigOverrides{CurrentContext: "b"}, wantHost: "https://127.0.0.1:7443", wantNS: "default"},
		{name: "--namespace", path: path, overrides: &clientcmd.ConfigOverrides{Context: clientcmdapi.Context{Namespace: "team-b"}}, wantHost: "https://127.0.0.1:6443", wantNS: "team-b"},
		{name: "an explicit path that does not exist", path: filepath.Join(dir, "nope"), wantErr: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cc := Load(c.path, c.overrides)
			cfg, err := cc.ClientConfig()
			if c.wantErr {
				if err == nil {
					t.Fatalf("ClientConfig() = %s, want an error", cfg.Host)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			ns, _, err := cc.Namespace()
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Host != c.wantHost || ns != c.wantNS {
				t.Errorf("host %s, namespace %s; want %s, %s", cfg.Host, ns, c.wantHost, c.wantNS)
			}
		})
	}
}
