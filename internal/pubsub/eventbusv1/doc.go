// Package eventbusv1 is the Go binding of Salesforce's Pub/Sub API
// (gRPC package eventbus.v1, service PubSub): the messages and the client
// and server stubs generated from pubsub_api.proto, our own transcription of
// the interface Salesforce publishes.
//
// The generated files are committed, so building needs only Go; `make
// generate` regenerates them (it needs protoc on PATH and installs the
// protoc-gen-go and protoc-gen-go-grpc plugins into .tools/).
//
// Method paths are /eventbus.v1.PubSub/<Method>. Every call carries the
// metadata accesstoken, instanceurl and tenantid; errors carry a Salesforce
// code in the "error-code" trailer. Replay ids are opaque bytes.
package eventbusv1
