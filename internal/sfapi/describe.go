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

// GlobalObject is one object of the org's global describe.
type GlobalObject struct {
	Name      string `json:"name"`
	Queryable bool   `json:"queryable"`
}

// Global is the part of the global describe the receiver uses: the
// objects this user may see at this API version (REST API Developer Guide,
// "Describe Global":
// https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_describeGlobal.htm).
type Global struct {
	SObjects []GlobalObject `json:"sobjects"`
}

// DescribeGlobal lists the org's objects.
func (c *Client) DescribeGlobal(ctx context.Context, caller Caller) (*Global, error) {
	return getJSON[Global](ctx, c, request{caller: caller, path: c.dataPath + "/sobjects/"})
}
