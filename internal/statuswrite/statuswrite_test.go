package statuswrite

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

func TestDecide(t *testing.T) {
	const interval = 10 * time.Second
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	progress := Change{Progress: true}
	cases := []struct {
		name      string
		change    Change
		last, now time.Time
		write     bool
		retry     time.Duration
	}{
		{"nothing changed", Change{}, t0, t0.Add(time.Minute), false, 0},
		{"nothing changed, never written", Change{}, time.Time{}, t0, false, 0},
		{"significant right after a write", Change{Significant: "phase"}, t0, t0.Add(time.Millisecond), true, 0},
		{"progress, never written by this process", progress, time.Time{}, t0, true, 0},
		{"progress 1 s after a write: wait 9 s", progress, t0, t0.Add(time.Second), false, 9 * time.Second},
		{"progress just before the interval", progress, t0, t0.Add(interval - time.Millisecond), false, time.Millisecond},
		{"progress at the interval", progress, t0, t0.Add(interval), true, 0},
		{"progress long after", progress, t0, t0.Add(time.Hour), true, 0},
		{"progress with the clock gone backwards", progress, t0, t0.Add(-time.Minute), true, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			write, retry := Decide(c.change, c.last, c.now, interval)
			if write != c.write || retry != c.retry {
				t.Errorf("Decide = %v, %s; want %v, %s", write, retry, c.write, c.retry)
			}
		})
	}
}

func TestSooner(t *testing.T) {
	cases := []struct{ a, b, want time.Duration }{
		{0, 0, 0}, {0, time.Second, time.Second}, {time.Second, 0, time.Second},
		{time.Second, time.Minute, time.Second}, {time.Minute, time.Second, time.Second},
	}
	for _, tc := range cases {
		if got := Sooner(tc.a, tc.b); got != tc.want {
			t.Errorf("Sooner(%s, %s) = %s, want %s", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestWrites(t *testing.T) {
	var w Writes
	at := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	obj := &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web-0", UID: "u1", ResourceVersion: "42"}}
	if got := w.Last(obj); got != (Write{}) {
		t.Fatalf("Last before any write = %+v, want zero", got)
	}
	w.Record(obj, at)
	if got, want := w.Last(obj), (Write{UID: "u1", ResourceVersion: "42", At: at}); got != want {
		t.Errorf("Last = %+v, want %+v", got, want)
	}
	recreated := obj.DeepCopy()
	recreated.UID = "u2"
	if got := w.Last(recreated); got != (Write{}) {
		t.Errorf("Last of a re-created object = %+v, want zero", got)
	}
	w.Forget(client.ObjectKeyFromObject(obj))
	if got := w.Last(obj); got != (Write{}) {
		t.Errorf("Last after Forget = %+v, want zero", got)
	}
}
