package org

// AnomalySubTypes are UniversalAnomalyEvent's AnomalySubType values, for
// the package's external tests.
var AnomalySubTypes = anomalySubTypes
