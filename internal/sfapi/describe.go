package sfapi

import (
	"context"
	"net/url"
)

// Describe is the part of an object's describe (DescribeSObjectResult) the
// streams use to choose fields. Salesforce lists only the fields this user
// may read at this API version: field-level security and fields newer than
// the version both leave a field out.
type Describe struct {
	Name   string          `json:"name"`
	Fields []DescribeField `json:"fields"`
}

// DescribeField is one field of a Describe.
type DescribeField struct {
	Name                string   `json:"name"`
	Type                string   `json:"type"`
	Custom              bool     `json:"custom"`
	DeprecatedAndHidden bool     `json:"deprecatedAndHidden"`
	RelationshipName    string   `json:"relationshipName"`
	ReferenceTo         []string `json:"referenceTo"`
}

// Describe reads object's describe.
func (c *Client) Describe(ctx context.Context, caller Caller, object string) (*Describe, error) {
	return getJSON[Describe](ctx, c, request{caller: caller, path: c.dataPath + "/sobjects/" + url.PathEscape(object) + "/describe"})
}
