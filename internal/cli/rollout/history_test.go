package rollout

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
)

func revision(number int64, hash string, owner types.UID) appsv1.ControllerRevision {
	return appsv1.ControllerRevision{
		ObjectMeta: metav1.ObjectMeta{Name: "web-" + hash, Labels: map[string]string{vmv1alpha1.LabelRevision: hash},
			OwnerReferences: []metav1.OwnerReference{{Kind: "WukongSet", Name: "web", UID: owner, Controller: ptr.To(true)}}},
		Revision: number,
	}
}

func TestOwnedRevisions(t *testing.T) {
	s := &vmv1alpha1.WukongSet{ObjectMeta: metav1.ObjectMeta{Name: "web", UID: "new"}}
	notControlled := revision(4, "d", "new")
	notControlled.OwnerReferences[0].Controller = nil
	got := ownedRevisions(s, []appsv1.ControllerRevision{
		revision(3, "c", "new"), revision(1, "a", "new"), revision(9, "z", "old"), notControlled, revision(2, "b", "new"),
	})
	var hashes []string
	for _, cr := range got {
		hashes = append(hashes, cr.Labels[vmv1alpha1.LabelRevision])
	}
	if strings.Join(hashes, ",") != "a,b,c" {
		t.Errorf("owned revisions %v; want a,b,c: the set's own, by number", hashes)
	}
}

func TestRollbackTarget(t *testing.T) {
	revs := []appsv1.ControllerRevision{revision(1, "a", "u"), revision(2, "b", "u"), revision(3, "c", "u")}
	tests := []struct {
		name    string
		revs    []appsv1.ControllerRevision
		current string
		to      int64
		want    string
		wantErr string
	}{
		{name: "previous: the newest that is not current", revs: revs, current: "c", want: "b"},
		{name: "current template not stored yet: the newest stored", revs: revs, current: "new", want: "c"},
		{name: "current is an older revision put back", revs: revs, current: "a", want: "c"},
		{name: "a named revision", revs: revs, current: "c", to: 1, want: "a"},
		{name: "the current revision by number (the caller skips it)", revs: revs, current: "c", to: 3, want: "c"},
		{name: "unknown number", revs: revs, current: "c", to: 7, wantErr: "unable to find revision 7 in history (revisions: 1, 2, 3)"},
		{name: "only the current revision", revs: revs[2:], current: "c", wantErr: "no previous revision to roll back to"},
		{name: "no history", current: "c", wantErr: "no rollout history found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := rollbackTarget(tc.revs, tc.current, tc.to)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, %v; want error %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got.Labels[vmv1alpha1.LabelRevision] != tc.want {
				t.Fatalf("got %v, %v; want revision %s", got, err, tc.want)
			}
		})
	}
}

func TestSetName(t *testing.T) {
	for in, want := range map[string]string{"web": "web", "wukongset/web": "web", "wks/web": "web", "WukongSets.vm.novasphere.dev/web": "web"} {
		if got, err := setName(in); err != nil || got != want {
			t.Errorf("setName(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"deployment/web", "wukongset/"} {
		if got, err := setName(in); err == nil {
			t.Errorf("setName(%q) = %q; want an error", in, got)
		}
	}
}
