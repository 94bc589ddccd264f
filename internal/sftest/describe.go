// Package sftest holds what tests across packages share about Salesforce.
package sftest

import (
	"strings"

	"github.com/sfevents/salesforcereceiver/internal/sfapi"
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
