import Foundation
import ImbalanceData

/// Settings of one `fetch`.
public struct FetchOptions: Sendable {
    /// Directory the files go into (created if needed).
    public var destination: String
    /// Base URLs to use instead of the manifest's mirrors (`--mirror`), in order.
    public var mirrors: [String]?
    /// Further attempts on the same mirror after a transfer broke off having made progress;
    /// each resumes the `.part` file with a Range request.
    public var resumeAttempts: Int = 3
    /// Also extract archive members (CIFAR `.bin` files) next to the archive. Off by
    /// default: the CIFAR reader reads the official archive in place.
    public var unpack: Bool = false
    /// Replace files in the destination that differ from the official ones.
    public var force: Bool = false
    /// Messages for the user (one line each).
    public var log: @Sendable (String) -> Void = { _ in }
    /// Transfer progress (rate-limited by the downloader).
    public var progress: @Sendable (TransferProgress) -> Void = { _ in }

    public init(destination: String) {
        self.destination = destination
    }
}

/// What happened to one manifest file.
public struct FetchedFile: Equatable, Sendable {
    public enum How: Equatable, Sendable {
        /// Already there and verified; nothing downloaded.
        case alreadyPresent(FileVerification.Status)
        /// Downloaded from this mirror URL (the file's full URL) and verified.
        case downloaded(from: String)
    }

    public var name: String
    public var path: String
    public var how: How
    /// Archive members written (paths).
    public var extracted: [String]
}

/// One mirror that did not deliver a good file, and why.
public struct MirrorFailure: Equatable, Sendable, CustomStringConvertible {
    public var url: String
    public var reason: String
    public var description: String { "\(url): \(reason)" }
}

public enum FetchError: Error, CustomStringConvertible, Sendable {
    /// Every mirror failed for `file`; each failure says why.
    case allMirrorsFailed(file: String, failures: [MirrorFailure])
    /// The destination holds a file that is not the official one; `--force` replaces it.
    case existingFileDiffers(path: String, detail: String)
    /// The manifest lists no checksum for the file, so a download could not be verified.
    case noChecksum(file: String)
    case unpack(file: String, message: String)

    public var description: String {
        switch self {
        case .allMirrorsFailed(let file, let failures):
            return "could not fetch \(file): every mirror failed:\n"
                + failures.map { "  - \($0)" }.joined(separator: "\n")
                + "\n  (try again: an interrupted download resumes; or pass --mirror URL)"
        case .existingFileDiffers(let path, let detail):
            return "\(path) exists and is not the official file (\(detail)); move it away or pass --force to replace it"
        case .noChecksum(let file):
            return "\(file): the manifest lists no checksum, so a download could not be verified; refusing to fetch it"
        case .unpack(let file, let message):
            return "cannot unpack \(file): \(message)"
        }
    }
}

