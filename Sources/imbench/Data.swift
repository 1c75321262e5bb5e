import ArgumentParser
import Foundation
import ImbalanceSweep
import ImbalanceData
import ImbalanceFetch

/// `imbench data`: get the official dataset files, check them, see what is in them.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Fetch, verify and inspect datasets (manifests with checksums in datasets/).",
        discussion: """
        Each dataset has a manifest in the repository's datasets/ folder: the official file \
        names, sizes, SHA-256 and MD5 of every download and of its decompressed content (with \
        the source of each value), class names and mirrors, canonical host first.

        Where data is read from is decided by one rule shared by every command (see \
        `imbench data where NAME`): --data-dir, then $IMBENCH_DATA_DIR/<name> and \
        $IMBENCH_DATA_DIR, then the standard places such as ~/.cache/imbench/<name>. \
        `fetch` writes to $IMBENCH_DATA_DIR/<name> or ~/.cache/imbench/<name> unless given \
        --to, so what it downloads is found without further options.
        """,
        subcommands: [DataFetch.self, DataVerify.self, DataInfo.self, DataWhere.self, DataExport.self])
}

/// `--manifests DIR`, shared by the subcommands.
struct ManifestOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Directory of dataset manifests (*.json).",
                               discussion: "Default: $IMBENCH_MANIFESTS, else the datasets/ folder of the repository this binary was built in, else ./datasets."))
    var manifests: String?

    func store() throws -> ManifestStore {
        let dir = ManifestStore.locateDirectory(explicit: manifests, executablePath: selfExecutable(),
                                                environment: ProcessInfo.processInfo.environment,
                                                currentDirectory: FileManager.default.currentDirectoryPath)
        return try ManifestStore(directory: dir)
    }
}

struct DataFetch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Download a dataset's official files, verified, resumable, mirror after mirror.",
        discussion: """
        Mirrors are tried in the manifest's order (or --mirror's). Each file is downloaded to \
        NAME.part next to its target, resumed with an HTTP Range request when a transfer \
        breaks off (right away, and again by the next fetch), and renamed into place only \
        after its size, SHA-256 and MD5 match the manifest. A file with a wrong checksum is \
        deleted and the next mirror is tried; the message names the file and the mirror. \
        Files already present and verified are not downloaded again. gzip files stay gzip \
        (the readers read .gz directly); CIFAR archives stay packed (the CIFAR reader reads \
        them) unless --unpack is given.
        """)

    @Argument(help: "Dataset: mnist, fashion-mnist, cifar-10 (cifar10) or cifar-100 (cifar100).")
    var name: String
    @Option(help: "Directory to put the files in (default: $IMBENCH_DATA_DIR/NAME, else ~/.cache/imbench/NAME).")
    var to: String?
    @Option(help: ArgumentHelp("Base URL to download from instead of the manifest's mirrors; repeat for several, tried in order.",
                               valueName: "url"))
    var mirror: [String] = []
    @Flag(help: "Also extract the archive members (CIFAR .bin files) next to the archive.")
    var unpack = false
    @Flag(help: "Replace files in the target directory that differ from the official ones.")
    var force = false
    @Option(parsing: .unconditional, help: "Resume attempts per mirror after a transfer breaks off (>= 0).",
            transform: OptionValue.integer(atLeast: 0))
    var retries: Int = 3
    @Flag(help: "No progress output.") var quiet = false
    @OptionGroup var manifestOptions: ManifestOptions

    func run() throws {
        let store = try manifestOptions.store()
        let manifest = try store.manifest(named: name)
        if unpack && !manifest.files.contains(where: { !($0.members ?? []).isEmpty }) {
            throw ValidationError("--unpack applies to datasets published as archives (their members are "
                                  + "extracted); \(manifest.name)'s files are read as they are")
        }
        let env = ProcessInfo.processInfo.environment
        let cwd = FileManager.default.currentDirectoryPath
        let folder = manifest.kind?.rawValue ?? manifest.name
        guard let destination = to.map({ $0.hasPrefix("/") ? $0 : cwd + "/" + $0 })
                ?? Fetcher.defaultDestination(for: folder, environment: env, currentDirectory: cwd) else {
            throw ValidationError("HOME is not set: pass --to DIR")
        }
        var options = FetchOptions(destination: destination)
        options.mirrors = mirror.isEmpty ? nil : mirror
        options.unpack = unpack
        options.force = force
        options.resumeAttempts = max(0, retries)
        let progress = TransferProgressLine(enabled: !quiet)
        options.log = { line in progress.log(line) }
        options.progress = { p in progress.update(p) }
        printError("fetching \(manifest.displayName) into \(destination)")
        let results: [FetchedFile]
        do {
            results = try Fetcher.fetch(manifest, options: options)
        } catch let error as FetchError {
            progress.finishLine()
            throw DataCommandError(error.description)
        }
        progress.finishLine()
        let downloaded = results.filter { if case .downloaded = $0.how { return true } else { return false } }.count
        let extracted = results.reduce(0) { $0 + $1.extracted.count }
        print("\(manifest.displayName): \(results.count) file(s) in \(destination) "
              + "(\(downloaded) downloaded, \(results.count - downloaded) already present"
              + (extracted > 0 ? ", \(extracted) extracted" : "") + "); all verified against \(store.directory)/\(manifest.name).json")
        if let kind = manifest.kind {
            if let found = try? DataLocation.resolve(kind), found.directory == URL(fileURLWithPath: destination).standardized.path {
                print("every command finds it there by the data-location rule (\(found.rule.rawValue))")
            } else {
                print("to use it: --data-dir \(destination)   (or set \(DataLocation.environmentVariable); see `imbench data where \(kind.rawValue)`)")
            }
        }
    }
}

