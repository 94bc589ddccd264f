package pubsub

// What the package's external tests read of its insides.
var (
	CompileSchema     = compileSchema
	DecodeTyped       = decodeTyped
	IsDateTimeField   = isDateTimeField
	AccountFieldNames = accountFieldNames
	AddressFieldNames = addressFieldNames
	FieldBitmap       = fieldBitmap
	StoreOnly         = storeOnly
)

// MaxBatch is the most events one FetchResponse carries.
const MaxBatch = maxBatch
