import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Progress of one transfer, reported while bytes arrive.
public struct TransferProgress: Sendable {
    public var file: String
    /// Bytes of the file on disk so far (resumed bytes included).
    public var bytes: Int64
    /// Expected final size, when known.
    public var total: Int64?
    /// Bytes received by this transfer (for the rate).
    public var transferred: Int64
    public var elapsedSeconds: Double
    public var finished: Bool

    public var bytesPerSecond: Double {
        elapsedSeconds > 0 ? Double(transferred) / elapsedSeconds : 0
    }

    public var etaSeconds: Double? {
        guard let total, bytesPerSecond > 0 else { return nil }
        return Double(max(0, total - bytes)) / bytesPerSecond
    }
}

/// Why one transfer failed. `receivedBytes` tells the caller whether a retry would resume.
public struct TransferError: Error, CustomStringConvertible, Sendable {
    public var url: String
    public var message: String
    /// Bytes appended to the `.part` file by this attempt.
    public var receivedBytes: Int64
    /// True when the server's answer rules out a retry (e.g. 404).
    public var isPermanent: Bool

    public var description: String { "\(url): \(message)" }
}

/// One HTTP(S) GET into a `.part` file, resuming it with `Range: bytes=N-` when it already
/// holds N bytes.
///
/// Built on Foundation's URLSession (FoundationNetworking, libcurl underneath, on Linux):
/// https with the system's certificates, redirects (GitHub's raw URLs redirect) and proxies
/// come for free, and it speaks plain http to 127.0.0.1 for the tests. Bytes are written to
/// the file as they arrive, so memory stays constant whatever the file size.
///
/// Outcomes: 206 with a matching `Content-Range` appends; 200 (server ignores ranges)
/// starts the file over; 416 on a resume means the part already holds everything the
/// server has (the caller verifies it); other statuses fail. A connection that breaks
/// mid-body leaves what arrived in the `.part` file for the next attempt.
public enum HTTPDownloader {
    /// Idle timeout: a transfer that receives nothing for this long fails (and can resume).
    nonisolated(unsafe) public static var idleTimeoutSeconds: Double = 60

    public enum Outcome: Equatable, Sendable {
        /// The server sent the rest of the file (or all of it).
        case complete
        /// 416 on a resume: nothing more to send for the bytes already in the part file.
        case rangeNotSatisfiable
    }

    /// Downloads `url` into `partPath`. `expectedSize` caps what is accepted (a server that
    /// sends more than the manifest's size is cut off).
    public static func download(url: URL, to partPath: String, expectedSize: Int64?,
                                fileName: String,
                                progress: @escaping @Sendable (TransferProgress) -> Void) throws -> Outcome {
        let existing = fileSize(partPath)
        var request = URLRequest(url: url)
        request.cachePolicy = .reloadIgnoringLocalCacheData
        request.timeoutInterval = idleTimeoutSeconds
        request.setValue("imbench-data-fetch", forHTTPHeaderField: "User-Agent")
        // Ask for the bytes exactly as stored: a transparently decoded body would not match
        // the checksum of the file.
        request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
        if existing > 0 {
            request.setValue("bytes=\(existing)-", forHTTPHeaderField: "Range")
        }
        let delegate = TransferDelegate(url: url.absoluteString, partPath: partPath, resumeFrom: existing,
                                        expectedSize: expectedSize, fileName: fileName, progress: progress)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = idleTimeoutSeconds
        configuration.timeoutIntervalForResource = 7 * 24 * 3600
        configuration.urlCache = nil
        configuration.httpMaximumConnectionsPerHost = 1
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: queue)
        let task = session.dataTask(with: request)
        task.resume()
        delegate.done.wait()
        session.finishTasksAndInvalidate()
        return try delegate.result()
    }

    static func fileSize(_ path: String) -> Int64 {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let size = attributes[.size] as? NSNumber else { return 0 }
        return size.int64Value
    }
}

