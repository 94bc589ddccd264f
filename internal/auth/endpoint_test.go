package auth

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCheckURL(t *testing.T) {
	tests := []struct {
		in      string
		wantErr string
	}{
		{"https://login.salesforce.com", ""},
		{"https://acme.my.salesforce.com/", ""},
		{"http://127.0.0.1:8080", ""},
		{"http://127.1.2.3", ""},
		{"http://localhost:9999", ""},
		{"http://LOCALHOST", ""},
		{"http://[::1]:80", ""},
		{"http://login.salesforce.com", "loopback"},
		{"http://10.0.0.1", "loopback"},
		{"http://localhost.evil.test", "loopback"},
		{"ftp://x", "absolute https"},
		{"login.salesforce.com", "absolute https"},
		{"/services", "absolute https"},
		{"https://user:hunter2@x.test", "user info"},
		{"https://x.test/%zz", "not a valid URL"},
	}
	for _, tt := range tests {
		err := CheckURL(tt.in)
		if tt.wantErr == "" {
			assert.NoError(t, err, tt.in)
			continue
		}
		assert.ErrorContains(t, err, tt.wantErr, tt.in)
		assert.NotContains(t, err.Error(), "hunter2")
	}
}
