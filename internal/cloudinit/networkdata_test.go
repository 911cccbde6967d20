package cloudinit

import (
	"strings"
	"testing"

	"github.com/novasphere/wukong/api/v1alpha1"
)

func TestNetworkData(t *testing.T) {
	dhcp := func(network string) map[string]any {
		return map[string]any{"match": map[string]any{"macaddress": mac(network)}, "dhcp4": true}
	}
	tests := []struct {
		name   string
		mutate func(w *v1alpha1.Wukong)
		want   map[string]any
	}{
		{
			name: "static ipv4 gateway takes the default route from the pod network",
			want: map[string]any{
				"version": float64(2),
				"ethernets": map[string]any{
					"default": map[string]any{
						"match":           map[string]any{"macaddress": mac(PodNetworkName)},
						"dhcp4":           true,
						"dhcp4-overrides": map[string]any{"use-routes": false},
					},
					"lan": map[string]any{
						"match":       map[string]any{"macaddress": mac("lan")},
						"dhcp4":       false,
						"addresses":   []any{"192.168.10.5/24"},
						"routes":      []any{map[string]any{"to": "0.0.0.0/0", "via": "192.168.10.1"}},
						"nameservers": map[string]any{"addresses": []any{"1.1.1.1", "8.8.8.8"}},
					},
					"dmz":   dhcp("dmz"),
					"fast":  dhcp("fast"),
					"ext":   dhcp("ext"),
					"local": dhcp("local"),
				},
			},
		},
		{
			name: "static without gateway keeps pod routes",
			mutate: func(w *v1alpha1.Wukong) {
				w.Spec.Networks = []v1alpha1.Network{{Name: "lan", IPConfig: &v1alpha1.IPConfig{
					Mode: v1alpha1.IPModeStatic, Address: "10.0.0.5/8"}}}
			},
			want: map[string]any{
				"version": float64(2),
				"ethernets": map[string]any{
					"default": dhcp(PodNetworkName),
					"lan": map[string]any{
						"match": map[string]any{"macaddress": mac("lan")}, "dhcp4": false,
						"addresses": []any{"10.0.0.5/8"},
					},
				},
			},
		},
		{
			name: "ipv6 gateway routes ::/0 and keeps pod ipv4 routes",
			mutate: func(w *v1alpha1.Wukong) {
				w.Spec.Networks = []v1alpha1.Network{{Name: "v6", IPConfig: &v1alpha1.IPConfig{
					Mode: v1alpha1.IPModeStatic, Address: "2001:db8::5/64", Gateway: "2001:db8::1"}}}
			},
			want: map[string]any{
				"version": float64(2),
				"ethernets": map[string]any{
					"default": dhcp(PodNetworkName),
					"v6": map[string]any{
						"match": map[string]any{"macaddress": mac("v6")}, "dhcp4": false,
						"addresses": []any{"2001:db8::5/64"},
						"routes":    []any{map[string]any{"to": "::/0", "via": "2001:db8::1"}},
					},
				},
			},
		},
		{
			name:   "pod network only",
			mutate: func(w *v1alpha1.Wukong) { w.Spec.Networks = nil },
			want: map[string]any{
				"version":   float64(2),
				"ethernets": map[string]any{"default": dhcp(PodNetworkName)},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := wukong()
			if tt.mutate != nil {
				tt.mutate(w)
			}
			got, err := NetworkData(w)
			if err != nil {
				t.Fatalf("NetworkData: %v", err)
			}
			assertYAML(t, got, tt.want)
			if again, _ := NetworkData(w); again != got {
				t.Error("NetworkData is not deterministic")
			}
		})
	}
}

func TestNetworkDataErrors(t *testing.T) {
	tests := []struct {
		name    string
		net     v1alpha1.Network
		wantErr string
	}{
		{"reserved name", v1alpha1.Network{Name: "default"},
			`spec.networks[0].name: "default" is reserved for the pod network`},
		{"static without address", v1alpha1.Network{Name: "lan", IPConfig: &v1alpha1.IPConfig{Mode: v1alpha1.IPModeStatic}},
			"spec.networks[0].ipConfig: address:"},
		{"address without prefix", v1alpha1.Network{Name: "lan", IPConfig: &v1alpha1.IPConfig{Mode: v1alpha1.IPModeStatic, Address: "10.0.0.5"}},
			"spec.networks[0].ipConfig: address:"},
		{"bad gateway", v1alpha1.Network{Name: "lan", IPConfig: &v1alpha1.IPConfig{Mode: v1alpha1.IPModeStatic, Address: "10.0.0.5/8", Gateway: "router"}},
			"spec.networks[0].ipConfig: gateway:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := wukong()
			w.Spec.Networks = []v1alpha1.Network{tt.net}
			_, err := NetworkData(w)
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want prefix %q", err, tt.wantErr)
			}
		})
	}
}
