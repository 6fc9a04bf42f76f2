package ui

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/certdesk/certdesk/app"
	"github.com/certdesk/certdesk/store"
)

func heap() float64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc) / (1 << 20)
}

func TestZZProf(t *testing.T) {
	core, _ := app.New(app.Options{Location: store.LocationAt("/tmp/wtui-big")})
	c := NewAppCore(core, nil)
	var m0 runtime.MemStats
	runtime.ReadMemStats(&m0)
	t0 := time.Now()
	h0 := heap()
	cs, err := c.Contexts(context.Background())
	t.Logf("contexts %v %.1f MiB (%d)", time.Since(t0), heap()-h0, len(cs))
	t1 := time.Now()
	es, err := c.List(context.Background(), store.User, store.My)
	t.Logf("list %v %.1f MiB %d %v", time.Since(t1), heap()-h0, len(es), err)
	t2 := time.Now()
	rows := make([]row, len(es))
	for i, e := range es {
		rows[i] = newRow(e, time.Now())
	}
	t.Logf("rows %v %.1f MiB", time.Since(t2), heap()-h0)
	var m1 runtime.MemStats
	runtime.ReadMemStats(&m1)
	t.Logf("total alloc %.1f MiB", float64(m1.TotalAlloc-m0.TotalAlloc)/(1<<20))
	_ = rows
}
