package wukong_test

import (
	"context"
	"testing"

	"k8s.io/utils/ptr"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/naming"
)

// TestSharedAttachmentWrites counts, with the apiserver's own counters, the writes to attachments while a set
// of 20 members with one network is created: one shared attachment, so far fewer than one write per member
// (each member wrote its own before). A member that finds no attachment in its cache tries to create it;
// only the first succeeds and the others' AlreadyExists is success, so a few of those may count too.
// Not parallel: the counters are the apiserver's, so no other test may write attachments meanwhile.
func TestSharedAttachmentWrites(t *testing.T) {
	const members = 20
	ctx := context.Background()
	ns := namespace(t)
	set := newSet(ns, "fleet", members, vmv1alpha1.Network{
		Name: "lan", Type: vmv1alpha1.NetworkTypeBridge, BridgeName: "br1", VLANID: ptr.To[int32](10),
		IPConfig: &vmv1alpha1.IPConfig{Mode: vmv1alpha1.IPModeStatic, Address: "10.1.0.${INDEX+10}/16"},
	})
	before, err := h.APIRequests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	create(t, set)
	for i := range members {
		waitPhase(t, ns, naming.Member("fleet", i), vmv1alpha1.WukongRunning)
	}
	after, err := h.APIRequests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	writes := after["POST network-attachment-definitions"] - before["POST network-attachment-definitions"]
	all := 0.0
	for _, verb := range []string{"POST", "PUT", "PATCH", "DELETE"} {
		all += after[verb+" network-attachment-definitions"] - before[verb+" network-attachment-definitions"]
	}
	t.Logf("%d members, 1 network: %.0f attachment creates attempted, %.0f attachment writes in all (%.2f per member; 1 per member when each had its own)",
		members, writes, all, all/members)
	if n := len(attachments(t, ns)); n != 1 {
		t.Errorf("%d attachments, want 1", n)
	}
	if all > members/2 {
		t.Errorf("%.0f attachment writes for %d members sharing one attachment, want at most %d", all, members, members/2)
	}
}
