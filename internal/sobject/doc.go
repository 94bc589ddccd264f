// Package sobject is the SOQL wire format: a query result page and its
// records (sObjects) decoded from the REST response in one pass, with
// nested objects flattened to dotted names ("CreatedBy.Username"), nulls
// and "attributes" left out, and integers kept exact. The REST client
// (internal/sfapi) decodes its query responses with it; the converter
// maps the records it yields. See the REST API Developer Guide, "Query":
// https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_query.htm
package sobject