struct DataVerify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a directory's files against the manifest: official, content-identical, differing or missing.",
        discussion: """
        For each file of the manifest: 'official' when its bytes are the official download \
        (size, SHA-256, MD5); 'archive differs from the official download, content matches' \
        when a gzip file was recompressed but decompresses to the official content; \
        'differs' otherwise; 'missing'. Without --dataset the manifest is chosen by content \
        (MNIST and Fashion-MNIST share file names). Exit status 1 when a file differs or a \
        needed file is missing.
        """)

    @Argument(help: "Directory holding the dataset files.") var directory: String
    @Option(help: "Dataset to check against (default: recognised from the files).") var dataset: String?
    @OptionGroup var manifestOptions: ManifestOptions

    func run() throws {
        let store = try manifestOptions.store()
        let dir = URL(fileURLWithPath: absolute(directory)).standardized.path
        let report = try chooseReport(store: store, directory: dir, dataset: dataset, cache: HashCache())
        print("\(report.manifest.displayName) (\(report.manifest.name)) in \(dir), against \(store.directory)/\(report.manifest.name).json")
        for f in report.files {
            print("  \(f.name): \(f.statusText)")
            print("      \(f.detail)")
        }
        let r = report
        print("\(r.files.count) files: \(r.count(.official)) official, "
              + "\(r.count(.contentMatches) + r.count(.decompressedMatches)) content matches (archive differs), "
              + "\(r.count(.unverifiable)) without a checksum to compare, \(r.count(.differs)) differ, "
              + "\(r.files.filter { $0.status == .missing && $0.isRequired }.count) missing")
        if report.hasProblems { throw ExitCode(1) }
    }
}

struct DataInfo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show a dataset directory's format, image shape, per-class counts of each split and checksums.")

    @Argument(help: "Directory holding the dataset files.") var directory: String
    @Option(help: "Dataset (default: recognised from the files).") var dataset: String?
    @OptionGroup var manifestOptions: ManifestOptions

    func run() throws {
        let store = try manifestOptions.store()
        let dir = URL(fileURLWithPath: absolute(directory)).standardized.path
        let cache = HashCache()
        let chosen = try chooseReport(store: store, directory: dir, dataset: dataset, cache: cache)
        let info = try Inspector.inspect(chosen.manifest, directory: dir, cache: cache)
        print(DataInfoText.render(info))
    }
}

