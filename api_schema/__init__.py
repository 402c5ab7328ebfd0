"""The mobile contract: request/response Structs (msgspec only) and the exported openapi.json."""