/// Downloads a manifest's files into a directory: mirror after mirror, resuming `.part`
/// files, verifying before the atomic rename into place, then unpacking archives.
///
/// Guarantees:
/// - a file appears at its final path only after its size and checksums (SHA-256 and MD5,
///   whichever the manifest lists) matched; the rename from `NAME.part` is atomic;
/// - a file with a wrong checksum is deleted (nothing half-written stays behind) and the
///   failure names the file, the mirror and both checksums; the next mirror is tried;
/// - a transfer that breaks off keeps its `.part` file and is resumed with
///   `Range: bytes=N-`, on the same mirror right away (up to `resumeAttempts` times) or by
///   the next `fetch`.
public enum Fetcher {
    public static func fetch(_ manifest: DatasetManifest, options: FetchOptions) throws -> [FetchedFile] {
        let fm = FileManager.default
        try fm.createDirectory(atPath: options.destination, withIntermediateDirectories: true)
        var results: [FetchedFile] = []
        let cache = HashCache()
        for file in manifest.files {
            let target = joinPath(options.destination, file.name)
            var how: FetchedFile.How?
            if fm.fileExists(atPath: target) {
                let check = try Verifier.verifyFile(file, directory: options.destination, cache: cache)
                switch check.status {
                case .official, .contentMatches:
                    options.log("\(file.name): already present, \(check.statusText)")
                    how = .alreadyPresent(check.status)
                case .unverifiable:
                    options.log("\(file.name): already present (\(check.detail)); kept")
                    how = .alreadyPresent(check.status)
                default:
                    guard options.force else {
                        throw FetchError.existingFileDiffers(path: target, detail: check.detail)
                    }
                    options.log("\(file.name): replacing the existing file (\(check.detail))")
                }
            } else if let members = file.members, !members.isEmpty, options.unpack {
                // Members already extracted and matching: the archive need not come again.
                let checks = try members.map { try Verifier.verifyMember($0, directory: options.destination, cache: cache) }
                if checks.allSatisfy({ $0.status == .official || $0.status == .contentMatches }) {
                    options.log("\(file.name): its members are already present and verified")
                    results.append(FetchedFile(name: file.name, path: target,
                                               how: .alreadyPresent(.official), extracted: []))
                    continue
                }
            }
            if how == nil {
                let url = try download(file, to: target, mirrors: options.mirrors ?? manifest.mirrors.map(\.url),
                                       options: options)
                how = .downloaded(from: url)
            }
            var extracted: [String] = []
            if options.unpack, file.unpack == "tar", let members = file.members, !members.isEmpty {
                extracted = try unpackTar(file, archive: target, members: members, options: options)
            }
            results.append(FetchedFile(name: file.name, path: target, how: how!, extracted: extracted))
        }
        return results
    }

    /// Downloads one file from the first mirror that delivers it intact; returns its URL.
    static func download(_ file: ManifestFile, to target: String, mirrors bases: [String],
                         options: FetchOptions) throws -> String {
        guard file.sha256 != nil || file.md5 != nil else { throw FetchError.noChecksum(file: file.name) }
        let part = target + ".part"
        guard !bases.isEmpty else {
            throw FetchError.allMirrorsFailed(file: file.name, failures: [MirrorFailure(url: "(none)", reason: "no mirrors")])
        }
        var failures: [MirrorFailure] = []
        for base in bases {
            let urlText = (base.hasSuffix("/") ? base : base + "/") + file.name
            guard let url = URL(string: urlText) else {
                failures.append(MirrorFailure(url: urlText, reason: "not a valid URL"))
                continue
            }
            var attempt = 0
            while true {
                let resumed = HTTPDownloader.fileSize(part)
                if resumed > 0 {
                    options.log("\(file.name): resuming from byte \(grouped(resumed)) at \(urlText)")
                } else {
                    options.log("\(file.name): downloading \(urlText)")
                }
                do {
                    let outcome = try HTTPDownloader.download(url: url, to: part, expectedSize: file.size,
                                                              fileName: file.name, progress: options.progress)
                    if outcome == .rangeNotSatisfiable {
                        options.log("\(file.name): the server has no bytes past \(grouped(resumed)); checking the part file")
                    }
                } catch let error as TransferError {
                    if HTTPDownloader.fileSize(part) == 0 { try? FileManager.default.removeItem(atPath: part) }
                    let retry = !error.isPermanent && error.receivedBytes > 0 && attempt < options.resumeAttempts
                    options.log("\(file.name): \(error.message)" + (retry ? "; resuming" : ""))
                    if retry {
                        attempt += 1
                        continue
                    }
                    failures.append(MirrorFailure(url: urlText, reason: error.message
                        + (HTTPDownloader.fileSize(part) > 0 ? " (partial download kept in \(part) for resuming)" : "")))
                    break
                }
                // Verify before anything appears at the target path.
                let hashes: FileHashes
                do {
                    hashes = try FileHasher.hash(path: part, decompress: false)
                } catch {
                    failures.append(MirrorFailure(url: urlText, reason: "cannot read the download: \(error)"))
                    try? FileManager.default.removeItem(atPath: part)
                    break
                }
                switch ChecksumMatch.compare(hashes.file, with: file.download) {
                case .matches(let by):
                    try moveIntoPlace(part, target)
                    options.log("\(file.name): verified (\(by.joined(separator: ", "))), saved as \(target)")
                    return urlText
                case .differs(let why):
                    try? FileManager.default.removeItem(atPath: part)
                    let note = resumed > 0 ? " (\(grouped(resumed)) bytes had been resumed from an earlier attempt)" : ""
                    let reason = "checksum mismatch for \(file.name) from mirror \(base): \(why)\(note); the download was deleted"
                    options.log("\(file.name): \(reason); trying the next mirror")
                    failures.append(MirrorFailure(url: urlText, reason: reason))
                case .unknown:
                    try? FileManager.default.removeItem(atPath: part)
                    throw FetchError.noChecksum(file: file.name)
                }
                break
            }
        }
        throw FetchError.allMirrorsFailed(file: file.name, failures: failures)
    }