struct DataWhere: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "where",
        abstract: "Print which directory the data-location rule picks for a dataset, and why.")

    @Argument(help: "Dataset: mnist, fashion-mnist, cifar10 or cifar100 (cifar-10, cifar-100 work too).")
    var name: String
    @Option(help: "As for train/sweep: a directory holding the files (or a NAME subfolder).") var dataDir: String?
    @OptionGroup var manifestOptions: ManifestOptions

    func run() throws {
        let kindName = (try? manifestOptions.store().manifest(named: name))?.kind?.rawValue ?? name
        // kindName is a manifest's (valid) kind or, when there is none, the name given.
        let kind = try builtInDataset(kindName)
        let env = DataLocation.processEnvironment()
        let cwd = DataLocation.currentDirectory()
        print("rule (the first that applies wins; Sources/ImbalanceData/DataLocation.swift):")
        print("  1. --data-dir DIR (DIR or DIR/\(kind.rawValue)); no fallback when it is wrong")
        print("  2. $\(DataLocation.environmentVariable)/\(kind.rawValue), then $\(DataLocation.environmentVariable)"
              + (env[DataLocation.environmentVariable].map { " (set to \($0))" } ?? " (not set)"))
        let standard = DataLocation.standardDirectories(for: kind, home: env["HOME"], currentDirectory: cwd)
            .map { $0 ?? "~/.cache/imbench/\(kind.rawValue) (HOME not set)" }
        print("  3. standard places: " + standard.joined(separator: ", "))
        do {
            let found = try DataLocation.resolve(kind, explicitDirectory: dataDir, environment: env, currentDirectory: cwd)
            print("\(kind.rawValue): \(found.directory)")
            print("  chosen by: \(found.rule.rawValue)")
            for s in found.skipped { print("  passed over: \(s)") }
        } catch let error as DataLocationError {
            print(error.description)
            if let dest = Fetcher.defaultDestination(for: kind.rawValue, environment: env, currentDirectory: cwd) {
                print("  or: imbench data fetch \(kind.rawValue)   (writes to \(dest))")
            }
            throw ExitCode(1)
        }
    }
}

/// The report for `--dataset`, or the manifest that best matches the directory's files.
private func chooseReport(store: ManifestStore, directory: String, dataset: String?,
                          cache: HashCache) throws -> VerificationReport {
    if let dataset {
        return try Verifier.verify(store.manifest(named: dataset), directory: directory, cache: cache)
    }
    let reports = try Verifier.identify(directory: directory, store: store, cache: cache)
    guard let best = reports.first else {
        throw DataCommandError("no file of any known dataset (\(store.names.joined(separator: ", "))) in \(directory); pass --dataset NAME to list what is expected")
    }
    if reports.count > 1, reports[1].matchCount == best.matchCount {
        printError("note: the files fit \(reports.map(\.manifest.name).joined(separator: " and ")) equally well (no checksum decides); showing \(best.manifest.name); pass --dataset to choose")
    }
    return best
}

