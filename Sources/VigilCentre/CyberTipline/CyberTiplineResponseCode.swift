// NCMEC's CyberTipline reporting API (ISPWS) answers every request with a response code in its
// XML body. The numbers and meanings below are NCMEC's, as its technical documentation lists them
// ("report response"; the list is marked non-exhaustive) and as open-source clients transcribe
// them (github.com/Nachtalb/ncmec-cybertip `enums.py`, github.com/Johannes-Andersen/Cybertipline-Tools
// `ResponseCode.ts`).

/// A CyberTipline response code: `0` is success, any other number an error.
public enum CyberTiplineResponseCode: Int, Sendable, CaseIterable, Hashable, CustomStringConvertible {
    /// Success.
    case success = 0
    /// Server error.
    case serverError = 1000
    /// Save failed.
    case saveFailed = 1100
    /// Upload failed.
    case uploadFailed = 1110
    /// File upload failed.
    case fileUploadFailed = 1111
    /// Resource not found.
    case resourceNotFound = 1210
    /// Update failed.
    case updateFailed = 1300
    /// Authentication required.
    case authenticationRequired = 2000
    /// The user is not authorised to perform this action.
    case notAuthorized = 3000
    /// The user is not authorised to make submissions.
    case notAuthorizedForSubmissions = 3100
    /// The user is not authorised to make updates.
    case notAuthorizedForUpdates = 3300
    /// Invalid request.
    case invalidRequest = 4000
    /// Validation failed: the document does not follow the schema (an element out of order,
    /// missing, unknown, or a value of the wrong kind), or it was refused as unsafe.
    case validationFailed = 4100
    /// Malformed XML submittal: the body is not well-formed XML.
    case malformedXML = 4110
    /// Malformed file submittal.
    case malformedFile = 4200
    /// The report does not exist (never opened, or deleted because it expired unfinished).
    case reportDoesNotExist = 5001
    /// The file does not exist in the report.
    case fileDoesNotExist = 5002
    /// The report was already retracted.
    case reportAlreadyRetracted = 5101
    /// The report was already finished.
    case reportAlreadyFinished = 5102

    /// NCMEC's short description of the code (the text of `responseDescription` when nothing more
    /// specific is said).
    public var description: String {
        switch self {
        case .success: "Success"
        case .serverError: "Server error"
        case .saveFailed: "Save failed"
        case .uploadFailed: "Upload failed"
        case .fileUploadFailed: "File upload failed"
        case .resourceNotFound: "Resource not found"
        case .updateFailed: "Update failed"
        case .authenticationRequired: "Authentication required"
        case .notAuthorized: "User is not authorized to perform this action"
        case .notAuthorizedForSubmissions: "User does not have authorization to make submissions"
        case .notAuthorizedForUpdates: "User does not have authorization to make updates"
        case .invalidRequest: "Invalid request"
        case .validationFailed: "Validation failed"
        case .malformedXML: "Malformed XML submittal"
        case .malformedFile: "Malformed file submittal"
        case .reportDoesNotExist: "Report does not exist"
        case .fileDoesNotExist: "File does not exist"
        case .reportAlreadyRetracted: "Report already retracted"
        case .reportAlreadyFinished: "Report already finished"
        }
    }
}
