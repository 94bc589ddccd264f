// Package sftest holds what tests across packages share about Salesforce.
package sftest

import (
	"strconv"
	"strings"

	"github.com/sfevents/salesforcereceiver/internal/sfapi"
	"github.com/sfevents/salesforcereceiver/internal/sobject"
)

// Describe is a describe of object listing fields, for fakes of the
// client. A relationship path (CreatedBy.Username) adds its reference
// field (CreatedById) with that relationship.
func Describe(object string, fields ...string) *sfapi.Describe {
	d := &sfapi.Describe{Name: object}
	for _, f := range fields {
		if rel, _, ok := strings.Cut(f, "."); ok {
			d.Fields = append(d.Fields, sfapi.DescribeField{Name: rel + "Id", Type: "reference", RelationshipName: rel})
			continue
		}
		d.Fields = append(d.Fields, sfapi.DescribeField{Name: f, Type: "string"})
	}
	return d
}

// Page is a query result holding records (JSON objects, or anything a
// test wants Salesforce to have sent), decoded as the client decodes a
// response body. done and next are the paging fields.
func Page(done bool, next string, records ...[]byte) *sfapi.QueryResult {
	body := []byte(`{"totalSize":` + strconv.Itoa(len(records)) + `,"done":` + strconv.FormatBool(done))
	if next != "" {
		body = append(append(append(body, `,"nextRecordsUrl":`...), strconv.Quote(next)...), ' ')
	}
	body = append(body, `,"records":[`...)
	for i, r := range records {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, r...)
	}
	body = append(body, "]}"...)
	var p sobject.Page
	if err := sobject.DecodePage(body, &p); err != nil {
		panic("sftest.Page: " + err.Error())
	}
	return &p
}
