package v1alpha1_test

import (
	"fmt"
	"strings"
	"testing"
)

// issueSpec is issue 12's guest settings, with variables where a set template has them.
const issueSpec = `cloudInit:
  userData: |
    #cloud-config
    packages: [nfs-common]
    runcmd:
    - [sh, -c, "echo joining as ${NAME} >> /var/log/join.log"]
readinessProbe:
  tcpSocket:
    port: 22
  initialDelaySeconds: 10
evictionStrategy: LiveMigrate
`

// TestGuestValidation: cloudInit, readinessProbe, evictionStrategy and the disks' access and volume modes, as
// the apiserver validates them for a Wukong and a set template, each rejection naming its field.
func TestGuestValidation(t *testing.T) {
	tmpl := func(spec string) string {
		return setHead + indent(minimalTemplate+indent(indent(spec)))
	}
	cases := []struct {
		name string
		doc  string
		want []string
	}{
		{"issue spec in a set template", tmpl(issueSpec), nil},
		{"issue spec in a Wukong", wukongHead + indent(minimalSpec+strings.ReplaceAll(issueSpec, "${NAME}", "vm")), nil},
		{"shell variables are literal in a Wukong", wukongHead + indent(minimalSpec+`
cloudInit:
  userData: "#cloud-config\nruncmd: [\"echo ${HOME}\"]\n"
`), nil},
		{"userData from a Secret", wukongHead + indent(minimalSpec+`
cloudInit:
  userDataSecretRef: {name: join-config, key: userdata}
`), nil},
		{"userData and a Secret", wukongHead + indent(minimalSpec+`
cloudInit:
  userData: "#cloud-config\n"
  userDataSecretRef: {name: join-config}
`), []string{"spec.cloudInit", "at most one of userData and userDataSecretRef"}},
		{"userData without header", wukongHead + indent(minimalSpec+`
cloudInit:
  userData: "packages: [nfs-common]\n"
`), []string{"spec.cloudInit.userData", "must start with the line #cloud-config"}},
		{"userData header in a template", tmpl(`
cloudInit:
  userData: "#!/bin/sh\necho ${NAME}\n"
`), []string{"spec.template.spec.cloudInit.userData", "#cloud-config"}},
		{"userData too long", wukongHead + indent(minimalSpec+`
cloudInit:
  userData: "#cloud-config\n`+strings.Repeat("#", 65536)+`"
`), []string{"spec.cloudInit.userData", "Too long"}},

		{"httpGet probe", wukongHead + indent(minimalSpec+`
readinessProbe:
  httpGet: {port: 8080, path: /healthz, scheme: HTTPS, httpHeaders: [{name: X-Probe, value: "1"}]}
  periodSeconds: 5
  timeoutSeconds: 2
  successThreshold: 2
  failureThreshold: 5
`), nil},
		{"exec probe", wukongHead + indent(minimalSpec+`
readinessProbe:
  exec: {command: [systemctl, is-active, kubelet]}
`), nil},
		{"guest agent ping probe", wukongHead + indent(minimalSpec+`
readinessProbe:
  guestAgentPing: {}
`), nil},
		{"probe without handler", wukongHead + indent(minimalSpec+`
readinessProbe:
  initialDelaySeconds: 10
`), []string{"spec.readinessProbe", "exactly one of tcpSocket, httpGet, exec and guestAgentPing"}},
		{"probe with two handlers", wukongHead + indent(minimalSpec+`
readinessProbe:
  tcpSocket: {port: 22}
  guestAgentPing: {}
`), []string{"spec.readinessProbe", "exactly one of"}},
		{"probe port out of range", wukongHead + indent(minimalSpec+`
readinessProbe:
  tcpSocket: {port: 70000}
`), []string{"spec.readinessProbe.tcpSocket.port", "65535"}},
		{"probe period zero", wukongHead + indent(minimalSpec+`
readinessProbe:
  tcpSocket: {port: 22}
  periodSeconds: 0
`), []string{"spec.readinessProbe.periodSeconds", "greater than or equal to 1"}},
		{"probe initial delay too long", wukongHead + indent(minimalSpec+`
readinessProbe:
  tcpSocket: {port: 22}
  initialDelaySeconds: 3601
`), []string{"spec.readinessProbe.initialDelaySeconds", "3600"}},
		{"httpGet path relative", wukongHead + indent(minimalSpec+`
readinessProbe:
  httpGet: {port: 80, path: healthz}
`), []string{"spec.readinessProbe.httpGet.path", "must start with /"}},
		{"exec without command", wukongHead + indent(minimalSpec+`
readinessProbe:
  exec: {command: []}
`), []string{"spec.readinessProbe.exec.command", "at least 1"}},

		{"eviction strategy unknown", wukongHead + indent(minimalSpec+`
evictionStrategy: Migrate
`), []string{"spec.evictionStrategy", "Unsupported value"}},
		{"live migration with shared disks", wukongHead + indent(minimalSpec+`
evictionStrategy: LiveMigrate
disks:
- {name: root, size: 10Gi, image: "docker://quay.io/containerdisks/fedora:41", accessMode: ReadWriteMany, volumeMode: Block}
- {name: data, size: 10Gi}
`), nil},
		{"live migration with a ReadWriteOnce disk", wukongHead + indent(minimalSpec+`
evictionStrategy: LiveMigrate
disks:
- {name: root, size: 10Gi, accessMode: ReadWriteMany}
- {name: data, size: 10Gi, accessMode: ReadWriteOnce}
`), []string{"spec.evictionStrategy", "KubeVirt live-migrates only ReadWriteMany volumes", "spec.disks[].accessMode"}},
		{"live migration with a ReadWriteOnce disk in a template", tmpl(`
evictionStrategy: LiveMigrate
disks:
- {name: data, size: 10Gi, accessMode: ReadWriteOncePod}
`), []string{"spec.template.spec.evictionStrategy", "ReadWriteMany"}},
		{"LiveMigrateIfPossible with a ReadWriteOnce disk", wukongHead + indent(minimalSpec+`
evictionStrategy: LiveMigrateIfPossible
disks:
- {name: data, size: 10Gi, accessMode: ReadWriteOnce}
`), nil},
		{"access mode unknown", wukongHead + indent(minimalSpec+`
disks:
- {name: data, size: 10Gi, accessMode: ReadOnlyMany}
`), []string{"spec.disks[0].accessMode", "Unsupported value"}},
		{"volume mode unknown", wukongHead + indent(minimalSpec+`
disks:
- {name: data, size: 10Gi, volumeMode: Raw}
`), []string{"spec.disks[0].volumeMode", "Unsupported value"}},
	}
	ctx := t.Context()
	ns, err := env.Namespace(ctx, "guest-validation")
	if err != nil {
		t.Fatal(err)
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u := decode(t, tc.doc)
			u.SetName(fmt.Sprintf("%s-%d", u.GetName(), i))
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
