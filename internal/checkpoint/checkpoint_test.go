package checkpoint

import (
	"context"
	"errors"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
)

type cursor struct {
	Time string `json:"time"`
	N    int    `json:"n"`
}

type failingKV struct{}

func (failingKV) Get(context.Context, string) ([]byte, error) { return nil, errors.New("disk gone") }
func (failingKV) Set(context.Context, string, []byte) error   { return errors.New("disk gone") }

func TestStore(t *testing.T) {
	dir := t.TempDir()
	fileClient := func() KV {
		return storagetest.NewFileBackedClient(component.KindReceiver, component.MustNewID("salesforce"), "", dir)
	}
	tests := []struct {
		name string
		kv   func() KV
	}{
		{"memory", func() KV { return nil }},
		{"storage extension", fileClient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			s := New(tt.kv())
			key := Key("00Dorg", "login_history")
			var got cursor
			found, err := s.Load(ctx, key, &got)
			require.NoError(t, err)
			require.False(t, found)

			require.NoError(t, s.Save(ctx, key, cursor{Time: "t1", N: 3}))
			found, err = s.Load(ctx, key, &got)
			require.NoError(t, err)
			require.True(t, found)
			require.Equal(t, cursor{Time: "t1", N: 3}, got)

			// Another org's cursor is a different key.
			found, err = s.Load(ctx, Key("00Dother", "login_history"), &got)
			require.NoError(t, err)
			require.False(t, found)
		})
	}
}

func TestStoreErrorsNameTheKey(t *testing.T) {
	s := New(failingKV{})
	_, err := s.Load(context.Background(), "cursor/x/y", &cursor{})
	require.ErrorContains(t, err, "cursor/x/y")
	require.ErrorContains(t, s.Save(context.Background(), "cursor/x/y", cursor{}), "disk gone")
}

func TestStoreCorruptValue(t *testing.T) {
	kv := New(nil)
	require.NoError(t, kv.kv.Set(context.Background(), "k", []byte("{not json")))
	_, err := kv.Load(context.Background(), "k", &cursor{})
	require.ErrorContains(t, err, "decode k")
}
