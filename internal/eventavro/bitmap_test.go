package eventavro

import (
	"errors"
	"slices"
	"testing"

	"github.com/sfevents/salesforcereceiver/internal/sobject"
)

// AccountChangeEvent positions: 0 ChangeEventHeader, 1 Name, 2 Type,
// 3 ParentId, 4 BillingAddress (Street, City, State, PostalCode, Country,
// StateCode, CountryCode, Latitude, Longitude, GeocodeAccuracy),
// 5 ShippingAddress, 6 Phone, 7 Fax, 10 Sic, 22 LastModifiedDate,
// 24 Jigsaw, 26 CleanStatus, 29 Tradestyle, 30 NaicsCode, ..., 46
// IsKeyAccount__c: 47 fields.
// ContactChangeEvent: 2 Name, ["null", "string", Switchable_PersonName]
// (Salutation, FirstName, LastName, MiddleName, InformalName, Suffix).
func TestDecodeBitmap(t *testing.T) {
	account := compile(t, schemaFile(t, "account_change_event.avsc"))
	contact := compile(t, schemaFile(t, "contact_change_event.avsc"))
	for _, tc := range []struct {
		name    string
		s       *Schema
		bitmaps []string
		want    []string
	}{
		{"top and nested", account, []string{"0x400002", "4-0x02"}, []string{"Name", "LastModifiedDate", "BillingAddress.City"}},
		// The guide's own example value: bit 0 is the least significant.
		{"guide example", account, []string{"0x650004E0"}, []string{"ShippingAddress", "Phone", "Fax", "Sic", "Jigsaw", "CleanStatus", "Tradestyle", "NaicsCode"}},
		{"odd digit count", account, []string{"0x2"}, []string{"Name"}},
		{"upper case", account, []string{"0X00A"}, []string{"Name", "ParentId"}},
		{"leading zeros", account, []string{"0x0000000000000002"}, []string{"Name"}},
		{"empty list", account, []string{}, []string{}},
		{"empty bitmap", account, []string{"0x"}, []string{}},
		{"zero bitmap", account, []string{"0x00000000"}, []string{}},
		{"only nested", account, []string{"4-0x03", "5-0x200"}, []string{"BillingAddress.Street", "BillingAddress.City", "ShippingAddress.GeocodeAccuracy"}},
		// Every sub-field: the compound's own name (Salesforce's EventParser.java).
		{"whole compound", account, []string{"0x0", "4-0x3FF"}, []string{"BillingAddress"}},
		{"repeated", account, []string{"0x2", "0x2"}, []string{"Name"}},
		{"person name", contact, []string{"0x00000000", "2-0x06"}, []string{"Name.FirstName", "Name.LastName"}},
		{"whole person name", contact, []string{"2-0x3F"}, []string{"Name"}},
		{"header position", account, []string{"0x1"}, []string{"ChangeEventHeader"}},
		{"last field", account, []string{"0x400000000000"}, []string{"IsKeyAccount__c"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeBitmap(tc.s, tc.bitmaps)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}

	for _, bad := range [][]string{
		{"0xZZ"},
		{"0x800000000000"}, // bit 47: the schema has 47 fields (0..46)
		{"99-0x1"},         // no field 99
		{"1-0x1"},          // Name is not compound
		{"4-0x400"},        // bit 10 of a 10-field address
		{"abc"},
		{"-0x1"},
		{"4-"},
		{"4-1"},
		{"x-0x1"},
	} {
		if got, err := DecodeBitmap(account, bad); err == nil {
			t.Errorf("DecodeBitmap(%q) = %q, want an error", bad, got)
		}
	}
	if _, err := DecodeBitmap(nil, []string{"0x1"}); err == nil {
		t.Error("nil schema")
	}
}

// TestBitmapInDecode: the header fields are expanded during Decode; a bitmap
// that does not fit the schema keeps the raw strings and reports a
// BitmapError, with the record otherwise complete.
func TestBitmapInDecode(t *testing.T) {
	js := schemaFile(t, "account_change_event.avsc")
	s := compile(t, js)

	native := accountNative([]any{"0x400002", "4-0x02"})
	h := native["ChangeEventHeader"].(map[string]any)
	h["nulledFields"] = []any{"0x0", "4-0x3FF"}
	h["diffFields"] = []any{"0x10000"} // Description (position 16)
	var rec sobject.Record
	if err := s.Decode(encode(t, js, native), &rec); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"ChangeEventHeader.changedFields": `["Name","LastModifiedDate","BillingAddress.City"]`,
		"ChangeEventHeader.nulledFields":  `["BillingAddress"]`,
		"ChangeEventHeader.diffFields":    `["Description"]`,
		"ChangeEventHeader.recordIds":     `["001RM000003gH2uYAE"]`, // not a bitmap
	} {
		if got := rec.String(name); got != want {
			t.Errorf("%s = %s, want %s", name, got, want)
		}
	}

	bad := accountNative([]any{"0x400002", "1-0x1"})
	err := s.Decode(encode(t, js, bad), &rec)
	var be *BitmapError
	if !errors.As(err, &be) || be.Field != "ChangeEventHeader.changedFields" {
		t.Fatalf("err = %v, want a BitmapError", err)
	}
	if got := rec.String("ChangeEventHeader.changedFields"); got != `["0x400002","1-0x1"]` {
		t.Errorf("raw value kept: %s", got)
	}
	if rec.String("Name") != "Acme Europe" || rec.String("LastModifiedDate") != "2024-05-03T10:00:01.123+0000" {
		t.Error("the record is incomplete after a BitmapError")
	}
	var ref sobject.Record
	refErr := newRef(t, js, libHamba).Decode(encode(t, js, bad), &ref)
	if !errors.As(refErr, &be) {
		t.Errorf("reference: %v", refErr)
	}
	if err := sameFields(rec.Fields, ref.Fields); err != nil {
		t.Error(err)
	}
}
