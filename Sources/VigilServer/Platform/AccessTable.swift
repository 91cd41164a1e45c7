import VigilAPI
public import VigilDomain

extension AccessPolicy {
    /// The operations every caller may use without a key (health, readiness, the API document,
    /// HMA's liveness checks). They are served outside authentication; a test keeps this set equal
    /// to the operations the OpenAPI document marks `security: []`.
    public static let openOperations: Set<String> = ["health", "ready", "openAPIDocument", "hmaStatus", "hmaLive", "hmaOpenAPI"]

    /// The node's authorisation table: every authenticated operation of the OpenAPI document (the
    /// `/v1` API, the HMA routes, `/metrics`) with the scopes the document states and the kinds of
    /// organisation whose keys may call it. An operation missing here is refused to every key.
    /// A test sends every route, with a key of every kind and scope, and checks the answers
    /// against this table.
    public static let node: AccessPolicy = {
        let operators: Set<OrganisationKind> = [.provider, .centre]
        // Hashing and lookups: the node's operators, and authorities checking material they hold.
        let lookers: Set<OrganisationKind> = [.provider, .centre, .coordinatingAuthority, .police, .europol]
        // Reading which lists exist: also peer centres (exchange) and auditors.
        let readers: Set<OrganisationKind> = [.provider, .centre, .peerCentre, .auditor]
        let hash = AccessRule(scopes: [.hash], kinds: lookers)
        let match = AccessRule(scopes: [.match], kinds: lookers)
        let readLists = AccessRule(scopes: [.match, .curate], kinds: readers)
        let curate = AccessRule(scopes: [.curate], kinds: operators)
        let export = AccessRule(scopes: [.curate], kinds: [.provider, .centre, .peerCentre])
        let admin = AccessRule(scopes: [.admin], kinds: operators)
        var rules: [String: AccessRule] = [
            "metrics": admin,
            Operations.ListLists.id: readLists,
            Operations.GetList.id: readLists,
            Operations.CreateList.id: curate,
            Operations.UpdateList.id: curate,
            Operations.DeleteList.id: curate,
            Operations.ListEntries.id: curate,
            Operations.AddEntries.id: curate,
            Operations.UpdateEntry.id: curate,
            Operations.SetEntryNote.id: curate,
            Operations.DeleteEntry.id: curate,
            Operations.ImportList.id: curate,
            Operations.ExportList.id: export,
            Operations.GetListAction.id: curate,
            Operations.SetListAction.id: curate,
            Operations.DeleteListAction.id: curate,
            Operations.MatchHash.id: match,
            Operations.MatchFile.id: match,
            Operations.MatchURL.id: match,
            Operations.MatchConversation.id: match,
            Operations.CompareHashes.id: match,
            Operations.IndexStatus.id: AccessRule(scopes: [.match], kinds: lookers.union([.auditor])),
            Operations.HashFile.id: hash,
            Operations.HashURL.id: hash,
            // HMA 2.0's routes.
            "hmaHashURL": hash, "hmaHashUpload": hash,
            "hmaRawLookup": match, "hmaLookup": match, "hmaLookupUpload": match, "hmaIndexStatus": match, "hmaCompare": match,
            "hmaBanks": readLists, "hmaBank": readLists,
        ]
        // A provider node's own reports to the Centre (one provider per node: every provider key
        // with the report scope sees them).
        rules["listFilings"] = AccessRule(scopes: [.report], kinds: [.provider])
        rules["getFiling"] = AccessRule(scopes: [.report], kinds: [.provider])
        rules["completeFiling"] = AccessRule(scopes: [.report], kinds: [.provider])
        // The node's review queue: its operators' moderators, who curate what the lists hold.
        rules["listReviews"] = curate
        rules["getReview"] = curate
        rules["decideReview"] = curate
        // Exchanges: reading them and asking for a fetch is curation; creating, changing and deleting
        // one (a folder the node reads, an address it calls, a credential it keeps) is administration.
        for operation in ["listExchangeKinds", "listExchanges", "getExchange", "fetchExchange"] { rules[operation] = curate }
        for operation in ["createExchange", "updateExchange", "deleteExchange", "setExchangeKindCredential"] { rules[operation] = admin }
        // A list's change feed, pulled by another node's `vigil` exchange: as the export.
        rules["listChanges"] = export
        for operation in ["hmaExchangeAPIs", "hmaExchangeAPI", "hmaExchanges", "hmaExchange", "hmaExchangeStatus", "hmaFetchExchange"] {
            rules[operation] = curate
        }
        for operation in ["hmaCreateExchange", "hmaUpdateExchange", "hmaDeleteExchange", "hmaSetExchangeAPICredential"] { rules[operation] = admin }
        // Verdicts on entries (and the feedback they send to the exchange that brought the entry):
        // the reviewers who curate the lists, as the review queue's decisions.
        rules["recordEntryVerdict"] = curate
        rules["listEntryVerdicts"] = curate
        // The Centre's routes (served when the node's role includes the Centre).
        let centre: Set<OrganisationKind> = [.centre]
        let recipients: Set<OrganisationKind> = [.police, .europol]
        rules["fileReport"] = AccessRule(scopes: [.report], kinds: [.provider])
        rules["validateReport"] = AccessRule(scopes: [.report, .assess], kinds: [.provider, .centre])
        rules["listReports"] = AccessRule(scopes: [.report, .assess, .supervise], kinds: [.provider, .centre], rows: .ownOrganisation)
        rules["getReport"] = AccessRule(scopes: [.report, .assess, .supervise], kinds: [.provider, .centre], rows: .ownOrganisation)
        rules["assessmentQueue"] = AccessRule(scopes: [.assess, .supervise], kinds: centre)
        rules["listReportFiles"] = AccessRule(scopes: [.report, .assess, .supervise], kinds: [.provider, .centre], rows: .ownOrganisation)
        // The bytes of reported files: the Centre's analysts and supervisors only (and, below, the
        // police and Europol a report was referred to); never the provider's key.
        rules["getReportFileContent"] = AccessRule(scopes: [.assess, .supervise], kinds: centre)
        // Items (a file across reports, classified once) and cases: the Centre's staff.
        rules["listReportItems"] = AccessRule(scopes: [.assess, .supervise], kinds: centre)
        rules["classifyItem"] = AccessRule(scopes: [.assess], kinds: centre)
        rules["proposeItem"] = AccessRule(scopes: [.assess], kinds: centre)
        rules["reviewItemProposal"] = AccessRule(scopes: [.supervise], kinds: centre)
        rules["decideReport"] = AccessRule(scopes: [.assess], kinds: centre)
        rules["reviewReport"] = AccessRule(scopes: [.supervise], kinds: centre)
        let readReferrals = AccessRule(scopes: [.referrals, .assess, .supervise], kinds: recipients.union(centre), rows: .jurisdiction)
        rules["listReferrals"] = readReferrals
        rules["getReferral"] = readReferrals
        for operation in ["getReferralFileContent", "acknowledgeReferral", "postReferralOutcome", "setReferralHold", "liftReferralHold"] {
            rules[operation] = AccessRule(scopes: [.referrals], kinds: recipients, rows: .jurisdiction)
        }
        // NCMEC's CyberTipline protocol (/ispws): providers, with a report key as their Basic credentials' password.
        for operation in CyberTiplineController.operations {
            rules[operation] = AccessRule(scopes: [.report], kinds: [.provider])
        }
        rules["registerSigningKey"] = AccessRule(scopes: [.admin], kinds: centre)
        rules["setOrganisationWebhook"] = AccessRule(scopes: [.admin], kinds: centre)
        rules["deleteOrganisationWebhook"] = AccessRule(scopes: [.admin], kinds: centre)
        rules["listSigningKeys"] = AccessRule(scopes: [.admin], kinds: [.provider, .centre], rows: .ownOrganisation)
        // Keeping a report past its retention: police and Europol it was referred to, the Centre's supervisors (and administrators).
        rules["setReportPreservation"] = AccessRule(scopes: [.referrals, .supervise], kinds: recipients.union(centre), rows: .jurisdiction)
        rules["withdrawReportPreservation"] = AccessRule(scopes: [.referrals, .supervise], kinds: recipients.union(centre), rows: .jurisdiction)
        rules["getStatistics"] = AccessRule(scopes: [.assess, .supervise, .report, .referrals], kinds: [.centre, .provider, .police, .europol])

        for operation in [
            "hmaCreateBank", "hmaUpdateBank", "hmaDeleteBank", "hmaAddContent", "hmaAddSignals", "hmaContent", "hmaUpdateContent",
            "hmaDeleteContent", "hmaSignalTypes", "hmaUpdateSignalType", "hmaSignalTypeIndex", "hmaContentTypes",
        ] {
            rules[operation] = curate
        }
        return AccessPolicy(rules: rules)
    }()
}
