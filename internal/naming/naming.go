// Package naming is the one place that names the objects the operator creates: members of a set and the
// children of a Wukong. Every builder, controller, the simulator and the tests call it, so a name is decided
// once.
package naming

import (
	"crypto/sha256"
	"fmt"
	"strconv"
	"strings"
)

// Member is the name of the member of set at index.
func Member(set string, index int) string {
	return set + "-" + strconv.Itoa(index)
}

// MemberIndex parses the index out of a member name of set; ok is false when name is not <set>-<n> with n a
// canonical non-negative integer.
func MemberIndex(set, name string) (index int, ok bool) {
	suffix, found := strings.CutPrefix(name, set+"-")
	if !found || suffix == "" || (len(suffix) > 1 && suffix[0] == '0') {
		return 0, false
	}
	n, err := strconv.Atoi(suffix)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// VirtualMachine is the name of a Wukong's KubeVirt VirtualMachine: the Wukong's own name.
func VirtualMachine(wukong string) string { return wukong }

// DataVolume is the name of the DataVolume behind a Wukong's disk.
func DataVolume(wukong, disk string) string { return wukong + "-" + disk }

// Attachment is the name of the NetworkAttachmentDefinition a Wukong owns for one of its networks.
func Attachment(wukong, network string) string { return wukong + "-" + network }

// MaxAttachmentName is the longest name SetAttachment returns: a DNS-1123 label. A NetworkAttachmentDefinition
// name may be a 253-character DNS subdomain, but Multus checks the name part of a network selection
// ("namespace/name@interface") against the DNS-1123 label pattern (no dots), and CNI plugins use the config's
// name (the attachment's name here) in places that are labels; 63 characters without dots passes all of them.
const MaxAttachmentName = 63

// SetAttachment is the name of the NetworkAttachmentDefinition the members of set share for network when
// the network's attachment settings hash to configHash: <set>-<network>-<configHash>. When that is longer
// than MaxAttachmentName, <set>-<network> is cut (and a trailing "-" dropped) so the whole fits; the hash is
// kept whole and is computed over the set and network names as well (internal/multus), so a cut name is as
// unique as a whole one. The set and the network are also on the object's labels.
func SetAttachment(set, network, configHash string) string {
	prefix := set + "-" + network
	if limit := MaxAttachmentName - 1 - len(configHash); len(prefix) > limit {
		prefix = strings.TrimRight(prefix[:max(limit, 0)], "-")
	}
	return prefix + "-" + configHash
}

// CloudInitSecret is the name of the Secret holding a Wukong's cloud-init user and network data.
func CloudInitSecret(wukong string) string { return wukong + "-cloudinit" }

// MAC is the stable, locally administered unicast MAC address of a Wukong's interface on network: derived
// from namespace, Wukong and network names, so a re-created VM keeps its address and cloud-init network data
// can match interfaces by MAC.
func MAC(namespace, wukong, network string) string {
	sum := sha256.Sum256([]byte(namespace + "/" + wukong + "/" + network))
	return fmt.Sprintf("02:%02x:%02x:%02x:%02x:%02x", sum[0], sum[1], sum[2], sum[3], sum[4])
}
