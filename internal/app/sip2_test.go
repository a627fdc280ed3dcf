package app

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/bdf29/sesame/internal/config"
	"github.com/bdf29/sesame/internal/sip2/sip2client"
)

// With SESAME_SIP2_ADDR, Serve also answers SIP2, and stops it on shutdown.
func TestServeListensForSIP2(t *testing.T) {
	db := filepath.Join(t.TempDir(), "s.db")
	env := map[string]string{"SESAME_DB": db, "SESAME_SIP2_ADDR": "127.0.0.1:0", "SESAME_SHUTDOWN_DELAY": "0s"}
	cfg, err := config.Load(flag.NewFlagSet("test", flag.ContinueOnError), nil, func(k string) string { return env[k] }, config.DefaultDB)
	if err != nil {
		t.Fatal(err)
	}
	a, err := Open(context.Background(), cfg, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	c, err := sip2client.Dial(a.SIP2Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// No sip2 connector: the login is refused, by a SIP2 answer.
	r, err := c.Login("inconnu", "un-mot-de-passe-quelconque")
	if err != nil || r.Code != "94" || r.Fixed["ok"] != "0" {
		t.Fatalf("login: %v, %v", r, err)
	}
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Serve did not stop")
	}
	if _, err := c.SCStatus(); err == nil {
		t.Error("the SIP2 connection is still answered after shutdown")
	}
}
