package config

import (
	"flag"
	"testing"
	"time"
)

func TestSessionIdle(t *testing.T) {
	tests := []struct {
		env     string
		want    time.Duration
		wantErr bool
	}{
		{"", 30 * time.Minute, false},
		{"15m", 15 * time.Minute, false},
		{"5s", 5 * time.Second, false},
		{"12h", 12 * time.Hour, false},
		{"4s", 0, true},
		{"13h", 0, true},
		{"-30m", 0, true},
		{"une demi-heure", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			env := map[string]string{"SESAME_SESSION_IDLE": tt.env}
			c, err := Load(flag.NewFlagSet("test", flag.ContinueOnError), nil, func(k string) string { return env[k] }, "s.db")
			if (err != nil) != tt.wantErr {
				t.Fatalf("got %v, want error %v", err, tt.wantErr)
			}
			if err == nil && c.SessionIdle != tt.want {
				t.Errorf("got %s, want %s", c.SessionIdle, tt.want)
			}
		})
	}
}
