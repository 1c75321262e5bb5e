import ImbalanceData

/// The result of checking one manifest file (or one archive member) in a directory.
public struct FileVerification: Equatable, Sendable {
    public enum Status: String, Equatable, Sendable, Codable {
        /// The exact bytes of the official download.
        case official
        /// A gzip file whose bytes differ from the official download (recompressed) but whose
        /// decompressed content is the official content.
        case contentMatches = "content-matches"
        /// Only the decompressed file is present (`name` without `.gz`) and it is the
        /// official content.
        case decompressedMatches = "decompressed-matches"
        case differs
        case missing
        /// Present, but no checksum is established to compare with (size may have matched).
        case unverifiable
    }

    /// The manifest file name, or the member's target path.
    public var name: String
    /// The file that was checked (nil when missing).
    public var path: String?
    public var status: Status
    /// One line saying what matched or what differs.
    public var detail: String
    public var hashes: FileHashes?
    /// True for an archive member (CIFAR `.bin` file) rather than a downloaded file.
    public var isMember: Bool
    /// False for an archive whose members are all present: the readers do not need it.
    public var isRequired: Bool

    /// The phrase `verify` prints for the status.
    public var statusText: String {
        switch status {
        case .official: return "official"
        case .contentMatches: return "archive differs from the official download, content matches"
        case .decompressedMatches: return "decompressed copy, content matches the official file"
        case .differs: return "differs from the official file"
        case .missing:
            if isRequired { return "missing" }
            return isMember ? "not extracted (optional: the archive is present)" : "missing (not needed: its members are present)"
        case .unverifiable: return "present, no published checksum to compare"
        }
    }

    public var isProblem: Bool {
        status == .differs || (status == .missing && isRequired)
    }
}

public struct VerificationReport: Sendable {
    public var manifest: DatasetManifest
    public var directory: String
    public var files: [FileVerification]

    public var hasProblems: Bool { files.contains { $0.isProblem } }

    /// Files that are the official bytes or the official content.
    public var matchCount: Int {
        files.filter { [.official, .contentMatches, .decompressedMatches].contains($0.status) }.count
    }

    public var presentCount: Int { files.filter { $0.status != .missing }.count }

    public func count(_ status: FileVerification.Status) -> Int {
        files.filter { $0.status == status }.count
    }
}

/// Checks the files of a directory against a manifest: archive bytes and, for gzip files,
/// the decompressed content, so a recompressed copy of the official data is recognised as
/// such instead of being called corrupt.
public enum Verifier {
    public static func verify(_ manifest: DatasetManifest, directory: String,
                              cache: HashCache = HashCache()) throws -> VerificationReport {
        var results: [FileVerification] = []
        for file in manifest.files {
            var memberResults: [FileVerification] = []
            for member in file.members ?? [] {
                memberResults.append(try verifyMember(member, directory: directory, cache: cache))
            }
            var main = try verifyFile(file, directory: directory, cache: cache)
            if !memberResults.isEmpty {
                if main.status == .missing {
                    // The readers can use the extracted members instead of the archive.
                    if memberResults.allSatisfy({ $0.status != .missing }) { main.isRequired = false }
                } else if main.status != .differs {
                    // The archive is here: extracted copies are optional.
                    for i in memberResults.indices { memberResults[i].isRequired = false }
                }
            }
            results.append(main)
            results += memberResults
        }
        return VerificationReport(manifest: manifest, directory: directory, files: results)
    }

    /// Among `store`'s manifests, those whose files are present in `directory`, best match
    /// first (MNIST and Fashion-MNIST use the same file names: content decides).
    public static func identify(directory: String, store: ManifestStore,
                                cache: HashCache = HashCache()) throws -> [VerificationReport] {
        var reports: [VerificationReport] = []
        for manifest in store.manifests where isAnyFilePresent(manifest, directory: directory) {
            reports.append(try verify(manifest, directory: directory, cache: cache))
        }
        return reports.sorted { a, b in
            a.matchCount != b.matchCount ? a.matchCount > b.matchCount : a.presentCount > b.presentCount
        }
    }

    static func isAnyFilePresent(_ manifest: DatasetManifest, directory: String) -> Bool {
        for file in manifest.files {
            if existingPath(directory, file.name) != nil { return true }
            if file.isGzip, existingPath(directory, String(file.name.dropLast(3))) != nil { return true }
            for m in file.members ?? [] where existingPath(directory, m.target) != nil
                || existingPath(directory, m.target + ".gz") != nil {
                return true
            }
        }
        return false
    }

    private static func existingPath(_ directory: String, _ name: String) -> String? {
        let path = joinPath(directory, name)
        return DataLocation.regularFileExists(path) ? path : nil
    }

