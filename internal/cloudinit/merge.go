package cloudinit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/novasphere/wukong/api/v1alpha1"
)

// Field paths of the user's document, as errors name them.
const (
	fieldUserData          = "spec.cloudInit.userData"
	fieldUserDataSecretRef = "spec.cloudInit.userDataSecretRef"
)

// Keys of the operator's cloud-config; mergeUserData decides each of them.
const (
	keyHostname        = "hostname"
	keyFQDN            = "fqdn"
	keyManageEtcHosts  = "manage_etc_hosts"
	keySSHPasswordAuth = "ssh_pwauth"
	keyUsers           = "users"
	// keyNetwork is refused in the user's document: cloud-init reads network config from the NoCloud
	// network-config, which the operator writes from spec.networks, never from user data.
	keyNetwork = "network"
)

// ValidateUserData checks w's inline user data (spec.cloudInit.userData) exactly as UserData merges it: a
// first line #cloud-config, a YAML mapping after it, and no key that contradicts what the operator writes
// for w. It is pure and reads no Secret: a passwordSecretRef counts as a password, and a document from
// userDataSecretRef is checked when the Wukong is reconciled. The WukongSet controller and admission call it
// on every rendered member before any is created; the Wukong controller gets the same errors from UserData
// and reports them as InvalidSpec. The error names the field and never quotes the document.
func ValidateUserData(w *v1alpha1.Wukong) error {
	ci := w.Spec.CloudInit
	if ci == nil || ci.UserData == "" {
		return nil
	}
	hash := ""
	if u := w.Spec.User; u != nil {
		hash = u.PasswordHash
		if hash == "" && u.PasswordSecretRef != nil {
			// Stands for the hash the Secret holds; only whether there is one matters here.
			hash = "secret"
		}
	}
	_, err := mergeDocument(fieldUserData, operatorConfig(w, hash, nil), ci.UserData)
	return err
}

// userDocument is the user's own document and the field it comes from; ok is false when there is none.
func userDocument(w *v1alpha1.Wukong, creds Credentials) (field, doc string, ok bool) {
	ci := w.Spec.CloudInit
	switch {
	case ci == nil:
		return "", "", false
	case ci.UserData != "":
		return fieldUserData, ci.UserData, true
	case ci.UserDataSecretRef != nil:
		return fieldUserDataSecretRef, creds.UserData, true
	}
	return "", "", false
}

// mergeDocument merges the user's document doc (from field) into the operator's cfg. The rule:
//
//   - A key only one side writes is kept as that side wrote it.
//   - hostname, fqdn and manage_etc_hosts are the operator's (from spec.hostname or the Wukong's name): the
//     document may repeat them with the same value; another value, or an fqdn where spec.hostname has no
//     domain, is an error.
//   - ssh_pwauth is the operator's when spec.user has a password (it enables password logins); the document
//     may then only repeat true. Without a password the document's value stands.
//   - users: the document's entries come first, then spec.user's; an entry with spec.user's name is an
//     error (a user is defined in one place).
//   - network is an error: cloud-init takes network config only from the NoCloud network-config, which the
//     operator writes from spec.networks.
//
// Comments and key order of the document are not kept: the result is written with sorted keys.
func mergeDocument(field string, cfg cloudConfig, doc string) (map[string]any, error) {
	user, err := parseDocument(field, doc)
	if err != nil {
		return nil, err
	}
	op, err := toMap(cfg)
	if err != nil {
		return nil, err
	}
	if _, ok := user[keyNetwork]; ok {
		return nil, fmt.Errorf("%s: network: cloud-init takes network config only from the network data the operator writes; "+
			"set addresses in spec.networks[].ipConfig instead", field)
	}
	for _, k := range []string{keyHostname, keyFQDN, keyManageEtcHosts} {
		uv, set := user[k]
		if !set || reflect.DeepEqual(uv, op[k]) {
			continue
		}
		switch {
		case k == keyFQDN && op[k] == nil:
			return nil, fmt.Errorf("%s: fqdn differs from spec.hostname %q, which has no domain; "+
				"set spec.hostname to the full name instead", field, cfg.Hostname)
		case k == keyManageEtcHosts:
			return nil, fmt.Errorf("%s: manage_etc_hosts differs from the operator's true, which keeps /etc/hosts "+
				"naming the guest after spec.hostname; remove it", field)
		default:
			return nil, fmt.Errorf("%s: %s differs from spec.hostname (%q); remove it or set spec.hostname", field, k, op[k])
		}
	}
	if ov, ok := op[keySSHPasswordAuth]; ok {
		if uv, set := user[keySSHPasswordAuth]; set && !reflect.DeepEqual(uv, ov) {
			return nil, fmt.Errorf("%s: ssh_pwauth contradicts spec.user, whose password the operator enables "+
				"password logins for; remove it, or the password", field)
		}
	}
	users, err := mergeUsers(field, user[keyUsers], cfg.Users)
	if err != nil {
		return nil, err
	}

	merged := maps.Clone(user)
	maps.Copy(merged, op)
	if users != nil {
		merged[keyUsers] = users
	}
	return merged, nil
}

// mergeUsers is the document's users list followed by the operator's users, refusing a name in both.
func mergeUsers(field string, fromDoc any, ours []user) ([]any, error) {
	if fromDoc == nil {
		if len(ours) == 0 {
			return nil, nil
		}
		fromDoc = []any{}
	}
	list, ok := fromDoc.([]any)
	if !ok {
		return nil, fmt.Errorf("%s: users must be a list", field)
	}
	for i, e := range list {
		name := ""
		switch e := e.(type) {
		case string:
			name = e
		case map[string]any:
			name, _ = e["name"].(string)
		}
		for _, u := range ours {
			if name == u.Name {
				return nil, fmt.Errorf("%s: users[%d] is spec.user (%q); define the user in one place", field, i, u.Name)
			}
		}
	}
	out := slices.Clone(list)
	for _, u := range ours {
		m, err := toMap(u)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// yamlLine finds the line number in a YAML parser's error, the only part of it that is safe to repeat: the
// rest may quote the document, which can hold secrets.
var yamlLine = regexp.MustCompile(`line (\d+)`)

// parseDocument checks the #cloud-config header and reads the rest as a YAML mapping. Numbers are kept as
// written (json.Number), so a value the merge does not touch is written back unchanged.
func parseDocument(field, doc string) (map[string]any, error) {
	first, _, _ := strings.Cut(doc, "\n")
	if strings.TrimRight(first, " \t\r") != strings.TrimSuffix(userDataHeader, "\n") {
		return nil, fmt.Errorf("%s: the first line must be #cloud-config (cloud-init ignores other user data "+
			"the operator would merge)", field)
	}
	var v any
	if err := yaml.Unmarshal([]byte(doc), &v, useNumber); err != nil {
		where := ""
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			where = " at line " + m[1]
		}
		return nil, fmt.Errorf("%s: not valid YAML%s", field, where)
	}
	switch v := v.(type) {
	case nil:
		return map[string]any{}, nil
	case map[string]any:
		return v, nil
	}
	return nil, fmt.Errorf("%s: must be a YAML mapping (key: value lines) after the #cloud-config line", field)
}

func useNumber(d *json.Decoder) *json.Decoder {
	d.UseNumber()
	return d
}

// toMap turns one of the operator's structs into the generic form of a parsed document.
func toMap(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("marshal cloud-init user data: %w", err)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, fmt.Errorf("marshal cloud-init user data: %w", err)
	}
	return m, nil
}
