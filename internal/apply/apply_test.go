package apply

import (
	"encoding/json"
	"testing"
)

func TestContains(t *testing.T) {
	cases := []struct {
		name            string
		actual, desired string
		want            bool
	}{
		{"equal", `{"a":1}`, `{"a":1}`, true},
		{"extra key in actual", `{"a":1,"b":2}`, `{"a":1}`, true},
		{"missing key", `{"b":2}`, `{"a":1}`, false},
		{"different scalar", `{"a":1}`, `{"a":2}`, false},
		{"nested extra defaulted field", `{"s":{"t":{"x":1,"machine":"q35"}}}`, `{"s":{"t":{"x":1}}}`, true},
		{"list same length with defaults", `{"l":[{"n":"a","bus":"virtio"}]}`, `{"l":[{"n":"a"}]}`, true},
		{"list length differs", `{"l":[{"n":"a"},{"n":"b"}]}`, `{"l":[{"n":"a"}]}`, false},
		{"list order differs", `{"l":["a","b"]}`, `{"l":["b","a"]}`, false},
		{"desired null", `{"a":1}`, `{"a":null}`, true},
		{"desired empty map vs absent", `{}`, `{"m":{}}`, true},
		{"desired non-empty map vs absent", `{}`, `{"m":{"k":"v"}}`, false},
		{"string vs number", `{"a":"1"}`, `{"a":1}`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var a, d any
			if err := json.Unmarshal([]byte(tc.actual), &a); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(tc.desired), &d); err != nil {
				t.Fatal(err)
			}
			if got := Contains(a, d); got != tc.want {
				t.Fatalf("Contains(%s, %s) = %v, want %v", tc.actual, tc.desired, got, tc.want)
			}
		})
	}
}