    static func verifyFile(_ file: ManifestFile, directory: String,
                           cache: HashCache) throws -> FileVerification {
        func result(_ path: String?, _ status: FileVerification.Status, _ detail: String,
                    _ hashes: FileHashes?) -> FileVerification {
            FileVerification(name: file.name, path: path, status: status, detail: detail,
                             hashes: hashes, isMember: false, isRequired: true)
        }
        if let path = existingPath(directory, file.name) {
            let hashes = try cache.hashes(of: path)
            switch ChecksumMatch.compare(hashes.file, with: file.download) {
            case .matches(let by):
                return result(path, .official, "matches the official download (\(by.joined(separator: ", ")))", hashes)
            case .unknown:
                if let content = file.content, !content.isEmpty, let actual = hashes.content,
                   case .matches(let by) = ChecksumMatch.compare(actual, with: content) {
                    return result(path, .contentMatches, "decompressed content matches (\(by.joined(separator: ", "))); no checksum of the download to compare", hashes)
                }
                return result(path, .unverifiable, "no checksum of the official download is established", hashes)
            case .differs(let why):
                guard file.isGzip, let expected = file.content, !expected.isEmpty else {
                    return result(path, .differs, why, hashes)
                }
                guard let actual = hashes.content else {
                    let reason = hashes.contentError ?? "not gzip data"
                    return result(path, .differs, "\(why); cannot decompress it: \(reason)", hashes)
                }
                switch ChecksumMatch.compare(actual, with: expected) {
                case .matches(let by):
                    return result(path, .contentMatches, "archive \(why); decompressed content matches (\(by.joined(separator: ", ")))", hashes)
                case .differs(let contentWhy):
                    return result(path, .differs, "archive \(why); decompressed content \(contentWhy)", hashes)
                case .unknown:
                    return result(path, .differs, why, hashes)
                }
            }
        }
        if file.isGzip, let path = existingPath(directory, String(file.name.dropLast(3))) {
            let hashes = try cache.hashes(of: path)
            let plain = hashes.content ?? hashes.file   // a .gz renamed without suffix is still gzip
            guard let expected = file.content, !expected.isEmpty else {
                return result(path, .unverifiable, "decompressed copy; no checksum of the content is established", hashes)
            }
            switch ChecksumMatch.compare(plain, with: expected) {
            case .matches(let by):
                return result(path, .decompressedMatches, "decompressed copy matches the official content (\(by.joined(separator: ", ")))", hashes)
            case .differs(let why):
                return result(path, .differs, "decompressed copy: \(why)", hashes)
            case .unknown:
                return result(path, .unverifiable, "decompressed copy; no checksum of the content is established", hashes)
            }
        }
        return result(nil, .missing, "not found in \(directory)", nil)
    }

    static func verifyMember(_ member: ManifestFile.Member, directory: String,
                             cache: HashCache) throws -> FileVerification {
        func result(_ path: String?, _ status: FileVerification.Status, _ detail: String,
                    _ hashes: FileHashes?) -> FileVerification {
            FileVerification(name: member.target, path: path, status: status, detail: detail,
                             hashes: hashes, isMember: true, isRequired: true)
        }
        let expected = ManifestFile.Checksums(size: member.size, sha256: member.sha256, md5: member.md5)
        var candidates: [(String, Bool)] = []
        if let p = existingPath(directory, member.target) { candidates.append((p, false)) }
        if let p = existingPath(directory, member.target + ".gz") { candidates.append((p, true)) }
        guard let (path, gz) = candidates.first else {
            return result(nil, .missing, "not found in \(directory) (as \(member.target) or \(member.target).gz)", nil)
        }
        let hashes = try cache.hashes(of: path)
        let actual: Checksum
        if gz {
            guard let c = hashes.content else {
                return result(path, .differs, "cannot decompress: \(hashes.contentError ?? "not gzip data")", hashes)
            }
            actual = c
        } else {
            actual = hashes.content ?? hashes.file
        }
        let how = gz ? "gzip-compressed copy; content " : ""
        switch ChecksumMatch.compare(actual, with: expected) {
        case .matches(let by):
            return result(path, gz ? .contentMatches : .official, "\(how)matches (\(by.joined(separator: ", ")))", hashes)
        case .differs(let why):
            return result(path, .differs, "\(how)\(why)", hashes)
        case .unknown(let sizeMatches):
            let sizeText = sizeMatches == true ? "size matches (\(grouped(actual.size)) bytes); " : ""
            return result(path, .unverifiable, "\(how)\(sizeText)no published checksum for this member", hashes)
        }
    }
}

func joinPath(_ directory: String, _ name: String) -> String {
    directory.hasSuffix("/") ? directory + name : directory + "/" + name
}
