package anynum

import "testing"

func TestInt64AndFloat64(t *testing.T) {
	for _, tc := range []struct {
		v     any
		i     int64
		iOK   bool
		f     float64
		fOK   bool
		label string
	}{
		{int(-3), -3, true, -3, true, "int"},
		{int32(7), 7, true, 0, false, "int32"},
		{int64(1) << 40, 1 << 40, true, 1 << 40, true, "int64"},
		{float32(1.5), 0, false, 1.5, true, "float32"},
		{2.25, 0, false, 2.25, true, "float64"},
		{"9", 0, false, 0, false, "string"},
		{nil, 0, false, 0, false, "nil"},
	} {
		if i, ok := Int64(tc.v); i != tc.i || ok != tc.iOK {
			t.Errorf("Int64(%s) = %d, %v; want %d, %v", tc.label, i, ok, tc.i, tc.iOK)
		}
		if f, ok := Float64(tc.v); f != tc.f || ok != tc.fOK {
			t.Errorf("Float64(%s) = %g, %v; want %g, %v", tc.label, f, ok, tc.f, tc.fOK)
		}
	}
}