/// Receives the response for `HTTPDownloader`; all state behind one lock because
/// URLSession calls it on its own queue.
private final class TransferDelegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    let url: String
    let partPath: String
    let resumeFrom: Int64
    let expectedSize: Int64?
    let fileName: String
    let progress: @Sendable (TransferProgress) -> Void
    let done = DispatchSemaphore(value: 0)

    private let lock = NSLock()
    private var handle: FileHandle?
    private var onDisk: Int64 = 0
    private var transferred: Int64 = 0
    private var total: Int64?
    private var failure: TransferError?
    private var outcome: HTTPDownloader.Outcome = .complete
    private let started = Date()
    private var lastReport = Date.distantPast

    init(url: String, partPath: String, resumeFrom: Int64, expectedSize: Int64?, fileName: String,
         progress: @escaping @Sendable (TransferProgress) -> Void) {
        self.url = url
        self.partPath = partPath
        self.resumeFrom = resumeFrom
        self.expectedSize = expectedSize
        self.fileName = fileName
        self.progress = progress
        self.total = expectedSize
    }

    func result() throws -> HTTPDownloader.Outcome {
        lock.lock()
        defer { lock.unlock() }
        if let failure { throw failure }
        return outcome
    }

    private func fail(_ message: String, permanent: Bool) {
        if failure == nil {
            failure = TransferError(url: url, message: message, receivedBytes: transferred, isPermanent: permanent)
        }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        lock.lock()
        let disposition = accept(response)
        lock.unlock()
        completionHandler(disposition)
    }

    /// Decides from the status line and headers whether and how to write the body.
    private func accept(_ response: URLResponse) -> URLSession.ResponseDisposition {
        guard let http = response as? HTTPURLResponse else {
            fail("not an HTTP response", permanent: true)
            return .cancel
        }
        let status = http.statusCode
        let length = http.expectedContentLength   // -1 when unknown
        do {
            switch status {
            case 206 where resumeFrom > 0:
                let range = (http.value(forHTTPHeaderField: "Content-Range") ?? "")
                guard let start = Self.contentRangeStart(range), start == resumeFrom else {
                    fail("asked for bytes \(resumeFrom)- but the server answered with range '\(range)'", permanent: false)
                    try? FileManager.default.removeItem(atPath: partPath)
                    return .cancel
                }
                if let t = Self.contentRangeTotal(range) { total = t }
                guard sizeAgrees() else { return .cancel }
                handle = try openForWriting(truncate: false)
                onDisk = resumeFrom
            case 200:
                // A fresh download, or a server that ignores Range: start the part over.
                if length >= 0 { total = length }
                guard sizeAgrees() else { return .cancel }
                handle = try openForWriting(truncate: true)
                onDisk = 0
            case 416 where resumeFrom > 0:
                outcome = .rangeNotSatisfiable
                return .cancel
            default:
                let reason = HTTPURLResponse.localizedString(forStatusCode: status)
                fail("HTTP \(status) \(reason)", permanent: status == 404 || status == 410 || status == 403)
                return .cancel
            }
        } catch {
            fail("cannot write \(partPath): \(error.localizedDescription)", permanent: true)
            return .cancel
        }
        return .allow
    }

    /// False (and the transfer failed) when the server announces another size than the
    /// manifest's: nothing is written then.
    private func sizeAgrees() -> Bool {
        if let expectedSize, let total, total != expectedSize {
            fail("the server announces \(total) bytes, the manifest says \(expectedSize)", permanent: true)
            return false
        }
        return true
    }

    private func openForWriting(truncate: Bool) throws -> FileHandle {
        let fm = FileManager.default
        if truncate || !fm.fileExists(atPath: partPath) {
            guard fm.createFile(atPath: partPath, contents: nil) else {
                throw CocoaError(.fileWriteUnknown)
            }
        }
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: partPath))
        try h.seekToEnd()
        return h
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        lock.lock()
        defer { lock.unlock() }
        guard failure == nil, let handle else { return }
        if let expectedSize, onDisk + Int64(data.count) > expectedSize {
            fail("the server sent more than the \(expectedSize) bytes the manifest lists", permanent: true)
            dataTask.cancel()
            return
        }
        do {
            try handle.write(contentsOf: data)
        } catch {
            fail("cannot write \(partPath): \(error.localizedDescription)", permanent: true)
            dataTask.cancel()
            return
        }
        onDisk += Int64(data.count)
        transferred += Int64(data.count)
        let now = Date()
        if now.timeIntervalSince(lastReport) >= 0.25 {
            lastReport = now
            progress(snapshot(finished: false))
        }
    }

    private func snapshot(finished: Bool) -> TransferProgress {
        TransferProgress(file: fileName, bytes: onDisk, total: total, transferred: transferred,
                         elapsedSeconds: Date().timeIntervalSince(started), finished: finished)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        lock.lock()
        try? handle?.close()
        handle = nil
        if let error, failure == nil, outcome != .rangeNotSatisfiable {
            fail("transfer failed after \(transferred) bytes: \(error.localizedDescription)", permanent: false)
        }
        if failure == nil, outcome == .complete, let total, onDisk != total {
            fail("connection closed after \(onDisk) of \(total) bytes", permanent: false)
        }
        let final = snapshot(finished: true)
        let ok = failure == nil
        lock.unlock()
        if ok { progress(final) }
        done.signal()
    }

    /// `bytes START-END/TOTAL` -> START.
    static func contentRangeStart(_ header: String) -> Int64? {
        guard let r = header.range(of: "bytes ") else { return nil }
        let spec = header[r.upperBound...]
        guard let dash = spec.firstIndex(of: "-") else { return nil }
        return Int64(spec[spec.startIndex..<dash].trimmingCharacters(in: .whitespaces))
    }

    /// `bytes START-END/TOTAL` -> TOTAL (nil for `*`).
    static func contentRangeTotal(_ header: String) -> Int64? {
        guard let slash = header.lastIndex(of: "/") else { return nil }
        return Int64(header[header.index(after: slash)...].trimmingCharacters(in: .whitespaces))
    }
}
