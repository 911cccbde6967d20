package cloudinit

import (
	"strings"
	"testing"

	"github.com/novasphere/wukong/api/v1alpha1"
)

func TestUserData(t *testing.T) {
	// alice is the fixture's user as cloud-config, before a case changes it.
	alice := func() map[string]any {
		return map[string]any{
			"name":                "alice",
			"passwd":              hash,
			"lock_passwd":         false,
			"ssh_authorized_keys": []any{keyA, keyB},
			"sudo":                sudoAll,
			"shell":               "/bin/bash",
			"groups":              []any{"wheel", "docker"},
		}
	}
	tests := []struct {
		name   string
		mutate func(w *v1alpha1.Wukong)
		creds  Credentials
		want   func() map[string]any
	}{
		{
			name: "full user with fqdn",
			want: func() map[string]any {
				return map[string]any{
					"hostname": "web-0", "fqdn": "web-0.lab.example.com", "manage_etc_hosts": true,
					"ssh_pwauth": true, "users": []any{alice()},
				}
			},
		},
		{
			name: "spec hash wins, secret keys appended without duplicates",
			creds: Credentials{
				PasswordHash:      "$6$other$ignored",
				SSHAuthorizedKeys: []string{keyB + "\n", keyC, "  ", keyA},
			},
			want: func() map[string]any {
				u := alice()
				u["ssh_authorized_keys"] = []any{keyA, keyB, keyC}
				return map[string]any{
					"hostname": "web-0", "fqdn": "web-0.lab.example.com", "manage_etc_hosts": true,
					"ssh_pwauth": true, "users": []any{u},
				}
			},
		},
		{
			name:   "hash from credentials",
			mutate: func(w *v1alpha1.Wukong) { w.Spec.User.PasswordHash = "" },
			creds:  Credentials{PasswordHash: "$6$fromsecret$x"},
			want: func() map[string]any {
				u := alice()
				u["passwd"] = "$6$fromsecret$x"
				return map[string]any{
					"hostname": "web-0", "fqdn": "web-0.lab.example.com", "manage_etc_hosts": true,
					"ssh_pwauth": true, "users": []any{u},
				}
			},
		},
		{
			name: "no password locks it and leaves ssh_pwauth unset",
			mutate: func(w *v1alpha1.Wukong) {
				w.Spec.User = &v1alpha1.CloudInitUser{Name: "bob"}
				w.Spec.Hostname = ""
			},
			creds: Credentials{SSHAuthorizedKeys: []string{keyC}},
			want: func() map[string]any {
				return map[string]any{
					"hostname": "web-0", "manage_etc_hosts": true,
					"users": []any{map[string]any{"name": "bob", "lock_passwd": true, "ssh_authorized_keys": []any{keyC}}},
				}
			},
		},
		{
			name: "no user ignores credentials",
			mutate: func(w *v1alpha1.Wukong) {
				w.Spec.User = nil
				w.Spec.Hostname = "db"
			},
			creds: Credentials{PasswordHash: hash, SSHAuthorizedKeys: []string{keyA}},
			want: func() map[string]any {
				return map[string]any{"hostname": "db", "manage_etc_hosts": true}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := wukong()
			if tt.mutate != nil {
				tt.mutate(w)
			}
			got, err := UserData(w, tt.creds)
			if err != nil {
				t.Fatalf("UserData: %v", err)
			}
			if !strings.HasPrefix(got, "#cloud-config\n") {
				t.Errorf("user data does not start with #cloud-config:\n%s", got)
			}
			assertYAML(t, got, tt.want())
			if again, _ := UserData(w, tt.creds); again != got {
				t.Error("UserData is not deterministic")
			}
		})
	}
}

// TestUserDataExact pins the bytes of a small document: a byte change rewrites the Secret of every VM.
func TestUserDataExact(t *testing.T) {
	w := wukong()
	w.Spec.Hostname = ""
	w.Spec.User = &v1alpha1.CloudInitUser{Name: "alice", PasswordHash: hash}
	got, err := UserData(w, Credentials{})
	if err != nil {
		t.Fatal(err)
	}
	want := `#cloud-config
hostname: web-0
manage_etc_hosts: true
ssh_pwauth: true
users:
- lock_passwd: false
  name: alice
  passwd: $6$salt$hashedpassword
`
	if got != want {
		t.Errorf("UserData\n got:\n%s\nwant:\n%s", got, want)
	}
}

func TestHostname(t *testing.T) {
	tests := []struct{ spec, wantShort, wantFQDN string }{
		{"", "web-0", ""},
		{"db", "db", ""},
		{"db.lab.example.com", "db", "db.lab.example.com"},
	}
	for _, tt := range tests {
		w := wukong()
		w.Spec.Hostname = tt.spec
		if short, fqdn := Hostname(w); short != tt.wantShort || fqdn != tt.wantFQDN {
			t.Errorf("Hostname(%q) = %q, %q; want %q, %q", tt.spec, short, fqdn, tt.wantShort, tt.wantFQDN)
		}
	}
}