/// A failure of a data command: printed as `Error: ...` without the usage text (the
/// arguments were fine; the data or the network was not).
struct DataCommandError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Text of `imbench data info`.
enum DataInfoText {
    static func render(_ info: DatasetInfo) -> String {
        let m = info.manifest
        var lines: [String] = []
        lines.append("\(m.displayName) (\(m.name)) in \(info.directory)")
        lines.append("format:  \(m.formatDescription ?? m.format)")
        lines.append("images:  \(m.imageShape.description) (channels x height x width), \(m.classNames.count) classes")
        lines.append("read:    \(info.reader)")
        lines.append("")
        lines.append(pad("split", 7) + lpad("images", 10) + "  per-class counts")
        for s in info.splits {
            var verdict: String
            switch s.matchesOfficial {
            case true?: verdict = "= the official counts"
            case false?: verdict = s.missingFiles.isEmpty ? "differs from the official counts" : "partial: not present: \(s.missingFiles.joined(separator: ", "))"
            case nil: verdict = ""
            }
            if s.officialCounts == nil, s.matchesOfficial == true { verdict = "= the official size" }
            lines.append(pad(s.name, 7) + lpad(grouped(s.images), 10) + "  " + verdict)
        }
        lines.append("")
        let nameWidth = min(24, max(5, m.classNames.map(\.count).max() ?? 5))
        lines.append(lpad("label", 6) + "  " + pad("class", nameWidth) + info.splits.map { lpad($0.name, 9) }.joined())
        for (i, cls) in m.classNames.enumerated() {
            var row = lpad(String(i), 6) + "  " + pad(cls, nameWidth)
            for s in info.splits { row += lpad(i < s.classCounts.count ? grouped(s.classCounts[i]) : "-", 9) }
            lines.append(row)
        }
        lines.append("")
        lines.append("checksums (file; decompressed content for .gz):")
        for f in info.verification.files {
            lines.append("  \(f.name): \(f.statusText)")
            if let h = f.hashes {
                lines.append("      file     \(lpad(grouped(h.file.size), 12)) bytes  sha256 \(h.file.sha256)  md5 \(h.file.md5)")
                if let c = h.content {
                    lines.append("      content  \(lpad(grouped(c.size), 12)) bytes  sha256 \(c.sha256)  md5 \(c.md5)")
                }
            }
        }
        return lines.joined(separator: "\n")
    }

    private static func pad(_ s: String, _ n: Int) -> String {
        s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count)
    }

    private static func lpad(_ s: String, _ n: Int) -> String {
        s.count >= n ? " " + s : String(repeating: " ", count: n - s.count) + s
    }
}

/// Download progress on standard error: bytes, rate and ETA, rewritten in place on a
/// terminal, a line every ~10% otherwise. Called from URLSession's queue, hence the lock.
final class TransferProgressLine: @unchecked Sendable {
    private let lock = NSLock()
    private let enabled: Bool
    private let isTTY = isatty(STDERR_FILENO) == 1
    private var width = 0
    private var lastDecile: [String: Int] = [:]

    init(enabled: Bool) { self.enabled = enabled }

    func log(_ line: String) {
        lock.lock()
        defer { lock.unlock() }
        clear()
        writeIgnoringErrors(.standardError, ("imbench: " + line + "\n"))
    }

    func update(_ p: TransferProgress) {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        var text = "  \(p.file)  \(megabytes(p.bytes))"
        if let total = p.total, total > 0 {
            text += " / \(megabytes(total)) (\(Int(Double(p.bytes) * 100 / Double(total)))%)"
        }
        text += String(format: "  %.1f MB/s", p.bytesPerSecond / 1e6)
        if let eta = p.etaSeconds, !p.finished, p.bytes != p.total { text += "  ETA \(formatSeconds(eta))" }
        if isTTY {
            let padding = max(0, width - text.count)
            width = text.count
            writeIgnoringErrors(.standardError, ("\r" + text + String(repeating: " ", count: padding)))
            if p.finished { writeIgnoringErrors(.standardError, "\n"); width = 0 }
        } else {
            // A line per tenth of the file (per 10 MB when the size is unknown).
            let decile = p.total.map { $0 > 0 ? Int(p.bytes * 10 / $0) : 0 } ?? Int(p.bytes / 10_000_000)
            if decile != lastDecile[p.file] {
                lastDecile[p.file] = decile
                writeIgnoringErrors(.standardError, (text + "\n"))
            }
        }
    }

    func finishLine() {
        lock.lock()
        defer { lock.unlock() }
        clear()
    }

    private func clear() {
        if isTTY && width > 0 {
            writeIgnoringErrors(.standardError, ("\r" + String(repeating: " ", count: width) + "\r"))
            width = 0
        }
    }

    private func megabytes(_ bytes: Int64) -> String {
        bytes < 1_000_000 ? "\(grouped(bytes)) B" : String(format: "%.1f MB", Double(bytes) / 1e6)
    }
}
