package cloudinit

import (
	"strings"
	"testing"

	"github.com/novasphere/wukong/api/v1alpha1"
)

// The document, as a set member renders it.
const joinDoc = `#cloud-config
packages: [nfs-common]
runcmd:
- [sh, -c, "echo joining as k8s-workers-0 >> /var/log/join.log"]
write_files:
- path: /etc/demo
  permissions: 0644
  content: "x"
`

func TestUserDataMerge(t *testing.T) {
	// base is the operator's part for the fixture with user bob (no password) and hostname web-0.
	bob := func() map[string]any {
		return map[string]any{"name": "bob", "lock_passwd": true, "ssh_authorized_keys": []any{keyA}}
	}
	base := func(extra map[string]any) map[string]any {
		m := map[string]any{"hostname": "web-0", "manage_etc_hosts": true, "users": []any{bob()}}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name   string
		doc    string
		secret bool // the document comes from userDataSecretRef
		mutate func(w *v1alpha1.Wukong)
		want   map[string]any
	}{
		{
			name: "keys only the user writes are kept, numbers as written",
			doc:  joinDoc,
			want: base(map[string]any{
				"packages": []any{"nfs-common"},
				"runcmd":   []any{[]any{"sh", "-c", "echo joining as k8s-workers-0 >> /var/log/join.log"}},
				"write_files": []any{map[string]any{
					"path": "/etc/demo", "permissions": float64(420), "content": "x"}},
			}),
		},
		{
			name:   "same document from a Secret",
			doc:    "#cloud-config\npackages: [nfs-common]\n",
			secret: true,
			want:   base(map[string]any{"packages": []any{"nfs-common"}}),
		},
		{
			name: "users from the document come first, then spec.user",
			doc:  "#cloud-config\nusers:\n- default\n- name: ops\n  groups: [adm]\n",
			want: base(map[string]any{"users": []any{"default", map[string]any{"name": "ops", "groups": []any{"adm"}}, bob()}}),
		},
		{
			name:   "without spec.user the document's users stand",
			doc:    "#cloud-config\nusers: [default]\n",
			mutate: func(w *v1alpha1.Wukong) { w.Spec.User = nil },
			want:   map[string]any{"hostname": "web-0", "manage_etc_hosts": true, "users": []any{"default"}},
		},
		{
			name: "repeating the operator's values is fine",
			doc:  "#cloud-config\nhostname: web-0\nmanage_etc_hosts: true\n",
			want: base(nil),
		},
		{
			name: "ssh_pwauth without a password is the user's",
			doc:  "#cloud-config\nssh_pwauth: false\n",
			want: base(map[string]any{"ssh_pwauth": false}),
		},
		{
			name: "header with trailing space and CRLF, comments only",
			doc:  "#cloud-config \r\n# nothing yet\n",
			want: base(nil),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := wukong()
			w.Spec.Hostname = ""
			w.Spec.User = &v1alpha1.CloudInitUser{Name: "bob", SSHAuthorizedKeys: []string{keyA}}
			var creds Credentials
			if tt.secret {
				w.Spec.CloudInit = &v1alpha1.CloudInit{UserDataSecretRef: &v1alpha1.SecretKeyRef{Name: "ud"}}
				creds.UserData = tt.doc
			} else {
				w.Spec.CloudInit = &v1alpha1.CloudInit{UserData: tt.doc}
			}
			if tt.mutate != nil {
				tt.mutate(w)
			}
			got, err := UserData(w, creds)
			if err != nil {
				t.Fatalf("UserData: %v", err)
			}
			if !strings.HasPrefix(got, "#cloud-config\n") {
				t.Errorf("merged user data does not start with #cloud-config:\n%s", got)
			}
			assertYAML(t, got, tt.want)
			if again, _ := UserData(w, creds); again != got {
				t.Error("UserData is not deterministic")
			}
			if !tt.secret {
				if err := ValidateUserData(w); err != nil {
					t.Errorf("ValidateUserData: %v", err)
				}
			}
		})
	}
}

