package config

import (
	"flag"
	"strings"
	"testing"
)

func TestMetricsSettings(t *testing.T) {
	const token = "0123456789abcdef0123456789abcdef"
	tests := []struct {
		name       string
		env        map[string]string
		wantErr    string // a part of the error, "" for none
		wantToken  string
		wantListen string
	}{
		{name: "neither: no metrics", env: map[string]string{}},
		{name: "token", env: map[string]string{"SESAME_METRICS_TOKEN": token}, wantToken: token},
		{name: "separate address", env: map[string]string{"SESAME_METRICS_ADDR": " 127.0.0.1:9090 "}, wantListen: "127.0.0.1:9090"},
		{name: "both", env: map[string]string{"SESAME_METRICS_TOKEN": token, "SESAME_METRICS_ADDR": ":9090"}, wantToken: token, wantListen: ":9090"},
		{name: "token too short", env: map[string]string{"SESAME_METRICS_TOKEN": "secret"}, wantErr: "at least 32"},
		{name: "token with a space", env: map[string]string{"SESAME_METRICS_TOKEN": token + " x"}, wantErr: "SESAME_METRICS_TOKEN"},
		{name: "address without port", env: map[string]string{"SESAME_METRICS_ADDR": "127.0.0.1"}, wantErr: "host:port"},
		{name: "address with a bad port", env: map[string]string{"SESAME_METRICS_ADDR": "127.0.0.1:http"}, wantErr: "host:port"},
		{name: "the site's own address", env: map[string]string{"SESAME_ADDR": "127.0.0.1:8080", "SESAME_METRICS_ADDR": "127.0.0.1:8080"}, wantErr: "another address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Load(flag.NewFlagSet("test", flag.ContinueOnError), nil, func(k string) string { return tt.env[k] }, DefaultDB)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v, want one saying %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), tt.env["SESAME_METRICS_TOKEN"]) && tt.env["SESAME_METRICS_TOKEN"] != "" {
					t.Errorf("the error %q repeats the token", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if cfg.MetricsToken != tt.wantToken || cfg.MetricsAddr != tt.wantListen {
				t.Errorf("got token %q, address %q; want %q, %q", cfg.MetricsToken, cfg.MetricsAddr, tt.wantToken, tt.wantListen)
			}
		})
	}
}
