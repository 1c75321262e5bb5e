#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A small HTTP/1.1 server on 127.0.0.1 (ephemeral port) for the fetch tests: serves
/// in-memory files with Range support, and fails on command. One connection at a time on a
/// background thread; every response closes its connection. Never reachable from outside
/// the machine, and stopped by `stop()` (or when released).
final class LoopbackServer: @unchecked Sendable {
    enum Behavior: Equatable {
        /// Serve the file, honouring `Range: bytes=N-`.
        case serve
        /// Answer with this status and no body.
        case status(Int)
        /// Send the headers of the full answer, then only this many body bytes, then close.
        case closeAfter(Int)
        /// Serve bytes of the same length with some flipped.
        case corrupt
        /// Answer 200 with the whole file even when a range is asked for.
        case ignoreRange
    }

    struct Request: Equatable {
        var path: String
        var range: String?
    }

    let port: UInt16
    private let listener: Int32
    private let lock = NSLock()
    private var files: [String: [UInt8]] = [:]
    private var plans: [String: [Behavior]] = [:]
    private var log: [Request] = []
    private var stopped = false
    private let finished = DispatchSemaphore(value: 0)

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = UInt16(bigEndian: actual.sin_port)
        listener = fd
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "LoopbackServer"
        thread.start()
    }

    deinit { stop() }

    /// `http://127.0.0.1:PORT/PREFIX/`: a mirror base URL.
    func baseURL(_ prefix: String) -> String { "http://127.0.0.1:\(port)/\(prefix)/" }

    /// Serves `bytes` at `/PREFIX/NAME`.
    func put(_ prefix: String, _ name: String, _ bytes: [UInt8]) {
        lock.lock(); defer { lock.unlock() }
        files["/\(prefix)/\(name)"] = bytes
    }

    /// The next requests of `/PREFIX/NAME` get these behaviours, one each, then `.serve`.
    func plan(_ prefix: String, _ name: String, _ behaviors: [Behavior]) {
        lock.lock(); defer { lock.unlock() }
        plans["/\(prefix)/\(name)"] = behaviors
    }

    /// Requests received so far, in order.
    var requests: [Request] {
        lock.lock(); defer { lock.unlock() }
        return log
    }

    func stop() {
        lock.lock()
        let wasStopped = stopped
        stopped = true
        lock.unlock()
        guard !wasStopped else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        _ = finished.wait(timeout: .now() + 5)
    }

    private func acceptLoop() {
        defer { finished.signal() }
        while true {
            let connection = accept(listener, nil, nil)
            if connection < 0 {
                lock.lock(); let done = stopped; lock.unlock()
                if done || (errno != EINTR && errno != ECONNABORTED) { return }
                continue
            }
            var timeout = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            handle(connection)
            close(connection)
        }
    }

    private func handle(_ connection: Int32) {
        // Read the request head (a GET has no body).
        var head: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while head.count < 65_536 {
            let n = buffer.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return }
            head += buffer[0..<n]
            if let end = find(head, Array("\r\n\r\n".utf8)) { head = Array(head[0..<end]); break }
        }
        let lines = String(decoding: head, as: UTF8.self).components(separatedBy: "\r\n")
        let parts = lines.first?.split(separator: " ") ?? []
        guard parts.count >= 2 else { return }
        let path = String(parts[1])
        var range: String?
        for line in lines.dropFirst() {
            let pieces = line.split(separator: ":", maxSplits: 1)
            if pieces.count == 2, pieces[0].lowercased() == "range" {
                range = pieces[1].trimmingCharacters(in: .whitespaces)
            }
        }
        lock.lock()
        log.append(Request(path: path, range: range))
        let content = files[path]
        var behavior = Behavior.serve
        if var queue = plans[path], !queue.isEmpty {
            behavior = queue.removeFirst()
            plans[path] = queue
        }
        lock.unlock()

        guard var body = content else {
            respond(connection, status: 404, headers: [], body: [])
            return
        }
        switch behavior {
        case .status(let code):
            respond(connection, status: code, headers: [], body: [])
            return
        case .corrupt:
            for i in stride(from: 0, to: body.count, by: 997) { body[i] ^= 0x5A }
        default:
            break
        }
        var status = 200
        var headers: [String] = []
        var start = 0
        if behavior != .ignoreRange, let range, range.hasPrefix("bytes="), range.hasSuffix("-"),
           let from = Int(range.dropFirst(6).dropLast()) {
            if from >= body.count {
                respond(connection, status: 416, headers: ["Content-Range: bytes */\(body.count)"], body: [])
                return
            }
            status = 206
            start = from
            headers.append("Content-Range: bytes \(from)-\(body.count - 1)/\(body.count)")
        }
        let slice = Array(body[start...])
        if case .closeAfter(let n) = behavior {
            respond(connection, status: status, headers: headers, body: Array(slice.prefix(n)),
                    contentLength: slice.count)
        } else {
            respond(connection, status: status, headers: headers, body: slice)
        }
    }

    private func respond(_ connection: Int32, status: Int, headers: [String], body: [UInt8],
                         contentLength: Int? = nil) {
        let reasons = [200: "OK", 206: "Partial Content", 404: "Not Found", 416: "Range Not Satisfiable",
                       500: "Internal Server Error", 503: "Service Unavailable"]
        var text = "HTTP/1.1 \(status) \(reasons[status] ?? "Status")\r\n"
        text += "Content-Length: \(contentLength ?? body.count)\r\n"
        text += "Content-Type: application/octet-stream\r\nAccept-Ranges: bytes\r\nConnection: close\r\n"
        for h in headers { text += h + "\r\n" }
        text += "\r\n"
        sendAll(connection, Array(text.utf8))
        sendAll(connection, body)
        shutdown(connection, Int32(SHUT_WR))
    }

    private func sendAll(_ connection: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes {
                send(connection, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n <= 0 { return }
            offset += n
        }
    }

    private func find(_ haystack: [UInt8], _ needle: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where Array(haystack[i..<(i + needle.count)]) == needle {
            return i
        }
        return nil
    }
}
