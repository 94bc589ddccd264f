package rest

// What the package's external tests read of its insides.
var DescribeType = describeType

// GrantJWTBearer is the grant_type of the JWT bearer flow.
const GrantJWTBearer = grantJWTBearer
