// Package cloudinit builds a Wukong's cloud-init NoCloud data: the user data (hostname and login user), the
// network data (addresses of every interface, matched by MAC) and the Secret that carries both to the VM.
//
// The user data holds a password hash and SSH keys, so it is only ever returned to the caller or written
// into the Secret; nothing here logs it or puts it into an error.
package cloudinit

import (
	"fmt"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/novasphere/wukong/api/v1alpha1"
)

// Keys of the cloud-init Secret, as KubeVirt's cloudInitNoCloud secret references read them.
const (
	// UserDataKey holds the #cloud-config user data.
	UserDataKey = "userdata"
	// NetworkDataKey holds the version 2 network config.
	NetworkDataKey = "networkdata"
)

// PodNetworkName is the name of the VM's pod network interface, always its first interface. The VM builder
// names the interface and network this way, and the network data keys the interface's config by it.
const PodNetworkName = "default"

// userDataHeader marks the document as cloud-config; cloud-init ignores user data without it.
const userDataHeader = "#cloud-config\n"

// Credentials are the login secrets the controller resolved from the Secrets a CloudInitUser references.
// Values given inline in the spec are merged in by UserData.
type Credentials struct {
	// PasswordHash is a crypt(3) hash from passwordSecretRef; spec.user.passwordHash wins when set.
	PasswordHash string
	// SSHAuthorizedKeys are public keys from sshAuthorizedKeysSecretRef; they follow spec.user's keys.
	SSHAuthorizedKeys []string
	// UserData is the #cloud-config document read from spec.cloudInit.userDataSecretRef, merged like
	// spec.cloudInit.userData.
	UserData string
}

// cloudConfig is the subset of #cloud-config the operator writes. sigs.k8s.io/yaml sorts keys, so the
// output is stable.
type cloudConfig struct {
	Hostname       string `json:"hostname"`
	FQDN           string `json:"fqdn,omitempty"`
	ManageEtcHosts bool   `json:"manage_etc_hosts"`
	Users          []user `json:"users,omitempty"`
	// SSHPasswordAuth is only written when a password exists; otherwise the image's default stands, which
	// is what key-only users expect.
	SSHPasswordAuth bool `json:"ssh_pwauth,omitempty"`
}

// user is one entry of cloud-config's users list.
type user struct {
	Name   string `json:"name"`
	Passwd string `json:"passwd,omitempty"`
	// LockPasswd is always written: cloud-init locks the password by default, which would make a given
	// hash useless.
	LockPasswd        bool     `json:"lock_passwd"`
	SSHAuthorizedKeys []string `json:"ssh_authorized_keys,omitempty"`
	Sudo              string   `json:"sudo,omitempty"`
	Shell             string   `json:"shell,omitempty"`
	Groups            []string `json:"groups,omitempty"`
}

// UserData is w's #cloud-config user data: the hostname and, when spec.user is set, that user with the
// password hash and SSH keys merged from spec and creds; then the user's own document (spec.cloudInit.userData,
// or creds.UserData read from spec.cloudInit.userDataSecretRef) merged in by the rule of mergeUserData. It
// fails when the user's document is not a #cloud-config YAML mapping or contradicts the operator's keys; the
// error names the field and never quotes the document.
func UserData(w *v1alpha1.Wukong, creds Credentials) (string, error) {
	hash := ""
	if u := w.Spec.User; u != nil {
		hash = u.PasswordHash
		if hash == "" {
			hash = creds.PasswordHash
		}
	}
	cfg := operatorConfig(w, hash, creds.SSHAuthorizedKeys)
	field, doc, ok := userDocument(w, creds)
	if !ok {
		b, err := yaml.Marshal(cfg)
		if err != nil {
			// The error of a failed marshal describes types, never values, so it is safe to return.
			return "", fmt.Errorf("marshal cloud-init user data: %w", err)
		}
		return userDataHeader + string(b), nil
	}
	merged, err := mergeDocument(field, cfg, doc)
	if err != nil {
		return "", err
	}
	b, err := yaml.Marshal(merged)
	if err != nil {
		return "", fmt.Errorf("marshal cloud-init user data: %w", err)
	}
	return userDataHeader + string(b), nil
}

// operatorConfig is the cloud-config the operator writes for w, with the user's resolved password hash and
// the SSH keys read from its Secret.
func operatorConfig(w *v1alpha1.Wukong, hash string, secretKeys []string) cloudConfig {
	// cloud-init sets the hostname to "hostname" and writes "fqdn" to /etc/hosts; handing it the full name
	// as hostname would make the guest's short name the FQDN and disagree with the VM's hostname.
	short, fqdn := Hostname(w)
	cfg := cloudConfig{Hostname: short, FQDN: fqdn, ManageEtcHosts: true}

	if u := w.Spec.User; u != nil {
		cfg.Users = []user{{
			Name:              u.Name,
			Passwd:            hash,
			LockPasswd:        hash == "",
			SSHAuthorizedKeys: mergeKeys(u.SSHAuthorizedKeys, secretKeys),
			Sudo:              u.Sudo,
			Shell:             u.Shell,
			Groups:            slices.Clone(u.Groups),
		}}
		cfg.SSHPasswordAuth = hash != ""
	}
	return cfg
}

// Hostname is the guest's hostname, spec.hostname or else the Wukong's name, split for cloud-init and
// KubeVirt: short is its first DNS label, fqdn the whole name when it has a dot and empty otherwise.
func Hostname(w *v1alpha1.Wukong) (short, fqdn string) {
	host := w.Spec.Hostname
	if host == "" {
		host = w.Name
	}
	if first, _, dotted := strings.Cut(host, "."); dotted {
		return first, host
	}
	return host, ""
}

// mergeKeys returns the spec keys, then the Secret keys, trimmed, without blanks and duplicates, first
// occurrence kept. Keys read from a Secret often end in a newline, which would otherwise defeat the dedup.
func mergeKeys(lists ...[]string) []string {
	var keys []string
	seen := map[string]bool{}
	for _, list := range lists {
		for _, k := range list {
			k = strings.TrimSpace(k)
			if k == "" || seen[k] {
				continue
			}
			seen[k] = true
			keys = append(keys, k)
		}
	}
	return keys
}
