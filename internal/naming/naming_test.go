package naming

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"
)

func TestSetAttachment(t *testing.T) {
	long := strings.Repeat
	tests := []struct {
		name, set, network, hash string
		want                     string
	}{
		{name: "fits", set: "web", network: "lan", hash: "0123456789", want: "web-lan-0123456789"},
		{name: "exactly 63", set: long("s", 40), network: long("n", 11), hash: "0123456789",
			want: long("s", 40) + "-" + long("n", 11) + "-0123456789"},
		{name: "longest set and network cut to 63", set: long("s", 57), network: long("n", 40), hash: "0123456789",
			want: long("s", 52) + "-0123456789"},
		{name: "cut before the network's dash drops it", set: long("s", 51), network: "lan", hash: "0123456789",
			want: long("s", 51) + "-0123456789"},
		{name: "cut inside the network", set: long("s", 40), network: long("n", 40), hash: "0123456789",
			want: long("s", 40) + "-" + long("n", 11) + "-0123456789"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SetAttachment(tt.set, tt.network, tt.hash)
			if got != tt.want {
				t.Errorf("SetAttachment = %q, want %q", got, tt.want)
			}
			if errs := validation.IsDNS1123Label(got); len(errs) > 0 {
				t.Errorf("SetAttachment = %q is not a DNS-1123 label: %v", got, errs)
			}
		})
	}
}
