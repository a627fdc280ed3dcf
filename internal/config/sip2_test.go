package config

import (
	"flag"
	"strings"
	"testing"
)

func TestSIP2Settings(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		env       map[string]string
		wantErr   string // a part of the error, "" for none
		wantAddr  string
		wantTLS   bool
		wantClear bool
	}{
		{name: "unset: no SIP2 server", env: map[string]string{}},
		{name: "loopback in clear", env: map[string]string{"SESAME_SIP2_ADDR": " 127.0.0.1:6001 "}, wantAddr: "127.0.0.1:6001"},
		{name: "IPv6 loopback in clear", env: map[string]string{"SESAME_SIP2_ADDR": "[::1]:6001"}, wantAddr: "[::1]:6001"},
		{name: "localhost in clear", env: map[string]string{"SESAME_SIP2_ADDR": "localhost:6001"}, wantAddr: "localhost:6001"},
		{name: "flag", args: []string{"--sip2-addr", "127.0.0.1:6002"}, env: map[string]string{"SESAME_SIP2_ADDR": "127.0.0.1:6001"}, wantAddr: "127.0.0.1:6002"},
		{name: "every interface in clear refused", env: map[string]string{"SESAME_SIP2_ADDR": ":6001"}, wantErr: "in clear"},
		{name: "public address in clear refused", env: map[string]string{"SESAME_SIP2_ADDR": "192.0.2.10:6001"}, wantErr: "SESAME_SIP2_ALLOW_PLAINTEXT=1"},
		{name: "public address in clear allowed", env: map[string]string{"SESAME_SIP2_ADDR": "0.0.0.0:6001", "SESAME_SIP2_ALLOW_PLAINTEXT": "1"}, wantAddr: "0.0.0.0:6001", wantClear: true},
		{name: "public address with TLS", env: map[string]string{"SESAME_SIP2_ADDR": ":6001", "SESAME_SIP2_TLS_CERT": "c.pem", "SESAME_SIP2_TLS_KEY": "k.pem"}, wantAddr: ":6001", wantTLS: true},
		{name: "certificate without key", env: map[string]string{"SESAME_SIP2_ADDR": ":6001", "SESAME_SIP2_TLS_CERT": "c.pem"}, wantErr: "set both"},
		{name: "bad allow flag", env: map[string]string{"SESAME_SIP2_ALLOW_PLAINTEXT": "yes"}, wantErr: "SESAME_SIP2_ALLOW_PLAINTEXT"},
		{name: "no port", env: map[string]string{"SESAME_SIP2_ADDR": "127.0.0.1"}, wantErr: "host:port"},
		{name: "named port", env: map[string]string{"SESAME_SIP2_ADDR": "127.0.0.1:sip"}, wantErr: "host:port"},
		{name: "the site's address", env: map[string]string{"SESAME_ADDR": "127.0.0.1:8080", "SESAME_SIP2_ADDR": "127.0.0.1:8080"}, wantErr: "another address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Load(flag.NewFlagSet("test", flag.ContinueOnError), tt.args, func(k string) string { return tt.env[k] }, DefaultDB)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v, want one saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if cfg.SIP2.Addr != tt.wantAddr || cfg.SIP2.TLS() != tt.wantTLS || cfg.SIP2.AllowPlaintext != tt.wantClear {
				t.Errorf("got %+v, want addr %q, TLS %v, plaintext allowed %v", cfg.SIP2, tt.wantAddr, tt.wantTLS, tt.wantClear)
			}
		})
	}
}