    /// Atomic on one file system: readers see either no file or the whole verified file.
    static func moveIntoPlace(_ from: String, _ to: String) throws {
        guard rename(from, to) == 0 else {
            let code = errno
            throw DataError(path: to, message: "cannot move \(from) into place: \(String(cString: strerror(code)))")
        }
    }

    /// Extracts the listed members of a tar(.gz) archive to their targets, each through a
    /// `.part` file and a rename, checking sizes and any known checksums first.
    static func unpackTar(_ file: ManifestFile, archive: String, members: [ManifestFile.Member],
                          options: FetchOptions) throws -> [String] {
        options.log("\(file.name): unpacking \(members.count) files")
        let tar: TarArchive
        do {
            tar = try TarArchive.read(at: archive)
        } catch {
            throw FetchError.unpack(file: file.name, message: "\(error)")
        }
        var written: [String] = []
        for member in members {
            guard let entry = tar.entry(named: member.path) else {
                throw FetchError.unpack(file: file.name, message: "the archive has no member '\(member.path)'")
            }
            let bytes = tar.content(of: entry)
            var sha = SHA256(), md5 = MD5()
            sha.update(bytes)
            md5.update(bytes)
            let actual = Checksum(size: Int64(bytes.count), sha256: sha.hexDigest(), md5: md5.hexDigest())
            let expected = ManifestFile.Checksums(size: member.size, sha256: member.sha256, md5: member.md5)
            if case .differs(let why) = ChecksumMatch.compare(actual, with: expected) {
                throw FetchError.unpack(file: file.name, message: "member \(member.path): \(why)")
            }
            let target = joinPath(options.destination, member.target)
            let directory = (target as NSString).deletingLastPathComponent
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let part = target + ".part"
            guard FileManager.default.createFile(atPath: part, contents: Data(bytes)) else {
                throw FetchError.unpack(file: file.name, message: "cannot write \(part)")
            }
            try moveIntoPlace(part, target)
            written.append(target)
        }
        options.log("\(file.name): unpacked \(written.count) files into \(options.destination)")
        return written
    }

    /// Where `fetch` puts a dataset without `--to`: `$IMBENCH_DATA_DIR/<name>` when the
    /// variable is set, else the first standard place of the location rule under the home
    /// directory (`~/.cache/imbench/<name>`). Both are places `DataLocation.resolve` searches,
    /// so every command finds what `fetch` wrote without being told.
    public static func defaultDestination(for name: String, environment: [String: String],
                                          currentDirectory: String) -> String? {
        if let dir = environment[DataLocation.environmentVariable], !dir.isEmpty {
            let base = dir.hasPrefix("/") ? dir : joinPath(currentDirectory, dir)
            return joinPath(base, name)
        }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        if let kind = DatasetKind(rawValue: name) {
            let places = DataLocation.standardDirectories(for: kind, home: home, currentDirectory: currentDirectory)
            if let inHome = places.compactMap({ $0 }).first(where: { $0.hasPrefix(home + "/") }) {
                return inHome
            }
        }
        return joinPath(home, ".cache/imbench/\(name)")
    }
}