// TestUserDataMergeErrors: each contradiction or malformed document is an error naming the field, and no
// error repeats the document (which may hold secrets).
func TestUserDataMergeErrors(t *testing.T) {
	const secretWord = "s3cr3t-token"
	tests := []struct {
		name    string
		doc     string
		mutate  func(w *v1alpha1.Wukong)
		wantErr string
	}{
		{"no header", "packages: [" + secretWord + "]\n", nil,
			"spec.cloudInit.userData: the first line must be #cloud-config"},
		{"a shell script", "#!/bin/sh\necho " + secretWord + "\n", nil,
			"spec.cloudInit.userData: the first line must be #cloud-config"},
		{"not YAML", "#cloud-config\nwrite_files:\n  - content: " + secretWord + "\n   path: [\n", nil,
			"spec.cloudInit.userData: not valid YAML at line"},
		{"not a mapping", "#cloud-config\n- " + secretWord + "\n", nil,
			"spec.cloudInit.userData: must be a YAML mapping"},
		{"other hostname", "#cloud-config\nhostname: other\n", nil,
			`spec.cloudInit.userData: hostname differs from spec.hostname ("web-0")`},
		{"fqdn without a domain in spec.hostname", "#cloud-config\nfqdn: web-0.example.com\n", nil,
			`spec.cloudInit.userData: fqdn differs from spec.hostname "web-0", which has no domain`},
		{"other fqdn", "#cloud-config\nfqdn: web-0.example.com\n",
			func(w *v1alpha1.Wukong) { w.Spec.Hostname = "web-0.lab.example.com" },
			`spec.cloudInit.userData: fqdn differs from spec.hostname ("web-0.lab.example.com")`},
		{"manage_etc_hosts off", "#cloud-config\nmanage_etc_hosts: false\n", nil,
			"spec.cloudInit.userData: manage_etc_hosts differs"},
		{"ssh_pwauth off with a password", "#cloud-config\nssh_pwauth: false\n",
			func(w *v1alpha1.Wukong) { w.Spec.User.PasswordHash = hash },
			"spec.cloudInit.userData: ssh_pwauth contradicts spec.user"},
		{"ssh_pwauth off with a password Secret", "#cloud-config\nssh_pwauth: false\n",
			func(w *v1alpha1.Wukong) { w.Spec.User.PasswordSecretRef = &v1alpha1.SecretKeyRef{Name: "pw"} },
			"spec.cloudInit.userData: ssh_pwauth contradicts spec.user"},
		{"spec.user defined again", "#cloud-config\nusers:\n- name: bob\n  passwd: " + secretWord + "\n", nil,
			`spec.cloudInit.userData: users[0] is spec.user ("bob")`},
		{"spec.user named again", "#cloud-config\nusers: [default, bob]\n", nil,
			`spec.cloudInit.userData: users[1] is spec.user ("bob")`},
		{"users not a list", "#cloud-config\nusers: bob\n", nil,
			"spec.cloudInit.userData: users must be a list"},
		{"network config", "#cloud-config\nnetwork:\n  version: 2\n", nil,
			"spec.cloudInit.userData: network: cloud-init takes network config only from the network data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := wukong()
			w.Spec.Hostname = ""
			w.Spec.User = &v1alpha1.CloudInitUser{Name: "bob"}
			w.Spec.CloudInit = &v1alpha1.CloudInit{UserData: tt.doc}
			if tt.mutate != nil {
				tt.mutate(w)
			}
			err := ValidateUserData(w)
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Fatalf("ValidateUserData error = %v, want prefix %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), secretWord) {
				t.Errorf("error quotes the document: %v", err)
			}
			// The controller's path (UserData, with the Secret's hash when there is one) gives the same error.
			_, uerr := UserData(w, Credentials{PasswordHash: "$6$fromsecret$x"})
			if uerr == nil || uerr.Error() != err.Error() {
				t.Errorf("UserData error = %v, want %v", uerr, err)
			}
		})
	}
}

// TestUserDataSecretErrorsNameTheRef: a document from a Secret is reported under userDataSecretRef, and an
// empty Secret value is refused rather than silently dropped.
func TestUserDataSecretErrorsNameTheRef(t *testing.T) {
	w := wukong()
	w.Spec.CloudInit = &v1alpha1.CloudInit{UserDataSecretRef: &v1alpha1.SecretKeyRef{Name: "ud"}}
	for _, doc := range []string{"", "hostname: x\n"} {
		_, err := UserData(w, Credentials{UserData: doc})
		if err == nil || !strings.HasPrefix(err.Error(), "spec.cloudInit.userDataSecretRef: the first line must be #cloud-config") {
			t.Errorf("UserData with Secret document %q: error %v", doc, err)
		}
	}
	if err := ValidateUserData(w); err != nil {
		t.Errorf("ValidateUserData reads no Secret, want nil: %v", err)
	}
}

// TestUserDataWithoutDocumentUnchanged: no cloudInit, or an empty one, writes the bytes it always wrote, so
// upgrading the operator rewrites no Secret.
func TestUserDataWithoutDocumentUnchanged(t *testing.T) {
	w := wukong()
	want, err := UserData(w, Credentials{})
	if err != nil {
		t.Fatal(err)
	}
	w.Spec.CloudInit = &v1alpha1.CloudInit{}
	if got, _ := UserData(w, Credentials{}); got != want {
		t.Errorf("empty cloudInit changed the user data:\n%s\nwant:\n%s", got, want)
	}
}
