/// The OpenAPI document the `/v1` API is generated from.
///
/// `openapi.yaml` in this target is the single source: the swift-openapi-generator build plugin
/// turns it into `Components`, `Operations` and `APIProtocol`, and SwiftPM embeds the same file's
/// bytes here (`.embedInCode`), so what a node serves at `/openapi.yaml` is what it was built from.
package enum OpenAPIDocument {
    /// The document's bytes, exactly as in `openapi.yaml`.
    package static var bytes: [UInt8] { PackageResources.openapi_yaml }
}
