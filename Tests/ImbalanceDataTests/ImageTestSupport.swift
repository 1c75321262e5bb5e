import Foundation
import XCTest
@testable import ImbalanceData
import ImbalanceTestSupport

/// The fixtures of `Fixtures/` (written by scripts/make_image_fixtures.py with pypng,
/// Pillow and numpy) and the pixels each must decode to.
enum ImageFixtures {
    static var directory: String {
        var url = URL(fileURLWithPath: #filePath)
        url.deleteLastPathComponent()
        return url.path + "/Fixtures"
    }

    /// `expected.json`, parsed once.
    nonisolated(unsafe) static let expected: [String: Any] = {
        let data = FileManager.default.contents(atPath: directory + "/expected.json") ?? Data()
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
    }()

    static func image(_ key: String) -> DecodedImage? {
        guard let e = expected[key] as? [String: Any], let w = e["width"] as? Int, let h = e["height"] as? Int,
              let c = e["channels"] as? Int, let p = e["pixels"] as? [Int] else { return nil }
        return DecodedImage(width: w, height: h, channels: c, pixels: p.map { UInt8($0) })
    }

    static func bytes(_ relative: String) throws -> [UInt8] {
        try Array(Data(contentsOf: URL(fileURLWithPath: directory + "/" + relative)))
    }
}

/// A small labelled image set with a pattern per image (so order mix-ups show).
func patternDataset(_ name: String, count: Int, classes: Int, channels: Int = 1, height: Int = 6,
                    width: Int = 5, seed: Int = 0, labels: ((Int) -> Int)? = nil) -> ImageDataset {
    let d = channels * height * width
    return ImageDataset(name: name, channels: channels, height: height, width: width,
                        pixels: pattern(count * d, seed: seed), labels: (0..<count).map { labels?($0) ?? ($0 * 7 + seed) % classes },
                        classNames: (0..<classes).map { "class \($0)" })
}

