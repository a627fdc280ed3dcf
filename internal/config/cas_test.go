package config

import (
	"flag"
	"testing"
	"time"
)

func TestCASTicketTTL(t *testing.T) {
	tests := []struct {
		env     string
		want    time.Duration
		wantErr bool
	}{
		{"", 10 * time.Second, false},
		{"30s", 30 * time.Second, false},
		{"1s", time.Second, false},
		{"5m", 5 * time.Minute, false},
		{"500ms", 0, true},
		{"6m", 0, true},
		{"-10s", 0, true},
		{"bientôt", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			env := map[string]string{"SESAME_CAS_TICKET_TTL": tt.env}
			c, err := Load(flag.NewFlagSet("test", flag.ContinueOnError), nil, func(k string) string { return env[k] }, "s.db")
			if (err != nil) != tt.wantErr {
				t.Fatalf("got %v, want error %v", err, tt.wantErr)
			}
			if err == nil && c.CASTicketTTL != tt.want {
				t.Errorf("got %s, want %s", c.CASTicketTTL, tt.want)
			}
		})
	}
}
