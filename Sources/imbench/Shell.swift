import Foundation

/// Shell quoting for the commands the tool prints or writes into scripts and reports.

/// `s` as one shell word: unchanged when it is plain (letters, digits, `/._-+=:,@%`),
/// else in single quotes with each `'` written as `'\''`.
func shellQuote(_ s: String) -> String {
    if !s.isEmpty && s.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "/._-+=:,@%".contains($0)) }) {
        return s
    }
    return singleQuoted(s)
}

/// `s` in single quotes, always (each `'` written as `'\''`).
func singleQuoted(_ s: String) -> String {
    "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
